//! `mlcontain build`: build the generated Dockerfile's targets with BuildKit
//! (`docker buildx build --load`, else `DOCKER_BUILDKIT=1 docker build`, or
//! `docker compose build`), streaming the engine's own progress, tagging
//! `<project>-<target>`, exiting with the engine's status and explaining the
//! failures it recognises.

use super::engine::engine_ready;
use super::project::{absolute_dir, project_of};
use crate::docker::{
    build_command, compose_build_command, dockerfile_stages, exit_code, explain_build_failure,
    image_name, select_targets, Builder, CommandLine, Engine,
};
use crate::render::{COMPOSE, DOCKERFILE};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// What `mlcontain build` is asked to do (the flags of `cli::BuildArgs`;
/// the wizard builds every target with the defaults).
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// Print the result as JSON on stdout (schema in the README); the
    /// engine's own output goes to stderr.
    pub json: bool,
    /// training, inference, dev or all (or a comma-separated list).
    pub target: String,
    /// Image name: used as given for one target; with several, `-<target>`
    /// is added to it. Default: `<project>-<target>` (project = the folder's
    /// name, or COMPOSE_PROJECT_NAME), the names docker compose uses.
    pub tag: Option<String>,
    /// Build with `docker compose build` (the services of compose.yaml).
    pub compose: bool,
    /// Build without the layer cache (`--no-cache`).
    pub no_cache: bool,
    /// The engine's progress output: auto, plain, tty or quiet.
    pub progress: Option<String>,
    /// Target platforms (`linux/amd64`, `linux/arm64`, or both comma-separated
    /// for a multi-platform build through buildx). Default: mlcontain.yaml's
    /// `platform:`, else the engine's own.
    pub platform: Option<String>,
    /// Print the commands and run nothing.
    pub dry_run: bool,
    /// Build with `docker buildx bake` from docker-bake.hcl (every target,
    /// registry cache), after checking the engine can (image store, driver).
    pub bake: bool,
    /// With --bake: push the images (and the registry build cache) to the
    /// registry named in docker-bake.hcl.
    pub push: bool,
    /// Extra arguments for the engine's build, after `--`
    /// (e.g. `-- --progress=plain --no-cache`).
    pub extra: Vec<String>,
}

/// buildx when its plugin answers, else the classic builder with BuildKit.
fn choose_builder(engine: Engine) -> Builder {
    if engine == Engine::Podman {
        return Builder::Podman;
    }
    let v = CommandLine::new("docker").args(["buildx", "version"]);
    if crate::docker::run_quiet(&v, Duration::from_secs(10)).success() {
        Builder::Buildx
    } else {
        Builder::Classic
    }
}

