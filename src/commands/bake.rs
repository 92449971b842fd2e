//! `mlcontain build --bake [--push] [--platform LIST]`: `docker buildx bake`
//! of the generated docker-bake.hcl, after checking what the engine can do
//! (the image store, the builder's driver) and that every base image exists
//! for every platform (a base without the platform makes BuildKit label the
//! host's binaries as that platform).

use super::build::{engine_ready, BuildArgs};
use crate::docker::{
    dockerfile_base_images, exit_code, explain_build_failure, run_quiet, run_tee, CommandLine,
    Engine,
};
use crate::render::bake::BAKE;
use crate::render::DOCKERFILE;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// What the engine and its builder can do, from `docker info` and
/// `docker buildx inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineCaps {
    pub server_version: String,
    /// The containerd image store (`io.containerd.snapshotter.v1`) is on.
    pub containerd_store: bool,
    /// The buildx builder's driver: `docker`, `docker-container`, ...
    pub driver: String,
    /// Platforms the builder can run build steps for.
    pub builder_platforms: Vec<String>,
}

impl EngineCaps {
    /// The docker driver on the classic image store: no cache export, no
    /// multi-platform images.
    pub fn classic_docker_driver(&self) -> bool {
        self.driver == "docker" && !self.containerd_store
    }
}

/// Parses `docker info --format '{{json .}}'`: version and image store.
pub fn parse_info(json: &str) -> (String, bool) {
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap_or_default();
    let version = v["ServerVersion"].as_str().unwrap_or("").to_string();
    let containerd = v["DriverStatus"]
        .as_array()
        .map(|a| {
            a.iter().any(|kv| {
                kv.as_array()
                    .and_then(|p| p.get(1))
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| s.contains("io.containerd.snapshotter"))
            })
        })
        .unwrap_or(false)
        || v["Driver"]
            .as_str()
            .is_some_and(|d| d.contains("containerd") || d == "overlayfs" || d == "stargz");
    (version, containerd)
}

/// Parses `docker buildx inspect`: the driver and the platforms.
pub fn parse_buildx_inspect(text: &str) -> (String, Vec<String>) {
    let mut driver = String::new();
    let mut platforms = vec![];
    for line in text.lines() {
        let line = line.trim();
        if let Some(d) = line.strip_prefix("Driver:") {
            if driver.is_empty() {
                driver = d.trim().to_string();
            }
        } else if let Some(p) = line.strip_prefix("Platforms:") {
            platforms = p
                .split(',')
                .map(|s| s.trim().trim_end_matches('*').to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
    }
    (driver, platforms)
}

pub fn detect_caps(engine: Engine) -> EngineCaps {
    let info = run_quiet(
        &CommandLine::new(engine.program()).args(["info", "--format", "{{json .}}"]),
        Duration::from_secs(15),
    );
    let (server_version, containerd_store) = parse_info(&info.stdout);
    let bx = run_quiet(
        &CommandLine::new(engine.program()).args(["buildx", "inspect"]),
        Duration::from_secs(15),
    );
    let (driver, builder_platforms) = parse_buildx_inspect(&bx.stdout);
    EngineCaps {
        server_version,
        containerd_store,
        driver,
        builder_platforms,
    }
}

/// Why the engine cannot do what the bake asks, one message per problem.
pub fn refusals(caps: &EngineCaps, platforms: &[String], cache_export: bool) -> Vec<String> {
    let mut out = vec![];
    let fix = "Turn on the containerd image store (in /etc/docker/daemon.json: \
               {\"features\": {\"containerd-snapshotter\": true}}, then restart dockerd; Docker \
               Engine 24 or newer), or use a docker-container builder \
               (`docker buildx create --use --driver docker-container`).";
    if caps.classic_docker_driver() {
        if cache_export {
            out.push(format!(
                "This engine (Docker {}, `docker` build driver, classic image store) cannot export \
                 a build cache, and docker-bake.hcl sends one to the registry (cache-to). {fix}",
                caps.server_version
            ));
        }
        if platforms.len() > 1 {
            out.push(format!(
                "This engine (Docker {}, `docker` build driver, classic image store) cannot build \
                 or store a multi-platform image ({}). {fix}",
                caps.server_version,
                platforms.join(", ")
            ));
        }
    }
    out
}

/// The platforms a base image is available for: from the registry
/// (`imagetools inspect`: an index's platforms, or a single image's own)
/// when it answers, else the local image's own platform.
pub fn base_platforms(engine: Engine, image: &str) -> Option<Vec<String>> {
    let remote = run_quiet(
        &CommandLine::new(engine.program()).args([
            "buildx",
            "imagetools",
            "inspect",
            "--format",
            "{{json .Image}}",
            image,
        ]),
        Duration::from_secs(20),
    );
    if remote.success() {
        if let Some(p) = image_json_platforms(&remote.stdout) {
            return Some(p);
        }
    }
    let local = run_quiet(
        &CommandLine::new(engine.program()).args([
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}}",
            image,
        ]),
        Duration::from_secs(20),
    );
    local
        .success()
        .then(|| vec![local.stdout.trim().to_string()])
        .filter(|v| !v[0].is_empty())
}

