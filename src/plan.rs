//! The planner: `plan(facts, choices) -> Plan`. Pure: no terminal, clock or
//! file I/O. Every default it takes comes with a one-line explanation the UI
//! can show; every explicit choice the host cannot run is refused with a
//! message naming the GPU or driver and the fix.

use crate::catalog::{Build, Catalog, Framework, KernelFit, Release};
use crate::choices::{Accel, Choices, GpuCount, GpuSelection, SavedConfig, Stage};
use crate::facts::{Facts, Gpu, PackageManager, WebApp};
use crate::version::Version;
use serde::Serialize;

mod deploy;
pub use deploy::DeployPlan;

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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// What it is about: `framework`, `cuda`, `python`, `base-image`, ...
    pub topic: &'static str,
    pub text: String,
}

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
    pub explanations: Vec<Explanation>,
    pub warnings: Vec<String>,
    pub saved: SavedConfig,
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

/// Plan with the embedded catalog.
pub fn plan(facts: &Facts, choices: &Choices) -> Result<Plan, PlanError> {
    plan_with(Catalog::embedded(), facts, choices)
}

/// The host's ability to run a (release, build).
#[derive(Debug, Clone, PartialEq)]
enum HostFit {
    /// Runs; the notes say what it relies on (minor-version compatibility, PTX JIT).
    Runs(Vec<String>),
    /// Cannot run; one reason per problem.
    No(Vec<String>),
}

struct Host<'a> {
    facts: &'a Facts,
    cat: &'a Catalog,
}

