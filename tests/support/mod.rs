//! Shared helpers for the integration tests: the real tools the generated
//! files are checked with, and whether a test may skip without them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required(var: &str) -> bool {
    std::env::var(var).map(|v| v == "1").unwrap_or(false)
}

/// The hadolint binary, or None (the test then skips, saying why) unless
/// MLCONTAIN_REQUIRE_HADOLINT=1, where a missing hadolint fails the test.
pub fn hadolint() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MLCONTAIN_HADOLINT").map(PathBuf::from),
        Some(repo_root().join(".tools/venv/bin/hadolint")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.is_file() {
            return Some(c);
        }
    }
    if required("MLCONTAIN_REQUIRE_HADOLINT") {
        panic!("hadolint is required (MLCONTAIN_REQUIRE_HADOLINT=1) but was not found; run scripts/provision-tools.sh");
    }
    eprintln!(
        "SKIP: hadolint not found (run scripts/provision-tools.sh, or scripts/test.sh which does)"
    );
    None
}

/// `docker compose` (v2), or None (skip, saying why) unless MLCONTAIN_REQUIRE_DOCKER=1.
pub fn docker_compose() -> Option<()> {
    let ok = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(());
    }
    if required("MLCONTAIN_REQUIRE_DOCKER") {
        panic!("docker compose v2 is required (MLCONTAIN_REQUIRE_DOCKER=1) but `docker compose version` failed");
    }
    eprintln!("SKIP: `docker compose` (v2) not available");
    None
}

/// A reachable Docker engine, or None (skip) unless MLCONTAIN_REQUIRE_DOCKER=1.
pub fn docker_engine() -> Option<()> {
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(());
    }
    if required("MLCONTAIN_REQUIRE_DOCKER") {
        panic!("a Docker engine is required (MLCONTAIN_REQUIRE_DOCKER=1) but `docker info` failed; run scripts/docker-env.sh");
    }
    eprintln!("SKIP: no Docker engine answers `docker info` (scripts/docker-env.sh starts one)");
    None
}

/// Copy a fixture project into a fresh temporary directory.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/fixtures").join(name), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Run the real binary.
pub fn mlcontain(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        // No GPU: the outputs must not depend on this machine's driver.
        .env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run mlcontain")
}
