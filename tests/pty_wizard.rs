//! End-to-end: the real binary in a pseudo-terminal (openpty + a vt100
//! screen), answering the wizard with keystrokes in a temporary repository,
//! then checking the files it wrote. Full-screen and `--plain`. Every wait
//! is bounded; the child is killed when a test fails.

#![cfg(unix)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 110;

/// A child process on a pseudo-terminal, with the screen it drew.
pub struct Pty {
    master: File,
    child: Child,
    rx: mpsc::Receiver<Vec<u8>>,
    pub parser: vt100::Parser,
    pub raw: Vec<u8>,
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pty {
    pub fn spawn(args: &[&str], dir: &Path, env: &[(&str, String)]) -> Pty {
        let mut master: RawFd = -1;
        let mut slave: RawFd = -1;
        let ws = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(rc, 0, "openpty failed");
        let stdio = |fd: RawFd| unsafe { Stdio::from_raw_fd(libc::dup(fd)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlcontain"));
        cmd.args(args)
            .current_dir(dir)
            .env_clear()
            .stdin(stdio(slave))
            .stdout(stdio(slave))
            .stderr(stdio(slave));
        for (k, v) in env {
            cmd.env(k, v);
        }
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn mlcontain");
        unsafe { libc::close(slave) };
        let master = unsafe { File::from_raw_fd(master) };
        let mut reader = master.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Pty {
            master,
            child,
            rx,
            parser: vt100::Parser::new(
                std::num::NonZeroU16::new(ROWS).unwrap(),
                std::num::NonZeroU16::new(COLS).unwrap(),
                0,
            ),
            raw: vec![],
        }
    }

    /// Feed the output that arrived; answer cursor-position queries.
    fn pump(&mut self, wait: Duration) -> bool {
        match self.rx.recv_timeout(wait) {
            Ok(bytes) => {
                self.parser.process(&bytes);
                self.raw.extend_from_slice(&bytes);
                if bytes.windows(4).any(|w| w == b"\x1b[6n") {
                    let (r, c) = self.parser.screen().cursor_position();
                    let _ = write!(self.master, "\x1b[{};{}R", r + 1, c + 1);
                }
                true
            }
            Err(_) => false,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Wait until the screen shows `text` (panics with the screen after `timeout`).
    pub fn expect(&mut self, text: &str, timeout: Duration) {
        let end = Instant::now() + timeout;
        while !self.screen().contains(text) {
            if Instant::now() > end {
                panic!(
                    "timed out waiting for {text:?}; screen:\n{}\n--- raw tail:\n{}",
                    self.screen(),
                    String::from_utf8_lossy(&self.raw[self.raw.len().saturating_sub(2000)..])
                );
            }
            self.pump(Duration::from_millis(50));
        }
    }

    /// Wait until `text` appears anywhere in the output stream (after the
    /// screen was cleared by the program, e.g. the written-files listing).
    pub fn expect_raw(&mut self, text: &str, timeout: Duration) {
        let end = Instant::now() + timeout;
        while !String::from_utf8_lossy(&self.raw).contains(text) {
            if Instant::now() > end {
                panic!(
                    "timed out waiting for {text:?} in the output:\n{}",
                    String::from_utf8_lossy(&self.raw)
                );
            }
            self.pump(Duration::from_millis(50));
        }
    }

    pub fn send(&mut self, s: &str) {
        self.master.write_all(s.as_bytes()).unwrap();
        self.master.flush().unwrap();
        // Let the program read it as its own key.
        std::thread::sleep(Duration::from_millis(30));
        while self.pump(Duration::from_millis(1)) {}
    }

    /// Wait for the exit status (bounded).
    pub fn wait(&mut self, timeout: Duration) -> i32 {
        let end = Instant::now() + timeout;
        loop {
            while self.pump(Duration::from_millis(10)) {}
            if let Some(st) = self.child.try_wait().unwrap() {
                while self.pump(Duration::from_millis(20)) {}
                return st.code().unwrap_or(-1);
            }
            if Instant::now() > end {
                panic!(
                    "mlcontain did not exit; screen:\n{}\nraw:\n{}",
                    self.screen(),
                    String::from_utf8_lossy(&self.raw)
                );
            }
        }
    }
}

/// An environment without GPUs or docker: deterministic and fast.
fn env(tmp: &Path) -> Vec<(&'static str, String)> {
    let bin = tmp.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    vec![
        ("PATH", bin.display().to_string()),
        ("HOME", tmp.display().to_string()),
        ("TERM", "xterm-256color".into()),
        ("LANG", "C.UTF-8".into()),
        (
            "MLCONTAIN_NVML_LIB",
            "/nonexistent/libnvidia-ml.so.1".into(),
        ),
    ]
}

const T: Duration = Duration::from_secs(20);

fn repo() -> (tempfile::TempDir, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("requirements.txt"),
        "torch==2.5.1\nnumpy\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("train.py"), "print('train')\n").unwrap();
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
    unsafe { libc::kill(p.child.id() as i32, libc::SIGTERM) };
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
    p.expect("Framework version:", T);
    p.send("\r");
    p.expect("CUDA (or CPU):", T);
    p.send("\r");
    p.expect("Python version:", T);
    p.send("\r");
    p.expect("Package manager:", T);
    p.send("\r");
    p.expect("Stages", T);
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
    p.send("\r"); // Write the files
    let code = p.wait(T);
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