/// The services compose.yaml defines.
fn compose_services(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: serde_yaml::Value = serde_yaml::from_str(&text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    Ok(v.get("services")
        .and_then(|s| s.as_mapping())
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// Whether the extra engine arguments send the image elsewhere than the engine.
fn pushes(extra: &[String]) -> bool {
    extra.iter().any(|a| {
        a == "--push" || a == "-o" || a.starts_with("--output") || a.starts_with("--push=")
    })
}

/// The platforms to build: `--platform`, else mlcontain.yaml's `platform:`
/// (a string or a list), else none (the engine's default).
pub fn build_platforms(dir: &Path, flag: Option<&str>) -> Result<Vec<crate::platform::Platform>> {
    if let Some(f) = flag {
        return crate::platform::parse_list(f).map_err(anyhow::Error::msg);
    }
    let path = dir.join(crate::render::CONFIG);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(vec![]);
    };
    let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
        return Ok(vec![]);
    };
    let list = match v.get("platform") {
        Some(serde_yaml::Value::String(s)) => s.clone(),
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(","),
        _ => return Ok(vec![]),
    };
    crate::platform::parse_list(&list)
        .map_err(|e| anyhow::anyhow!("{}: platform: {e}", path.display()))
}

/// One build to run: what it builds, the image it tags, the command.
type Step = (String, Option<String>, CommandLine);

pub fn run(dir: &Path, args: &BuildRequest) -> Result<u8> {
    let dir = absolute_dir(dir)?;
    let dockerfile = dir.join(DOCKERFILE);
    if !dockerfile.is_file() {
        bail!(
            "no {DOCKERFILE} in {}: run `mlcontain init` first to generate it",
            dir.display()
        );
    }
    let text = std::fs::read_to_string(&dockerfile)
        .with_context(|| format!("cannot read {}", dockerfile.display()))?;
    let targets =
        select_targets(&args.target, &dockerfile_stages(&text)).map_err(anyhow::Error::msg)?;
    let engine = Engine::detect().map_err(anyhow::Error::msg)?;
    let mut extra: Vec<String> = vec![];
    if let Some(p) = &args.progress {
        extra.push(format!("--progress={p}"));
    }
    if args.no_cache {
        extra.push("--no-cache".into());
    }
    let platforms = build_platforms(&dir, args.platform.as_deref())?;
    if !platforms.is_empty() {
        extra.push("--platform".into());
        extra.push(crate::platform::join(&platforms));
    }
    extra.extend(args.extra.iter().cloned());

    let plan = if args.compose {
        vec![compose_step(args, engine, &dir, &targets, &extra)?]
    } else {
        match image_steps(args, engine, &dir, &text, &targets, &platforms, extra)? {
            Ok(steps) => steps,
            Err(code) => return Ok(code),
        }
    };
    if args.dry_run {
        print_dry_run(&plan, args.json)?;
        return Ok(0);
    }
    if args.compose && !engine_ready(engine) {
        return Ok(engine_not_ready(args.json));
    }
    run_steps(&plan, engine, args.json)
}

/// `docker compose build` of the services the targets name.
fn compose_step(
    args: &BuildRequest,
    engine: Engine,
    dir: &Path,
    targets: &[String],
    extra: &[String],
) -> Result<Step> {
    if args.tag.is_some() {
        bail!(
            "--tag does not apply with --compose: compose names the images `<project>-<service>`"
        );
    }
    // The project's compose file, whichever name it has (Compose's order).
    let compose_file = crate::detect::project::COMPOSE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .unwrap_or_else(|| dir.join(COMPOSE));
    if !compose_file.is_file() {
        bail!(
            "no {COMPOSE} in {}: run `mlcontain init` first to generate it",
            dir.display()
        );
    }
    let services = compose_services(&compose_file)?;
    let chosen: Vec<String> = targets
        .iter()
        .filter(|t| services.contains(t))
        .cloned()
        .collect();
    if chosen.is_empty() {
        bail!(
            "{COMPOSE} has no service for {} (services: {})",
            targets.join(", "),
            services.join(", ")
        );
    }
    Ok((
        chosen.join(", "),
        None,
        compose_build_command(engine, dir, &compose_file, &chosen, extra),
    ))
}

/// One image build per target; `Err(exit code)` when the engine cannot be
/// used or the platforms are refused (already explained on stderr).
fn image_steps(
    args: &BuildRequest,
    engine: Engine,
    dir: &Path,
    text: &str,
    targets: &[String],
    platforms: &[crate::platform::Platform],
    mut extra: Vec<String>,
) -> Result<std::result::Result<Vec<Step>, u8>> {
    let multi = platforms.len() > 1;
    let dockerfile = dir.join(DOCKERFILE);
    let project = project_of(dir);
    let builder = if args.dry_run {
        match engine {
            Engine::Docker => Builder::Buildx,
            Engine::Podman => Builder::Podman,
        }
    } else {
        if !engine_ready(engine) {
            return Ok(Err(engine_not_ready(args.json)));
        }
        choose_builder(engine)
    };
    if multi && builder != Builder::Buildx {
        bail!(
            "a multi-platform build ({}) needs docker buildx; install the buildx plugin, or build one platform at a time (--platform linux/amd64)",
            crate::platform::join(platforms)
        );
    }
    if multi && !args.dry_run && engine == Engine::Docker {
        // Refused before anything is built: a base without a platform
        // (mislabelled binaries), an engine that cannot hold the result.
        let wanted: Vec<String> = platforms.iter().map(|p| p.docker().to_string()).collect();
        let mut refused: Vec<String> =
            crate::engine_caps::base_platform_refusal(engine, text, &wanted)
                .into_iter()
                .collect();
        let caps = crate::engine_caps::detect_caps(engine);
        refused.extend(crate::engine_caps::refusals(&caps, &wanted, false));
        if !refused.is_empty() {
            for r in &refused {
                eprintln!("error: {r}");
            }
            return Ok(Err(1));
        }
    }
    // Manifests holding credentials reach the build as secrets only.
    for (id, rel) in crate::docker::dockerfile_secrets(text) {
        let src = dir.join(&rel);
        if !src.is_file() {
            bail!("{DOCKERFILE} mounts the secret `{id}` from {rel}, which is missing");
        }
        extra.push("--secret".into());
        extra.push(format!("id={id},src={}", src.display()));
    }
    let several = targets.len() > 1;
    let mut plan = vec![];
    for t in targets {
        let image = image_name(&project, t, args.tag.as_deref(), several);
        let mut c = build_command(builder, dir, &dockerfile, t, &image, &extra);
        if multi && pushes(&extra) {
            // Pushed (or exported) instead of loaded into the engine.
            c.args.retain(|a| a != "--load");
        }
        plan.push((t.clone(), Some(image.clone()), c));
    }
    Ok(Ok(plan))
}

fn print_dry_run(plan: &[Step], json: bool) -> Result<()> {
    if json {
        let cmds: Vec<serde_json::Value> = plan
            .iter()
            .map(|(t, img, c)| serde_json::json!({"target": t, "image": img, "command": c.display()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"dry_run": true, "commands": cmds}))?
        );
    } else {
        for (_, _, c) in plan {
            println!("{}", c.display());
        }
    }
    Ok(())
}

