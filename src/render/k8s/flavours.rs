//! The optional flavours: for training a JobSet (jobset.x-k8s.io/v1alpha2)
//! and a Kubeflow PyTorchJob (kubeflow.org/v1), whose pod templates are the
//! Indexed Job's; for inference a KServe InferenceService
//! (serving.kserve.io/v1beta1) whose predictor is the Deployment's pod (GPU
//! overlay for CUDA builds, CPU otherwise), so the hardening, shm, affinity,
//! probes and resources are the same; only the launch differs. Typed
//! structs for the CRD kinds, k8s-openapi types inside.

use super::common::{Object, HEADER, K8S_DIR};
use super::objects::{Accel, Objects, INFERENCE, TRAINING};
use super::overlay::merged;
use crate::choices::{K8sFlavour, Stage};
use crate::plan::Plan;
use k8s_openapi::api::batch::v1::{JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use std::collections::BTreeMap;

pub const JOBSET_API: &str = "jobset.x-k8s.io/v1alpha2";
pub const PYTORCHJOB_API: &str = "kubeflow.org/v1";
pub const KSERVE_API: &str = "serving.kserve.io/v1beta1";
/// KServe's name for the predictor's serving container.
pub const KSERVE_CONTAINER: &str = "kserve-container";
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceService {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: InferenceServiceSpec,
}

#[derive(Debug, Serialize)]
pub struct InferenceServiceSpec {
    pub predictor: Predictor,
}

/// A custom-container predictor: KServe's component fields and the pod's
/// own fields inline (as the CRD has them).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Predictor {
    pub min_replicas: i32,
    pub max_replicas: i32,
    #[serde(flatten)]
    pub pod: PodSpec,
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
    component_meta(plan, TRAINING)
}

