//! Phase: which framework. Chosen, pinned by a manifest, plain Python for a
//! project whose manifests name none, or PyTorch for a fresh repository.

use super::origin::{Decision, Origin};
use super::planner::{list, Planner};
use super::types::PlanError;
use crate::catalog::Framework;

impl<'a> Planner<'a> {
    pub fn framework(&mut self) -> Result<Decision<&'a Framework>, PlanError> {
        let (cat, scan) = (self.cat, self.scan());
        let detected = cat
            .frameworks
            .iter()
            .filter(|f| !f.is_none())
            .find_map(|f| {
                f.packages
                    .iter()
                    .find_map(|p| scan.pin(p))
                    .map(|pin| (f, pin.source.clone()))
                    // A framework only the lock names (an accelerator extra's).
                    .or_else(|| {
                        scan.locked
                            .iter()
                            .find(|l| {
                                f.packages.contains(&l.name)
                                    && (l.groups.is_empty() || l.groups.iter().any(|g| g == "main"))
                            })
                            .map(|l| (f, l.source.clone()))
                    })
            });
        // The code and the manifests together (imports, implied libraries),
        // when there is code to read.
        if self.choices.framework.is_none() && scan.code.python_files > 0 {
            if let Some(f) = super::code::framework_from_code(cat, scan, &mut self.explanations) {
                let origin = match f.packages.iter().find_map(|p| scan.pin(p)) {
                    Some(pin) => Origin::Pinned {
                        location: pin.source.clone(),
                    },
                    None => Origin::ProjectHint,
                };
                return Ok(Decision::new(f, origin));
            }
        }
        let d = match (&self.choices.framework, detected) {
            (Some(id), _) => {
                let id = normalise_framework(id);
                let f = cat.framework(&id).ok_or_else(|| {
                    PlanError::UnknownFramework(id.clone(), list(cat.framework_ids()))
                })?;
                Decision::new(f, Origin::Chosen)
            }
            (None, Some((f, location))) => Decision::new(f, Origin::Pinned { location }),
            (None, None) if !scan.has_no_manifest() => {
                Decision::new(self.catalog_framework("none")?, Origin::ProjectHint)
            }
            (None, None) => Decision::new(self.catalog_framework("pytorch")?, Origin::Default),
        };
        let (subject, detail) = match d.origin {
            Origin::Chosen => (d.value.name.as_str(), ""),
            Origin::Pinned { .. } => (d.value.name.as_str(), "the project requires it"),
            Origin::ProjectHint => (
                "plain Python",
                "the project's manifests name no ML framework",
            ),
            Origin::Default => (
                d.value.name.as_str(),
                "the most common choice for a new project; change it freely",
            ),
        };
        self.explain("framework", subject, &d.origin, detail);
        Ok(d)
    }
}

/// Framework ids accept common aliases.
pub fn normalise_framework(id: &str) -> String {
    match id.trim().to_ascii_lowercase().as_str() {
        "torch" | "pytorch" => "pytorch".into(),
        "tf" | "tensorflow" => "tensorflow".into(),
        "jax" => "jax".into(),
        "sklearn" | "scikit-learn" | "scikit_learn" => "sklearn".into(),
        "xgboost" => "xgboost".into(),
        "lightgbm" => "lightgbm".into(),
        "none" | "python" | "plain" => "none".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Origin, Planner};
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::facts::{Facts, Pin};

    fn decide(facts: &Facts, choices: &Choices) -> (String, Origin, String) {
        let mut p = Planner::new(Catalog::embedded(), facts, choices);
        let d = p.framework().unwrap();
        (d.value.id.clone(), d.origin, p.explanations[0].text.clone())
    }

    #[test]
    fn chosen_pinned_hinted_default() {
        let chosen = Choices {
            framework: Some("TF".into()),
            ..Default::default()
        };
        let (id, origin, _) = decide(&Facts::default(), &chosen);
        assert_eq!((id.as_str(), origin), ("tensorflow", Origin::Chosen));

        let mut f = Facts::default();
        f.project.requirements = vec!["requirements.txt".into()];
        let (id, origin, text) = decide(&f, &Choices::default());
        assert_eq!((id.as_str(), origin), ("none", Origin::ProjectHint));
        assert_eq!(
            text,
            "plain Python — the project's manifests name no ML framework."
        );

        f.project.pins = vec![Pin {
            package: "jax".into(),
            version: None,
            local: None,
            extras: vec![],
            spec: "jax".into(),
            source: "requirements.txt:4".into(),
        }];
        let (id, origin, text) = decide(&f, &Choices::default());
        assert_eq!(id, "jax");
        assert_eq!(
            origin.clone(),
            Origin::Pinned {
                location: "requirements.txt:4".into()
            }
        );
        assert_eq!(text, "JAX — the project requires it (requirements.txt:4).");

        let (id, origin, _) = decide(&Facts::default(), &Choices::default());
        assert_eq!((id.as_str(), origin), ("pytorch", Origin::Default));
    }

    #[test]
    fn unknown_framework_lists_the_valid_ones() {
        let c = Choices {
            framework: Some("caffe".into()),
            ..Default::default()
        };
        let f = Facts::default();
        let err = Planner::new(Catalog::embedded(), &f, &c)
            .framework()
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown framework `caffe`"),
            "{err}"
        );
        assert!(err.to_string().contains("pytorch"), "{err}");
    }
}
