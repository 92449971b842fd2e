//! `mlcontain verify`: run the built images and check that the framework
//! works inside them (on every GPU when the plan is CUDA), and that the
//! inference target turns healthy. Known failures are explained with the fix.

use crate::choices::Choices;
use crate::cli::VerifyArgs;
use crate::docker::{
    check_command, check_script, exit_code, explain_run_failure, health_run_command, image_name,
    parse_health, run_quiet, CommandLine, Engine, GpuContext, Health,
};
use crate::facts::Facts;
use crate::plan::Plan;
use crate::render::CONFIG;
use crate::usecase::engine::engine_ready;
use crate::usecase::project::{absolute_dir, project_of};
use crate::usecase::session::{gather_facts, load_saved, merge_layers};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// Removes the health-check container however verify ends.
struct Container {
    engine: Engine,
    name: String,
}

impl Drop for Container {
    fn drop(&mut self) {
        let rm = CommandLine::new(self.engine.program()).args([
            "rm",
            "--force",
            "--volumes",
            &self.name,
        ]);
        let _ = run_quiet(&rm, Duration::from_secs(30));
    }
}

fn gpu_context(plan: &Plan, facts: &Facts) -> GpuContext {
    GpuContext {
        image_cuda: plan.cuda.as_ref().map(|c| c.version.to_string()),
        min_driver: plan.cuda.as_ref().map(|c| c.min_driver.to_string()),
        driver: facts.driver.as_ref().map(|d| d.version.to_string()),
        driver_cuda: facts
            .driver
            .as_ref()
            .and_then(|d| d.cuda_max.as_ref())
            .map(|v| v.to_string()),
        gpus: facts.gpus.iter().map(|g| g.label()).collect(),
        framework_name: plan.framework_name.clone(),
    }
}

fn image_exists(engine: Engine, image: &str) -> bool {
    let c =
        CommandLine::new(engine.program()).args(["image", "inspect", "--format", "{{.Id}}", image]);
    run_quiet(&c, Duration::from_secs(30)).success()
}

fn volume_exists(engine: Engine, volume: &str) -> bool {
    let c = CommandLine::new(engine.program()).args(["volume", "inspect", volume]);
    run_quiet(&c, Duration::from_secs(30)).success()
}

fn explain(text: &str, engine: Engine, ctx: &GpuContext) {
    for h in explain_run_failure(text, engine, ctx) {
        eprintln!("\n{h}");
    }
}

