//! `init --keep-dockerfile`: the project's own Dockerfile stays, and the
//! compose file and README.Docker.md build the stages it really has (a
//! named stage, or no `target:` for a single unnamed stage). Proved with
//! the real `docker compose config`, a build and the printed next step
//! (`docker compose run --rm training`). Skips without Docker (saying why)
//! unless MLCONTAIN_REQUIRE_DOCKER=1.

mod support;

use std::path::Path;
use std::process::Command;

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn compose(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .arg("compose")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run docker compose")
}

fn init_keeping(dir: &Path) -> String {
    let o = support::mlcontain(
        dir,
        &["init", "--yes", "--keep-dockerfile", "--stages", "training"],
    );
    assert!(o.status.success(), "{}", out(&o));
    out(&o)
}

#[test]
fn compose_builds_the_stages_of_a_kept_dockerfile() {
    let d = support::copy_fixture("own-dockerfile");
    let dir = d.path();
    let theirs = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let said = init_keeping(dir);
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
        theirs,
        "the user's Dockerfile is not replaced"
    );
    let c = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
    assert!(c.contains("target: training"), "{c}");
    assert!(c.contains("- train.py"), "the code's command: {c}");
    let saved = std::fs::read_to_string(dir.join("mlcontain.yaml")).unwrap();
    assert!(saved.contains("keep_dockerfile: true"), "{saved}");
    let readme = std::fs::read_to_string(dir.join("README.Docker.md")).unwrap();
    assert!(
        readme.contains("docker build --target training -t"),
        "{readme}"
    );
    assert!(!said.contains("no named stages"), "{said}");
    // The saved answer regenerates the same files (and keeps the Dockerfile).
    let o = support::mlcontain(dir, &["init", "--check"]);
    assert!(o.status.success(), "{}", out(&o));

    // A single unnamed stage: no `target:` at all.
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM python:3.11-slim\nWORKDIR /srv\nCOPY train.py .\n",
    )
    .unwrap();
    let o = support::mlcontain(dir, &["init", "--yes", "--force", "--no-backup"]);
    assert!(o.status.success(), "{}", out(&o));
    let c = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
    assert!(!c.contains("target:"), "{c}");
    let readme = std::fs::read_to_string(dir.join("README.Docker.md")).unwrap();
    assert!(!readme.contains("docker build --target"), "{readme}");
    assert!(readme.contains("docker build -t"), "{readme}");
    assert!(
        std::fs::read_to_string(dir.join("Dockerfile"))
            .unwrap()
            .starts_with("FROM python:3.11-slim\n"),
        "still the user's, even with --force"
    );

    if support::docker_compose().is_none() {
        return;
    }
    let o = compose(dir, &["config", "--quiet"]);
    assert!(o.status.success(), "docker compose config: {}", out(&o));
    // The printed next step works: build, then train.
    let project = mlcontain::docker::project_name(&dir.canonicalize().unwrap(), None);
    let o = compose(dir, &["build", "training"]);
    let built = o.status.success();
    let run = compose(dir, &["run", "--rm", "training"]);
    let _ = compose(dir, &["down", "--volumes", "--rmi", "local"]);
    let _ = Command::new("docker")
        .args(["image", "rm", "-f", &format!("{project}-training")])
        .output();
    assert!(built, "docker compose build training: {}", out(&o));
    assert!(
        run.status.success() && out(&run).contains("trained: mean 2.0"),
        "docker compose run --rm training: {}",
        out(&run)
    );
}

#[test]
fn without_the_flag_a_dockerfile_lacking_the_targets_is_a_warning_before_writing() {
    let d = support::copy_fixture("own-dockerfile");
    let dir = d.path();
    std::fs::write(dir.join("Dockerfile"), "FROM python:3.11-slim\n").unwrap();
    let o = support::mlcontain(dir, &["init", "--dry-run", "--stages", "training"]);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("the project's Dockerfile has no named stages")
            && text.contains("--keep-dockerfile"),
        "{text}"
    );
}
