//! Phase: the training and inference commands (the project's entry points,
//! a FastAPI/Flask app served by its server, or scaffolded scripts).

use super::planner::Planner;
use super::types::{PlanError, Scaffold, ScaffoldKind};
use crate::choices::Stage;
use crate::facts::WebApp;

/// `src/app.py` -> `src.app`
fn module_of(path: &str) -> String {
    path.trim_end_matches(".py").replace('/', ".")
}

pub struct Commands {
    pub training: Vec<String>,
    pub inference: Vec<String>,
    pub port: u16,
}

impl Planner<'_> {
    pub fn entry_points(
        &self,
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
        let ep = &self.scan().entry_points;
        let mut scaffold_if = |stage: Stage, path: &str, kind: ScaffoldKind| {
            if stages.contains(&stage) && !self.exists(path) {
                scaffold.push(Scaffold {
                    path: path.into(),
                    kind,
                });
            }
        };
        let training_script = match &ep.training {
            Some(t) => t.clone(),
            None => {
                scaffold_if(Stage::Training, "train.py", ScaffoldKind::Training);
                "train.py".into()
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
        let inference = match (&ep.inference, ep.inference_app) {
            (Some(p), Some(WebApp::Fastapi)) => {
                serve(&["python", "-m", "uvicorn", &format!("{}:app", module_of(p))])
            }
            (Some(p), Some(WebApp::Flask)) => {
                serve(&["python", "-m", "flask", "--app", &module_of(p), "run"])
            }
            (Some(p), None) => vec!["python".into(), p.clone()],
            (None, _) => {
                scaffold_if(Stage::Inference, "serve.py", ScaffoldKind::Inference);
                vec!["python".into(), "serve.py".into()]
            }
        };
        Ok(Commands {
            training: vec!["python".to_string(), training_script],
            inference,
            port,
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
        let p = Planner::new(Catalog::embedded(), &f, &c);
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
        let p = Planner::new(Catalog::embedded(), &f, &c);
        assert!(p.entry_points(&[Stage::Inference], &mut vec![]).is_err());
    }
}
