//! The plan's types: what the planner decides and the renderers read.

use crate::version::Version;
use serde::Serialize;

pub const DEFAULT_PORT: u16 = 8000;
pub const DEFAULT_UID: u32 = 10001;
pub const APP_USER: &str = "app";
pub const APP_DIR: &str = "/app";
pub const VENV: &str = "/opt/venv";
pub const MODEL_DIR: &str = "/app/models";
pub const DATA_DIR: &str = "/app/data";

/// How CUDA reaches the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CudaStrategy {
    /// The framework's wheels bundle the CUDA libraries; the image is a plain
    /// Python image and the NVIDIA Container Toolkit mounts the driver.
    Wheels,
    /// CUDA comes from nvidia/cuda images (devel to build, runtime to run).
    System,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CudaPlan {
    pub version: Version,
    /// Wheel variant tag (`cu124`, `cuda12`, `and-cuda`), when a framework build is used.
    pub tag: Option<String>,
    pub strategy: CudaStrategy,
    /// The lowest driver that runs it (the CUDA major's minor-version-compatibility floor).
    pub min_driver: Version,
    /// `NVIDIA_REQUIRE_CUDA` for the image: the toolkit refuses older drivers up front.
    pub require_cuda: String,
}

/// Where Python comes from in the images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PythonSource {
    /// python:X.Y-slim (Python in /usr/local).
    Image,
    /// apt's python3 on an Ubuntu-based nvidia/cuda image.
    Apt,
    /// The conda environment brings its own Python.
    Conda,
}

/// An install of the framework the project's manifests do not provide.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameworkInstall {
    pub requirement: String,
    pub index: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Images {
    pub builder: String,
    pub runtime: String,
    /// The builder derives from the shared `base` stage (same image).
    pub builder_from_base: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Manifests {
    /// Files copied into the builder before the dependency install.
    pub copy: Vec<String>,
    /// The requirements files pip installs (`requirements.txt` when there is
    /// one: the others are copied so its `-r` includes resolve).
    pub install: Vec<String>,
    /// Dev-only manifests installed in the dev target (requirements-dev.txt).
    pub dev: Vec<String>,
    /// uv.lock / poetry.lock present: installs are `--frozen`/locked.
    pub locked: bool,
    /// Dependencies come from installing the project itself (`pip install .`),
    /// which needs the code in the builder.
    pub install_project: bool,
    /// Manifests holding credentials (index `user:password@`): never in the
    /// build context or the image; the installs that read them mount them
    /// as BuildKit secrets.
    pub secret: Vec<String>,
    /// Extras that select the accelerator (`uv sync --extra cpu`,
    /// `poetry install --extras cpu`).
    pub extras: Vec<String>,
    /// Poetry dependency groups that select it (`--only main,cpu`).
    pub poetry_groups: Vec<String>,
    /// The files the dev install reads that the builder did not copy (dev
    /// requirements and their `-r`/`-c` includes).
    pub dev_copy: Vec<String>,
    /// Local-path installs (`requirements.txt:3 -e .`) the runtime install
    /// reads: the builder copies the code before installing.
    pub local: Vec<String>,
    /// The same for the dev install.
    #[serde(default)]
    pub dev_local: Vec<String>,
}

/// Wheel indexes set by the user (`--index-url`, `--extra-index-url`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Indexes {
    pub index_url: Option<String>,
    pub extra: Vec<String>,
}

/// Index URLs are written into ENV lines and commands: a URL without
/// whitespace, quotes or shell characters, and without credentials (those go
/// in BuildKit secrets, never in files).
pub fn validate_index_url(url: &str) -> Result<(), PlanError> {
    let bad = |why: &str| PlanError::Invalid {
        what: "index URL",
        value: url.to_string(),
        why: why.to_string(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("use an http:// or https:// URL"))?;
    if rest.is_empty() || url.len() > 2048 {
        return Err(bad("use an http:// or https:// URL"));
    }
    if !url
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#[]%+=&,".contains(c))
    {
        return Err(bad(
            "only URL characters are allowed (no spaces, quotes or shell characters)",
        ));
    }
    if url.contains('@') {
        return Err(bad("credentials do not belong in the URL (they would be written into the Dockerfile); give the index's host credentials to the build through a netrc secret instead"));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ScaffoldKind {
    Manifest,
    Training,
    Inference,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scaffold {
    pub path: String,
    pub kind: ScaffoldKind,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("unknown framework `{0}` (valid: {1})")]
    UnknownFramework(String, String),
    #[error("{framework} has no version {version} in the catalog (valid: {valid})")]
    UnknownFrameworkVersion {
        framework: String,
        version: String,
        valid: String,
    },
    #[error("{0}")]
    Unsupported(String),
    /// The host cannot run the choice; the message names the GPU or driver and the fix.
    #[error(
        "{0}\n(pass --allow-incompatible to generate it anyway, e.g. to deploy on another machine)"
    )]
    Incompatible(String),
    #[error("invalid {what} `{value}`: {why}")]
    Invalid {
        what: &'static str,
        value: String,
        why: String,
    },
}
