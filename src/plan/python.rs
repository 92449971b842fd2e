//! Phase: which Python. Chosen, the project's hint, or the catalog default
//! among those the release supports; system CUDA images and conda bring
//! their own (see the images phase).

use super::accelerator::Selection;
use super::origin::Origin;
use super::planner::{list, Planner};
use super::types::{PlanError, PythonSource};
use crate::catalog::Framework;
use crate::facts::PackageManager;
use crate::version::Version;

impl Planner<'_> {
    /// A chosen Python must be one the catalog knows (conda brings any).
    pub fn check_python_choice(&self, pm: PackageManager) -> Result<(), PlanError> {
        match &self.choices.python {
            Some(p) if !self.cat.python_versions.contains(p) && pm != PackageManager::Conda => {
                Err(PlanError::Invalid {
                    what: "Python version",
                    value: p.to_string(),
                    why: format!("valid: {}", list(&self.cat.python_versions)),
                })
            }
            _ => Ok(()),
        }
    }

    /// The Python the release supports (before the images phase may
    /// replace it with the CUDA image's Ubuntu Python).
    pub fn python(&self, fw: &Framework, sel: &Selection) -> Result<Version, PlanError> {
        let Some(r) = sel.release else {
            let offered = &self.cat.python_versions;
            return Ok(self
                .choices
                .python
                .clone()
                .or(self.conda_python.clone())
                .or(self.hinted_python.clone().filter(|h| self.python_ok(h)))
                .or_else(|| Some(self.cat.default_python.clone()).filter(|d| self.python_ok(d)))
                .or_else(|| offered.iter().rev().find(|p| self.python_ok(p)).cloned())
                .unwrap_or_else(|| self.cat.default_python.clone()));
        };
        self.python_for(r).ok_or_else(|| {
            PlanError::Unsupported(format!(
                "{} {} supports Python {}; not {}",
                fw.name,
                r.version,
                list(&r.python),
                self.choices
                    .python
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            ))
        })
    }

    /// Explains the Python; returns its origin.
    pub fn explain_python(
        &mut self,
        fw: &Framework,
        sel: &Selection,
        python: &Version,
        source: PythonSource,
    ) -> Origin {
        let subject = format!("Python {python}");
        match source {
            PythonSource::Image => {
                let (origin, detail) = if self.choices.python.is_some() {
                    (Origin::Chosen, String::new())
                } else if self.hinted_python.as_ref() == Some(python) {
                    (Origin::ProjectHint, "what the project asks for".to_string())
                } else {
                    let among = sel
                        .release
                        .map(|r| format!(" among those {} {} supports", fw.name, r.version))
                        .unwrap_or_default();
                    (Origin::Default, format!("the default{among}"))
                };
                self.explain("python", subject, &origin, &detail);
                origin
            }
            // The base-image explanation says it comes from Ubuntu.
            PythonSource::Apt => Origin::Default,
            PythonSource::Conda => {
                let decides = if self.scan().environment_yml.is_some() {
                    " (environment.yml decides)"
                } else {
                    ""
                };
                let detail = format!("the conda environment provides it{decides}");
                self.explain("python", subject, &Origin::ProjectHint, &detail);
                Origin::ProjectHint
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PackageManager, Planner};
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::facts::Facts;

    #[test]
    fn an_unknown_python_is_refused_unless_conda_brings_it() {
        let f = Facts::default();
        let c = Choices {
            python: Some("2.7".parse().unwrap()),
            ..Default::default()
        };
        let p = Planner::new(Catalog::embedded(), &f, &c);
        let err = p.check_python_choice(PackageManager::Pip).unwrap_err();
        assert!(
            err.to_string().contains("invalid Python version `2.7`"),
            "{err}"
        );
        assert!(p.check_python_choice(PackageManager::Conda).is_ok());
    }

    #[test]
    fn the_project_hint_when_the_catalog_knows_it() {
        let mut f = Facts::default();
        f.project.python_hint = Some("3.11.9".into());
        let c = Choices::default();
        let p = Planner::new(Catalog::embedded(), &f, &c);
        assert_eq!(p.hinted_python, Some("3.11".parse().unwrap()));
        f.project.python_hint = Some("2.7".into());
        let p = Planner::new(Catalog::embedded(), &f, &c);
        assert_eq!(p.hinted_python, None);
    }
}
