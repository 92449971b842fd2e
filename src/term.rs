//! The wizard's terminal lifecycle, shared by both front ends (the
//! full-screen wizard and the line-by-line prompts).
//!
//! A terminal can go away under a running wizard: the SSH session drops,
//! the window is closed. Then reads return 0 or EIO, writes fail, and the
//! kernel sends SIGHUP; or someone sends SIGTERM. Each means "quit, nothing
//! written": restore what can be restored and exit with 128 + the signal
//! (129 for SIGHUP and a vanished terminal, 130 for SIGINT, 143 for SIGTERM).
//!
//! A [`Watch`] waits for those without polling: one thread blocks on the
//! signals (signal-hook's iterator), one blocks in poll(2) on the terminal
//! for POLLHUP (a terminal whose other side closed, even when no SIGHUP
//! comes because mlcontain is not the session leader). The front end is
//! told first ([`Notice`]); if it has not finished within the grace period
//! (or at once, for the prompts, whose reads cannot be interrupted), the
//! watch restores the terminal itself and exits.
//!
//! Nothing here panics on a terminal that is gone: every write is
//! best-effort ([`say`]).

use std::io::Write;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Why the wizard has to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGHUP, or the terminal went away (POLLHUP, read returning 0/EIO).
    Hangup,
    /// SIGINT sent from outside (Ctrl-C in the wizard is a key, not this).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Stop {
    /// The exit status: 128 + the signal number.
    pub fn code(self) -> u8 {
        match self {
            Stop::Hangup => 129,
            Stop::Interrupt => 130,
            Stop::Terminate => 143,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Stop::Hangup => "mlcontain: the terminal went away; nothing was written.",
            Stop::Interrupt => "mlcontain: interrupted; nothing was written.",
            Stop::Terminate => "mlcontain: terminated; nothing was written.",
        }
    }

    fn of_signal(sig: i32) -> Option<Stop> {
        match sig {
            libc::SIGHUP => Some(Stop::Hangup),
            libc::SIGINT => Some(Stop::Interrupt),
            libc::SIGTERM => Some(Stop::Terminate),
            _ => None,
        }
    }
}

/// What the watch tells the front end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Stop(Stop),
    /// SIGTSTP: restore the terminal and stop (only with `suspend`).
    Suspend,
    /// SIGCONT: the process was continued; take the terminal back, redraw.
    Resume,
}

/// How a front end wants to be watched.
pub struct WatchOptions {
    /// How long the front end may take to end by itself after a stop,
    /// before the watch restores the terminal and exits. Zero: at once.
    pub grace: Duration,
    /// Also report SIGTSTP/SIGCONT (the full-screen wizard suspends).
    pub suspend: bool,
    /// Undo the front end's terminal modes (best-effort, must not block).
    pub restore: fn(),
}

struct Shared {
    /// Set when the wizard is over: signals get their default action again.
    disarmed: Arc<AtomicBool>,
    /// The first stop that arrived (the others are ignored).
    stopped: Mutex<Option<Stop>>,
    /// Set when the front end has ended (then the watch does not exit).
    ended: Mutex<bool>,
    ended_cv: Condvar,
    restore: fn(),
    grace: Duration,
    notify: Box<dyn Fn(Notice) + Send + Sync>,
}

impl Shared {
    /// A stop arrived: tell the front end, give it the grace period, then
    /// restore the terminal and exit.
    fn stop(&self, s: Stop) {
        if self.disarmed.load(Ordering::SeqCst) {
            return;
        }
        {
            let mut first = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_some() {
                return;
            }
            *first = Some(s);
        }
        (self.notify)(Notice::Stop(s));
        let ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        let (ended, _) = self
            .ended_cv
            .wait_timeout_while(ended, self.grace, |e| !*e)
            .unwrap_or_else(|e| e.into_inner());
        if *ended {
            return;
        }
        (self.restore)();
        say(s.message());
        std::process::exit(s.code().into());
    }
}

/// Watches for signals and for the terminal going away while a wizard runs.
/// Dropping it ends the watch (signals get their default action again).
pub struct Watch {
    shared: Arc<Shared>,
    signals: signal_hook::iterator::Handle,
    /// Write end of the pipe that wakes the hangup thread.
    wake: Option<std::fs::File>,
}

