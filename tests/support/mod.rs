//! Shared helpers for the integration tests: the real tools the generated
//! files are checked with, and whether a test may skip without them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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

/// Whether `docker ARGS` succeeds.
fn docker_answers(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Some(()) when `ok`; else a skip that says why, or a failure when
/// MLCONTAIN_REQUIRE_DOCKER=1 (CI).
fn docker_or_skip(ok: bool, missing: &str, hint: &str) -> Option<()> {
    if ok {
        return Some(());
    }
    if required("MLCONTAIN_REQUIRE_DOCKER") {
        panic!("{missing} is required (MLCONTAIN_REQUIRE_DOCKER=1) but not available; {hint}");
    }
    eprintln!("SKIP: {missing} not available ({hint})");
    None
}

/// `docker compose` (v2), or None (skip, saying why) unless MLCONTAIN_REQUIRE_DOCKER=1.
pub fn docker_compose() -> Option<()> {
    docker_or_skip(
        docker_answers(&["compose", "version"]),
        "docker compose v2",
        "`docker compose version` failed",
    )
}

/// A reachable Docker engine, or None (skip) unless MLCONTAIN_REQUIRE_DOCKER=1.
pub fn docker_engine() -> Option<()> {
    docker_or_skip(
        docker_answers(&["info", "--format", "{{.ServerVersion}}"]),
        "a Docker engine",
        "`docker info` failed; scripts/docker-env.sh starts one",
    )
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

/// One Docker e2e test binary at a time on the shared engine: a lock folder
/// in the temp dir, across processes (the e2e test files share it).
pub struct EngineLock(PathBuf);

impl EngineLock {
    /// Waits up to 30 minutes for the lock.
    pub fn acquire() -> EngineLock {
        EngineLock::acquire_within(Duration::from_secs(30 * 60))
    }

    /// Waits up to `limit` for the lock; a stale one (its owner gone) is taken over.
    pub fn acquire_within(limit: Duration) -> EngineLock {
        let path = std::env::temp_dir().join("mlcontain-docker-e2e.lock");
        let start = Instant::now();
        let mut said = false;
        loop {
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    std::fs::write(path.join("pid"), std::process::id().to_string()).unwrap();
                    return EngineLock(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(path.join("pid")).unwrap_or_default();
                    let owner = owner.trim();
                    let alive = !owner.is_empty() && Path::new("/proc").join(owner).exists();
                    // A folder without a pid file yet is being created: wait.
                    let fresh = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .map(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(10))
                        .unwrap_or(true);
                    if !alive && !fresh {
                        let _ = std::fs::remove_dir_all(&path);
                        continue;
                    }
                    if !said {
                        eprintln!(
                            "waiting for the Docker e2e lock {} (pid {owner})",
                            path.display()
                        );
                        said = true;
                    }
                    assert!(
                        start.elapsed() < limit,
                        "the Docker e2e lock {} is still held after {} min",
                        path.display(),
                        limit.as_secs() / 60
                    );
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("cannot create {}: {e}", path.display()),
            }
        }
    }
}

impl Drop for EngineLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
