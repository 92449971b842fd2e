//! The line-by-line wizard: `mlcontain --plain`, or a terminal that cannot
//! host the full-screen UI (`TERM=dumb`). The same questions in the same
//! order, with the same options, defaults and validation as the full-screen
//! wizard (all from [`crate::tui::form`]). How each question is asked is the
//! backend's: inquire's prompts ([`rich`]) on a terminal that can move a
//! cursor, plain numbered lines ([`dumb`]) on one that cannot (`TERM=dumb`
//! or unset) or when the questions do not go to a terminal. Back one
//! question: Esc (`<` in plain lines); Ctrl-C cancels.

pub mod dumb;
pub mod question;
pub mod rich;

use crate::choices::{Choices, Stage};
use crate::facts::Facts;
use crate::plan::plan;
use crate::render::FileKind;
use crate::tui::app::{Ended, Outcome};
use crate::tui::form::{self, Field, FieldKind, Step, Value};
use crate::usecase::prepare::{prepare, Rendered};
use crate::write::{unified_diff, FileStatus};
use anyhow::Result;
use question::{Answer, Ask, Confirm, Multi, Select, Text};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// `eprintln!` with the control characters of the text (file names and
/// contents from the project) spelled out: nothing printed moves the cursor.
macro_rules! say {
    () => {
        eprintln!()
    };
    ($($t:tt)*) => {
        eprintln!("{}", crate::redact::terminal_safe(&format!($($t)*)))
    };
}

/// `eprint!`, the same way.
macro_rules! say_part {
    ($($t:tt)*) => {
        eprint!("{}", crate::redact::terminal_safe(&format!($($t)*)))
    };
}

/// Whether questions are asked as plain lines: `TERM` is `dumb` or unset
/// (or empty), or stderr, where the questions go, is not a terminal.
pub fn plain_lines() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    term.is_empty() || term == "dumb" || !std::io::stderr().is_terminal()
}

/// Ask the questions; Ended::Done with the outcome, the facts and the
/// answers. Nothing is written here: the caller writes and builds.
pub fn run(dir: &Path, choices: Choices, colour: bool, allow_low_uid: bool) -> Result<Ended> {
    if plain_lines() {
        let mut ask = dumb::Dumb::stdio();
        wizard(&mut ask, dumb::restore, dir, choices, allow_low_uid)
    } else {
        let mut ask = rich::Rich::new(colour);
        wizard(
            &mut ask,
            crate::term::restore_prompt,
            dir,
            choices,
            allow_low_uid,
        )
    }
}

/// The questions, asked with `ask`; `restore` undoes its terminal modes.
fn wizard(
    ask: &mut dyn Ask,
    restore: fn(),
    dir: &Path,
    choices: Choices,
    allow_low_uid: bool,
) -> Result<Ended> {
    // SIGHUP/SIGINT/SIGTERM or a vanished terminal: a prompt's read cannot
    // be interrupted, so the watch restores the terminal and exits at once.
    let _watch = crate::term::Watch::start(
        crate::term::WatchOptions {
            grace: Duration::ZERO,
            suspend: false,
            restore,
        },
        |_| {},
    )?;
    say!("mlcontain: detecting GPUs, tools and the project…");
    let facts = crate::detect::detect_all(dir, crate::detect::DEFAULT_DEADLINE);
    print_host(&facts);
    let notes = crate::usecase::session::dir_notes(dir);
    for (note, _) in &notes {
        say!("  Folder: {note}");
    }

    let fields: Vec<(Step, Field)> = Step::ALL
        .iter()
        .filter(|s| !matches!(s, Step::Host | Step::Review))
        .flat_map(|s| s.fields().iter().map(move |f| (*s, *f)))
        .collect();
    let mut c = choices;
    let mut i = 0;
    let mut last_step = None;
    while i < fields.len() {
        let (step, field) = fields[i];
        if !form::applies(field, &facts, &c, plan(&facts, &c).as_ref().ok()) {
            // Not asked with these answers (the Kubernetes flavour without kubernetes).
            i += 1;
            continue;
        }
        if last_step != Some(step) {
            say!(
                "\n── {}/{} {} ──",
                step.index() + 1,
                Step::ALL.len(),
                step.title()
            );
            last_step = Some(step);
        }
        match question(ask, field, &facts, &c, allow_low_uid)? {
            Answer::Value(next) => {
                c = next;
                i += 1;
            }
            Answer::Back => {
                i = i.saturating_sub(1);
                last_step = None;
            }
            Answer::Cancel => return Ok(Ended::Done(Outcome::Cancelled, facts, c)),
            Answer::Stop(s) => return Ok(Ended::Stopped(s)),
        }
    }
    say!("\n── {}/{} Review ──", Step::ALL.len(), Step::ALL.len());
    if let Some((why, _)) = notes.iter().find(|(_, blocks)| *blocks) {
        say!(
            "  ✗ cannot write: {why}. The same files, from a shell that can write there:\n    {}",
            crate::fixes::init_command(&c)
        );
        return Ok(Ended::Done(Outcome::Cancelled, facts, c));
    }
    match review(ask, dir, &facts, &c)? {
        Answer::Value(outcome) => Ok(Ended::Done(outcome, facts, c)),
        Answer::Stop(s) => Ok(Ended::Stopped(s)),
        Answer::Back | Answer::Cancel => Ok(Ended::Done(Outcome::Cancelled, facts, c)),
    }
}

