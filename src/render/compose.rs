//! compose.yaml, rendered from typed structs through serde_yaml.

use super::dockerfile::healthcheck_cmd;
use crate::choices::{GpuCount, GpuSelection, Stage};
use crate::plan::{Health, Plan, Procs, APP_DIR};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// A map that keeps insertion order.
#[derive(Debug, Default)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Debug, Serialize)]
pub struct Compose {
    /// The project name, recorded with the cluster files (mlcontain.yaml's
    /// `project:`): compose names its images `<name>-<service>` as
    /// `mlcontain build`, the bake file and the cluster files do, whatever
    /// the folder is called (`COMPOSE_PROJECT_NAME` still overrides both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub services: Ordered<Service>,
    pub volumes: Ordered<Volume>,
    /// Build secrets: manifests holding index credentials.
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub secrets: Ordered<SecretFile>,
}

#[derive(Debug, Serialize)]
pub struct SecretFile {
    pub file: String,
}

impl<T> Ordered<T> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Volume {}

#[derive(Debug, Serialize)]
pub struct Build {
    pub context: String,
    pub dockerfile: String,
    /// None: the Dockerfile's last stage (a kept Dockerfile without that stage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub build: Build,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profiles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<EnvFile>,
    pub environment: Ordered<String>,
    pub volumes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ulimits: Option<Ulimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Ordered<DependsOn>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
}

/// `env_file` entry: read at run time, optional (Compose ≥ 2.24).
#[derive(Debug, Clone, Serialize)]
pub struct EnvFile {
    pub path: String,
    pub required: bool,
}

/// What NCCL and pinned-memory data loaders need (NVIDIA's recommended
/// `--ulimit memlock=-1 --ulimit stack=67108864`).
#[derive(Debug, Serialize)]
pub struct Ulimits {
    pub memlock: Limit,
    pub stack: i64,
}

#[derive(Debug, Serialize)]
pub struct Limit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Serialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: String,
    pub timeout: String,
    pub retries: u32,
    pub start_period: String,
}

