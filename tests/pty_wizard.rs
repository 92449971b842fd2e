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
    // The terminal stays in line mode: Ctrl-C is SIGINT, which ends the
    // wizard at once with 130, nothing written.
    p.send("\x03");
    assert_eq!(p.wait(T), 130);
    assert!(p.raw_text().contains("interrupted; nothing was written"));
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

/// The environment with `TERM` set to `term` (None: no `TERM` at all).
fn env_term(home: &std::path::Path, term: Option<&str>) -> Vec<(&'static str, String)> {
    let mut e: Vec<(&'static str, String)> = env(home)
        .into_iter()
        .filter(|(k, _)| *k != "TERM")
        .collect();
    if let Some(t) = term {
        e.push(("TERM", t.into()));
    }
    e
}

/// Answers a question: waits for `wait` in what was printed since the last
/// answer, then types `line` and Enter.
struct Lines {
    mark: usize,
}

impl Lines {
    fn answer(&mut self, p: &mut Pty, wait: &str, line: &str) {
        p.expect_raw_after(self.mark, wait, T);
        self.mark = p.raw.len();
        p.send(&format!("{line}\r"));
    }
}

fn escapes(raw: &[u8]) -> usize {
    raw.iter().filter(|b| **b == 0x1b).count()
}

/// `TERM=dumb`: `--plain` asks in plain numbered lines (no inquire), the
/// defaults shown and echoed, invalid answers asked again, and the whole
/// session, to the written files, has no ESC byte.
#[test]
fn dumb_terminal_plain_prompts_have_no_escape_bytes() {
    let (home, repo) = repo();
    let mut p = Pty::spawn(
        &["init", "--plain"],
        repo.path(),
        &env_term(home.path(), Some("dumb")),
    );
    let mut q = Lines { mark: 0 };
    q.answer(&mut p, "Choose 1-", ""); // Framework: the project's
    q.answer(&mut p, "CUDA (or CPU):", "");
    q.answer(&mut p, "Python version:", "");
    q.answer(&mut p, "Package manager:", "");
    q.answer(&mut p, "Stages (image targets):", "");
    q.answer(&mut p, "Training entry point:", "");
    q.answer(&mut p, "Inference entry point", "");
    q.answer(&mut p, "Inference port:", "0");
    q.answer(&mut p, "not a port", "8080");
    q.answer(&mut p, "UID/GID", "");
    q.answer(&mut p, "GPUs the services reserve", "");
    q.answer(&mut p, "Where it runs", "9"); // not an option
    q.answer(&mut p, "`9` is not an option", "");
    q.answer(&mut p, "Training nodes", "");
    q.answer(&mut p, "Runtime base image", "");
    q.answer(&mut p, "Registry/mirror", "");
    q.answer(&mut p, "syntax=docker", "");
    q.answer(&mut p, "this host cannot run", "");
    q.answer(&mut p, "Replace compose.yaml?", "y");
    q.answer(&mut p, "Next:", "3"); // the files first
    q.answer(&mut p, "Next:", "1"); // then write
    let code = p.wait(T);
    let out = p.raw_text();
    assert_eq!(code, 0, "{out}");
    assert_eq!(escapes(&p.raw), 0, "ESC bytes on a dumb terminal:\n{out:?}");
    // Numbered options, the default named, and echoed when accepted.
    assert!(
        out.contains("   1. PyTorch\n") || out.contains("   1. PyTorch\r\n"),
        "{out}"
    );
    assert!(out.contains("[Enter: 1. PyTorch; < back]"), "{out}");
    assert!(out.contains("→ PyTorch (default)"), "{out}");
    assert!(out.contains("→ 10001 (default)"), "{out}");
    assert!(out.contains("==> Dockerfile (new) <=="), "{out}");
    let dockerfile = std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("EXPOSE 8080"), "{dockerfile}");
    let compose = std::fs::read_to_string(repo.path().join("compose.yaml")).unwrap();
    assert!(compose.contains("services:\n"), "replaced: {compose}");
    assert!(repo.path().join("compose.yaml.bak").exists());
}

