//! Real-engine builds of the requirements layouts that used to give a
//! Dockerfile that does not build (issue 9 §8): `-r`/`-c` includes outside
//! the requirements folder (a chain of them), a dev file that includes the
//! runtime one, `-e .` in the runtime and in the dev requirements, and local
//! packages named `models/` and `data/`, imported by the code in the image.
//!
//! They skip (saying why) when no engine answers, and fail instead under
//! MLCONTAIN_REQUIRE_DOCKER=1 (CI). The builds reach PyPI over the default
//! bridge for tiny packages (idna, six, iniconfig, setuptools); the images
//! run with `--network none`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

struct RemoveImages(Vec<String>);
impl Drop for RemoveImages {
    fn drop(&mut self) {
        for i in &self.0 {
            let _ = docker(&["image", "rm", "--force", i]);
        }
    }
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run docker")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what} failed:\n{}", text(&o));
    o
}

/// A copy of a fixture in a folder whose name is the image prefix.
fn project(fixture: &str) -> (tempfile::TempDir, PathBuf, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("i9-{fixture}-{}-{nanos}", std::process::id());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(&name);
    support::copy_dir(
        &support::repo_root().join("tests/fixtures").join(fixture),
        &dir,
    );
    (tmp, dir, name)
}

/// Builds `target` with mlcontain build, runs `cmd` in it without network.
fn build_and_run(dir: &Path, image: &str, target: &str, cmd: &[&str]) -> String {
    ok(
        support::mlcontain(
            dir,
            &[
                "build",
                "--target",
                target,
                "--tag",
                image,
                "--progress",
                "plain",
            ],
        ),
        &format!("mlcontain build --target {target}"),
    );
    let mut args = vec!["run", "--rm", "--network", "none", image];
    args.extend_from_slice(cmd);
    String::from_utf8_lossy(&ok(docker(&args), &format!("run {target}")).stdout).into_owned()
}

#[test]
fn includes_constraints_editable_and_local_packages_build_and_import() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let (_tmp, dir, name) = project("pip-layouts");
    let images: Vec<String> = ["training", "dev"]
        .iter()
        .map(|t| format!("{name}-{t}"))
        .collect();
    let _rm = RemoveImages(images.clone());
    ok(
        support::mlcontain(&dir, &["init", "--yes", "--stages", "training,dev"]),
        "mlcontain init",
    );
    let df = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    // `-e .` needs the code before the install, in both installs.
    assert_eq!(
        df.matches("installs the project's own code").count(),
        2,
        "{df}"
    );
    // The training image: the chain deps/base.txt -> deps/common.txt and the
    // constraints file were copied and applied; the local packages import.
    let out = build_and_run(&dir, &images[0], "training", &["python", "train.py"]);
    assert!(
        out.contains("models.build data.load layoutpkg"),
        "training: {out}"
    );
    assert!(out.contains("six 1.16.0 idna 3.10"), "training: {out}");
    assert!(out.contains("iniconfig absent"), "training: {out}");
    // The dev image: requirements-dev.txt's `-r requirements.txt` (and its
    // `-e .`) resolved, and the dev dependency is there.
    let out = build_and_run(&dir, &images[1], "dev", &["python", "train.py"]);
    assert!(
        out.contains("models.build data.load layoutpkg") && out.contains("iniconfig 2.0.0"),
        "dev: {out}"
    );
    eprintln!("pip layouts: {:.0} s", t0.elapsed().as_secs_f64());
}

#[test]
fn an_editable_install_only_in_the_dev_requirements_builds() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let (_tmp, dir, name) = project("pip-dev-editable");
    let images: Vec<String> = ["training", "dev"]
        .iter()
        .map(|t| format!("{name}-{t}"))
        .collect();
    let _rm = RemoveImages(images.clone());
    ok(
        support::mlcontain(&dir, &["init", "--yes", "--stages", "training,dev"]),
        "mlcontain init",
    );
    let out = build_and_run(&dir, &images[0], "training", &["python", "train.py"]);
    assert!(out.contains("trained"), "training: {out}");
    // The runtime install did not need the code; the dev one did.
    let script = "import devpkg, importlib.metadata as m; print(devpkg.NAME, m.version('devpkg'))";
    let out = build_and_run(&dir, &images[1], "dev", &["python", "-c", script]);
    assert!(out.contains("devpkg 0.1.0"), "dev: {out}");
    eprintln!("dev editable: {:.0} s", t0.elapsed().as_secs_f64());
}

