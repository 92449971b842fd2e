//! Writing the rendered files with a policy: new files always, changed
//! ones only when the policy replaces them (with a backup unless told
//! not to), scaffolds only when missing; one writer per repository.

use super::prepare::{ensure_safe_names, Rendered};
use super::report::print_explanations;
use crate::plan::Plan;
use crate::render::{FileKind, GeneratedFile};
use crate::write::{
    ensure_parent_dirs, prepare_dirs, unified_diff, write_expecting, FileStatus, WriteError,
};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Duration;

/// What a write does with generated files that exist and differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WritePolicy {
    /// Replace them (else nothing is written and the diff is shown).
    pub replace_changed: bool,
    /// Keep the replaced file as `.bak` (`.bak.1`, … when one exists).
    pub backup: bool,
}

/// How long a run waits for another one writing in the same repository.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

/// The repository's advisory lock ([`crate::safe_fs::RepoLock`]).
pub fn lock_repo(dir: &Path) -> Result<crate::safe_fs::RepoLock> {
    crate::safe_fs::RepoLock::acquire(dir, LOCK_WAIT)
        .with_context(|| format!("cannot lock {} for writing", dir.display()))
}

/// Drops the changed generated files not in `replace` (the wizard's "keep
/// mine" answers), saying so for each.
pub fn keep_unconfirmed(rendered: &mut Rendered, replace: &[String]) {
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
}

/// Write the rendered files: new ones, and changed ones only when the
/// policy replaces them. Scaffolds are written only when missing. Nothing
/// is written when a conflict stops the run.
pub fn write_files(dir: &Path, r: &Rendered, policy: WritePolicy) -> Result<u8> {
    let WritePolicy {
        replace_changed: force,
        backup,
    } = policy;
    ensure_safe_names(&r.plan)?;
    let conflicts: Vec<&(GeneratedFile, FileStatus, Option<String>)> = r
        .files
        .iter()
        .filter(|(f, st, _)| f.kind == FileKind::Generated && *st == FileStatus::Changed)
        .collect();
    if !conflicts.is_empty() && !force {
        for (f, _, existing) in &conflicts {
            eprint!(
                "{}",
                unified_diff(&f.path, existing.as_deref().unwrap_or(""), &f.contents)
            );
        }
        eprintln!(
            "error: these files exist and differ from what mlcontain would write: {}\n\
             Nothing was written. Review the diff above, then run again with --force to replace them \
             (the old ones are kept as .bak, or .bak.1, .bak.2, … when a backup exists), or --dry-run to see the whole files.",
            conflicts
                .iter()
                .map(|(f, _, _)| f.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(1);
    }
    // Each write checks the file is still what was read and diffed; a
    // failure part-way names exactly what was and was not written.
    let mut done: Vec<String> = vec![];
    for (i, (f, st, existing)) in r.files.iter().enumerate() {
        let path = dir.join(&f.path);
        let result: Result<(), WriteError> = (|| {
            if *st != FileStatus::Unchanged {
                prepare_dirs(dir, &f.path)?;
            }
            match (f.kind, st) {
                (_, FileStatus::Unchanged) => println!("  unchanged  {}", f.path),
                (FileKind::Scaffold, FileStatus::Changed) => {
                    println!(
                        "  kept       {} (exists; scaffolds never replace files)",
                        f.path
                    )
                }
                (FileKind::Scaffold, FileStatus::New) => {
                    ensure_parent_dirs(dir, &f.path)?;
                    write_expecting(&path, &f.contents, None, false)?;
                    done.push(f.path.clone());
                    println!("  scaffolded {}", f.path);
                }
                (FileKind::Generated, FileStatus::New) => {
                    ensure_parent_dirs(dir, &f.path)?;
                    write_expecting(&path, &f.contents, None, false)?;
                    done.push(f.path.clone());
                    println!("  wrote      {}", f.path);
                }
                (FileKind::Generated, FileStatus::Changed) => {
                    let bak = write_expecting(&path, &f.contents, existing.as_deref(), backup)?;
                    done.push(f.path.clone());
                    match bak {
                        Some(b) => println!(
                            "  replaced   {} (old copy: {})",
                            f.path,
                            b.file_name().unwrap_or_default().to_string_lossy()
                        ),
                        None => println!("  replaced   {}", f.path),
                    }
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            let pending: Vec<&str> = r.files[i..]
                .iter()
                .filter(|(_, st, _)| *st != FileStatus::Unchanged)
                .map(|(f, _, _)| f.path.as_str())
                .collect();
            let list = |v: Vec<&str>| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            bail!(
                "{e}\nwritten: {}\nnot written: {}",
                list(done.iter().map(String::as_str).collect()),
                list(pending)
            );
        }
    }
    print_explanations(&r.plan);
    print_next_steps(&r.plan);
    Ok(0)
}

fn print_next_steps(plan: &Plan) {
    use crate::choices::Stage;
    println!("Next:");
    println!("  mlcontain build                      # BuildKit build of every target");
    if plan.has(Stage::Training) {
        println!("  docker compose run --rm training");
    }
    if plan.has(Stage::Inference) {
        match &plan.code.health {
            crate::plan::Health::Http(path) => println!(
                "  docker compose up -d inference       # then: curl http://127.0.0.1:{}{path}",
                plan.port
            ),
            crate::plan::Health::Tcp => println!(
                "  docker compose up -d inference       # healthy once port {} accepts connections",
                plan.port
            ),
        }
        if plan.code.inference_scaffold {
            println!("  (serve.py is mlcontain's placeholder scaffold, not your server)");
        }
    }
    if plan.cuda.is_some() {
        println!("  mlcontain verify                     # does the framework see the GPUs?");
    } else {
        println!("  mlcontain verify                     # does the framework import and compute?");
    }
}
