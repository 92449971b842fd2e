//! Deployment targets and the cluster shape: which targets get files
//! (compose always; kubernetes and slurm on request) and how many training
//! nodes. Pure: choices in, a typed part of the plan out.

use super::origin::Explanation;
use super::types::{CudaPlan, PlanError};
use crate::choices::{Choices, DeployTarget, GpuCount, GpuSelection, K8sFlavour};
use crate::facts::Facts;
use crate::version::{ComputeCapability, Version};
use serde::Serialize;

/// The rendezvous port of multi-node training (torchrun's default).
pub const RDZV_PORT: u16 = 29500;
/// The MIG profile the MIG overlay requests unless the user names one.
pub const DEFAULT_MIG_PROFILE: &str = "1g.10gb";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeployPlan {
    /// Sorted, without duplicates; always holds `compose`.
    pub targets: Vec<DeployTarget>,
    /// Training nodes for the cluster targets (1 for compose).
    pub nodes: u32,
    /// How training starts on one host (compose).
    pub local: Launch,
    /// GPUs each cluster node gives the training job (None: a CPU build).
    pub gpus_per_node: Option<u32>,
    /// The PyTorch launcher (torchrun) runs training; false: one process per node.
    pub torchrun: bool,
    /// The lowest driver the image runs on (node affinity on the cluster).
    pub min_driver: Option<Version>,
    /// The lowest GPU architecture the build carries kernels (SASS or PTX) for.
    pub min_compute: Option<ComputeCapability>,
    /// The cluster objects' name (a DNS label).
    pub app: String,
    /// The image name prefix: images are `[registry/]<project>-<target>:latest`,
    /// the names `mlcontain build`, compose and the bake file give them.
    pub project: String,
    pub registry: Option<String>,
    /// Kubernetes: pin GPU pods to this product (GFD label value).
    pub gpu_product: Option<String>,
    /// Kubernetes: the MIG overlay's profile (`1g.10gb`).
    pub mig_profile: String,
    /// Kubernetes: JobSet / PyTorchJob besides the Indexed Job (sorted).
    pub k8s_flavours: Vec<K8sFlavour>,
}

/// How the training service starts on one host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Launch {
    /// `python train.py`: one process.
    Single,
    /// `torchrun --standalone --nproc-per-node N`: one process per GPU.
    Torchrun(Procs),
}

/// torchrun's `--nproc-per-node`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Procs {
    Count(u32),
    /// `gpu`: one per visible GPU (the count is the host's, at start).
    PerGpu,
}

impl Procs {
    pub fn arg(&self) -> String {
        match self {
            Procs::Count(n) => n.to_string(),
            Procs::PerGpu => "gpu".into(),
        }
    }
}

impl DeployPlan {
    pub fn image(&self, target: &str) -> String {
        let name = format!("{}-{target}:latest", self.project);
        match &self.registry {
            Some(r) if !r.trim().is_empty() => format!("{}/{name}", r.trim_end_matches('/')),
            _ => name,
        }
    }
    /// Processes on one host (compose), when known.
    pub fn local_procs(&self) -> Option<&Procs> {
        match &self.local {
            Launch::Torchrun(p) => Some(p),
            Launch::Single => None,
        }
    }
}

/// What the deploy planner reads from the rest of the plan.
pub(crate) struct Inputs<'a> {
    pub choices: &'a Choices,
    pub facts: &'a Facts,
    pub framework_import: &'a str,
    pub framework_name: &'a str,
    pub cuda: Option<&'a CudaPlan>,
    pub min_compute: Option<ComputeCapability>,
    /// The training script is mlcontain's scaffold (DDP-ready).
    pub scaffolded_training: bool,
    /// The plan has an inference stage.
    pub inference: bool,
    /// The compose file written (the user's own `docker-compose.yml` / `compose.yml`, or `compose.yaml`).
    pub compose_file: &'a str,
}

impl DeployPlan {
    pub fn has(&self, t: DeployTarget) -> bool {
        self.targets.contains(&t)
    }
}