impl Watch {
    /// Start watching. `notify` is called from the watch's threads.
    pub fn start(
        opts: WatchOptions,
        notify: impl Fn(Notice) + Send + Sync + 'static,
    ) -> std::io::Result<Watch> {
        let disarmed = defaults_when_disarmed()?;
        disarmed.store(false, Ordering::SeqCst);
        let mut sigs = vec![libc::SIGHUP, libc::SIGINT, libc::SIGTERM];
        if opts.suspend {
            sigs.extend([libc::SIGTSTP, libc::SIGCONT]);
        }
        let mut signals = signal_hook::iterator::Signals::new(&sigs)?;
        let handle = signals.handle();
        let shared = Arc::new(Shared {
            disarmed,
            stopped: Mutex::new(None),
            ended: Mutex::new(false),
            ended_cv: Condvar::new(),
            restore: opts.restore,
            grace: opts.grace,
            notify: Box::new(notify),
        });
        {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("mlcontain-signals".into())
                .spawn(move || {
                    // Blocks until a signal arrives or the handle is closed.
                    for sig in signals.forever() {
                        if shared.disarmed.load(Ordering::SeqCst) {
                            break;
                        }
                        match sig {
                            libc::SIGTSTP => (shared.notify)(Notice::Suspend),
                            libc::SIGCONT => (shared.notify)(Notice::Resume),
                            s => {
                                if let Some(stop) = Stop::of_signal(s) {
                                    let shared = shared.clone();
                                    // Off this thread: a second signal still counts.
                                    let _ = std::thread::Builder::new()
                                        .name("mlcontain-stop".into())
                                        .spawn(move || shared.stop(stop));
                                }
                            }
                        }
                    }
                })?;
        }
        let ttys: Vec<RawFd> = [0, 1, 2]
            .into_iter()
            .filter(|&fd| unsafe { libc::isatty(fd) } == 1)
            .collect();
        let wake = if ttys.is_empty() {
            None
        } else {
            let (read, write) = pipe()?;
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("mlcontain-hangup".into())
                .spawn(move || {
                    if wait_hangup(&ttys, &read) {
                        shared.stop(Stop::Hangup);
                    }
                })?;
            Some(write)
        };
        Ok(Watch {
            shared,
            signals: handle,
            wake,
        })
    }

    /// The stop that arrived, if any.
    pub fn stopped(&self) -> Option<Stop> {
        *self
            .shared
            .stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        *self.shared.ended.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shared.ended_cv.notify_all();
        self.shared.disarmed.store(true, Ordering::SeqCst);
        self.signals.close();
        // Closing the write end wakes the hangup thread (POLLHUP on the pipe).
        self.wake.take();
    }
}

/// The process-wide switch between "a watch handles these signals" and
/// their default action (terminate), registered once.
fn defaults_when_disarmed() -> std::io::Result<Arc<AtomicBool>> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    static ERR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let flag = FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(true));
        for s in [libc::SIGHUP, libc::SIGINT, libc::SIGTERM] {
            if let Err(e) = signal_hook::flag::register_conditional_default(s, flag.clone()) {
                let _ = ERR.set(e.to_string());
            }
        }
        flag
    });
    match ERR.get() {
        Some(e) => Err(std::io::Error::other(e.clone())),
        None => Ok(flag.clone()),
    }
}

fn pipe() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    })
}

/// Block until one of the terminals hangs up (true) or the wake pipe is
/// closed (false). Asks poll(2) for no events on the terminals, so pending
/// input does not wake it: only POLLHUP/POLLERR/POLLNVAL do.
fn wait_hangup(ttys: &[RawFd], wake: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    let mut fds: Vec<libc::pollfd> = ttys
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        })
        .collect();
    fds.push(libc::pollfd {
        fd: wake.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    });
    loop {
        // The timeout only bounds a missed wake-up; it is not a poll loop.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 5_000) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        let (wake, ttys) = fds.split_last().expect("the wake pipe is there");
        if wake.revents != 0 {
            return false;
        }
        if ttys
            .iter()
            .any(|p| p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0)
        {
            return true;
        }
    }
}

/// Whether `fd` has input, within `timeout`: Ok(true) readable, Ok(false)
/// nothing yet, Err(()) the terminal is gone (hangup, error).
#[allow(clippy::result_unit_err)]
pub fn wait_readable(fd: RawFd, timeout: Duration) -> Result<bool, ()> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    if n < 0 {
        return if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(())
        };
    }
    if p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return Err(());
    }
    Ok(p.revents & libc::POLLIN != 0)
}

/// One line on stderr, best-effort: a terminal that is gone is no panic.
pub fn say(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
    let _ = e.flush();
}

/// Undo what the line-by-line prompts set: raw mode, bracketed paste,
/// the hidden cursor; end the half-drawn prompt line.
pub fn restore_prompt() {
    let _ = crossterm::terminal::disable_raw_mode();
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(b"\x1b[?2004l\x1b[?25h\r\n");
    let _ = e.flush();
}

/// Stop this process now (SIGSTOP), as a shell's Ctrl-Z would; returns
/// when it is continued.
pub fn stop_self() {
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
}

/// Let a closed stdout end the process quietly (`mlcontain … | head -1`),
/// as other command-line tools do, instead of failing on every write.
pub fn default_sigpipe() {
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Whether stdout gets colour: a terminal that is not `TERM=dumb`, and no
/// `NO_COLOR` (https://no-color.org: any non-empty value).
pub fn stdout_colour() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").map(|t| t == "dumb").unwrap_or(false);
    !no_color && !dumb && std::io::stdout().is_terminal()
}
