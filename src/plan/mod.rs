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
mod deploy;
mod entry_points;
mod framework;
mod images;
mod manifests;
pub mod origin;
mod package_manager;
mod planner;
mod python;
mod requirement;
mod runtime;
mod stages;
mod types;

pub use deploy::DeployPlan;
pub use framework::normalise_framework;
pub use images::validate_image;
pub use origin::{Decision, Explanation, Origin, Origins};
pub(crate) use requirement::split_requirement;
pub use types::*;

use crate::catalog::Catalog;
use crate::choices::{Choices, SavedConfig};
use crate::facts::Facts;
use planner::Planner;

/// Plan with the embedded catalog.
pub fn plan(facts: &Facts, choices: &Choices) -> Result<Plan, PlanError> {
    plan_with(Catalog::embedded(), facts, choices)
}

/// Plan with a given catalog: the phases in order.
pub fn plan_with(cat: &Catalog, facts: &Facts, choices: &Choices) -> Result<Plan, PlanError> {
    let mut p = Planner::new(cat, facts, choices);
    let fw = p.framework()?;
    let pin = p.pin_of(fw.value);
    let pm = p.package_manager();
    let stages = p.stages()?;
    p.check_python_choice(pm.value)?;
    let sel = p.accelerator(fw.value, pin)?;
    let python = p.python(fw.value, &sel)?;
    let img = p.images(fw.value, &sel, pm.value, python)?;
    let python_origin = p.explain_python(fw.value, &sel, &img.python, img.python_source);
    let mut m = p.manifests(fw.value, pin, &sel, pm.value)?;
    let commands = p.entry_points(&stages, &mut m.scaffold)?;
    let run = p.runtime(fw.value, img.cuda.is_some())?;
    let deploy = deploy::plan_deploy(choices, &mut p.explanations, &mut p.warnings);

    let release = sel.release;
    let saved = SavedConfig {
        framework: fw.value.id.clone(),
        framework_version: release.map(|r| r.version.clone()),
        cuda: sel.accel.value.clone(),
        python: img.python.clone(),
        package_manager: pm.value,
        stages: stages.clone(),
        base_image: choices.base_image.clone(),
        registry: choices.registry.clone(),
        port: choices.port,
        uid: choices.uid,
        gpus: choices.gpus.clone(),
        deploy: choices.deploy.clone(),
        nodes: choices.nodes,
        syntax: choices.syntax,
        bytecode: choices.bytecode,
        catalog: cat.updated.clone(),
    };
    Ok(Plan {
        framework: fw.value.id.clone(),
        framework_name: fw.value.name.clone(),
        framework_import: fw.value.import.clone(),
        framework_version: release.map(|r| r.version.clone()),
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
        gpus: run.gpus,
        deploy,
        shm_size: run.shm_size,
        runtime_apt: run.runtime_apt,
        scaffold: m.scaffold,
        ignore_dirs: run.ignore_dirs,
        syntax: choices.syntax.unwrap_or(false),
        bytecode: choices.bytecode.unwrap_or(false),
        uv_version: cat.tools.uv.clone(),
        poetry_version: cat.tools.poetry.clone(),
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
    })
}
