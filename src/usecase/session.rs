//! The answers a run plans with and the facts it plans on: the saved
//! answers (mlcontain.yaml), the layers of [`Choices`] merged in one place
//! (flags over saved over the planner's defaults), the catalog overlay,
//! and the host and project facts.

use crate::choices::{Choices, SavedConfig};
use crate::facts::Facts;
use crate::render::CONFIG;
use crate::write::read_existing;
use anyhow::{bail, Context, Result};
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

/// The flags' layer over the saved answers (the planner's defaults fill
/// the rest). Saved answers describe the repository, not this host: where
/// the host cannot run them they become warnings, unless a flag changed the
/// hardware-related answers.
pub fn merge_layers(flags: Choices, saved: Option<&SavedConfig>) -> Choices {
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

/// Attach the catalog overlay to plan with (`--catalog` as `explicit`,
/// `$MLCONTAIN_CATALOG`, the one mlcontain.yaml recorded,
/// `~/.config/mlcontain/catalog.yaml`).
pub fn with_catalog_overlay(
    mut choices: Choices,
    explicit: Option<&Path>,
    saved: Option<&SavedConfig>,
) -> Result<Choices> {
    let recorded = saved.and_then(|s| s.catalog_overlay.as_ref());
    choices.catalog_overlay = super::overlay::overlay_for_plan(explicit, recorded)?;
    Ok(choices)
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

/// What is wrong with the target folder, found before any question: not
/// writable (stops writing), not a repository (a note).
pub fn dir_notes(dir: &Path) -> Vec<(String, bool)> {
    let mut out = vec![];
    let probe = dir.join(format!(".mlcontain-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => out.push((format!("{} is not writable ({e})", dir.display()), true)),
    }
    let repo = dir
        .canonicalize()
        .ok()
        .is_some_and(|d| d.ancestors().any(|a| a.join(".git").exists()));
    if !repo {
        out.push((
            "not a git repository (the files are written all the same)".to_string(),
            false,
        ));
    }
    out
}
