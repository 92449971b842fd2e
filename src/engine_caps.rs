//! What the engine can build: its capabilities (image store, the buildx
//! driver) and whether each base image of a Dockerfile exists for every
//! platform a multi-platform build asks (a base without the platform makes
//! BuildKit label the host's binaries as that platform). Used by
//! `mlcontain build --platform A,B` and `mlcontain build --bake`.

use crate::docker::{dockerfile_base_images, run_quiet, CommandLine, Engine};
use std::time::Duration;

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

/// A local image's own platform (`os/arch[/variant]`), from `image inspect`.
pub fn local_platform(engine: Engine, image: &str) -> Option<String> {
    let r = run_quiet(
        &CommandLine::new(engine.program()).args([
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}}",
            image,
        ]),
        Duration::from_secs(30),
    );
    let p = r.stdout.trim().to_string();
    (r.success() && !p.is_empty()).then_some(p)
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
    local_platform(engine, image).map(|p| vec![p])
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

/// Why a multi-platform build must not start: a base image of the
/// Dockerfile lacks one of the platforms (BuildKit would build that
/// platform from the base it has and label the host's binaries with it).
pub fn base_platform_refusal(
    engine: Engine,
    dockerfile: &str,
    platforms: &[String],
) -> Option<String> {
    let mut missing = vec![];
    for image in dockerfile_base_images(dockerfile) {
        match base_platforms(engine, &image) {
            None => missing.push(format!(
                "`{image}`: neither the registry nor the local store says which platforms it has"
            )),
            Some(have) => {
                let lacks: Vec<&str> = platforms
                    .iter()
                    .filter(|p| !covers(&have, p))
                    .map(String::as_str)
                    .collect();
                if !lacks.is_empty() {
                    missing.push(format!(
                        "`{image}` has no {} variant (it has {})",
                        lacks.join(", "),
                        have.join(", ")
                    ));
                }
            }
        }
    }
    (!missing.is_empty()).then(|| {
        format!(
            "a multi-platform build ({}) needs every base image for every platform; otherwise \
             BuildKit builds the missing platform from the base it has and labels those binaries \
             with the wrong platform:\n  {}\nUse base images published for each platform (pull or \
             mirror the multi-platform index), or build only the platforms they have \
             (`--platform`).",
            platforms.join(", "),
            missing.join("\n  ")
        )
    })
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
