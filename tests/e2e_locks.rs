//! Real-engine checks that the image holds exactly what the project locks
//! (issue 11): a uv project with cpu/gpu extras builds a CPU image without
//! any nvidia-* wheel, and a Poetry-locked project installs exactly the
//! lock's main group.
//!
//! They skip (saying why) when no engine answers, and fail instead under
//! MLCONTAIN_REQUIRE_DOCKER=1 (CI). Base images are the offline stand-ins;
//! the builds reach PyPI over the default bridge (the packages are tiny:
//! idna, six, iniconfig; the gpu extra's nvidia wheel is never downloaded).

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Instant;

struct RemoveImage(String);
impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = docker(&["image", "rm", "--force", &self.0]);
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
    let name = format!("i11-{fixture}-{}-{nanos}", std::process::id());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(&name);
    support::copy_dir(
        &support::repo_root().join("tests/fixtures").join(fixture),
        &dir,
    );
    (tmp, dir, name)
}

/// `name==version` of every distribution in the image's /opt/venv.
fn venv_distributions(image: &str) -> BTreeMap<String, String> {
    let script = "import importlib.metadata as m\n\
                  for d in m.distributions():\n    print(d.metadata['Name'].lower().replace('_', '-') + '==' + d.version)";
    let o = ok(
        docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "/opt/venv/bin/python",
            image,
            "-c",
            script,
        ]),
        "list the venv",
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn uv_cpu_extra_builds_without_nvidia_wheels() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let (_tmp, dir, name) = project("uv-extras-tiny");
    let image = format!("{name}-training");
    let _rm = RemoveImage(image.clone());
    ok(
        support::mlcontain(&dir, &["init", "--yes", "--stages", "training"]),
        "mlcontain init",
    );
    let df = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(
        df.contains("uv sync --frozen --no-install-project --no-dev --extra cpu"),
        "{df}"
    );
    let o = support::mlcontain(
        &dir,
        &["build", "--target", "training", "--progress", "plain"],
    );
    ok(o, "mlcontain build");
    let dists = venv_distributions(&image);
    assert_eq!(
        dists.get("six").map(String::as_str),
        Some("1.16.0"),
        "{dists:?}"
    );
    assert_eq!(
        dists.get("idna").map(String::as_str),
        Some("3.10"),
        "{dists:?}"
    );
    let nvidia: Vec<&String> = dists.keys().filter(|n| n.starts_with("nvidia-")).collect();
    assert!(nvidia.is_empty(), "the CPU image holds {nvidia:?}");
    // Nor any nvidia file anywhere in the venv.
    let o = ok(
        docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            &image,
            "-c",
            "find /opt/venv -iname '*nvidia*' | head -5",
        ]),
        "find nvidia files",
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).trim().is_empty(),
        "{}",
        text(&o)
    );
    eprintln!("uv cpu extra: {:.0} s", t0.elapsed().as_secs_f64());
}

#[test]
fn poetry_lock_installs_exactly_the_main_group() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let (_tmp, dir, name) = project("poetry-tiny-lock");
    let image = format!("{name}-training");
    let _rm = RemoveImage(image.clone());
    ok(
        support::mlcontain(&dir, &["init", "--yes", "--stages", "training"]),
        "mlcontain init",
    );
    ok(
        support::mlcontain(
            &dir,
            &["build", "--target", "training", "--progress", "plain"],
        ),
        "mlcontain build",
    );
    // The lock's main group, read here from poetry.lock.
    let lock: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("poetry.lock")).unwrap()).unwrap();
    let main: BTreeMap<String, String> = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p.get("groups")
                .and_then(|g| g.as_array())
                .is_some_and(|g| g.iter().any(|x| x.as_str() == Some("main")))
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(main.len() >= 2, "{main:?}");
    let mut dists = venv_distributions(&image);
    // The venv's own tools are not the project's.
    for tool in ["pip", "setuptools", "wheel"] {
        dists.remove(tool);
    }
    assert_eq!(
        dists, main,
        "the image's venv differs from poetry.lock's main group"
    );
    eprintln!("poetry lock: {:.0} s", t0.elapsed().as_secs_f64());
}

#[test]
fn poetry_cpu_group_builds_without_nvidia_wheels() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let (_tmp, dir, name) = project("poetry-groups-tiny");
    let image = format!("{name}-training");
    let _rm = RemoveImage(image.clone());
    ok(
        support::mlcontain(&dir, &["init", "--yes", "--stages", "training"]),
        "mlcontain init",
    );
    let df = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(
        df.contains("poetry install --no-root --only main,cpu"),
        "{df}"
    );
    ok(
        support::mlcontain(
            &dir,
            &["build", "--target", "training", "--progress", "plain"],
        ),
        "mlcontain build",
    );
    let mut dists = venv_distributions(&image);
    for tool in ["pip", "setuptools", "wheel"] {
        dists.remove(tool);
    }
    // Exactly the lock's main and cpu groups.
    let expected: BTreeMap<String, String> = [("idna", "3.10"), ("six", "1.16.0")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(dists, expected, "the CPU image's venv");
    eprintln!("poetry cpu group: {:.0} s", t0.elapsed().as_secs_f64());
}