fn print_host(f: &Facts) {
    if f.gpus.is_empty() {
        say!(
            "  GPUs: none{}",
            f.nvml
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    }
    for g in &f.gpus {
        say!("  GPU {}: {}", g.index, g.label());
    }
    if let Some(d) = &f.driver {
        say!(
            "  Driver: {}{}",
            d.version,
            d.cuda_max
                .as_ref()
                .map(|c| format!(" (CUDA {c})"))
                .unwrap_or_default()
        );
    }
}

/// One question; the new choices.
fn question(
    ask: &mut dyn Ask,
    field: Field,
    facts: &Facts,
    c: &Choices,
    allow_low_uid: bool,
) -> Result<Answer<Choices>> {
    let current = plan(facts, c);
    let p = current.as_ref().ok();
    if let Err(e) = &current {
        say!("  ✗ {}", form::plan_error_text(e));
    }
    if let Some(p) = p {
        for e in p
            .explanations
            .iter()
            .filter(|e| field.topics().contains(&e.topic))
        {
            say!("  why: {}", e.text);
        }
    }
    match field.kind() {
        FieldKind::Select => {
            let opts = form::options(field, facts, c, p);
            let def = form::default_index(field, &opts, facts, c, p);
            // One note per question: the options not offered, grouped by reason.
            let mut by_reason: Vec<(String, Vec<String>)> = vec![];
            for o in opts.iter().filter(|o| o.disabled.is_some()) {
                let why = o.disabled.clone().unwrap_or_default();
                match by_reason.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, labels)) => labels.push(o.label.clone()),
                    None => by_reason.push((why, vec![o.label.clone()])),
                }
            }
            if let Some((why, _)) = by_reason.first() {
                let labels: Vec<String> = by_reason
                    .iter()
                    .flat_map(|(_, l)| l.iter().cloned())
                    .collect();
                let more = match by_reason.len() - 1 {
                    0 => String::new(),
                    n => format!(" (and {n} more reason{})", if n == 1 { "" } else { "s" }),
                };
                say!("  not offered: {} — {why}{more}", labels.join(", "));
            }
            let enabled: Vec<(usize, String)> = opts
                .iter()
                .enumerate()
                .filter(|(_, o)| o.disabled.is_none())
                .map(|(i, o)| {
                    let label = match &o.warning {
                        Some(_) => format!("{} (won't run on this host)", o.label),
                        None => o.label.clone(),
                    };
                    (i, label)
                })
                .collect();
            if enabled.is_empty() {
                return Ok(Answer::Value(c.clone()));
            }
            if enabled.len() == 1 {
                // Nothing to choose: say the answer and go on.
                let o = &opts[enabled[0].0];
                say!(
                    "{} {} (the only option here)",
                    field.question(),
                    enabled[0].1
                );
                return Ok(Answer::Value(form::choose(field, c, p, &o.value)));
            }
            let start = enabled.iter().position(|(i, _)| *i == def).unwrap_or(0);
            let labels: Vec<String> = enabled.iter().map(|(_, l)| l.clone()).collect();
            let r = ask.select(&Select {
                prompt: field.question(),
                options: labels,
                default: start,
                help: Some(field.help()),
            })?;
            Ok(match r {
                Answer::Value(choice) => {
                    let o = &opts[enabled[choice].0];
                    if let Some(w) = &o.warning {
                        say!("  warning: {w}");
                    }
                    Answer::Value(form::choose(field, c, p, &o.value))
                }
                Answer::Back => Answer::Back,
                Answer::Cancel => Answer::Cancel,
                Answer::Stop(s) => Answer::Stop(s),
            })
        }
        FieldKind::Multi => ask_multi(ask, field, facts, c, p),
        FieldKind::Text => {
            let initial = form::text_of(field, c);
            let placeholder = form::placeholder(field, p);
            let check = |s: &str| match form::set_text(field, c, facts, s, allow_low_uid) {
                Ok(_) => Ok(()),
                Err(e) if field == Field::Uid && form::is_low_uid(s) => Err(format!(
                    "{e}; or start again with `mlcontain init --allow-low-uid`"
                )),
                Err(e) => Err(e),
            };
            let r = ask.text(&Text {
                prompt: field.question(),
                initial: &initial,
                placeholder: &placeholder,
                help: field.help(),
                check: &check,
            })?;
            Ok(match r {
                Answer::Value(s) => {
                    if s.trim().is_empty() {
                        // Echo what an empty answer means.
                        say!("  → {placeholder} (default)");
                    }
                    Answer::Value(
                        form::set_text(field, c, facts, &s, allow_low_uid)
                            .map_err(anyhow::Error::msg)?,
                    )
                }
                Answer::Back => Answer::Back,
                Answer::Cancel => Answer::Cancel,
                Answer::Stop(s) => Answer::Stop(s),
            })
        }
        FieldKind::Info | FieldKind::Review => Ok(Answer::Value(c.clone())),
    }
}

