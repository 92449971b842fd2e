//! Phase: how the containers run: GPUs reserved, shared memory, runtime
//! apt packages, the user, folders kept out of the build context, and the
//! host's warnings (GPUs asked for that are not here, MIG).

use super::planner::{list, Planner};
use super::types::{PlanError, DEFAULT_UID};
use crate::catalog::Framework;
use crate::choices::{GpuCount, GpuSelection};

pub struct Runtime {
    pub gpus: Option<GpuSelection>,
    pub shm_size: Option<String>,
    pub runtime_apt: Vec<String>,
    pub uid: u32,
    pub ignore_dirs: Vec<String>,
}

impl Planner<'_> {
    pub fn runtime(&mut self, fw: &Framework, cuda: bool) -> Result<Runtime, PlanError> {
        let gpus = cuda.then(|| {
            self.choices
                .gpus
                .clone()
                .unwrap_or(GpuSelection::Count(GpuCount::All))
        });
        self.check_gpus(gpus.as_ref());
        let mut runtime_apt = fw.runtime_apt.clone();
        runtime_apt.sort();
        let uid = self.choices.uid.unwrap_or(DEFAULT_UID);
        if uid == 0 {
            return Err(PlanError::Invalid {
                what: "uid",
                value: "0".into(),
                why: "the runtime user must not be root; choose a UID ≥ 1000".into(),
            });
        }
        let scan = self.scan();
        let mut ignore_dirs = scan.large_dirs.clone();
        ignore_dirs.sort();
        ignore_dirs.dedup();
        self.warnings
            .extend(scan.warnings.iter().map(ToString::to_string));
        if self.facts.gpus.iter().any(|g| g.mig_enabled) {
            self.warnings.push("MIG is enabled: reserve MIG devices by UUID (`--gpus` with the MIG UUIDs from `nvidia-smi -L`)".into());
        }
        Ok(Runtime {
            gpus,
            shm_size: fw.shm.then(|| "2gb".to_string()),
            runtime_apt,
            uid,
            ignore_dirs,
        })
    }

    /// Warns about GPUs reserved that this host does not have.
    fn check_gpus(&mut self, gpus: Option<&GpuSelection>) {
        let here = &self.facts.gpus;
        if here.is_empty() {
            return;
        }
        match gpus {
            Some(GpuSelection::Count(GpuCount::N(n))) if *n as usize > here.len() => {
                self.warnings.push(format!(
                    "the services reserve {n} GPUs; this host has {}",
                    here.len()
                ));
            }
            Some(GpuSelection::Ids(ids)) => {
                for id in ids {
                    let known = here.iter().any(|g| {
                        g.index.to_string() == *id || g.uuid.as_deref() == Some(id.as_str())
                    });
                    if !known {
                        self.warnings.push(format!(
                            "GPU `{id}` is not one of this host's GPUs ({})",
                            list(here.iter().map(|g| g.index))
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Planner;
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::scenarios;

    #[test]
    fn reserved_gpus_are_held_against_the_host() {
        let cat = Catalog::embedded();
        let torch = cat.framework("pytorch").unwrap();
        let f = scenarios::h100_535();
        let c = Choices {
            gpus: Some("0,GPU-nope".parse().unwrap()),
            ..Default::default()
        };
        let mut p = Planner::new(cat, &f, &c);
        let run = p.runtime(torch, true).unwrap();
        assert!(run.gpus.is_some());
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("`GPU-nope` is not one of this host's GPUs"));
        let c = Choices {
            uid: Some(0),
            ..Default::default()
        };
        assert!(Planner::new(cat, &f, &c).runtime(torch, false).is_err());
    }
}