pub fn run(dir: &Path, args: &VerifyArgs) -> Result<u8> {
    let dir = absolute_dir(dir)?;
    let Some(saved) = load_saved(&dir)? else {
        bail!(
            "no {CONFIG} in {}: run `mlcontain init` and `mlcontain build` first",
            dir.display()
        );
    };
    let facts = gather_facts(&dir)?;
    let choices = merge_layers(Choices::default(), Some(&saved));
    let plan = crate::plan::plan(&facts, &choices).context("cannot plan from mlcontain.yaml")?;
    let targets: Vec<String> = match &args.target {
        Some(t) => {
            let t = t.trim().to_ascii_lowercase();
            if !plan.stages.iter().any(|s| s.as_str() == t) {
                bail!(
                    "the plan has no target `{t}` (targets: {})",
                    plan.stages
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            vec![t]
        }
        None => plan.stages.iter().map(|s| s.as_str().to_string()).collect(),
    };
    let engine = Engine::detect().map_err(anyhow::Error::msg)?;
    if !engine_ready(engine) {
        if args.json {
            println!(
                "{}",
                crate::usecase::report::json_error(
                    "the container engine is not usable (see stderr)",
                    1
                )
            );
        }
        return Ok(1);
    }
    let project = project_of(&dir);
    let gpus = plan.cuda.is_some() && !args.no_gpus;
    let ctx = gpu_context(&plan, &facts);
    if gpus && facts.gpus.is_empty() {
        eprintln!(
            "note: no NVIDIA GPU was detected on this host{}; running with the GPUs anyway \
             (`--no-gpus` checks the image without them)",
            facts
                .nvml
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    }
    let several = targets.len() > 1;
    let mut results: Vec<(String, bool, String)> = vec![];
    for t in &targets {
        let image = image_name(&project, t, args.tag.as_deref(), several);
        if !image_exists(engine, &image) {
            eprintln!("error: no image `{image}`: run `mlcontain build --target {t}` first");
            results.push((t.clone(), false, format!("{image} not built")));
            continue;
        }
        // The platform first: a mislabelled image is not run at all.
        let label = format!("{t} (platform)");
        match crate::usecase::platform_check::check(engine, &image, args.platform.as_deref()) {
            Ok(note) => results.push((label, true, note)),
            Err(why) => {
                eprintln!("error: {why}");
                results.push((label, false, why));
                continue;
            }
        }
        let host = crate::elf::host_platform();
        if let Some(p) = args
            .platform
            .as_deref()
            .filter(|p| !crate::elf::same_arch(p, &host))
        {
            results.push((
                t.clone(),
                true,
                format!(
                    "{image}: framework check not run: the image is for {p}, this host is {host}"
                ),
            ));
            continue;
        }
        // The Python the plan is for (the other checks still run).
        let label = format!("{t} (python)");
        match crate::usecase::python_check::check(engine, &image, &plan.python) {
            Ok(note) => results.push((label, true, note)),
            Err(why) => {
                eprintln!("error: {why}");
                results.push((label, false, why));
            }
        }
        let (ok, note) = check_image(engine, &plan, &facts, &ctx, &image, gpus, args.json)?;
        results.push((t.clone(), ok, note));
        if t == "inference" {
            let (ok, mut note) = check_health(
                engine,
                &project,
                &image,
                gpus,
                &ctx,
                args.timeout,
                &plan.code.model_dir,
            )?;
            if plan.code.inference_scaffold {
                note.push_str(
                    " — this is mlcontain's placeholder serve.py (a scaffold), not your server",
                );
            }
            results.push((format!("{t} (health)"), ok, note));
        }
    }
    eprintln!();
    let code = if results.iter().all(|r| r.1) { 0 } else { 1 };
    if args.json {
        let checks: Vec<serde_json::Value> = results
            .iter()
            .map(|(t, ok, note)| serde_json::json!({"target": t, "ok": ok, "note": note}))
            .collect();
        let out = serde_json::json!({"ok": code == 0, "exit_code": code, "checks": checks});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(code);
    }
    println!("verify:");
    for (t, ok, note) in &results {
        println!("  {} {t:<20} {note}", if *ok { "ok  " } else { "FAIL" });
    }
    Ok(code)
}

/// Runs the check script in `image`.
fn check_image(
    engine: Engine,
    plan: &Plan,
    facts: &Facts,
    ctx: &GpuContext,
    image: &str,
    gpus: bool,
    json: bool,
) -> Result<(bool, String)> {
    let expect = if gpus { facts.gpus.len() } else { 0 };
    let script = check_script(&plan.framework, &plan.framework_import, gpus, expect);
    let c = check_command(engine, image, gpus, &script);
    eprintln!(
        "==> mlcontain verify: {image}: {} check{}",
        if plan.framework_name.is_empty() {
            "Python"
        } else {
            &plan.framework_name
        },
        if gpus { " on every GPU" } else { "" }
    );
    eprintln!(
        "+ {} run --rm{} --entrypoint python {image} -c <check script>",
        engine.program(),
        if gpus {
            format!(" {}", crate::docker::gpu_flags(engine).join(" "))
        } else {
            String::new()
        }
    );
    let start = Instant::now();
    let (status, captured) = crate::docker::run_tee_with(&c, json)
        .with_context(|| format!("cannot run `{}`", engine.program()))?;
    let code = exit_code(status);
    if code == 0 {
        return Ok((
            true,
            format!(
                "{image}: framework check passed in {:.1} s",
                start.elapsed().as_secs_f64()
            ),
        ));
    }
    eprintln!("\nerror: the check in {image} failed (exit {code})");
    explain(&captured, engine, ctx);
    Ok((
        false,
        format!("{image}: framework check failed (exit {code})"),
    ))
}

/// Starts the inference image detached and waits for its HEALTHCHECK.
fn check_health(
    engine: Engine,
    project: &str,
    image: &str,
    gpus: bool,
    ctx: &GpuContext,
    timeout: u64,
    model_dir: &str,
) -> Result<(bool, String)> {
    // The model trained with `docker compose run training` lives in the
    // compose project's `models` volume.
    let volume = format!("{project}_models");
    let mount = if volume_exists(engine, &volume) {
        Some((volume.as_str(), model_dir))
    } else {
        eprintln!(
            "note: no volume `{volume}` (train first with `docker compose run --rm training`); \
             a server that needs a model may not turn healthy without one"
        );
        None
    };
    let name = format!("mlcontain-verify-{project}-{}", std::process::id());
    let c = health_run_command(engine, image, &name, gpus, mount);
    eprintln!("==> mlcontain verify: {image}: waiting for healthy (up to {timeout} s)");
    eprintln!("+ {}", c.display());
    let guard = Container {
        engine,
        name: name.clone(),
    };
    let r = run_quiet(&c, Duration::from_secs(120));
    if !r.success() {
        eprintln!("error: the container did not start:\n{}", r.stderr.trim());
        explain(&r.stderr, engine, ctx);
        return Ok((false, format!("{image}: did not start")));
    }
    let start = Instant::now();
    let inspect = CommandLine::new(engine.program()).args([
        "inspect",
        "--format",
        "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
        &name,
    ]);
    let outcome = loop {
        let r = run_quiet(&inspect, Duration::from_secs(30));
        let h = parse_health(&r.stdout);
        match h {
            Health::Healthy | Health::Unhealthy | Health::Stopped(_) | Health::None => break h,
            Health::Starting => {}
        }
        if start.elapsed() >= Duration::from_secs(timeout) {
            break Health::Starting;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    let secs = start.elapsed().as_secs_f64();
    match outcome {
        Health::Healthy => {
            eprintln!("==> healthy after {secs:.1} s");
            drop(guard);
            Ok((true, format!("{image}: healthy after {secs:.1} s")))
        }
        Health::None => {
            eprintln!("warning: {image} has no HEALTHCHECK; it is running");
            Ok((true, format!("{image}: running (no HEALTHCHECK)")))
        }
        other => {
            let why = match &other {
                Health::Unhealthy => "unhealthy".to_string(),
                Health::Stopped(s) => format!("stopped ({s})"),
                _ => format!("not healthy after {timeout} s"),
            };
            eprintln!("error: {image} is {why}. Its last output:");
            let logs = CommandLine::new(engine.program()).args(["logs", "--tail", "40", &name]);
            let l = run_quiet(&logs, Duration::from_secs(30));
            eprintln!("{}{}", l.stdout, l.stderr);
            let hl = CommandLine::new(engine.program()).args([
                "inspect",
                "--format",
                "{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}",
                &name,
            ]);
            let health_log = run_quiet(&hl, Duration::from_secs(30)).stdout;
            if !health_log.trim().is_empty() {
                eprintln!("health check output:\n{}", health_log.trim());
            }
            explain(
                &format!("{}\n{}\n{health_log}", l.stdout, l.stderr),
                engine,
                ctx,
            );
            Ok((false, format!("{image}: {why}")))
        }
    }
}
