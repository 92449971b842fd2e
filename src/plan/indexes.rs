//! Phase: the user's wheel-index mirror (`--index-url`) and extra indexes,
//! checked, with what each package manager does with them.

use super::manifests::ManifestPlan;
use super::planner::Planner;
use super::types::{validate_index_url, Indexes, PlanError};
use crate::facts::PackageManager;

impl Planner<'_> {
    /// The user's wheel-index mirror (`--index-url`) and extra indexes, checked.
    pub fn indexes(&mut self, pm: PackageManager, m: &ManifestPlan) -> Result<Indexes, PlanError> {
        let scan = self.scan();
        let indexes = Indexes {
            index_url: self
                .choices
                .index_url
                .clone()
                .filter(|u| !u.trim().is_empty()),
            extra: self.choices.extra_index_urls.clone().unwrap_or_default(),
        };
        for u in indexes.index_url.iter().chain(&indexes.extra) {
            validate_index_url(u)?;
        }
        if let Some(mirror) = &indexes.index_url {
            let framework_index = m
                .framework_install
                .as_ref()
                .and_then(|f| f.index.as_ref())
                .map(|i| format!(" and {i}"))
                .unwrap_or_default();
            self.note(
                "index",
                format!("{mirror} — replaces PyPI{framework_index} for {pm}: the mirror must carry every build the plan installs."),
            );
            if pm == PackageManager::Poetry {
                self.warnings.push("Poetry has no setting that replaces PyPI: add the mirror to pyproject.toml as a [[tool.poetry.source]] with priority = \"primary\" and re-lock (the Dockerfile's PIP_INDEX_URL reaches only its pip steps)".into());
            }
            if pm == PackageManager::Uv && m.manifests.locked {
                self.warnings.push("uv sync --frozen downloads the wheel URLs recorded in uv.lock: re-lock against the mirror (`uv lock --default-index URL`) so the lock records it".into());
            }
            if pm == PackageManager::Uv && scan.own_indexes {
                self.warnings.push("pyproject.toml names its own uv indexes ([[tool.uv.index]]); uv keeps using them (the mirror replaces PyPI only), and uv.lock records their URLs".into());
            }
        }
        Ok(indexes)
    }
}
