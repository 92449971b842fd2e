//! The Kubernetes objects of a plan, as `k8s-openapi` types.

use super::common::{has, Object};
use crate::choices::Stage;
use crate::plan::{Health, Plan, RDZV_PORT};
use crate::version::Version;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    HTTPGetAction, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecurityContext, Service, ServicePort, ServiceSpec,
    TCPSocketAction, Toleration, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

pub const TRAINING: &str = "training";
pub const INFERENCE: &str = "inference";
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";
/// GPU Feature Discovery node labels (NVIDIA GPU Operator / k8s-device-plugin).
pub const GFD_DRIVER_MAJOR: &str = "nvidia.com/cuda.driver.major";
pub const GFD_DRIVER_MINOR: &str = "nvidia.com/cuda.driver.minor";
pub const GFD_COMPUTE_MAJOR: &str = "nvidia.com/gpu.compute.major";
pub const GFD_COMPUTE_MINOR: &str = "nvidia.com/gpu.compute.minor";
pub const GFD_PRODUCT: &str = "nvidia.com/gpu.product";
const HOME: &str = "/home/app";

/// The node kind an overlay targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    Gpu,
    Cpu,
    Mig,
}

impl Accel {
    pub fn as_str(self) -> &'static str {
        match self {
            Accel::Gpu => "gpu",
            Accel::Cpu => "cpu",
            Accel::Mig => "mig",
        }
    }
}

pub struct Objects<'a> {
    plan: &'a Plan,
    /// The rendezvous host: `training-0.training` for the Indexed Job.
    rdzv: String,
}

fn s(v: &str) -> String {
    v.to_string()
}

fn q(v: &str) -> Quantity {
    Quantity(v.to_string())
}

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: s(name),
        value: Some(s(value)),
        ..Default::default()
    }
}

fn labels(app: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (s("app.kubernetes.io/name"), s(app)),
        (s("app.kubernetes.io/component"), s(component)),
        (s("app.kubernetes.io/managed-by"), s("mlcontain")),
    ])
}

/// The selector: the labels that pick one component's pods.
fn selector(app: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (s("app.kubernetes.io/name"), s(app)),
        (s("app.kubernetes.io/component"), s(component)),
    ])
}

fn meta(name: &str, app: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(s(name)),
        labels: Some(labels(app, component)),
        ..Default::default()
    }
}

fn patch_meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(s(name)),
        ..Default::default()
    }
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: s(name),
        mount_path: s(path),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

fn empty_dir(name: &str, memory: bool, size: Option<&str>) -> Volume {
    Volume {
        name: s(name),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: memory.then(|| s("Memory")),
            size_limit: size.map(q),
        }),
        ..Default::default()
    }
}

fn claim_volume(name: &str, read_only: bool) -> Volume {
    Volume {
        name: s(name),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: s(name),
            read_only: read_only.then_some(true),
        }),
        ..Default::default()
    }
}

/// `>= v` for an integer label, as Kubernetes node affinity has no `Ge`:
/// `Gt v-1`.
fn at_least(key: &str, v: u64) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: s(key),
        operator: s("Gt"),
        values: Some(vec![v.saturating_sub(1).to_string()]),
    }
}

fn equals(key: &str, v: u64) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: s(key),
        operator: s("In"),
        values: Some(vec![v.to_string()]),
    }
}

/// `(major, minor) >= (a, b)` as alternatives (ORed node-selector terms):
/// `major > a`, or `major == a and minor >= b`.
fn version_at_least(
    major_key: &str,
    minor_key: &str,
    a: u64,
    b: u64,
) -> Vec<Vec<NodeSelectorRequirement>> {
    if b == 0 {
        return vec![vec![at_least(major_key, a)]];
    }
    vec![
        vec![at_least(major_key, a + 1)],
        vec![equals(major_key, a), at_least(minor_key, b)],
    ]
}

impl<'a> Objects<'a> {
    pub fn new(plan: &'a Plan) -> Self {
        Objects {
            plan,
            rdzv: format!("{TRAINING}-0.{TRAINING}"),
        }
    }

