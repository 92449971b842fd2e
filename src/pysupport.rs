//! Which Pythons the pinned releases of the common compiled stack have
//! wheels for: `assets/python-support.yaml` (generated from PyPI's JSON API
//! by scripts/python-support.py, dated), embedded and validated at load.
//! Pure data and lookups; the planner intersects them.

use crate::version::Version;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const PYTHON_SUPPORT_YAML: &str = include_str!("../assets/python-support.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonSupport {
    /// The day PyPI was read.
    pub updated: String,
    pub packages: BTreeMap<String, Vec<Range>>,
}

/// Releases `from..=to` of a package have Linux x86_64 wheels for `python`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub from: Version,
    pub to: Version,
    pub python: Vec<Version>,
}

#[derive(Debug, thiserror::Error)]
#[error("assets/python-support.yaml: {0}")]
pub struct SupportError(String);

/// What the data says about one pinned release.
#[derive(Debug, Clone, PartialEq)]
pub enum Wheels<'a> {
    /// Wheels for these Pythons (major.minor).
    For(&'a [Version]),
    /// The release publishes only an sdist: it compiles from source everywhere.
    SourceOnly,
    /// The data does not know this release (newer than `updated`, or not on PyPI).
    Unknown,
}

impl PythonSupport {
    pub fn parse(text: &str) -> Result<PythonSupport, SupportError> {
        let s: PythonSupport =
            serde_yaml::from_str(text).map_err(|e| SupportError(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// The embedded data (parsed once).
    pub fn embedded() -> &'static PythonSupport {
        static DATA: OnceLock<PythonSupport> = OnceLock::new();
        DATA.get_or_init(|| {
            PythonSupport::parse(PYTHON_SUPPORT_YAML).expect("embedded python-support is valid")
        })
    }

    /// Ranges sorted and disjoint, Pythons sorted `3.X`.
    fn validate(&self) -> Result<(), SupportError> {
        if self.updated.len() != 10 {
            return Err(SupportError(format!(
                "updated: `{}` is not a date",
                self.updated
            )));
        }
        for (name, ranges) in &self.packages {
            if ranges.is_empty() {
                return Err(SupportError(format!("{name}: no ranges")));
            }
            for r in ranges {
                if r.from > r.to {
                    return Err(SupportError(format!(
                        "{name}: range {}..{} is reversed",
                        r.from, r.to
                    )));
                }
                if r.python.windows(2).any(|w| w[0] >= w[1])
                    || r.python.iter().any(|p| p.major() != 3)
                {
                    return Err(SupportError(format!(
                        "{name} {}: Pythons must be sorted 3.X versions",
                        r.from
                    )));
                }
            }
            for w in ranges.windows(2) {
                if w[0].to >= w[1].from {
                    return Err(SupportError(format!(
                        "{name}: ranges {}..{} and {}..{} overlap or are unsorted",
                        w[0].from, w[0].to, w[1].from, w[1].to
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn knows(&self, package: &str) -> bool {
        self.packages.contains_key(package)
    }

    /// The Pythons `package==version` has wheels for.
    pub fn wheels(&self, package: &str, version: &Version) -> Wheels<'_> {
        let Some(ranges) = self.packages.get(package) else {
            return Wheels::Unknown;
        };
        match ranges
            .iter()
            .find(|r| &r.from <= version && version <= &r.to)
        {
            Some(r) if r.python.is_empty() => Wheels::SourceOnly,
            Some(r) => Wheels::For(&r.python),
            None => Wheels::Unknown,
        }
    }

    /// The oldest release of `package` with a wheel for `python` (a fix to suggest).
    pub fn first_with(&self, package: &str, python: &Version) -> Option<&Version> {
        self.packages
            .get(package)?
            .iter()
            .find(|r| r.python.contains(python))
            .map(|r| &r.from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_loads_and_answers() {
        let s = PythonSupport::embedded();
        match s.wheels("numpy", &v("1.22.0")) {
            Wheels::For(p) => assert_eq!(p, &[v("3.8"), v("3.9"), v("3.10")]),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.wheels("numpy", &v("99.0")), Wheels::Unknown);
        assert_eq!(s.wheels("left-pad", &v("1.0")), Wheels::Unknown);
    }

    #[test]
    fn every_package_with_data_has_its_pins_recorded() {
        use crate::detect::project::{is_framework_package, is_stack_package};
        for name in PythonSupport::embedded().packages.keys() {
            assert!(
                is_framework_package(name) || is_stack_package(name),
                "{name} has Python-support data but the scan does not record its pins"
            );
        }
    }

    #[test]
    fn bad_data_is_refused() {
        let bad = "updated: \"2026-12-01\"\npackages:\n  x:\n    - {from: \"2.0\", to: \"1.0\", python: [\"3.9\"]}\n";
        assert!(PythonSupport::parse(bad)
            .unwrap_err()
            .to_string()
            .contains("reversed"));
        let overlap = "updated: \"2026-12-01\"\npackages:\n  x:\n    - {from: \"1.0\", to: \"2.0\", python: [\"3.9\"]}\n    - {from: \"1.5\", to: \"3.0\", python: [\"3.10\"]}\n";
        assert!(PythonSupport::parse(overlap)
            .unwrap_err()
            .to_string()
            .contains("overlap"));
    }
}
