//! End-to-end: the real binary in a pseudo-terminal (tests/common/pty.rs),
//! answering the wizard with keystrokes in a temporary repository,
//! then checking the files it wrote. Full-screen and `--plain`. Every wait
//! is bounded; the child is killed when a test fails.

#![cfg(unix)]

mod common;

use common::pty::{env, Pty};
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn repo() -> (tempfile::TempDir, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("requirements.txt"),
        "torch==2.5.1\nnumpy\nfastapi\nuvicorn\n",
    )
    .unwrap();
    // Code that trains and code that serves: both stages by default.
    std::fs::write(
        repo.path().join("train.py"),
        "import torch\nw = torch.zeros(1, requires_grad=True)\nw.sum().backward()\nprint('train')\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("serve.py"),
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {}\n",
    )
    .unwrap();
    // A compose.yaml of the user's own: changed, so it needs confirmation.
    std::fs::write(repo.path().join("compose.yaml"), "services: {}\n").unwrap();
    (home, repo)
}

#[test]
fn full_screen_wizard_writes_the_files() {
    let (home, repo) = repo();
    let mut p = Pty::spawn(&[], repo.path(), &env(home.path()));
    p.expect("step 1/7: Host", T);
    p.expect("Project: requirements.txt", T);
    p.send("\r"); // Host -> Framework
    p.expect("step 2/7: Framework", T);
    p.send("\r"); // PyTorch (the project's)
    p.send("\r"); // version
    p.expect("step 3/7: CUDA", T);
    // CPU only is the last option; no GPU so it is the default anyway.
    p.send("\r");
    p.expect("step 4/7: Python", T);
    p.send("\r"); // Python
    p.send("\r"); // pip
    p.expect("step 5/7: Stages", T);
    p.send("\r");
    p.expect("Training runs:", T);
    p.send("\r"); // train.py, the scan's
    p.expect("Inference serves:", T);
    p.send("\r"); // serve.py
    p.expect("step 6/7: Runtime", T);
    p.send("9000\r"); // port
    p.expect("User UID/GID:", T);
    p.send("\r\r\r\r\r\r\r\r"); // uid, gpus, deploy, nodes, base image, registry, syntax, allow
    p.expect("step 7/7: Review", T);
    p.expect("changed: keep", T);
    p.send("?");
    p.expect("this help", T);
    p.send("x");
    p.send("w");
    let code = p.wait(T);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&p.raw));
    let out = String::from_utf8_lossy(&p.raw).to_string();
    assert!(out.contains("kept       compose.yaml"), "{out}");
    let dockerfile = std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("EXPOSE 9000"), "{dockerfile}");
    assert!(dockerfile.contains("torch==2.5.1+cpu"), "{dockerfile}");
    let cfg = std::fs::read_to_string(repo.path().join("mlcontain.yaml")).unwrap();
    assert!(
        cfg.contains("port: 9000") && cfg.contains("cuda: cpu"),
        "{cfg}"
    );
    assert!(repo.path().join(".dockerignore").exists());
    assert!(repo.path().join("README.Docker.md").exists());
    assert_eq!(
        std::fs::read_to_string(repo.path().join("compose.yaml")).unwrap(),
        "services: {}\n",
        "the user declined replacing compose.yaml"
    );
}

#[test]
fn quitting_asks_and_writes_nothing() {
    let (home, repo) = repo();
    let mut p = Pty::spawn(&[], repo.path(), &env(home.path()));
    p.expect("step 1/7: Host", T);
    p.send("\r");
    p.expect("step 2/7: Framework", T);
    p.send("j\r"); // TensorFlow: a change
    p.expect("Version:", T);
    p.send("\x03"); // Ctrl-C
    p.expect("Quit without writing?", T);
    p.send("y");
    assert_eq!(p.wait(T), 1);
    assert!(!repo.path().join("Dockerfile").exists());
    // The terminal was restored: the alternate screen was left.
    assert!(String::from_utf8_lossy(&p.raw).contains("\x1b[?1049l"));
}

#[test]
fn sigterm_restores_the_terminal() {
    let (home, repo) = repo();
    let mut p = Pty::spawn(&[], repo.path(), &env(home.path()));
    p.expect("step 1/7: Host", T);
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait(T), 143);
    let raw = String::from_utf8_lossy(&p.raw).to_string();
    assert!(raw.contains("\x1b[?1049l"), "left the alternate screen");
    assert!(raw.contains("terminated"), "{raw}");
    assert!(!repo.path().join("Dockerfile").exists());
}

