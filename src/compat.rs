//! Compatibility rules: can this host run a framework build or a CUDA
//! image, and if not, why and what would. Pure: it reads [`Facts`] and the
//! [`Catalog`]. The planner, `doctor` and the wizard's option list all ask
//! here, so the answer (and its reason) is the same everywhere.

use crate::catalog::{Build, Catalog, CudaToolkit, Framework, KernelFit, Release};
use crate::facts::{Driver, Facts, Gpu, Pin};
use crate::version::{ComputeCapability, Version};

/// The host's ability to run a (release, build).
#[derive(Debug, Clone, PartialEq)]
pub enum HostFit {
    /// Runs; the notes say what it relies on (minor-version compatibility, PTX JIT).
    Runs(Vec<String>),
    /// Cannot run; one reason per problem.
    No(Vec<String>),
}

impl HostFit {
    pub fn runs(&self) -> bool {
        matches!(self, HostFit::Runs(_))
    }
}

/// Whether a build has kernels (SASS or PTX) for a GPU.
pub fn has_kernels(f: KernelFit) -> bool {
    f.runs()
}

/// The questions asked about one host.
#[derive(Clone, Copy)]
pub struct Compat<'a> {
    pub facts: &'a Facts,
    pub cat: &'a Catalog,
}

impl<'a> Compat<'a> {
    pub fn new(cat: &'a Catalog, facts: &'a Facts) -> Self {
        Compat { facts, cat }
    }
    pub fn gpus(&self) -> &'a [Gpu] {
        &self.facts.gpus
    }
    pub fn has_gpu(&self) -> bool {
        !self.facts.gpus.is_empty()
    }

    /// Whether the driver runs code built for CUDA `cuda` through the
    /// framework's bundled libraries (minor-version compatibility allowed).
    /// `Ok(Some(note))` when it relies on minor-version compatibility.
    pub fn driver_runs_major(&self, cuda: &Version) -> Result<Option<String>, String> {
        crate::compat::driver_runs(self.cat, self.facts, cuda)
    }

    /// Whether the host runs `build` of `fw` `rel`: the driver and every GPU.
    pub fn fit(&self, fw: &Framework, rel: &Release, build: &Build) -> HostFit {
        let mut notes = vec![];
        let mut problems = vec![];
        match self.driver_runs_major(&build.cuda) {
            Ok(Some(n)) => notes.push(n),
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
        // CUDA 13 and GPUs below sm_75: said once for the whole host.
        let floor = crate::compat::major_floor_problem(self.cat, self.facts, &build.cuda);
        let below = |g: &Gpu| {
            g.compute_capability.is_some_and(|cc| {
                self.cat
                    .cuda_major_floor(build.cuda.major())
                    .is_some_and(|f| cc < f)
            })
        };
        let what = format!("{} {}", fw.name, rel.version);
        for g in self.gpus() {
            match crate::compat::gpu_fit(self.cat, self.facts, g, &what, build) {
                Ok(Some(n)) => notes.push(n),
                Ok(None) => {}
                Err(_) if floor.is_some() && below(g) => {}
                Err(e) => problems.push(e),
            }
        }
        if let Some(f) = floor {
            problems.insert(0, f);
        }
        if problems.is_empty() {
            HostFit::Runs(notes)
        } else {
            HostFit::No(problems)
        }
    }

    /// Whether a CUDA option fits `fw` here, and why not: for the wizard's
    /// option list. `release` narrows it to one release (a pin or a choice);
    /// otherwise any release may carry the build. Notes of the newest
    /// release that runs it, or every release's problems.
    pub fn cuda_option(
        &self,
        fw: &Framework,
        release: Option<&Release>,
        cuda: &Version,
    ) -> HostFit {
        let releases: Vec<&Release> = match release {
            Some(r) => vec![r],
            None => fw.releases.iter().rev().collect(),
        };
        let mut problems = vec![];
        for r in releases {
            let Some(b) = r.build_for(cuda) else {
                continue;
            };
            match self.fit(fw, r, b) {
                HostFit::Runs(notes) => return HostFit::Runs(notes),
                HostFit::No(p) => problems.extend(p),
            }
        }
        if problems.is_empty() {
            problems.push(format!("{} has no build for CUDA {cuda}", fw.name));
        }
        problems.dedup();
        HostFit::No(problems)
    }

    /// Why the NVIDIA Container Toolkit or the GPUs refuse an nvidia/cuda
    /// toolkit image on this host (empty: it runs).
    pub fn toolkit_problems(&self, tk: &CudaToolkit) -> Vec<String> {
        let mut out = vec![];
        if let Some(d) = &self.facts.driver {
            let max = crate::compat::driver_cuda(self.cat, d);
            let too_new = max
                .as_ref()
                .map(|m| tk.version.major_minor() > m.major_minor())
                .unwrap_or(d.version < tk.min_driver);
            if too_new {
                let mut msg = format!(
                    "nvidia/cuda:{} images set NVIDIA_REQUIRE_CUDA=cuda>={}, which the NVIDIA Container Toolkit refuses on this host's driver {}{}: choose CUDA ≤ {} or update the driver to ≥ {}",
                    tk.image,
                    tk.version,
                    d.version,
                    max.as_ref().map(|m| format!(" (CUDA {m})")).unwrap_or_default(),
                    max.as_ref().map(|m| m.to_string()).unwrap_or_else(|| "the driver's".into()),
                    tk.min_driver
                );
                if let Some(fc) = crate::compat::forward_compat(self.cat, self.facts, &tk.version) {
                    msg.push_str(&format!(" ({fc})"));
                }
                out.push(msg);
            }
        }
        if let Some(f) = crate::compat::major_floor_problem(self.cat, self.facts, &tk.version) {
            out.push(f);
            return out;
        }
        for g in self.gpus() {
            if let Some(cc) = g.compute_capability {
                if !tk.archs.iter().any(|a| cc.runs_sass(*a)) {
                    out.push(format!(
                        "CUDA {} cannot build for {} (it targets {}); choose an older CUDA",
                        tk.version,
                        g.label(),
                        tk.archs
                            .iter()
                            .map(|a| a.sm())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        out
    }

    /// "RTX 5090 (sm_120) needs PyTorch ≥ 2.7 built for CUDA ≥ 12.8" for each
    /// GPU that `build` (or, with None, any build) cannot run.
    pub fn fix_for(&self, fw: &Framework, build: Option<&Build>) -> Vec<String> {
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
            fixes.push(gpu_fix(fw, g, cc));
        }
        fixes
    }
}

/// Every (release, build) of `fw` with SASS for `cc`, oldest first.
fn sass_builds(fw: &Framework, cc: ComputeCapability) -> Vec<(&Release, &Build)> {
    fw.releases
        .iter()
        .flat_map(|r| r.builds.iter().map(move |b| (r, b)))
        .filter(|(_, b)| matches!(b.fit(cc), KernelFit::Sass(_)))
        .collect()
}

/// What a GPU with `cc` needs of `fw`, in one sentence.
fn gpu_fix(fw: &Framework, g: &Gpu, cc: ComputeCapability) -> String {
    let fitting = sass_builds(fw, cc);
    let Some(((first_rel, _), (newest_rel, newest_build))) = fitting.first().zip(
        fitting
            .iter()
            .max_by(|a, b| a.0.version.cmp(&b.0.version).then(a.1.cuda.cmp(&b.1.cuda))),
    ) else {
        return format!(
            "{} has no kernels in any {} build the catalog knows; use the CPU build",
            g.label(),
            fw.name
        );
    };
    let min_cuda = fitting
        .iter()
        .filter(|(r, _)| r.version == first_rel.version)
        .map(|(_, b)| &b.cuda)
        .min()
        .unwrap_or(&newest_build.cuda);
    // Upward closed: every newer release/CUDA fits too.
    let closed = fw
        .releases
        .iter()
        .flat_map(|r| r.builds.iter().map(move |b| (r, b)))
        .filter(|(r, b)| r.version >= first_rel.version && &b.cuda >= min_cuda)
        .all(|(_, b)| matches!(b.fit(cc), KernelFit::Sass(_)));
    if closed {
        return format!(
            "{} needs {} ≥ {} built for CUDA ≥ {}",
            g.label(),
            fw.name,
            first_rel.version.major_minor(),
            min_cuda
        );
    }
    let dropped = fw
        .releases
        .iter()
        .flat_map(|r| r.builds.iter())
        .filter(|b| b.cuda > newest_build.cuda && !matches!(b.fit(cc), KernelFit::Sass(_)))
        .map(|b| b.cuda.clone())
        .min();
    format!(
        "{}{}; the newest build that carries {} is {} {} ({}, CUDA {})",
        g.label(),
        dropped
            .map(|d| format!(" has no kernels in {} builds for CUDA ≥ {d}", fw.name))
            .unwrap_or_default(),
        cc.sm(),
        fw.name,
        newest_rel.version,
        newest_build.tag,
        newest_build.cuda
    )
}

/// Compute capabilities of the GPUs, deduplicated, in GPU order.
pub fn gpu_ccs(f: &Facts) -> Vec<ComputeCapability> {
    let mut ccs = Vec::new();
    for g in &f.gpus {
        if let Some(cc) = g.compute_capability {
            if !ccs.contains(&cc) {
                ccs.push(cc);
            }
        }
    }
    ccs
}

/// The newest release with a build that has SASS (else PTX) for `cc`.
pub fn newest_fitting(fw: &Framework, cc: ComputeCapability) -> Option<(&Release, Version)> {
    let sass = fw.releases.iter().rev().find_map(|r| {
        r.builds
            .iter()
            .rev()
            .find(|b| matches!(b.fit(cc), KernelFit::Sass(_)))
            .map(|b| (r, b.cuda.clone()))
    });
    sass.or_else(|| {
        fw.releases.iter().rev().find_map(|r| {
            r.builds
                .iter()
                .rev()
                .find(|b| has_kernels(b.fit(cc)))
                .map(|b| (r, b.cuda.clone()))
        })
    })
}

/// The oldest release newer than `after` with a build that runs on `cc`.
pub fn oldest_fitting_after<'a>(
    fw: &'a Framework,
    after: &Version,
    cc: ComputeCapability,
) -> Option<(&'a Release, Version)> {
    fw.releases
        .iter()
        .filter(|r| &r.version > after)
        .find_map(|r| {
            r.builds
                .iter()
                .find(|b| has_kernels(b.fit(cc)))
                .map(|b| (r, b.cuda.clone()))
        })
}

/// The CUDA majors (with their driver floor) the driver is too old for, lowest first.
pub fn majors_too_old<'c>(cat: &'c Catalog, driver: &Driver) -> Vec<(u64, &'c Version)> {
    let mut too_old: Vec<(u64, &Version)> = cat
        .cuda_majors
        .iter()
        .filter(|m| driver.version < m.min_driver)
        .map(|m| (m.major, &m.min_driver))
        .collect();
    too_old.sort_by_key(|(m, _)| *m);
    too_old
}

/// The builds of `release` a pin can mean: the one its local tag (`cu124`)
/// or extra (`cuda12`, `and-cuda`) names, else all of them.
pub fn pinned_builds<'r>(release: &'r Release, pin: &Pin) -> Vec<&'r Build> {
    let named: Vec<_> = release
        .builds
        .iter()
        .filter(|b| pin.local.as_deref() == Some(b.tag.as_str()) || pin.extras.contains(&b.tag))
        .collect();
    if named.is_empty() {
        release.builds.iter().collect()
    } else {
        named
    }
}

