//! `mlcontain init`: plan, render, and write (or print, or check) the files.

use crate::choices::{Choices, SavedConfig};
use crate::cli::InitArgs;
use crate::facts::Facts;
use crate::plan::{plan, Plan};
use crate::render::{render, FileKind, GeneratedFile, CONFIG};
use crate::write::{
    ensure_parent_dirs, prepare_dirs, read_existing, status_of, unified_diff, write_expecting,
    FileStatus, WriteError,
};
use anyhow::{bail, Context, Result};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// How long GPU detection may take before init goes on without it.
pub const NVML_DEADLINE: Duration = Duration::from_secs(3);

/// Read `mlcontain.yaml` from `dir`, if there is one.
pub fn load_saved(dir: &Path) -> Result<Option<SavedConfig>> {
    let path = dir.join(CONFIG);
    match read_existing(&path)? {
        None => Ok(None),
        Some(text) => Ok(Some(SavedConfig::parse(&text, CONFIG)?)),
    }
}

/// Refuses to write files generated from manifests that could not be read
/// or parsed (the Dockerfile would not build); names each file and line.
pub fn ensure_readable_manifests(facts: &Facts) -> Result<()> {
    let malformed = &facts.project.malformed;
    if !malformed.is_empty() {
        bail!(
            "cannot generate container files from a broken manifest (nothing was written):\n  {}\nFix the file(s), or see what mlcontain would write with --dry-run.",
            malformed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    Ok(())
}

/// The project files the Dockerfile would have to name but whose names
/// cannot be encoded safely (a newline, a control character, `$`, quotes,
/// globs), each with the reason, escaped for the terminal.
pub fn unsafe_names(plan: &Plan) -> Vec<String> {
    let m = &plan.manifests;
    let mut bad: Vec<String> = vec![];
    for p in m.copy.iter().chain(&m.install).chain(&m.dev) {
        if let Some(why) = crate::render::encode::unsafe_path(p) {
            let line = format!("{}: {why}", crate::render::encode::printable(p));
            if !bad.contains(&line) {
                bad.push(line);
            }
        }
    }
    for p in &m.secret {
        let plain = p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
        if !plain
            && !bad
                .iter()
                .any(|b| b.starts_with(&crate::render::encode::printable(p)))
        {
            bad.push(format!(
                "{}: holds credentials, so it is mounted as a BuildKit secret, which needs a name of letters, digits and ._-/ only",
                crate::render::encode::printable(p)
            ));
        }
    }
    bad
}

/// Refuses to write when [`unsafe_names`] finds any.
pub fn ensure_safe_names(plan: &Plan) -> Result<()> {
    let bad = unsafe_names(plan);
    if !bad.is_empty() {
        bail!(
            "cannot name these files in a Dockerfile safely (nothing was written):\n  {}\nRename them (letters, digits, spaces and ._-+@,%= are safe).",
            bad.join("\n  ")
        );
    }
    Ok(())
}

/// The lowest UID accepted without `--allow-low-uid`.
pub const MIN_UID: u32 = 1000;

/// Refuses a UID in the system range (below [`MIN_UID`]) unless allowed:
/// it would collide with a system account of the base image.
pub fn check_uid(choices: &Choices, allow_low: bool) -> Result<()> {
    if let Some(u) = choices.uid {
        if u < MIN_UID && !allow_low {
            bail!(
                "--uid {u} is in the system accounts' range (below {MIN_UID}); choose a UID of {MIN_UID} or more, or pass --allow-low-uid"
            );
        }
    }
    Ok(())
}

/// How long a run waits for another one writing in the same repository.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

/// The repository's advisory lock ([`crate::safe_fs::RepoLock`]).
pub fn lock_repo(dir: &Path) -> Result<crate::safe_fs::RepoLock> {
    crate::safe_fs::RepoLock::acquire(dir, LOCK_WAIT)
        .with_context(|| format!("cannot lock {} for writing", dir.display()))
}

/// Facts for planning: the project scan and the GPUs (tools are not needed).
pub fn gather_facts(dir: &Path) -> Result<Facts> {
    let project = crate::detect::project::scan(dir)
        .with_context(|| format!("cannot scan {}", dir.display()))?;
    let mut facts = Facts {
        project,
        platform: crate::platform::Platform::host(),
        ..Default::default()
    };
    crate::detect::nvml::detect_gpus_with_deadline(NVML_DEADLINE).apply(&mut facts);
    Ok(facts)
}

/// Flags first, then the saved answers. Saved answers describe the
/// repository, not this host: where the host cannot run them they become
/// warnings, unless a flag changed the hardware-related answers.
pub fn merge_choices(args: &InitArgs, saved: Option<&SavedConfig>) -> Choices {
    let flags = args.choices();
    match saved {
        None => flags,
        Some(s) => {
            let host_flags = flags.framework.is_some()
                || flags.framework_version.is_some()
                || flags.cuda.is_some();
            let mut c = flags.or(s.to_choices());
            if !host_flags {
                c.allow_incompatible = true;
            }
            c
        }
    }
}

/// Attach the catalog overlay to plan with (`--catalog`, `$MLCONTAIN_CATALOG`,
/// the one mlcontain.yaml recorded, `~/.config/mlcontain/catalog.yaml`).
pub fn with_catalog_overlay(
    mut choices: Choices,
    args: &InitArgs,
    saved: Option<&SavedConfig>,
) -> Result<Choices> {
    let recorded = saved.and_then(|s| s.catalog_overlay.as_ref());
    choices.catalog_overlay =
        crate::commands::catalog::overlay_for_plan(args.catalog.as_deref(), recorded)?;
    Ok(choices)
}

pub struct Rendered {
    pub plan: Plan,
    pub files: Vec<(GeneratedFile, FileStatus, Option<String>)>,
}

/// Plan and render, and compare each file with the disk.
pub fn prepare(dir: &Path, facts: &Facts, choices: &Choices) -> Result<Rendered> {
    // The image name prefix: the saved one (a clone in another folder
    // regenerates the same files), else this folder's name, saved with the
    // cluster files that use it.
    let mut choices = choices.clone();
    let project = match &choices.project {
        Some(p) => crate::docker::sanitize_project_name(p),
        None => crate::commands::build::project_of(&crate::commands::build::absolute_dir(dir)?),
    };
    choices.project = Some(project.clone());
    let plan = plan(facts, &choices)?;
    // The plan's platforms (`--platform`), else this host's.
    let fleet = crate::render::fleet::spec_for(&plan, &project, &crate::elf::host_platform());
    let mut files = vec![];
    let all = render(&plan)
        .into_iter()
        .chain(crate::render::fleet::render_fleet(&plan, &fleet));
    for f in all {
        let existing = read_existing(&dir.join(&f.path))?;
        let status = status_of(existing.as_deref(), &f.contents);
        files.push((f, status, existing));
    }
    Ok(Rendered { plan, files })
}

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
        return crate::tui::run(dir, args, plain);
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
    let choices = with_catalog_overlay(merge_choices(args, saved.as_ref()), args, saved.as_ref())?;
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
    write_files(dir, &rendered, args.force, !args.no_backup)
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

pub fn print_explanations(plan: &Plan) {
    // Warnings quote manifests and host facts: escapes are made harmless.
    let safe = crate::redact::terminal_safe;
    println!("Why:");
    // One column for the topics, each named once.
    let width = plan
        .explanations
        .iter()
        .map(|e| e.topic.chars().count())
        .max()
        .unwrap_or(0);
    let mut last = "";
    for e in &plan.explanations {
        let topic = if e.topic == last { "" } else { e.topic };
        last = e.topic;
        println!("  {topic:<width$} {}", safe(&e.text));
    }
    for w in &plan.warnings {
        println!("  warning: {}", safe(w));
    }
}

/// The entry point candidates the code scan ranked, with their role and reason.
pub fn print_entry_points(facts: &Facts) {
    let c = &facts.project.code;
    if c.candidates.is_empty() {
        if c.python_files > 0 {
            println!(
                "Entry points: none found in {} Python file(s) (no script that trains, no server).",
                c.python_files
            );
        }
        return;
    }
    println!(
        "Entry points (from {} Python file(s), best first in each role):",
        c.python_files
    );
    for e in c.candidates.iter().take(30) {
        // File names are the repository's: escapes are made harmless.
        let safe = crate::redact::terminal_safe;
        println!(
            "  {:<10} {:<32} {}",
            e.role.as_str(),
            safe(&e.path),
            safe(&e.reason)
        );
    }
    if c.candidates.len() > 30 {
        println!("  … and {} more", c.candidates.len() - 30);
    }
}

/// What the .dockerignore keeps because the code needs it, and which of
/// the repository's files it excludes.
pub fn print_context(plan: &Plan) {
    let r = crate::render::context_report(plan);
    if !r.kept.is_empty() {
        println!("Build context: kept although a default pattern would exclude them:");
        for (f, why) in r.kept.iter().take(20) {
            println!("  {f:<40} {why}");
        }
        if r.kept.len() > 20 {
            println!("  … and {} more", r.kept.len() - 20);
        }
    }
    if !r.excluded.is_empty() {
        println!(
            "Build context: .dockerignore excludes {} of the repository's files:",
            r.excluded.len()
        );
        for (f, why) in r.excluded.iter().take(20) {
            println!("  {f:<40} {why}");
        }
        if r.excluded.len() > 20 {
            println!("  … and {} more", r.excluded.len() - 20);
        }
    }
}

/// Write the rendered files: new ones, and changed ones only with `force`.
/// Scaffolds are written only when missing. Nothing is written when a
/// conflict stops the run.
pub fn write_files(dir: &Path, r: &Rendered, force: bool, backup: bool) -> Result<u8> {
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
