//! The wizard: a full-screen UI (ratatui + crossterm) or, with `--plain` or
//! on a terminal that cannot host it, line-by-line prompts (`crate::prompt`).
//!
//! Architecture (ratatui's event-driven template): one loop draws a frame,
//! then handles one event from a single channel fed by an input thread
//! (keys, mouse, resize, ticks for spinners) and by the detection threads.
//! [`app::App`] is the pure state machine; [`ui`] draws it. Both modes end
//! in an [`app::Outcome`]; files are written (and the build started) only
//! after the terminal is restored, so docker's output shows normally.

pub mod app;
pub mod form;
pub mod highlight;
pub mod ui;

use crate::choices::Choices;
use crate::cli::InitArgs;
use crate::commands::init::{load_saved, merge_choices, prepare, write_files};
use crate::facts::Facts;
use crate::render::{FileKind, CONFIG};
use crate::write::{read_existing, FileStatus};
use anyhow::{bail, Result};
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

/// The exit status after SIGTERM/SIGINT/SIGHUP (128 + SIGTERM).
const TERMINATED: u8 = 143;

/// Run the interactive wizard: full-screen, or line-by-line prompts when
/// `plain` is set or the terminal cannot host the full-screen UI.
pub fn run(dir: &Path, args: &InitArgs, plain: bool) -> Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    if !args.yes && !std::io::stdin().is_terminal() {
        bail!(
            "stdin is not a terminal, so mlcontain cannot ask its questions.\n\
             Run `mlcontain init --yes` to take the defaults (or the answers in {CONFIG}),\n\
             adding flags such as --framework pytorch --cuda 12.4 --python 3.11 to choose."
        );
    }
    let saved = load_saved(dir)?;
    let choices = merge_choices(args, saved.as_ref());
    let colour = colour_enabled();

    let ended = if !plain && can_full_screen() {
        match run_tui(dir, choices.clone(), colour) {
            Ok(e) => e,
            Err(TuiError::Init(e)) => {
                eprintln!("note: cannot open the full-screen wizard ({e}); asking line by line");
                crate::prompt::run(dir, choices, colour)?
            }
            Err(TuiError::Other(e)) => return Err(e),
        }
    } else {
        crate::prompt::run(dir, choices, colour)?
    };
    match ended {
        Ended::Terminated => {
            eprintln!("mlcontain: terminated; nothing was written.");
            Ok(TERMINATED)
        }
        Ended::Done(Outcome::Cancelled, ..) => {
            eprintln!("Cancelled; nothing was written.");
            Ok(1)
        }
        Ended::Done(outcome, facts, choices) => finish(dir, &facts, &choices, &outcome),
    }
}

/// How a wizard run ended.
#[allow(clippy::large_enum_variant)] // made once per run
pub enum Ended {
    Done(Outcome, Facts, Choices),
    /// A signal asked mlcontain to stop.
    Terminated,
}

/// NO_COLOR (any non-empty value) turns all colour off.
pub fn colour_enabled() -> bool {
    match std::env::var_os("NO_COLOR") {
        Some(v) => v.is_empty(),
        None => true,
    }
}

/// Whether this terminal can host the full-screen UI.
pub fn can_full_screen() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    if term.is_empty() || term == "dumb" {
        return false;
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return false;
    }
    matches!(crossterm::terminal::size(), Ok((w, h)) if w > 0 && h > 0)
}

/// Write the files (new ones, and the changed ones the user confirmed),
/// then build when asked. Runs with the terminal restored.
pub fn finish(dir: &Path, facts: &Facts, choices: &Choices, outcome: &Outcome) -> Result<u8> {
    let (replace, build) = match outcome {
        Outcome::Cancelled => return Ok(1),
        Outcome::Write { replace } => (replace, false),
        Outcome::WriteAndBuild { replace } => (replace, true),
    };
    crate::commands::init::ensure_readable_manifests(facts)?;
    let mut rendered = prepare(dir, facts, choices)?;
    rendered.files.retain(|(f, st, _)| {
        let keep = !(f.kind == FileKind::Generated
            && *st == FileStatus::Changed
            && !replace.contains(&f.path));
        if !keep {
            println!(
                "  kept       {} (differs; you chose not to replace it)",
                f.path
            );
        }
        keep
    });
    let code = write_files(dir, &rendered, true, true)?;
    if code != 0 || !build {
        return Ok(code);
    }
    println!("\nBuilding the images…");
    crate::commands::build::run(
        dir,
        &crate::commands::build::BuildArgs {
            target: "all".into(),
            ..Default::default()
        },
    )
}

