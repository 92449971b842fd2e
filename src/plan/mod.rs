//! The planner: `plan(facts, choices) -> Plan`. Pure: no terminal, clock or
//! file I/O. Every default it takes comes with a one-line explanation the UI
//! can show; every explicit choice the host cannot run is refused with a
//! message naming the GPU or driver and the fix.
//!
//! A [`Planner`](planner::Planner) decides in phases, one file each, in the
//! order [`plan_with`] runs them: framework, package manager, stages,
//! accelerator (CPU/CUDA, release and build), Python, images, manifests,
//! entry points, runtime, deploy targets. Each decision carries its [`Origin`]; the
//! explanation text is worded from it in [`origin`].

mod accelerator;
mod addons;
pub mod code;
mod code_plan;
mod cuda_major;
mod data_dir;
mod deploy;
mod entry_choice;
mod entry_points;
mod framework;
mod images;
mod indexes;
mod manifests;
pub mod origin;
mod output;
mod package_manager;
mod planner;
mod python;
mod resolution;
mod runtime;
mod stages;
mod types;

pub(crate) use crate::requirement::split_requirement;
pub use code::{CodePlan, Health};
pub use deploy::{DeployPlan, Launch, Procs, RDZV_PORT};
pub use framework::normalise_framework;
pub use images::validate_image;
pub use origin::{Decision, Explanation, Origin, Origins};
pub use output::Plan;
pub use types::*;

use crate::catalog::Catalog;
use crate::choices::{Choices, GpuCount, GpuSelection, SavedConfig};
use crate::facts::Facts;
use crate::platform::Platform;
use planner::Planner;

/// Plan with the embedded catalog, or with the overlay the choices carry
/// merged over it.
pub fn plan(facts: &Facts, choices: &Choices) -> Result<Plan, PlanError> {
    let platforms = target_platforms(facts, choices);
    match &choices.catalog_overlay {
        None => plan_with(Catalog::embedded_view(&platforms), facts, choices),
        Some(o) => {
            let cat = overlay_catalog(o)?;
            plan_with(&cat, facts, choices)
        }
    }
}

/// The project name is recorded where the bake file or the cluster files use it.
fn records_project(choices: &Choices, deploy: &DeployPlan) -> bool {
    choices.bake == Some(true)
        || deploy.has(crate::choices::DeployTarget::Kubernetes)
        || deploy.has(crate::choices::DeployTarget::Slurm)
}

/// The platforms the plan is for: chosen, else the host's, else linux/amd64.
pub fn target_platforms(facts: &Facts, choices: &Choices) -> Vec<Platform> {
    Catalog::platform_set(
        &choices
            .platform
            .clone()
            .or(facts.platform.map(|p| vec![p]))
            .unwrap_or_default(),
    )
}

/// The embedded catalog with an overlay (the last one is kept: the wizard
/// plans many times with the same overlay).
fn overlay_catalog(o: &crate::choices::SavedOverlay) -> Result<std::sync::Arc<Catalog>, PlanError> {
    use std::sync::{Arc, Mutex};
    static LAST: Mutex<Option<(crate::choices::SavedOverlay, Arc<Catalog>)>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((k, c)) = last.as_ref() {
        if k == o {
            return Ok(c.clone());
        }
    }
    let cat = Arc::new(
        Catalog::with_overlay_value(o.content.clone(), &o.source).map_err(|e| {
            PlanError::Invalid {
                what: "catalog overlay",
                value: o.source.clone(),
                why: e.message,
            }
        })?,
    );
    *last = Some((o.clone(), cat.clone()));
    Ok(cat)
}

fn platform_explanation(facts: &Facts, choices: &Choices, platforms: &[Platform]) -> String {
    let names = crate::platform::join(platforms);
    match (&choices.platform, facts.platform) {
        (Some(_), Some(h)) if platforms != [h] => format!(
            "{names} — chosen (this host is {h}); kernel lists and wheels are those of {names}, the GPUs and driver checked are this host's."
        ),
        (Some(_), _) => format!("{names} — chosen."),
        (None, Some(_)) => format!("{names} — this host's platform."),
        (None, None) => format!("{names} — the default."),
    }
}

