//! Choices: the user's answers (from flags, the wizard or `mlcontain.yaml`).
//! Every field is optional; the planner fills the gaps with defaults.

use crate::facts::PackageManager;
use crate::platform::Platform;
use crate::version::Version;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Training,
    Inference,
    Dev,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Training, Stage::Inference, Stage::Dev];
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Training => "training",
            Stage::Inference => "inference",
            Stage::Dev => "dev",
        }
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "training" | "train" => Ok(Stage::Training),
            "inference" | "serve" | "serving" => Ok(Stage::Inference),
            "dev" | "development" => Ok(Stage::Dev),
            other => Err(format!(
                "unknown stage `{other}` (valid: training, inference, dev)"
            )),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CPU-only, or a CUDA toolkit version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accel {
    Cpu,
    Cuda(Version),
}

impl Accel {
    pub fn is_cuda(&self) -> bool {
        matches!(self, Accel::Cuda(_))
    }
}

impl FromStr for Accel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if t == "cpu" || t == "none" {
            return Ok(Accel::Cpu);
        }
        let t = t
            .strip_prefix("cuda")
            .unwrap_or(&t)
            .trim_start_matches(['-', ' ']);
        // Accept `cu124` as well as `12.4`.
        if let Some(d) = t.strip_prefix("cu") {
            if d.len() >= 3 && d.chars().all(|c| c.is_ascii_digit()) {
                let (maj, min) = d.split_at(d.len() - 1);
                return Ok(Accel::Cuda(Version::new(&[
                    maj.parse().unwrap_or(0),
                    min.parse().unwrap_or(0),
                ])));
            }
        }
        t.parse::<Version>()
            .map(Accel::Cuda)
            .map_err(|_| format!("`{s}` is neither `cpu` nor a CUDA version like 12.4"))
    }
}

impl fmt::Display for Accel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Accel::Cpu => f.write_str("cpu"),
            Accel::Cuda(v) => write!(f, "{v}"),
        }
    }
}

impl Serialize for Accel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
/// Checks a Python version is `3.Y` exactly (`3.011`, `+3.11`, `3.11.2`
/// and `3` are refused): it becomes a base image tag.
pub fn strict_python(s: &str) -> Result<(), String> {
    let ok = match s.split_once('.') {
        Some((major, minor)) => {
            major == "3"
                && !minor.is_empty()
                && minor.len() <= 2
                && minor.chars().all(|c| c.is_ascii_digit())
                && !(minor.len() > 1 && minor.starts_with('0'))
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a Python version of the form 3.Y (for example 3.11)"
        ))
    }
}

/// A YAML number where a version belongs: `12.10` and `3.10` arrive as the
/// floats 12.1 and 3.1, so a float is refused as ambiguous (an integer is
/// fine). Quote versions in YAML.
fn version_number<E: serde::de::Error>(n: &serde_yaml::Number, what: &str) -> Result<String, E> {
    if n.is_f64() {
        return Err(E::custom(format!(
            "the YAML number {n} is ambiguous for a {what} (12.10 and 12.1 read the same); write it in quotes, e.g. '{n}' or '{n}0'"
        )));
    }
    Ok(n.to_string())
}

/// Quotes the value of `cuda:`, `python:` and `framework_version:` when it
/// is written as a bare number, so `cuda: 12.10` means "12.10", as written.
pub fn quote_version_scalars(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let mut done = false;
        for key in ["cuda", "python", "framework_version"] {
            let Some(rest) = body.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
                continue;
            };
            let (value, comment) = match rest.find(" #") {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let v = value.trim();
            if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.contains('.')
            {
                out.push_str(&format!("{key}: '{v}'{comment}{ending}"));
                done = true;
            }
            break;
        }
        if !done {
            out.push_str(line);
        }
    }
    out
}

