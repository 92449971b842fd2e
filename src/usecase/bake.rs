//! `mlcontain build --bake [--push] [--platform LIST]`: `docker buildx bake`
//! of the generated docker-bake.hcl, after checking what the engine can do
//! (the image store, the builder's driver) and that every base image exists
//! for every platform (a base without the platform makes BuildKit label the
//! host's binaries as that platform).

use super::build::BuildRequest;
use super::engine::engine_ready;
use crate::docker::{exit_code, explain_build_failure, run_tee, CommandLine, Engine};
use crate::engine_caps::{base_platform_refusal, detect_caps, refusals};
use crate::render::bake::BAKE;
use crate::render::DOCKERFILE;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Instant;

/// `docker buildx bake --print`: the platforms and whether a cache is exported.
fn bake_print(engine: Engine, dir: &Path, sets: &[String]) -> Result<(Vec<String>, bool)> {
    let mut c = CommandLine::new(engine.program()).args(["buildx", "bake", "--print", "-f", BAKE]);
    for s in sets {
        c = c.args(["--set", s]);
    }
    c.cwd = Some(dir.to_path_buf());
    let o = c
        .to_command()
        .output()
        .with_context(|| format!("cannot run `{}`", c.display()))?;
    if !o.status.success() {
        bail!(
            "`{}` failed: {}",
            c.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).context("docker buildx bake --print gave no JSON")?;
    let mut platforms: Vec<String> = vec![];
    let mut cache = false;
    if let Some(ts) = v["target"].as_object() {
        for t in ts.values() {
            // `--set *.platform=a,b` prints as one "a,b" entry.
            let entries = t["platforms"].as_array().into_iter().flatten();
            for p in entries
                .filter_map(|p| p.as_str())
                .flat_map(|p| p.split(','))
            {
                let p = p.trim();
                if !p.is_empty() && !platforms.iter().any(|x| x == p) {
                    platforms.push(p.to_string());
                }
            }
            cache |= t["cache-to"].as_array().is_some_and(|a| !a.is_empty());
        }
    }
    Ok((platforms, cache))
}

pub fn run(dir: &Path, args: &BuildRequest) -> Result<u8> {
    let bake_file = dir.join(BAKE);
    if !bake_file.is_file() {
        bail!(
            "no {BAKE} in {}: run `mlcontain init --yes --bake` (or --deploy kubernetes/slurm) first",
            dir.display()
        );
    }
    let engine = Engine::detect().map_err(anyhow::Error::msg)?;
    if engine != Engine::Docker {
        bail!("--bake needs docker buildx (MLCONTAIN_ENGINE is podman)");
    }
    if args.compose {
        bail!("--bake and --compose are two ways to build; choose one");
    }
    if args.json {
        bail!("--json is not available with --bake yet: bake prints its own progress (use `--progress plain`)");
    }
    if args.tag.is_some() {
        bail!("--tag does not apply with --bake: the tags are in {BAKE} (PROJECT, TAG and REGISTRY variables)");
    }
    let mut sets: Vec<String> = vec![];
    if let Some(p) = &args.platform {
        sets.push(format!("*.platform={p}"));
    }
    let targets: Vec<String> = match args.target.trim() {
        "" | "all" => vec![],
        t => t.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let mut c = CommandLine::new("docker").args(["buildx", "bake", "-f", BAKE]);
    for s in &sets {
        c = c.args(["--set", s]);
    }
    if args.push {
        c = c.arg("--push");
    }
    if let Some(p) = &args.progress {
        c = c.arg(format!("--progress={p}"));
    }
    if args.no_cache {
        c = c.arg("--no-cache");
    }
    c = c
        .args(args.extra.iter().cloned())
        .args(targets.iter().cloned());
    if args.dry_run {
        println!("{}", c.display());
        return Ok(0);
    }
    if !engine_ready(engine) {
        return Ok(1);
    }
    let caps = detect_caps(engine);
    let (platforms, cache_export) = bake_print(engine, dir, &sets)?;
    eprintln!(
        "==> engine: Docker {}, {} image store, buildx driver `{}`",
        caps.server_version,
        if caps.containerd_store {
            "containerd"
        } else {
            "classic"
        },
        if caps.driver.is_empty() {
            "unknown"
        } else {
            &caps.driver
        }
    );
    let refused = refusals(&caps, &platforms, cache_export);
    if !refused.is_empty() {
        for r in &refused {
            eprintln!("error: {r}");
        }
        return Ok(1);
    }
    if platforms.len() > 1 {
        let text = std::fs::read_to_string(dir.join(DOCKERFILE))
            .with_context(|| format!("cannot read {}", dir.join(DOCKERFILE).display()))?;
        if let Some(m) = base_platform_refusal(engine, &text, &platforms) {
            eprintln!("error: {m}");
            return Ok(1);
        }
    }
    eprintln!(
        "+ (cd {} && {})",
        crate::docker::shell_word(&dir.display().to_string()),
        c.display()
    );
    let start = Instant::now();
    // bake resolves docker-bake.hcl and its context (".") in the repository.
    c.cwd = Some(dir.to_path_buf());
    let (status, captured) = run_tee(&c).with_context(|| format!("cannot run `{}`", c.program))?;
    let code = exit_code(status);
    if code != 0 {
        eprintln!(
            "\nerror: docker buildx bake failed (exit {code}) after {:.0} s",
            start.elapsed().as_secs_f64()
        );
        for h in explain_bake_failure(&captured)
            .into_iter()
            .chain(explain_build_failure(&captured, engine))
        {
            eprintln!("\n{h}");
        }
        return Ok(code);
    }
    eprintln!(
        "==> bake done in {:.1} s{}",
        start.elapsed().as_secs_f64(),
        if args.push { " (pushed)" } else { "" }
    );
    Ok(0)
}

/// Explanations for what engines say when they refuse a bake.
pub fn explain_bake_failure(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = vec![];
    if lower.contains("cache export is not supported") {
        out.push(
            "The engine refused to export the build cache (the `docker` driver on the classic \
             image store cannot). Turn on the containerd image store or use a docker-container \
             builder (`docker buildx create --use`)."
                .into(),
        );
    }
    if lower.contains("multi-platform build is not supported")
        || lower.contains("does not currently support exporting manifest lists")
    {
        out.push(
            "The engine refused a multi-platform build (the `docker` driver on the classic image \
             store cannot store one). Turn on the containerd image store or use a \
             docker-container builder."
                .into(),
        );
    }
    if lower.contains("exec format error") {
        out.push(
            "A build step ran a binary for another platform and this machine cannot run it: \
             install emulation (`docker run --privileged --rm tonistiigi/binfmt --install all`, \
             or Debian's qemu-user-static), or build each platform on a machine of that platform."
                .into(),
        );
    }
    out
}
