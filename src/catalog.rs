//! The compatibility catalog: `assets/catalog.yaml`, embedded in the binary.

use crate::platform::Platform;
use crate::version::{ComputeCapability, Version};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

pub const CATALOG_YAML: &str = include_str!("../assets/catalog.yaml");

fn all_platforms() -> Vec<Platform> {
    Platform::ALL.to_vec()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub updated: String,
    /// The sources read for this catalog (printed by `mlcontain catalog show`).
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<PlatformInfo>,
    pub python_versions: Vec<Version>,
    pub default_python: Version,
    pub ubuntu_python: BTreeMap<String, Version>,
    /// The Ubuntu release used when nothing asks for another.
    #[serde(default)]
    pub default_ubuntu: Option<String>,
    pub cuda_majors: Vec<CudaMajor>,
    /// Driver branch -> highest CUDA.
    #[serde(default)]
    pub driver_branches: Vec<DriverBranch>,
    /// The last driver branch of old GPU generations.
    #[serde(default)]
    pub arch_driver_cutoff: Vec<ArchCutoff>,
    /// CUDA majors that refuse GPUs below an architecture (13: below sm_75).
    #[serde(default)]
    pub cuda_major_floor: Vec<CudaMajorFloor>,
    /// The lowest PTX ISA that can target each architecture (`"12.0": "8.7"`).
    #[serde(default)]
    pub ptx_isa_targets: BTreeMap<String, Version>,
    #[serde(default)]
    pub arch_renames: Vec<ArchRename>,
    #[serde(default)]
    pub forward_compat: Option<ForwardCompat>,
    /// Named architecture lists (referenced through YAML anchors).
    #[serde(default)]
    pub archs: BTreeMap<String, Vec<ComputeCapability>>,
    pub cuda: Vec<CudaToolkit>,
    pub images: Images,
    pub tools: ToolPins,
    /// Named kernel sets (referenced through YAML anchors).
    #[serde(default)]
    pub kernels: BTreeMap<String, Kernels>,
    pub frameworks: Vec<Framework>,
    #[serde(default)]
    pub addons: Vec<Addon>,
    /// The platforms this view was resolved for (empty: the raw catalog).
    #[serde(skip)]
    pub resolved_for: Vec<Platform>,
    /// The user overlay merged over the embedded catalog, if any.
    #[serde(skip)]
    pub overlay: Option<OverlayInfo>,
    /// The raw catalog a resolved view came from.
    #[serde(skip)]
    raw: Option<Arc<Catalog>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformInfo {
    pub id: Platform,
    pub docker: String,
    pub arch: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverBranch {
    pub branch: u64,
    pub cuda: Version,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchCutoff {
    pub name: String,
    pub below: ComputeCapability,
    pub last_branch: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CudaMajorFloor {
    pub major: u64,
    pub below: ComputeCapability,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchRename {
    pub from: ComputeCapability,
    pub to: ComputeCapability,
    pub since_cuda: Version,
    pub gpu: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardCompat {
    /// `cuda-compat-{major}-{minor}`
    pub package: String,
    /// GPU model names (words of the NVML name) that forward compatibility supports.
    pub data_center: Vec<String>,
}

/// What one platform's wheel of a build carries.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Kernels {
    #[serde(default)]
    pub sass: Vec<ComputeCapability>,
    #[serde(default)]
    pub ptx: Vec<ComputeCapability>,
    /// The documented lowest GPU, when the kernel list is not known.
    #[serde(default)]
    pub floor: Option<ComputeCapability>,
}

/// A CUDA library used next to a framework (CuPy, RAPIDS, ONNX Runtime).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addon {
    pub id: String,
    pub name: String,
    pub variants: Vec<AddonVariant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddonVariant {
    /// The distribution name (`cupy-cuda12x`).
    pub package: String,
    /// Applies from this release on (older releases are not checked).
    #[serde(default)]
    pub min_version: Option<Version>,
    pub cuda_major: u64,
    pub python: Vec<Version>,
    #[serde(default = "all_platforms")]
    pub platforms: Vec<Platform>,
    /// The lowest GPU it runs on; None: not confirmed.
    #[serde(default)]
    pub floor: Option<ComputeCapability>,
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
    /// The driver branch NVIDIA publishes for this minor (13.x).
    #[serde(default)]
    pub driver_branch: Option<u64>,
    /// The PTX ISA version its nvcc emits; None when not confirmed.
    #[serde(default)]
    pub ptx_isa: Option<Version>,
    #[serde(default = "all_platforms")]
    pub platforms: Vec<Platform>,
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
    #[serde(default = "all_platforms")]
    pub platforms: Vec<Platform>,
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
    /// The CPU requirement on linux/arm64, when it differs.
    #[serde(default)]
    pub cpu_requirement_arm64: Option<String>,
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
    /// The build tag a plain PyPI install of this release carries (`cu124`)
    /// on linux/amd64 (in a resolved view: on the view's platforms).
    #[serde(default)]
    pub pypi: Option<String>,
    /// The same on linux/arm64 (None: the aarch64 PyPI wheel is the CPU build).
    #[serde(default)]
    pub pypi_arm64: Option<String>,
    /// Platforms with wheels of this release.
    #[serde(default = "all_platforms")]
    pub platforms: Vec<Platform>,
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
    /// False when the build's data could not be confirmed: offered when asked
    /// for, never chosen by default.
    #[serde(default = "yes")]
    pub confirmed: bool,
    /// What the linux/amd64 wheel carries (None: no such wheel known).
    #[serde(default)]
    pub amd64: Option<Kernels>,
    /// What the linux/arm64 wheel carries (None: no such wheel known).
    #[serde(default)]
    pub arm64: Option<Kernels>,
    /// Architectures with SASS in the build, on the view's platforms.
    #[serde(skip)]
    pub sass: Vec<ComputeCapability>,
    /// Virtual architectures with PTX in the build (JIT-compiled on newer GPUs).
    #[serde(skip)]
    pub ptx: Vec<ComputeCapability>,
    /// The documented lowest GPU when the kernel list is not known.
    #[serde(skip)]
    pub floor: Option<ComputeCapability>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct CatalogError {
    /// The file the problem is in (`assets/catalog.yaml`, an overlay's path).
    pub source_name: String,
    pub message: String,
}

impl CatalogError {
    fn new(source_name: &str, message: impl Into<String>) -> Self {
        CatalogError {
            source_name: source_name.to_string(),
            message: message.into(),
        }
    }
}

/// A rule of the catalog broken: the YAML path of the value
/// (`frameworks[2].releases[0].builds[1].cuda`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Default)]
struct Problems(Vec<CatalogProblem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(CatalogProblem {
            path: path.into(),
            message: message.into(),
        });
    }
}

/// Where a user catalog overlay came from (recorded in mlcontain.yaml).
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayInfo {
    /// As given (`--catalog FILE`, `$MLCONTAIN_CATALOG`, `~/.config/mlcontain/catalog.yaml`).
    pub source: String,
    /// The overlay's own `updated:` date.
    pub updated: String,
    /// The overlay as parsed (a YAML mapping), recorded so a teammate gets the same plan.
    pub content: serde_yaml::Value,
}

fn yaml_error(source_name: &str, e: &serde_yaml::Error) -> CatalogError {
    let message = match e.location() {
        Some(loc) => format!("line {}: {e}", loc.line()),
        None => e.to_string(),
    };
    CatalogError::new(source_name, message)
}

impl Catalog {
    /// Parse and check a complete catalog (the embedded one's format).
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::parse_named(text, "assets/catalog.yaml")
    }

    fn parse_named(text: &str, name: &str) -> Result<Catalog, CatalogError> {
        let value: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| yaml_error(name, &e))?;
        Catalog::from_value(value, name)
    }

    fn from_value(mut value: serde_yaml::Value, name: &str) -> Result<Catalog, CatalogError> {
        value
            .apply_merge()
            .map_err(|e| CatalogError::new(name, e.to_string()))?;
        let mut cat: Catalog = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            match path.as_str() {
                "." => CatalogError::new(name, e.inner().to_string()),
                _ => CatalogError::new(name, format!("{path}: {}", e.inner())),
            }
        })?;
        cat.validate().map_err(|problems| {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            CatalogError::new(name, text.join("; "))
        })?;
        cat.normalise();
        Ok(cat)
    }

    /// Sort what a merge may have appended out of order.
    fn normalise(&mut self) {
        self.cuda.sort_by(|a, b| a.version.cmp(&b.version));
        self.driver_branches.sort_by_key(|b| b.branch);
        self.python_versions.sort();
        self.python_versions.dedup();
        for f in &mut self.frameworks {
            f.releases.sort_by(|a, b| a.version.cmp(&b.version));
            for r in &mut f.releases {
                r.builds.sort_by(|a, b| a.cuda.cmp(&b.cuda));
            }
        }
    }

    /// The embedded catalog as written (no platform view).
    pub fn embedded_raw() -> &'static Arc<Catalog> {
        static RAW: OnceLock<Arc<Catalog>> = OnceLock::new();
        RAW.get_or_init(|| {
            Arc::new(Catalog::parse(CATALOG_YAML).expect("embedded catalog is valid"))
        })
    }

    /// The embedded catalog's linux/amd64 view (parsed once).
    pub fn embedded() -> &'static Catalog {
        Catalog::embedded_view(&[Platform::Amd64])
    }

    /// The embedded catalog's view for these platforms (resolved once per set).
    pub fn embedded_view(platforms: &[Platform]) -> &'static Catalog {
        static VIEWS: OnceLock<[Catalog; 3]> = OnceLock::new();
        let views = VIEWS.get_or_init(|| {
            let raw = Catalog::embedded_raw();
            [
                Catalog::resolve(raw, &[Platform::Amd64]),
                Catalog::resolve(raw, &[Platform::Arm64]),
                Catalog::resolve(raw, &Platform::ALL),
            ]
        });
        let has = |p| platforms.contains(&p);
        match (has(Platform::Amd64), has(Platform::Arm64)) {
            (false, true) => &views[1],
            (true, true) => &views[2],
            _ => &views[0],
        }
    }

    /// The embedded catalog's view for these platforms.
    pub fn embedded_for(platforms: &[Platform]) -> Catalog {
        Catalog::embedded_view(platforms).clone()
    }

    /// The embedded catalog with a user overlay merged over it (validated with
    /// the same rules). `source` names the overlay in errors.
    pub fn with_overlay(overlay_text: &str, source: &str) -> Result<Catalog, CatalogError> {
        let overlay: serde_yaml::Value =
            serde_yaml::from_str(overlay_text).map_err(|e| yaml_error(source, &e))?;
        Catalog::with_overlay_value(overlay, source)
    }

    /// As [`Catalog::with_overlay`], from an already parsed overlay (mlcontain.yaml's record).
    pub fn with_overlay_value(
        mut overlay: serde_yaml::Value,
        source: &str,
    ) -> Result<Catalog, CatalogError> {
        overlay
            .apply_merge()
            .map_err(|e| CatalogError::new(source, e.to_string()))?;
        let serde_yaml::Value::Mapping(map) = &overlay else {
            return Err(CatalogError::new(
                source,
                "a catalog overlay is a YAML mapping (keys as in the embedded catalog)",
            ));
        };
        let updated = match map.get("updated") {
            Some(serde_yaml::Value::String(s)) if is_date(s) => s.clone(),
            _ => {
                return Err(CatalogError::new(
                    source,
                    "the overlay needs `updated: \"YYYY-MM-DD\"` (its date is recorded in mlcontain.yaml)",
                ))
            }
        };
        let mut base: serde_yaml::Value =
            serde_yaml::from_str(CATALOG_YAML).expect("embedded catalog is YAML");
        base.apply_merge().expect("embedded catalog merges");
        let base_updated = Catalog::embedded_raw().updated.clone();
        merge_value(&mut base, &overlay, "");
        let mut cat = Catalog::from_value(base, source).map_err(|mut e| {
            e.message.push_str(
                " (list positions count the embedded catalog's items first, then the overlay's new ones)",
            );
            e
        })?;
        // The catalog's own date stays the embedded one's; the overlay's is kept apart.
        cat.updated = base_updated;
        cat.overlay = Some(OverlayInfo {
            source: source.to_string(),
            updated,
            content: overlay,
        });
        Ok(cat)
    }

    /// A view of this catalog for a set of target platforms: releases and
    /// builds with wheels on every one of them, kernel lists that all of them
    /// carry, toolkits with images for all of them, and the PyPI default
    /// build and CPU requirement those platforms get.
    pub fn for_platforms(&self, platforms: &[Platform]) -> Catalog {
        match &self.raw {
            Some(raw) => Catalog::resolve(raw, platforms),
            None => Catalog::resolve(&Arc::new(self.clone()), platforms),
        }
    }

    /// Sorted, deduplicated platforms (linux/amd64 when none).
    pub fn platform_set(platforms: &[Platform]) -> Vec<Platform> {
        let mut ps: Vec<Platform> = platforms.to_vec();
        ps.sort();
        ps.dedup();
        if ps.is_empty() {
            ps.push(Platform::Amd64);
        }
        ps
    }

    fn resolve(raw: &Arc<Catalog>, platforms: &[Platform]) -> Catalog {
        let ps = Catalog::platform_set(platforms);
        let mut view = (**raw).clone();
        view.raw = Some(raw.clone());
        view.resolved_for = ps.clone();
        let has_all = |list: &[Platform]| ps.iter().all(|p| list.contains(p));
        view.cuda.retain(|t| has_all(&t.platforms));
        for f in &mut view.frameworks {
            if ps.contains(&Platform::Arm64) {
                if let Some(r) = &f.cpu_requirement_arm64 {
                    f.cpu_requirement = Some(r.clone());
                }
            }
            f.releases.retain(|r| has_all(&r.platforms));
            for r in &mut f.releases {
                let tags: Vec<Option<String>> = ps
                    .iter()
                    .map(|p| match p {
                        Platform::Amd64 => r.pypi.clone(),
                        Platform::Arm64 => r.pypi_arm64.clone(),
                    })
                    .collect();
                r.pypi = if tags.windows(2).all(|w| w[0] == w[1]) {
                    tags.into_iter().next().flatten()
                } else {
                    None
                };
                r.builds.retain_mut(|b| {
                    let ks: Vec<Kernels> =
                        ps.iter().filter_map(|p| b.kernels(*p).cloned()).collect();
                    if ks.len() != ps.len() {
                        return false;
                    }
                    let both = |pick: fn(&Kernels) -> &Vec<ComputeCapability>| {
                        let mut out = pick(&ks[0]).clone();
                        out.retain(|c| ks.iter().all(|k| pick(k).contains(c)));
                        out
                    };
                    b.sass = both(|k| &k.sass);
                    b.ptx = both(|k| &k.ptx);
                    b.floor = ks.iter().filter_map(|k| k.floor).max();
                    !(b.sass.is_empty() && b.ptx.is_empty() && b.floor.is_none())
                });
            }
        }
        view
    }

    /// The platforms on which a framework has CUDA builds (from the raw
    /// catalog, whatever this view's platforms).
    pub fn cuda_platforms(&self, framework: &str) -> Vec<Platform> {
        let raw: &Catalog = self.raw.as_deref().unwrap_or(self);
        let Some(f) = raw.framework(framework) else {
            return vec![];
        };
        Platform::ALL
            .into_iter()
            .filter(|p| {
                f.releases
                    .iter()
                    .any(|r| r.builds.iter().any(|b| b.kernels(*p).is_some()))
            })
            .collect()
    }

    /// The highest CUDA a driver supports, from its branch (the first
    /// version component); None when older than every listed branch.
    pub fn branch_cuda(&self, driver: &Version) -> Option<&DriverBranch> {
        self.driver_branches
            .iter()
            .rev()
            .find(|b| b.branch <= driver.major())
    }

    /// The driver branch that first supports CUDA `cuda` (major.minor).
    pub fn branch_for_cuda(&self, cuda: &Version) -> Option<&DriverBranch> {
        self.driver_branches
            .iter()
            .find(|b| b.cuda.major_minor() >= cuda.major_minor())
    }

    /// The last driver branch for a GPU generation, when it has one.
    pub fn driver_cutoff(&self, cc: ComputeCapability) -> Option<&ArchCutoff> {
        self.arch_driver_cutoff
            .iter()
            .filter(|c| cc < c.below)
            .min_by_key(|c| c.last_branch)
    }

    /// The architecture below which CUDA `major` refuses a host, if any.
    pub fn cuda_major_floor(&self, major: u64) -> Option<ComputeCapability> {
        self.cuda_major_floor
            .iter()
            .find(|f| f.major == major)
            .map(|f| f.below)
    }

    /// The PTX ISA version a toolkit's nvcc emits.
    pub fn ptx_isa(&self, cuda: &Version) -> Option<&Version> {
        self.cuda
            .iter()
            .find(|t| t.version.major_minor() == cuda.major_minor())
            .and_then(|t| t.ptx_isa.as_ref())
    }

    /// The lowest PTX ISA that can target `cc` (exact, else the nearest
    /// lower listed minor of the same major).
    pub fn ptx_isa_needed(&self, cc: ComputeCapability) -> Option<Version> {
        let mut best: Option<(ComputeCapability, Version)> = None;
        for (k, v) in &self.ptx_isa_targets {
            let Ok(t) = k.parse::<ComputeCapability>() else {
                continue;
            };
            if t.major == cc.major
                && t.minor <= cc.minor
                && best.as_ref().is_none_or(|(b, _)| t > *b)
            {
                best = Some((t, v.clone()));
            }
        }
        best.map(|(_, v)| v)
    }

    /// Whether a GPU name is a data-center model forward compatibility supports.
    pub fn is_data_center(&self, gpu_name: &str) -> bool {
        let Some(fc) = &self.forward_compat else {
            return false;
        };
        let upper = gpu_name.to_ascii_uppercase();
        upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| fc.data_center.iter().any(|d| d.eq_ignore_ascii_case(w)))
    }

    /// The add-on variant a distribution name (and version) belongs to.
    pub fn addon_for(
        &self,
        package: &str,
        version: Option<&Version>,
    ) -> Option<(&Addon, &AddonVariant)> {
        self.addons.iter().find_map(|a| {
            a.variants
                .iter()
                .find(|v| {
                    v.package == package
                        && match (&v.min_version, version) {
                            (Some(min), Some(ver)) => ver >= min,
                            (Some(_), None) => true,
                            (None, _) => true,
                        }
                })
                .map(|v| (a, v))
        })
    }

    /// Every rule the catalog must hold, checked when it is loaded (the
    /// embedded one, and the embedded one with a custom overlay merged
    /// over it). Each problem names the YAML path of the value, counting
    /// list items in the document as read.
    pub fn validate(&self) -> Result<(), Vec<CatalogProblem>> {
        // Lookups that need sorted lists (driver branches) read a sorted copy;
        // the paths count items in this catalog's own order.
        let mut sorted = self.clone();
        sorted.normalise();
        let mut p = Problems::default();
        self.check_header(&sorted, &mut p);
        self.check_toolkits(&sorted, &mut p);
        for (i, f) in self.frameworks.iter().enumerate() {
            self.check_framework(&format!("frameworks[{i}]"), f, &mut p);
        }
        self.check_addons(&mut p);
        match p.0.is_empty() {
            true => Ok(()),
            false => Err(p.0),
        }
    }

    fn check_header(&self, sorted: &Catalog, p: &mut Problems) {
        if !is_date(&self.updated) {
            p.push(
                "updated",
                format!("`{}` is not a YYYY-MM-DD date", self.updated),
            );
        }
        if !self.python_versions.contains(&self.default_python) {
            p.push(
                "default_python",
                format!("Python {} is not in python_versions", self.default_python),
            );
        }
        if !self.images.python.contains("{python}") {
            p.push("images.python", "the image template lacks `{python}`");
        }
        if let Some(u) = &self.default_ubuntu {
            if !self.ubuntu_python.contains_key(u) {
                p.push(
                    "default_ubuntu",
                    format!("Ubuntu {u} has no ubuntu_python entry"),
                );
            }
        }
        let mut seen = BTreeSet::new();
        for (i, b) in self.driver_branches.iter().enumerate() {
            if !seen.insert(b.branch) {
                p.push(
                    format!("driver_branches[{i}]"),
                    format!("branch R{} is listed twice", b.branch),
                );
            }
        }
        if !sorted
            .driver_branches
            .windows(2)
            .all(|w| w[0].cuda <= w[1].cuda)
        {
            p.push(
                "driver_branches",
                "a newer branch must not support less CUDA",
            );
        }
        for (k, v) in &self.ptx_isa_targets {
            let path = format!("ptx_isa_targets.\"{k}\"");
            if k.parse::<ComputeCapability>().is_err() {
                p.push(path.clone(), format!("`{k}` is not a compute capability"));
            }
            if v.major() < 1 {
                p.push(path, format!("`{v}` is not a PTX ISA version"));
            }
        }
    }

    fn check_toolkits(&self, sorted: &Catalog, p: &mut Problems) {
        let mut seen = BTreeSet::new();
        for (i, t) in self.cuda.iter().enumerate() {
            let path = format!("cuda[{i}]");
            let v = &t.version;
            if !seen.insert(v.clone()) {
                p.push(
                    format!("{path}.version"),
                    format!("CUDA {v} is listed twice"),
                );
            }
            if t.platforms.is_empty() {
                p.push(
                    format!("{path}.platforms"),
                    format!("CUDA {v}: no platforms"),
                );
            }
            if !t.image.matches_prefix(v) {
                p.push(
                    format!("{path}.image"),
                    format!("CUDA {v}: image {} is not a {v} release", t.image),
                );
            }
            if self.major_min_driver(v.major()).is_none() {
                p.push(
                    format!("{path}.version"),
                    format!("CUDA {v}: CUDA major {} is not in cuda_majors", v.major()),
                );
            }
            if !t.archs.windows(2).all(|w| w[0] < w[1]) {
                p.push(
                    format!("{path}.archs"),
                    format!("CUDA {v}: archs not sorted"),
                );
            }
            if t.ubuntu.is_empty() {
                p.push(format!("{path}.ubuntu"), format!("CUDA {v}: no Ubuntu"));
            }
            for (j, u) in t.ubuntu.iter().enumerate() {
                if !self.ubuntu_python.contains_key(u) {
                    p.push(
                        format!("{path}.ubuntu[{j}]"),
                        format!("CUDA {v}: Ubuntu {u} has no ubuntu_python entry"),
                    );
                }
            }
            if let Some(branch) = t.driver_branch {
                match self.driver_branches.iter().find(|b| b.branch == branch) {
                    Some(b) if b.cuda.major_minor() >= v.major_minor() => {}
                    Some(b) => p.push(
                        format!("{path}.driver_branch"),
                        format!(
                            "CUDA {v}: driver branch R{branch} supports only CUDA {}",
                            b.cuda
                        ),
                    ),
                    None => p.push(
                        format!("{path}.driver_branch"),
                        format!("CUDA {v}: driver branch R{branch} is not in driver_branches"),
                    ),
                }
                if t.min_driver.major() != branch {
                    p.push(
                        format!("{path}.min_driver"),
                        format!(
                            "CUDA {v}: min_driver {} is not on its branch R{branch}",
                            t.min_driver
                        ),
                    );
                }
            }
            if let Some(b) = sorted.branch_cuda(&t.min_driver) {
                if b.cuda.major_minor() < v.major_minor() {
                    p.push(
                        format!("{path}.min_driver"),
                        format!(
                            "CUDA {v}: min_driver {} is on R{}, which supports only CUDA {}",
                            t.min_driver, b.branch, b.cuda
                        ),
                    );
                }
            }
            // Driver minimums grow with the toolkit.
            let older = self
                .cuda
                .iter()
                .filter(|o| o.version < *v && o.min_driver >= t.min_driver)
                .max_by(|a, b| a.version.cmp(&b.version));
            if let Some(o) = older {
                p.push(
                    format!("{path}.min_driver"),
                    format!(
                        "CUDA {v}: min_driver {} is not above CUDA {}'s {}",
                        t.min_driver, o.version, o.min_driver
                    ),
                );
            }
        }
    }

    fn check_framework(&self, path: &str, f: &Framework, p: &mut Problems) {
        if !f.is_none() {
            if f.cpu_requirement.is_none() {
                p.push(path, format!("{}: no cpu_requirement", f.id));
            }
            if f.releases.is_empty() {
                p.push(format!("{path}.releases"), format!("{}: no releases", f.id));
            }
        }
        let mut seen = BTreeSet::new();
        for (j, r) in f.releases.iter().enumerate() {
            let path = format!("{path}.releases[{j}]");
            let what = format!("{} {}", f.id, r.version);
            if !seen.insert(r.version.clone()) {
                p.push(format!("{path}.version"), format!("{what}: listed twice"));
            }
            if r.platforms.is_empty() {
                p.push(format!("{path}.platforms"), format!("{what}: no platforms"));
            }
            if r.python.is_empty() {
                p.push(format!("{path}.python"), format!("{what}: no Pythons"));
            }
            if !r.python.windows(2).all(|w| w[0] < w[1]) {
                p.push(
                    format!("{path}.python"),
                    format!("{what}: Pythons not sorted"),
                );
            }
            // PyPI's default build names one of the release's builds, with
            // kernels on that platform (the PyPI shortcut installs it).
            for (key, name, plat, tag) in [
                ("pypi", "amd64", Platform::Amd64, &r.pypi),
                ("pypi_arm64", "arm64", Platform::Arm64, &r.pypi_arm64),
            ] {
                let Some(tag) = tag else { continue };
                let has = r.builds.iter().any(|b| {
                    &b.tag == tag
                        && match plat {
                            Platform::Amd64 => b.amd64.is_some(),
                            Platform::Arm64 => b.arm64.is_some(),
                        }
                });
                if !r.platforms.contains(&plat) || !has {
                    p.push(
                        format!("{path}.{key}"),
                        format!(
                            "{what}: PyPI's {name} build `{tag}` is not one of its {name} builds"
                        ),
                    );
                }
            }
            for (k, py) in r.python.iter().enumerate() {
                if !self.python_versions.contains(py) {
                    p.push(
                        format!("{path}.python[{k}]"),
                        format!("{what}: Python {py} is not in python_versions"),
                    );
                }
            }
            let mut cudas = BTreeSet::new();
            for (k, b) in r.builds.iter().enumerate() {
                let path = format!("{path}.builds[{k}]");
                if !cudas.insert(b.cuda.clone()) {
                    p.push(
                        format!("{path}.cuda"),
                        format!("{what}: two builds for CUDA {}", b.cuda),
                    );
                }
                self.check_build(&path, f, r, b, p);
            }
        }
    }

    fn check_build(&self, path: &str, f: &Framework, r: &Release, b: &Build, p: &mut Problems) {
        let what = format!("{} {} {}", f.id, r.version, b.tag);
        let major = b.cuda.major();
        if self.major_min_driver(major).is_none() {
            p.push(
                format!("{path}.cuda"),
                format!("{what}: CUDA major {major} is not in cuda_majors"),
            );
        }
        match (&f.cuda_requirement, &f.cuda_index) {
            (None, _) => p.push(
                path,
                format!("{what}: a CUDA build without cuda_requirement"),
            ),
            (Some(req), None) if req.contains('+') => p.push(
                path,
                format!("{what}: a local-version requirement needs cuda_index"),
            ),
            _ => {}
        }
        if b.amd64.is_none() && b.arm64.is_none() {
            p.push(path, format!("{what}: no amd64 or arm64 kernels"));
        }
        for (name, plat, k) in [
            ("amd64", Platform::Amd64, &b.amd64),
            ("arm64", Platform::Arm64, &b.arm64),
        ] {
            let Some(k) = k else { continue };
            let path = format!("{path}.{name}");
            if !r.platforms.contains(&plat) {
                p.push(
                    path.clone(),
                    format!("{what}: {name} kernels for a release without {name} wheels"),
                );
            }
            self.check_kernels(&path, &format!("{what} {name}"), &b.cuda, k, p);
        }
    }

    /// A build's kernel list on one platform: sorted, buildable by its CUDA
    /// major, above that major's floor, PTX its toolkit can emit.
    fn check_kernels(&self, path: &str, what: &str, cuda: &Version, k: &Kernels, p: &mut Problems) {
        let major = cuda.major();
        if k.sass.is_empty() && k.ptx.is_empty() && k.floor.is_none() {
            p.push(path, format!("{what}: empty kernel list"));
        }
        if !k.sass.windows(2).all(|w| w[0] < w[1]) {
            p.push(format!("{path}.sass"), format!("{what}: sass not sorted"));
        }
        // SASS its CUDA major's toolkits can build.
        let buildable: Vec<ComputeCapability> = self
            .cuda
            .iter()
            .filter(|t| t.version.major() == major)
            .flat_map(|t| t.archs.iter().copied())
            .collect();
        for (i, sm) in k.sass.iter().enumerate() {
            if !buildable.is_empty() && !buildable.contains(sm) {
                p.push(
                    format!("{path}.sass[{i}]"),
                    format!("{what}: {} is not buildable with CUDA {major}", sm.sm()),
                );
            }
        }
        if let Some(floor) = self.cuda_major_floor(major) {
            for s in k.sass.iter().chain(&k.ptx).chain(&k.floor) {
                if *s < floor {
                    p.push(
                        path,
                        format!(
                            "{what}: {} below CUDA {major}'s floor {}",
                            s.sm(),
                            floor.sm()
                        ),
                    );
                }
            }
        }
        if k.ptx.is_empty() {
            return;
        }
        let Some(isa) = self.ptx_isa(cuda) else {
            p.push(
                format!("{path}.ptx"),
                format!("{what}: carries PTX but CUDA {cuda} has no ptx_isa"),
            );
            return;
        };
        for (i, x) in k.ptx.iter().enumerate() {
            if let Some(need) = self.ptx_isa_needed(*x) {
                if *isa < need {
                    p.push(
                        format!("{path}.ptx[{i}]"),
                        format!(
                            "{what}: PTX for {} needs PTX ISA ≥ {need}; CUDA {cuda} emits {isa}",
                            x.sm()
                        ),
                    );
                }
            }
        }
    }

    fn check_addons(&self, p: &mut Problems) {
        for (i, a) in self.addons.iter().enumerate() {
            for (j, v) in a.variants.iter().enumerate() {
                let path = format!("addons[{i}].variants[{j}]");
                if self.major_min_driver(v.cuda_major).is_none() {
                    p.push(
                        format!("{path}.cuda_major"),
                        format!("add-on {}: CUDA major {} unknown", v.package, v.cuda_major),
                    );
                }
                if let (Some(floor), Some(f)) = (self.cuda_major_floor(v.cuda_major), v.floor) {
                    if f < floor {
                        p.push(
                            format!("{path}.floor"),
                            format!(
                                "add-on {}: floor {} below CUDA {}'s {}",
                                v.package,
                                f.sm(),
                                v.cuda_major,
                                floor.sm()
                            ),
                        );
                    }
                }
                for (k, py) in v.python.iter().enumerate() {
                    if !self.python_versions.contains(py) {
                        p.push(
                            format!("{path}.python[{k}]"),
                            format!("add-on {}: Python {py} unknown", v.package),
                        );
                    }
                }
            }
        }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelFit {
    /// SASS for the GPU's major with a lower or equal minor.
    Sass(ComputeCapability),
    /// Only PTX that the driver JIT-compiles at first start.
    Ptx(ComputeCapability),
    /// The build's kernel list is not known; the GPU is at or above its documented floor.
    Floor(ComputeCapability),
    /// PTX for an older virtual architecture whose PTX ISA cannot target this GPU.
    PtxIsa {
        ptx: ComputeCapability,
        isa: Version,
        need: Version,
    },
    None,
}

impl KernelFit {
    pub fn runs(&self) -> bool {
        matches!(
            self,
            KernelFit::Sass(_) | KernelFit::Ptx(_) | KernelFit::Floor(_)
        )
    }
}

impl Build {
    /// What this platform's wheel carries (None: no wheel known).
    pub fn kernels(&self, p: Platform) -> Option<&Kernels> {
        match p {
            Platform::Amd64 => self.amd64.as_ref(),
            Platform::Arm64 => self.arm64.as_ref(),
        }
    }

    /// How the build runs on a GPU by architecture alone (no PTX ISA check:
    /// see [`Catalog::fit`]).
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
        if let Some(f) = self.floor {
            if gpu >= f {
                return KernelFit::Floor(f);
            }
        }
        KernelFit::None
    }
    pub fn sass_list(&self) -> String {
        if self.sass.is_empty() && self.ptx.is_empty() {
            if let Some(f) = self.floor {
                return format!("{} and newer (kernel list not published)", f.sm());
            }
        }
        let mut out: Vec<String> = self.sass.iter().map(|c| c.sm()).collect();
        out.extend(
            self.ptx
                .iter()
                .map(|c| format!("compute_{}{} (PTX)", c.major, c.minor)),
        );
        out.join(" ")
    }
}