impl<'de> Deserialize<'de> for Accel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml::Value::deserialize(d)?;
        let text = match v {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => version_number(&n, "CUDA version")?,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected `cpu` or a CUDA version like \"12.4\", found {other:?}"
                )))
            }
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Which GPUs the compose services reserve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GpuSelection {
    /// `all` or a count.
    Count(GpuCount),
    /// Device ids (`["0", "1"]` or UUIDs).
    Ids(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuCount {
    All,
    N(u32),
}

impl Serialize for GpuCount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GpuCount::All => s.serialize_str("all"),
            GpuCount::N(n) => s.serialize_u32(*n),
        }
    }
}
impl<'de> Deserialize<'de> for GpuCount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml::Value::deserialize(d)?;
        match v {
            serde_yaml::Value::String(s) if s == "all" => Ok(GpuCount::All),
            serde_yaml::Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .map(GpuCount::N)
                .ok_or_else(|| {
                    serde::de::Error::custom("gpus: expected `all` or a positive count")
                }),
            _ => Err(serde::de::Error::custom(
                "gpus: expected `all`, a positive count, or a list of device ids",
            )),
        }
    }
}

impl FromStr for GpuSelection {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t == "all" {
            return Ok(GpuSelection::Count(GpuCount::All));
        }
        if let Ok(n) = t.parse::<u32>() {
            if n == 0 {
                return Err("gpus: a count must be at least 1 (use --cuda cpu for none)".into());
            }
            return Ok(GpuSelection::Count(GpuCount::N(n)));
        }
        let ids: Vec<String> = t
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if ids.is_empty() {
            return Err(format!("gpus: `{s}` is not `all`, a count or device ids"));
        }
        Ok(GpuSelection::Ids(ids))
    }
}

/// Where the generated setup runs. Compose is always written (local builds
/// and runs use it); the others add files without changing the images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployTarget {
    Compose,
    Kubernetes,
    Slurm,
}

impl DeployTarget {
    pub const ALL: [DeployTarget; 3] = [
        DeployTarget::Compose,
        DeployTarget::Kubernetes,
        DeployTarget::Slurm,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            DeployTarget::Compose => "compose",
            DeployTarget::Kubernetes => "kubernetes",
            DeployTarget::Slurm => "slurm",
        }
    }
}

impl FromStr for DeployTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "compose" | "docker-compose" => Ok(DeployTarget::Compose),
            "kubernetes" | "k8s" | "kube" => Ok(DeployTarget::Kubernetes),
            "slurm" => Ok(DeployTarget::Slurm),
            other => Err(format!(
                "unknown deploy target `{other}` (valid: compose, kubernetes, slurm)"
            )),
        }
    }
}

impl fmt::Display for DeployTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kubernetes flavours beside the operator-free Indexed Job (training) and
/// Deployment (inference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum K8sFlavour {
    /// JobSet (jobset.x-k8s.io/v1alpha2).
    Jobset,
    /// Kubeflow PyTorchJob (kubeflow.org/v1).
    Pytorchjob,
    /// KServe InferenceService (serving.kserve.io/v1beta1), for inference.
    Kserve,
}

impl FromStr for K8sFlavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jobset" => Ok(K8sFlavour::Jobset),
            "pytorchjob" | "kubeflow" => Ok(K8sFlavour::Pytorchjob),
            "kserve" | "inferenceservice" => Ok(K8sFlavour::Kserve),
            other => Err(format!(
                "unknown Kubernetes flavour `{other}` (valid: jobset, pytorchjob, kserve)"
            )),
        }
    }
}

/// Which entry point runs a stage (`--training`, `--inference`, the wizard):
/// a file the code scan found (by its path), or none (no such service).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryChoice {
    Path(String),
    Off,
}

impl FromStr for EntryChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") {
            Ok(EntryChoice::Off)
        } else if t.is_empty() || t.chars().any(char::is_control) {
            Err(format!(
                "`{}` is not an entry point: give a file the code scan found (e.g. train.py) or none",
                t.escape_debug()
            ))
        } else {
            Ok(EntryChoice::Path(t.to_string()))
        }
    }
}

impl fmt::Display for EntryChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryChoice::Path(p) => f.write_str(p),
            EntryChoice::Off => f.write_str("none"),
        }
    }
}