#[test]
fn plain_prompts_write_the_files() {
    let (home, repo) = repo();
    let mut p = Pty::spawn(&["--plain"], repo.path(), &env(home.path()));
    p.expect("Framework:", T);
    p.send("\r");
    // One release fits the pin: the question is skipped, the answer said.
    p.expect("Framework version: PyTorch 2.5.1 (the only option here)", T);
    p.expect("CUDA (or CPU):", T);
    p.send("\r");
    p.expect("Python version:", T);
    p.send("\r");
    p.expect("Package manager:", T);
    p.send("\r");
    p.expect("Stages", T);
    p.send("\r");
    p.expect("Training entry point:", T);
    p.send("\r");
    p.expect("Inference entry point", T);
    p.send("\r");
    p.expect("Inference port:", T);
    p.send("0\r"); // invalid: stays
    p.expect("not a port", T);
    p.send("\x7f8080\r");
    p.expect("UID/GID", T);
    p.send("\r");
    p.expect("GPUs the services reserve", T);
    p.send("\r");
    p.expect("Where it runs", T);
    p.send("\r");
    p.expect("Training nodes", T);
    p.send("\r");
    p.expect("Runtime base image", T);
    p.send("\r");
    p.expect("Registry/mirror", T);
    p.send("\r");
    p.expect("syntax=docker", T);
    p.send("\r");
    p.expect("this host cannot run", T);
    p.send("\r");
    p.expect("Replace compose.yaml?", T);
    p.send("y\r");
    p.expect("Next:", T);
    // See the files first (third action), then write.
    p.send("\x1b[B\x1b[B\r");
    p.expect_raw("==> Dockerfile (new) <==", T);
    p.expect_raw("+++ b/compose.yaml", T);
    // Asked again after the files.
    let end = std::time::Instant::now() + T;
    while p.raw_text().matches("Next:").count() < 2 {
        assert!(std::time::Instant::now() < end, "not asked again");
        p.settle(Duration::from_millis(50));
    }
    p.send("\r"); // Write the files
    let code = p.wait(T);
    let out = p.raw_text();
    // Accepted defaults are echoed; one "not offered" note per question.
    assert!(out.contains("→ 10001 (default)"), "{out}");
    for section in out.split("── ").skip(1) {
        assert!(section.matches("not offered:").count() <= 1, "{section}");
    }
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&p.raw));
    let dockerfile = std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("EXPOSE 8080"), "{dockerfile}");
    let compose = std::fs::read_to_string(repo.path().join("compose.yaml")).unwrap();
    assert!(compose.contains("services:\n"), "replaced: {compose}");
    assert!(repo.path().join("compose.yaml.bak").exists());
}

#[test]
fn dumb_terminal_gets_prompts() {
    let (home, repo) = repo();
    let mut e = env(home.path());
    for (k, v) in e.iter_mut() {
        if *k == "TERM" {
            *v = "dumb".into();
        }
    }
    let mut p = Pty::spawn(&[], repo.path(), &e);
    p.expect("Framework:", T);
    assert!(!p.screen().contains("step 1/7"));
    p.send("\x03"); // Ctrl-C cancels
    assert_eq!(p.wait(T), 1);
    assert!(!repo.path().join("Dockerfile").exists());
}

#[test]
fn no_terminal_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .current_dir(home.path())
        .env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("mlcontain init --yes"), "{err}");
}

/// The fast path (issue 13): launch, `r` (straight to Review with the
/// planner's defaults), `w` (write). The keystrokes are counted.
#[test]
fn two_keystrokes_write_a_default_setup() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("requirements.txt"), "torch==2.5.1\n").unwrap();
    std::fs::write(repo.path().join("train.py"), "print('train')\n").unwrap();
    let mut p = Pty::spawn(&[], repo.path(), &env(home.path()));
    p.expect("Project: requirements.txt", T);
    let mut keystrokes = 0;
    for k in ["r", "w"] {
        if k == "w" {
            p.expect("step 7/7: Review", T);
        }
        p.send(k);
        keystrokes += 1;
    }
    assert_eq!(p.wait(T), 0, "{}", p.raw_text());
    assert!(keystrokes <= 4);
    eprintln!("fast-path: {keystrokes} keystrokes from launch to written files");
    for f in [
        "Dockerfile",
        "compose.yaml",
        ".dockerignore",
        "README.Docker.md",
        "mlcontain.yaml",
    ] {
        assert!(repo.path().join(f).is_file(), "{f} not written");
    }
    let dockerfile = std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("torch==2.5.1"), "{dockerfile}");
}

/// Make `dir` unwritable, even for root (chmod, then the immutable flag);
/// false when this system allows neither.
fn make_read_only(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join(".probe");
    if std::fs::write(&probe, "").is_err() {
        return true;
    }
    let _ = std::fs::remove_file(&probe);
    let chattr = Command::new("chattr").arg("+i").arg(dir).status();
    if chattr.map(|s| s.success()).unwrap_or(false) && std::fs::write(&probe, "").is_err() {
        return true;
    }
    false
}

fn make_writable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = Command::new("chattr").arg("-i").arg(dir).status();
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
}

/// A folder that cannot be written is found on the Host step; writing from
/// Review is refused inside the wizard with the answers kept and the
/// equivalent `mlcontain init --yes …` command; nothing is written.
#[test]
fn a_read_only_folder_is_found_before_the_work() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("requirements.txt"), "torch==2.5.1\n").unwrap();
    if !make_read_only(repo.path()) {
        make_writable(repo.path());
        eprintln!("SKIPPED: this system cannot make a folder read-only for this user (root without chattr)");
        return;
    }
    let mut p = Pty::spawn(&[], repo.path(), &env(home.path()));
    p.expect("is not writable", T);
    p.send("r");
    p.expect("step 7/7: Review", T);
    p.send("w");
    p.expect("Your choices are kept", T);
    p.expect_raw("mlcontain init --yes", T);
    assert!(
        p.screen().contains("step 7/7: Review"),
        "still in the wizard"
    );
    p.send("q");
    let code = p.wait(T);
    make_writable(repo.path());
    assert_eq!(code, 1);
    assert!(!repo.path().join("Dockerfile").exists());
}
