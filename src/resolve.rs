//! The project's own resolution, as the planner reads it: which Pythons the
//! project's pins can install on, which extra selects the accelerator, and
//! the framework pin the lock or the manifests fix. Pure: facts in, values out.

use crate::facts::{AccelExtra, Pin, ProjectScan};
use crate::pysupport::{PythonSupport, Wheels};
use crate::version::Version;

/// One thing that narrows the image's Python.
#[derive(Clone, Debug, PartialEq)]
pub struct PythonConstraint {
    /// `requirements.txt:3 numpy==1.22.0`, `pyproject.toml requires-python >=3.11`.
    pub what: String,
    /// The offered Pythons it allows.
    pub allows: Vec<Version>,
    /// How it knows: `wheels on PyPI (2026-12-01)`, `requires-python`.
    pub why: String,
}

impl PythonConstraint {
    pub fn blocks(&self, p: &Version) -> bool {
        !self.allows.contains(p)
    }
}

/// Whether a `requires-python`-style specifier (PEP 440, or Poetry's `^`/`~`)
/// admits Python `major.minor` (any of its patch releases). None when the
/// text is not understood.
pub fn spec_allows(spec: &str, py: &Version) -> Option<bool> {
    let (maj, min) = (py.major(), py.minor());
    // The Python as its newest and oldest patch release.
    let lo = Version::new(&[maj, min, 0]);
    let hi = Version::new(&[maj, min, 999]);
    let mut any_clause = false;
    for alt in spec.split("||").flat_map(|a| a.split('|')) {
        let mut ok = true;
        let mut parsed = false;
        for clause in alt
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let op_len = clause
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(clause.len());
            let (op, v) = clause.split_at(op_len);
            let op = op.trim();
            let star = v.ends_with(".*");
            let v: Version = v.trim_end_matches(".*").parse().ok()?;
            parsed = true;
            let prefix = |a: &Version| a.matches_prefix(&v);
            let pass = match op {
                ">=" => hi >= v,
                ">" => hi > v && !(v.major() == maj && v.minor() == min && star),
                "<=" => lo <= v,
                "<" => lo < v,
                "==" | "===" | "" | "=" => {
                    if star || v.as_str().split('.').count() <= 2 {
                        prefix(&lo)
                    } else {
                        v.major() == maj && v.minor() == min
                    }
                }
                "!=" => {
                    if star || v.as_str().split('.').count() <= 2 {
                        !prefix(&lo)
                    } else {
                        true
                    }
                }
                "~=" => {
                    // ~=3.10 -> >=3.10,<4; ~=3.10.2 -> >=3.10.2,<3.11
                    let parts = v.as_str().split('.').count();
                    if parts >= 3 {
                        hi >= v && maj == v.major() && min == v.minor()
                    } else {
                        hi >= v && maj == v.major()
                    }
                }
                "^" => hi >= v && maj == v.major(),
                "~" => hi >= v && maj == v.major() && min == v.minor(),
                _ => return None,
            };
            ok &= pass;
        }
        if parsed {
            any_clause = true;
            if ok {
                return Some(true);
            }
        }
    }
    if any_clause {
        Some(false)
    } else {
        None
    }
}

/// Every constraint the project puts on the Python: `requires-python`,
/// `.python-version`-style hints are handled by the caller; here the pins.
pub fn pin_constraints(
    pins: &[&Pin],
    support: &PythonSupport,
    offered: &[Version],
) -> (Vec<PythonConstraint>, Vec<String>) {
    let mut out = vec![];
    let mut notes = vec![];
    for p in pins {
        let Some(v) = &p.version else { continue };
        let package = p.package.as_str();
        let wheels = v
            .release()
            .map_or(Wheels::Unknown, |r| support.wheels(package, &r));
        match wheels {
            Wheels::For(pythons) => {
                let allows: Vec<Version> = offered
                    .iter()
                    .filter(|o| pythons.contains(o))
                    .cloned()
                    .collect();
                if allows.len() < offered.len() {
                    out.push(PythonConstraint {
                        what: format!("{} {}", p.source, p.spec),
                        allows,
                        why: format!(
                            "{package} {v} has Linux wheels for Python {} (PyPI, {})",
                            span(pythons),
                            support.updated
                        ),
                    });
                }
            }
            Wheels::SourceOnly => notes.push(format!(
                "{} pins {}, which publishes no wheels: pip compiles it from source in the builder",
                p.source, p.spec
            )),
            Wheels::Unknown if support.knows(package) => notes.push(format!(
                "{} pins {}, a release the Python-support data ({}) does not know; its Pythons are not checked",
                p.source, p.spec, support.updated
            )),
            Wheels::Unknown => {}
        }
    }
    (out, notes)
}