impl Serialize for EntryChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for EntryChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Training nodes (`--nodes N`): a positive count.
pub fn parse_nodes(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_NODES).contains(&n) => Ok(n),
        _ => Err(format!(
            "nodes: `{s}` is not a node count (use 1 to {MAX_NODES})"
        )),
    }
}

/// More nodes than any generated rendezvous is sized for.
pub const MAX_NODES: u32 = 4096;

/// The answers. `None` means "use the planner's default".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Choices {
    pub framework: Option<String>,
    pub framework_version: Option<Version>,
    pub cuda: Option<Accel>,
    pub python: Option<Version>,
    pub package_manager: Option<PackageManager>,
    pub stages: Option<Vec<Stage>>,
    /// Replaces the runtime base image (a private registry or mirror).
    pub base_image: Option<String>,
    /// Prefix for every image reference (`registry.example.com/mirror/`).
    pub registry: Option<String>,
    pub port: Option<u16>,
    pub uid: Option<u32>,
    pub gpus: Option<GpuSelection>,
    /// Deployment targets (compose is always among them).
    pub deploy: Option<Vec<DeployTarget>>,
    /// Training nodes for the cluster targets (default 1).
    pub nodes: Option<u32>,
    /// Write docker-bake.hcl (also written for a cluster deploy target).
    pub bake: Option<bool>,
    /// Kubernetes: schedule GPU pods only on this product (GFD `nvidia.com/gpu.product`).
    pub gpu_product: Option<String>,
    /// Kubernetes: the MIG profile the MIG overlay requests (`1g.10gb`).
    pub mig_profile: Option<String>,
    /// Kubernetes: JobSet / PyTorchJob manifests besides the Indexed Job.
    pub k8s_flavours: Option<Vec<K8sFlavour>>,
    /// Emit `# syntax=docker/dockerfile:1` (needs the registry at build time).
    pub syntax: Option<bool>,
    /// Ship precompiled bytecode (faster start, larger image).
    pub bytecode: Option<bool>,
    /// Target CPU platforms (`--platform`); None: the host's.
    pub platform: Option<Vec<Platform>>,
    /// A user catalog overlay to plan with (loaded by the command; recorded in mlcontain.yaml).
    pub catalog_overlay: Option<SavedOverlay>,
    /// Accept combinations the host cannot run (the plan carries warnings instead).
    pub allow_incompatible: bool,
    /// Replaces every wheel index (PyPI and the framework's) with this mirror.
    pub index_url: Option<String>,
    /// Extra wheel indexes searched after it.
    pub extra_index_urls: Option<Vec<String>>,
    /// The image name prefix of the cluster files (`<project>-<target>`),
    /// saved so a clone in another folder regenerates the same bytes.
    pub project: Option<String>,
    /// Keep the project's own Dockerfile: compose and README.Docker.md
    /// build its real stages, and no Dockerfile is written.
    pub keep_dockerfile: Option<bool>,
    /// The training / inference entry point (a scanned file, or none).
    pub training: Option<EntryChoice>,
    pub inference: Option<EntryChoice>,
}

/// A catalog overlay as recorded in mlcontain.yaml: where it came from, its
/// date and its content, so a teammate plans with the same catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOverlay {
    pub source: String,
    pub updated: String,
    pub content: serde_yaml::Value,
}

/// `platform: linux/arm64` or `platform: [linux/amd64, linux/arm64]`.
fn ser_platforms<S: serde::Serializer>(v: &Option<Vec<Platform>>, s: S) -> Result<S::Ok, S::Error> {
    match v.as_deref() {
        Some([one]) => s.serialize_str(one.docker()),
        Some(many) => many.serialize(s),
        None => s.serialize_none(),
    }
}

