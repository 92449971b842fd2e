//! Phase: which manifests the builder copies and installs, what is
//! scaffolded, and whether the framework needs its own install line (the
//! manifests do not carry the build the plan chose).

use super::accelerator::Selection;
use super::planner::Planner;
use super::resolution::Resolution;
use super::types::{FrameworkInstall, Manifests, PlanError, Scaffold, ScaffoldKind};
use crate::catalog::Framework;
use crate::facts::{PackageManager, Pin};
use crate::requirement::{split_requirement, SplitRequirement};

fn is_dev_requirements(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    ["dev", "test", "lint", "docs"]
        .iter()
        .any(|k| name.contains(k))
}

/// The framework's manifests, installs and scaffolds.
pub struct ManifestPlan {
    pub manifests: Manifests,
    pub scaffold: Vec<Scaffold>,
    pub framework_requirement: Option<FrameworkInstall>,
    pub framework_install: Option<FrameworkInstall>,
}

impl Planner<'_> {
    pub fn exists(&self, file: &str) -> bool {
        self.scan().existing.files.iter().any(|e| e == file)
    }

    pub fn manifests(
        &mut self,
        fw: &Framework,
        pin: Option<&Pin>,
        sel: &Selection,
        pm: PackageManager,
        res: &Resolution,
    ) -> Result<ManifestPlan, PlanError> {
        let framework_requirement = framework_requirement(fw, sel);
        let (mut manifests, scaffold) = self.manifest_files(pm);
        if let Some(e) = &res.accel_extra {
            let (flag, what) = match pm {
                PackageManager::Poetry if e.poetry_group => {
                    manifests.poetry_groups.push(e.name.clone());
                    (format!("poetry install --only main,{}", e.name), "group")
                }
                PackageManager::Poetry => {
                    manifests.extras.push(e.name.clone());
                    (format!("poetry install --extras {}", e.name), "extra")
                }
                _ => {
                    manifests.extras.push(e.name.clone());
                    (format!("uv sync --extra {}", e.name), "extra")
                }
            };
            self.note(
                "package-manager",
                format!(
                    "{flag} — the project's `{}` {what} ({}) selects the {} build.",
                    e.name,
                    e.source,
                    if sel.accel.value.is_cuda() {
                        "CUDA"
                    } else {
                        "CPU"
                    }
                ),
            );
        }
        // A lock decides every version: nothing is installed over it.
        let lock_decides = manifests.locked;
        if lock_decides && !fw.is_none() && pin.is_none() {
            self.warnings.push(format!(
                "the lock holds no {} for this {} image{}: the image installs only what the lock selects",
                fw.name,
                if sel.accel.value.is_cuda() { "CUDA" } else { "CPU" },
                res.accel_extra
                    .as_ref()
                    .map(|e| format!(" (extra `{}`)", e.name))
                    .unwrap_or_default()
            ));
        }
        let scaffolded = scaffold.iter().any(|s| s.kind == ScaffoldKind::Manifest);
        let carried = scaffolded
            || fw.is_none()
            || lock_decides
            // The project's accelerator extra selects the build (uv without a lock).
            || res.accel_extra.is_some()
            || pin.is_some_and(|p| {
                let known = p.version.is_none() || sel.pinned_release.is_some();
                // A pin the catalog does not know stays the project's call.
                !known || pin_is_exact(p, sel, framework_requirement.as_ref())
            });
        let framework_install = if carried {
            None
        } else {
            framework_requirement.clone()
        };
        if let (Some(fi), Some(b), Some(r)) = (
            framework_install
                .as_ref()
                .or(framework_requirement.as_ref().filter(|_| scaffolded)),
            sel.build,
            sel.release,
        ) {
            if fi.index.is_none()
                && r.pypi.as_deref() == Some(b.tag.as_str())
                && fw.cuda_index.is_some()
            {
                self.note(
                    "index",
                    format!(
                        "{} comes from PyPI: its Linux wheel of {} {} is the {} build.",
                        fi.requirement, fw.name, r.version, b.tag
                    ),
                );
            }
        }
        if let (Some(p), Some(fi)) = (pin, &framework_install) {
            let text = if pm == PackageManager::Pip {
                format!(
                    "{} is installed first ({}), so {} ({}) is already satisfied and the image gets the build this plan chose.",
                    fi.requirement,
                    fi.index.as_deref().unwrap_or("PyPI"),
                    p.spec,
                    p.source
                )
            } else {
                format!(
                    "{} ({}) is installed after {pm} installs the project, replacing the build {pm} resolved for {} ({}).",
                    fi.requirement,
                    fi.index.as_deref().unwrap_or("PyPI"),
                    p.spec,
                    p.source
                )
            };
            self.note("framework-version", text);
            if pm != PackageManager::Pip {
                self.warnings.push(format!(
                    "{} resolves {} itself, so the image downloads {} twice; pin {} in the project (with its index) to avoid it",
                    pm, p.spec, fw.name, fi.requirement
                ));
            }
        }
        if let (Some(e), Some(p)) = (sel.explicit, pin) {
            if let Some(pv) = &p.version {
                let within = pv.matches_prefix(&e.version)
                    || pv.release().is_some_and(|r| e.version.matches_prefix(&r));
                if !within {
                    return Err(PlanError::Unsupported(format!(
                        "{} pins {} but you chose {} {}: change the pin, or leave the version to the project",
                        p.source, p.spec, fw.name, e.version
                    )));
                }
            }
        }
        if self.scan().has_no_manifest() {
            self.note("scaffold", "a fresh repository: mlcontain adds a dependency manifest and minimal entry points, never replacing files that exist.");
        }
        Ok(ManifestPlan {
            manifests,
            scaffold,
            framework_requirement,
            framework_install,
        })
    }

    /// The manifests per package manager, and those to scaffold.
    fn manifest_files(&mut self, pm: PackageManager) -> (Manifests, Vec<Scaffold>) {
        let scan = self.scan();
        let mut scaffold = vec![];
        let mut m = Manifests {
            copy: vec![],
            install: vec![],
            dev: vec![],
            locked: false,
            install_project: false,
            secret: scan.credential_files.clone(),
            extras: vec![],
            poetry_groups: vec![],
            dev_copy: vec![],
            local: vec![],
            dev_local: vec![],
        };
        let manifest = |path: &str| Scaffold {
            path: path.into(),
            kind: ScaffoldKind::Manifest,
        };
        match pm {
            PackageManager::Pip => {
                let (dev, runtime): (Vec<String>, Vec<String>) = scan
                    .requirements
                    .iter()
                    .cloned()
                    .partition(|r| is_dev_requirements(r));
                if runtime.is_empty() && scan.pyproject.is_some() {
                    m.install_project = true;
                    self.warnings.push("no requirements.txt: dependencies install together with the project (`pip install .`), so a code change reinstalls them; add a requirements.txt (or use uv) to cache them in their own layer".into());
                } else if runtime.is_empty() {
                    if !self.exists("requirements.txt") {
                        scaffold.push(manifest("requirements.txt"));
                    }
                    m.copy.push("requirements.txt".into());
                } else {
                    m.copy = runtime;
                }
                m.install = if m.copy.iter().any(|r| r == "requirements.txt") {
                    vec!["requirements.txt".to_string()]
                } else {
                    m.copy.clone()
                };
                m.dev = dev;
                self.requirement_layout(&mut m);
            }
            PackageManager::Uv | PackageManager::Poetry => {
                if scan.pyproject.is_none() {
                    scaffold.push(manifest("pyproject.toml"));
                }
                m.copy.push("pyproject.toml".into());
                let (lock, present, tool) = match pm {
                    PackageManager::Uv => ("uv.lock", scan.uv_lock, "uv"),
                    _ => ("poetry.lock", scan.poetry_lock, "poetry"),
                };
                if present {
                    m.copy.push(lock.into());
                    m.locked = true;
                } else if pm == PackageManager::Uv {
                    self.warnings.push(format!("no {lock}: the build resolves dependencies itself; run `{tool} lock` and commit {lock} for reproducible builds (`uv sync --frozen`)"));
                } else {
                    self.warnings.push(format!("no {lock}: the build resolves dependencies itself; run `{tool} lock` and commit {lock} for reproducible builds"));
                }
                // uv reads the project's uv.toml (indexes, build settings):
                // copied with the manifests, or mounted as a secret when it
                // holds credentials.
                if pm == PackageManager::Uv && scan.tool_configs.root_uv_toml {
                    m.copy.push("uv.toml".into());
                }
            }
            PackageManager::Conda => {
                let path = scan
                    .environment_yml
                    .clone()
                    .unwrap_or_else(|| "environment.yml".into());
                if scan.environment_yml.is_none() {
                    scaffold.push(manifest(&path));
                }
                m.copy.push(path);
            }
        }
        (m, scaffold)
    }
}

