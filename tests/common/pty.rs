//! The real binary on a pseudo-terminal (openpty + a vt100 screen): send
//! keystrokes, read the screen, close the terminal under it, signal it,
//! and measure the CPU it used. Every wait is bounded; the child is killed
//! when a test fails.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How the child is attached to the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attach {
    /// Its own session with the terminal as controlling terminal: closing
    /// the master sends it SIGHUP (as when it is the shell's foreground job).
    Session,
    /// The terminal only as stdin/stdout/stderr, no controlling terminal:
    /// closing the master sends no signal; reads see EOF/EIO, poll POLLHUP.
    Fds,
}

/// A child process on a pseudo-terminal, with the screen it drew.
pub struct Pty {
    closing: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
    master: Option<File>,
    /// A slave fd kept open by the test (to read the terminal's modes).
    slave: Option<File>,
    pub child: Child,
    reaped: bool,
    rx: mpsc::Receiver<Vec<u8>>,
    pub parser: vt100::Parser,
    pub raw: Vec<u8>,
}

impl Drop for Pty {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How a child ended: its status and the CPU time it used in all.
#[derive(Debug)]
pub struct Exit {
    /// The exit code, or 128 + the signal that killed it.
    pub code: i32,
    /// User + system CPU seconds (wait4's rusage).
    pub cpu: f64,
    /// From the call to `wait_cpu` to the exit.
    pub after: Duration,
}

impl Pty {
    pub fn spawn(args: &[&str], dir: &Path, env: &[(&str, String)]) -> Pty {
        Pty::spawn_with(args, dir, env, (30, 110), Attach::Session)
    }