// ---------------------------------------------------------------------------
// The rules as sentences: driver branches and their highest CUDA, the
// per-architecture driver cutoff, CUDA 13's sm_75 floor for the whole host,
// PTX JIT by PTX ISA (and by the driver's CUDA), and the data-center
// forward-compatibility exception (refused by default, explained).

/// The highest CUDA the driver supports: NVML's answer, else its branch's.
pub fn driver_cuda(cat: &Catalog, d: &Driver) -> Option<Version> {
    d.cuda_max
        .clone()
        .or_else(|| cat.branch_cuda(&d.version).map(|b| b.cuda.clone()))
}

/// `570.172.08 (R570, CUDA ≤ 12.8)`
pub fn driver_label(cat: &Catalog, d: &Driver) -> String {
    match driver_cuda(cat, d) {
        Some(c) => format!("{} (R{}, CUDA ≤ {c})", d.version, d.version.major()),
        None => d.version.to_string(),
    }
}

/// GPUs whose generation gets no driver branch that supports `cuda`, with
/// the sentence saying so ("R580 is the last driver branch for Maxwell,
/// Pascal and Volta").
fn cutoff_sentence(cat: &Catalog, facts: &Facts, cuda: &Version) -> Option<String> {
    let need = cat.branch_for_cuda(cuda)?.branch;
    facts.gpus.iter().find_map(|g| {
        let cc = g.compute_capability?;
        let c = cat.driver_cutoff(cc)?;
        (c.last_branch < need).then(|| {
            format!(
                "R{} is the last driver branch for {} ({}), so no driver update brings CUDA {cuda} to this host",
                c.last_branch,
                c.name,
                g.label()
            )
        })
    })
}

