//! The compatibility catalog: `assets/catalog.yaml`, embedded in the binary.

use crate::version::{ComputeCapability, Version};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const CATALOG_YAML: &str = include_str!("../assets/catalog.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub updated: String,
    pub python_versions: Vec<Version>,
    pub default_python: Version,
    pub ubuntu_python: BTreeMap<String, Version>,
    pub cuda_majors: Vec<CudaMajor>,
    /// Named architecture lists (referenced through YAML anchors).
    #[serde(default)]
    pub archs: BTreeMap<String, Vec<ComputeCapability>>,
    pub cuda: Vec<CudaToolkit>,
    pub images: Images,
    pub tools: ToolPins,
    #[serde(default)]
    pub kernels: BTreeMap<String, Vec<ComputeCapability>>,
    pub frameworks: Vec<Framework>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CudaMajor {
    pub major: u64,
    pub min_driver: Version,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CudaToolkit {
    pub version: Version,
    /// nvidia/cuda image tag version (`12.4.1`).
    pub image: Version,
    pub min_driver: Version,
    /// cuDNN tag infix: `cudnn8-`, `cudnn9-` or `cudnn-`.
    pub cudnn: String,
    pub ubuntu: Vec<String>,
    pub archs: Vec<ComputeCapability>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Images {
    pub python: String,
    pub cuda: String,
    pub cuda_plain: String,
    pub conda_builder: String,
    pub conda_runtime: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolPins {
    pub uv: String,
    pub poetry: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub id: String,
    pub name: String,
    /// The Python module name (`torch`), empty for `none`.
    pub import: String,
    /// Distribution names that identify the framework in manifests.
    pub packages: Vec<String>,
    pub bundles_cuda: bool,
    /// PyTorch data loaders need a larger /dev/shm.
    pub shm: bool,
    #[serde(default)]
    pub cpu_requirement: Option<String>,
    #[serde(default)]
    pub cpu_index: Option<String>,
    #[serde(default)]
    pub cuda_requirement: Option<String>,
    #[serde(default)]
    pub cuda_index: Option<String>,
    #[serde(default)]
    pub runtime_apt: Vec<String>,
    pub releases: Vec<Release>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub version: Version,
    /// The build tag a plain PyPI install of this release carries (`cu124`).
    #[serde(default)]
    pub pypi: Option<String>,
    pub python: Vec<Version>,
    #[serde(default)]
    pub builds: Vec<Build>,
}

/// One CUDA build (wheel variant) of a framework release.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// The CUDA toolkit the build targets.
    pub cuda: Version,
    /// Variant tag (`cu124`, `cuda12`, `and-cuda`).
    pub tag: String,
    #[serde(default)]
    pub cudnn: Option<String>,
    /// Architectures with SASS in the build.
    pub sass: Vec<ComputeCapability>,
    /// Virtual architectures with PTX in the build (JIT-compiled on newer GPUs).
    #[serde(default)]
    pub ptx: Vec<ComputeCapability>,
}

#[derive(Debug, thiserror::Error)]
#[error("assets/catalog.yaml: {0}")]
pub struct CatalogError(String);

impl Catalog {
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        serde_yaml::from_str(text).map_err(|e| CatalogError(e.to_string()))
    }

    /// The embedded catalog (parsed once).
    pub fn embedded() -> &'static Catalog {
        static CAT: OnceLock<Catalog> = OnceLock::new();
        CAT.get_or_init(|| Catalog::parse(CATALOG_YAML).expect("embedded catalog is valid"))
    }

    pub fn framework(&self, id: &str) -> Option<&Framework> {
        self.frameworks.iter().find(|f| f.id == id)
    }

    pub fn framework_ids(&self) -> Vec<&str> {
        self.frameworks.iter().map(|f| f.id.as_str()).collect()
    }

    pub fn toolkit(&self, version: &Version) -> Option<&CudaToolkit> {
        self.cuda.iter().find(|t| &t.version == version)
    }

    pub fn major_min_driver(&self, major: u64) -> Option<&Version> {
        self.cuda_majors
            .iter()
            .find(|m| m.major == major)
            .map(|m| &m.min_driver)
    }

    /// The nvidia/cuda image for a toolkit.
    pub fn cuda_image(
        &self,
        toolkit: &CudaToolkit,
        flavour: &str,
        cudnn: bool,
        ubuntu: &str,
    ) -> String {
        let template = if cudnn {
            &self.images.cuda
        } else {
            &self.images.cuda_plain
        };
        template
            .replace("{image}", toolkit.image.as_str())
            .replace("{cudnn}", &toolkit.cudnn)
            .replace("{flavour}", flavour)
            .replace("{ubuntu}", ubuntu)
    }

    pub fn python_image(&self, python: &Version) -> String {
        self.images.python.replace("{python}", python.as_str())
    }
}

impl Framework {
    pub fn is_none(&self) -> bool {
        self.id == "none"
    }
    pub fn release(&self, version: &Version) -> Option<&Release> {
        // Exact match first, then the newest release matching a prefix (`2.5` -> 2.5.1).
        self.releases
            .iter()
            .find(|r| &r.version == version && r.version.as_str() == version.as_str())
            .or_else(|| {
                self.releases
                    .iter()
                    .rev()
                    .find(|r| r.version.matches_prefix(version))
            })
    }
    pub fn newest(&self) -> Option<&Release> {
        self.releases.last()
    }
    /// Whether this framework can be built for CUDA at all.
    pub fn supports_cuda(&self) -> bool {
        self.is_none() || self.releases.iter().any(|r| !r.builds.is_empty())
    }
    pub fn cpu_requirement(&self, version: &Version) -> Option<String> {
        self.cpu_requirement
            .as_ref()
            .map(|t| t.replace("{version}", version.as_str()))
    }
    pub fn cuda_requirement(&self, version: &Version, build: &Build) -> Option<String> {
        self.cuda_requirement.as_ref().map(|t| {
            t.replace("{version}", version.as_str())
                .replace("{tag}", &build.tag)
        })
    }
    pub fn cuda_index(&self, build: &Build) -> Option<String> {
        self.cuda_index
            .as_ref()
            .map(|t| t.replace("{tag}", &build.tag))
    }
}

impl Release {
    pub fn supports_python(&self, python: &Version) -> bool {
        self.python.iter().any(|p| p == python)
    }
    pub fn build_for(&self, cuda: &Version) -> Option<&Build> {
        self.builds.iter().find(|b| &b.cuda == cuda)
    }
}

/// How a build runs on one GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelFit {
    /// SASS for the GPU's major with a lower or equal minor.
    Sass(ComputeCapability),
    /// Only PTX that the driver JIT-compiles at first start.
    Ptx(ComputeCapability),
    None,
}

impl Build {
    pub fn fit(&self, gpu: ComputeCapability) -> KernelFit {
        if let Some(s) = self
            .sass
            .iter()
            .filter(|s| gpu.runs_sass(**s))
            .max()
            .copied()
        {
            return KernelFit::Sass(s);
        }
        if let Some(p) = self.ptx.iter().filter(|p| gpu.runs_ptx(**p)).max().copied() {
            return KernelFit::Ptx(p);
        }
        KernelFit::None
    }
    pub fn sass_list(&self) -> String {
        self.sass
            .iter()
            .map(|c| c.sm())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