impl Planner<'_> {
    /// pip: the `-r`/`-c` includes of the installed files are copied
    /// wherever they live, and a local-path install (`-e .`) needs the code
    /// in the builder before it (issue 9 §8).
    fn requirement_layout(&mut self, m: &mut Manifests) {
        use crate::detect::req_layout::closure;
        let scan = self.scan();
        let runtime = closure(scan, &m.copy);
        let dev_reads = closure(scan, &m.dev);
        let local_of = |files: &[String]| -> Vec<String> {
            scan.local_requirements
                .iter()
                .filter(|l| files.contains(&l.file))
                .map(|l| format!("{} `{}`", l.source, l.text))
                .collect()
        };
        let installed = closure(scan, &m.install);
        m.local = local_of(&installed);
        // The dev install re-reads the runtime files it includes, so a
        // local install there needs the code in the dev stage too.
        m.dev_local = local_of(&dev_reads);
        m.dev_copy = dev_reads
            .into_iter()
            .filter(|f| !runtime.contains(f))
            .collect();
        m.copy = runtime;
        if !m.local.is_empty() {
            self.warnings.push(format!(
                "{} installs the project's own code: the builder copies the code before the dependency install, so a code change reinstalls the dependencies; list the dependencies apart from the local install to cache them",
                m.local.join(", ")
            ));
        }
    }
}