fn component_meta(plan: &Plan, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(component.into()),
        labels: Some(BTreeMap::from([
            (
                "app.kubernetes.io/name".to_string(),
                plan.deploy.app.clone(),
            ),
            (
                "app.kubernetes.io/component".to_string(),
                component.to_string(),
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

/// The InferenceService: the inference Deployment's pod (the GPU overlay's
/// for a CUDA build) as a custom-container predictor. `RawDeployment` mode:
/// KServe makes a Deployment and a Service of it, no Knative needed.
pub fn inference_service(plan: &Plan) -> Option<InferenceService> {
    let a = accel(plan);
    let mut pod = merged(&Objects::new(plan), a)
        .into_iter()
        .find_map(|x| match x {
            Object::Deployment(d) => d.spec.and_then(|s| s.template.spec),
            _ => None,
        })?;
    let port = plan.port as i32;
    for c in &mut pod.containers {
        c.name = KSERVE_CONTAINER.into();
        if let Some(ports) = c.ports.as_mut() {
            for p in ports.iter_mut() {
                // KServe (and Knative) read the port's protocol from its name.
                p.name = Some("http1".into());
                p.protocol = Some("TCP".into());
            }
        }
        let o = Objects::new(plan);
        c.readiness_probe = Some(o.probe(IntOrString::Int(port), 5, 10));
        c.liveness_probe = Some(o.probe(IntOrString::Int(port), 30, 20));
    }
    let mut metadata = component_meta(plan, INFERENCE);
    metadata.annotations = Some(BTreeMap::from([(
        "serving.kserve.io/deploymentMode".to_string(),
        "RawDeployment".to_string(),
    )]));
    Some(InferenceService {
        api_version: KSERVE_API,
        kind: "InferenceService",
        metadata,
        spec: InferenceServiceSpec {
            predictor: Predictor {
                min_replicas: 1,
                max_replicas: 1,
                pod,
            },
        },
    })
}

/// `deploy/k8s/flavours/*.yaml` for the flavours the user picked.
pub fn render(plan: &Plan) -> Vec<(String, String)> {
    let yaml = |v: &dyn erased::Ser| v.to_yaml();
    let mut out = vec![];
    let note = format!(
        "# Uses the claims of ../base (apply them first: kubectl apply -k {K8S_DIR}/base) and the {} pod template.\n",
        accel(plan).as_str()
    );
    let training = plan.has(Stage::Training);
    for f in &plan.deploy.k8s_flavours {
        match f {
            K8sFlavour::Jobset | K8sFlavour::Pytorchjob if !training => {}
            K8sFlavour::Kserve => {
                if !plan.has(Stage::Inference) {
                    continue;
                }
                if let Some(i) = inference_service(plan) {
                    out.push((
                        format!("{K8S_DIR}/flavours/inferenceservice.yaml"),
                        format!(
                            "{HEADER}# KServe InferenceService (needs KServe; RawDeployment mode: no Knative),\n# in place of ../base's inference Deployment and Service. It mounts the models claim\n# (kubectl apply -f {K8S_DIR}/base/models-pvc.yaml first) and has the {} pod template.\n{}",
                            accel(plan).as_str(),
                            yaml(&i)
                        ),
                    ));
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choices::{Accel as Build, Choices, DeployTarget};
    use crate::plan::{plan, Health};
    use crate::scenarios;

    fn gpu_plan(flavours: Vec<K8sFlavour>) -> Plan {
        plan(
            &scenarios::no_gpu(),
            &Choices {
                framework: Some("pytorch".into()),
                framework_version: Some("2.5.1".parse().unwrap()),
                cuda: Some(Build::Cuda("12.4".parse().unwrap())),
                gpus: Some(crate::choices::GpuSelection::Count(
                    crate::choices::GpuCount::N(2),
                )),
                deploy: Some(vec![DeployTarget::Kubernetes]),
                k8s_flavours: Some(flavours),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn the_inference_service_is_the_gpu_deployments_pod_as_a_predictor() {
        let mut p = gpu_plan(vec![K8sFlavour::Kserve]);
        p.code.health = Health::Tcp;
        let i = inference_service(&p).unwrap();
        let pod = &i.spec.predictor.pod;
        let c = &pod.containers[0];
        assert_eq!(c.name, KSERVE_CONTAINER);
        let limits = c.resources.as_ref().unwrap().limits.as_ref().unwrap();
        // One GPU per inference pod, requests equal to limits.
        assert_eq!(limits["nvidia.com/gpu"].0, "1");
        assert_eq!(
            c.resources.as_ref().unwrap().requests.as_ref().unwrap()["nvidia.com/gpu"].0,
            "1"
        );
        assert!(pod.affinity.is_some(), "the driver/compute affinity");
        assert!(pod.tolerations.is_some());
        let sec = pod.security_context.as_ref().unwrap();
        assert_eq!(sec.run_as_non_root, Some(true));
        assert_eq!(sec.run_as_user, Some(p.uid as i64));
        let csec = c.security_context.as_ref().unwrap();
        assert_eq!(csec.allow_privilege_escalation, Some(false));
        assert_eq!(csec.read_only_root_filesystem, Some(true));
        // The probe is the same rule as the Deployment's, on the port number.
        let r = c.readiness_probe.as_ref().unwrap();
        assert!(r.http_get.is_none());
        assert_eq!(
            r.tcp_socket.as_ref().unwrap().port,
            IntOrString::Int(p.port as i32)
        );
        let files = render(&p);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "deploy/k8s/flavours/inferenceservice.yaml");
        assert!(files[0]
            .1
            .contains("serving.kserve.io/deploymentMode: RawDeployment"));
    }

    #[test]
    fn no_inference_stage_no_inference_service_and_a_warning() {
        let p = plan(
            &scenarios::no_gpu(),
            &Choices {
                framework: Some("pytorch".into()),
                stages: Some(vec![Stage::Training]),
                deploy: Some(vec![DeployTarget::Kubernetes]),
                k8s_flavours: Some(vec![K8sFlavour::Kserve]),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(render(&p).is_empty());
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("--k8s-flavour kserve has no effect")),
            "{:?}",
            p.warnings
        );
    }
}