/// Runs the builds in order, stopping at the first failure (its causes explained).
fn run_steps(plan: &[Step], engine: Engine, json: bool) -> Result<u8> {
    let mut results: Vec<serde_json::Value> = vec![];
    let report = |results: &[serde_json::Value], code: u8| {
        if json {
            let out = serde_json::json!({"ok": code == 0, "exit_code": code, "targets": results});
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        code
    };

    let mut built = vec![];
    let n = plan.len();
    for (k, (target, image, c)) in plan.iter().enumerate() {
        // Progress over several targets: [k/n].
        let step = if n > 1 {
            format!(" [{}/{n}]", k + 1)
        } else {
            String::new()
        };
        match image {
            Some(img) => eprintln!("==> mlcontain build{step}: target {target} -> image {img}"),
            None => eprintln!("==> mlcontain build{step}: docker compose build {target}"),
        }
        eprintln!("+ {}", c.display());
        let start = Instant::now();
        let (status, captured) = crate::docker::run_tee_with(c, json)
            .with_context(|| format!("cannot run `{}`", c.program))?;
        let code = exit_code(status);
        let seconds = (start.elapsed().as_secs_f64() * 10.0).round() / 10.0;
        if code != 0 {
            eprintln!(
                "\nerror: the build failed (exit {code}) after {:.0} s: `{}`",
                start.elapsed().as_secs_f64(),
                c.display()
            );
            let hints = explain_build_failure(&captured, engine);
            for h in &hints {
                eprintln!("\n{h}");
            }
            if hints.is_empty() {
                eprintln!("See the engine's output above for the failing step.");
            }
            results.push(
                serde_json::json!({"target": target, "image": image, "ok": false,
                "exit_code": code, "seconds": seconds, "hints": hints}),
            );
            return Ok(report(&results, code));
        }
        results.push(
            serde_json::json!({"target": target, "image": image, "ok": true,
            "exit_code": 0, "seconds": seconds, "hints": []}),
        );
        eprintln!("==> done in {:.1} s", start.elapsed().as_secs_f64());
        if let Some(img) = image {
            built.push(img.clone());
        }
    }
    if !built.is_empty() {
        eprintln!("built: {}", built.join(", "));
    }
    eprintln!("next: `mlcontain verify` runs them and checks the framework (and GPUs) inside");
    Ok(report(&results, 0))
}

/// The engine cannot be used (already explained on stderr): exit 1, and
/// the JSON error object with --json.
fn engine_not_ready(json: bool) -> u8 {
    if json {
        println!(
            "{}",
            super::report::json_error("the container engine is not usable (see stderr)", 1)
        );
    }
    1
}

#[cfg(test)]
mod tests {
    #[test]
    fn platforms_from_the_flag_or_mlcontain_yaml() {
        use crate::platform::Platform::{Amd64, Arm64};
        let d = tempfile::tempdir().unwrap();
        assert!(super::build_platforms(d.path(), None).unwrap().is_empty());
        assert_eq!(
            super::build_platforms(d.path(), Some("linux/arm64,linux/amd64")).unwrap(),
            vec![Amd64, Arm64]
        );
        assert!(super::build_platforms(d.path(), Some("linux/s390x")).is_err());
        std::fs::write(
            d.path().join("mlcontain.yaml"),
            "framework: none\nplatform: linux/arm64\n",
        )
        .unwrap();
        assert_eq!(super::build_platforms(d.path(), None).unwrap(), vec![Arm64]);
        std::fs::write(
            d.path().join("mlcontain.yaml"),
            "platform: [linux/amd64, linux/arm64]\n",
        )
        .unwrap();
        assert_eq!(
            super::build_platforms(d.path(), None).unwrap(),
            vec![Amd64, Arm64]
        );
        // The flag wins.
        assert_eq!(
            super::build_platforms(d.path(), Some("amd64")).unwrap(),
            vec![Amd64]
        );
        std::fs::write(d.path().join("mlcontain.yaml"), "platform: windows/amd64\n").unwrap();
        let e = super::build_platforms(d.path(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("mlcontain.yaml: platform: unknown platform"),
            "{e}"
        );
        assert!(super::pushes(&["--push".to_string()]));
        assert!(super::pushes(&["--output=type=oci,dest=x.tar".to_string()]));
        assert!(!super::pushes(&["--progress=plain".to_string()]));
    }
}