/// The generated files as they are on disk now.
pub fn read_disk(dir: &Path) -> BTreeMap<String, Option<String>> {
    app::PREVIEW_FILES
        .iter()
        .map(|p| (p.to_string(), read_existing(&dir.join(p)).ok().flatten()))
        .collect()
}

enum TuiError {
    /// The terminal could not be set up: fall back to prompts.
    Init(std::io::Error),
    Other(anyhow::Error),
}

fn run_tui(dir: &Path, choices: Choices, colour: bool) -> Result<Ended, TuiError> {
    // Detection starts first: the first frame does not wait for it.
    let detect_rx = crate::detect::spawn_detection(dir.to_path_buf(), DETECT_DEADLINE);
    let disk = read_disk(dir);
    let mut app = App::new(Facts::default(), Pending::all(), choices, disk);
    app.color = colour;

    // Signals: a flag the loop checks; after the wizard, the default action again.
    let stop_signal = Arc::new(AtomicBool::new(false));
    let after = Arc::new(AtomicBool::new(false));
    let mut sig_ids = vec![];
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        if let Ok(id) = signal_hook::flag::register_conditional_default(sig, after.clone()) {
            sig_ids.push(id);
        }
        if let Ok(id) = signal_hook::flag::register(sig, stop_signal.clone()) {
            sig_ids.push(id);
        }
    }

    let mut terminal = ratatui::try_init().map_err(TuiError::Init)?;
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    install_mouse_panic_hook();

    let (tx, rx) = mpsc::channel::<Event>();
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
                    if tx.send(Event::Detect(d)).is_err() {
                        break;
                    }
                }
            });
    }
    drop(tx);

    let result = event_loop(&mut terminal, &mut app, &rx, &stop_signal);

    stop_input.store(true, Ordering::SeqCst);
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    after.store(true, Ordering::SeqCst);
    if let Some(h) = input {
        let _ = h.join();
    }
    let outcome = result.map_err(TuiError::Other)?;
    Ok(match outcome {
        None => Ended::Terminated,
        Some(o) => Ended::Done(o, app.facts.clone(), app.choices.clone()),
    })
}

/// Draw, then handle one event (and any queued behind it). None: a signal.
fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    rx: &mpsc::Receiver<Event>,
    stop_signal: &AtomicBool,
) -> Result<Option<Outcome>> {
    let size = terminal.size()?;
    app.handle(Event::Resize(size.width, size.height));
    app.preview_height = ui::preview_height(size.width, size.height);
    let mut dirty = true;
    loop {
        if stop_signal.load(Ordering::SeqCst) {
            return Ok(None);
        }
        if dirty {
            terminal.draw(|f| f.render_widget(&*app, f.area()))?;
        }
        let ev = match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(ev) => ev,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                dirty = false;
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the terminal input stopped"),
        };
        dirty = !matches!(ev, Event::Tick) || app.pending.any();
        if let Event::Resize(w, h) = ev {
            app.preview_height = ui::preview_height(w, h);
            terminal.autoresize()?;
        }
        if let Some(o) = app.handle(ev) {
            return Ok(Some(o));
        }
    }
}

/// Reads terminal events; a tick every 100 ms without input.
fn input_loop(tx: mpsc::Sender<Event>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        let ev = match cevent::poll(Duration::from_millis(100)) {
            Ok(true) => match cevent::read() {
                Ok(cevent::Event::Key(k)) => Event::Key(k),
                Ok(cevent::Event::Mouse(m)) => Event::Mouse(m),
                Ok(cevent::Event::Resize(w, h)) => Event::Resize(w, h),
                Ok(_) => continue,
                Err(_) => break,
            },
            Ok(false) => Event::Tick,
            Err(_) => break,
        };
        if tx.send(ev).is_err() {
            break;
        }
    }
}

/// ratatui's panic hook restores the terminal; also release the mouse.
fn install_mouse_panic_hook() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        hook(info);
    }));
}
