//! `mlcontain init`: plan, render, and write (or print, or check) the files.
//! The steps are the use cases of [`crate::usecase`]; this file decides
//! which ones a run takes from its flags.

use crate::choices::Choices;
use crate::cli::InitArgs;
use crate::facts::Facts;
use crate::render::{FileKind, CONFIG};
use crate::tui::app::{Ended, Outcome};
use crate::tui::TuiError;
use crate::usecase::apply::{keep_unconfirmed, lock_repo, write_files, WritePolicy};
use crate::usecase::prepare::{ensure_readable_manifests, prepare, unsafe_names, Rendered};
use crate::usecase::report::{print_context, print_entry_points, print_explanations};
use crate::usecase::session::{
    check_uid, gather_facts, load_saved, merge_layers, with_catalog_overlay,
};
use crate::write::{unified_diff, FileStatus};
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::Path;

pub fn run(dir: &Path, args: &InitArgs, plain: bool) -> Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let saved = load_saved(dir)?;
    if let Some(s) = &saved {
        let cat = crate::catalog::Catalog::embedded();
        if s.catalog() != cat.updated {
            eprintln!(
                "note: {CONFIG} was generated with catalog {}; this mlcontain has {}",
                s.catalog(),
                cat.updated
            );
        }
    }
    let interactive = !args.yes && !args.dry_run && !args.check && !args.json;
    if interactive && !std::io::stdin().is_terminal() {
        bail!(
            "stdin is not a terminal, so mlcontain cannot ask its questions.\n\
             Run `mlcontain init --yes` to take the defaults (or the answers in {CONFIG}),\n\
             adding flags such as --framework pytorch --cuda 12.4 --python 3.11 to choose."
        );
    }
    if interactive {
        return wizard(dir, args, plain);
    }
    // Writing runs take turns on one repository: each reads, diffs and
    // writes with the others waiting, so no backup is made of another
    // run's half-finished state.
    let _lock = if args.dry_run || args.check || args.json {
        None
    } else {
        let lock = lock_repo(dir)?;
        for t in crate::write::clean_stale_temps(dir) {
            println!(
                "  removed    {} (left by an interrupted run)",
                crate::redact::terminal_safe(&t)
            );
        }
        Some(lock)
    };
    let facts = gather_facts(dir)?;
    let choices = with_catalog_overlay(
        merge_layers(args.choices(), saved.as_ref()),
        args.catalog.as_deref(),
        saved.as_ref(),
    )?;
    check_uid(&choices, args.allow_low_uid)?;
    // A refusal says what does run here (each fix plans on these facts).
    if let Err(e @ crate::plan::PlanError::Incompatible(_)) = crate::plan::plan(&facts, &choices) {
        let fixes = crate::fixes::fixes(&facts, &choices);
        if !fixes.is_empty() {
            bail!(
                "{}
What runs here: {}.",
                crate::fixes::reason(&e),
                crate::fixes::render_fixes(&fixes)
            );
        }
    }
    let rendered = prepare(dir, &facts, &choices)?;

    if args.json {
        let files: Vec<serde_json::Value> = rendered
            .files
            .iter()
            .map(|(f, st, _)| {
                serde_json::json!({"path": f.path, "kind": f.kind, "status": st, "contents": f.contents})
            })
            .collect();
        let out = serde_json::json!({"plan": rendered.plan, "files": files});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(0);
    }
    if args.dry_run {
        for (f, st, _) in &rendered.files {
            let note = match f.kind {
                FileKind::Scaffold if *st != FileStatus::New => "exists, kept".to_string(),
                FileKind::Scaffold => "scaffold, new".to_string(),
                FileKind::Generated => st.as_str().to_string(),
            };
            println!("==> {} ({note}) <==", f.path);
            print!("{}", f.contents);
            if !f.contents.ends_with('\n') {
                println!();
            }
            println!();
        }
        print_explanations(&rendered.plan);
        let problems: Vec<String> = facts
            .project
            .malformed
            .iter()
            .map(ToString::to_string)
            .chain(unsafe_names(&rendered.plan))
            .collect();
        if !problems.is_empty() {
            println!("Problems (init refuses to write until they are fixed):");
            for p in problems {
                println!("  {}", crate::redact::terminal_safe(&p));
            }
        }
        print_entry_points(&facts);
        print_context(&rendered.plan);
        return Ok(0);
    }
    if args.check {
        return Ok(check(&rendered));
    }
    ensure_readable_manifests(&facts)?;
    write_files(
        dir,
        &rendered,
        WritePolicy {
            replace_changed: args.force,
            backup: !args.no_backup,
        },
    )
}

