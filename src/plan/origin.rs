//! Where each decision of a plan came from, and the one place that turns a
//! decision and its origin into the explanation line the user reads.

use crate::location::Location;
use serde::Serialize;
use std::fmt::Display;

/// Where a decision came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// The user chose it (a flag, mlcontain.yaml or the wizard).
    Chosen,
    /// A manifest pins it.
    Pinned { location: Location },
    /// The project suggests it (a lock file, `requires-python`, an
    /// environment.yml) without pinning it.
    ProjectHint,
    /// mlcontain's default (the catalog's newest fit, a common choice).
    Default,
}

/// A decided value with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Decision<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Decision { value, origin }
    }
}

/// The origins of a plan's decisions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Origins {
    pub framework: Origin,
    pub framework_version: Option<Origin>,
    pub package_manager: Origin,
    pub accelerator: Origin,
    pub python: Origin,
}

/// One line of "why" shown with a plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// What it is about: `framework`, `cuda`, `python`, `base-image`, ...
    pub topic: &'static str,
    pub text: String,
}

impl Explanation {
    /// A free-standing note (what a choice relies on, how an image is built).
    pub fn note(topic: &'static str, text: impl Into<String>) -> Self {
        Explanation {
            topic,
            text: text.into(),
        }
    }

    /// `SUBJECT — WHY.` for a decision, worded from its origin:
    /// - chosen: `PyTorch — chosen.` (`detail` is appended: `— chosen for H100.`)
    /// - pinned: `PyTorch 2.5.1 — pinned by the project (requirements.txt:3).`
    ///   (`detail` says what the pin does; the location follows)
    /// - project hint / default: `pip — the project already uses it.` (`detail` is the reason)
    pub fn decision(
        topic: &'static str,
        subject: impl Display,
        origin: &Origin,
        detail: &str,
    ) -> Self {
        let why = match origin {
            Origin::Chosen => format!("chosen{detail}"),
            Origin::Pinned { location } => format!("{detail} ({location})"),
            Origin::ProjectHint | Origin::Default => detail.to_string(),
        };
        Explanation {
            topic,
            text: format!("{subject} — {why}."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Explanation, Location, Origin};

    #[test]
    fn each_origin_is_worded_once() {
        let pinned = Origin::Pinned {
            location: Location::new("requirements.txt", 3),
        };
        let t = |o: &Origin, d: &str| Explanation::decision("framework", "PyTorch", o, d).text;
        assert_eq!(t(&Origin::Chosen, ""), "PyTorch — chosen.");
        assert_eq!(
            t(&Origin::Chosen, " for A100"),
            "PyTorch — chosen for A100."
        );
        assert_eq!(
            t(&pinned, "the project requires it"),
            "PyTorch — the project requires it (requirements.txt:3)."
        );
        assert_eq!(
            t(&Origin::Default, "a common choice"),
            "PyTorch — a common choice."
        );
        assert_eq!(
            t(&Origin::ProjectHint, "the project uses it"),
            "PyTorch — the project uses it."
        );
    }
}
