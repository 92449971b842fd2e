//! The plan: everything the planner decided, which the renderers read.

use super::code::CodePlan;
use super::deploy::DeployPlan;
use super::origin::{Explanation, Origins};
use super::types::{
    CudaPlan, FrameworkInstall, Images, Indexes, Manifests, PythonSource, Scaffold,
};
use crate::choices::{GpuSelection, SavedConfig, Stage};
use crate::facts::PackageManager;
use crate::version::Version;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub framework: String,
    pub framework_name: String,
    /// Python module of the framework (`torch`), empty for none.
    pub framework_import: String,
    pub framework_version: Option<Version>,
    /// None for CPU.
    pub cuda: Option<CudaPlan>,
    pub python: Version,
    pub python_source: PythonSource,
    pub package_manager: PackageManager,
    pub stages: Vec<Stage>,
    pub images: Images,
    /// The framework requirement the plan chose (for scaffolded manifests).
    pub framework_requirement: Option<FrameworkInstall>,
    /// A separate install of it, when the project's manifests do not carry it.
    pub framework_install: Option<FrameworkInstall>,
    pub manifests: Manifests,
    pub training_cmd: Vec<String>,
    pub inference_cmd: Vec<String>,
    pub port: u16,
    pub uid: u32,
    pub gpus: Option<GpuSelection>,
    /// Deployment targets and the cluster shape.
    pub deploy: DeployPlan,
    pub shm_size: Option<String>,
    pub runtime_apt: Vec<String>,
    pub scaffold: Vec<Scaffold>,
    /// Extra folders for .dockerignore (found in the project).
    pub ignore_dirs: Vec<String>,
    pub syntax: bool,
    /// Ship precompiled bytecode (pip compiles at install; uv with UV_COMPILE_BYTECODE).
    pub bytecode: bool,
    pub uv_version: String,
    pub poetry_version: String,
    /// What the code decided: health check, model folder, run-time config, builder tools.
    pub code: CodePlan,
    /// A mirror replacing every wheel index, and extra indexes.
    pub indexes: Indexes,
    /// The runtime base image was set by the user (`--base-image`).
    pub custom_base_image: bool,
    /// Where the main decisions came from.
    pub origins: Origins,
    pub explanations: Vec<Explanation>,
    pub warnings: Vec<String>,
    pub saved: SavedConfig,
    /// The target platforms (`docker build --platform`).
    pub platforms: Vec<crate::platform::Platform>,
}

impl Plan {
    pub fn has(&self, s: Stage) -> bool {
        self.stages.contains(&s)
    }
    pub fn explain(&self, topic: &str) -> Vec<&str> {
        self.explanations
            .iter()
            .filter(|e| e.topic == topic)
            .map(|e| e.text.as_str())
            .collect()
    }
}