/// Plan with a given catalog (resolved here for the target platforms): the phases in order.
pub fn plan_with(cat: &Catalog, facts: &Facts, choices: &Choices) -> Result<Plan, PlanError> {
    // The chosen entry points ranked first (or dropped: `none`).
    let facts = entry_choice::apply(facts, choices).map_err(|r| PlanError::Invalid {
        what: r.what,
        value: r.value,
        why: r.why,
    })?;
    let facts = facts.as_ref();
    let platforms = target_platforms(facts, choices);
    let view;
    let cat = if cat.resolved_for == platforms {
        cat
    } else {
        view = cat.for_platforms(&platforms);
        &view
    };
    let mut p = Planner::new(cat, facts, choices);
    let fw = p.framework()?;
    let pm = p.package_manager();
    p.check_package_manager(pm.value)?;
    let stages = p.stages()?;
    p.check_python_choice(pm.value)?;
    let res = p.resolution(fw.value, pm.value);
    let pin = res.pin.as_ref();
    p.python_constraints(pm.value, pin)?;
    let sel = p.accelerator(fw.value, pin, &res, pm.value)?;
    let python = p.python(fw.value, &sel)?;
    let img = p.images(fw.value, &sel, pm.value, python)?;
    let python_origin = p.explain_python(fw.value, &sel, &img.python, img.python_source);
    let mut m = p.manifests(fw.value, pin, &sel, pm.value, &res)?;
    let commands = p.entry_points(&stages, &mut m.scaffold)?;
    let code_plan = p.code_plan(fw.value, &stages, &m, &commands);
    let run = p.runtime(fw.value, img.cuda.is_some())?;
    p.addons(
        img.cuda.as_ref().map(|c| &c.version),
        &img.python,
        &platforms,
    )?;
    p.note("platform", platform_explanation(facts, choices, &platforms));
    let indexes = p.indexes(pm.value, &m)?;
    let mut gpus = run.gpus;
    let min_compute = match (sel.build, &img.cuda) {
        (Some(b), _) => b.sass.iter().chain(&b.ptx).min().copied(),
        (None, Some(c)) => cat
            .toolkit(&c.version)
            .and_then(|t| t.archs.iter().min().copied()),
        _ => None,
    };
    let deploy = deploy::plan_deploy(
        &deploy::Inputs {
            choices,
            facts,
            framework_import: &fw.value.import,
            framework_name: &fw.value.name,
            cuda: img.cuda.as_ref(),
            min_compute,
            scaffolded_training: m.scaffold.iter().any(|s| s.kind == ScaffoldKind::Training),
            inference: stages.contains(&crate::choices::Stage::Inference),
            compose_file: &code_plan.compose_file,
        },
        &mut gpus,
        &mut p.explanations,
        &mut p.warnings,
    )?;

    let release = sel.release;
    // The answers as resolved: the input choices with the planner's
    // decisions written over them (every other answer is saved as given).
    let saved = SavedConfig::resolved(Choices {
        framework: Some(fw.value.id.clone()),
        // A version the project pins or locks is the project's: not
        // recorded, so the next run reads it from the project again.
        framework_version: match &sel.pinned_version {
            Some(_) => None,
            None => release.map(|r| r.version.clone()),
        },
        cuda: Some(sel.accel.value.clone()),
        python: Some(img.python.clone()),
        package_manager: Some(pm.value),
        stages: Some(stages.clone()),
        // The count the cluster files were made with, when it came from this host.
        gpus: choices.gpus.clone().or_else(|| {
            deploy
                .gpus_per_node
                .filter(|_| deploy.targets.len() > 1)
                .map(|n| GpuSelection::Count(GpuCount::N(n)))
        }),
        keep_dockerfile: choices.keep_dockerfile.filter(|k| *k),
        project: choices
            .project
            .clone()
            .filter(|_| records_project(choices, &deploy)),
        catalog: Some(cat.updated.clone()),
        ..choices.clone()
    });
    Ok(Plan {
        framework: fw.value.id.clone(),
        framework_name: fw.value.name.clone(),
        framework_import: fw.value.import.clone(),
        framework_version: sel
            .pinned_version
            .clone()
            .or_else(|| release.map(|r| r.version.clone())),
        cuda: img.cuda,
        python: img.python,
        python_source: img.python_source,
        package_manager: pm.value,
        stages,
        images: img.images,
        framework_requirement: m.framework_requirement,
        framework_install: m.framework_install,
        manifests: m.manifests,
        training_cmd: commands.training,
        inference_cmd: commands.inference,
        port: commands.port,
        uid: run.uid,
        gpus,
        deploy,
        shm_size: run.shm_size,
        runtime_apt: run.runtime_apt,
        scaffold: m.scaffold,
        ignore_dirs: run.ignore_dirs,
        syntax: choices.syntax.unwrap_or(false),
        bytecode: choices.bytecode.unwrap_or(false),
        uv_version: cat.tools.uv.clone(),
        poetry_version: cat.tools.poetry.clone(),
        code: code_plan,
        indexes,
        custom_base_image: choices.base_image.is_some(),
        origins: Origins {
            framework: fw.origin,
            framework_version: sel.version_origin,
            package_manager: pm.origin,
            accelerator: sel.accel.origin,
            python: python_origin,
        },
        explanations: p.explanations,
        warnings: p.warnings,
        saved,
        platforms,
    })
}
