//! PEP 508 requirements and PEP 440 versions, parsed by maintained crates
//! (`pep508_rs`, `pep440_rs`): what a framework pin says, whether its
//! marker leaves Linux out, and the parts of a catalog install line. Pure.

use crate::version::PinVersion;
use pep440_rs::{Operator, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, MarkerTree, VersionOrUrl};
use std::str::FromStr;

/// A requirement parsed from a PEP 508 string.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    /// Normalised (PEP 503): lowercase, runs of `_`, `.`, `-` become `-`.
    pub name: String,
    /// Normalised extras.
    pub extras: Vec<String>,
    /// Version specifier text (`==2.5.1+cu124`, `>=1.0,<2`), empty when none.
    pub specifier: String,
    /// The exact version of an `==` / `===` pin (no wildcard), local label removed.
    pub version: Option<PinVersion>,
    /// Local version label (`cu124`) of an exact pin.
    pub local: Option<String>,
    /// The environment marker, when present.
    pub marker: Option<String>,
    /// `name @ url` direct reference.
    pub url: Option<String>,
    /// The marker is false on every Linux the images run (x86_64 and
    /// aarch64, CPython 3.8 to 3.15).
    pub excludes_linux: bool,
}

/// Normalises a distribution name (PEP 503, lowercased, `_`/`.` -> `-`).
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_dash = false;
    for c in name.trim().chars() {
        let c = match c {
            '_' | '.' | '-' => '-',
            c => c.to_ascii_lowercase(),
        };
        if c == '-' {
            if !last_dash {
                out.push('-');
            }
            last_dash = true;
        } else {
            out.push(c);
            last_dash = false;
        }
    }
    out
}

/// The first line of a parser's error, without the caret diagram.
fn reason(e: impl std::fmt::Display) -> String {
    e.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Parses a PEP 508 requirement (`tensorflow[and-cuda]==2.17.1; python_version>"3.8"`).
/// The error names the requirement: `cannot parse requirement `…`: why`.
pub fn parse_requirement(text: &str) -> Result<Requirement, String> {
    let t = text.trim();
    if t.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "cannot parse requirement `{}`: it holds a control character",
            t.escape_debug()
        ));
    }
    // pep508_rs 0.9.2 panics on a name ending in `_`, `-` or `.` at the end
    // of the input (`w_`); such a name is invalid anyway.
    let name_end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(t.len());
    let name = &t[..name_end];
    if !name.is_empty() && !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "cannot parse requirement `{t}`: a package name must end with a letter or digit"
        ));
    }
    let req = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(t)
        .map_err(|e| format!("cannot parse requirement `{t}`: {}", reason(e)))?;
    let (specifier, version, local, url) = match &req.version_or_url {
        None => (String::new(), None, None, None),
        Some(VersionOrUrl::Url(u)) => (String::new(), None, None, Some(u.to_string())),
        Some(VersionOrUrl::VersionSpecifier(specs)) => {
            let (version, local) = exact_version(specs);
            let text = specs
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",");
            (text, version, local, None)
        }
    };
    // The marker as written (the parser's canonical form rewrites it).
    let marker = (!req.marker.is_true())
        .then(|| t.split_once(';').map(|(_, m)| m.trim().to_string()))
        .flatten()
        .filter(|m| !m.is_empty());
    Ok(Requirement {
        name: req.name.to_string(),
        extras: req.extras.iter().map(|e| e.to_string()).collect(),
        specifier,
        version,
        local,
        excludes_linux: excludes_linux(&req.marker),
        marker,
        url,
    })
}

/// The version of the first `==`/`===` clause (not a wildcard), split from
/// its local label: `==2.5.1+cu124` -> (2.5.1, cu124).
fn exact_version(specs: &VersionSpecifiers) -> (Option<PinVersion>, Option<String>) {
    let Some(s) = specs
        .iter()
        .find(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual))
    else {
        return (None, None);
    };
    let v = s.version();
    let local = v.local();
    let local = (!local.is_empty()).then(|| {
        local
            .iter()
            .map(|seg| seg.to_string())
            .collect::<Vec<_>>()
            .join(".")
    });
    (Some(PinVersion::from(v.clone().without_local())), local)
}

/// An exact version given without an operator (`2.5.1`, poetry's bare form,
/// conda's `torch=2.5.1`): `==` is implied.
pub fn exact_pin(version: &str) -> (Option<PinVersion>, Option<String>) {
    match VersionSpecifiers::from_str(&format!("=={}", version.trim())) {
        Ok(specs) => exact_version(&specs),
        Err(_) => (None, None),
    }
}

