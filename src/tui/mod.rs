//! The full-screen wizard (ratatui + crossterm). With `--plain`, or on a
//! terminal that cannot host it, the init command asks line by line
//! instead (`crate::prompt`, the same questions from [`form`]).
//!
//! Architecture (ratatui's event-driven template): one loop draws a frame,
//! then handles one event from a single channel fed by an input thread
//! (keys, mouse, resize, ticks for spinners) and by the detection threads.
//! [`app::App`] is the pure state machine; [`ui`] draws it. Both wizards
//! end in an [`app::Ended`] and write nothing: the init command writes the
//! files (and starts the build) after the terminal is restored, so docker's
//! output shows normally.

pub mod app;
pub mod form;
pub mod highlight;
pub mod keymap;
pub mod layout;
pub mod ui;

use crate::choices::Choices;
use crate::facts::Facts;
use crate::term::{Notice, Stop, Watch, WatchOptions};
use crate::write::read_existing;
use anyhow::{bail, Result};
pub use app::Ended;
use app::{App, Event, Outcome, Pending};
use crossterm::event::{self as cevent, DisableMouseCapture, EnableMouseCapture};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How long the wizard's background probes may take.
pub const DETECT_DEADLINE: Duration = crate::detect::DEFAULT_DEADLINE;

/// NO_COLOR (any non-empty value) turns all colour off.
pub fn colour_enabled() -> bool {
    match std::env::var_os("NO_COLOR") {
        Some(v) => v.is_empty(),
        None => true,
    }
}

/// Whether this terminal can host the full-screen UI.
pub fn can_full_screen() -> bool {
    full_screen_blocker().is_none()
}

/// Why this terminal cannot host the full-screen UI, if it cannot.
pub fn full_screen_blocker() -> Option<&'static str> {
    let term = std::env::var("TERM").unwrap_or_default();
    if term.is_empty() {
        return Some("TERM is not set");
    }
    if term == "dumb" {
        return Some("TERM=dumb (no cursor control)");
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Some("stdin or stdout is not a terminal");
    }
    match crossterm::terminal::size() {
        Ok((w, h)) if w > 0 && h > 0 => None,
        _ => Some("the terminal's size is unknown"),
    }
}

/// Most files read under `deploy/` for the preview's comparison.
const DEPLOY_FILES_MAX: usize = 200;

/// The generated files as they are on disk now: the fixed ones, the user's
/// own compose file names, the bake file, and what is under `deploy/`
/// (bounded; links and special files are not followed or read).
pub fn read_disk(dir: &Path) -> BTreeMap<String, Option<String>> {
    let mut paths: Vec<String> = app::PREVIEW_FILES.iter().map(|p| p.to_string()).collect();
    paths.extend(
        ["docker-compose.yml", "docker-compose.yaml", "compose.yml"]
            .iter()
            .map(|p| p.to_string()),
    );
    paths.push(crate::render::bake::BAKE.to_string());
    let mut stack = vec![std::path::PathBuf::from("deploy")];
    let mut found = 0;
    while let Some(rel) = stack.pop() {
        let real_dir = std::fs::symlink_metadata(dir.join(&rel)).is_ok_and(|m| m.is_dir());
        if !real_dir {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            let child = rel.join(e.file_name());
            if t.is_dir() {
                stack.push(child);
            } else if t.is_file() && found < DEPLOY_FILES_MAX {
                if let Some(s) = child.to_str() {
                    paths.push(s.to_string());
                    found += 1;
                }
            }
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let text = read_existing(&dir.join(&p)).ok().flatten();
            (p, text)
        })
        .collect()
}

/// Why the full-screen wizard did not end in an [`Ended`].
pub enum TuiError {
    /// The terminal could not be set up: fall back to prompts.
    Init(std::io::Error),
    Other(anyhow::Error),
}

/// What the wizard's loop receives: the app's events, and the watch's notices.
#[allow(clippy::large_enum_variant)] // one per event; boxing buys nothing here
enum Msg {
    App(Event),
    Term(Notice),
}