/// The full-screen wizard on `TERM=dumb` or with no `TERM`: it does not
/// draw; the same questions come as plain lines (no ESC byte), Enter takes
/// every default to written files.
#[test]
fn dumb_or_unset_term_gets_plain_lines_without_escapes() {
    for term in [Some("dumb"), None] {
        let (home, repo) = repo();
        // A file name that would clear the screen if printed as it is.
        std::fs::write(
            repo.path().join("evil\u{1b}[2J.py"),
            "import torch\nopt = torch.optim.SGD([], lr=0.1)\nopt.step()\n",
        )
        .unwrap();
        let mut p = Pty::spawn(&[], repo.path(), &env_term(home.path(), term));
        p.expect("Framework:", T);
        assert!(!p.screen().contains("step 1/7"), "{term:?}");
        let why = match term {
            Some(_) => "note: TERM=dumb (no cursor control), so the full-screen wizard cannot draw; asking line by line",
            None => "note: TERM is not set, so the full-screen wizard cannot draw; asking line by line",
        };
        assert!(p.raw_text().contains(why), "{term:?}: {}", p.raw_text());
        let end = std::time::Instant::now() + T;
        let mut mark = 0;
        loop {
            p.expect_raw_after(mark, "]: ", T);
            let asked = String::from_utf8_lossy(&p.raw[mark..]).to_string();
            mark = p.raw.len();
            // Enter takes each default; the changed compose.yaml is kept.
            p.send("\r");
            if asked.contains("Next:") {
                break;
            }
            assert!(std::time::Instant::now() < end, "{term:?}: no Review");
        }
        let code = p.wait(T);
        let out = p.raw_text();
        assert_eq!(code, 0, "{term:?}: {out}");
        assert_eq!(escapes(&p.raw), 0, "{term:?}: {out:?}");
        assert!(
            out.contains("evil\\u{1b}[2J.py"),
            "{term:?}: the name, spelled out: {out}"
        );
        assert!(repo.path().join("Dockerfile").is_file(), "{term:?}");
        assert_eq!(
            std::fs::read_to_string(repo.path().join("compose.yaml")).unwrap(),
            "services: {}\n",
            "{term:?}: Enter declines replacing compose.yaml"
        );
    }
}

/// End of input (Ctrl-D) at a plain-line question cancels: nothing written.
#[test]
fn end_of_input_cancels_the_plain_lines() {
    let (home, repo) = repo();
    let mut p = Pty::spawn(&[], repo.path(), &env_term(home.path(), Some("dumb")));
    p.expect("Framework:", T);
    p.send("\x04");
    assert_eq!(p.wait(T), 1);
    assert!(p.raw_text().contains("Cancelled; nothing was written."));
    assert_eq!(escapes(&p.raw), 0);
    assert!(!repo.path().join("Dockerfile").exists());
    assert!(!repo.path().join("mlcontain.yaml").exists());
}

/// `detect`, `doctor` and `init --dry-run` on a dumb terminal: no ESC
/// byte, even with a file name that holds one.
#[test]
fn dumb_terminal_reports_have_no_escape_bytes() {
    let (home, repo) = repo();
    // A file name that would clear the screen if printed as it is.
    std::fs::write(
        repo.path().join("evil\u{1b}[2J.py"),
        "import torch\nopt = torch.optim.SGD([], lr=0.1)\nopt.step()\n",
    )
    .unwrap();
    for (args, want) in [
        (&["detect"][..], "GPU"),
        (&["doctor"][..], "docker"),
        (&["init", "--dry-run"][..], "FROM "),
    ] {
        let mut p = Pty::spawn(args, repo.path(), &env_term(home.path(), Some("dumb")));
        let code = p.wait(T);
        let out = p.raw_text();
        assert!(code == 0 || code == 1, "{args:?} exited {code}: {out}");
        assert!(out.contains(want), "{args:?}: {out}");
        assert_eq!(escapes(&p.raw), 0, "{args:?}: {out:?}");
    }
}

/// `--plain` on a project with its own Dockerfile (plain lines, TERM=dumb):
/// the keep-or-generate question is asked; keeping it writes no Dockerfile
/// and saves `keep_dockerfile: true`.
#[test]
fn plain_lines_keep_the_projects_dockerfile() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let src =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/own-dockerfile");
    for f in ["Dockerfile", "requirements.txt", "train.py"] {
        std::fs::copy(src.join(f), repo.path().join(f)).unwrap();
    }
    let theirs = std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap();
    let mut p = Pty::spawn(
        &["--plain"],
        repo.path(),
        &env_term(home.path(), Some("dumb")),
    );
    let end = std::time::Instant::now() + T;
    let mut mark = 0;
    let mut asked_keep = false;
    loop {
        p.expect_raw_after(mark, "]: ", T);
        let asked = String::from_utf8_lossy(&p.raw[mark..]).to_string();
        mark = p.raw.len();
        if asked.contains("The project has a Dockerfile: keep it, or generate one?") {
            assert!(asked.contains("keep: your Dockerfile stays"), "{asked}");
            asked_keep = true;
            p.send("2\r");
            continue;
        }
        p.send("\r");
        if asked.contains("Next:") {
            break;
        }
        assert!(std::time::Instant::now() < end, "no Review");
    }
    assert_eq!(p.wait(T), 0, "{}", p.raw_text());
    assert!(asked_keep, "{}", p.raw_text());
    assert!(p
        .raw_text()
        .contains("kept       Dockerfile (the project's"));
    assert_eq!(
        std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap(),
        theirs
    );
    assert!(!repo.path().join("Dockerfile.bak").exists());
    let saved = std::fs::read_to_string(repo.path().join("mlcontain.yaml")).unwrap();
    assert!(saved.contains("keep_dockerfile: true"), "{saved}");
    let compose = std::fs::read_to_string(repo.path().join("compose.yaml")).unwrap();
    // Its Dockerfile has no dev stage: compose builds the last one.
    assert!(
        compose.contains("dev:") && !compose.contains("target: dev"),
        "{compose}"
    );
}
