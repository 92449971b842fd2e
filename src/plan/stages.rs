//! Phase: which build stages (training, inference, dev).

use super::planner::Planner;
use super::types::PlanError;
use crate::choices::Stage;

impl Planner<'_> {
    pub fn stages(&mut self) -> Result<Vec<Stage>, PlanError> {
        // Without a choice: the stages the code has entry points for
        // (every stage, with scaffolds, in a repository without code).
        let mut stages = match self.choices.stages.clone() {
            Some(s) => s,
            None => {
                let mut ex = vec![];
                let s = super::code::default_stages(self.scan(), &mut ex);
                // A stage dropped by `--training none` / `--inference none`
                // is the user's choice, not a lack in the code.
                for e in &mut ex {
                    for (what, choice) in [
                        ("training", &self.choices.training),
                        ("inference", &self.choices.inference),
                    ] {
                        if choice == &Some(crate::choices::EntryChoice::Off)
                            && e.text.starts_with(&format!("no {what} stage"))
                        {
                            e.text = format!("no {what} stage: chosen (--{what} none).");
                        }
                    }
                }
                self.explanations.extend(ex);
                s
            }
        };
        stages.sort();
        stages.dedup();
        if stages.is_empty() {
            return Err(PlanError::Invalid {
                what: "stages",
                value: String::new(),
                why: "choose at least one of training, inference, dev".into(),
            });
        }
        Ok(stages)
    }
}

#[cfg(test)]
mod tests {
    use super::{Planner, Stage};
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::facts::Facts;

    #[test]
    fn sorted_deduplicated_and_never_empty() {
        let f = Facts::default();
        let c = Choices {
            stages: Some(vec![Stage::Dev, Stage::Training, Stage::Dev]),
            ..Default::default()
        };
        let got = Planner::new(Catalog::embedded(), &f, &c).stages().unwrap();
        assert_eq!(got, vec![Stage::Training, Stage::Dev]);
        let c = Choices {
            stages: Some(vec![]),
            ..Default::default()
        };
        assert!(Planner::new(Catalog::embedded(), &f, &c).stages().is_err());
    }
}