/// Undo the full-screen terminal modes (best-effort; also from the watch).
/// Each step on its own and silent: on a terminal that is gone every one
/// fails, and printing that would fail too (ratatui's own restore prints).
fn restore_full_screen() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// ratatui's `try_init` without its panic hook (which prints when the
/// terminal is gone, and so panics inside the panic).
fn init_full_screen() -> std::io::Result<ratatui::DefaultTerminal> {
    crossterm::terminal::enable_raw_mode()?;
    if let Err(e) = crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        EnableMouseCapture
    ) {
        restore_full_screen();
        return Err(e);
    }
    install_restore_panic_hook();
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
}

/// Run the full-screen wizard, starting from `choices`; it returns how it
/// ended (the answers and what to write) and writes nothing: the caller
/// writes and builds, with the terminal restored.
pub fn run(
    dir: &Path,
    choices: Choices,
    colour: bool,
    allow_low_uid: bool,
) -> Result<Ended, TuiError> {
    // Detection starts first: the first frame does not wait for it.
    let detect_rx = crate::detect::spawn_detection(dir.to_path_buf(), DETECT_DEADLINE);
    let disk = read_disk(dir);
    let mut app = App::new(Facts::default(), Pending::all(), choices, disk);
    if let Ok(abs) = crate::usecase::project::absolute_dir(dir) {
        app.project = crate::usecase::project::project_of(&abs);
    }
    app.host_platform = crate::elf::host_platform();
    app.allow_low_uid = allow_low_uid;
    app.refresh();
    app.color = colour;
    app.dir_notes = crate::usecase::session::dir_notes(dir);

    let (tx, rx) = mpsc::channel::<Msg>();
    // Signals and a vanished terminal end the loop; if it cannot end within
    // the grace period (a terminal that takes no output), the watch exits.
    let watch = {
        let tx = tx.clone();
        Watch::start(
            WatchOptions {
                grace: Duration::from_millis(1500),
                suspend: true,
                restore: restore_full_screen,
            },
            move |n| {
                let _ = tx.send(Msg::Term(n));
            },
        )
        .map_err(|e| TuiError::Other(e.into()))?
    };

    let mut terminal = init_full_screen().map_err(TuiError::Init)?;

    let stop_input = Arc::new(AtomicBool::new(false));
    let input = {
        let tx = tx.clone();
        let stop = stop_input.clone();
        std::thread::Builder::new()
            .name("mlcontain-input".into())
            .spawn(move || input_loop(tx, stop))
            .ok()
    };
    {
        let tx = tx.clone();
        let _ = std::thread::Builder::new()
            .name("mlcontain-detect-forward".into())
            .spawn(move || {
                for d in detect_rx {
                    if tx.send(Msg::App(Event::Detect(d))).is_err() {
                        break;
                    }
                }
            });
    }
    drop(tx);

    let result = event_loop(&mut terminal, &mut app, &rx);

    stop_input.store(true, Ordering::SeqCst);
    restore_full_screen();
    if terminal.show_cursor().is_err() {
        // Dropping it would try again and print the failure (and panic).
        std::mem::forget(terminal);
    }
    let stopped = match &result {
        Ok(LoopEnd::Stopped(s)) => Some(*s),
        // A failure raced with the terminal going away (a resize or a size
        // query on a closed terminal fails before the watch reports the
        // hangup): that is the hangup, not an error of the run.
        Err(_) => watch
            .stopped()
            .or_else(|| terminal_gone().then_some(Stop::Hangup)),
        _ => watch.stopped(),
    };
    drop(watch);
    if let Some(s) = stopped {
        // Not joined: the input thread may be stuck on a terminal that is gone.
        return Ok(Ended::Stopped(s));
    }
    if let Some(h) = input {
        let _ = h.join();
    }
    match result.map_err(TuiError::Other)? {
        LoopEnd::Stopped(s) => Ok(Ended::Stopped(s)),
        LoopEnd::Done(o) => Ok(Ended::Done(o, app.facts.clone(), app.choices.clone())),
    }
}

