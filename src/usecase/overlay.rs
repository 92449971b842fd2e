//! The catalog a run plans with: the embedded one, or a user overlay
//! (`--catalog FILE`, `$MLCONTAIN_CATALOG`, the one mlcontain.yaml recorded,
//! `~/.config/mlcontain/catalog.yaml`) merged over it.

use crate::catalog::{Catalog, CatalogError};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes read from an overlay file at most.
const MAX_OVERLAY: u64 = 1 << 20;

/// Where the overlay comes from: `--catalog FILE`, else `$MLCONTAIN_CATALOG`,
/// else the overlay recorded in mlcontain.yaml (passed by the caller), else
/// `~/.config/mlcontain/catalog.yaml` (`$XDG_CONFIG_HOME`) when it exists.
pub fn overlay_path(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = env("MLCONTAIN_CATALOG").filter(|s| !s.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    let config = env("XDG_CONFIG_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some((config.join("mlcontain/catalog.yaml"), false))
}

/// Read an overlay file: a regular file (no symlink, FIFO or device) of at
/// most 1 MiB. `Ok(None)` when an optional (default-location) file is absent.
fn read_overlay(path: &Path, required: bool) -> Result<Option<String>, CatalogError> {
    let name = path.display().to_string();
    let err = |m: String| CatalogError {
        source_name: name.clone(),
        message: m,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => return Err(err(format!("cannot read the catalog overlay: {e}"))),
    };
    if !meta.file_type().is_file() {
        return Err(err(
            "the catalog overlay must be a regular file (not a symlink, folder, FIFO or device)"
                .into(),
        ));
    }
    if meta.len() > MAX_OVERLAY {
        return Err(err(format!(
            "the catalog overlay is {} bytes; at most {MAX_OVERLAY} are read",
            meta.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_OVERLAY).read_to_string(&mut text))
        .map_err(|e| err(format!("cannot read the catalog overlay: {e}")))?;
    Ok(Some(text))
}

/// The catalog to plan with. `recorded` is the overlay mlcontain.yaml
/// carries (used when no `--catalog`/`$MLCONTAIN_CATALOG` is given, so a
/// teammate gets the same plan).
pub fn load(
    explicit: Option<&Path>,
    recorded: Option<(&str, &serde_yaml::Value)>,
) -> Result<Catalog, CatalogError> {
    let env = |k: &str| std::env::var(k).ok();
    load_with(explicit, recorded, &env)
}

pub fn load_with(
    explicit: Option<&Path>,
    recorded: Option<(&str, &serde_yaml::Value)>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Catalog, CatalogError> {
    let path = overlay_path(explicit, env);
    if let Some((p, true)) = &path {
        let text = read_overlay(p, true)?.unwrap_or_default();
        return Catalog::with_overlay(&text, &p.display().to_string());
    }
    if let Some((source, value)) = recorded {
        return Catalog::with_overlay_value(
            value.clone(),
            &format!("{source} (as recorded in mlcontain.yaml)"),
        );
    }
    if let Some((p, false)) = &path {
        if let Some(text) = read_overlay(p, false)? {
            return Catalog::with_overlay(&text, &p.display().to_string());
        }
    }
    Ok((**Catalog::embedded_raw()).clone())
}

/// The overlay a plan uses, for recording in mlcontain.yaml: `--catalog
/// FILE`/`$MLCONTAIN_CATALOG` first, else the one mlcontain.yaml recorded,
/// else `~/.config/mlcontain/catalog.yaml`; validated here.
pub fn overlay_for_plan(
    explicit: Option<&Path>,
    recorded: Option<&crate::choices::SavedOverlay>,
) -> Result<Option<crate::choices::SavedOverlay>, CatalogError> {
    let env = |k: &str| std::env::var(k).ok();
    let path = overlay_path(explicit, &env);
    let from_file =
        |p: &Path, required: bool| -> Result<Option<crate::choices::SavedOverlay>, CatalogError> {
            let Some(text) = read_overlay(p, required)? else {
                return Ok(None);
            };
            let cat = Catalog::with_overlay(&text, &p.display().to_string())?;
            Ok(cat.overlay.map(|o| crate::choices::SavedOverlay {
                source: o.source,
                updated: o.updated,
                content: o.content,
            }))
        };
    if let Some((p, true)) = &path {
        return from_file(p, true);
    }
    if let Some(r) = recorded {
        Catalog::with_overlay_value(r.content.clone(), &r.source)?;
        return Ok(Some(r.clone()));
    }
    match &path {
        Some((p, false)) => from_file(p, false),
        _ => Ok(None),
    }
}
