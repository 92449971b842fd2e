//! What to do when the answers cannot be planned on this host (the
//! project's pin has no build that runs here, say): the fixes the wizard
//! offers where the problem is, each checked by planning it on the same
//! facts, so a suggestion that would fail too is never shown. Pure: facts
//! and choices in, fixes out.
//!
//! Three kinds: take the CPU build (`--cuda cpu`), generate anyway for
//! another machine (`--allow-incompatible`), or edit the pin in its file to
//! a release and build that run here (shown as file:line and the new text).

use crate::catalog::Catalog;
use crate::choices::{Accel, Choices};
use crate::compat::Compat;
use crate::facts::Facts;
use crate::plan::{plan, PlanError};
use crate::version::Version;

/// One way out of a plan that cannot be made.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    /// What it does, in a few words ("use the CPU build: …").
    pub label: String,
    /// The answers with the fix applied (None: the fix is an edit of a file).
    pub choices: Option<Choices>,
    /// The `init` flags that apply it (for `init --yes`).
    pub flags: Vec<String>,
    /// An edit of the project: (file:line, the current text, the new text).
    pub edit: Option<(String, String, String)>,
}

/// The fixes for `choices` on `facts`, or none when they plan already or
/// fail for a reason a fix here cannot address (bad input).
pub fn fixes(facts: &Facts, choices: &Choices) -> Vec<Fix> {
    let mut strict = choices.clone();
    strict.allow_incompatible = false;
    let Err(PlanError::Incompatible(_)) = plan(facts, &strict) else {
        return vec![];
    };
    let mut out = vec![];
    // The CPU build of the same release.
    let cpu = Choices {
        cuda: Some(Accel::Cpu),
        ..strict.clone()
    };
    if let Ok(p) = plan(facts, &cpu) {
        let what = match &p.framework_version {
            Some(v) => format!("{} {v}", p.framework_name),
            None => p.framework_name.clone(),
        };
        out.push(Fix {
            label: format!("the CPU build: {what} runs here on the CPU"),
            choices: Some(cpu),
            flags: vec!["--cuda".into(), "cpu".into()],
            edit: None,
        });
    }
    // An edit of the pin to a build that runs on every GPU here.
    if let Some(fix) = edit_pin(facts, &strict) {
        out.push(fix);
    }
    // Generate anyway (for another machine).
    let allow = Choices {
        allow_incompatible: true,
        ..strict.clone()
    };
    if plan(facts, &allow).is_ok() {
        out.push(Fix {
            label: "allow incompatible: generate it for another machine".into(),
            choices: Some(allow),
            flags: vec!["--allow-incompatible".into()],
            edit: None,
        });
    }
    out
}

/// The newest release and CUDA build of the pinned framework that runs on
/// this host, as an edit of the pin's line, when that plans.
fn edit_pin(facts: &Facts, choices: &Choices) -> Option<Fix> {
    let cat = Catalog::embedded();
    let compat = Compat::new(cat, facts);
    let (fw, pin) = cat.frameworks.iter().find_map(|f| {
        f.packages
            .iter()
            .find_map(|p| facts.project.pin(p))
            .map(|pin| (f, pin))
    })?;
    if choices.framework.as_deref().is_some_and(|c| c != fw.id) {
        return None;
    }
    pin.version.as_ref()?;
    let mut candidates: Vec<(&Version, &crate::catalog::Build)> = fw
        .releases
        .iter()
        .flat_map(|r| r.builds.iter().map(move |b| (&r.version, b)))
        .filter(|(_, b)| b.confirmed)
        .filter(|(v, b)| {
            let rel = fw.release(v).expect("listed release");
            compat.fit(fw, rel, b).runs()
        })
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cuda.cmp(&b.1.cuda)));
    let (version, build) = candidates.last()?;
    let new_spec = match &pin.local {
        Some(_) => format!("{}=={version}+{}", pin.package, build.tag),
        None => format!("{}=={version}", pin.package),
    };
    // It must plan once the file says so.
    let mut edited = facts.clone();
    for p in edited
        .project
        .pins
        .iter_mut()
        .filter(|p| p.package == pin.package)
    {
        p.version = Some((*version).clone());
        if p.local.is_some() {
            p.local = Some(build.tag.clone());
        }
        p.spec = new_spec.clone();
    }
    let mut c = choices.clone();
    c.cuda = None;
    c.framework_version = None;
    plan(&edited, &c).ok()?;
    let location = pin.source.to_string();
    Some(Fix {
        label: format!("edit {location}: {} → {new_spec} (runs here)", pin.spec),
        choices: None,
        flags: vec![],
        edit: Some((location, pin.spec.clone(), new_spec)),
    })
}