/// The forward-compatibility sentence for running CUDA `cuda` on an older
/// driver branch: when it would apply (every GPU a data-center model) and
/// that mlcontain does not set it up; or why it does not apply.
pub fn forward_compat(cat: &Catalog, facts: &Facts, cuda: &Version) -> Option<String> {
    let fc = cat.forward_compat.as_ref()?;
    let package = fc
        .package
        .replace("{major}", &cuda.major().to_string())
        .replace("{minor}", &cuda.minor().to_string());
    let not_dc: Vec<String> = facts
        .gpus
        .iter()
        .filter(|g| !cat.is_data_center(&g.name))
        .map(|g| {
            g.name
                .strip_prefix("NVIDIA ")
                .unwrap_or(&g.name)
                .to_string()
        })
        .collect();
    if facts.gpus.is_empty() {
        return None;
    }
    Some(if not_dc.is_empty() {
        format!(
            "NVIDIA's forward compatibility ({package} in the image, for data-center GPUs on a supported driver branch) would run it here; mlcontain does not set that up by default — update the driver, or add {package} yourself and pass --allow-incompatible"
        )
    } else {
        format!(
            "forward compatibility ({package}) is for data-center GPUs only, not for {}",
            not_dc.join(", ")
        )
    })
}

/// Whether the driver runs code built for CUDA `cuda` through the
/// framework's bundled libraries (minor-version compatibility allowed).
/// `Ok(Some(note))` when it relies on minor-version compatibility.
pub fn driver_runs(cat: &Catalog, facts: &Facts, cuda: &Version) -> Result<Option<String>, String> {
    let Some(driver) = &facts.driver else {
        return Ok(None);
    };
    let major = cuda.major();
    let floor = cat.major_min_driver(major);
    let max = driver_cuda(cat, driver);
    // The driver's own CUDA version is authoritative (Jetson drivers number
    // differently: Thor's R580 reports 580.00 and CUDA 13.0); the version
    // floor applies when NVML does not say.
    let too_old = match &driver.cuda_max {
        Some(m) => m.major() < major,
        None => {
            floor.is_some_and(|f| driver.version < *f)
                || max.as_ref().is_some_and(|m| m.major() < major)
        }
    };
    if too_old {
        let mut msg = format!(
            "CUDA {cuda} needs driver ≥ {}; this host has {}",
            floor
                .map(|f| f.to_string())
                .unwrap_or_else(|| "a newer one".into()),
            driver_label(cat, driver)
        );
        // With GPUs below the major's floor, that is the reason (said apart).
        if major_floor_problem(cat, facts, cuda).is_some() {
            return Err(msg);
        }
        if let Some(b) = cat.branch_for_cuda(cuda) {
            msg.push_str(&format!(
                " (R{} drivers run CUDA {} natively)",
                b.branch, b.cuda
            ));
        }
        if let Some(c) = cutoff_sentence(cat, facts, cuda) {
            msg.push_str(&format!("; {c}"));
        } else if let Some(fc) = forward_compat(cat, facts, cuda) {
            msg.push_str(&format!(" ({fc})"));
        }
        return Err(msg);
    }
    if let Some(max) = &max {
        if cuda.major_minor() > max.major_minor() {
            return Ok(Some(format!(
                "CUDA {cuda} is newer than the driver's CUDA {max}: it runs through CUDA minor-version compatibility (same major {major}, driver ≥ {})",
                floor.map(|f| f.to_string()).unwrap_or_default()
            )));
        }
    }
    Ok(None)
}

