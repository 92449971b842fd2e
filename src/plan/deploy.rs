//! Deployment targets and the cluster shape: which targets get files
//! (compose always; kubernetes and slurm on request) and how many training
//! nodes. Pure: choices in, a typed part of the plan out.

use super::origin::Explanation;
use crate::choices::{Choices, DeployTarget};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeployPlan {
    /// Sorted, without duplicates; always holds `compose`.
    pub targets: Vec<DeployTarget>,
    /// Training nodes for the cluster targets (1 for compose).
    pub nodes: u32,
}

impl DeployPlan {
    pub fn has(&self, t: DeployTarget) -> bool {
        self.targets.contains(&t)
    }
}

/// The targets and node count, with their explanations and warnings.
pub(crate) fn plan_deploy(
    choices: &Choices,
    ex: &mut Vec<Explanation>,
    warnings: &mut Vec<String>,
) -> DeployPlan {
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
    let text = match (choices.deploy.is_some(), extra.is_empty()) {
        (false, _) => "compose — the default: compose.yaml builds and runs the images on this host; add kubernetes or slurm with --deploy.".to_string(),
        (true, true) => "compose — chosen.".to_string(),
        (true, false) if chose_compose => format!("compose, {} — chosen; the cluster files use the same images.", extra.join(", ")),
        (true, false) => format!("{} — chosen; compose.yaml is written too (local builds and runs use it), and the cluster files use the same images.", extra.join(", ")),
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
    DeployPlan { targets, nodes }
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
