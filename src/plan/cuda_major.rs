//! `--cuda 12` (a major only): the newest CUDA 12.x build of the framework
//! (of the chosen or pinned release, when there is one) that runs on this
//! host; with none that runs, the newest 12.x (the host check then says why).

use super::planner::Planner;
use crate::catalog::{Framework, Release};
use crate::choices::Accel;
use crate::version::Version;

impl<'a> Planner<'a> {
    /// The CUDA version a major-only answer stands for, or the answer as it is.
    pub fn cuda_answer(&self, fw: &'a Framework, release: Option<&'a Release>) -> Option<Accel> {
        let answer = self.choices.cuda.clone()?;
        let Accel::Cuda(v) = &answer else {
            return Some(answer);
        };
        if v.as_str().contains('.') {
            return Some(answer);
        }
        let major = v.major();
        let mut runs: Vec<&Version> = vec![];
        let mut any: Vec<&Version> = vec![];
        if fw.is_none() {
            for tk in self.cat.cuda.iter().filter(|t| t.version.major() == major) {
                any.push(&tk.version);
                if self.compat.toolkit_problems(tk).is_empty() {
                    runs.push(&tk.version);
                }
            }
        } else {
            let releases: Vec<&Release> = match release {
                Some(r) => vec![r],
                None => fw.releases.iter().collect(),
            };
            for r in releases {
                for b in r.builds.iter().filter(|b| b.cuda.major() == major) {
                    any.push(&b.cuda);
                    if b.confirmed && self.compat.fit(fw, r, b).runs() {
                        runs.push(&b.cuda);
                    }
                }
            }
        }
        let pick = runs.into_iter().max().or_else(|| any.into_iter().max());
        Some(pick.map(|v| Accel::Cuda(v.clone())).unwrap_or(answer))
    }
}

#[cfg(test)]
mod tests {
    use crate::choices::{Accel, Choices};
    use crate::plan::plan;

    #[test]
    fn a_major_is_the_newest_build_that_runs_here() {
        let facts = crate::scenarios::rtx5090_570(); // driver CUDA 12.8
        let c = Choices {
            cuda: Some("12".parse().unwrap()),
            ..Default::default()
        };
        let p = plan(&facts, &c).unwrap();
        let cuda = p.cuda.expect("a CUDA build").version;
        assert_eq!(cuda.major(), 12);
        // Nothing newer in 12.x that runs here.
        let newer = plan(
            &facts,
            &Choices {
                cuda: Some(Accel::Cuda(
                    format!("12.{}", cuda.minor() + 1).parse().unwrap(),
                )),
                ..Default::default()
            },
        );
        assert!(newer.is_err() || newer.unwrap().cuda.unwrap().version <= cuda);
        // CPU hosts too: --cuda 12 plans (for deploying elsewhere).
        assert!(plan(&crate::scenarios::no_gpu(), &c).is_ok());
    }
}
