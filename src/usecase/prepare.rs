//! Plan and render, compare each file with the disk, and the checks that
//! stop a write (a broken manifest, a file name a Dockerfile cannot carry).

use crate::choices::Choices;
use crate::facts::Facts;
use crate::plan::{plan, Plan};
use crate::render::{render, GeneratedFile};
use crate::write::{read_existing, status_of, FileStatus};
use anyhow::{bail, Result};
use std::path::Path;

/// A plan, its files, and how each compares with the disk (with the text
/// on disk, when there is one).
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
        None => super::project::project_of(&super::project::absolute_dir(dir)?),
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
