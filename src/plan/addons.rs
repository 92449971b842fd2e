//! Phase: the CUDA add-ons the project pins (CuPy, RAPIDS, onnxruntime-gpu),
//! checked against the plan's CUDA, Python and platforms (see [`crate::addons`]).

use super::planner::Planner;
use super::types::PlanError;
use crate::addons::{check, Severity};
use crate::platform::Platform;
use crate::version::Version;

impl Planner<'_> {
    pub fn addons(
        &mut self,
        cuda: Option<&Version>,
        python: &Version,
        platforms: &[Platform],
    ) -> Result<(), PlanError> {
        for f in check(self.cat, self.facts, cuda, python, platforms) {
            match f.severity {
                Severity::Note => self.note("addon", f.text),
                Severity::Warning => self.warnings.push(f.text),
                Severity::Refusal => self.refuse(f.text)?,
            }
        }
        Ok(())
    }
}