/// `docker compose` in `dir` under the compose project `project`.
fn compose(dir: &Path, project: &str, args: &[&str]) -> Output {
    Command::new("docker")
        .arg("compose")
        .args(args)
        .current_dir(dir)
        .env("COMPOSE_PROJECT_NAME", project)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run docker compose")
}

/// Takes the compose project down with its volumes.
struct ComposeDown(PathBuf, String);
impl Drop for ComposeDown {
    fn drop(&mut self) {
        let _ = compose(
            &self.0,
            &self.1,
            &["down", "--volumes", "--remove-orphans", "--timeout", "5"],
        );
    }
}

/// A `data/` folder that is the project's Python package (imported by
/// train.py) and holds a CSV the code reads: `docker compose run --rm
/// training`, with the data volume mounted, imports the package from the
/// image and reads the CSV; the volume is at $DATA_DIR (/app/datasets),
/// writable by the app user, and the CSV the code does not name stays out.
#[test]
fn a_data_package_is_not_hidden_by_the_data_volume() {
    let (Some(()), Some(())) = (support::docker_engine(), support::docker_compose()) else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let (_tmp, dir, name) = project("data-package");
    let image = format!("{name}-training");
    let _rm = RemoveImages(vec![image.clone()]);
    let o = ok(
        support::mlcontain(&dir, &["init", "--yes", "--stages", "training"]),
        "mlcontain init",
    );
    let said = text(&o);
    assert!(
        said.contains("the data volume at /app/datasets"),
        "no explanation of the moved volume: {said}"
    );
    let compose_yaml = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
    assert!(
        compose_yaml.contains("- data:/app/datasets"),
        "{compose_yaml}"
    );
    assert!(!compose_yaml.contains(":/app/data\n"), "{compose_yaml}");
    ok(
        support::mlcontain(
            &dir,
            &[
                "build",
                "--target",
                "training",
                "--tag",
                &image,
                "--progress",
                "plain",
            ],
        ),
        "mlcontain build --target training",
    );
    let _down = ComposeDown(dir.clone(), name.clone());
    // The image compose runs is the one just built (`<project>-training`).
    let o = ok(
        compose(&dir, &name, &["run", "--rm", "training"]),
        "docker compose run --rm training",
    );
    let out = text(&o);
    assert!(
        out.contains("package data.loader rows 2 w 3.000"),
        "the data package or data/train.csv did not load: {out}"
    );
    assert!(
        out.contains("DATA_DIR /app/datasets writable True"),
        "{out}"
    );
    assert!(
        out.contains("data/ ['__init__.py', 'loader.py', 'train.csv']"),
        "data/ in the container is not the package and the CSV the code names: {out}"
    );
    // A change to the package reaches the next run: a volume over /app/data
    // would have kept the copy Compose made on the first run (stale code).
    let init = dir.join("data/__init__.py");
    let mut src = std::fs::read_to_string(&init).unwrap();
    src.push_str("print(\"data package v2\")\n");
    std::fs::write(&init, src).unwrap();
    ok(
        support::mlcontain(
            &dir,
            &[
                "build",
                "--target",
                "training",
                "--tag",
                &image,
                "--progress",
                "plain",
            ],
        ),
        "mlcontain build --target training (after a change to data/)",
    );
    let o = ok(
        compose(&dir, &name, &["run", "--rm", "training"]),
        "docker compose run --rm training (after a change to data/)",
    );
    let out = text(&o);
    assert!(
        out.contains("data package v2"),
        "the second run did not import the changed package: {out}"
    );
    // The volume is mounted where DATA_DIR says, and nothing over /app/data.
    let mounts = "print('\\n'.join(l.split()[1] for l in open('/proc/mounts')))";
    let o = ok(
        compose(
            &dir,
            &name,
            &["run", "--rm", "training", "python", "-c", mounts],
        ),
        "docker compose run --rm training python -c …",
    );
    let points: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(points.iter().any(|p| p == "/app/datasets"), "{points:?}");
    assert!(!points.iter().any(|p| p == "/app/data"), "{points:?}");
    eprintln!("data package: {:.0} s", t0.elapsed().as_secs_f64());
}