/// The answers a suggested `mlcontain init …` command means, on top of
/// `base` (the flags suggestions use: --framework, --framework-version,
/// --cuda, --python, --allow-incompatible). None: a flag it cannot read.
pub fn suggested_choices(base: &Choices, command: &str) -> Option<Choices> {
    let mut c = base.clone();
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let val = words.get(i + 1).copied();
        match w {
            "mlcontain" | "init" | "--yes" | "-y" | "--dry-run" | "--force" => {}
            "--allow-incompatible" => c.allow_incompatible = true,
            "--framework" => {
                c.framework = Some(val?.to_string());
                i += 1;
            }
            "--framework-version" => {
                c.framework_version = Some(val?.parse().ok()?);
                i += 1;
            }
            "--cuda" => {
                c.cuda = Some(val?.parse().ok()?);
                i += 1;
            }
            "--python" => {
                c.python = Some(val?.parse().ok()?);
                i += 1;
            }
            _ => return None,
        }
        i += 1;
    }
    Some(c)
}

/// The `mlcontain init …` commands quoted in backticks in `text`.
pub fn quoted_commands(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("mlcontain init"))
        .map(str::to_string)
        .collect()
}

/// Whether a suggested `mlcontain init …` plans on `facts` (with `base`
/// for what it does not say); the plan's error when not.
pub fn suggestion_plans(facts: &Facts, base: &Choices, command: &str) -> Result<(), String> {
    let c = suggested_choices(base, command)
        .ok_or_else(|| format!("`{command}`: a flag mlcontain cannot check"))?;
    plan(facts, &c).map(|_| ()).map_err(|e| reason(&e))
}

/// A plan error's reason, without the command-line hint.
pub fn reason(e: &PlanError) -> String {
    match e {
        PlanError::Incompatible(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The fixes as one line of commands and edits (for doctor and refusals).
pub fn render_fixes(fixes: &[Fix]) -> String {
    fixes
        .iter()
        .map(|f| match &f.edit {
            Some(_) => f.label.clone(),
            None => format!("`mlcontain init --yes {}` ({})", f.flags.join(" "), f.label),
        })
        .collect::<Vec<_>>()
        .join("; or ")
}

/// The `mlcontain init --yes …` command that writes what `choices` say
/// (every answer given as a flag, shell-quoted), for when the wizard
/// cannot write itself.
pub fn init_command(choices: &Choices) -> String {
    use crate::render::encode::shell_word;
    let mut w: Vec<String> = vec!["mlcontain".into(), "init".into(), "--yes".into()];
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            w.push(format!("--{name}"));
            w.push(shell_word(&v));
        }
    };
    let c = choices;
    flag("framework", c.framework.clone());
    flag(
        "framework-version",
        c.framework_version.as_ref().map(|v| v.to_string()),
    );
    flag("cuda", c.cuda.as_ref().map(|v| v.to_string()));
    flag("python", c.python.as_ref().map(|v| v.to_string()));
    flag("package-manager", c.package_manager.map(|v| v.to_string()));
    flag(
        "stages",
        c.stages
            .as_ref()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")),
    );
    flag("base-image", c.base_image.clone());
    flag("registry", c.registry.clone());
    flag("port", c.port.map(|v| v.to_string()));
    flag("uid", c.uid.map(|v| v.to_string()));
    flag(
        "gpus",
        c.gpus.as_ref().map(|g| match g {
            crate::choices::GpuSelection::Count(crate::choices::GpuCount::All) => "all".into(),
            crate::choices::GpuSelection::Count(crate::choices::GpuCount::N(n)) => n.to_string(),
            crate::choices::GpuSelection::Ids(ids) => ids.join(","),
        }),
    );
    flag(
        "deploy",
        c.deploy
            .as_ref()
            .map(|d| d.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")),
    );
    flag("nodes", c.nodes.map(|v| v.to_string()));
    if c.syntax == Some(true) {
        w.push("--syntax".into());
    }
    if c.bytecode == Some(true) {
        w.push("--bytecode".into());
    }
    if c.allow_incompatible {
        w.push("--allow-incompatible".into());
    }
    w.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Pin;

    fn pinned_5090() -> Facts {
        let mut f = crate::scenarios::rtx5090_570();
        f.project.requirements = vec!["requirements.txt".into()];
        f.project.pins = vec![Pin {
            package: "torch".into(),
            version: Some("2.5.1".parse().unwrap()),
            local: Some("cu124".into()),
            extras: vec![],
            spec: "torch==2.5.1+cu124".into(),
            source: crate::location::Location::new("requirements.txt", 3),
        }];
        f
    }

    #[test]
    fn a_pin_that_cannot_run_gets_fixes_that_plan() {
        let facts = pinned_5090();
        let fx = fixes(&facts, &Choices::default());
        assert!(fx.len() >= 2, "{fx:?}");
        assert!(fx[0].label.contains("CPU"), "{fx:?}");
        for f in &fx {
            if let Some(c) = &f.choices {
                assert!(plan(&facts, c).is_ok(), "{}", f.label);
            }
        }
        let edit = fx
            .iter()
            .find_map(|f| f.edit.clone())
            .expect("an edit of the pin");
        assert_eq!(edit.0, "requirements.txt:3");
        assert!(
            edit.2.starts_with("torch==") && edit.2 != edit.1,
            "{edit:?}"
        );
    }

    #[test]
    fn nothing_to_fix_when_it_plans() {
        assert!(fixes(&crate::scenarios::h100_535(), &Choices::default()).is_empty());
    }
}