/// The targets and node count, with their explanations and warnings.
pub(crate) fn plan_deploy(
    inp: &Inputs,
    gpus: &mut Option<GpuSelection>,
    ex: &mut Vec<Explanation>,
    warnings: &mut Vec<String>,
) -> Result<DeployPlan, PlanError> {
    let choices = inp.choices;
    let gpu_product = match &choices.gpu_product {
        Some(p) => Some(label_value("GPU product", p)?),
        None => None,
    };
    let mig_profile = match &choices.mig_profile {
        Some(m) => mig(m)?,
        None => DEFAULT_MIG_PROFILE.to_string(),
    };
    let mut targets = choices.deploy.clone().unwrap_or_default();
    let chose_compose = targets.contains(&DeployTarget::Compose);
    targets.push(DeployTarget::Compose);
    targets.sort();
    targets.dedup();
    let extra: Vec<&str> = targets
        .iter()
        .filter(|t| **t != DeployTarget::Compose)
        .map(|t| t.as_str())
        .collect();
    let compose = inp.compose_file;
    let own = if compose == "compose.yaml" {
        ""
    } else {
        " (the project's own compose file, updated in place)"
    };
    let text = match (choices.deploy.is_some(), extra.is_empty()) {
        (false, _) => format!("compose — the default: {compose}{own} builds and runs the images on this host; add kubernetes or slurm with --deploy."),
        (true, true) if own.is_empty() => "compose — chosen.".to_string(),
        (true, true) => format!("compose — chosen: {compose}{own}."),
        (true, false) if chose_compose && own.is_empty() => format!("compose, {} — chosen; the cluster files use the same images.", extra.join(", ")),
        (true, false) if chose_compose => format!("compose, {} — chosen; {compose}{own} runs them on this host, and the cluster files use the same images.", extra.join(", ")),
        (true, false) => format!("{} — chosen; {compose}{own} is written too (local builds and runs use it), and the cluster files use the same images.", extra.join(", ")),
    };
    ex.push(Explanation {
        topic: "deploy",
        text,
    });
    let nodes = choices.nodes.unwrap_or(1);
    let cluster = targets
        .iter()
        .any(|t| matches!(t, DeployTarget::Kubernetes | DeployTarget::Slurm));
    if nodes > 1 {
        if cluster {
            ex.push(Explanation {
                topic: "deploy",
                text: format!("{nodes} training nodes — chosen; --gpus counts GPUs per node."),
            });
        } else {
            warnings.push(format!(
                "--nodes {nodes} has no effect on compose, which runs on one host; add --deploy kubernetes or slurm"
            ));
        }
    }
    let torchrun = inp.framework_import == "torch";

    // ---- Cluster GPUs per node: a number (a pod cannot ask for "all") -----
    let gpus_per_node = inp.cuda.map(|_| match &*gpus {
        Some(GpuSelection::Count(GpuCount::N(n))) => *n,
        Some(GpuSelection::Ids(ids)) => ids.len().max(1) as u32,
        _ => inp.facts.gpus.len().max(1) as u32,
    });
    if let (true, Some(g)) = (cluster, gpus_per_node) {
        match &*gpus {
            Some(GpuSelection::Count(GpuCount::N(_))) => {}
            Some(GpuSelection::Ids(_)) => ex.push(Explanation {
                topic: "deploy",
                text: format!("{g} GPUs per node on the cluster: a scheduler assigns devices, so the ids only give the count."),
            }),
            _ => {
                // Saved as a count, so a teammate's regeneration is the same.
                ex.push(Explanation {
                    topic: "deploy",
                    text: format!(
                        "{g} GPU{} per node — {}; a cluster pod asks for a count, not `all` (change it with --gpus N).",
                        if g == 1 { "" } else { "s" },
                        if inp.facts.gpus.is_empty() { "no GPU detected here to count".to_string() } else { "the GPUs on this host".to_string() }
                    ),
                });
                *gpus = Some(GpuSelection::Count(GpuCount::N(g)));
            }
        }
    }

    let local = local_launch(inp, gpus, torchrun, ex);
    if nodes > 1 && cluster && !torchrun {
        warnings.push(format!(
            "{} has no launcher mlcontain generates for {nodes} nodes: each node's pod runs the training script once with NODE_RANK, NNODES and COORDINATOR_ADDR set; the script must join them itself (e.g. jax.distributed.initialize or TF_CONFIG)",
            inp.framework_name
        ));
    }
    let mut k8s_flavours = choices.k8s_flavours.clone().unwrap_or_default();
    k8s_flavours.sort();
    k8s_flavours.dedup();
    if k8s_flavours.contains(&K8sFlavour::Pytorchjob) && !torchrun {
        return Err(PlanError::Unsupported(format!(
            "a Kubeflow PyTorchJob runs PyTorch; {} training can use --k8s-flavour jobset or the Indexed Job",
            inp.framework_name
        )));
    }
    if k8s_flavours.contains(&K8sFlavour::Kserve) && !inp.inference {
        warnings.push(
            "--k8s-flavour kserve has no effect without an inference stage (add it with --stages)"
                .into(),
        );
    }
    if !k8s_flavours.is_empty() && !targets.contains(&DeployTarget::Kubernetes) {
        warnings.push("--k8s-flavour has no effect without --deploy kubernetes".into());
    }
    let app = inp
        .facts
        .project
        .pyproject
        .as_ref()
        .and_then(|p| p.name.as_deref())
        .map(dns_label)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "ml-app".to_string());
    Ok(DeployPlan {
        targets,
        nodes,
        local,
        gpus_per_node,
        torchrun,
        min_driver: inp.cuda.map(|c| c.min_driver.clone()),
        min_compute: inp.cuda.and(inp.min_compute),
        // The recorded project (init sets it), else the app's name.
        project: choices
            .project
            .clone()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| app.clone()),
        app,
        registry: choices.registry.clone(),
        gpu_product,
        mig_profile,
        k8s_flavours,
    })
}