impl Host<'_> {
    fn gpus(&self) -> &[Gpu] {
        &self.facts.gpus
    }
    fn has_gpu(&self) -> bool {
        !self.facts.gpus.is_empty()
    }

    /// Whether the driver runs code built for CUDA `cuda` through the
    /// framework's bundled libraries (minor-version compatibility allowed).
    fn driver_runs_major(&self, cuda: &Version) -> Result<Option<String>, String> {
        let Some(driver) = &self.facts.driver else {
            return Ok(None);
        };
        let major = cuda.major();
        let floor = self.cat.major_min_driver(major);
        if let Some(floor) = floor {
            if driver.version < *floor {
                return Err(format!(
                    "CUDA {cuda} needs driver ≥ {floor}; this host has {}",
                    driver.version
                ));
            }
        }
        if let Some(max) = &driver.cuda_max {
            if max.major() < major {
                return Err(format!(
                    "CUDA {cuda} needs a driver for CUDA {major}.x (≥ {}); this host's driver {} supports up to CUDA {max}",
                    floor.map(|f| f.to_string()).unwrap_or_else(|| "a newer one".into()),
                    driver.version
                ));
            }
            if cuda.major_minor() > max.major_minor() {
                return Ok(Some(format!(
                    "CUDA {cuda} is newer than the driver's CUDA {max}: it runs through CUDA minor-version compatibility (same major {major}, driver ≥ {})",
                    floor.map(|f| f.to_string()).unwrap_or_default()
                )));
            }
        }
        Ok(None)
    }

    fn fit(&self, fw: &Framework, rel: &Release, build: &Build) -> HostFit {
        let mut notes = vec![];
        let mut problems = vec![];
        match self.driver_runs_major(&build.cuda) {
            Ok(Some(n)) => notes.push(n),
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
        for g in self.gpus() {
            let Some(cc) = g.compute_capability else {
                continue;
            };
            match build.fit(cc) {
                KernelFit::Sass(_) => {}
                KernelFit::Ptx(p) => notes.push(format!(
                    "{} has no {} SASS in {} {} ({}); it JIT-compiles PTX for compute_{}{} at first start",
                    g.label(),
                    cc.sm(),
                    fw.name,
                    rel.version,
                    build.tag,
                    p.major,
                    p.minor
                )),
                KernelFit::Floor(_) => {}
                KernelFit::PtxIsa { .. } | KernelFit::None => problems.push(format!(
                    "{} has no kernels in {} {} built for CUDA {} ({}: {})",
                    g.label(),
                    fw.name,
                    rel.version,
                    build.cuda,
                    build.tag,
                    build.sass_list()
                )),
            }
        }
        if problems.is_empty() {
            HostFit::Runs(notes)
        } else {
            HostFit::No(problems)
        }
    }

    /// "RTX 5090 (sm_120) needs PyTorch ≥ 2.7 built for CUDA ≥ 12.8" for each
    /// GPU that `build` cannot run.
    fn fix_for(&self, fw: &Framework, build: Option<&Build>) -> Vec<String> {
        let mut fixes = vec![];
        for g in self.gpus() {
            let Some(cc) = g.compute_capability else {
                continue;
            };
            if let Some(b) = build {
                if b.fit(cc).runs() {
                    continue;
                }
            }
            let fitting: Vec<(&Release, &Build)> = fw
                .releases
                .iter()
                .flat_map(|r| r.builds.iter().map(move |b| (r, b)))
                .filter(|(_, b)| matches!(b.fit(cc), KernelFit::Sass(_)))
                .collect();
            let Some((first_rel, _)) = fitting.first() else {
                fixes.push(format!(
                    "{} has no kernels in any {} build the catalog knows; use the CPU build",
                    g.label(),
                    fw.name
                ));
                continue;
            };
            let min_cuda = fitting
                .iter()
                .filter(|(r, _)| r.version == first_rel.version)
                .map(|(_, b)| b.cuda.clone())
                .min()
                .expect("non-empty");
            // Upward closed: every newer release/CUDA fits too.
            let closed = fw
                .releases
                .iter()
                .flat_map(|r| r.builds.iter().map(move |b| (r, b)))
                .filter(|(r, b)| r.version >= first_rel.version && b.cuda >= min_cuda)
                .all(|(_, b)| matches!(b.fit(cc), KernelFit::Sass(_)));
            if closed {
                fixes.push(format!(
                    "{} needs {} ≥ {} built for CUDA ≥ {}",
                    g.label(),
                    fw.name,
                    first_rel.version.major_minor(),
                    min_cuda
                ));
            } else {
                let (nr, nb) = fitting
                    .iter()
                    .max_by(|a, b| a.0.version.cmp(&b.0.version).then(a.1.cuda.cmp(&b.1.cuda)))
                    .expect("non-empty");
                let dropped = fw
                    .releases
                    .iter()
                    .flat_map(|r| r.builds.iter())
                    .filter(|b| b.cuda > nb.cuda && !matches!(b.fit(cc), KernelFit::Sass(_)))
                    .map(|b| b.cuda.clone())
                    .min();
                fixes.push(format!(
                    "{}{}; the newest build that carries {} is {} {} ({}, CUDA {})",
                    g.label(),
                    dropped
                        .map(|d| format!(" has no kernels in {} builds for CUDA ≥ {d}", fw.name))
                        .unwrap_or_default(),
                    cc.sm(),
                    fw.name,
                    nr.version,
                    nb.tag,
                    nb.cuda
                ));
            }
        }
        fixes
    }
}

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plan with a given catalog.
pub fn plan_with(cat: &Catalog, facts: &Facts, choices: &Choices) -> Result<Plan, PlanError> {
    let host = Host { facts, cat };
    let scan = &facts.project;
    let mut ex: Vec<Explanation> = vec![];
    let mut warnings: Vec<String> = vec![];
    let allow = choices.allow_incompatible;
    let refuse = |msg: String, warnings: &mut Vec<String>| -> Result<(), PlanError> {
        if allow {
            warnings.push(format!("incompatible with this host: {msg}"));
            Ok(())
        } else {
            Err(PlanError::Incompatible(msg))
        }
    };

    // ---- Framework -------------------------------------------------------
    let detected_fw = cat
        .frameworks
        .iter()
        .filter(|f| !f.is_none())
        .find(|f| f.packages.iter().any(|p| scan.pin(p).is_some()));
    let fw: &Framework = match &choices.framework {
        Some(id) => {
            let id = normalise_framework(id);
            let f = cat.framework(&id).ok_or_else(|| {
                PlanError::UnknownFramework(id.clone(), list(cat.framework_ids()))
            })?;
            ex.push(Explanation {
                topic: "framework",
                text: format!("{} — chosen.", f.name),
            });
            f
        }
        None => match detected_fw {
            Some(f) => {
                let pin = f.packages.iter().find_map(|p| scan.pin(p)).unwrap();
                ex.push(Explanation {
                    topic: "framework",
                    text: format!("{} — the project requires it ({}).", f.name, pin.source),
                });
                f
            }
            None if !scan.has_no_manifest() => {
                let f = cat.framework("none").expect("catalog has `none`");
                ex.push(Explanation {
                    topic: "framework",
                    text: "plain Python — the project's manifests name no ML framework.".into(),
                });
                f
            }
            None => {
                let f = cat.framework("pytorch").expect("catalog has pytorch");
                ex.push(Explanation {
                    topic: "framework",
                    text: "PyTorch — the most common choice for a new project; change it freely."
                        .into(),
                });
                f
            }
        },
    };
    let pin = fw.packages.iter().find_map(|p| scan.pin(p));

    // ---- Package manager -------------------------------------------------
    let pm = match choices.package_manager {
        Some(p) => {
            ex.push(Explanation {
                topic: "package-manager",
                text: format!("{p} — chosen."),
            });
            p
        }
        None => match scan.package_manager_hint() {
            Some(p) => {
                ex.push(Explanation {
                    topic: "package-manager",
                    text: format!("{p} — the project already uses it."),
                });
                p
            }
            None => {
                ex.push(Explanation {
                    topic: "package-manager",
                    text: "pip with requirements.txt — works everywhere, no extra tool.".into(),
                });
                PackageManager::Pip
            }
        },
    };

    // ---- Stages ----------------------------------------------------------
    let mut stages = choices
        .stages
        .clone()
        .unwrap_or_else(|| vec![Stage::Training, Stage::Inference, Stage::Dev]);
    stages.sort();
    stages.dedup();
    if stages.is_empty() {
        return Err(PlanError::Invalid {
            what: "stages",
            value: String::new(),
            why: "choose at least one of training, inference, dev".into(),
        });
    }

    // ---- Python (explicit or hinted; may be narrowed below) ---------------
    let hinted_python = scan
        .python_hint
        .as_deref()
        .and_then(|h| h.parse::<Version>().ok())
        .map(|v| v.major_minor())
        .filter(|v| cat.python_versions.contains(v));
    if let Some(p) = &choices.python {
        if !cat.python_versions.contains(p) && pm != PackageManager::Conda {
            return Err(PlanError::Invalid {
                what: "Python version",
                value: p.to_string(),
                why: format!("valid: {}", list(&cat.python_versions)),
            });
        }
    }

    // ---- Accelerator choice ----------------------------------------------
    let pinned_accel = pin.and_then(|p| {
        p.local
            .as_deref()
            .and_then(|l| l.parse::<Accel>().ok())
            .or_else(|| {
                // `tensorflow[and-cuda]==2.17.1`, `jax[cuda12]`: the build
                // of the pinned release with that tag (else of any release).
                p.extras.iter().find_map(|e| {
                    let tag_of = |b: &Build| b.tag == *e;
                    let pinned = p
                        .version
                        .as_ref()
                        .and_then(|v| fw.releases.iter().find(|r| &r.version == v));
                    pinned
                        .and_then(|r| r.builds.iter().find(|b| tag_of(b)))
                        .or_else(|| {
                            fw.releases
                                .iter()
                                .rev()
                                .flat_map(|r| &r.builds)
                                .find(|b| tag_of(b))
                        })
                        .map(|b| Accel::Cuda(b.cuda.clone()))
                })
            })
            .or(match p.package.as_str() {
                "tensorflow-cpu" | "xgboost-cpu" => Some(Accel::Cpu),
                _ => None,
            })
    });

    if fw.is_none() || fw.releases.iter().all(|r| r.builds.is_empty()) {
        // CPU stacks and plain Python.
        if let Some(Accel::Cuda(v)) = &choices.cuda {
            if !fw.is_none() {
                return Err(PlanError::Unsupported(format!(
                    "{} has no CUDA builds; use --cuda cpu, or --framework none for a CUDA base image (CUDA {v})",
                    fw.name
                )));
            }
        }
    }

    // Release selection.
    let explicit_version = match (&choices.framework_version, fw.is_none()) {
        (Some(v), false) => {
            Some(
                fw.release(v)
                    .ok_or_else(|| PlanError::UnknownFrameworkVersion {
                        framework: fw.name.clone(),
                        version: v.to_string(),
                        valid: list(fw.releases.iter().map(|r| &r.version)),
                    })?,
            )
        }
        _ => None,
    };
    let pinned_release = pin.and_then(|p| p.version.as_ref()).and_then(|v| {
        fw.releases
            .iter()
            .find(|r| &r.version == v)
            .or_else(|| fw.release(&v.major_minor()))
    });
    if let (Some(p), None, None) = (pin, pinned_release, explicit_version) {
        if let Some(v) = &p.version {
            warnings.push(format!(
                "{} pins {} {v}, which the catalog does not know; choosing among the catalog's releases",
                p.source, fw.name
            ));
        }
    }

    // The accelerator the user asked for, the project pinned, or none yet.
    let accel_request: Option<(Accel, &'static str)> = choices
        .cuda
        .clone()
        .map(|a| (a, "choice"))
        .or_else(|| pinned_accel.clone().map(|a| (a, "pin")));

    // ---- Decide (release, build) -------------------------------------------
    let python_for = |rel: &Release| -> Option<Version> {
        if let Some(p) = &choices.python {
            return rel.supports_python(p).then(|| p.clone());
        }
        if let Some(h) = &hinted_python {
            if rel.supports_python(h) {
                return Some(h.clone());
            }
        }
        if rel.supports_python(&cat.default_python) {
            return Some(cat.default_python.clone());
        }
        rel.python.last().cloned()
    };

    let mut release: Option<&Release> = explicit_version.or(pinned_release);
    let mut build: Option<&Build> = None;
    let accel: Accel;

    match accel_request {
        Some((Accel::Cpu, why)) => {
            accel = Accel::Cpu;
            if why == "choice" {
                ex.push(Explanation {
                    topic: "cuda",
                    text: "CPU — chosen.".into(),
                });
            }
            if why == "pin" {
                ex.push(Explanation {
                    topic: "cuda",
                    text: format!(
                        "CPU — the project pins the CPU build ({}).",
                        pin.map(|p| p.source.as_str()).unwrap_or("")
                    ),
                });
            }
        }
        Some((Accel::Cuda(v), why)) => {
            accel = Accel::Cuda(v.clone());
            if fw.is_none() {
                // handled below (system CUDA)
            } else {
                // Find a release with a build for this CUDA.
                let candidates: Vec<&Release> = match release {
                    Some(r) => vec![r],
                    None => fw.releases.iter().rev().collect(),
                };
                let mut found = None;
                for r in &candidates {
                    if let Some(b) = r.build_for(&v) {
                        if python_for(r).is_none() {
                            continue;
                        }
                        // Prefer a release the host runs.
                        let runs = matches!(host.fit(fw, r, b), HostFit::Runs(_));
                        if found.is_none() || (runs && release.is_none()) {
                            found = Some((*r, b, runs));
                            if runs {
                                break;
                            }
                        }
                    }
                }
                match found {
                    Some((r, b, _)) => {
                        release = Some(r);
                        build = Some(b);
                    }
                    None => {
                        let valid: Vec<String> = match release {
                            Some(r) => r.builds.iter().map(|b| b.cuda.to_string()).collect(),
                            None => {
                                let mut all: Vec<Version> = fw
                                    .releases
                                    .iter()
                                    .flat_map(|r| r.builds.iter().map(|b| b.cuda.clone()))
                                    .collect();
                                all.sort();
                                all.dedup();
                                all.iter().map(|v| v.to_string()).collect()
                            }
                        };
                        let whose = match release {
                            Some(r) => format!("{} {}", fw.name, r.version),
                            None => fw.name.clone(),
                        };
                        return Err(PlanError::Unsupported(format!(
                            "{whose} has no build for CUDA {v} (valid: cpu, {})",
                            valid.join(", ")
                        )));
                    }
                }
                if why == "choice" {
                    let b = build.expect("set above");
                    let gpus = if host.has_gpu() {
                        format!(" for {}", list(host.gpus().iter().map(|g| g.label())))
                    } else {
                        " (no GPU here to check it against)".to_string()
                    };
                    ex.push(Explanation {
                        topic: "cuda",
                        text: format!("CUDA {v} ({}) — chosen{gpus}.", b.tag),
                    });
                }
                if why == "pin" {
                    ex.push(Explanation {
                        topic: "cuda",
                        text: format!(
                            "CUDA {v} — the project pins {} ({}).",
                            pin.map(|p| p.spec.as_str()).unwrap_or(""),
                            pin.map(|p| p.source.as_str()).unwrap_or("")
                        ),
                    });
                }
            }
        }
        None => {
            if !host.has_gpu() || fw.is_none() || !fw.supports_cuda() {
                accel = Accel::Cpu;
                let text = if fw.is_none() && host.has_gpu() {
                    "CPU — plain Python needs no CUDA; pick a CUDA version to get an nvidia/cuda base image.".to_string()
                } else if !fw.supports_cuda() {
                    format!("CPU — {} runs on the CPU.", fw.name)
                } else {
                    let why = facts
                        .nvml
                        .error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default();
                    format!("CPU — no NVIDIA GPU detected{why}; CUDA stays selectable for deploying elsewhere.")
                };
                ex.push(Explanation {
                    topic: "cuda",
                    text,
                });
            } else {
                // Newest release (or the pinned/explicit one) with a build the host runs.
                let candidates: Vec<&Release> = match release {
                    Some(r) => vec![r],
                    None => fw.releases.iter().rev().collect(),
                };
                let mut chosen: Option<(&Release, &Build, Vec<String>)> = None;
                'outer: for r in candidates {
                    if python_for(r).is_none() {
                        continue;
                    }
                    // Prefer builds needing no compatibility layer (newest first),
                    // then the closest newer minor.
                    let mut fits: Vec<(&Build, Vec<String>)> = r
                        .builds
                        .iter()
                        .filter_map(|b| match host.fit(fw, r, b) {
                            HostFit::Runs(n) => Some((b, n)),
                            HostFit::No(_) => None,
                        })
                        .collect();
                    let within_driver = |b: &Build| {
                        facts
                            .driver
                            .as_ref()
                            .and_then(|d| d.cuda_max.as_ref())
                            .map(|m| b.cuda.major_minor() <= m.major_minor())
                            .unwrap_or(true)
                    };
                    fits.sort_by(|(a, _), (b, _)| {
                        let (wa, wb) = (within_driver(a), within_driver(b));
                        wb.cmp(&wa).then_with(|| {
                            if wa {
                                b.cuda.cmp(&a.cuda)
                            } else {
                                a.cuda.cmp(&b.cuda)
                            }
                        })
                    });
                    if let Some((b, notes)) = fits.into_iter().next() {
                        chosen = Some((r, b, notes));
                        break 'outer;
                    }
                }
                match chosen {
                    Some((r, b, notes)) => {
                        release = Some(r);
                        build = Some(b);
                        accel = Accel::Cuda(b.cuda.clone());
                        let gpus = list(host.gpus().iter().map(|g| g.label()));
                        let driver = facts
                            .driver
                            .as_ref()
                            .map(|d| {
                                format!(
                                    " on driver {}{}",
                                    d.version,
                                    d.cuda_max
                                        .as_ref()
                                        .map(|m| format!(" (CUDA {m})"))
                                        .unwrap_or_default()
                                )
                            })
                            .unwrap_or_default();
                        ex.push(Explanation {
                            topic: "cuda",
                            text: format!(
                                "CUDA {} ({}) — the newest {} build with kernels for {gpus}{driver}.",
                                b.cuda, b.tag, fw.name
                            ),
                        });
                        for n in notes {
                            ex.push(Explanation {
                                topic: "cuda",
                                text: n,
                            });
                        }
                    }
                    None => {
                        // Nothing runs: fall back to CPU and say why.
                        let fixes = host.fix_for(fw, None);
                        let mut why = vec![];
                        if let Some(r) = release.or(fw.newest()) {
                            for b in &r.builds {
                                if let HostFit::No(p) = host.fit(fw, r, b) {
                                    why.extend(p);
                                }
                            }
                        }
                        why.dedup();
                        if let Some(r) = explicit_version {
                            // The user asked for this release on a GPU host.
                            let mut msg = format!(
                                "no build of {} {} runs on this host's GPUs",
                                fw.name, r.version
                            );
                            if !fixes.is_empty() {
                                msg.push_str(&format!(": {}", fixes.join("; ")));
                            }
                            msg.push_str(" (or choose --cuda cpu)");
                            refuse(msg, &mut warnings)?;
                        }
                        accel = Accel::Cpu;
                        ex.push(Explanation {
                            topic: "cuda",
                            text: format!(
                                "CPU — no {} build runs on this host: {}{}",
                                fw.name,
                                why.first().cloned().unwrap_or_default(),
                                if fixes.is_empty() {
                                    String::new()
                                } else {
                                    format!("; {}", fixes.join("; "))
                                }
                            ),
                        });
                    }
                }
            }
        }
    }

    // CPU: choose the release (newest with the Python).
    if !fw.is_none() && release.is_none() {
        release = fw.releases.iter().rev().find(|r| python_for(r).is_some());
        if release.is_none() {
            return Err(PlanError::Unsupported(format!(
                "no {} release supports Python {} (supported: {})",
                fw.name,
                choices
                    .python
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                list(
                    fw.releases
                        .iter()
                        .map(|r| format!("{} on {}", r.version, list(&r.python)))
                )
            )));
        }
    }
    if let Some(r) = release {
        if explicit_version.is_none() && pinned_release.is_none() {
            ex.push(Explanation {
                topic: "framework-version",
                text: format!(
                    "{} {} — the newest release the catalog ({}) knows that fits.",
                    fw.name, r.version, cat.updated
                ),
            });
        } else if explicit_version.is_some() {
            ex.push(Explanation {
                topic: "framework-version",
                text: format!("{} {} — chosen.", fw.name, r.version),
            });
        } else if pinned_release.is_some() && explicit_version.is_none() {
            ex.push(Explanation {
                topic: "framework-version",
                text: format!(
                    "{} {} — pinned by the project ({}).",
                    fw.name,
                    r.version,
                    pin.map(|p| p.source.as_str()).unwrap_or("")
                ),
            });
        }
    }

    // ---- Host checks of explicit or pinned CUDA choices -------------------
    if let (Some(r), Some(b)) = (release, build) {
        match host.fit(fw, r, b) {
            HostFit::No(problems) => {
                let mut msg = problems.join("; ");
                let fixes = host.fix_for(fw, Some(b));
                if !fixes.is_empty() {
                    msg.push_str(&format!(". {}", fixes.join("; ")));
                }
                let whose = match pin {
                    Some(p) if choices.cuda.is_none() && choices.framework_version.is_none() => {
                        format!(
                            "the project's pin {} ({}) cannot run here: ",
                            p.spec, p.source
                        )
                    }
                    _ => String::new(),
                };
                refuse(format!("{whose}{msg}"), &mut warnings)?;
            }
            HostFit::Runs(notes) => {
                if choices.cuda.is_some() || pinned_accel.is_some() {
                    for n in notes {
                        ex.push(Explanation {
                            topic: "cuda",
                            text: n,
                        });
                    }
                }
            }
        }
    }

    // ---- Python -------------------------------------------------------------
    let mut python = match release {
        Some(r) => match python_for(r) {
            Some(p) => p,
            None => {
                return Err(PlanError::Unsupported(format!(
                    "{} {} supports Python {}; not {}",
                    fw.name,
                    r.version,
                    list(&r.python),
                    choices
                        .python
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default()
                )))
            }
        },
        None => choices
            .python
            .clone()
            .or(hinted_python.clone())
            .unwrap_or_else(|| cat.default_python.clone()),
    };

    // ---- CUDA plan and images -------------------------------------------------
    let registry = |img: String| -> String {
        match &choices.registry {
            Some(r) if !r.trim().is_empty() => format!("{}/{}", r.trim_end_matches('/'), img),
            _ => img,
        }
    };
    let mut python_source = PythonSource::Image;
    let cuda_plan = match &accel {
        Accel::Cpu => None,
        Accel::Cuda(v) if build.is_some() => {
            let b = build.unwrap();
            let min_driver = cat
                .major_min_driver(v.major())
                .cloned()
                .unwrap_or_else(|| Version::new(&[0]));
            Some(CudaPlan {
                version: v.clone(),
                tag: Some(b.tag.clone()),
                strategy: CudaStrategy::Wheels,
                require_cuda: format!("cuda>={}.0", v.major()),
                min_driver,
            })
        }
        Accel::Cuda(v) => {
            // System CUDA from nvidia/cuda images (plain Python projects).
            let tk = cat.toolkit(v).ok_or_else(|| {
                PlanError::Unsupported(format!(
                    "CUDA {v} has no nvidia/cuda images in the catalog (valid: cpu, {})",
                    list(cat.cuda.iter().map(|t| &t.version))
                ))
            })?;
            if let Some(d) = &facts.driver {
                let too_new = d
                    .cuda_max
                    .as_ref()
                    .map(|m| tk.version.major_minor() > m.major_minor())
                    .unwrap_or(d.version < tk.min_driver);
                if too_new {
                    refuse(
                        format!(
                            "nvidia/cuda:{} images set NVIDIA_REQUIRE_CUDA=cuda>={}, which the NVIDIA Container Toolkit refuses on this host's driver {}{}: choose CUDA ≤ {} or update the driver to ≥ {}",
                            tk.image,
                            tk.version,
                            d.version,
                            d.cuda_max.as_ref().map(|m| format!(" (CUDA {m})")).unwrap_or_default(),
                            d.cuda_max.as_ref().map(|m| m.to_string()).unwrap_or_else(|| "the driver's".into()),
                            tk.min_driver
                        ),
                        &mut warnings,
                    )?;
                }
            }
            for g in host.gpus() {
                if let Some(cc) = g.compute_capability {
                    if !tk.archs.iter().any(|a| cc.runs_sass(*a)) {
                        refuse(
                            format!(
                                "CUDA {} cannot build for {} (it targets {}); choose an older CUDA",
                                tk.version,
                                g.label(),
                                list(tk.archs.iter().map(|a| a.sm()))
                            ),
                            &mut warnings,
                        )?;
                    }
                }
            }
            // Python comes from the Ubuntu release.
            let ubuntu = match &choices.python {
                Some(p) => tk
                    .ubuntu
                    .iter()
                    .rev()
                    .find(|u| cat.ubuntu_python.get(*u) == Some(p))
                    .ok_or_else(|| {
                        PlanError::Unsupported(format!(
                            "nvidia/cuda {} images ship {}; choose one of these Pythons",
                            tk.image,
                            list(tk.ubuntu.iter().map(|u| format!(
                                "Ubuntu {u} (Python {})",
                                cat.ubuntu_python.get(u).map(|p| p.to_string()).unwrap_or_default()
                            )))
                        ))
                    })?
                    .clone(),
                None => tk.ubuntu.last().cloned().unwrap_or_default(),
            };
            python = cat
                .ubuntu_python
                .get(&ubuntu)
                .cloned()
                .unwrap_or_else(|| python.clone());
            python_source = PythonSource::Apt;
            ex.push(Explanation {
                topic: "base-image",
                text: format!(
                    "nvidia/cuda {} on Ubuntu {ubuntu}: the runtime image in the final stage, the devel image (nvcc) only in the builder; Python {python} comes from Ubuntu.",
                    tk.image
                ),
            });
            Some(CudaPlan {
                version: tk.version.clone(),
                tag: None,
                strategy: CudaStrategy::System,
                min_driver: tk.min_driver.clone(),
                require_cuda: format!("cuda>={}", tk.version),
            })
        }
    };

    let mut images = match (&cuda_plan, pm) {
        (_, PackageManager::Conda) => {
            python_source = PythonSource::Conda;
            Images {
                builder: registry(cat.images.conda_builder.clone()),
                runtime: registry(cat.images.conda_runtime.clone()),
                builder_from_base: false,
            }
        }
        (Some(c), _) if c.strategy == CudaStrategy::System => {
            let tk = cat.toolkit(&c.version).expect("checked above");
            let ubuntu = cat
                .ubuntu_python
                .iter()
                .filter(|(u, p)| **p == python && tk.ubuntu.contains(u))
                .map(|(u, _)| u.clone())
                .next_back()
                .unwrap_or_default();
            Images {
                builder: registry(cat.cuda_image(tk, "devel", false, &ubuntu)),
                runtime: registry(cat.cuda_image(tk, "runtime", false, &ubuntu)),
                builder_from_base: false,
            }
        }
        _ => {
            let img = registry(cat.python_image(&python));
            Images {
                builder: img.clone(),
                runtime: img,
                builder_from_base: true,
            }
        }
    };
    if let Some(c) = &cuda_plan {
        if c.strategy == CudaStrategy::Wheels {
            ex.push(Explanation {
                topic: "base-image",
                text: format!(
                    "{} — {}'s {} wheels bundle the CUDA libraries, so the image adds no second copy of CUDA; the NVIDIA Container Toolkit mounts the host driver (≥ {}) at run time.",
                    images.runtime,
                    fw.name,
                    c.tag.as_deref().unwrap_or(""),
                    c.min_driver
                ),
            });
        }
    } else if pm != PackageManager::Conda {
        ex.push(Explanation {
            topic: "base-image",
            text: format!("{} — the official slim Python image.", images.runtime),
        });
    }
    if let Some(b) = &choices.base_image {
        validate_image(b)?;
        images.runtime = b.clone();
        if images.builder_from_base {
            images.builder = b.clone();
        }
        ex.push(Explanation {
            topic: "base-image",
            text: format!("{b} — set by you (a private registry or mirror)."),
        });
    }
    if let Some(r) = &choices.registry {
        validate_image(&format!("{}/x", r.trim_end_matches('/')))?;
    }

    // Python explanation.
    match python_source {
        PythonSource::Image => ex.push(Explanation {
            topic: "python",
            text: if choices.python.is_some() {
                format!("Python {python} — chosen.")
            } else if hinted_python.as_ref() == Some(&python) {
                format!("Python {python} — what the project asks for.")
            } else {
                format!(
                    "Python {python} — the default{}.",
                    release
                        .map(|r| format!(" among those {} {} supports", fw.name, r.version))
                        .unwrap_or_default()
                )
            },
        }),
        PythonSource::Apt => {}
        PythonSource::Conda => ex.push(Explanation {
            topic: "python",
            text: format!(
                "Python {python} — the conda environment provides it{}.",
                if scan.environment_yml.is_some() {
                    " (environment.yml decides)"
                } else {
                    ""
                }
            ),
        }),
    }

    // ---- Framework install line ------------------------------------------------
    let framework_requirement = release.and_then(|r| match build {
        Some(b) => fw
            .cuda_requirement(&r.version, b)
            .map(|req| FrameworkInstall {
                requirement: req,
                index: fw.cuda_index(b),
            }),
        None => fw.cpu_requirement(&r.version).map(|req| FrameworkInstall {
            requirement: req,
            index: fw.cpu_index.clone(),
        }),
    });

    // ---- Manifests and scaffolding -------------------------------------------
    let fresh = scan.has_no_manifest();
    let mut scaffold = vec![];
    let mut manifests = Manifests {
        copy: vec![],
        install: vec![],
        dev: vec![],
        locked: false,
        install_project: false,
        secret: scan.credential_files.clone(),
    };
    let exists = |f: &str| scan.existing.files.iter().any(|e| e == f);
    match pm {
        PackageManager::Pip => {
            let runtime_reqs: Vec<String> = scan
                .requirements
                .iter()
                .filter(|r| !is_dev_requirements(r))
                .cloned()
                .collect();
            if runtime_reqs.is_empty() && scan.pyproject.is_some() {
                manifests.install_project = true;
                warnings.push("no requirements.txt: dependencies install together with the project (`pip install .`), so a code change reinstalls them; add a requirements.txt (or use uv) to cache them in their own layer".into());
            } else if runtime_reqs.is_empty() {
                if !exists("requirements.txt") {
                    scaffold.push(Scaffold {
                        path: "requirements.txt".into(),
                        kind: ScaffoldKind::Manifest,
                    });
                }
                manifests.copy.push("requirements.txt".into());
            } else {
                manifests.copy = runtime_reqs;
            }
            manifests.install = if manifests.copy.iter().any(|r| r == "requirements.txt") {
                vec!["requirements.txt".to_string()]
            } else {
                manifests.copy.clone()
            };
            manifests.dev = scan
                .requirements
                .iter()
                .filter(|r| is_dev_requirements(r))
                .cloned()
                .collect();
        }
        PackageManager::Uv => {
            if scan.pyproject.is_none() {
                scaffold.push(Scaffold {
                    path: "pyproject.toml".into(),
                    kind: ScaffoldKind::Manifest,
                });
            }
            manifests.copy.push("pyproject.toml".into());
            if scan.uv_lock {
                manifests.copy.push("uv.lock".into());
                manifests.locked = true;
            } else {
                warnings.push("no uv.lock: the build resolves dependencies itself; run `uv lock` and commit uv.lock for reproducible builds (`uv sync --frozen`)".into());
            }
        }
        PackageManager::Poetry => {
            if scan.pyproject.is_none() {
                scaffold.push(Scaffold {
                    path: "pyproject.toml".into(),
                    kind: ScaffoldKind::Manifest,
                });
            }
            manifests.copy.push("pyproject.toml".into());
            if scan.poetry_lock {
                manifests.copy.push("poetry.lock".into());
                manifests.locked = true;
            } else {
                warnings.push("no poetry.lock: the build resolves dependencies itself; run `poetry lock` and commit poetry.lock for reproducible builds".into());
            }
        }
        PackageManager::Conda => {
            let path = scan
                .environment_yml
                .clone()
                .unwrap_or_else(|| "environment.yml".into());
            if scan.environment_yml.is_none() {
                scaffold.push(Scaffold {
                    path: path.clone(),
                    kind: ScaffoldKind::Manifest,
                });
            }
            manifests.copy.push(path);
        }
    }
    let scaffolded_manifest = scaffold.iter().any(|s| s.kind == ScaffoldKind::Manifest);

    // The framework install is a separate layer unless the manifests carry
    // exactly the build the plan chose (a plain `torch==2.4.1` from PyPI is
    // not the cu118 build; `tensorflow==2.17.1` lacks the CUDA libraries).
    let pin_exact = |p: &crate::facts::Pin| -> bool {
        let (Some(r), Some(req)) = (release, &framework_requirement) else {
            return true;
        };
        if p.version.as_ref() != Some(&r.version) {
            return false;
        }
        let SplitRequirement { extras, local, .. } = split_requirement(&req.requirement);
        let pin_local = p.local.clone().or_else(|| match build {
            Some(_) => r.pypi.clone(),
            None => None,
        });
        if let Some(l) = local {
            if pin_local.as_deref() != Some(l.as_str()) {
                return false;
            }
        }
        extras.iter().all(|e| p.extras.contains(e))
    };
    let manifests_carry_framework = scaffolded_manifest
        || fw.is_none()
        || match pin {
            Some(p) => {
                let known = p.version.is_none() || pinned_release.is_some();
                // A pin the catalog does not know stays the project's call.
                !known || pin_exact(p)
            }
            None => false,
        };
    let framework_install = if manifests_carry_framework {
        None
    } else {
        framework_requirement.clone()
    };
    if let (Some(p), Some(fi)) = (pin, &framework_install) {
        ex.push(Explanation {
            topic: "framework-version",
            text: format!(
                "{} is installed first ({}), so {} ({}) is already satisfied and the image gets the build this plan chose.",
                fi.requirement,
                fi.index.as_deref().unwrap_or("PyPI"),
                p.spec,
                p.source
            ),
        });
        if pm != PackageManager::Pip {
            warnings.push(format!(
                "{} resolves {} itself, so the image downloads {} twice; pin {} in the project (with its index) to avoid it",
                pm, p.spec, fw.name, fi.requirement
            ));
        }
    }
    if let (Some(e), Some(p)) = (explicit_version, pin) {
        if let Some(pv) = &p.version {
            if !pv.matches_prefix(&e.version) && !e.version.matches_prefix(pv) {
                return Err(PlanError::Unsupported(format!(
                    "{} pins {} but you chose {} {}: change the pin, or leave the version to the project",
                    p.source, p.spec, fw.name, e.version
                )));
            }
        }
    }
    if fresh {
        ex.push(Explanation {
            topic: "scaffold",
            text: "a fresh repository: mlcontain adds a dependency manifest and minimal entry points, never replacing files that exist.".into(),
        });
    }

    // ---- Entry points -----------------------------------------------------------
    let port = choices.port.unwrap_or(DEFAULT_PORT);
    if port == 0 {
        return Err(PlanError::Invalid {
            what: "port",
            value: "0".into(),
            why: "choose a port between 1 and 65535".into(),
        });
    }
    let ep = &scan.entry_points;
    let training_script = match &ep.training {
        Some(t) => t.clone(),
        None => {
            if stages.contains(&Stage::Training) && !exists("train.py") {
                scaffold.push(Scaffold {
                    path: "train.py".into(),
                    kind: ScaffoldKind::Training,
                });
            }
            "train.py".into()
        }
    };
    let training_cmd = vec!["python".to_string(), training_script];
    let inference_cmd = match (&ep.inference, ep.inference_app) {
        (Some(p), Some(WebApp::Fastapi)) => vec![
            "python".into(),
            "-m".into(),
            "uvicorn".into(),
            format!("{}:app", module_of(p)),
            "--host".into(),
            "0.0.0.0".into(),
            "--port".into(),
            port.to_string(),
        ],
        (Some(p), Some(WebApp::Flask)) => vec![
            "python".into(),
            "-m".into(),
            "flask".into(),
            "--app".into(),
            module_of(p),
            "run".into(),
            "--host".into(),
            "0.0.0.0".into(),
            "--port".into(),
            port.to_string(),
        ],
        (Some(p), None) => vec!["python".into(), p.clone()],
        (None, _) => {
            if stages.contains(&Stage::Inference) && !exists("serve.py") {
                scaffold.push(Scaffold {
                    path: "serve.py".into(),
                    kind: ScaffoldKind::Inference,
                });
            }
            vec!["python".into(), "serve.py".into()]
        }
    };

    // ---- GPUs, shm, apt ------------------------------------------------------------
    let gpus = cuda_plan.as_ref().map(|_| {
        choices
            .gpus
            .clone()
            .unwrap_or(GpuSelection::Count(GpuCount::All))
    });
    if let (Some(GpuSelection::Count(GpuCount::N(n))), false) = (&gpus, facts.gpus.is_empty()) {
        if *n as usize > facts.gpus.len() {
            warnings.push(format!(
                "the services reserve {n} GPUs; this host has {}",
                facts.gpus.len()
            ));
        }
    }
    if let Some(GpuSelection::Ids(ids)) = &gpus {
        for id in ids {
            let known = facts.gpus.is_empty()
                || facts
                    .gpus
                    .iter()
                    .any(|g| g.index.to_string() == *id || g.uuid.as_deref() == Some(id.as_str()));
            if !known {
                warnings.push(format!(
                    "GPU `{id}` is not one of this host's GPUs ({})",
                    list(facts.gpus.iter().map(|g| g.index))
                ));
            }
        }
    }
    let shm_size = fw.shm.then(|| "2gb".to_string());
    let mut runtime_apt = fw.runtime_apt.clone();
    runtime_apt.sort();

    let uid = choices.uid.unwrap_or(DEFAULT_UID);
    if uid == 0 {
        return Err(PlanError::Invalid {
            what: "uid",
            value: "0".into(),
            why: "the runtime user must not be root; choose a UID ≥ 1000".into(),
        });
    }

    let mut ignore_dirs = scan.large_dirs.clone();
    ignore_dirs.sort();
    ignore_dirs.dedup();

    for w in &scan.warnings {
        warnings.push(w.clone());
    }
    if facts.gpus.iter().any(|g| g.mig_enabled) {
        warnings.push("MIG is enabled: reserve MIG devices by UUID (`--gpus` with the MIG UUIDs from `nvidia-smi -L`)".into());
    }

    let deploy = deploy::plan_deploy(choices, &mut ex, &mut warnings);

    let saved = SavedConfig {
        framework: fw.id.clone(),
        framework_version: release.map(|r| r.version.clone()),
        cuda: accel.clone(),
        python: python.clone(),
        package_manager: pm,
        stages: stages.clone(),
        base_image: choices.base_image.clone(),
        registry: choices.registry.clone(),
        port: choices.port,
        uid: choices.uid,
        gpus: choices.gpus.clone(),
        deploy: choices.deploy.clone(),
        nodes: choices.nodes,
        syntax: choices.syntax,
        bytecode: choices.bytecode,
        catalog: cat.updated.clone(),
    };

    Ok(Plan {
        framework: fw.id.clone(),
        framework_name: fw.name.clone(),
        framework_import: fw.import.clone(),
        framework_version: release.map(|r| r.version.clone()),
        cuda: cuda_plan,
        python,
        python_source,
        package_manager: pm,
        stages,
        images,
        framework_requirement,
        framework_install,
        manifests,
        training_cmd,
        inference_cmd,
        port,
        uid,
        gpus,
        deploy,
        shm_size,
        runtime_apt,
        scaffold,
        ignore_dirs,
        syntax: choices.syntax.unwrap_or(false),
        bytecode: choices.bytecode.unwrap_or(false),
        uv_version: cat.tools.uv.clone(),
        poetry_version: cat.tools.poetry.clone(),
        explanations: ex,
        warnings,
        saved,
    })
}