    /// The same objects with another rendezvous host (JobSet's pod names).
    pub fn with_rendezvous(plan: &'a Plan, host: String) -> Self {
        Objects { plan, rdzv: host }
    }

    /// Where the models volume goes: where training writes (the code plan's).
    fn model_dir(&self) -> &str {
        &self.plan.code.model_dir
    }

    fn app(&self) -> &str {
        &self.plan.deploy.app
    }

    fn nodes(&self) -> u32 {
        self.plan.deploy.nodes
    }

    /// The GPUs a GPU-overlay pod asks for.
    fn gpus(&self) -> u32 {
        self.plan.deploy.gpus_per_node.unwrap_or(1)
    }

    /// 2 GiB of /dev/shm per process.
    fn shm(&self, procs: u32) -> String {
        format!("{}Gi", 2 * procs.max(1))
    }

    /// The node affinity that keeps GPU pods on nodes whose driver runs the
    /// image and whose GPUs the build has kernels for (GPU Feature Discovery labels).
    pub fn gpu_affinity(&self) -> Option<Affinity> {
        let d = &self.plan.deploy;
        let mut alternatives: Vec<Vec<NodeSelectorRequirement>> = vec![vec![]];
        let mut and = |alts: Vec<Vec<NodeSelectorRequirement>>| {
            let mut out = vec![];
            for a in &alternatives {
                for b in &alts {
                    let mut t = a.clone();
                    t.extend(b.iter().cloned());
                    out.push(t);
                }
            }
            alternatives = out;
        };
        if let Some(v) = &d.min_driver {
            and(version_at_least(
                GFD_DRIVER_MAJOR,
                GFD_DRIVER_MINOR,
                part(v, 0),
                part(v, 1),
            ));
        }
        if let Some(cc) = d.min_compute {
            and(version_at_least(
                GFD_COMPUTE_MAJOR,
                GFD_COMPUTE_MINOR,
                cc.major as u64,
                cc.minor as u64,
            ));
        }
        if let Some(p) = &self.plan.deploy.gpu_product {
            and(vec![vec![NodeSelectorRequirement {
                key: s(GFD_PRODUCT),
                operator: s("In"),
                values: Some(vec![p.clone()]),
            }]]);
        }
        if alternatives.iter().all(|t| t.is_empty()) {
            return None;
        }
        Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: alternatives
                        .into_iter()
                        .map(|t| NodeSelectorTerm {
                            match_expressions: Some(t),
                            ..Default::default()
                        })
                        .collect(),
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    fn pod_security(&self) -> PodSecurityContext {
        let uid = self.plan.uid as i64;
        PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(uid),
            run_as_group: Some(uid),
            fs_group: Some(uid),
            seccomp_profile: Some(SeccompProfile {
                type_: s("RuntimeDefault"),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn container_security(&self) -> SecurityContext {
        SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec![s("ALL")]),
                ..Default::default()
            }),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            ..Default::default()
        }
    }

    /// Writable scratch for a read-only root: /tmp and the app user's caches.
    fn scratch_mounts(&self) -> Vec<VolumeMount> {
        vec![
            mount("tmp", "/tmp", false),
            mount("cache", &format!("{HOME}/.cache"), false),
            mount("dshm", "/dev/shm", false),
        ]
    }

    fn scratch_volumes(&self, shm: &str) -> Vec<Volume> {
        vec![
            empty_dir("tmp", false, Some("1Gi")),
            empty_dir("cache", false, Some("4Gi")),
            empty_dir("dshm", true, Some(shm)),
        ]
    }

    fn rdzv_host(&self) -> String {
        self.rdzv.clone()
    }

