//! Phase: the training and inference commands (the project's entry points,
//! a FastAPI/Flask app served by its server, or scaffolded scripts).

use super::code::{self, Health};
use super::planner::Planner;
use super::types::{PlanError, Scaffold, ScaffoldKind};
use crate::choices::Stage;
use crate::facts::code::Role;
use crate::facts::WebApp;

/// `src/app.py` -> `src.app`
fn module_of(path: &str) -> String {
    path.trim_end_matches(".py").replace('/', ".")
}

pub struct Commands {
    pub training: Vec<String>,
    pub inference: Vec<String>,
    pub port: u16,
    /// The inference health check (the app's health route, or a TCP connect).
    pub health: Health,
    /// The training / inference service runs mlcontain's placeholder.
    pub training_scaffold: bool,
    pub inference_scaffold: bool,
}

impl Planner<'_> {
    pub fn entry_points(
        &mut self,
        stages: &[Stage],
        scaffold: &mut Vec<Scaffold>,
    ) -> Result<Commands, PlanError> {
        let port = self.choices.port.unwrap_or(super::types::DEFAULT_PORT);
        if port == 0 {
            return Err(PlanError::Invalid {
                what: "port",
                value: "0".into(),
                why: "choose a port between 1 and 65535".into(),
            });
        }
        let scan = self.scan();
        let ep = &scan.entry_points;
        // With code to read, the commands come from what the code does
        // (super::code); file names are only the fallback without code.
        let from_code = scan.code.python_files > 0;
        let mut training_scaffold = false;
        let mut inference_scaffold = false;
        let existing = &scan.existing.files;
        let exists = |p: &str| existing.iter().any(|e| e == p);
        let mut scaffold_if = |stage: Stage, path: &str, kind: ScaffoldKind| -> bool {
            if stages.contains(&stage) && !exists(path) {
                scaffold.push(Scaffold {
                    path: path.into(),
                    kind,
                });
                return true;
            }
            false
        };
        let code_training = (from_code && stages.contains(&Stage::Training))
            .then(|| code::training_command(scan, &mut self.explanations))
            .flatten();
        let training = match code_training {
            Some(cmd) => cmd,
            None => {
                let script = match ep.training.as_ref().filter(|_| !from_code) {
                    Some(t) => t.clone(),
                    None => {
                        training_scaffold =
                            scaffold_if(Stage::Training, "train.py", ScaffoldKind::Training);
                        "train.py".into()
                    }
                };
                vec!["python".to_string(), script]
            }
        };
        let serve = |args: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            v.extend([
                "--host".into(),
                "0.0.0.0".into(),
                "--port".into(),
                port.to_string(),
            ]);
            v
        };
        let mut health = Health::Http("/health".into());
        let code_inference = if from_code && stages.contains(&Stage::Inference) {
            code::inference_command(scan, port, &mut self.explanations, &mut self.warnings)
        } else {
            None
        };
        let inference = match (code_inference, &ep.inference, ep.inference_app) {
            (Some((cmd, h)), _, _) => {
                health = h;
                cmd
            }
            (None, Some(p), Some(WebApp::Fastapi)) if !from_code => {
                serve(&["python", "-m", "uvicorn", &format!("{}:app", module_of(p))])
            }
            (None, Some(p), Some(WebApp::Flask)) if !from_code => {
                serve(&["python", "-m", "flask", "--app", &module_of(p), "run"])
            }
            (None, Some(p), None) if !from_code => vec!["python".into(), p.clone()],
            _ => {
                inference_scaffold =
                    scaffold_if(Stage::Inference, "serve.py", ScaffoldKind::Inference);
                if inference_scaffold && from_code {
                    self.warnings.push("the code defines no server: the inference service runs mlcontain's placeholder serve.py (a scaffold, not your model); replace it with your server".into());
                } else if stages.contains(&Stage::Inference) && from_code {
                    self.warnings.push("the code defines no server that mlcontain recognises; the inference service runs serve.py as it is".into());
                }
                vec!["python".into(), "serve.py".into()]
            }
        };
        if training_scaffold && from_code {
            self.warnings.push("no training entry point in the code: the training service runs mlcontain's placeholder train.py (a scaffold)".into());
        }
        // A scaffold mlcontain wrote earlier is still its placeholder.
        let scaffold_in = |r: Role| scan.code.best(r).map(|c| c.scaffold).unwrap_or(false);
        training_scaffold |= stages.contains(&Stage::Training) && scaffold_in(Role::Training);
        inference_scaffold |= stages.contains(&Stage::Inference) && scaffold_in(Role::Inference);
        Ok(Commands {
            training,
            inference,
            port,
            health,
            training_scaffold,
            inference_scaffold,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{module_of, Planner};
    use crate::catalog::Catalog;
    use crate::choices::{Choices, Stage};
    use crate::facts::{Facts, WebApp};

    #[test]
    fn a_fastapi_app_is_served_by_uvicorn_and_missing_scripts_are_scaffolded() {
        let mut f = Facts::default();
        f.project.entry_points.inference = Some("src/app.py".into());
        f.project.entry_points.inference_app = Some(WebApp::Fastapi);
        let c = Choices {
            port: Some(9000),
            ..Default::default()
        };
        let mut scaffold = vec![];
        let mut p = Planner::new(Catalog::embedded(), &f, &c);
        let cmds = p
            .entry_points(&[Stage::Training, Stage::Inference], &mut scaffold)
            .unwrap();
        assert_eq!(
            cmds.inference[..4],
            ["python", "-m", "uvicorn", "src.app:app"]
        );
        assert_eq!(cmds.inference.last().map(String::as_str), Some("9000"));
        assert_eq!(cmds.training, ["python", "train.py"]);
        assert_eq!(scaffold.len(), 1, "train.py only");
        assert_eq!(module_of("a/b.py"), "a.b");
    }

    #[test]
    fn port_zero_is_refused() {
        let f = Facts::default();
        let c = Choices {
            port: Some(0),
            ..Default::default()
        };
        let mut p = Planner::new(Catalog::embedded(), &f, &c);
        assert!(p.entry_points(&[Stage::Inference], &mut vec![]).is_err());
    }
}
