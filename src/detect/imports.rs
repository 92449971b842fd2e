//! The import table (`assets/imports.yaml`): import names to PyPI
//! distributions, libraries that imply a framework, and the standard
//! library's module names. Loaded once, checked at load.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub const IMPORTS_YAML: &str = include_str!("../../assets/imports.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportTable {
    pub updated: String,
    pub map: BTreeMap<String, String>,
    pub implies: BTreeMap<String, String>,
    pub stdlib: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportTableError {
    #[error("assets/imports.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("assets/imports.yaml: {0}")]
    Invalid(String),
}

impl ImportTable {
    pub fn parse(text: &str) -> Result<ImportTable, ImportTableError> {
        let t: ImportTable = serde_yaml::from_str(text)?;
        if t.updated.len() != 10 {
            return Err(ImportTableError::Invalid(format!(
                "`updated: {}` is not a YYYY-MM-DD date",
                t.updated
            )));
        }
        for (module, dist) in &t.map {
            if t.stdlib.contains(module) {
                return Err(ImportTableError::Invalid(format!(
                    "`{module}` is both a standard library module and mapped to `{dist}`"
                )));
            }
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            };
            if !ok(module) || !ok(dist) {
                return Err(ImportTableError::Invalid(format!(
                    "`{module}: {dist}` is not a module and distribution name"
                )));
            }
        }
        const FRAMEWORKS: &[&str] = &["pytorch", "tensorflow", "jax"];
        for (module, fw) in &t.implies {
            if !FRAMEWORKS.contains(&fw.as_str()) {
                return Err(ImportTableError::Invalid(format!(
                    "`{module}` implies `{fw}`, not one of {FRAMEWORKS:?}"
                )));
            }
        }
        Ok(t)
    }

    /// The embedded table.
    pub fn embedded() -> &'static ImportTable {
        static T: OnceLock<ImportTable> = OnceLock::new();
        T.get_or_init(|| ImportTable::parse(IMPORTS_YAML).expect("assets/imports.yaml is valid"))
    }

    pub fn distribution(&self, module: &str) -> Option<&str> {
        self.map.get(module).map(|s| s.as_str())
    }
    pub fn is_stdlib(&self, module: &str) -> bool {
        self.stdlib.contains(module)
    }
    /// The framework id a library implies (`transformers` -> `pytorch`).
    pub fn implied_framework(&self, module: &str) -> Option<&str> {
        self.implies.get(module).map(|s| s.as_str())
    }
    /// The import name of a distribution (`scikit-learn` -> `sklearn`).
    pub fn module_of(&self, dist: &str) -> Option<&str> {
        let d = crate::requirement::normalize_name(dist);
        self.map
            .iter()
            .find(|(_, v)| crate::requirement::normalize_name(v) == d)
            .map(|(k, _)| k.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_loads_and_maps_the_common_stack() {
        let t = ImportTable::embedded();
        assert_eq!(t.distribution("sklearn"), Some("scikit-learn"));
        assert_eq!(t.distribution("cv2"), Some("opencv-python-headless"));
        assert_eq!(t.distribution("PIL"), Some("pillow"));
        assert_eq!(t.distribution("yaml"), Some("PyYAML"));
        assert_eq!(t.implied_framework("peft"), Some("pytorch"));
        assert_eq!(t.implied_framework("flax"), Some("jax"));
        assert!(t.is_stdlib("argparse") && !t.is_stdlib("numpy"));
        assert_eq!(t.module_of("scikit_learn"), Some("sklearn"));
    }

    #[test]
    fn a_bad_table_is_refused() {
        let bad = "updated: 2026-12-01\nmap: {os: os-lib}\nimplies: {}\nstdlib: [os]\n";
        assert!(ImportTable::parse(bad)
            .unwrap_err()
            .to_string()
            .contains("both a standard library module"));
        let bad = "updated: 2026-12-01\nmap: {}\nimplies: {x: mxnet}\nstdlib: []\n";
        assert!(ImportTable::parse(bad).is_err());
        assert!(ImportTable::parse("updated: 2026\nmap: {}\nimplies: {}\nstdlib: []\n").is_err());
    }
}
