//! Facts: what detection found about the host and the project.
//!
//! Facts are plain data. Detection (`crate::detect`) fills them in; the
//! planner only reads them. Every part may be empty: no GPU, no NVML, no
//! tools, an empty repository.

use crate::location::Location;
use crate::version::{ComputeCapability, PinVersion, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod code;
mod nvml_status;
pub use nvml_status::{NvmlFailure, NvmlStatus};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Facts {
    /// The host's CPU platform (None: one mlcontain has no images for).
    #[serde(default)]
    pub platform: Option<crate::platform::Platform>,
    pub gpus: Vec<Gpu>,
    pub driver: Option<Driver>,
    pub nvml: NvmlStatus,
    pub tools: Tools,
    pub project: ProjectScan,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Gpu {
    pub index: u32,
    pub name: String,
    pub uuid: Option<String>,
    pub memory_mib: Option<u64>,
    /// None when NVML could not tell (the GPU still counts, but cannot be checked).
    pub compute_capability: Option<ComputeCapability>,
    /// MIG mode enabled on this GPU.
    #[serde(default)]
    pub mig_enabled: bool,
    /// Per-field errors (a failing call for one field does not lose the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Gpu {
    /// `NVIDIA H100 80GB HBM3 (sm_90)` style label used in messages.
    pub fn label(&self) -> String {
        let name = self
            .name
            .strip_prefix("NVIDIA ")
            .unwrap_or(&self.name)
            .to_string();
        match self.compute_capability {
            Some(cc) => format!("{name} ({})", cc.sm()),
            None => name,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Driver {
    /// e.g. `535.104.05`
    pub version: Version,
    /// The highest CUDA version the driver supports, e.g. `12.2`.
    pub cuda_max: Option<Version>,
}

/// A tool found on PATH.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub path: String,
    pub version: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DaemonState {
    Reachable,
    NotRunning,
    PermissionDenied,
    Hung,
    #[default]
    Unknown,
    NoClient,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Tools {
    /// By tool name (`docker`, `buildx`, `compose`, `podman`, `python3`, ...); None when absent.
    pub found: BTreeMap<String, Option<Tool>>,
    pub docker_daemon: DaemonState,
    /// NVIDIA runtime registered with Docker (`docker info` runtimes), None when unknown.
    pub nvidia_runtime: Option<bool>,
    /// CDI spec files found (/etc/cdi, /var/run/cdi).
    #[serde(default)]
    pub cdi_specs: Vec<String>,
    #[serde(default)]
    pub docker_desktop: bool,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Tools {
    pub fn has(&self, name: &str) -> bool {
        matches!(self.found.get(name), Some(Some(_)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    Pip,
    Uv,
    Poetry,
    Conda,
}

impl PackageManager {
    pub const ALL: [PackageManager; 4] = [
        PackageManager::Pip,
        PackageManager::Uv,
        PackageManager::Poetry,
        PackageManager::Conda,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            PackageManager::Pip => "pip",
            PackageManager::Uv => "uv",
            PackageManager::Poetry => "poetry",
            PackageManager::Conda => "conda",
        }
    }
}

impl std::str::FromStr for PackageManager {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pip" => Ok(PackageManager::Pip),
            "uv" => Ok(PackageManager::Uv),
            "poetry" => Ok(PackageManager::Poetry),
            "conda" | "mamba" | "micromamba" => Ok(PackageManager::Conda),
            other => Err(format!(
                "unknown package manager `{other}` (valid: pip, uv, poetry, conda)"
            )),
        }
    }
}

impl std::fmt::Display for PackageManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A framework requirement pinned in a project manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Pin {
    /// Normalised package name (`torch`, `tensorflow`, `jax`, `scikit-learn`, ...).
    pub package: String,
    /// The exact PEP 440 version without local tag (`2.5.1`, `2.5.1.post1`), when `==` pinned.
    pub version: Option<PinVersion>,
    /// The local version tag (`cu124`, `cpu`), when given.
    pub local: Option<String>,
    /// Extras (`and-cuda`, `cuda12`).
    #[serde(default)]
    pub extras: Vec<String>,
    /// The raw requirement text.
    pub spec: String,
    /// Where it is pinned (`requirements.txt:3`).
    pub source: Location,
}

/// What the project scan found in the target directory. Paths are relative
/// to the project root, with `/` separators, sorted.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ProjectScan {
    /// requirements*.txt files (runtime ones first: requirements.txt).
    pub requirements: Vec<String>,
    pub pyproject: Option<PyProject>,
    pub uv_lock: bool,
    pub poetry_lock: bool,
    /// environment.yml / environment.yaml
    pub environment_yml: Option<String>,
    pub pipfile: bool,
    pub setup_py: bool,
    /// `.python-version`, `requires-python`, or environment.yml's python.
    pub python_hint: Option<String>,
    /// `.python-version`'s `major.minor`: the interpreter the project pins
    /// (a hard constraint on the image's Python).
    #[serde(default)]
    pub python_version_file: Option<String>,
    pub pins: Vec<Pin>,
    /// `--extra-index-url` / `--index-url` lines found in requirements files.
    #[serde(default)]
    pub index_urls: Vec<String>,
    /// Exact pins of the compiled stack that narrow the Python (numpy, scipy,
    /// pandas…), from the manifests or the lock; framework pins are in `pins`.
    #[serde(default)]
    pub stack_pins: Vec<Pin>,
    /// What uv.lock / poetry.lock resolved (frameworks and the compiled stack).
    #[serde(default)]
    pub locked: Vec<LockedPackage>,
    /// Optional-dependency extras / groups that select an accelerator
    /// (`cpu`, `gpu`, `cu124`), from pyproject.toml and uv.lock.
    #[serde(default)]
    pub accel_extras: Vec<AccelExtra>,
    /// `[tool.uv.sources]` / `[[tool.uv.index]]` or `[[tool.poetry.source]]`
    /// present: the project names its own indexes.
    #[serde(default)]
    pub own_indexes: bool,
    /// conda `cudatoolkit` / `cuda-version` / `pytorch-cuda` pin (`11.3`).
    #[serde(default)]
    pub conda_cuda: Option<CondaCuda>,
    pub entry_points: EntryPoints,
    #[serde(default)]
    pub model_files: Vec<ModelFile>,
    pub existing: ExistingFiles,
    /// Folders that belong in .dockerignore (data/, checkpoints/, wandb/ ...).
    #[serde(default)]
    pub large_dirs: Vec<String>,
    /// Problems found while scanning, each naming the file and line where
    /// it has one. Written as text in JSON (a report, not read back).
    #[serde(default, skip_deserializing)]
    pub warnings: Vec<crate::scan_issue::ScanIssue>,
    /// The subset of `warnings` whose kind blocks generation (a manifest
    /// mlcontain cannot read or parse): writing files from it is refused.
    #[serde(default, skip_deserializing)]
    pub malformed: Vec<crate::scan_issue::ScanIssue>,
    /// Manifests holding a URL with literal credentials (`user:password@`):
    /// kept out of the build context and the image, mounted as BuildKit
    /// secrets where the install reads them.
    #[serde(default)]
    pub credential_files: Vec<String>,
    /// Package tools' configuration files (pip.conf, uv.toml, poetry.toml,
    /// .pypirc, .netrc, any depth): the top-level uv.toml, and those holding
    /// credentials (`detect::tool_config`).
    #[serde(default)]
    pub tool_configs: ToolConfigs,
    /// The files each requirements file reads through `-r`/`-c`
    /// (project-relative, direct includes; see `detect::req_layout::closure`).
    #[serde(default)]
    pub requirement_includes: std::collections::BTreeMap<String, Vec<String>>,
    /// Requirement lines that install a local path (`-e .`, `./libs/x`).
    #[serde(default)]
    pub local_requirements: Vec<LocalRequirement>,
    /// What the code says: entry points, imports, paths (see [`code::CodeScan`]).
    #[serde(default)]
    pub code: code::CodeScan,
}

impl ProjectScan {
    /// True when the repository has no dependency manifest at all.
    pub fn has_no_manifest(&self) -> bool {
        self.requirements.is_empty()
            && self.pyproject.is_none()
            && self.environment_yml.is_none()
            && !self.pipfile
            && !self.setup_py
    }
    /// The package manager the project already uses, if it says.
    pub fn package_manager_hint(&self) -> Option<PackageManager> {
        if self.uv_lock {
            return Some(PackageManager::Uv);
        }
        if self.poetry_lock {
            return Some(PackageManager::Poetry);
        }
        if let Some(p) = &self.pyproject {
            if p.poetry {
                return Some(PackageManager::Poetry);
            }
            if p.uv {
                return Some(PackageManager::Uv);
            }
        }
        if self.environment_yml.is_some() {
            return Some(PackageManager::Conda);
        }
        if !self.requirements.is_empty() {
            return Some(PackageManager::Pip);
        }
        if self.pyproject.is_some() {
            return Some(PackageManager::Pip);
        }
        None
    }
    pub fn pin(&self, package: &str) -> Option<&Pin> {
        self.pins.iter().find(|p| p.package == package)
    }
}

/// One package a lock file resolved.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LockedPackage {
    /// Normalised name.
    pub name: String,
    /// The whole version, local tag included (`2.5.1+cpu`).
    pub version: String,
    /// `uv.lock:42`
    pub source: crate::location::Location,
    /// The project extras that select this entry (uv: `[package.optional-dependencies]`
    /// of the project); empty when every install gets it.
    #[serde(default)]
    pub extras: Vec<String>,
    /// Poetry groups (`main`, `dev`); empty for uv.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The index it comes from (`https://download.pytorch.org/whl/cpu`), when not PyPI.
    #[serde(default)]
    pub index: Option<String>,
}

/// A requirement line installing a local path, which needs the code in
/// the builder before the install.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LocalRequirement {
    /// The requirements file holding the line.
    pub file: String,
    /// `requirements.txt:3`
    pub source: String,
    /// The path as written (`.`, `./libs/core`).
    pub text: String,
}

/// An extra that selects the accelerator.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AccelExtra {
    pub name: String,
    /// `cpu`, or the CUDA tag (`cu124`, `cuda12`, `gpu` when only the name says so).
    pub tag: String,
    /// `pyproject.toml:12`
    pub source: crate::location::Location,
    /// A Poetry dependency group (`poetry install --only main,NAME`) rather
    /// than an extra (`--extra NAME` / `--extras NAME`).
    #[serde(default)]
    pub poetry_group: bool,
}

/// The CUDA a conda environment installs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CondaCuda {
    /// `cudatoolkit`, `cuda-version`, `pytorch-cuda`.
    pub package: String,
    pub version: Version,
    /// `environment.yml:7`
    pub source: Location,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PyProject {
    pub path: String,
    pub name: Option<String>,
    pub requires_python: Option<String>,
    /// Has a [tool.poetry] table.
    pub poetry: bool,
    /// Has a [tool.uv] table.
    pub uv: bool,
    /// Dependencies as written (PEP 621 `project.dependencies` or poetry's).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Has a PEP 621 `[project]` table (what uv installs from).
    #[serde(default)]
    pub project_table: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EntryPoints {
    /// e.g. `train.py`, `src/train.py`
    pub training: Option<String>,
    /// e.g. `serve.py`, `app.py`
    pub inference: Option<String>,
    /// The inference entry point defines a FastAPI / Flask app named `app`.
    pub inference_app: Option<WebApp>,
    /// Frameworks the entry points import (`torch`, `tensorflow`, `jax`, `sklearn`).
    #[serde(default)]
    pub imports: Vec<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WebApp {
    Fastapi,
    Flask,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    pub path: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ExistingFiles {
    pub dockerfile: bool,
    pub compose: Option<String>,
    pub dockerignore: bool,
    pub mlcontain_yaml: bool,
    /// Other files present that scaffolding must never replace
    /// (`train.py`, `serve.py`, `requirements.txt`, `pyproject.toml`, `environment.yml`).
    #[serde(default)]
    pub files: Vec<String>,
}

/// Package tools' configuration files found in the repository.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ToolConfigs {
    /// A regular `uv.toml` at the top level (uv reads it as project settings).
    pub root_uv_toml: bool,
    /// The files holding index credentials, with the first such line.
    pub credentials: Vec<CredentialConfig>,
}

/// A configuration file holding a credential (never its value).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CredentialConfig {
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// What it holds (`a password in [http-basic.corp]`).
    pub what: String,
}