    pub fn spawn_with(
        args: &[&str],
        dir: &Path,
        env: &[(&str, String)],
        (rows, cols): (u16, u16),
        attach: Attach,
    ) -> Pty {
        let mut master: RawFd = -1;
        let mut slave: RawFd = -1;
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
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
        // Not inherited by this child or by the other tests' children: the
        // master must close when the test closes it.
        for fd in [master, slave] {
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        let stdio =
            |fd: RawFd| unsafe { Stdio::from_raw_fd(libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0)) };
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
        if attach == Attach::Session {
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
        } else {
            unsafe {
                // Its own process group, so a signal to the tests' group
                // does not reach it.
                cmd.pre_exec(|| {
                    libc::setpgid(0, 0);
                    Ok(())
                });
            }
        }
        let child = cmd.spawn().expect("spawn mlcontain");
        let slave = unsafe { File::from_raw_fd(slave) };
        let master = unsafe { File::from_raw_fd(master) };
        let mut reader = master.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        let closing = Arc::new(AtomicBool::new(false));
        let stop = closing.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Waits in poll so that `close_master` can end it (and close its fd).
            while !stop.load(Ordering::SeqCst) {
                let mut p = libc::pollfd {
                    fd: reader.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                if unsafe { libc::poll(&mut p, 1, 20) } <= 0 {
                    continue;
                }
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
            closing,
            reader: Some(reader),
            master: Some(master),
            slave: Some(slave),
            child,
            reaped: false,
            rx,
            parser: vt100::Parser::new(
                std::num::NonZeroU16::new(rows).unwrap(),
                std::num::NonZeroU16::new(cols).unwrap(),
                0,
            ),
            raw: vec![],
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Feed the output that arrived; answer cursor-position queries.
    fn pump(&mut self, wait: Duration) -> bool {
        match self.rx.recv_timeout(wait) {
            Ok(bytes) => {
                self.parser.process(&bytes);
                self.raw.extend_from_slice(&bytes);
                if bytes.windows(4).any(|w| w == b"\x1b[6n") {
                    let (r, c) = self.parser.screen().cursor_position();
                    if let Some(m) = self.master.as_mut() {
                        let _ = write!(m, "\x1b[{};{}R", r + 1, c + 1);
                    }
                }
                true
            }
            Err(_) => false,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).to_string()
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

    /// Let output arrive for `d` without waiting for anything in particular.
    pub fn settle(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            self.pump(Duration::from_millis(10));
        }
    }

    pub fn send(&mut self, s: &str) {
        let m = self.master.as_mut().expect("the terminal is open");
        m.write_all(s.as_bytes()).unwrap();
        m.flush().unwrap();
        // Let the program read it as its own key.
        std::thread::sleep(Duration::from_millis(30));
        while self.pump(Duration::from_millis(1)) {}
    }

    /// Close the terminal's master side, as a closed terminal window or a
    /// dropped SSH session does (the test's own slave fd too).
    pub fn close_master(&mut self) {
        while self.pump(Duration::from_millis(1)) {}
        self.closing.store(true, Ordering::SeqCst);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.slave.take();
        self.master.take();
    }

    pub fn signal(&self, sig: i32) {
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// The terminal's local modes (ICANON, ECHO…), read through the slave.
    pub fn lflag(&self) -> libc::tcflag_t {
        let fd = self.slave.as_ref().expect("slave open").as_raw_fd();
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
        t.c_lflag
    }

    /// The process state letter from /proc (R, S, T…).
    pub fn state(&self) -> char {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        let after = stat.rsplit_once(')').unwrap().1;
        after.trim_start().chars().next().unwrap()
    }

    /// Wait until the process state is `want` (bounded).
    pub fn expect_state(&mut self, want: char, timeout: Duration) {
        let end = Instant::now() + timeout;
        while self.state() != want {
            while self.pump(Duration::from_millis(1)) {}
            if self.state() == 'Z' {
                panic!(
                    "exited ({}) instead of state {want}; output:\n{}",
                    self.child
                        .try_wait()
                        .map(|s| format!("{s:?}"))
                        .unwrap_or_default(),
                    self.raw_text()
                );
            }
            assert!(
                Instant::now() < end,
                "state {} instead of {want}",
                self.state()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait until the process state is no longer `not` (bounded).
    pub fn expect_state_not(&mut self, not: char, timeout: Duration) {
        let end = Instant::now() + timeout;
        while self.state() == not {
            while self.pump(Duration::from_millis(1)) {}
            assert!(Instant::now() < end, "still in state {not}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait until `text` appears in the output after byte `from`.
    pub fn expect_raw_after(&mut self, from: usize, text: &str, timeout: Duration) {
        let end = Instant::now() + timeout;
        loop {
            let from = from.min(self.raw.len());
            if String::from_utf8_lossy(&self.raw[from..]).contains(text) {
                return;
            }
            if Instant::now() > end {
                panic!(
                    "timed out waiting for {text:?} in the output:\n{}",
                    String::from_utf8_lossy(&self.raw[from..])
                );
            }
            self.pump(Duration::from_millis(50));
        }
    }

    /// Wait for the exit (bounded by `timeout`: then the child is killed and
    /// the test fails), reaping it with wait4 to learn the CPU time it used.
    pub fn wait_cpu(&mut self, timeout: Duration) -> Exit {
        let start = Instant::now();
        loop {
            while self.pump(Duration::from_millis(1)) {}
            let mut status = 0;
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            let r = unsafe { libc::wait4(self.pid(), &mut status, libc::WNOHANG, &mut ru) };
            if r == self.pid() {
                self.reaped = true;
                while self.pump(Duration::from_millis(20)) {}
                let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
                let code = if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    128 + libc::WTERMSIG(status)
                };
                return Exit {
                    code,
                    cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
                    after: start.elapsed(),
                };
            }
            if start.elapsed() > timeout {
                let cpu = self.cpu_so_far();
                let state = self.state();
                panic!(
                    "mlcontain did not exit within {timeout:?} (state {state}, {cpu:.2} s CPU); screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// User + system CPU seconds so far, from /proc/PID/stat.
    pub fn cpu_so_far(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        let f: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
        ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
    }

    /// Wait for the exit status (bounded).
    pub fn wait(&mut self, timeout: Duration) -> i32 {
        self.wait_cpu(timeout).code
    }
}

/// An environment without GPUs or docker: deterministic and fast.
pub fn env(tmp: &Path) -> Vec<(&'static str, String)> {
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