/// Whether the wizard's terminal has gone away (hangup or error on it).
fn terminal_gone() -> bool {
    let tty = if std::io::stdin().is_terminal() { 0 } else { 1 };
    crate::term::wait_readable(tty, Duration::ZERO).is_err() || !std::io::stdout().is_terminal()
}

/// How the event loop ended.
enum LoopEnd {
    Done(Outcome),
    Stopped(Stop),
}

/// Draw, then handle one event (and any queued behind it).
fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    rx: &mpsc::Receiver<Msg>,
) -> Result<LoopEnd> {
    let size = terminal.size()?;
    app.handle(Event::Resize(size.width, size.height));
    let mut dirty = true;
    loop {
        if dirty && terminal.draw(|f| f.render_widget(&*app, f.area())).is_err() {
            // Output fails only when the terminal is gone.
            return Ok(LoopEnd::Stopped(Stop::Hangup));
        }
        let ev = match rx.recv() {
            Ok(Msg::App(ev)) => ev,
            Ok(Msg::Term(Notice::Stop(s))) => return Ok(LoopEnd::Stopped(s)),
            Ok(Msg::Term(Notice::Suspend)) => {
                suspend(terminal)?;
                dirty = true;
                continue;
            }
            Ok(Msg::Term(Notice::Resume)) => {
                resume(terminal)?;
                dirty = true;
                continue;
            }
            Err(_) => bail!("the terminal input stopped"),
        };
        dirty = !matches!(ev, Event::Tick) || app.pending.any();
        if let Event::Resize(..) = ev {
            terminal.autoresize()?;
        }
        let outcome = app.handle(ev);
        if std::mem::take(&mut app.suspend) {
            suspend(terminal)?;
            dirty = true;
        }
        if let Some(o) = outcome {
            return Ok(LoopEnd::Done(o));
        }
    }
}

/// Ctrl-Z or SIGTSTP: give the terminal back to the shell, stop, and take
/// it again when continued (`fg`).
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    restore_full_screen();
    crate::term::stop_self();
    resume(terminal)
}

/// Continued (after our own stop or someone else's SIGSTOP): the shell may
/// have reset the terminal, so set it up again and redraw everything.
fn resume(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        EnableMouseCapture
    )?;
    // Clears and forces a full redraw (`clear` would ask the terminal
    // where its cursor is, and wait for the answer).
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok(())
}

/// Reads terminal events; a tick every 100 ms without input. Waits in
/// poll(2) on the terminal itself, so a terminal that is gone (POLLHUP) is
/// reported instead of read from in a loop.
fn input_loop(tx: mpsc::Sender<Msg>, stop: Arc<AtomicBool>) {
    let tty = if std::io::stdin().is_terminal() { 0 } else { 1 };
    while !stop.load(Ordering::SeqCst) {
        let ready = match crate::term::wait_readable(tty, Duration::from_millis(100)) {
            Ok(r) => r,
            Err(()) => {
                let _ = tx.send(Msg::Term(Notice::Stop(Stop::Hangup)));
                return;
            }
        };
        // Drain what crossterm has (keys, and a resize it learnt by SIGWINCH).
        loop {
            match cevent::poll(Duration::ZERO) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => {
                    let _ = tx.send(Msg::Term(Notice::Stop(Stop::Hangup)));
                    return;
                }
            }
            let ev = match cevent::read() {
                Ok(cevent::Event::Key(k)) => Event::Key(k),
                Ok(cevent::Event::Mouse(m)) => Event::Mouse(m),
                Ok(cevent::Event::Resize(w, h)) => Event::Resize(w, h),
                Ok(_) => continue,
                Err(_) => {
                    let _ = tx.send(Msg::Term(Notice::Stop(Stop::Hangup)));
                    return;
                }
            };
            if tx.send(Msg::App(ev)).is_err() {
                return;
            }
        }
        if !ready && tx.send(Msg::App(Event::Tick)).is_err() {
            return;
        }
    }
}

/// Restore the terminal before the panic message (silently).
fn install_restore_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_full_screen();
            hook(info);
        }));
    });
}