fn de_platforms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Platform>>, D::Error> {
    let v = serde_yaml::Value::deserialize(d)?;
    let text = match v {
        serde_yaml::Value::Null => return Ok(None),
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    serde::de::Error::custom("platform: expected names like linux/amd64")
                })
            })
            .collect::<Result<Vec<_>, D::Error>>()?
            .join(","),
        other => {
            return Err(serde::de::Error::custom(format!(
                "platform: expected linux/amd64, linux/arm64 or a list of them, found {other:?}"
            )))
        }
    };
    crate::platform::parse_list(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `mlcontain.yaml`: the answers saved in the repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedConfig {
    pub framework: String,
    pub framework_version: Option<Version>,
    pub cuda: Accel,
    pub python: Version,
    pub package_manager: PackageManager,
    pub stages: Vec<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<GpuSelection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Vec<DeployTarget>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_nodes"
    )]
    pub nodes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake: Option<bool>,
    pub gpu_product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mig_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s_flavours: Option<Vec<K8sFlavour>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syntax: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytecode: Option<bool>,
    /// The target platforms, when chosen (else the host's at generation time).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_platforms",
        deserialize_with = "de_platforms"
    )]
    pub platform: Option<Vec<Platform>>,
    /// A wheel-index mirror that replaces PyPI and the framework indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_index_urls: Option<Vec<String>>,
    /// Image names are `<project>-<target>` in the bake file and the Slurm
    /// files (saved when they are written; default: the folder's name then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The project's own Dockerfile is kept (not generated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_dockerfile: Option<bool>,
    /// The entry point chosen for training / inference (a file, or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<EntryChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<EntryChoice>,
    /// The catalog date the files were generated with.
    pub catalog: String,
    /// The user catalog overlay merged over it, when one was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_overlay: Option<SavedOverlay>,
}

fn de_nodes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v = serde_yaml::Value::deserialize(d)?;
    match v {
        serde_yaml::Value::Null => Ok(None),
        serde_yaml::Value::Number(n) => parse_nodes(&n.to_string())
            .map(Some)
            .map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "nodes: expected a node count, found {other:?}"
        ))),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl SavedConfig {
    /// Parse `mlcontain.yaml` text; errors name the file and line.
    pub fn parse(text: &str, path: &str) -> Result<SavedConfig, ConfigError> {
        // Bare version numbers are read as written (`cuda: 12.10`), and the
        // parse is bounded (size, depth, time).
        let text = quote_version_scalars(text.strip_prefix('\u{feff}').unwrap_or(text));
        let config: SavedConfig = crate::bounded_yaml::parse(&text).map_err(|e| ConfigError {
            path: path.to_string(),
            message: match e.line() {
                Some(line) => format!("line {line}: {e}"),
                None => e.to_string(),
            },
        })?;
        strict_python(config.python.as_str()).map_err(|why| ConfigError {
            path: path.to_string(),
            message: match text.lines().position(|l| l.starts_with("python:")) {
                Some(i) => format!("line {}: {why}", i + 1),
                None => why,
            },
        })?;
        Ok(config)
    }

    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).expect("config serialises");
        format!(
            "# mlcontain answers for this repository. `mlcontain init --yes` regenerates\n\
             # the container files from it; `mlcontain init --check` verifies them in CI.\n{body}"
        )
    }

    /// The saved answers as choices (explicit where saved).
    pub fn to_choices(&self) -> Choices {
        Choices {
            framework: Some(self.framework.clone()),
            framework_version: self.framework_version.clone(),
            cuda: Some(self.cuda.clone()),
            python: Some(self.python.clone()),
            package_manager: Some(self.package_manager),
            stages: Some(self.stages.clone()),
            base_image: self.base_image.clone(),
            registry: self.registry.clone(),
            port: self.port,
            uid: self.uid,
            gpus: self.gpus.clone(),
            deploy: self.deploy.clone(),
            nodes: self.nodes,
            bake: self.bake,
            gpu_product: self.gpu_product.clone(),
            mig_profile: self.mig_profile.clone(),
            k8s_flavours: self.k8s_flavours.clone(),
            syntax: self.syntax,
            bytecode: self.bytecode,
            platform: self.platform.clone(),
            catalog_overlay: self.catalog_overlay.clone(),
            allow_incompatible: false,
            index_url: self.index_url.clone(),
            extra_index_urls: self.extra_index_urls.clone(),
            project: self.project.clone(),
            keep_dockerfile: self.keep_dockerfile,
            training: self.training.clone(),
            inference: self.inference.clone(),
        }
    }
}

