//! The optional training flavours: a JobSet (jobset.x-k8s.io/v1alpha2) and a
//! Kubeflow PyTorchJob (kubeflow.org/v1). Their pod templates are the
//! Indexed Job's (GPU overlay for CUDA builds, CPU otherwise), so the
//! hardening, shm, affinity and resources are the same; only the launch
//! differs. Typed structs for the CRD kinds, k8s-openapi types inside.

use super::objects::{Accel, Objects, TRAINING};
use super::{merged, Object, HEADER, K8S_DIR};
use crate::choices::{K8sFlavour, Stage};
use crate::plan::Plan;
use k8s_openapi::api::batch::v1::{JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

pub const JOBSET_API: &str = "jobset.x-k8s.io/v1alpha2";
pub const PYTORCHJOB_API: &str = "kubeflow.org/v1";
/// JobSet's replicated job: pods are `training-node-0-<i>.training`.
const REPLICATED_JOB: &str = "node";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSet {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: JobSetSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSetSpec {
    pub network: JobSetNetwork,
    pub failure_policy: JobSetFailurePolicy,
    pub replicated_jobs: Vec<ReplicatedJob>,
}

#[derive(Debug, Serialize)]
pub struct JobSetNetwork {
    #[serde(rename = "enableDNSHostnames")]
    pub enable_dns_hostnames: bool,
    #[serde(rename = "publishNotReadyAddresses")]
    pub publish_not_ready_addresses: bool,
    pub subdomain: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSetFailurePolicy {
    pub max_restarts: i32,
}

#[derive(Debug, Serialize)]
pub struct ReplicatedJob {
    pub name: String,
    pub replicas: i32,
    pub template: JobTemplateSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PyTorchJob {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: PyTorchJobSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PyTorchJobSpec {
    pub nproc_per_node: String,
    pub run_policy: RunPolicy,
    pub pytorch_replica_specs: BTreeMap<String, ReplicaSpec>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunPolicy {
    pub backoff_limit: i32,
    pub clean_pod_policy: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSpec {
    pub replicas: i32,
    pub restart_policy: String,
    pub template: PodTemplateSpec,
}

fn accel(plan: &Plan) -> Accel {
    if plan.cuda.is_some() {
        Accel::Gpu
    } else {
        Accel::Cpu
    }
}

fn training_job(o: &Objects, a: Accel) -> Option<JobSpec> {
    merged(o, a).into_iter().find_map(|x| match x {
        Object::Job(j) => j.spec,
        _ => None,
    })
}

fn meta(plan: &Plan) -> ObjectMeta {
    ObjectMeta {
        name: Some(TRAINING.into()),
        labels: Some(BTreeMap::from([
            (
                "app.kubernetes.io/name".to_string(),
                plan.deploy.app.clone(),
            ),
            (
                "app.kubernetes.io/component".to_string(),
                TRAINING.to_string(),
            ),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "mlcontain".to_string(),
            ),
        ])),
        ..Default::default()
    }
}

pub fn jobset(plan: &Plan) -> Option<JobSet> {
    let host = format!("{TRAINING}-{REPLICATED_JOB}-0-0.{TRAINING}");
    let o = Objects::with_rendezvous(plan, host);
    let mut spec = training_job(&o, accel(plan))?;
    if let Some(p) = spec.template.spec.as_mut() {
        // JobSet names the pods and their subdomain itself.
        p.subdomain = None;
    }
    Some(JobSet {
        api_version: JOBSET_API,
        kind: "JobSet",
        metadata: meta(plan),
        spec: JobSetSpec {
            network: JobSetNetwork {
                enable_dns_hostnames: true,
                publish_not_ready_addresses: true,
                subdomain: TRAINING.into(),
            },
            failure_policy: JobSetFailurePolicy { max_restarts: 0 },
            replicated_jobs: vec![ReplicatedJob {
                name: REPLICATED_JOB.into(),
                replicas: 1,
                template: JobTemplateSpec {
                    metadata: None,
                    spec: Some(spec),
                },
            }],
        },
    })
}

pub fn pytorchjob(plan: &Plan) -> Option<PyTorchJob> {
    if !plan.deploy.torchrun {
        return None;
    }
    let a = accel(plan);
    let spec = training_job(&Objects::new(plan), a)?;
    let mut template = spec.template;
    let nproc = match a {
        Accel::Gpu => plan.deploy.gpus_per_node.unwrap_or(1),
        _ => 1,
    };
    if let Some(p) = template.spec.as_mut() {
        p.subdomain = None;
        p.restart_policy = None;
        // The operator gives torchrun its rendezvous (PET_MASTER_ADDR,
        // PET_NNODES, PET_NODE_RANK, PET_NPROC_PER_NODE): no DNS wait of ours.
        p.init_containers = None;
        for c in &mut p.containers {
            c.name = "pytorch".into();
            c.command = Some(vec!["torchrun".into()]);
            c.args = Some(plan.training_cmd.iter().skip(1).cloned().collect());
            if let Some(env) = c.env.as_mut() {
                env.retain(|e| e.name != "NPROC_PER_NODE" && e.name != "JOB_COMPLETION_INDEX");
            }
            if let Some(ports) = c.ports.as_mut() {
                for port in ports.iter_mut() {
                    // The operator adds its own `pytorchjob-port`.
                    port.name = Some("rendezvous".into());
                }
            }
        }
    }
    let mut replicas = BTreeMap::from([(
        "Master".to_string(),
        ReplicaSpec {
            replicas: 1,
            restart_policy: "Never".into(),
            template: template.clone(),
        },
    )]);
    if plan.deploy.nodes > 1 {
        replicas.insert(
            "Worker".to_string(),
            ReplicaSpec {
                replicas: plan.deploy.nodes as i32 - 1,
                restart_policy: "Never".into(),
                template,
            },
        );
    }
    Some(PyTorchJob {
        api_version: PYTORCHJOB_API,
        kind: "PyTorchJob",
        metadata: meta(plan),
        spec: PyTorchJobSpec {
            nproc_per_node: nproc.to_string(),
            run_policy: RunPolicy {
                backoff_limit: 0,
                clean_pod_policy: "None".into(),
            },
            pytorch_replica_specs: replicas,
        },
    })
}

/// `deploy/k8s/flavours/*.yaml` for the flavours the user picked.
pub fn render(plan: &Plan) -> Vec<(String, String)> {
    if !plan.has(Stage::Training) {
        return vec![];
    }
    let yaml = |v: &dyn erased::Ser| v.to_yaml();
    let mut out = vec![];
    let note = format!(
        "# Uses the claims of ../base (apply them first: kubectl apply -k {K8S_DIR}/base) and the {} pod template.\n",
        accel(plan).as_str()
    );
    for f in &plan.deploy.k8s_flavours {
        match f {
            K8sFlavour::Jobset => {
                if let Some(j) = jobset(plan) {
                    out.push((
                        format!("{K8S_DIR}/flavours/jobset.yaml"),
                        format!(
                            "{HEADER}# JobSet (needs the JobSet controller).\n{note}{}",
                            yaml(&j)
                        ),
                    ));
                }
            }
            K8sFlavour::Pytorchjob => {
                if let Some(j) = pytorchjob(plan) {
                    out.push((
                        format!("{K8S_DIR}/flavours/pytorchjob.yaml"),
                        format!(
                            "{HEADER}# Kubeflow PyTorchJob (needs the Kubeflow training operator).\n{note}{}",
                            yaml(&j)
                        ),
                    ));
                }
            }
        }
    }
    out
}

mod erased {
    pub trait Ser {
        fn to_yaml(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_yaml(&self) -> String {
            serde_yaml::to_string(self).expect("manifests serialise")
        }
    }
}
