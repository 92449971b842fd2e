//! The files for running beyond one machine that need more than the plan:
//! the project name (images are `<project>-<target>`, as `mlcontain build`
//! and compose name them) and the build platforms. `deploy/slurm/` when the
//! plan deploys to Slurm; `docker-bake.hcl` when a cluster target is chosen
//! or `bake: true` is saved.
//!
//! Pure: plan and [`FleetSpec`] in, file texts out.

use super::bake::{render_bake, BakeSpec, BAKE};
use super::slurm::{
    render_def, render_logs_keep, render_sbatch, SlurmSpec, DEF, LOGS_KEEP, SBATCH,
};
use super::{FileKind, GeneratedFile};
use crate::choices::{DeployTarget, GpuCount, GpuSelection};
use crate::plan::Plan;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetSpec {
    /// The sanitized project name (see `docker::project_name`).
    pub project: String,
    /// The build platforms (`linux/amd64`, ...).
    pub platforms: Vec<String>,
}

/// Whether the plan gets a docker-bake.hcl.
pub fn writes_bake(plan: &Plan) -> bool {
    plan.saved.bake == Some(true)
        || plan.deploy.has(DeployTarget::Kubernetes)
        || plan.deploy.has(DeployTarget::Slurm)
}

/// GPUs per node for the cluster: the `--gpus` count (or the number of
/// device ids); 1 when it is `all` or unset, since a batch script needs a
/// number. None for a CPU plan.
pub fn gpus_per_node(plan: &Plan) -> Option<u32> {
    plan.cuda.as_ref()?;
    Some(match &plan.gpus {
        Some(GpuSelection::Count(GpuCount::N(n))) => *n,
        Some(GpuSelection::Ids(ids)) => u32::try_from(ids.len()).unwrap_or(u32::MAX).max(1),
        Some(GpuSelection::Count(GpuCount::All)) | None => 1,
    })
}

pub fn slurm_spec(plan: &Plan, project: &str) -> SlurmSpec {
    SlurmSpec {
        project: project.to_string(),
        nodes: plan.deploy.nodes,
        gpus_per_node: gpus_per_node(plan),
        registry: plan.saved.registry.clone(),
    }
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

/// The README.Docker.md sections for Slurm and the bake file (empty when
/// the plan writes neither).
pub fn readme_sections(plan: &Plan) -> String {
    let mut s = String::new();
    let project = plan
        .saved
        .project
        .clone()
        .unwrap_or_else(|| "<project>".to_string());
    if plan.deploy.has(DeployTarget::Slurm) {
        let spec = slurm_spec(plan, &project);
        let per_node = match spec.gpus_per_node {
            Some(g) => format!("{g} GPU(s) per node"),
            None => "CPU only".to_string(),
        };
        s.push_str(&format!(
            "## Slurm\n\n`{SBATCH}` trains on {} node(s), {per_node}, through Apptainer\n(one launcher per node, rendezvous on the first node). Build the SIF once, then submit:\n\n```sh\n",
            spec.nodes
        ));
        if spec.registry.is_some() {
            s.push_str("mlcontain build --bake --push training\n");
        } else {
            s.push_str(&format!(
                "mlcontain build --target training   # the image {}\n",
                spec.image()
            ));
        }
        s.push_str(&format!(
            "apptainer build deploy/slurm/{} {DEF}\nsbatch {SBATCH}\n```\n\n",
            spec.sif()
        ));
        s.push_str(&format!(
            "Before training, each node checks that the framework sees the GPUs Slurm allocated\n\
             (SLURM_GPUS_ON_NODE, CUDA_VISIBLE_DEVICES) and the job fails if it sees fewer\n\
             (`MLCONTAIN_VERIFY=0` skips it). The job runs as you; models go to `MODELS_DIR`\n\
             (default `./models`), bound at `{}`. Logs: `deploy/slurm/logs/`.\n\n",
            plan.code.model_dir
        ));
    }
    if writes_bake(plan) {
        let registry = plan.saved.registry.as_deref();
        s.push_str(&format!(
            "## Bake\n\n`{BAKE}` has one target per stage, tagged `{}{project}-<target>:latest` (the\n\
             PROJECT, TAG{} variables override them){}.\n\n```sh\nmlcontain build --bake\n",
            registry.map(|r| format!("{}/", r.trim_end_matches('/'))).unwrap_or_default(),
            if registry.is_some() { ", REGISTRY" } else { "" },
            if registry.is_some() {
                ", with a registry build cache (cache-from/cache-to)"
            } else {
                ""
            }
        ));
        if registry.is_some() {
            s.push_str("mlcontain build --bake --push\n");
        }
        s.push_str(
            "```\n\nA registry cache and multi-platform builds need the containerd image store or a\n\
             docker-container builder: `mlcontain build --bake` checks the engine first and says\n\
             what to change, and refuses a multi-platform build whose base images lack a platform.\n\n",
        );
    }
    s
}