impl Choices {
    /// Fill every field unset in `self` from `base` (flags override the saved file).
    pub fn or(self, base: Choices) -> Choices {
        Choices {
            framework: self.framework.or(base.framework),
            framework_version: self.framework_version.or(base.framework_version),
            cuda: self.cuda.or(base.cuda),
            python: self.python.or(base.python),
            package_manager: self.package_manager.or(base.package_manager),
            stages: self.stages.or(base.stages),
            base_image: self.base_image.or(base.base_image),
            registry: self.registry.or(base.registry),
            port: self.port.or(base.port),
            uid: self.uid.or(base.uid),
            gpus: self.gpus.or(base.gpus),
            deploy: self.deploy.or(base.deploy),
            nodes: self.nodes.or(base.nodes),
            bake: self.bake.or(base.bake),
            gpu_product: self.gpu_product.or(base.gpu_product),
            mig_profile: self.mig_profile.or(base.mig_profile),
            k8s_flavours: self.k8s_flavours.or(base.k8s_flavours),
            syntax: self.syntax.or(base.syntax),
            bytecode: self.bytecode.or(base.bytecode),
            platform: self.platform.or(base.platform),
            catalog_overlay: self.catalog_overlay.or(base.catalog_overlay),
            allow_incompatible: self.allow_incompatible || base.allow_incompatible,
            index_url: self.index_url.or(base.index_url),
            extra_index_urls: self.extra_index_urls.or(base.extra_index_urls),
            project: self.project.or(base.project),
            keep_dockerfile: self.keep_dockerfile.or(base.keep_dockerfile),
            training: self.training.or(base.training),
            inference: self.inference.or(base.inference),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accel_parses_common_spellings() {
        assert_eq!("cpu".parse::<Accel>().unwrap(), Accel::Cpu);
        assert_eq!(
            "12.4".parse::<Accel>().unwrap(),
            Accel::Cuda("12.4".parse().unwrap())
        );
        assert_eq!(
            "cu124".parse::<Accel>().unwrap(),
            Accel::Cuda("12.4".parse().unwrap())
        );
        assert_eq!(
            "cu130".parse::<Accel>().unwrap(),
            Accel::Cuda("13.0".parse().unwrap())
        );
        assert!("gpu".parse::<Accel>().is_err());
    }

    #[test]
    fn config_errors_name_the_line() {
        let err =
            SavedConfig::parse("framework: pytorch\ncuda: [1\n", "mlcontain.yaml").unwrap_err();
        assert!(
            err.to_string().starts_with("mlcontain.yaml: line "),
            "{err}"
        );
        let err =
            SavedConfig::parse("framework: pytorch\nbogus: 1\n", "mlcontain.yaml").unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn deploy_and_nodes_round_trip_and_refuse_nonsense() {
        let base = "framework: pytorch\ncuda: cpu\npython: '3.11'\npackage_manager: pip\nstages: [training]\ncatalog: x\n";
        let c = SavedConfig::parse(
            &format!("{base}deploy: [compose, kubernetes, slurm]\nnodes: 2\n"),
            "mlcontain.yaml",
        )
        .unwrap();
        assert_eq!(c.deploy.as_ref().map(|d| d.len()), Some(3));
        assert_eq!(c.nodes, Some(2));
        let again = SavedConfig::parse(&c.to_yaml(), "mlcontain.yaml").unwrap();
        assert_eq!(again, c);
        for bad in ["nodes: 0", "nodes: -1", "nodes: two", "deploy: [nomad]"] {
            let err = SavedConfig::parse(&format!("{base}{bad}\n"), "mlcontain.yaml").unwrap_err();
            assert!(err.to_string().contains("line "), "{bad}: {err}");
        }
        assert_eq!("k8s".parse::<DeployTarget>(), Ok(DeployTarget::Kubernetes));
        assert!(parse_nodes("0").is_err());
        assert_eq!(parse_nodes("8"), Ok(8));
    }
}
