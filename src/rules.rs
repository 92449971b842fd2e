//! The compatibility rules of issue 12, as sentences: driver branches and
//! their highest CUDA, the per-architecture driver cutoff, CUDA 13's sm_75
//! floor for the whole host, PTX JIT by PTX ISA, and the data-center
//! forward-compatibility exception (refused by default, explained). Pure:
//! reads the catalog and the facts. `compat` asks here.

use crate::catalog::{Build, Catalog, KernelFit};
use crate::facts::{Driver, Facts, Gpu};
use crate::version::Version;

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