fn check(r: &Rendered) -> u8 {
    let mut drift = 0;
    for (f, st, existing) in &r.files {
        if f.kind != FileKind::Generated {
            continue;
        }
        match st {
            FileStatus::Unchanged => {}
            FileStatus::New => {
                drift += 1;
                println!("missing: {}", f.path);
            }
            FileStatus::Changed => {
                drift += 1;
                println!("differs: {}", f.path);
                print!(
                    "{}",
                    unified_diff(&f.path, existing.as_deref().unwrap_or(""), &f.contents)
                );
            }
        }
    }
    if drift == 0 {
        println!("up to date: the files match {CONFIG}");
        0
    } else {
        println!("{drift} file(s) differ from what {CONFIG} generates; run `mlcontain init --yes --force` to update them");
        1
    }
}

/// The wizard (full-screen, or line by line with `plain` or on a terminal
/// that cannot host it), starting from the flags and the saved answers;
/// then writes (and builds) what it returns, with the terminal restored.
pub fn wizard(dir: &Path, args: &InitArgs, plain: bool) -> Result<u8> {
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
    let choices = with_catalog_overlay(
        merge_layers(args.choices(), saved.as_ref()),
        args.catalog.as_deref(),
        saved.as_ref(),
    )?;
    let colour = crate::tui::colour_enabled();
    let allow_low_uid = args.allow_low_uid;
    let ended = if !plain && crate::tui::can_full_screen() {
        match crate::tui::run(dir, choices.clone(), colour, allow_low_uid) {
            Ok(e) => e,
            Err(TuiError::Init(e)) => {
                eprintln!("note: cannot open the full-screen wizard ({e}); asking line by line");
                crate::prompt::run(dir, choices, colour, allow_low_uid)?
            }
            Err(TuiError::Other(e)) => return Err(e),
        }
    } else {
        if let Some(why) = crate::tui::full_screen_blocker().filter(|_| !plain) {
            eprintln!("note: {why}, so the full-screen wizard cannot draw; asking line by line");
        }
        crate::prompt::run(dir, choices, colour, allow_low_uid)?
    };
    match ended {
        Ended::Stopped(s) => {
            crate::term::say(s.message());
            Ok(s.code())
        }
        Ended::Done(Outcome::Cancelled, ..) => {
            crate::term::say("Cancelled; nothing was written.");
            Ok(1)
        }
        Ended::Done(outcome, facts, choices) => {
            finish(dir, &facts, &choices, &outcome).map_err(|e| {
                e.context(format!(
                    "writing failed; your answers, as one command to run where it can write: {}",
                    crate::fixes::init_command(&choices)
                ))
            })
        }
    }
}

/// Write the files (new ones, and the changed ones the user confirmed),
/// then build when asked.
fn finish(dir: &Path, facts: &Facts, choices: &Choices, outcome: &Outcome) -> Result<u8> {
    let (replace, build) = match outcome {
        Outcome::Cancelled => return Ok(1),
        Outcome::Write { replace } => (replace, false),
        Outcome::WriteAndBuild { replace } => (replace, true),
    };
    ensure_readable_manifests(facts)?;
    let _lock = lock_repo(dir)?;
    let mut rendered = prepare(dir, facts, choices)?;
    keep_unconfirmed(&mut rendered, replace);
    let policy = WritePolicy {
        replace_changed: true,
        backup: true,
    };
    let code = write_files(dir, &rendered, policy)?;
    if code != 0 || !build {
        return Ok(code);
    }
    println!("\nBuilding the images…");
    crate::usecase::build::run(
        dir,
        &crate::usecase::build::BuildRequest {
            target: "all".into(),
            ..Default::default()
        },
    )
}
