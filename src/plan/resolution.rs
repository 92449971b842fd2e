//! Phase: the project's own resolution. The framework pin the lock (or the
//! accelerator extra it selects) or the manifests fix, refusing uv on a
//! Poetry-only project, and the Pythons every pin can install on
//! (requires-python and the wheel tags of the pinned compiled stack).

use super::planner::Planner;
use super::types::PlanError;
use crate::catalog::{Build, Framework};
use crate::choices::Accel;
use crate::facts::{AccelExtra, PackageManager, Pin};
use crate::pysupport::PythonSupport;
use crate::resolve::{
    choose_extra, explain_no_python, extra_pin, pin_constraints, span, spec_allows,
    PythonConstraint,
};
use crate::version::Version;

/// The accelerator a pin names: `+cu124`, `[and-cuda]`/`[cuda12]` (the
/// build of the pinned release with that tag, else of any release), or a
/// CPU-only package.
pub(super) fn pinned_accel(fw: &Framework, p: &Pin) -> Option<Accel> {
    if let Some(a) = p.local.as_deref().and_then(|l| l.parse::<Accel>().ok()) {
        return Some(a);
    }
    let by_extra = p.extras.iter().find_map(|e| {
        let tag_of = |b: &&Build| b.tag == *e;
        let pinned = p
            .version
            .as_ref()
            .and_then(|v| fw.releases.iter().find(|r| v.is(&r.version)));
        pinned
            .and_then(|r| r.builds.iter().find(tag_of))
            .or_else(|| {
                fw.releases
                    .iter()
                    .rev()
                    .flat_map(|r| &r.builds)
                    .find(tag_of)
            })
            .map(|b| Accel::Cuda(b.cuda.clone()))
    });
    by_extra.or(match p.package.as_str() {
        "tensorflow-cpu" | "xgboost-cpu" => Some(Accel::Cpu),
        _ => None,
    })
}

/// What the project resolved, as the later phases read it.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// The accelerator extra (`uv sync --extra cpu`) the plan selects.
    pub accel_extra: Option<AccelExtra>,
    /// The framework pin: the lock's entry (for the extra) or the manifests'.
    pub pin: Option<Pin>,
    /// The pin comes from uv.lock / poetry.lock.
    pub from_lock: bool,
}

