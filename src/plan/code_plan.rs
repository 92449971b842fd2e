//! Phase: the code plan (where models go, run-time configuration, builder
//! tools, fresh requirements, the compose file, the build context), from
//! the code scan's readings in [`super::code`] and the commands and
//! manifests the earlier phases chose.

use super::code::{
    builder_tools, compose_file, dockerfile_warning, fresh_requirements, kept_target, model_dir,
    CodePlan,
};
use super::entry_points::Commands;
use super::manifests::ManifestPlan;
use super::origin::Explanation;
use super::planner::Planner;
use super::types::{ScaffoldKind, APP_DIR, MODEL_DIR};
use crate::catalog::Framework;
use crate::choices::Stage;
use crate::facts::code::Role;

fn kept_explanation(have: &[String], stages: &[Stage], compose_file: &str) -> String {
    let each: Vec<String> = stages
        .iter()
        .map(|s| match kept_target(have, s.as_str()) {
            Some(t) => format!("{s} builds its stage `{t}`"),
            None => format!("{s} builds its last stage"),
        })
        .collect();
    format!(
        "the project's Dockerfile is kept ({}): {compose_file} {} with the commands from the code.",
        if have.is_empty() {
            "one unnamed stage".to_string()
        } else {
            format!("stages {}", have.join(", "))
        },
        each.join(", ")
    )
}

impl Planner<'_> {
    /// The code plan: where models go, run-time configuration, builder
    /// tools, fresh requirements, the compose file, the build context.
    pub fn code_plan(
        &mut self,
        fw: &Framework,
        stages: &[Stage],
        m: &ManifestPlan,
        commands: &Commands,
    ) -> CodePlan {
        let scan = self.scan();
        let (ex, warnings) = (&mut self.explanations, &mut self.warnings);
        let (model_dir, inference_mounts_models) =
            model_dir(scan, stages, MODEL_DIR, APP_DIR, ex, warnings);
        let data_dir = super::data_dir::data_dir(scan, ex);
        let env_file = !scan.code.dotenv.is_empty();
        if env_file {
            ex.push(Explanation {
                topic: "config",
                text: format!(
                    "{} load(s) .env at run time: the services read it with env_file (optional); it stays out of the image.",
                    scan.code.dotenv.join(", ")
                ),
            });
        }
        let (builder_apt, ssh_mount) = builder_tools(scan, ex);
        let scaffolded_manifest = m.scaffold.iter().any(|s| s.kind == ScaffoldKind::Manifest);
        let (fresh_requirements, unmapped_imports) = if scaffolded_manifest {
            fresh_requirements(scan, &fw.packages, ex)
        } else {
            (vec![], vec![])
        };
        let compose_file = compose_file(scan, ex);
        let kept_dockerfile = if self.choices.keep_dockerfile == Some(true) {
            let kept = scan.code.dockerfile_stages.clone();
            match &kept {
                Some(have) => ex.push(Explanation {
                    topic: "compose",
                    text: kept_explanation(have, stages, &compose_file),
                }),
                None => warnings.push(
                    "--keep-dockerfile: the project has no Dockerfile (a regular file) to keep; mlcontain writes its own".into(),
                ),
            }
            kept
        } else {
            if let Some(w) = dockerfile_warning(scan, stages) {
                warnings.push(w);
            }
            None
        };
        let entry = |stage: Stage, role: Role, scaffold: bool| {
            (stages.contains(&stage) && !scaffold && scan.code.python_files > 0)
                .then(|| scan.code.best(role).map(|c| c.path.clone()))
                .flatten()
        };
        CodePlan {
            health: commands.health.clone(),
            model_dir,
            data_dir,
            inference_mounts_models,
            env_file,
            builder_apt,
            ssh_mount,
            fresh_requirements,
            unmapped_imports,
            compose_file,
            inference_scaffold: commands.inference_scaffold,
            training_scaffold: commands.training_scaffold,
            kept_dockerfile,
            training_entry: entry(Stage::Training, Role::Training, commands.training_scaffold),
            inference_entry: entry(
                Stage::Inference,
                Role::Inference,
                commands.inference_scaffold,
            ),
            files: scan.code.files.clone(),
            referenced: scan.code.context.clone(),
        }
    }
}
