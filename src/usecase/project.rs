//! The project name images are tagged with, and the folder it comes from.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The folder as an absolute path (so the project name is the real folder's).
pub fn absolute_dir(dir: &Path) -> Result<PathBuf> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    dir.canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
}

/// The project name images are tagged with: `COMPOSE_PROJECT_NAME`, else
/// mlcontain.yaml's `project:` (saved with the cluster files, so the images
/// match them in a clone with another folder name), else the folder's name.
pub fn project_of(dir: &Path) -> String {
    let env = std::env::var("COMPOSE_PROJECT_NAME").ok();
    if env.as_deref().is_some_and(|p| !p.trim().is_empty()) {
        return crate::docker::project_name(dir, env.as_deref());
    }
    match saved_project(dir) {
        Some(p) => crate::docker::sanitize_project_name(&p),
        None => crate::docker::project_name(dir, None),
    }
}

/// mlcontain.yaml's `project:` (bounded read; a symlink is not followed).
fn saved_project(dir: &Path) -> Option<String> {
    let path = dir.join(crate::render::CONFIG);
    let text = crate::safe_fs::read_text_bounded(&path, 1 << 20).ok()?;
    let v: serde_yaml::Value = crate::bounded_yaml::parse(&text).ok()?;
    v.get("project")?.as_str().map(str::to_string)
}