/// `imagetools inspect --format '{{json .Image}}'`: one image config
/// (`{"architecture": ..., "os": ...}`), or a map platform -> config for an
/// index.
pub fn image_json_platforms(json: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(json.trim()).ok()?;
    let obj = v.as_object()?;
    let one = |c: &serde_json::Value| -> Option<String> {
        let os = c["os"].as_str()?;
        let arch = c["architecture"].as_str()?;
        Some(match c["variant"].as_str() {
            Some(var) => format!("{os}/{arch}/{var}"),
            None => format!("{os}/{arch}"),
        })
    };
    if obj.contains_key("architecture") {
        return one(&v).map(|p| vec![p]);
    }
    let mut out: Vec<String> = obj
        .iter()
        .filter(|(k, _)| !k.starts_with("unknown"))
        .filter_map(|(k, c)| one(c).or_else(|| Some(k.clone())))
        .collect();
    out.sort();
    (!out.is_empty()).then_some(out)
}

/// Whether `have` (a base's platforms) covers `want` (`linux/arm64` matches
/// `linux/arm64/v8`).
pub fn covers(have: &[String], want: &str) -> bool {
    have.iter().any(|h| {
        h == want
            || h.strip_prefix(want)
                .is_some_and(|rest| rest.starts_with('/'))
            || want
                .strip_prefix(h.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

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

pub fn run(dir: &Path, args: &BuildArgs) -> Result<u8> {
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
        let mut missing = vec![];
        for image in dockerfile_base_images(&text) {
            match base_platforms(engine, &image) {
                None => missing.push(format!(
                    "`{image}`: neither the registry nor the local store says which platforms it has"
                )),
                Some(have) => {
                    let lacks: Vec<&String> =
                        platforms.iter().filter(|p| !covers(&have, p)).collect();
                    if !lacks.is_empty() {
                        missing.push(format!(
                            "`{image}` has no {} variant (it has {})",
                            lacks
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            have.join(", ")
                        ));
                    }
                }
            }
        }
        if !missing.is_empty() {
            eprintln!(
                "error: a multi-platform build ({}) needs every base image for every platform; otherwise \
                 BuildKit builds the missing platform from the base it has and labels those binaries \
                 with the wrong platform:\n  {}\nUse base images published for each platform (pull or \
                 mirror the multi-platform index), or build only the platforms they have \
                 (`--platform`).",
                platforms.join(", "),
                missing.join("\n  ")
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_image_store_and_the_driver() {
        let (v, c) = parse_info(
            r#"{"ServerVersion":"26.1.5","Driver":"overlayfs","DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]]}"#,
        );
        assert_eq!((v.as_str(), c), ("26.1.5", true));
        let (_, c) = parse_info(
            r#"{"ServerVersion":"26.1.5","Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"]]}"#,
        );
        assert!(!c);
        let (d, p) = parse_buildx_inspect(
            "Name:          default\nDriver:        docker\n\nNodes:\nName:      default\nPlatforms: linux/amd64, linux/amd64/v2, linux/386\n",
        );
        assert_eq!(d, "docker");
        assert_eq!(p, vec!["linux/amd64", "linux/amd64/v2", "linux/386"]);
    }

    #[test]
    fn the_classic_docker_driver_is_refused_for_cache_and_platforms() {
        let caps = EngineCaps {
            server_version: "20.10.24".into(),
            containerd_store: false,
            driver: "docker".into(),
            builder_platforms: vec![],
        };
        let two = vec!["linux/amd64".to_string(), "linux/arm64".to_string()];
        let r = refusals(&caps, &two, true);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[0].contains("cannot export a build cache"));
        assert!(r[1].contains("multi-platform"));
        assert!(r.iter().all(|m| m.contains("containerd-snapshotter")));
        let ok = EngineCaps {
            containerd_store: true,
            ..caps.clone()
        };
        assert!(refusals(&ok, &two, true).is_empty());
        let container = EngineCaps {
            driver: "docker-container".into(),
            ..caps
        };
        assert!(refusals(&container, &two, true).is_empty());
    }

    #[test]
    fn image_configs_and_platform_cover() {
        let single = r#"{"architecture":"amd64","os":"linux","config":{}}"#;
        assert_eq!(image_json_platforms(single).unwrap(), vec!["linux/amd64"]);
        let index = r#"{"linux/amd64":{"architecture":"amd64","os":"linux"},
            "linux/arm64/v8":{"architecture":"arm64","os":"linux","variant":"v8"}}"#;
        let p = image_json_platforms(index).unwrap();
        assert_eq!(p, vec!["linux/amd64", "linux/arm64/v8"]);
        assert!(covers(&p, "linux/arm64"));
        assert!(covers(&p, "linux/amd64"));
        assert!(!covers(&p, "linux/ppc64le"));
        assert!(!covers(&["linux/amd64".to_string()], "linux/arm64"));
        assert!(image_json_platforms("not json").is_none());
    }
}
