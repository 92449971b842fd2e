//! Phase: CPU or which CUDA, and with it the framework release and build.
//! Chosen (`--cuda`), pinned (`torch==2.5.1+cu124`, `jax[cuda12]`), or the
//! newest build the host's GPUs and driver run (see [`crate::compat`]).

use super::origin::{Decision, Origin};
use super::planner::{list, Planner};
use super::resolution::{pinned_accel, Resolution};
use super::types::PlanError;
use crate::catalog::{Build, Framework, Release};
use crate::choices::Accel;
use crate::compat::HostFit;
use crate::facts::{CondaCuda, PackageManager, Pin};
use crate::version::Version;

/// The accelerator and the (release, build) that go with it.
#[derive(Clone, Debug)]
pub struct Selection<'a> {
    pub release: Option<&'a Release>,
    /// The CUDA build of the release (None for CPU and system CUDA).
    pub build: Option<&'a Build>,
    pub accel: Decision<Accel>,
    /// The release the user chose (`--framework-version`).
    pub explicit: Option<&'a Release>,
    /// The catalog release the project's pin names.
    pub pinned_release: Option<&'a Release>,
    /// The accelerator the project's pin names (local tag, extra, `-cpu` package).
    pub pinned_accel: Option<Accel>,
    /// Where the release came from (None without a framework).
    pub version_origin: Option<Origin>,
    /// The version the project pins or locks exactly: what installs.
    pub pinned_version: Option<Version>,
    /// Pinned, but a release the catalog does not know: nothing about its
    /// builds is checked, and no other release is chosen in its place.
    pub unknown_pin: bool,
    /// conda: the environment's cudatoolkit / pytorch-cuda.
    pub conda_cuda: Option<CondaCuda>,
}

/// A pin with a build tag (`+cu124`, `+cpu`, or a lock's build) and the
/// other accelerator chosen: refused with the fix, never a silent swap.
fn refuse_other_build(
    fw: &Framework,
    p: &Pin,
    chosen: &Accel,
    pinned: &Accel,
    from_lock: bool,
) -> Result<(), PlanError> {
    let same = match (chosen, pinned) {
        (Accel::Cpu, Accel::Cpu) => true,
        (Accel::Cuda(a), Accel::Cuda(b)) => a.major_minor() == b.major_minor(),
        _ => false,
    };
    if same {
        return Ok(());
    }
    let what = |a: &Accel| match a {
        Accel::Cpu => "the CPU build".to_string(),
        Accel::Cuda(v) => format!("the CUDA {v} build"),
    };
    let fix = match (chosen, from_lock) {
        (Accel::Cpu, true) => format!(
            "give the project a `cpu` extra whose {} comes from the CPU index (uv: [tool.uv.sources] with an explicit index https://download.pytorch.org/whl/cpu) and re-lock",
            p.package
        ),
        (Accel::Cpu, false) => match &fw.cpu_requirement {
            Some(_) => format!(
                "change it to {}{}",
                fw.cpu_requirement(
                    &p.version
                        .as_ref()
                        .and_then(|v| v.release())
                        .unwrap_or_else(|| Version::new(&[0])),
                )
                    .unwrap_or_default(),
                fw.cpu_index
                    .as_ref()
                    .map(|i| format!(" (index {i})"))
                    .unwrap_or_default()
            ),
            None => "change the pin to the CPU build".into(),
        },
        (Accel::Cuda(_), _) => "change the pin to that build".into(),
    };
    let keep = match pinned {
        Accel::Cpu => "--cuda cpu".to_string(),
        Accel::Cuda(v) => format!("--cuda {v}"),
    };
    Err(PlanError::Unsupported(format!(
        "{} pins {} ({}), but you chose {}: mlcontain installs no other build over the project's pin. Keep the pin with {keep}, or {fix}",
        p.source,
        p.spec,
        what(pinned),
        what(chosen)
    )))
}

