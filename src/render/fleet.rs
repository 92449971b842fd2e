//! The files for running beyond one machine that need more than the plan:
//! the project name (images are `<project>-<target>`, as `mlcontain build`
//! and compose name them) and the build platforms. `deploy/slurm/` when the
//! plan deploys to Slurm; `docker-bake.hcl` when a cluster target is chosen
//! or `bake: true` is saved.
//!
//! Pure: plan and [`FleetSpec`] in, file texts out.

pub use super::bake::writes_bake;
use super::bake::{render_bake, BakeSpec, BAKE};
use super::file::{FileKind, GeneratedFile};
pub use super::slurm::{gpus_per_node, slurm_spec};
use super::slurm::{render_def, render_logs_keep, render_sbatch, DEF, LOGS_KEEP, SBATCH};
use crate::choices::DeployTarget;
use crate::plan::Plan;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetSpec {
    /// The sanitized project name (see `docker::project_name`).
    pub project: String,
    /// The build platforms (`linux/amd64`, ...).
    pub platforms: Vec<String>,
}

pub fn bake_spec(plan: &Plan, spec: &FleetSpec) -> BakeSpec {
    BakeSpec {
        project: spec.project.clone(),
        registry: plan.saved.registry.clone(),
        platforms: spec.platforms.clone(),
    }
}

/// The spec for `project`: the plan's platforms, else `host_platform`.
pub fn spec_for(plan: &Plan, project: &str, host_platform: &str) -> FleetSpec {
    FleetSpec {
        project: project.to_string(),
        platforms: if plan.platforms.is_empty() {
            vec![host_platform.to_string()]
        } else {
            plan.platforms
                .iter()
                .map(|p| p.docker().to_string())
                .collect()
        },
    }
}

/// The fleet files of the plan (none for a plain compose plan).
pub fn render_fleet(plan: &Plan, spec: &FleetSpec) -> Vec<GeneratedFile> {
    let gen = |path: &str, contents: String| GeneratedFile {
        path: path.to_string(),
        contents,
        kind: FileKind::Generated,
    };
    let mut files = vec![];
    if plan.deploy.has(DeployTarget::Slurm) {
        let s = slurm_spec(plan, &spec.project);
        files.push(gen(SBATCH, render_sbatch(plan, &s)));
        files.push(gen(DEF, render_def(plan, &s)));
        files.push(gen(LOGS_KEEP, render_logs_keep()));
    }
    if writes_bake(plan) {
        files.push(gen(BAKE, render_bake(plan, &bake_spec(plan, spec))));
    }
    files
}