/// The Linux environments the images run: x86_64 and aarch64, CPython 3.8-3.15.
fn linux_environments() -> Vec<MarkerEnvironment> {
    let mut out = vec![];
    for machine in ["x86_64", "aarch64"] {
        for minor in 8..=15 {
            let py = format!("3.{minor}");
            let full = format!("3.{minor}.0");
            let env = MarkerEnvironmentBuilder {
                implementation_name: "cpython",
                implementation_version: &full,
                os_name: "posix",
                platform_machine: machine,
                platform_python_implementation: "CPython",
                platform_release: "",
                platform_system: "Linux",
                platform_version: "",
                python_full_version: &full,
                python_version: &py,
                sys_platform: "linux",
            };
            if let Ok(env) = MarkerEnvironment::try_from(env) {
                out.push(env);
            }
        }
    }
    out
}

fn excludes_linux(marker: &MarkerTree) -> bool {
    if marker.is_true() {
        return false;
    }
    linux_environments()
        .iter()
        .all(|env| !marker.evaluate(env, &[]))
}

/// Whether a marker is false on every Linux the images run
/// (`sys_platform == "darwin"`, `sys_platform != 'linux' or python_version < '3'`).
/// A marker that does not parse is not judged (false).
pub fn marker_excludes_linux(marker: &str) -> bool {
    match MarkerTree::from_str(marker) {
        Ok(m) => excludes_linux(&m),
        Err(_) => false,
    }
}

/// The parts of a pinned requirement as the catalog writes its install
/// lines (`tensorflow[and-cuda]==2.17.1`, `torch==2.5.1+cu124`).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitRequirement {
    pub name: String,
    pub extras: Vec<String>,
    /// The whole version, local label included (`2.5.1+cu124`); empty when unpinned.
    pub version: String,
    /// The local version label (`cu124`).
    pub local: Option<String>,
}

/// Splits a catalog install line; text that is not PEP 508 keeps its name only.
pub fn split_requirement(req: &str) -> SplitRequirement {
    match parse_requirement(req) {
        Ok(r) => {
            let version = match (&r.version, &r.local) {
                (Some(v), Some(l)) => format!("{v}+{l}"),
                (Some(v), None) => v.to_string(),
                _ => String::new(),
            };
            SplitRequirement {
                name: r.name,
                extras: r.extras,
                version,
                local: r.local,
            }
        }
        Err(_) => SplitRequirement {
            name: req.trim().to_string(),
            extras: vec![],
            version: String::new(),
            local: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_and_pre_releases_are_pins() {
        for (text, v, kind) in [
            ("torch==2.5.1.post1", "2.5.1.post1", Some("post-release")),
            ("torch==2.6.0rc1", "2.6.0rc1", Some("pre-release")),
            ("torch==2.5.1", "2.5.1", None),
            ("torch===2.5.1+cu124", "2.5.1", None),
        ] {
            let r = parse_requirement(text).unwrap();
            let pin = r
                .version
                .clone()
                .unwrap_or_else(|| panic!("{text} is a pin"));
            assert_eq!(pin.to_string(), v, "{text}");
            assert_eq!(pin.kind(), kind, "{text}");
            assert_eq!(pin.release().is_some(), kind.is_none(), "{text}");
        }
        let r = parse_requirement("torch==2.5.1+cu124").unwrap();
        assert_eq!(r.local.as_deref(), Some("cu124"));
        assert!(parse_requirement("torch==2.5.*").unwrap().version.is_none());
        assert!(parse_requirement("torch>=2.4,<2.6")
            .unwrap()
            .version
            .is_none());
    }

    #[test]
    fn markers_are_evaluated_for_linux() {
        assert!(marker_excludes_linux(
            "sys_platform != 'linux' or python_version < '3'"
        ));
        assert!(marker_excludes_linux("sys_platform == \"darwin\""));
        assert!(marker_excludes_linux("platform_system == 'Windows'"));
        assert!(!marker_excludes_linux("sys_platform == 'linux'"));
        assert!(!marker_excludes_linux(
            "sys_platform == 'darwin' or python_version >= '3.8'"
        ));
        assert!(!marker_excludes_linux("platform_machine == 'aarch64'"));
        let r = parse_requirement("torch==2.5.1; sys_platform != 'linux' or python_version < '3'")
            .unwrap();
        assert!(r.excludes_linux);
    }

    #[test]
    fn names_extras_and_errors() {
        let r = parse_requirement("TensorFlow[And_Cuda]==2.17.1").unwrap();
        assert_eq!(r.name, "tensorflow");
        assert_eq!(r.extras, ["and-cuda"]);
        for bad in ["w_", "w_ ", "w-[x]", "a.; x"] {
            let e = parse_requirement(bad).unwrap_err();
            assert!(e.contains("cannot parse requirement"), "{e}");
        }
        let e = parse_requirement("torch==").unwrap_err();
        assert!(e.starts_with("cannot parse requirement `torch==`: "), "{e}");
        let s = split_requirement("jax[cuda12]==0.4.38");
        assert_eq!((s.name.as_str(), s.version.as_str()), ("jax", "0.4.38"));
        assert_eq!(s.extras, ["cuda12"]);
        assert_eq!(
            split_requirement("torch==2.5.1+cu124").local.as_deref(),
            Some("cu124")
        );
    }
}