impl Planner<'_> {
    /// uv installs PEP 621 metadata only: a Poetry-only pyproject would give an empty venv.
    pub fn check_package_manager(&self, pm: PackageManager) -> Result<(), PlanError> {
        let scan = self.scan();
        if pm != PackageManager::Uv {
            return Ok(());
        }
        if let Some(py) = scan
            .pyproject
            .as_ref()
            .filter(|p| p.poetry && !p.project_table)
        {
            return Err(PlanError::Unsupported(format!(
                "{} is a Poetry project (no [project] table): uv would install none of its dependencies. \
                 Use --package-manager poetry{}, or move the dependencies to a PEP 621 [project] table first",
                py.path,
                if scan.poetry_lock { " (it installs poetry.lock)" } else { "" }
            )));
        }
        Ok(())
    }

    /// The framework pin and the accelerator extra.
    pub fn resolution(&mut self, fw: &Framework, pm: PackageManager) -> Resolution {
        let scan = self.scan();
        // The accelerator asked for, else the one the manifests' pin names
        // (`torch[cu128]`, `+cpu`), else what the host runs.
        let manifest_pin = fw.packages.iter().find_map(|p| scan.pin(p));
        let want_cuda = match (
            &self.choices.cuda,
            manifest_pin.and_then(|p| pinned_accel(fw, p)),
        ) {
            (Some(a), _) => a.is_cuda(),
            (None, Some(a)) => a.is_cuda(),
            (None, None) => self.compat.has_gpu() && !fw.is_none() && fw.supports_cuda(),
        };
        let accel_extra = match pm {
            PackageManager::Uv => choose_extra(scan, want_cuda, false).cloned(),
            PackageManager::Poetry => choose_extra(scan, want_cuda, true).cloned(),
            _ => None,
        };
        let lock_decides = (pm == PackageManager::Uv && scan.uv_lock)
            || (pm == PackageManager::Poetry && scan.poetry_lock);
        let pin = accel_extra
            .as_ref()
            .filter(|_| lock_decides)
            .and_then(|e| extra_pin(scan, e, &fw.packages))
            .or_else(|| fw.packages.iter().find_map(|p| scan.pin(p)).cloned());
        let from_lock = pin
            .as_ref()
            .is_some_and(|p| p.source.file == "uv.lock" || p.source.file == "poetry.lock");
        if pm == PackageManager::Conda && scan.environment_yml.is_none() && scan.pyproject.is_some()
        {
            self.warnings.push("no environment.yml: mlcontain scaffolds one; the project's pyproject.toml pins are not in it".into());
        }
        Resolution {
            accel_extra,
            pin,
            from_lock,
        }
    }

    /// The Pythons the project's pins allow (conda brings its own Python:
    /// its `python=` decides). Refuses when none fits, or when the chosen
    /// one is blocked, naming the pins.
    pub fn python_constraints(
        &mut self,
        pm: PackageManager,
        pin: Option<&Pin>,
    ) -> Result<(), PlanError> {
        let scan = self.scan();
        if pm == PackageManager::Conda {
            self.conda_python = scan
                .python_hint
                .as_deref()
                .and_then(|h| h.parse::<Version>().ok())
                .map(|v| v.major_minor());
            return Ok(());
        }
        let offered = self.cat.python_versions.clone();
        let mut cs: Vec<PythonConstraint> = vec![];
        if let Some(py) = &scan.pyproject {
            if let Some(rp) = &py.requires_python {
                let allows: Vec<Version> = offered
                    .iter()
                    .filter(|p| spec_allows(rp, p) != Some(false))
                    .cloned()
                    .collect();
                if allows.len() < offered.len() {
                    cs.push(PythonConstraint {
                        what: format!("{} requires-python `{rp}`", py.path),
                        allows,
                        why: "the project's own bound".into(),
                    });
                }
            }
        }
        if let Some(v) = scan
            .python_version_file
            .as_deref()
            .and_then(|v| v.parse::<Version>().ok())
        {
            match &self.choices.python {
                Some(p) if *p != v && self.choices.allow_incompatible => {
                    self.warnings.push(format!(
                        "Python {p} instead of the {v} that .python-version:1 pins (--allow-incompatible): tools that read .python-version (uv, pyenv) will disagree with the image"
                    ));
                }
                _ => cs.push(PythonConstraint {
                    what: format!(".python-version:1 `{v}`"),
                    allows: offered.iter().filter(|o| **o == v).cloned().collect(),
                    why: "the interpreter the project pins; change the file, or pass --allow-incompatible".into(),
                }),
            }
        }
        let mut pinned: Vec<&Pin> = scan.stack_pins.iter().collect();
        if let Some(p) = pin {
            pinned.push(p);
        }
        let (pins, notes) = pin_constraints(&pinned, PythonSupport::embedded(), &offered);
        cs.extend(pins);
        self.warnings.extend(notes);
        let ok = |p: &Version| cs.iter().all(|c| !c.blocks(p));
        if !offered.iter().any(ok) {
            return Err(PlanError::Unsupported(explain_no_python(&cs, &offered)));
        }
        if let Some(p) = &self.choices.python {
            if !ok(p) {
                let blocking: Vec<String> = cs
                    .iter()
                    .filter(|c| c.blocks(p))
                    .map(|c| format!("{} ({})", c.what, c.why))
                    .collect();
                let fits: Vec<Version> = offered.iter().filter(|o| ok(o)).cloned().collect();
                return Err(PlanError::Unsupported(format!(
                    "Python {p} cannot install the project's pins: {}. Choose Python {}, or change the pins",
                    blocking.join("; "),
                    span(&fits)
                )));
            }
        }
        self.py_constraints = cs;
        Ok(())
    }

    /// Whether every pin installs on this Python.
    pub fn python_ok(&self, p: &Version) -> bool {
        self.py_constraints.iter().all(|c| !c.blocks(p))
    }
}