/// The install line of the chosen (release, build): the pinned version when
/// the project fixes one (a same-minor catalog release only lends its build
/// data); PyPI when its default wheel is that build.
fn framework_requirement(fw: &Framework, sel: &Selection) -> Option<FrameworkInstall> {
    let r = sel.release?;
    let v = sel.pinned_version.as_ref().unwrap_or(&r.version);
    match sel.build {
        // PyPI carries this build on every target platform (the view's
        // `pypi` is set only when they agree): no extra index, and pip's
        // and uv's caches and mirrors serve it like any other package.
        Some(b) if r.pypi.as_deref() == Some(b.tag.as_str()) && fw.cuda_index.is_some() => {
            Some(FrameworkInstall {
                requirement: format!("{}=={v}", fw.packages[0]),
                index: None,
            })
        }
        Some(b) => fw
            .cuda_requirement(v, b)
            .map(|requirement| FrameworkInstall {
                requirement,
                index: fw.cuda_index(b),
            }),
        None => fw.cpu_requirement(v).map(|requirement| FrameworkInstall {
            requirement,
            index: fw.cpu_index.clone(),
        }),
    }
}

/// Whether the pin is exactly the build the plan chose (a plain
/// `torch==2.4.1` from PyPI is not the cu118 build; `tensorflow==2.17.1`
/// lacks the CUDA libraries).
fn pin_is_exact(p: &Pin, sel: &Selection, req: Option<&FrameworkInstall>) -> bool {
    let (Some(r), Some(req)) = (sel.release, req) else {
        return true;
    };
    let installed = sel.pinned_version.as_ref().unwrap_or(&r.version);
    if !p.version.as_ref().is_some_and(|v| v.is(installed)) {
        return false;
    }
    let SplitRequirement { extras, local, .. } = split_requirement(&req.requirement);
    let pin_local = p.local.clone().or_else(|| match sel.build {
        Some(_) => r.pypi.clone(),
        None => None,
    });
    if let Some(l) = local {
        if pin_local.as_deref() != Some(l.as_str()) {
            return false;
        }
    }
    extras.iter().all(|e| p.extras.contains(e))
}

#[cfg(test)]
mod tests {
    use super::{is_dev_requirements, PackageManager, Planner, ScaffoldKind};
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::facts::Facts;

    #[test]
    fn per_package_manager() {
        let c = Choices::default();
        let mut f = Facts::default();
        let mut p = Planner::new(Catalog::embedded(), &f, &c);
        let (m, s) = p.manifest_files(PackageManager::Pip);
        assert_eq!(m.install, ["requirements.txt"]);
        assert_eq!(s[0].kind, ScaffoldKind::Manifest);

        f.project.requirements = vec!["requirements.txt".into(), "requirements-dev.txt".into()];
        f.project.existing.files = vec!["requirements.txt".into()];
        let mut p = Planner::new(Catalog::embedded(), &f, &c);
        let (m, s) = p.manifest_files(PackageManager::Pip);
        assert!(s.is_empty());
        assert_eq!(m.dev, ["requirements-dev.txt"]);

        let mut p = Planner::new(Catalog::embedded(), &f, &c);
        let (m, _) = p.manifest_files(PackageManager::Uv);
        assert!(!m.locked);
        assert!(p.warnings[0].starts_with("no uv.lock"), "{:?}", p.warnings);
        assert!(is_dev_requirements("reqs/test.txt"));
    }
}