/// The stages question: a multi-select validated as a set.
fn ask_multi(
    ask: &mut dyn Ask,
    field: Field,
    facts: &Facts,
    c: &Choices,
    p: Option<&crate::plan::Plan>,
) -> Result<Answer<Choices>> {
    let opts = form::options(field, facts, c, p);
    let defaults: Vec<usize> = opts
        .iter()
        .enumerate()
        .filter(|(_, o)| form::is_on(c, p, &o.value))
        .map(|(i, _)| i)
        .collect();
    let labels: Vec<String> = opts.iter().map(|o| o.label.clone()).collect();
    fn check(sel: &[usize]) -> Result<(), String> {
        let stages: Vec<Stage> = sel
            .iter()
            .filter_map(|i| Stage::ALL.get(*i).copied())
            .collect();
        form::check_stages(&stages)
    }
    let r = ask.multi(&Multi {
        prompt: field.question(),
        options: labels,
        defaults,
        check,
    })?;
    Ok(match r {
        Answer::Value(sel) => {
            let mut stages: Vec<Stage> = sel
                .iter()
                .filter_map(|i| match opts[*i].value {
                    Value::Stage(s) => Some(s),
                    _ => None,
                })
                .collect();
            stages.sort();
            let planned: Option<Vec<Stage>> = p.map(|p| p.stages.clone());
            let mut n = c.clone();
            if planned.as_ref() != Some(&stages) {
                n.stages = Some(stages);
            }
            Answer::Value(n)
        }
        Answer::Back => Answer::Back,
        Answer::Cancel => Answer::Cancel,
        Answer::Stop(s) => Answer::Stop(s),
    })
}

/// List the files; confirm each changed one; write, write and build, or cancel.
fn review(ask: &mut dyn Ask, dir: &Path, facts: &Facts, c: &Choices) -> Result<Answer<Outcome>> {
    let rendered = match prepare(dir, facts, c) {
        Ok(r) => r,
        Err(e) => {
            say!("  ✗ {e:#}");
            return Ok(Answer::Cancel);
        }
    };
    for e in &rendered.plan.explanations {
        say!("  why: {}", e.text);
    }
    for w in &rendered.plan.warnings {
        say!("  warning: {w}");
    }
    for (f, st, _) in &rendered.files {
        let what = match (f.kind, st) {
            (FileKind::Scaffold, FileStatus::New) => "scaffold",
            (FileKind::Scaffold, _) => "kept",
            (_, s) => s.as_str(),
        };
        say!("  {what:<10} {}", f.path);
    }
    if rendered.plan.code.kept_dockerfile.is_some() {
        say!("  kept       Dockerfile (the project's; compose builds its stages)");
    }
    let mut replace = vec![];
    for (f, st, existing) in &rendered.files {
        if f.kind != FileKind::Generated || *st != FileStatus::Changed {
            continue;
        }
        say_part!(
            "{}",
            unified_diff(&f.path, existing.as_deref().unwrap_or(""), &f.contents)
        );
        let r = ask.confirm(&Confirm {
            prompt: &format!(
                "Replace {}? (the old one is kept as {}.bak)",
                f.path, f.path
            ),
            default: false,
        })?;
        match r {
            Answer::Value(true) => replace.push(f.path.clone()),
            Answer::Value(false) | Answer::Back => {}
            Answer::Cancel => return Ok(Answer::Cancel),
            Answer::Stop(s) => return Ok(Answer::Stop(s)),
        }
    }
    loop {
        let actions = vec![
            "Write the files".to_string(),
            "Write the files and build the images".to_string(),
            "Show the files first (new ones whole, changed ones as a diff)".to_string(),
            "Cancel (write nothing)".to_string(),
        ];
        let r = ask.select(&Select {
            prompt: "Next:",
            options: actions,
            default: 0,
            help: None,
        })?;
        return Ok(match r {
            Answer::Value(0) => Answer::Value(Outcome::Write { replace }),
            Answer::Value(1) => Answer::Value(Outcome::WriteAndBuild { replace }),
            Answer::Value(2) => {
                show_files(&rendered);
                continue;
            }
            Answer::Stop(s) => Answer::Stop(s),
            _ => Answer::Cancel,
        });
    }
}

/// Every file as it would be written: new ones whole, changed ones as a
/// diff against the disk, unchanged and kept ones named.
fn show_files(r: &Rendered) {
    for (f, st, existing) in &r.files {
        match (f.kind, st) {
            (_, FileStatus::Unchanged) => say!("==> {} (unchanged)", f.path),
            (FileKind::Scaffold, FileStatus::Changed) => {
                say!("==> {} (exists; kept)", f.path)
            }
            (_, FileStatus::Changed) => say_part!(
                "{}",
                unified_diff(&f.path, existing.as_deref().unwrap_or(""), &f.contents)
            ),
            (_, FileStatus::New) => {
                say!("==> {} (new) <==", f.path);
                say_part!("{}", f.contents);
                if !f.contents.ends_with('\n') {
                    say!();
                }
            }
        }
    }
}