/// One host: one process per reserved GPU (torchrun for PyTorch), else one
/// process that sees them all.
fn local_launch(
    inp: &Inputs,
    gpus: &Option<GpuSelection>,
    torchrun: bool,
    ex: &mut Vec<Explanation>,
) -> Launch {
    // ---- One host: one process per reserved GPU ----------------------------
    let reserved = match gpus {
        None => None,
        Some(GpuSelection::Count(GpuCount::All)) => Some(Procs::PerGpu),
        Some(GpuSelection::Count(GpuCount::N(n))) => Some(Procs::Count(*n)),
        Some(GpuSelection::Ids(ids)) => Some(Procs::Count(ids.len() as u32)),
    };
    match reserved {
        Some(Procs::Count(1)) | None => Launch::Single,
        Some(p) if torchrun => {
            let script = if inp.scaffolded_training {
                "the scaffolded train.py joins them with DistributedDataParallel"
            } else {
                "the training script must join the process group torchrun describes (torch.distributed.init_process_group); one that does not runs once per process"
            };
            ex.push(Explanation {
                topic: "multi-gpu",
                text: match &p {
                    Procs::PerGpu => format!("training runs `torchrun --standalone --nproc-per-node gpu`: one process per GPU the service sees (all are reserved); {script}."),
                    Procs::Count(n) => format!("training runs `torchrun --standalone --nproc-per-node {n}`: one process per reserved GPU; {script}."),
                },
            });
            Launch::Torchrun(p)
        }
        Some(_) => {
            let how = match inp.framework_import {
                "tensorflow" => " (tf.distribute.MirroredStrategy spreads the work over them)",
                "jax" => " (jax.pmap or sharding spreads the work over them)",
                _ => "",
            };
            ex.push(Explanation {
                topic: "multi-gpu",
                text: format!(
                    "{} trains in one process, which sees every reserved GPU{how}; no launcher is added.",
                    inp.framework_name
                ),
            });
            Launch::Single
        }
    }
}

/// A Kubernetes label value: at most 63 of `A-Za-z0-9._-`, alphanumeric at both ends.
fn label_value(what: &'static str, v: &str) -> Result<String, PlanError> {
    let ok = !v.is_empty()
        && v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(v.to_string())
    } else {
        Err(PlanError::Invalid {
            what,
            value: v.to_string(),
            why: "a node label value: up to 63 letters, digits, `.`, `_` or `-` (GPU Feature Discovery writes e.g. NVIDIA-H100-80GB-HBM3)".into(),
        })
    }
}

/// A MIG profile such as `1g.10gb` (the resource `nvidia.com/mig-1g.10gb`).
fn mig(v: &str) -> Result<String, PlanError> {
    let ok = v
        .split_once("g.")
        .map(|(a, b)| {
            !a.is_empty()
                && a.chars().all(|c| c.is_ascii_digit())
                && b.strip_suffix("gb")
                    .map(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
                    .unwrap_or(false)
        })
        .unwrap_or(false);
    if ok {
        Ok(v.to_string())
    } else {
        Err(PlanError::Invalid {
            what: "MIG profile",
            value: v.to_string(),
            why: "use the form 1g.10gb (GPU slices `g`, memory `gb`)".into(),
        })
    }
}

/// A DNS-1123 label: lowercase letters, digits and `-`, at most 40 characters
/// here (room for the suffixes the manifests add).
pub fn dns_label(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use crate::choices::{Choices, DeployTarget, SavedConfig};
    use crate::plan::plan;
    use crate::scenarios;

    #[test]
    fn compose_is_always_a_target_and_the_answers_are_saved() {
        let facts = scenarios::no_gpu();
        let p = plan(&facts, &Choices::default()).unwrap();
        assert_eq!(p.deploy.targets, vec![DeployTarget::Compose]);
        assert_eq!(p.deploy.nodes, 1);
        assert_eq!(p.saved.deploy, None, "a default is not saved");

        let c = Choices {
            deploy: Some(vec![DeployTarget::Slurm, DeployTarget::Kubernetes]),
            nodes: Some(2),
            ..Default::default()
        };
        let p = plan(&facts, &c).unwrap();
        use DeployTarget::*;
        assert_eq!(p.deploy.targets, vec![Compose, Kubernetes, Slurm]);
        assert_eq!(p.deploy.nodes, 2);
        assert!(p.warnings.iter().all(|w| !w.contains("--nodes")));
        let saved = SavedConfig::parse(&p.saved.to_yaml(), "mlcontain.yaml").unwrap();
        let again = plan(&facts, &saved.to_choices()).unwrap();
        assert_eq!(again.deploy, p.deploy);
    }

    #[test]
    fn nodes_without_a_cluster_target_warn() {
        let facts = scenarios::no_gpu();
        let c = Choices {
            nodes: Some(3),
            ..Default::default()
        };
        let p = plan(&facts, &c).unwrap();
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("--nodes 3 has no effect")),
            "{:?}",
            p.warnings
        );
    }
}
