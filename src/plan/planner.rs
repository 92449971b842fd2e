//! The planner's working state: the inputs, and the explanations and
//! warnings the phases add as they decide. Each phase is an `impl Planner`
//! block in its own sibling file; `plan_with` (in `mod.rs`) runs them in order.

use super::origin::{Explanation, Origin};
use super::types::PlanError;
use crate::catalog::{Catalog, Framework, Release};
use crate::choices::Choices;
use crate::compat::Compat;
use crate::facts::{Facts, ProjectScan};
use crate::version::Version;
use std::fmt::Display;

pub struct Planner<'a> {
    pub cat: &'a Catalog,
    pub facts: &'a Facts,
    pub choices: &'a Choices,
    pub compat: Compat<'a>,
    /// `.python-version` / `requires-python`, when the catalog knows it.
    pub hinted_python: Option<Version>,
    /// conda: the environment's `python=` (any version; conda brings it).
    pub conda_python: Option<Version>,
    /// What narrows the Python (see the resolution phase).
    pub py_constraints: Vec<crate::resolve::PythonConstraint>,
    pub explanations: Vec<Explanation>,
    pub warnings: Vec<String>,
}

impl<'a> Planner<'a> {
    pub fn new(cat: &'a Catalog, facts: &'a Facts, choices: &'a Choices) -> Self {
        let hinted_python = facts
            .project
            .python_hint
            .as_deref()
            .and_then(|h| h.parse::<Version>().ok())
            .map(|v| v.major_minor())
            .filter(|v| cat.python_versions.contains(v));
        Planner {
            cat,
            facts,
            choices,
            compat: Compat::new(cat, facts),
            hinted_python,
            conda_python: None,
            py_constraints: vec![],
            explanations: vec![],
            warnings: vec![],
        }
    }

    pub fn scan(&self) -> &'a ProjectScan {
        &self.facts.project
    }

    /// Explains a decision from its origin (see [`Explanation::decision`]).
    pub fn explain(
        &mut self,
        topic: &'static str,
        subject: impl Display,
        origin: &Origin,
        detail: &str,
    ) {
        self.explanations
            .push(Explanation::decision(topic, subject, origin, detail));
    }

    pub fn note(&mut self, topic: &'static str, text: impl Into<String>) {
        self.explanations.push(Explanation::note(topic, text));
    }

    /// The host cannot run a choice: an error, or with `--allow-incompatible` a warning.
    pub fn refuse(&mut self, msg: String) -> Result<(), PlanError> {
        if self.choices.allow_incompatible {
            self.warnings
                .push(format!("incompatible with this host: {msg}"));
            Ok(())
        } else {
            Err(PlanError::Incompatible(msg))
        }
    }

    /// A framework the planner relies on the catalog to have.
    pub fn catalog_framework(&self, id: &str) -> Result<&'a Framework, PlanError> {
        self.cat
            .framework(id)
            .ok_or_else(|| PlanError::Unsupported(format!("the catalog has no framework `{id}`")))
    }

    /// The Python for a release: the chosen one (if it supports it), the
    /// project's hint, the catalog default, else its newest.
    pub fn python_for(&self, rel: &Release) -> Option<Version> {
        if let Some(p) = &self.choices.python {
            return (rel.supports_python(p) || self.conda_python.is_some()).then(|| p.clone());
        }
        if let Some(p) = &self.conda_python {
            return Some(p.clone());
        }
        if let Some(h) = &self.hinted_python {
            if rel.supports_python(h) && self.python_ok(h) {
                return Some(h.clone());
            }
        }
        if rel.supports_python(&self.cat.default_python) && self.python_ok(&self.cat.default_python)
        {
            return Some(self.cat.default_python.clone());
        }
        rel.python.iter().rev().find(|p| self.python_ok(p)).cloned()
    }
}

pub fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