/// The final release a framework pin names. A pre-, post- or dev release
/// (`torch==2.6.0rc1`, `torch==2.5.1.post1`) is refused with the reason:
/// the catalog does not describe its builds, and no other release
/// satisfies the pin.
fn pin_release(fw: &Framework, pin: Option<&Pin>) -> Result<Option<Version>, PlanError> {
    let Some((p, v)) = pin.and_then(|p| p.version.as_ref().map(|v| (p, v))) else {
        return Ok(None);
    };
    if fw.is_none() {
        return Ok(None);
    }
    match v.release() {
        Some(r) => Ok(Some(r)),
        None => {
            let kind = v.kind().unwrap_or("release");
            let nearest = fw
                .release(&v.numbers())
                .map(|r| format!(" ({} {} is the nearest it lists)", fw.name, r.version))
                .unwrap_or_default();
            Err(PlanError::Unsupported(format!(
                "{} pins {}: {} {v} is a {kind} the catalog does not describe, so mlcontain cannot tell which CUDA builds and GPUs it supports, and no other release satisfies the pin. Pin a release the catalog lists{nearest}, then run mlcontain again",
                p.source, p.spec, fw.name
            )))
        }
    }
}

impl<'a> Planner<'a> {
    pub fn accelerator(
        &mut self,
        fw: &'a Framework,
        pin: Option<&Pin>,
        res: &Resolution,
        pm: PackageManager,
    ) -> Result<Selection<'a>, PlanError> {
        let pinned_accel = pin.and_then(|p| pinned_accel(fw, p));
        if let (Some(Accel::Cuda(v)), false) = (&self.choices.cuda, fw.is_none()) {
            if fw.releases.iter().all(|r| r.builds.is_empty()) {
                let elsewhere = self.cat.cuda_platforms(&fw.id);
                return Err(PlanError::Unsupported(if elsewhere.is_empty() {
                    format!(
                        "{} has no CUDA builds; use --cuda cpu, or --framework none for a CUDA base image (CUDA {v})",
                        fw.name
                    )
                } else {
                    let there = crate::platform::join(&elsewhere);
                    format!(
                        "{} has no CUDA build for {} (CUDA {v} asked; its CUDA builds are for {there}); use --cuda cpu, or --platform {there}",
                        fw.name,
                        crate::platform::join(&self.cat.resolved_for),
                    )
                }));
            }
        }
        let explicit = self.explicit_release(fw)?;
        let pin_release = pin_release(fw, pin)?;
        let pinned_release = self.pinned_release(fw, pin_release.as_ref());
        let pinned_version = match explicit {
            Some(_) => None,
            None => pin_release.filter(|_| !fw.is_none()),
        };
        let unknown_pin = pinned_version.is_some() && pinned_release.is_none();
        if let (true, Some(p)) = (unknown_pin, pin) {
            self.warnings.push(format!(
                "{} pins {}, a {} release the catalog ({}) does not know: the image installs it as pinned, but its CUDA builds and GPU kernels are not checked",
                p.source, p.spec, fw.name, self.cat.updated
            ));
        }
        // A lock holding PyPI's plain `torch==X` holds that release's default
        // CUDA build: the lock decides the accelerator too.
        let pinned_accel = pinned_accel.or_else(|| {
            let p = pin.filter(|_| res.from_lock)?;
            if p.local.is_some() {
                return None;
            }
            let r =
                pinned_release.filter(|r| p.version.as_ref().is_some_and(|v| v.is(&r.version)))?;
            let tag = r.pypi.as_ref()?;
            r.builds
                .iter()
                .find(|b| &b.tag == tag)
                .map(|b| Accel::Cuda(b.cuda.clone()))
        });
        let conda_cuda = self
            .scan()
            .conda_cuda
            .clone()
            .filter(|_| pm == PackageManager::Conda && !fw.is_none());
        // `--cuda 12`: the newest 12.x that runs here.
        let cuda_answer = self.cuda_answer(fw, explicit.or(pinned_release));
        if let (Some(chosen), Some(pinned), Some(p)) = (&cuda_answer, &pinned_accel, pin) {
            refuse_other_build(fw, p, chosen, pinned, res.from_lock)?;
        }
        let request = match (&cuda_answer, &pinned_accel, pin, &conda_cuda) {
            (Some(a), _, _, _) => Some(Decision::new(a.clone(), Origin::Chosen)),
            (None, Some(a), Some(p), _) => Some(Decision::new(
                a.clone(),
                Origin::Pinned {
                    location: p.source.clone(),
                },
            )),
            (None, None, _, Some(c)) => Some(Decision::new(
                Accel::Cuda(c.version.clone()),
                Origin::Pinned {
                    location: c.source.clone(),
                },
            )),
            _ => None,
        };
        let mut sel = Selection {
            release: explicit.or(pinned_release),
            build: None,
            accel: Decision::new(Accel::Cpu, Origin::Default),
            explicit,
            pinned_release,
            pinned_accel,
            version_origin: None,
            pinned_version,
            unknown_pin,
            conda_cuda,
        };
        match request {
            Some(d) if d.value == Accel::Cpu => {
                let detail = match d.origin {
                    Origin::Chosen => "",
                    _ => "the project pins the CPU build",
                };
                self.explain("cuda", "CPU", &d.origin, detail);
                sel.accel = d;
            }
            Some(d) => {
                if let (Accel::Cuda(v), false) = (&d.value, fw.is_none()) {
                    if sel.conda_cuda.is_some() || (sel.unknown_pin && sel.release.is_none()) {
                        self.cuda_unchecked(fw, pin, v, &d.origin, &sel)?;
                    } else {
                        self.cuda_requested(fw, pin, v, &d.origin, &mut sel)?;
                    }
                }
                sel.accel = d;
            }
            None => self.newest_runnable(fw, &mut sel)?,
        }
        self.cpu_release(fw, &mut sel)?;
        sel.version_origin = self.explain_release(fw, pin, &sel);
        self.host_check(fw, pin, &sel)?;
        Ok(sel)
    }

    /// `--framework-version`, which the catalog must know.
    fn explicit_release(&self, fw: &'a Framework) -> Result<Option<&'a Release>, PlanError> {
        match (&self.choices.framework_version, fw.is_none()) {
            (Some(v), false) => {
                fw.release(v)
                    .map(Some)
                    .ok_or_else(|| PlanError::UnknownFrameworkVersion {
                        framework: fw.name.clone(),
                        version: v.to_string(),
                        valid: list(fw.releases.iter().map(|r| &r.version)),
                    })
            }
            _ => Ok(None),
        }
    }

    /// The catalog release a pinned release names (exactly, else its major.minor).
    fn pinned_release(&self, fw: &'a Framework, v: Option<&Version>) -> Option<&'a Release> {
        v.and_then(|v| {
            fw.releases
                .iter()
                .find(|r| &r.version == v)
                .or_else(|| fw.release(&v.major_minor()))
        })
    }

    /// CUDA that the conda environment or an unknown pinned release brings:
    /// only the driver is checked.
    fn cuda_unchecked(
        &mut self,
        fw: &Framework,
        pin: Option<&Pin>,
        v: &Version,
        origin: &Origin,
        sel: &Selection,
    ) -> Result<(), PlanError> {
        if let Err(e) = self.compat.driver_runs_major(v) {
            self.refuse(e)?;
        }
        let text = match &sel.conda_cuda {
            Some(c) => format!(
                "CUDA {v} — the conda environment installs {}={} ({}); the driver is checked, the GPU kernels are not.",
                c.package, c.version, c.source
            ),
            None => format!(
                "CUDA {v} — {}; the catalog does not know {} {}, so only the driver is checked.",
                match origin {
                    Origin::Chosen => "chosen".to_string(),
                    _ => format!("the project pins {}", pin.map(|p| p.spec.as_str()).unwrap_or("")),
                },
                fw.name,
                sel.pinned_version
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            ),
        };
        self.note("cuda", text);
        Ok(())
    }

    /// A CUDA version chosen or pinned: a release with a build for it
    /// (one the host runs, when the release is not fixed).
    fn cuda_requested(
        &mut self,
        fw: &'a Framework,
        pin: Option<&Pin>,
        v: &Version,
        origin: &Origin,
        sel: &mut Selection<'a>,
    ) -> Result<(), PlanError> {
        let (r, b) = self.release_with_build(fw, sel.release, v)?;
        sel.release = Some(r);
        sel.build = Some(b);
        match origin {
            Origin::Chosen => {
                let gpus = if self.compat.has_gpu() {
                    format!(
                        " for {}",
                        list(self.compat.gpus().iter().map(|g| g.label()))
                    )
                } else {
                    " (no GPU here to check it against)".to_string()
                };
                self.explain("cuda", format!("CUDA {v} ({})", b.tag), origin, &gpus);
            }
            _ => {
                let spec = pin.map(|p| p.spec.as_str()).unwrap_or("");
                self.explain(
                    "cuda",
                    format!("CUDA {v}"),
                    origin,
                    &format!("the project pins {spec}"),
                );
            }
        }
        Ok(())
    }

    fn release_with_build(
        &self,
        fw: &'a Framework,
        release: Option<&'a Release>,
        v: &Version,
    ) -> Result<(&'a Release, &'a Build), PlanError> {
        let candidates: Vec<&'a Release> = match release {
            Some(r) => vec![r],
            None => fw.releases.iter().rev().collect(),
        };
        let mut found: Option<(&Release, &Build)> = None;
        for r in candidates {
            let Some(b) = r.build_for(v) else { continue };
            if self.python_for(r).is_none() {
                continue;
            }
            // Prefer a release the host runs.
            let runs = self.compat.fit(fw, r, b).runs();
            if found.is_none() || (runs && release.is_none()) {
                found = Some((r, b));
                if runs {
                    break;
                }
            }
        }
        found.ok_or_else(|| {
            let valid: Vec<String> = match release {
                Some(r) => r.builds.iter().map(|b| b.cuda.to_string()).collect(),
                None => {
                    let mut all: Vec<&Version> = fw
                        .releases
                        .iter()
                        .flat_map(|r| r.builds.iter().map(|b| &b.cuda))
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
            PlanError::Unsupported(format!(
                "{whose} has no build for CUDA {v} (valid: cpu, {})",
                valid.join(", ")
            ))
        })
    }

    /// Nothing asked: the newest build the host runs, else CPU with the reason.
    fn newest_runnable(
        &mut self,
        fw: &'a Framework,
        sel: &mut Selection<'a>,
    ) -> Result<(), PlanError> {
        let c = self.compat;
        if !c.has_gpu() || fw.is_none() || !fw.supports_cuda() || sel.unknown_pin {
            let detail = if sel.unknown_pin && c.has_gpu() {
                format!(
                    "the catalog does not know the pinned {} {}, so mlcontain cannot tell which CUDA build runs here; choose one with --cuda (only the driver is checked)",
                    fw.name,
                    sel.pinned_version
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                )
            } else if fw.is_none() && c.has_gpu() {
                "plain Python needs no CUDA; pick a CUDA version to get an nvidia/cuda base image"
                    .to_string()
            } else if !fw.supports_cuda() {
                match self.cat.cuda_platforms(&fw.id) {
                    elsewhere if !elsewhere.is_empty() => format!(
                        "{} has no CUDA build for {} (its wheels there are CPU-only; CUDA builds exist for {})",
                        fw.name,
                        crate::platform::join(&self.cat.resolved_for),
                        crate::platform::join(&elsewhere)
                    ),
                    _ => format!("{} runs on the CPU", fw.name),
                }
            } else {
                let why = self
                    .facts
                    .nvml
                    .error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                format!(
                    "no NVIDIA GPU detected{why}; CUDA stays selectable for deploying elsewhere"
                )
            };
            self.explain("cuda", "CPU", &Origin::Default, &detail);
            return Ok(());
        }
        // Newest release (or the pinned/explicit one) with a build the host runs.
        let candidates: Vec<&'a Release> = match sel.release {
            Some(r) => vec![r],
            None => fw.releases.iter().rev().collect(),
        };
        let chosen = candidates
            .into_iter()
            .filter(|r| self.python_for(r).is_some())
            .find_map(|r| self.best_build(fw, r).map(|(b, notes)| (r, b, notes)));
        let Some((r, b, notes)) = chosen else {
            if fw
                .releases
                .iter()
                .all(|r| r.builds.iter().all(|b| !b.confirmed))
            {
                // Only unconfirmed CUDA builds (XGBoost): CPU by default.
                let mut cudas: Vec<String> = fw
                    .releases
                    .iter()
                    .flat_map(|r| r.builds.iter().map(|b| b.cuda.to_string()))
                    .collect();
                cudas.dedup();
                let detail = format!(
                    "{}'s CUDA builds (--cuda {}) are offered when asked for, not by default: their kernel lists are not confirmed in the catalog",
                    fw.name,
                    cudas.join(" or --cuda ")
                );
                self.explain("cuda", "CPU", &Origin::Default, &detail);
                return Ok(());
            }
            return self.nothing_runs(fw, sel);
        };
        sel.release = Some(r);
        sel.build = Some(b);
        sel.accel = Decision::new(Accel::Cuda(b.cuda.clone()), Origin::Default);
        let gpus = list(c.gpus().iter().map(|g| g.label()));
        let driver = self
            .facts
            .driver
            .as_ref()
            .map(|d| {
                let cuda = crate::compat::driver_cuda(self.cat, d).map(|m| format!(" (CUDA {m})"));
                format!(" on driver {}{}", d.version, cuda.unwrap_or_default())
            })
            .unwrap_or_default();
        self.explain(
            "cuda",
            format!("CUDA {} ({})", b.cuda, b.tag),
            &Origin::Default,
            &format!(
                "the newest {} build with kernels for {gpus}{driver}",
                fw.name
            ),
        );
        for n in notes {
            self.note("cuda", n);
        }
        Ok(())
    }

    /// The build of `r` the host runs best: one needing no compatibility
    /// layer (newest first), then the closest newer minor.
    fn best_build(&self, fw: &Framework, r: &'a Release) -> Option<(&'a Build, Vec<String>)> {
        let mut fits: Vec<(&Build, Vec<String>)> = r
            .builds
            .iter()
            // Unconfirmed builds are offered when asked for, never by default.
            .filter(|b| b.confirmed)
            .filter_map(|b| match self.compat.fit(fw, r, b) {
                HostFit::Runs(n) => Some((b, n)),
                HostFit::No(_) => None,
            })
            .collect();
        let cuda_max = self
            .facts
            .driver
            .as_ref()
            .and_then(|d| crate::compat::driver_cuda(self.cat, d));
        let within_driver = |b: &Build| {
            cuda_max
                .as_ref()
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
        fits.into_iter().next()
    }

    /// No build runs on this host's GPUs: refuse a chosen release, else CPU and say why.
    fn nothing_runs(
        &mut self,
        fw: &'a Framework,
        sel: &mut Selection<'a>,
    ) -> Result<(), PlanError> {
        let fixes = self.compat.fix_for(fw, None);
        let mut why = vec![];
        if let Some(r) = sel.release.or(fw.newest()) {
            for b in &r.builds {
                if let HostFit::No(p) = self.compat.fit(fw, r, b) {
                    why.extend(p);
                }
            }
        }
        why.dedup();
        if let Some(r) = sel.explicit {
            let mut msg = format!(
                "no build of {} {} runs on this host's GPUs",
                fw.name, r.version
            );
            if !fixes.is_empty() {
                msg.push_str(&format!(": {}", fixes.join("; ")));
            }
            msg.push_str(" (or choose --cuda cpu)");
            self.refuse(msg)?;
        }
        let fixes = if fixes.is_empty() {
            String::new()
        } else {
            format!("; {}", fixes.join("; "))
        };
        let detail = format!(
            "no {} build runs on this host: {}{fixes}",
            fw.name,
            why.first().cloned().unwrap_or_default()
        );
        self.explain("cuda", "CPU", &Origin::Default, &detail);
        Ok(())
    }

    /// CPU (or no release yet): the newest release with the Python.
    fn cpu_release(&self, fw: &'a Framework, sel: &mut Selection<'a>) -> Result<(), PlanError> {
        if fw.is_none() || sel.release.is_some() || sel.unknown_pin {
            return Ok(());
        }
        sel.release = fw
            .releases
            .iter()
            .rev()
            .find(|r| self.python_for(r).is_some());
        if sel.release.is_some() {
            return Ok(());
        }
        Err(PlanError::Unsupported(format!(
            "no {} release supports Python {} (supported: {})",
            fw.name,
            self.choices
                .python
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            list(
                fw.releases
                    .iter()
                    .map(|r| format!("{} on {}", r.version, list(&r.python)))
            )
        )))
    }

    /// Explains the release: chosen, pinned, or the catalog's newest fit.
    fn explain_release(
        &mut self,
        fw: &Framework,
        pin: Option<&Pin>,
        sel: &Selection,
    ) -> Option<Origin> {
        let locked =
            pin.is_some_and(|p| p.source.file == "uv.lock" || p.source.file == "poetry.lock");
        let how = if locked { "locked" } else { "pinned" };
        let Some(r) = sel.release else {
            let (Some(v), Some(p)) = (&sel.pinned_version, pin) else {
                return None;
            };
            let origin = Origin::Pinned {
                location: p.source.clone(),
            };
            self.explain(
                "framework-version",
                format!("{} {v}", fw.name),
                &origin,
                &format!("{how} by the project; the catalog does not know this release"),
            );
            return Some(origin);
        };
        let shown = sel.pinned_version.as_ref().unwrap_or(&r.version);
        let subject = format!("{} {shown}", fw.name);
        let (origin, detail) = match (sel.explicit, sel.pinned_release, pin) {
            (Some(_), _, _) => (Origin::Chosen, String::new()),
            (None, Some(_), Some(p)) => (
                Origin::Pinned {
                    location: p.source.clone(),
                },
                if shown.as_str() != r.version.as_str() {
                    format!(
                        "{how} by the project; builds and kernels checked against the catalog's {}",
                        r.version
                    )
                } else {
                    format!("{how} by the project")
                },
            ),
            _ => (
                Origin::Default,
                format!(
                    "the newest release the catalog ({}) knows that fits",
                    self.cat.updated
                ),
            ),
        };
        self.explain("framework-version", subject, &origin, &detail);
        Some(origin)
    }

    /// Host checks of a chosen or pinned CUDA build: refuse what cannot run,
    /// note what it relies on.
    fn host_check(
        &mut self,
        fw: &Framework,
        pin: Option<&Pin>,
        sel: &Selection,
    ) -> Result<(), PlanError> {
        let (Some(r), Some(b)) = (sel.release, sel.build) else {
            return Ok(());
        };
        if !b.confirmed {
            self.warnings.push(format!(
                "{} {} ({}, CUDA {}) is not confirmed in the catalog (its kernel list could not be read from a primary source): check it runs on the target GPUs",
                fw.name, r.version, b.tag, b.cuda
            ));
        }
        match self.compat.fit(fw, r, b) {
            HostFit::No(problems) => {
                let mut msg = problems.join("; ");
                let fixes = self.compat.fix_for(fw, Some(b));
                if !fixes.is_empty() {
                    msg.push_str(&format!(". {}", fixes.join("; ")));
                }
                let whose = match pin {
                    Some(p)
                        if self.choices.cuda.is_none()
                            && self.choices.framework_version.is_none() =>
                    {
                        format!(
                            "the project's pin {} ({}) cannot run here: ",
                            p.spec, p.source
                        )
                    }
                    _ => String::new(),
                };
                self.refuse(format!("{whose}{msg}"))
            }
            HostFit::Runs(notes) => {
                if self.choices.cuda.is_some() || sel.pinned_accel.is_some() {
                    for n in notes {
                        self.note("cuda", n);
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{pinned_accel, Accel, Origin, Planner};
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::facts::Pin;
    use crate::scenarios;

    fn pin(package: &str, version: Option<&str>, local: Option<&str>, extras: &[&str]) -> Pin {
        Pin {
            package: package.into(),
            version: version.map(|v| v.parse().unwrap()),
            local: local.map(Into::into),
            extras: extras.iter().map(|e| e.to_string()).collect(),
            spec: package.into(),
            source: "requirements.txt:1".into(),
        }
    }

    #[test]
    fn the_accelerator_a_pin_names() {
        let cat = Catalog::embedded();
        let torch = cat.framework("pytorch").unwrap();
        let tf = cat.framework("tensorflow").unwrap();
        assert_eq!(
            pinned_accel(torch, &pin("torch", Some("2.5.1"), Some("cu124"), &[])),
            Some(Accel::Cuda("12.4".parse().unwrap()))
        );
        assert_eq!(
            pinned_accel(torch, &pin("torch", Some("2.5.1"), None, &[])),
            None
        );
        assert!(matches!(
            pinned_accel(tf, &pin("tensorflow", Some("2.17.1"), None, &["and-cuda"])),
            Some(Accel::Cuda(_))
        ));
        assert_eq!(
            pinned_accel(tf, &pin("tensorflow-cpu", None, None, &[])),
            Some(Accel::Cpu)
        );
    }

    #[test]
    fn no_gpu_is_cpu_by_default_and_a_gpu_gets_the_newest_build_it_runs() {
        let cat = Catalog::embedded();
        let torch = cat.framework("pytorch").unwrap();
        let c = Choices::default();
        let f = scenarios::no_gpu();
        let mut p = Planner::new(cat, &f, &c);
        let sel = p
            .accelerator(
                torch,
                None,
                &Default::default(),
                crate::facts::PackageManager::Pip,
            )
            .unwrap();
        assert_eq!(
            (sel.accel.value, sel.accel.origin),
            (Accel::Cpu, Origin::Default)
        );
        assert_eq!(
            sel.release.map(|r| &r.version),
            torch.newest().map(|r| &r.version)
        );

        let f = scenarios::h100_535();
        let mut p = Planner::new(cat, &f, &c);
        let sel = p
            .accelerator(
                torch,
                None,
                &Default::default(),
                crate::facts::PackageManager::Pip,
            )
            .unwrap();
        let b = sel.build.expect("a CUDA build");
        assert_eq!(sel.accel.value, Accel::Cuda(b.cuda.clone()));
        assert!(p.compat.fit(torch, sel.release.unwrap(), b).runs());
    }

    #[test]
    fn a_chosen_cuda_without_a_build_is_refused_with_the_valid_ones() {
        let cat = Catalog::embedded();
        let torch = cat.framework("pytorch").unwrap();
        let c = Choices {
            cuda: Some(Accel::Cuda("10.0".parse().unwrap())),
            ..Default::default()
        };
        let f = scenarios::no_gpu();
        let err = Planner::new(cat, &f, &c)
            .accelerator(
                torch,
                None,
                &Default::default(),
                crate::facts::PackageManager::Pip,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("has no build for CUDA 10.0 (valid: cpu, "),
            "{err}"
        );
    }
}