/// Framework ids accept common aliases.
pub fn normalise_framework(id: &str) -> String {
    match id.trim().to_ascii_lowercase().as_str() {
        "torch" | "pytorch" => "pytorch".into(),
        "tf" | "tensorflow" => "tensorflow".into(),
        "jax" => "jax".into(),
        "sklearn" | "scikit-learn" | "scikit_learn" => "sklearn".into(),
        "xgboost" => "xgboost".into(),
        "lightgbm" => "lightgbm".into(),
        "none" | "python" | "plain" => "none".into(),
        other => other.into(),
    }
}

fn is_dev_requirements(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    ["dev", "test", "lint", "docs"]
        .iter()
        .any(|k| name.contains(k))
}

/// The parts of a pinned requirement such as `tensorflow[and-cuda]==2.17.1`
/// or `torch==2.5.1+cu124`, as the catalog writes them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SplitRequirement {
    pub name: String,
    pub extras: Vec<String>,
    /// The whole version, local tag included (`2.5.1+cu124`); empty when unpinned.
    pub version: String,
    /// The local version tag (`cu124`).
    pub local: Option<String>,
}

pub(crate) fn split_requirement(req: &str) -> SplitRequirement {
    let (name_part, version) = req.split_once("==").unwrap_or((req, ""));
    let (name, extras) = match name_part.split_once('[') {
        Some((n, e)) => (
            n.to_string(),
            e.trim_end_matches(']')
                .split(',')
                .map(|x| x.trim().to_string())
                .collect(),
        ),
        None => (name_part.to_string(), vec![]),
    };
    let local = version.split_once('+').map(|(_, l)| l.to_string());
    SplitRequirement {
        name,
        extras,
        version: version.to_string(),
        local,
    }
}

/// `src/app.py` -> `src.app`
fn module_of(path: &str) -> String {
    path.trim_end_matches(".py").replace('/', ".")
}

/// Image references are written into FROM lines: allow only reference characters.
pub fn validate_image(image: &str) -> Result<(), PlanError> {
    let ok = !image.is_empty()
        && image.len() <= 255
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
        && !image.starts_with(['-', '/', ':'])
        && !image.ends_with([':', '/']);
    if ok {
        Ok(())
    } else {
        Err(PlanError::Invalid {
            what: "image reference",
            value: image.to_string(),
            why: "use the form [registry/]name[:tag][@digest] (letters, digits, . _ - / : @)"
                .into(),
        })
    }
}