impl Catalog {
    /// How `build` runs on a GPU, with the PTX ISA rule: PTX JIT-compiles
    /// only for targets its ISA (the build toolkit's) supports.
    pub fn fit(&self, build: &Build, gpu: ComputeCapability) -> KernelFit {
        let fit = build.fit(gpu);
        if let KernelFit::Ptx(ptx) = fit {
            if let (Some(isa), Some(need)) = (self.ptx_isa(&build.cuda), self.ptx_isa_needed(gpu)) {
                if *isa < need {
                    return KernelFit::PtxIsa {
                        ptx,
                        isa: isa.clone(),
                        need,
                    };
                }
            }
        }
        fit
    }
}

/// `YYYY-MM-DD`
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// The key that identifies an item of a list in the catalog, by the list's
/// path (`frameworks` by `id`, a framework's `releases` by `version`, ...).
fn identity_key(path: &str) -> Option<&'static str> {
    match path {
        "frameworks" | "addons" => Some("id"),
        "frameworks.releases" | "cuda" => Some("version"),
        "frameworks.releases.builds" => Some("tag"),
        "addons.variants" => Some("package"),
        "driver_branches" => Some("branch"),
        "cuda_majors" => Some("major"),
        _ => None,
    }
}

fn key_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Merge an overlay into the base catalog: mappings merge key by key, lists
/// of identified items (frameworks, releases, builds, toolkits, add-ons,
/// driver branches) merge item by item, `sources` and `python_versions`
/// add to the base, anything else replaces.
fn merge_value(base: &mut serde_yaml::Value, overlay: &serde_yaml::Value, path: &str) {
    use serde_yaml::Value;
    match (base, overlay) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, ov) in o {
                let child = match k.as_str() {
                    Some(name) if path.is_empty() => name.to_string(),
                    Some(name) => format!("{path}.{name}"),
                    None => path.to_string(),
                };
                match b.get_mut(k) {
                    Some(bv) => merge_value(bv, ov, &child),
                    None => {
                        b.insert(k.clone(), ov.clone());
                    }
                }
            }
        }
        (Value::Sequence(b), Value::Sequence(o)) => {
            if path == "sources" || path == "python_versions" {
                for item in o {
                    if !b.contains(item) {
                        b.push(item.clone());
                    }
                }
                return;
            }
            let Some(key) = identity_key(path) else {
                *b = o.clone();
                return;
            };
            for item in o {
                let id = item.get(key).and_then(key_text);
                let existing = id.as_ref().and_then(|id| {
                    b.iter_mut()
                        .find(|x| x.get(key).and_then(key_text).as_ref() == Some(id))
                });
                match existing {
                    Some(x) => merge_value(x, item, path),
                    None => b.push(item.clone()),
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}
