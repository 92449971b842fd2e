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

/// How one answer field merges over another layer (flags over saved over
/// defaults): an unset `Option` takes the lower layer's value, a switch is
/// on when either layer turns it on.
trait Layer {
    fn over(self, base: Self) -> Self;
}

impl<T> Layer for Option<T> {
    fn over(self, base: Self) -> Self {
        self.or(base)
    }
}

impl Layer for bool {
    fn over(self, base: Self) -> Self {
        self || base
    }
}

/// Declares [`Choices`] and its layer merge [`Choices::or`] from one list of
/// fields, so a new answer is one field here (with its serde attributes:
/// this struct is also the schema of `mlcontain.yaml`) plus its flag in
/// `cli.rs`.
macro_rules! answers {
    (
        $(#[$meta:meta])*
        pub struct Choices {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct Choices {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Choices {
            /// Fill every field unset in `self` from `base` (flags override the saved file).
            pub fn or(self, base: Choices) -> Choices {
                Choices {
                    $( $field: Layer::over(self.$field, base.$field), )*
                }
            }
        }
    };
}

answers! {
    /// The answers. `None` means "use the planner's default". Serialised, this
    /// is `mlcontain.yaml` (see [`SavedConfig`]): the fields in file order; the
    /// planner's resolved ones are always written, the rest when set.
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Choices {
        #[serde(deserialize_with = "required")]
        pub framework: Option<String>,
        pub framework_version: Option<Version>,
        #[serde(deserialize_with = "required")]
        pub cuda: Option<Accel>,
        #[serde(deserialize_with = "required")]
        pub python: Option<Version>,
        #[serde(deserialize_with = "required")]
        pub package_manager: Option<PackageManager>,
        #[serde(deserialize_with = "required")]
        pub stages: Option<Vec<Stage>>,
        /// Replaces the runtime base image (a private registry or mirror).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub base_image: Option<String>,
        /// Prefix for every image reference (`registry.example.com/mirror/`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub registry: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub port: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub uid: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub gpus: Option<GpuSelection>,
        /// Deployment targets (compose is always among them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deploy: Option<Vec<DeployTarget>>,
        /// Training nodes for the cluster targets (default 1).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "de_nodes"
        )]
        pub nodes: Option<u32>,
        /// Write docker-bake.hcl (also written for a cluster deploy target).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub bake: Option<bool>,
        /// Kubernetes: schedule GPU pods only on this product (GFD `nvidia.com/gpu.product`).
        pub gpu_product: Option<String>,
        /// Kubernetes: the MIG profile the MIG overlay requests (`1g.10gb`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mig_profile: Option<String>,
        /// Kubernetes: JobSet / PyTorchJob manifests besides the Indexed Job.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub k8s_flavours: Option<Vec<K8sFlavour>>,
        /// Emit `# syntax=docker/dockerfile:1` (needs the registry at build time).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub syntax: Option<bool>,
        /// Ship precompiled bytecode (faster start, larger image).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub bytecode: Option<bool>,
        /// Target CPU platforms (`--platform`); None: the host's at generation time.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "ser_platforms",
            deserialize_with = "de_platforms"
        )]
        pub platform: Option<Vec<Platform>>,
        /// Replaces every wheel index (PyPI and the framework's) with this mirror.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub index_url: Option<String>,
        /// Extra wheel indexes searched after it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub extra_index_urls: Option<Vec<String>>,
        /// The image name prefix of the cluster files (`<project>-<target>`),
        /// saved so a clone in another folder regenerates the same bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub project: Option<String>,
        /// Keep the project's own Dockerfile: compose and README.Docker.md
        /// build its real stages, and no Dockerfile is written.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub keep_dockerfile: Option<bool>,
        /// The training / inference entry point (a scanned file, or none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub training: Option<EntryChoice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub inference: Option<EntryChoice>,
        /// Not an answer: the catalog date the saved files were generated
        /// with (the planner records it; it plans with its own catalog).
        #[serde(deserialize_with = "required")]
        pub catalog: Option<String>,
        /// A user catalog overlay to plan with (loaded by the command; recorded in mlcontain.yaml).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub catalog_overlay: Option<SavedOverlay>,
        /// Accept combinations the host cannot run (the plan carries warnings
        /// instead). Never saved: each run decides it.
        #[serde(skip)]
        pub allow_incompatible: bool,
    }
}

/// A field `mlcontain.yaml` must have (its absence is serde's "missing
/// field" error, with the line); the value is read as the type reads it.
fn required<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
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

/// `mlcontain.yaml`: the answers saved in the repository, as the planner
/// resolved them ([`Choices`] with framework, CUDA, Python, package manager,
/// stages and catalog date set). Derived from the input choices by the
/// planner, never re-listed; it reads as the choices it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SavedConfig(Choices);

impl std::ops::Deref for SavedConfig {
    type Target = Choices;
    fn deref(&self) -> &Choices {
        &self.0
    }
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
    /// The answers the planner resolved, as saved (`allow_incompatible` is
    /// each run's own and is dropped).
    pub fn resolved(mut answers: Choices) -> SavedConfig {
        answers.allow_incompatible = false;
        SavedConfig(answers)
    }