    /// The training container's command and arguments (`$(VAR)` expands
    /// from the container's environment).
    pub fn training_command(&self) -> (Vec<String>, Vec<String>) {
        let script: Vec<String> = self.plan.training_cmd.iter().skip(1).cloned().collect();
        if !self.plan.deploy.torchrun {
            return (vec![s("python")], script);
        }
        let mut args = vec![];
        if self.nodes() == 1 {
            args.push(s("--standalone"));
            args.push(s("--nproc-per-node=$(NPROC_PER_NODE)"));
        } else {
            args.extend([
                format!("--nnodes={}", self.nodes()),
                s("--nproc-per-node=$(NPROC_PER_NODE)"),
                s("--node-rank=$(JOB_COMPLETION_INDEX)"),
                s("--rdzv-backend=c10d"),
                format!("--rdzv-endpoint={}:{RDZV_PORT}", self.rdzv_host()),
                format!("--rdzv-id={TRAINING}"),
            ]);
        }
        args.extend(script);
        (vec![s("torchrun")], args)
    }

    fn training_env(&self) -> Vec<EnvVar> {
        let mut e = vec![
            env("MODEL_DIR", self.model_dir()),
            env("DATA_DIR", &self.plan.code.data_dir),
            EnvVar {
                name: s("JOB_COMPLETION_INDEX"),
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        field_path: s(
                            "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                        ),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            env("NPROC_PER_NODE", "1"),
        ];
        if self.plan.deploy.torchrun {
            e.push(env("NCCL_DEBUG", "WARN"));
        } else {
            e.push(env("NNODES", &self.nodes().to_string()));
            e.push(env("NODE_RANK", "$(JOB_COMPLETION_INDEX)"));
            e.push(env(
                "COORDINATOR_ADDR",
                &format!("{}:{RDZV_PORT}", self.rdzv_host()),
            ));
        }
        e
    }

    fn resources(&self, cpu: &str, memory: &str) -> ResourceRequirements {
        ResourceRequirements {
            requests: Some(BTreeMap::from([
                (s("cpu"), q(cpu)),
                (s("memory"), q(memory)),
            ])),
            limits: Some(BTreeMap::from([(s("memory"), q(memory))])),
            ..Default::default()
        }
    }

    /// Waits (bounded) until the rendezvous host resolves: pod DNS records
    /// appear only once the pods exist (the race of pytorch#73682, jobset#93).
    fn wait_for_rendezvous(&self) -> Container {
        let host = self.rdzv_host();
        let script = format!(
            "import socket, sys, time\nfor _ in range(300):\n    try:\n        socket.getaddrinfo('{host}', {RDZV_PORT})\n        sys.exit(0)\n    except OSError:\n        time.sleep(1)\nsys.exit('{host} did not resolve in 300 s')\n"
        );
        Container {
            name: s("wait-for-rendezvous"),
            image: Some(self.plan.deploy.image(TRAINING)),
            command: Some(vec![s("python"), s("-c"), script]),
            security_context: Some(self.container_security()),
            resources: Some(self.resources("100m", "128Mi")),
            ..Default::default()
        }
    }

    pub fn training_job(&self) -> Job {
        let app = self.app();
        let n = self.nodes() as i32;
        let (command, args) = self.training_command();
        let mut mounts = vec![
            mount("models", self.model_dir(), false),
            mount("data", &self.plan.code.data_dir, false),
        ];
        mounts.extend(self.scratch_mounts());
        let mut volumes = vec![claim_volume("models", false), claim_volume("data", false)];
        volumes.extend(self.scratch_volumes(&self.shm(1)));
        let container = Container {
            command: Some(command),
            args: Some(args),
            env: Some(self.training_env()),
            ports: (self.nodes() > 1).then(|| {
                vec![ContainerPort {
                    name: Some(s("rendezvous")),
                    container_port: RDZV_PORT as i32,
                    ..Default::default()
                }]
            }),
            ..self.container(TRAINING, ("2", "8Gi"), mounts)
        };
        let pod = PodSpec {
            restart_policy: Some(s("Never")),
            // Pod DNS `training-<index>.training` through the headless Service.
            subdomain: Some(s(TRAINING)),
            init_containers: (self.nodes() > 1 && self.plan.deploy.torchrun)
                .then(|| vec![self.wait_for_rendezvous()]),
            ..Default::default()
        };
        Job {
            metadata: meta(TRAINING, app, TRAINING),
            spec: Some(JobSpec {
                completion_mode: Some(s("Indexed")),
                completions: Some(n),
                parallelism: Some(n),
                // One failed node fails the run: its peers cannot go on without it.
                backoff_limit: Some(0),
                template: self.pod_template(TRAINING, pod, container, volumes),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// A workload container: the stage's image, hardened, with its requests and mounts.
    fn container(
        &self,
        name: &str,
        (cpu, memory): (&str, &str),
        mounts: Vec<VolumeMount>,
    ) -> Container {
        Container {
            name: s(name),
            image: Some(self.plan.deploy.image(name)),
            resources: Some(self.resources(cpu, memory)),
            security_context: Some(self.container_security()),
            volume_mounts: Some(mounts),
            ..Default::default()
        }
    }

    /// The pod template of a component: its labels, the hardened pod
    /// security context, one workload container and its volumes.
    fn pod_template(
        &self,
        component: &str,
        pod: PodSpec,
        container: Container,
        volumes: Vec<Volume>,
    ) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(labels(self.app(), component)),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                security_context: Some(self.pod_security()),
                containers: vec![container],
                volumes: Some(volumes),
                ..pod
            }),
        }
    }

    pub fn training_service(&self) -> Service {
        let app = self.app();
        Service {
            metadata: meta(TRAINING, app, TRAINING),
            spec: Some(ServiceSpec {
                cluster_ip: Some(s("None")),
                // DNS records before the pods are ready: the rendezvous needs them early.
                publish_not_ready_addresses: Some(true),
                selector: Some(selector(app, TRAINING)),
                ports: Some(vec![ServicePort {
                    name: Some(s("rendezvous")),
                    port: RDZV_PORT as i32,
                    target_port: Some(IntOrString::Int(RDZV_PORT as i32)),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// A readiness/liveness probe from the app's health route (the rule
    /// compose's healthcheck uses): GET the route when the app has one, else
    /// a TCP connect to the port, never a `/health` the app does not answer.
    pub fn probe(&self, port: IntOrString, initial: i32, period: i32) -> Probe {
        let (http_get, tcp_socket) = match &self.plan.code.health {
            Health::Http(path) => (
                Some(HTTPGetAction {
                    path: Some(path.clone()),
                    port,
                    ..Default::default()
                }),
                None,
            ),
            Health::Tcp => (
                None,
                Some(TCPSocketAction {
                    port,
                    ..Default::default()
                }),
            ),
        };
        Probe {
            http_get,
            tcp_socket,
            initial_delay_seconds: Some(initial),
            period_seconds: Some(period),
            timeout_seconds: Some(5),
            failure_threshold: Some(3),
            ..Default::default()
        }
    }

    pub fn inference_deployment(&self) -> Deployment {
        let app = self.app();
        let port = self.plan.port as i32;
        let mut mounts = vec![mount("models", self.model_dir(), true)];
        mounts.extend(self.scratch_mounts());
        let mut volumes = vec![claim_volume("models", true)];
        volumes.extend(self.scratch_volumes(&self.shm(1)));
        let http = || IntOrString::String(s("http"));
        let container = Container {
            command: Some(self.plan.inference_cmd.clone()),
            env: Some(vec![
                env("MODEL_DIR", self.model_dir()),
                env("PORT", &self.plan.port.to_string()),
            ]),
            ports: Some(vec![ContainerPort {
                name: Some(s("http")),
                container_port: port,
                ..Default::default()
            }]),
            readiness_probe: Some(self.probe(http(), 5, 10)),
            liveness_probe: Some(self.probe(http(), 30, 20)),
            ..self.container(INFERENCE, ("1", "4Gi"), mounts)
        };
        Deployment {
            metadata: meta(INFERENCE, app, INFERENCE),
            spec: Some(DeploymentSpec {
                replicas: Some(1),
                selector: LabelSelector {
                    match_labels: Some(selector(app, INFERENCE)),
                    ..Default::default()
                },
                template: self.pod_template(INFERENCE, PodSpec::default(), container, volumes),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub fn inference_service(&self) -> Service {
        let app = self.app();
        Service {
            metadata: meta(INFERENCE, app, INFERENCE),
            spec: Some(ServiceSpec {
                selector: Some(selector(app, INFERENCE)),
                ports: Some(vec![ServicePort {
                    name: Some(s("http")),
                    port: self.plan.port as i32,
                    target_port: Some(IntOrString::String(s("http"))),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn claim(&self, name: &str, size: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: meta(name, self.app(), "storage"),
            spec: Some(PersistentVolumeClaimSpec {
                // Training writes, inference reads, possibly on other nodes.
                access_modes: Some(vec![s("ReadWriteMany")]),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(s("storage"), q(size))])),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The base's objects, in file order.
    pub fn base(&self) -> Vec<Object> {
        let mut out = vec![Object::Claim(self.claim("models", "20Gi"))];
        if has(self.plan, Stage::Training) {
            out.push(Object::Claim(self.claim("data", "50Gi")));
            out.push(Object::Job(self.training_job()));
            out.push(Object::Service(self.training_service()));
        }
        if has(self.plan, Stage::Inference) {
            out.push(Object::Deployment(self.inference_deployment()));
            out.push(Object::Service(self.inference_service()));
        }
        out
    }

    /// A patch of one workload container for an overlay.
    fn pod_patch(&self, container: &str, accel: Accel, gpus: u32) -> PodSpec {
        let mut c = Container {
            name: s(container),
            ..Default::default()
        };
        let mut spec = PodSpec::default();
        match accel {
            Accel::Cpu => {
                // Images that set NVIDIA_VISIBLE_DEVICES=all would otherwise
                // see every GPU of the node through the NVIDIA runtime.
                c.env = Some(vec![env("NVIDIA_VISIBLE_DEVICES", "void")]);
            }
            Accel::Gpu | Accel::Mig => {
                let (resource, count) = match accel {
                    Accel::Mig => (
                        format!("nvidia.com/mig-{}", self.plan.deploy.mig_profile),
                        1,
                    ),
                    _ => (s(GPU_RESOURCE), gpus),
                };
                let n = q(&count.to_string());
                c.resources = Some(ResourceRequirements {
                    requests: Some(BTreeMap::from([(resource.clone(), n.clone())])),
                    limits: Some(BTreeMap::from([(resource, n)])),
                    ..Default::default()
                });
                if container == TRAINING {
                    c.env = Some(vec![env("NPROC_PER_NODE", &count.to_string())]);
                    spec.volumes = Some(vec![empty_dir("dshm", true, Some(&self.shm(count)))]);
                }
                spec.tolerations = Some(vec![Toleration {
                    key: Some(s(GPU_RESOURCE)),
                    operator: Some(s("Exists")),
                    effect: Some(s("NoSchedule")),
                    ..Default::default()
                }]);
                spec.affinity = self.gpu_affinity();
            }
        }
        spec.containers = vec![c];
        spec
    }

    /// The overlay's patches, aligned with [`Self::base`] (None: unchanged).
    pub fn patches(&self, accel: Accel) -> Vec<Option<Object>> {
        self.base()
            .iter()
            .map(|o| match o {
                Object::Job(_) => Some(Object::Job(Job {
                    metadata: patch_meta(TRAINING),
                    spec: Some(JobSpec {
                        template: PodTemplateSpec {
                            spec: Some(self.pod_patch(TRAINING, accel, self.gpus())),
                            ..Default::default()
                        },
                        ..Default::default()
                    }),
                    ..Default::default()
                })),
                Object::Deployment(_) => Some(Object::Deployment(Deployment {
                    metadata: patch_meta(INFERENCE),
                    spec: Some(DeploymentSpec {
                        template: PodTemplateSpec {
                            spec: Some(self.pod_patch(INFERENCE, accel, 1)),
                            ..Default::default()
                        },
                        ..Default::default()
                    }),
                    ..Default::default()
                })),
                _ => None,
            })
            .collect()
    }
}

fn part(v: &Version, i: usize) -> u64 {
    v.to_string()
        .split('.')
        .nth(i)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choices::{Accel as Build, Choices, DeployTarget};
    use crate::plan::plan;
    use crate::scenarios;

    /// Kubernetes' node-affinity semantics: terms are ORed, expressions
    /// ANDed; `Gt` compares integers and fails on a missing label.
    fn schedules(a: &Affinity, node: &[(&str, &str)]) -> bool {
        let labels: BTreeMap<&str, &str> = node.iter().copied().collect();
        let terms = &a
            .node_affinity
            .as_ref()
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .as_ref()
            .unwrap()
            .node_selector_terms;
        terms.iter().any(|t| {
            t.match_expressions.iter().flatten().all(|e| {
                let v = labels.get(e.key.as_str());
                let vals = e.values.clone().unwrap_or_default();
                match (e.operator.as_str(), v) {
                    ("Gt", Some(v)) => v.parse::<i64>().ok() > vals[0].parse::<i64>().ok(),
                    ("In", Some(v)) => vals.iter().any(|x| x == v),
                    _ => false,
                }
            })
        })
    }

    #[test]
    fn the_affinity_keeps_gpu_pods_off_nodes_whose_driver_is_too_old() {
        let p = plan(
            &scenarios::no_gpu(),
            &Choices {
                framework: Some("pytorch".into()),
                framework_version: Some("2.5.1".parse().unwrap()),
                cuda: Some(Build::Cuda("12.4".parse().unwrap())),
                deploy: Some(vec![DeployTarget::Kubernetes]),
                ..Default::default()
            },
        )
        .unwrap();
        // cu124 wheels: driver >= 525.60.13 (CUDA 12 minor-version compatibility).
        assert_eq!(
            p.deploy.min_driver.as_ref().unwrap().to_string(),
            "525.60.13"
        );
        let a = Objects::new(&p).gpu_affinity().unwrap();
        let node = |major: &'static str, minor: &'static str, cc: &'static str| {
            vec![
                (GFD_DRIVER_MAJOR, major),
                (GFD_DRIVER_MINOR, minor),
                (GFD_COMPUTE_MAJOR, cc),
                (GFD_COMPUTE_MINOR, "0"),
            ]
        };
        assert!(
            !schedules(&a, &node("470", "82", "8")),
            "driver 470: CUDA 11 only"
        );
        assert!(!schedules(&a, &node("525", "59", "8")), "525.59 < 525.60");
        assert!(schedules(&a, &node("525", "60", "8")));
        assert!(schedules(&a, &node("535", "104", "9")));
        assert!(
            !schedules(&a, &node("535", "104", "3")),
            "a Kepler GPU has no kernels"
        );
        assert!(
            !schedules(&a, &[]),
            "a node without GPU Feature Discovery labels"
        );
    }

    #[test]
    fn probes_follow_the_apps_health_route_or_connect_to_the_port() {
        let mut p = plan(
            &scenarios::no_gpu(),
            &Choices {
                framework: Some("none".into()),
                deploy: Some(vec![DeployTarget::Kubernetes]),
                ..Default::default()
            },
        )
        .unwrap();
        let probe = |p: &Plan| {
            let d = Objects::new(p).inference_deployment();
            let c = d.spec.unwrap().template.spec.unwrap().containers[0].clone();
            assert_eq!(c.readiness_probe.is_some(), c.liveness_probe.is_some());
            c.readiness_probe.unwrap()
        };
        p.code.health = Health::Http("/healthz".into());
        let r = probe(&p);
        assert_eq!(r.http_get.unwrap().path.as_deref(), Some("/healthz"));
        assert!(r.tcp_socket.is_none());
        // No health route: never a GET of a /health the app does not answer.
        p.code.health = Health::Tcp;
        let r = probe(&p);
        assert!(r.http_get.is_none(), "{r:?}");
        assert_eq!(
            r.tcp_socket.unwrap().port,
            IntOrString::String("http".into())
        );
    }
}