/// `3.8–3.10` for a contiguous run, else a list.
pub fn span(pythons: &[Version]) -> String {
    match (pythons.first(), pythons.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) if (b.minor() - a.minor()) as usize + 1 == pythons.len() => {
            format!("{a}–{b}")
        }
        _ => pythons
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// "which pin blocks which Python": one line per constraint.
pub fn explain_no_python(constraints: &[PythonConstraint], offered: &[Version]) -> String {
    let mut lines = vec![format!(
        "no Python offered ({}) satisfies every pin:",
        span(offered)
    )];
    for c in constraints {
        let blocked: Vec<Version> = offered.iter().filter(|p| c.blocks(p)).cloned().collect();
        lines.push(format!(
            "  - {} blocks Python {} ({})",
            c.what,
            if blocked.is_empty() {
                "none".to_string()
            } else {
                span(&blocked)
            },
            c.why
        ));
    }
    lines.join("\n")
}

/// Whether an accelerator extra selects a CUDA build.
pub fn extra_is_cuda(e: &AccelExtra) -> bool {
    e.tag != "cpu" && !e.tag.starts_with("rocm")
}

/// The extra that selects the accelerator the plan wants, if the project has one.
/// Poetry dependency groups count only when `poetry_groups` (Poetry installs).
pub fn choose_extra(
    scan: &ProjectScan,
    want_cuda: bool,
    poetry_groups: bool,
) -> Option<&AccelExtra> {
    // Only names that are safe as a command-line word (`[a-z0-9-]`).
    scan.accel_extras.iter().find(|e| {
        extra_is_cuda(e) == want_cuda
            && (poetry_groups || !e.poetry_group)
            && !e.name.is_empty()
            && e.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

/// The framework pin an extra selects (the lock's entry for that extra).
pub fn extra_pin(scan: &ProjectScan, extra: &AccelExtra, packages: &[String]) -> Option<Pin> {
    scan.locked
        .iter()
        .filter(|l| packages.contains(&l.name))
        .find(|l| {
            l.extras.contains(&extra.name) || (extra.poetry_group && l.groups.contains(&extra.name))
        })
        .and_then(crate::detect::project::locked_pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn specifiers() {
        let yes = |s: &str, p: &str| spec_allows(s, &v(p)).unwrap();
        assert!(yes(">=3.11", "3.11") && yes(">=3.11", "3.13") && !yes(">=3.11", "3.10"));
        assert!(yes(">=3.8.1", "3.8"));
        assert!(!yes(">=3.9,<3.11", "3.11") && yes(">=3.9,<3.11", "3.10"));
        assert!(yes("<=3.11", "3.11"));
        assert!(yes("^3.10", "3.12") && !yes("^3.10", "3.9"));
        assert!(yes("~3.10", "3.10") && !yes("~3.10", "3.11"));
        assert!(yes("~=3.10", "3.12") && !yes("~=3.10.2", "3.11"));
        assert!(yes("==3.11.*", "3.11") && !yes("==3.11.*", "3.12"));
        assert!(!yes("!=3.9.*", "3.9") && yes("!=3.9.*", "3.10"));
        assert!(yes(">=3.8,<3.9 || >=3.11", "3.12") && !yes(">=3.8,<3.9 || >=3.11", "3.10"));
        assert!(yes("3.11", "3.11") && !yes("3.11", "3.12"));
        assert_eq!(spec_allows("whatever", &v("3.11")), None);
    }

    #[test]
    fn spans() {
        assert_eq!(span(&[v("3.8"), v("3.9"), v("3.10")]), "3.8–3.10");
        assert_eq!(span(&[v("3.8"), v("3.10")]), "3.8, 3.10");
        assert_eq!(span(&[v("3.9")]), "3.9");
    }
}