#[derive(Debug, Serialize)]
pub struct DependsOn {
    pub condition: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deploy {
    pub resources: Resources,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub reservations: Reservations,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reservations {
    pub devices: Vec<Device>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub driver: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<GpuCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<String>>,
    pub capabilities: Vec<String>,
}

pub fn compose(plan: &Plan) -> Compose {
    let deploy = gpu_deploy(plan);
    let secret_files = super::dockerfile::mounted_secrets(plan);
    let secret_ids: Vec<String> = secret_files
        .iter()
        .map(|f| super::dockerfile::secret_id(f))
        .collect();
    let kept = plan.code.kept_dockerfile.as_deref();
    let build = |target: &str| Build {
        context: ".".into(),
        dockerfile: "Dockerfile".into(),
        target: match kept {
            Some(have) => crate::plan::code::kept_target(have, target),
            None => Some(target.into()),
        },
        // A kept Dockerfile mounts no secrets of ours.
        secrets: if kept.is_some() {
            vec![]
        } else {
            secret_ids.clone()
        },
    };
    // The image of a kept Dockerfile has its own CMD: run the code's commands.
    let own_cmd = |cmd: &Vec<String>| kept.is_some().then(|| cmd.clone());
    let model_dir = plan.code.model_dir.as_str();
    let env_file = if plan.code.env_file {
        vec![EnvFile {
            path: ".env".into(),
            required: false,
        }]
    } else {
        vec![]
    };
    let mut services: Ordered<Service> = Ordered(vec![]);
    if plan.has(Stage::Training) {
        let service = training_service(
            plan,
            build("training"),
            env_file.clone(),
            deploy.clone(),
            own_cmd(&plan.training_cmd),
        );
        services.0.push(("training".to_string(), service));
    }
    if plan.has(Stage::Inference) {
        let mut test = vec!["CMD".to_string()];
        test.extend(healthcheck_cmd(plan));
        services.0.push((
            "inference".to_string(),
            Service {
                build: build("inference"),
                command: own_cmd(&plan.inference_cmd),
                ulimits: None,
                profiles: None,
                env_file: env_file.clone(),
                environment: env(&[
                    ("MODEL_DIR", model_dir.into()),
                    ("PORT", plan.port.to_string()),
                ]),
                // The trained model comes through the volume; without a
                // training stage the model is the one in the image.
                volumes: if plan.code.inference_mounts_models {
                    vec![format!("models:{model_dir}:ro")]
                } else {
                    vec![]
                },
                // Bound to loopback: publish it wider on purpose, not by accident.
                ports: vec![format!("127.0.0.1:{p}:{p}", p = plan.port)],
                shm_size: plan.shm_size.clone(),
                healthcheck: Some(Healthcheck {
                    test,
                    interval: "10s".into(),
                    timeout: "5s".into(),
                    retries: 3,
                    start_period: "30s".into(),
                }),
                depends_on: None,
                restart: Some("unless-stopped".into()),
                deploy: deploy.clone(),
            },
        ));
    }
    if plan.has(Stage::Dev) {
        let depends_on = plan.has(Stage::Inference).then(|| {
            Ordered(vec![(
                "inference".to_string(),
                DependsOn {
                    condition: "service_healthy".into(),
                },
            )])
        });
        services.0.push((
            "dev".to_string(),
            Service {
                build: build("dev"),
                command: None,
                ulimits: None,
                // Started on request only: `docker compose run --rm dev`.
                profiles: Some(vec!["dev".into()]),
                env_file: env_file.clone(),
                environment: env(&[
                    ("MODEL_DIR", model_dir.into()),
                    ("DATA_DIR", plan.code.data_dir.clone()),
                    ("INFERENCE_URL", format!("http://inference:{}", plan.port)),
                ]),
                volumes: vec![
                    format!(".:{APP_DIR}"),
                    format!("models:{model_dir}"),
                    format!("data:{}", plan.code.data_dir),
                ],
                ports: vec![],
                shm_size: plan.shm_size.clone(),
                healthcheck: None,
                depends_on,
                restart: None,
                deploy: deploy.clone(),
            },
        ));
    }
    Compose {
        name: plan.saved.project.clone(),
        services,
        volumes: Ordered(vec![
            ("models".into(), Volume {}),
            ("data".into(), Volume {}),
        ]),
        secrets: Ordered(
            secret_files
                .iter()
                .map(|f| {
                    (
                        super::dockerfile::secret_id(f),
                        SecretFile {
                            file: format!("./{f}"),
                        },
                    )
                })
                .collect(),
        ),
    }
}

/// The GPUs the services reserve (none without a GPU selection).
fn gpu_deploy(plan: &Plan) -> Option<Deploy> {
    plan.gpus.as_ref().map(|sel| {
        let (count, device_ids) = match sel {
            GpuSelection::Count(c) => (Some(c.clone()), None),
            GpuSelection::Ids(ids) => (None, Some(ids.clone())),
        };
        Deploy {
            resources: Resources {
                reservations: Reservations {
                    devices: vec![Device {
                        driver: "nvidia".into(),
                        count,
                        device_ids,
                        capabilities: vec!["gpu".into()],
                    }],
                },
            },
        }
    })
}

fn env(pairs: &[(&str, String)]) -> Ordered<String> {
    Ordered(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// The training service: the model and data volumes, torchrun's launch and
/// limits with several processes (`own_cmd`: a kept Dockerfile's command).
fn training_service(
    plan: &Plan,
    build: Build,
    env_file: Vec<EnvFile>,
    deploy: Option<Deploy>,
    own_cmd: Option<Vec<String>>,
) -> Service {
    let model_dir = plan.code.model_dir.as_str();
    let procs = plan.deploy.local_procs();
    let mut environment = env(&[
        ("MODEL_DIR", model_dir.into()),
        ("DATA_DIR", plan.code.data_dir.clone()),
    ]);
    if procs.is_some() {
        environment.0.push(("NCCL_DEBUG".into(), "WARN".into()));
    }
    Service {
        build,
        command: procs.map(|p| torchrun_standalone(plan, p)).or(own_cmd),
        profiles: None,
        env_file,
        environment,
        volumes: vec![
            format!("models:{model_dir}"),
            format!("data:{}", plan.code.data_dir),
        ],
        ports: vec![],
        shm_size: training_shm(plan),
        ulimits: procs.map(|_| Ulimits {
            memlock: Limit { soft: -1, hard: -1 },
            stack: 67_108_864,
        }),
        healthcheck: None,
        depends_on: None,
        restart: None,
        deploy,
    }
}

/// `torchrun --standalone --nproc-per-node N <the training script and its args>`.
pub fn torchrun_standalone(plan: &Plan, procs: &Procs) -> Vec<String> {
    let mut cmd = vec![
        "torchrun".to_string(),
        "--standalone".into(),
        "--nproc-per-node".into(),
        procs.arg(),
    ];
    cmd.extend(plan.training_cmd.iter().skip(1).cloned());
    cmd
}

/// /dev/shm for training: 2 GB per process with several (NCCL's shared-memory
/// transport and each process's data-loader workers), else the framework's.
pub fn training_shm(plan: &Plan) -> Option<String> {
    match plan.deploy.local_procs() {
        Some(Procs::Count(n)) => Some(format!("{}gb", 2 * n.max(&1))),
        // Sized for up to 8 GPUs (a tmpfs limit: memory is used only as filled).
        Some(Procs::PerGpu) => Some("16gb".into()),
        None => plan.shm_size.clone(),
    }
}

pub fn render_compose(plan: &Plan) -> String {
    let body = serde_yaml::to_string(&compose(plan)).expect("compose serialises");
    let probe = match &plan.code.health {
        Health::Http(p) => format!("http://127.0.0.1:{}{p}", plan.port),
        Health::Tcp => format!("127.0.0.1:{}, no health route", plan.port),
    };
    let mut head = String::from(
        "# Generated by mlcontain from mlcontain.yaml; regenerate with `mlcontain init --yes`.\n",
    );
    if plan.has(Stage::Training) {
        head.push_str("# Train: docker compose run --rm training\n");
    }
    if plan.has(Stage::Inference) {
        head.push_str(&format!(
            "# Serve: docker compose up -d inference   ({probe})\n"
        ));
    }
    format!(
        "{head}# Named volumes start owned by the image's app user (UID {uid}), so both services\n\
         # can write and read models without any chmod.\n{body}",
        uid = plan.uid
    )
}