    /// The catalog date the files were generated with.
    pub fn catalog(&self) -> &str {
        self.0.catalog.as_deref().unwrap_or_default()
    }

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
        if let Some(python) = &config.python {
            strict_python(python.as_str()).map_err(|why| ConfigError {
                path: path.to_string(),
                message: match text.lines().position(|l| l.starts_with("python:")) {
                    Some(i) => format!("line {}: {why}", i + 1),
                    None => why,
                },
            })?;
        }
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
        self.0.clone()
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

    const BASE: &str = "framework: pytorch\ncuda: cpu\npython: '3.11'\npackage_manager: pip\nstages: [training]\ncatalog: x\n";

    #[test]
    fn required_answers_and_unknown_fields_are_refused_with_the_line() {
        let err = SavedConfig::parse(&BASE.replace("framework: pytorch\n", ""), "mlcontain.yaml")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mlcontain.yaml: line 1: missing field `framework`"
        );
        let err =
            SavedConfig::parse(&BASE.replace("catalog: x\n", ""), "mlcontain.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "mlcontain.yaml: line 1: missing field `catalog`"
        );
        // `allow_incompatible` is each run's own: not a key of the file.
        let err = SavedConfig::parse(
            &format!("{BASE}allow_incompatible: true\n"),
            "mlcontain.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("mlcontain.yaml: line 7: unknown field `allow_incompatible`"),
            "{err}"
        );
        assert!(
            !err.contains("expected one of `allow_incompatible`")
                && err.contains("`catalog_overlay`"),
            "{err}"
        );
        let err =
            SavedConfig::parse(&BASE.replace("'3.11'", "'3.011'"), "mlcontain.yaml").unwrap_err();
        assert!(
            err.to_string().starts_with("mlcontain.yaml: line 3: "),
            "{err}"
        );
    }

    /// Every answer set: the file lists them in this order, and reads back equal.
    #[test]
    fn the_saved_file_keeps_its_field_order_and_round_trips() {
        let extra = "base_image: img:1\nregistry: r.example/m\nport: 9000\nuid: 2000\ngpus: 2\n\
            deploy: [compose, slurm]\nnodes: 3\nbake: true\ngpu_product: H100\nmig_profile: 1g.10gb\n\
            k8s_flavours: [jobset]\nsyntax: true\nbytecode: true\nplatform: linux/arm64\n\
            index_url: https://mirror.example/simple\nextra_index_urls: [https://extra.example/simple]\n\
            project: demo\nkeep_dockerfile: true\ntraining: train.py\ninference: none\n";
        let full = format!("{BASE}{extra}");
        let c = SavedConfig::parse(&full, "mlcontain.yaml").unwrap();
        let yaml = c.to_yaml();
        let keys: Vec<&str> = yaml
            .lines()
            .filter(|l| !l.starts_with(['#', '-', ' ']))
            .filter_map(|l| l.split_once(':').map(|(k, _)| k))
            .collect();
        assert_eq!(
            keys,
            [
                "framework",
                "framework_version",
                "cuda",
                "python",
                "package_manager",
                "stages",
                "base_image",
                "registry",
                "port",
                "uid",
                "gpus",
                "deploy",
                "nodes",
                "bake",
                "gpu_product",
                "mig_profile",
                "k8s_flavours",
                "syntax",
                "bytecode",
                "platform",
                "index_url",
                "extra_index_urls",
                "project",
                "keep_dockerfile",
                "training",
                "inference",
                "catalog",
            ]
        );
        assert_eq!(SavedConfig::parse(&yaml, "mlcontain.yaml").unwrap(), c);
        // Unset answers are left out, except the two written as null.
        let minimal = SavedConfig::parse(BASE, "mlcontain.yaml")
            .unwrap()
            .to_yaml();
        assert!(
            minimal.contains("\nframework_version: null\n")
                && minimal.contains("\ngpu_product: null\ncatalog: x\n"),
            "{minimal}"
        );
        assert!(
            !minimal.contains("port:") && !minimal.contains("allow_incompatible"),
            "{minimal}"
        );
    }

    #[test]
    fn a_layer_fills_only_what_the_one_above_left_unset() {
        let flags = Choices {
            cuda: Some(Accel::Cpu),
            bake: Some(true),
            ..Default::default()
        };
        let saved = Choices {
            cuda: Some("12.4".parse().unwrap()),
            port: Some(9000),
            bake: Some(false),
            allow_incompatible: true,
            ..Default::default()
        };
        let c = flags.or(saved);
        assert_eq!(c.cuda, Some(Accel::Cpu), "the flag wins");
        assert_eq!(c.port, Some(9000), "the saved answer fills the gap");
        assert_eq!(c.bake, Some(true));
        assert!(
            c.allow_incompatible,
            "a switch is on when either layer sets it"
        );
        assert_eq!(c.python, None, "left to the planner's default");
    }

    #[test]
    fn saved_answers_never_carry_allow_incompatible() {
        let s = SavedConfig::resolved(Choices {
            allow_incompatible: true,
            catalog: Some("2026-01-01".into()),
            ..Default::default()
        });
        assert!(!s.allow_incompatible && !s.to_choices().allow_incompatible);
        assert_eq!(s.catalog(), "2026-01-01");
    }
}