/// CUDA majors that refuse a host with an old GPU (13: below sm_75): one
/// image serves every GPU of the host, so one old GPU rules the major out.
pub fn major_floor_problem(cat: &Catalog, facts: &Facts, cuda: &Version) -> Option<String> {
    let floor = cat.cuda_major_floor(cuda.major())?;
    let old: Vec<&Gpu> = facts
        .gpus
        .iter()
        .filter(|g| g.compute_capability.is_some_and(|cc| cc < floor))
        .collect();
    if old.is_empty() {
        return None;
    }
    let mut msg = format!(
        "CUDA {} supports no GPU below {}: {} on this host rules out every CUDA {}.x build and image",
        cuda.major(),
        floor.sm(),
        old.iter().map(|g| g.label()).collect::<Vec<_>>().join(", "),
        cuda.major()
    );
    if let Some(c) = old
        .iter()
        .find_map(|g| cat.driver_cutoff(g.compute_capability?))
    {
        msg.push_str(&format!(
            " (and R{} is the last driver branch for {})",
            c.last_branch, c.name
        ));
    }
    Some(msg)
}

/// How one GPU runs a build, as a note (runs) or a problem (does not):
/// SASS, PTX JIT within its ISA and the driver's CUDA, or a documented floor.
pub fn gpu_fit(
    cat: &Catalog,
    facts: &Facts,
    g: &Gpu,
    what: &str,
    build: &Build,
) -> Result<Option<String>, String> {
    let Some(cc) = g.compute_capability else {
        return Ok(None);
    };
    match cat.fit(build, cc) {
        KernelFit::Sass(_) => Ok(None),
        KernelFit::Ptx(p) => {
            // PTX from CUDA X JIT-compiles only on a driver for CUDA >= X.
            if let Some(max) = facts.driver.as_ref().and_then(|d| driver_cuda(cat, d)) {
                if max.major_minor() < build.cuda.major_minor() {
                    return Err(format!(
                        "{} has no {} SASS in {what} ({}), and its PTX (compute_{}{}, from CUDA {}) JIT-compiles only on a driver for CUDA ≥ {} (minor-version compatibility does not cover PTX); this driver supports CUDA {max}",
                        g.label(),
                        cc.sm(),
                        build.tag,
                        p.major,
                        p.minor,
                        build.cuda,
                        build.cuda.major_minor()
                    ));
                }
            }
            Ok(Some(format!(
                "{} has no {} SASS in {what} ({}); it JIT-compiles PTX for compute_{}{} at first start",
                g.label(),
                cc.sm(),
                build.tag,
                p.major,
                p.minor
            )))
        }
        KernelFit::Floor(f) => Ok(Some(format!(
            "{what} ({}) publishes no kernel list; {} is at or above its documented floor {} (not confirmed for this GPU)",
            build.tag,
            g.label(),
            f.sm()
        ))),
        KernelFit::PtxIsa { ptx, isa, need } => Err(format!(
            "{} has no {} SASS in {what} ({}), and its PTX (compute_{}{}, PTX ISA {isa} from CUDA {}) cannot be JIT-compiled for {}, which needs PTX ISA ≥ {need}",
            g.label(),
            cc.sm(),
            build.tag,
            ptx.major,
            ptx.minor,
            build.cuda,
            cc.sm()
        )),
        KernelFit::None => Err(format!(
            "{} has no kernels in {what} built for CUDA {} ({}: {})",
            g.label(),
            build.cuda,
            build.tag,
            build.sass_list()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{majors_too_old, Compat, HostFit};
    use crate::catalog::Catalog;
    use crate::scenarios;

    #[test]
    fn an_option_fits_or_says_why_not() {
        let cat = Catalog::embedded();
        let torch = cat.framework("pytorch").unwrap();
        let gtx = scenarios::gtx1080_470();
        let c = Compat::new(cat, &gtx);
        assert!(c.cuda_option(torch, None, &"11.8".parse().unwrap()).runs());
        match c.cuda_option(torch, None, &"12.8".parse().unwrap()) {
            HostFit::No(why) => {
                assert!(why.iter().any(|w| w.contains("needs driver ≥")), "{why:?}")
            }
            HostFit::Runs(n) => panic!("CUDA 12.8 on driver 470 runs? {n:?}"),
        }
        assert!(!majors_too_old(cat, gtx.driver.as_ref().unwrap()).is_empty());
    }

    #[test]
    fn toolkit_images_the_driver_refuses() {
        let cat = Catalog::embedded();
        let newest = cat.cuda.last().unwrap();
        let gtx = scenarios::gtx1080_470();
        let problems = Compat::new(cat, &gtx).toolkit_problems(newest);
        assert!(
            problems.iter().any(|p| p.contains("NVIDIA_REQUIRE_CUDA")),
            "{problems:?}"
        );
        let none = scenarios::no_gpu();
        assert!(Compat::new(cat, &none).toolkit_problems(newest).is_empty());
    }
}
