//! Phase 0: the entry points the user chose (`--training FILE|none`,
//! `--inference FILE|none`, the wizard). A chosen file is ranked first in
//! its role, so every later phase (stages, commands, health check, model
//! folder) reads it as the code scan's best; `none` drops the role's
//! candidates, so the stage is not planned. Pure: facts in, facts out.

use crate::choices::{Choices, EntryChoice, Stage};
use crate::facts::code::Role;
use crate::facts::Facts;
use std::borrow::Cow;

/// A choice that cannot be applied: the flag, the value and why (the
/// planner reports it as an invalid answer; this file imports nothing of
/// the planner's, so it stays out of its module cycle).
#[derive(Debug)]
pub struct Refusal {
    pub what: &'static str,
    pub value: String,
    pub why: String,
}

pub fn apply<'f>(facts: &'f Facts, choices: &Choices) -> Result<Cow<'f, Facts>, Refusal> {
    if choices.training.is_none() && choices.inference.is_none() {
        return Ok(Cow::Borrowed(facts));
    }
    let mut f = facts.clone();
    let roles = [
        (
            "training",
            Role::Training,
            Stage::Training,
            &choices.training,
        ),
        (
            "inference",
            Role::Inference,
            Stage::Inference,
            &choices.inference,
        ),
    ];
    for (what, role, stage, choice) in roles {
        let Some(choice) = choice else { continue };
        let code = &mut f.project.code;
        match choice {
            EntryChoice::Off => {
                if choices.stages.as_ref().is_some_and(|s| s.contains(&stage)) {
                    return Err(Refusal {
                        what,
                        value: "none".into(),
                        why: format!(
                            "the stages include {what}: drop it from --stages, or choose a {what} entry point"
                        ),
                    });
                }
                code.candidates.retain(|c| c.role != role);
                let ep = &mut f.project.entry_points;
                match role {
                    Role::Training => ep.training = None,
                    _ => {
                        ep.inference = None;
                        ep.inference_app = None;
                    }
                }
            }
            EntryChoice::Path(p) => {
                let found = code
                    .candidates
                    .iter()
                    .find(|c| c.path == *p && c.role == role)
                    .or_else(|| code.candidates.iter().find(|c| c.path == *p))
                    .cloned();
                let Some(mut c) = found else {
                    let known: Vec<&str> = code
                        .candidates
                        .iter()
                        .map(|c| c.path.as_str())
                        .take(12)
                        .collect();
                    return Err(Refusal {
                        what,
                        value: p.clone(),
                        why: if known.is_empty() {
                            "the code scan found no entry point to choose from".into()
                        } else {
                            format!(
                                "not an entry point the code scan found; the candidates: {} (`mlcontain init --dry-run` gives each one's reason)",
                                known.join(", ")
                            )
                        },
                    });
                };
                c.reason = if c.role == role {
                    format!("chosen ({})", c.reason)
                } else {
                    format!(
                        "chosen for {what} (the scan: {}, {})",
                        c.role.as_str(),
                        c.reason
                    )
                };
                c.role = role;
                code.candidates
                    .retain(|x| !(x.path == *p && x.role == role));
                code.candidates.insert(0, c);
            }
        }
    }
    Ok(Cow::Owned(f))
}
