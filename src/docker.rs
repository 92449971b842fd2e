//! The container engine, for `mlcontain build` and `mlcontain verify`:
//! command lines, image names, the check script run inside an image, and
//! the explanations of known failures read from the engine's stderr.
//!
//! Everything here is pure except the small process helpers at the end
//! ([`run_tee`], [`run_quiet`]), which run one command line.

use crate::scripts::{check, fill};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The image targets mlcontain generates, in build order.
pub const TARGETS: &[&str] = &["training", "inference", "dev"];

/// Which engine runs the containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    pub fn program(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }

    /// `MLCONTAIN_ENGINE` (docker|podman) when set, else docker when it is
    /// on PATH, else podman when it is; None when neither is.
    pub fn choose(
        env_choice: Option<&str>,
        has_docker: bool,
        has_podman: bool,
    ) -> Result<Engine, String> {
        match env_choice.map(str::trim).filter(|s| !s.is_empty()) {
            Some("docker") => Ok(Engine::Docker),
            Some("podman") => Ok(Engine::Podman),
            Some(other) => Err(format!("MLCONTAIN_ENGINE=`{other}`: use docker or podman")),
            None if has_docker => Ok(Engine::Docker),
            None if has_podman => Ok(Engine::Podman),
            None => Err(
                "neither docker nor podman is on PATH. Install Docker Engine \
                         (https://docs.docker.com/engine/install/) or Podman, then run again."
                    .into(),
            ),
        }
    }

    /// The engine found on this process's PATH.
    pub fn detect() -> Result<Engine, String> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let env = std::env::var("MLCONTAIN_ENGINE").ok();
        Engine::choose(
            env.as_deref(),
            crate::detect::tools::find_in_path("docker", &path).is_some(),
            crate::detect::tools::find_in_path("podman", &path).is_some(),
        )
    }
}

/// How an image is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builder {
    /// `docker buildx build --load`.
    Buildx,
    /// `DOCKER_BUILDKIT=1 docker build` (no buildx plugin).
    Classic,
    /// `podman build`.
    Podman,
}

/// One command to run: program, arguments and extra environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLine {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The folder it runs in (None: the current one).
    pub cwd: Option<std::path::PathBuf>,
}

impl CommandLine {
    pub fn new(program: &str) -> Self {
        CommandLine {
            program: program.to_string(),
            args: vec![],
            env: vec![],
            cwd: None,
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    /// As a shell would read it, for echoing (`+ docker buildx build ...`).
    pub fn display(&self) -> String {
        let mut words: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_word(v)))
            .collect();
        words.push(shell_word(&self.program));
        words.extend(self.args.iter().map(|a| shell_word(a)));
        words.join(" ")
    }

    pub fn to_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        if let Some(d) = &self.cwd {
            c.current_dir(d);
        }
        c
    }
}

/// Quote a word for display in a POSIX shell.
pub fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:=+@,%^".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------------------
// Names

/// A Compose-style project name: lowercase letters, digits, `-` and `_`,
/// starting with a letter or digit (what `docker compose` derives from the
/// folder, so `mlcontain build` and `docker compose` name images alike).
pub fn sanitize_project_name(raw: &str) -> String {
    let s: String = raw
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    let s = s.trim_start_matches(['-', '_']).to_string();
    if s.is_empty() {
        "app".to_string()
    } else {
        s
    }
}

/// The project: `COMPOSE_PROJECT_NAME` when set (as compose does), else the
/// folder's name; sanitised either way.
pub fn project_name(dir: &Path, compose_project_env: Option<&str>) -> String {
    if let Some(p) = compose_project_env.filter(|p| !p.trim().is_empty()) {
        return sanitize_project_name(p);
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    sanitize_project_name(&name)
}

/// The image of `target`: `<project>-<target>` (compose's own name for the
/// service's image), or `--tag`: used as given for one target, and with
/// `-<target>` added to the name (before any `:tag`) for several.
pub fn image_name(project: &str, target: &str, tag: Option<&str>, several: bool) -> String {
    match tag {
        None => format!("{project}-{target}"),
        Some(t) if !several => t.to_string(),
        Some(t) => {
            // The tag part is after the last ':' that follows the last '/'.
            let slash = t.rfind('/').map(|i| i + 1).unwrap_or(0);
            match t[slash..].find(['@', ':']) {
                Some(i) => {
                    let (name, rest) = t.split_at(slash + i);
                    format!("{name}-{target}{rest}")
                }
                None => format!("{t}-{target}"),
            }
        }
    }
}

/// The named stages of a Dockerfile (`FROM image AS name`), lowercased, in order.
/// The BuildKit secrets a Dockerfile mounts from the project
/// (`--mount=type=secret,id=ID,target=/app/PATH`): (id, PATH).
pub fn dockerfile_secrets(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    for word in text.split_whitespace() {
        let Some(spec) = word.strip_prefix("--mount=") else {
            continue;
        };
        let fields: Vec<&str> = spec.split(',').collect();
        if !fields.contains(&"type=secret") {
            continue;
        }
        let get = |k: &str| {
            fields
                .iter()
                .find_map(|f| f.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
        };
        if let (Some(id), Some(target)) = (get("id"), get("target")) {
            if let Some(rel) = target.strip_prefix("/app/") {
                let pair = (id.to_string(), rel.to_string());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

pub fn dockerfile_stages(text: &str) -> Vec<String> {
    let mut out = vec![];
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 4
            && words[0].eq_ignore_ascii_case("FROM")
            && words[words.len() - 2].eq_ignore_ascii_case("AS")
        {
            out.push(words[words.len() - 1].to_ascii_lowercase());
        }
    }
    out
}

/// The images of `FROM` lines that are not earlier stages (the base images).
pub fn dockerfile_base_images(text: &str) -> Vec<String> {
    let mut stages: Vec<String> = vec![];
    let mut out = vec![];
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 2 || !words[0].eq_ignore_ascii_case("FROM") {
            continue;
        }
        let image = words[1..]
            .iter()
            .find(|w| !w.starts_with("--"))
            .map(|w| w.to_string());
        if let Some(image) = image {
            if !stages.contains(&image.to_ascii_lowercase()) && !out.contains(&image) {
                out.push(image);
            }
        }
        if words.len() >= 4 && words[words.len() - 2].eq_ignore_ascii_case("AS") {
            stages.push(words[words.len() - 1].to_ascii_lowercase());
        }
    }
    out
}

/// The targets to build: `all` (every mlcontain target the Dockerfile has),
/// or a comma-separated list, each of which must be a stage of it.
pub fn select_targets(requested: &str, stages: &[String]) -> Result<Vec<String>, String> {
    let present: Vec<String> = TARGETS
        .iter()
        .filter(|t| stages.iter().any(|s| s == *t))
        .map(|t| t.to_string())
        .collect();
    let req = requested.trim().to_ascii_lowercase();
    if req == "all" || req.is_empty() {
        if present.is_empty() {
            return Err(format!(
                "the Dockerfile has none of the targets {} (its stages: {}); \
                 regenerate it with `mlcontain init --yes --force`, or name a stage with --target",
                TARGETS.join(", "),
                if stages.is_empty() {
                    "none".to_string()
                } else {
                    stages.join(", ")
                }
            ));
        }
        return Ok(present);
    }
    let mut out = vec![];
    for t in req.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !stages.iter().any(|s| s == t) {
            return Err(format!(
                "the Dockerfile has no target `{t}` (targets: {})",
                if present.is_empty() {
                    stages.join(", ")
                } else {
                    present.join(", ")
                }
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Command lines

/// The build of one target.
pub fn build_command(
    builder: Builder,
    dir: &Path,
    dockerfile: &Path,
    target: &str,
    image: &str,
    extra: &[String],
) -> CommandLine {
    let (mut c, head): (CommandLine, &[&str]) = match builder {
        Builder::Buildx => (CommandLine::new("docker"), &["buildx", "build", "--load"]),
        Builder::Classic => {
            let mut c = CommandLine::new("docker");
            c.env.push(("DOCKER_BUILDKIT".into(), "1".into()));
            (c, &["build"])
        }
        Builder::Podman => (CommandLine::new("podman"), &["build"]),
    };
    c = c
        .args(head.iter().copied())
        .args(["--target", target, "--tag", image, "--file"])
        .arg(dockerfile.display().to_string())
        .args(extra.iter().cloned())
        .arg(dir.display().to_string());
    c
}

/// `docker compose build` of the given services (all when empty).
pub fn compose_build_command(
    engine: Engine,
    dir: &Path,
    compose_file: &Path,
    services: &[String],
    extra: &[String],
) -> CommandLine {
    CommandLine::new(engine.program())
        .args(["compose", "--project-directory"])
        .arg(dir.display().to_string())
        .arg("--file")
        .arg(compose_file.display().to_string())
        .arg("build")
        .args(extra.iter().cloned())
        .args(services.iter().cloned())
}

/// The flags that give a container the GPUs.
pub fn gpu_flags(engine: Engine) -> Vec<String> {
    match engine {
        Engine::Docker => vec!["--gpus".into(), "all".into()],
        // Podman reaches GPUs through CDI (`nvidia-ctk cdi generate`).
        Engine::Podman => vec!["--device".into(), "nvidia.com/gpu=all".into()],
    }
}

/// `docker run --rm [gpus] --entrypoint python IMAGE -c SCRIPT`.
pub fn check_command(engine: Engine, image: &str, gpus: bool, script: &str) -> CommandLine {
    let mut c = CommandLine::new(engine.program()).args(["run", "--rm"]);
    if gpus {
        c = c.args(gpu_flags(engine));
    }
    c.args(["--entrypoint", "python", image, "-c", script])
}

/// `docker run -d` of the inference image for the health check, with a
/// short health interval (the image's HEALTHCHECK command itself is kept)
/// and the model volume mounted read-only when there is one.
pub fn health_run_command(
    engine: Engine,
    image: &str,
    name: &str,
    gpus: bool,
    model_volume: Option<(&str, &str)>,
) -> CommandLine {
    let mut c = CommandLine::new(engine.program())
        .args(["run", "--detach", "--name", name])
        .args(["--health-interval", "2s"]);
    if gpus {
        c = c.args(gpu_flags(engine));
    }
    if let Some((vol, path)) = model_volume {
        c = c.arg("--volume").arg(format!("{vol}:{path}:ro"));
    }
    c.arg(image)
}

// ---------------------------------------------------------------------------
// The check script

/// Python run inside the image: import the framework and run a small
/// computation; with `cuda`, on every GPU, failing when there is none.
/// It prints one line per check and exits non-zero on failure. The parts
/// are `assets/scripts/check/*.py`.
pub fn check_script(framework: &str, import: &str, cuda: bool, expect_gpus: usize) -> String {
    let body = match (framework, cuda) {
        ("pytorch", true) => check::PYTORCH_CUDA,
        ("pytorch", false) => check::PYTORCH_CPU,
        ("tensorflow", true) => check::TENSORFLOW_CUDA,
        ("tensorflow", false) => check::TENSORFLOW_CPU,
        ("jax", true) => check::JAX_CUDA,
        ("jax", false) => check::JAX_CPU,
        ("sklearn", _) => check::SKLEARN,
        ("xgboost", true) => check::XGBOOST_CUDA,
        ("xgboost", false) => check::XGBOOST_CPU,
        ("lightgbm", _) => check::LIGHTGBM,
        // No framework: ask the CUDA driver API directly.
        (_, true) => check::CUDA_DRIVER,
        (_, false) => "",
    };
    let mut s = fill(
        check::PRELUDE,
        &[(check::EXPECT_GPUS, &expect_gpus.to_string())],
    );
    if body.is_empty() && !import.is_empty() {
        s.push_str(&fill(check::IMPORT_ONLY, &[(check::IMPORT, import)]));
    } else {
        s.push_str(body);
    }
    s.push_str(check::DONE);
    s
}

// ---------------------------------------------------------------------------
// Failures

/// What the engine's stderr says went wrong, with the fix: one paragraph
/// per known cause found (none when the cause is not a known one).
pub fn explain_build_failure(stderr: &str, engine: Engine) -> Vec<String> {
    let mut out = explain_engine_access(stderr, engine);
    let lower = stderr.to_ascii_lowercase();
    let unreachable = registry_unreachable(&lower);
    let base = if crate::diagnose::is_dependency_failure(stderr) {
        None
    } else {
        missing_base_image(stderr)
    };
    if let (Some(image), true) = (&base, unreachable) {
        out.push(format!(
            "The registry of the base image `{image}` is unreachable from here (the engine \
             could not resolve or connect to it), so the build stopped at FROM.\n\
             Use the registry or mirror your machines can reach: `mlcontain init --yes --force \
             --registry HOST/PATH` prefixes every image (or `--base-image IMAGE` replaces the \
             runtime image; both are saved in mlcontain.yaml), then build again. With an \
             image already loaded locally, check its exact name with `{prog} images`.",
            prog = engine.program()
        ));
    } else if let Some(image) = base {
        out.push(format!(
            "The base image `{image}` could not be found or pulled (no such image, no access, \
             or the registry is unreachable from here).\n\
             Check it with `{prog} pull {image}` (log in with `{prog} login` for a private registry). \
             If your machines use a private registry or a mirror, set it in mlcontain.yaml \
             (`registry: registry.example.com/hub` prefixes every image; `base_image: IMAGE` \
             replaces the runtime image) or with `mlcontain init --yes --force --registry HOST/PATH` \
             / `--base-image IMAGE`, which regenerates the Dockerfile.",
            prog = engine.program()
        ));
    } else if lower.contains("toomanyrequests") {
        out.push(format!(
            "The registry refused the pull: Docker Hub's rate limit. Log in (`{} login`) or set a \
             mirror with `registry:` in mlcontain.yaml (`mlcontain init --yes --force --registry HOST/PATH`).",
            engine.program()
        ));
    }
    if lower.contains("docker exporter does not currently support exporting manifest lists")
        || lower.contains("multiple platforms feature is currently not supported for docker driver")
    {
        out.push(
            "A multi-platform image cannot be loaded into this engine's image store. Enable the \
             containerd image store (Docker Engine: `\"features\": {\"containerd-snapshotter\": true}` \
             in /etc/docker/daemon.json, then restart it), use a docker-container builder \
             (`docker buildx create --use --driver docker-container`) and push instead of loading \
             (`mlcontain build --platform linux/amd64,linux/arm64 --tag REGISTRY/NAME -- --push`), \
             or build one platform at a time."
                .to_string(),
        );
    }
    if lower.contains("exec format error") {
        out.push(
            "A RUN step ran a binary for another CPU: building for a foreign platform needs QEMU \
             emulation registered with the kernel (`docker run --privileged --rm tonistiigi/binfmt --install all`), \
             or build on a machine of that platform."
                .to_string(),
        );
    }
    if lower.contains("no match for platform in manifest") {
        out.push(
            "A base image has no variant for the requested platform: choose a base image published \
             for it (`mlcontain init --base-image IMAGE`), or build for the platforms it has."
                .to_string(),
        );
    }
    if lower.contains("no space left on device") {
        out.push(format!(
            "The disk is full (no space left on device). See what uses it with `{p} system df`; \
             free space with `{p} builder prune` (build cache) and `{p} image prune` (unused images), \
             or move the engine's data-root to a larger disk.",
            p = engine.program()
        ));
    }
    // The dependency step's real cause: a compile from source (no wheel for
    // this Python), no matching distribution, an index it cannot reach. Not
    // repeated when the base image's registry was the unreachable host.
    if !(unreachable && missing_base_image(stderr).is_some()) {
        out.extend(crate::diagnose::explain_dependency_failure(stderr));
    }
    out
}

/// The engine could not reach a registry: name resolution or connection failed.
fn registry_unreachable(lower: &str) -> bool {
    lower.contains("failed to do request")
        && [
            "no such host",
            "dial tcp",
            "i/o timeout",
            "connection refused",
            "network is unreachable",
            "temporary failure in name resolution",
        ]
        .iter()
        .any(|m| lower.contains(m))
}

/// Daemon not running, socket permission, hung daemon.
pub fn explain_engine_access(stderr: &str, engine: Engine) -> Vec<String> {
    let lower = stderr.to_ascii_lowercase();
    let mut out = vec![];
    if lower.contains("permission denied")
        && (lower.contains("docker.sock") || lower.contains("docker daemon socket"))
    {
        out.push(
            "Permission denied on the Docker socket: your user may not talk to the daemon.\n\
             Add yourself to the docker group and start a new login session:\n  \
             sudo usermod -aG docker \"$USER\"   # then log out and back in (or `newgrp docker`)\n\
             (The docker group is root-equivalent; rootless Docker is the alternative.)"
                .into(),
        );
    } else if lower.contains("cannot connect to the docker daemon")
        || lower.contains("is the docker daemon running")
        || lower.contains("error during connect")
        || (engine == Engine::Podman && lower.contains("unable to connect to podman"))
    {
        out.push(match engine {
            Engine::Docker => {
                "The Docker daemon is not running. Start it: `sudo systemctl start docker` \
                 (Docker Desktop: start the application), then check with `docker info`."
                    .into()
            }
            Engine::Podman => {
                "Podman's service is not reachable: `podman machine start` (macOS/Windows) \
                 or `systemctl --user start podman.socket`, then check with `podman info`."
                    .into()
            }
        });
    }
    out
}

/// The image named by a failed pull or resolve in BuildKit's/the classic
/// builder's error text.
pub fn missing_base_image(stderr: &str) -> Option<String> {
    let lower = stderr.to_ascii_lowercase();
    let markers = [
        "failed to resolve source metadata for ",
        "pull access denied for ",
        "manifest for ",
        "failed to fetch anonymous token",
    ];
    // `not found` and a docker.io reference on the same line (BuildKit's
    // progress names docker.io in its metadata lines; a compiler's `not
    // found` elsewhere in the log is not about the image).
    let known = markers.iter().any(|m| lower.contains(m))
        || lower.contains("repository does not exist")
        || lower
            .lines()
            .any(|l| l.contains("not found") && l.contains("docker.io/"));
    if !known {
        return None;
    }
    for m in &markers[..3] {
        if let Some(i) = lower.find(m) {
            let rest = &stderr[i + m.len()..];
            let word: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ',')
                .collect();
            // "…for docker.io/library/python:3.11-slim: failed to …" -> drop the trailing ':'.
            let word = word.trim_end_matches(':').to_string();
            if !word.is_empty() {
                return Some(short_image(&word));
            }
        }
    }
    Some("(see the error above)".into())
}

/// `docker.io/library/python:3.11-slim` -> `python:3.11-slim`.
fn short_image(image: &str) -> String {
    let s = image.strip_prefix("docker.io/").unwrap_or(image);
    s.strip_prefix("library/").unwrap_or(s).to_string()
}

/// Host facts that make a run failure's explanation precise.
#[derive(Clone, Debug, Default)]
pub struct GpuContext {
    /// The CUDA version the image uses (`12.4`).
    pub image_cuda: Option<String>,
    /// The lowest driver that runs it.
    pub min_driver: Option<String>,
    /// The host driver and the newest CUDA it supports.
    pub driver: Option<String>,
    pub driver_cuda: Option<String>,
    /// `NVIDIA H100 (sm_90)` labels.
    pub gpus: Vec<String>,
    pub framework_name: String,
}

/// Explanations of a failed `docker run` (or of the check's output).
pub fn explain_run_failure(text: &str, engine: Engine, ctx: &GpuContext) -> Vec<String> {
    let mut out = explain_engine_access(text, engine);
    let lower = text.to_ascii_lowercase();
    if lower.contains("could not select device driver") {
        out.push(
            "Docker cannot give containers the GPUs: the NVIDIA Container Toolkit is missing or \
             not configured for Docker (`could not select device driver \"\" with capabilities: [[gpu]]`).\n\
             Install it (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), then:\n  \
             sudo apt-get install -y nvidia-container-toolkit\n  \
             sudo nvidia-ctk runtime configure --runtime=docker\n  \
             sudo systemctl restart docker\n\
             Check with `docker run --rm --gpus all IMAGE nvidia-smi`. (No GPU on this machine? \
             `mlcontain verify --no-gpus` checks the image without them.)"
                .into(),
        );
    }
    if lower.contains("unresolvable cdi devices")
        || (lower.contains("nvidia.com/gpu") && lower.contains("cdi"))
    {
        out.push(
            "Podman found no CDI specification for the NVIDIA GPUs. Generate it:\n  \
             sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml\n\
             and check with `nvidia-ctk cdi list`."
                .into(),
        );
    }
    if let Some(cond) = unsatisfied_cuda(text) {
        let need = cond
            .split(">=")
            .nth(1)
            .map(str::to_string)
            .or_else(|| ctx.image_cuda.clone())
            .unwrap_or_else(|| "?".into());
        let host = match (&ctx.driver, &ctx.driver_cuda) {
            (Some(d), Some(c)) => format!("this host's driver {d} supports CUDA up to {c}"),
            (Some(d), None) => format!("this host's driver is {d}"),
            _ => "this host's driver is older".to_string(),
        };
        let older = ctx
            .driver_cuda
            .as_deref()
            .map(|c| format!("--cuda {c}"))
            .unwrap_or_else(|| "--cuda X.Y".into());
        let min = ctx
            .min_driver
            .as_deref()
            .map(|m| format!(" ({m} or newer)"))
            .unwrap_or_default();
        out.push(format!(
            "The image needs CUDA {need} (`{cond}`), but {host}: the driver is too old for the image.\n\
             Two ways out:\n  \
             1. Use an older CUDA that this driver runs: `mlcontain init --yes --force {older}`, then \
             `mlcontain build` again (mlcontain offers only builds the driver can run).\n  \
             2. Update the NVIDIA driver{min} and reboot."
        ));
    } else if lower.contains("cuda driver version is insufficient") {
        out.push(format!(
            "The CUDA driver is older than the CUDA runtime in the image{}. Use an older CUDA \
             (`mlcontain init --yes --force --cuda X.Y`) or update the NVIDIA driver{}.",
            ctx.image_cuda
                .as_deref()
                .map(|c| format!(" (CUDA {c})"))
                .unwrap_or_default(),
            ctx.min_driver
                .as_deref()
                .map(|m| format!(" to {m} or newer"))
                .unwrap_or_default(),
        ));
    }
    if lower.contains("no kernel image is available") {
        let gpus = if ctx.gpus.is_empty() {
            "this GPU".to_string()
        } else {
            ctx.gpus.join(", ")
        };
        let fw = if ctx.framework_name.is_empty() {
            "the framework".to_string()
        } else {
            ctx.framework_name.clone()
        };
        out.push(format!(
            "No kernel image is available for {gpus}: the {fw} build in the image was not compiled for \
             this GPU's architecture (too new a GPU for an old build, or too old a GPU for a build \
             that dropped it).\n\
             Fix: use a {fw} build whose architecture list includes it. Run `mlcontain init` on this \
             host (it checks every GPU's compute capability against each build and offers only those \
             that carry kernels for it), e.g. `mlcontain init --yes --force --framework-version V --cuda X.Y`, \
             then `mlcontain build` again."
        ));
    }
    out
}

/// `unsatisfied condition: cuda>=12.4, please update your driver…` -> `cuda>=12.4`.
pub fn unsatisfied_cuda(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let m = "unsatisfied condition: ";
    let i = lower.find(m)?;
    let cond: String = lower[i + m.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '"' && *c != '\'')
        .collect();
    (!cond.is_empty()).then_some(cond)
}

/// `docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
    /// The container has no HEALTHCHECK.
    None,
    /// The container stopped (its state: exited, dead).
    Stopped(String),
}

pub fn parse_health(inspect: &str) -> Health {
    let mut w = inspect.split_whitespace();
    let state = w.next().unwrap_or("").to_string();
    let health = w.next().unwrap_or("");
    if matches!(state.as_str(), "exited" | "dead" | "removing") {
        return Health::Stopped(state);
    }
    match health {
        "healthy" => Health::Healthy,
        "unhealthy" => Health::Unhealthy,
        "starting" => Health::Starting,
        "" if state == "running" => Health::None,
        _ => Health::Starting,
    }
}

/// The process's exit code from a child's status (signals -> 128 + n; 1 when unknown).
pub fn exit_code(status: Option<std::process::ExitStatus>) -> u8 {
    let Some(status) = status else { return 1 };
    if let Some(c) = status.code() {
        return u8::try_from(c).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return u8::try_from(128 + sig).unwrap_or(1);
        }
    }
    1
}

// ---------------------------------------------------------------------------
// Running (not pure)

/// The tail of a stream kept for explanations.
const CAPTURE_CAP: usize = 256 * 1024;

/// Runs `c` with stdin and stdout inherited and stderr both streamed to our
/// stderr and captured (the last 256 KiB): the user sees the engine's own
/// progress, and a failure can be explained from what it said.
pub fn run_tee(c: &CommandLine) -> std::io::Result<(Option<std::process::ExitStatus>, String)> {
    run_tee_with(c, false)
}

/// [`run_tee`]; with `stdout_to_stderr` the child's stdout goes to our
/// stderr too (stdout is kept for `--json`).
pub fn run_tee_with(
    c: &CommandLine,
    stdout_to_stderr: bool,
) -> std::io::Result<(Option<std::process::ExitStatus>, String)> {
    let mut cmd = c.to_command();
    cmd.stdin(Stdio::inherit())
        .stdout(if stdout_to_stderr {
            Stdio::from(std::io::stderr())
        } else {
            Stdio::inherit()
        })
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut err = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut captured: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        let stderr = std::io::stderr();
        loop {
            match err.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let mut lock = stderr.lock();
                    let _ = lock.write_all(&buf[..n]);
                    let _ = lock.flush();
                    captured.extend_from_slice(&buf[..n]);
                    if captured.len() > 2 * CAPTURE_CAP {
                        captured.drain(..captured.len() - CAPTURE_CAP);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        String::from_utf8_lossy(&captured).into_owned()
    });
    let status = child.wait()?;
    let captured = reader.join().unwrap_or_default();
    Ok((Some(status), captured))
}

/// Runs `c` quietly with a deadline (the child and its group are killed
/// when it passes).
pub fn run_quiet(c: &CommandLine, deadline: Duration) -> crate::detect::tools::Run {
    let path: OsString = std::env::var_os("PATH").unwrap_or_default();
    let program = crate::detect::tools::find_in_path(&c.program, &path)
        .unwrap_or_else(|| PathBuf::from(&c.program));
    let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
    crate::detect::tools::run(&program, &args, &path, Instant::now() + deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_follow_compose() {
        assert_eq!(sanitize_project_name("My Project.v2"), "myprojectv2");
        assert_eq!(sanitize_project_name("_x-Y_z"), "x-y_z");
        assert_eq!(sanitize_project_name("..."), "app");
        assert_eq!(
            project_name(Path::new("/tmp/Sample-CPU"), None),
            "sample-cpu"
        );
        assert_eq!(
            project_name(Path::new("/tmp/Sample-CPU"), Some("E2E_1")),
            "e2e_1"
        );
        assert_eq!(project_name(Path::new("/tmp/x"), Some(" ")), "x");
    }

    #[test]
    fn image_names() {
        assert_eq!(image_name("p", "training", None, true), "p-training");
        assert_eq!(
            image_name("p", "training", Some("me/img:1"), false),
            "me/img:1"
        );
        assert_eq!(
            image_name("p", "dev", Some("reg.io:5000/me/img:1.0"), true),
            "reg.io:5000/me/img-dev:1.0"
        );
        assert_eq!(image_name("p", "dev", Some("img"), true), "img-dev");
        assert_eq!(
            image_name("p", "dev", Some("img@sha256:ab"), true),
            "img-dev@sha256:ab"
        );
    }

    const DF: &str = "# x\nFROM python:3.11-slim AS base\nRUN x\nFROM base AS builder\n\
                      FROM --platform=linux/amd64 nvidia/cuda:12.4.1-devel-ubuntu22.04 AS cuda\n\
                      from base as Runtime\nFROM runtime AS training\nFROM runtime AS inference\n\
                      FROM builder AS dev\n";

    #[test]
    fn stages_and_bases() {
        assert_eq!(
            dockerfile_stages(DF),
            vec![
                "base",
                "builder",
                "cuda",
                "runtime",
                "training",
                "inference",
                "dev"
            ]
        );
        assert_eq!(
            dockerfile_base_images(DF),
            vec!["python:3.11-slim", "nvidia/cuda:12.4.1-devel-ubuntu22.04"]
        );
    }

    #[test]
    fn targets() {
        let st = dockerfile_stages(DF);
        assert_eq!(
            select_targets("all", &st).unwrap(),
            vec!["training", "inference", "dev"]
        );
        assert_eq!(
            select_targets("inference,training,inference", &st).unwrap(),
            vec!["inference", "training"]
        );
        assert_eq!(select_targets("runtime", &st).unwrap(), vec!["runtime"]);
        let e = select_targets("serve", &st).unwrap_err();
        assert!(
            e.contains("no target `serve`") && e.contains("training, inference, dev"),
            "{e}"
        );
        assert!(select_targets("all", &["base".into()]).is_err());
    }

    #[test]
    fn build_lines() {
        let dir = Path::new("/r/p");
        let df = dir.join("Dockerfile");
        let extra = vec!["--progress=plain".to_string()];
        let c = build_command(Builder::Buildx, dir, &df, "training", "p-training", &extra);
        assert_eq!(
            c.display(),
            "docker buildx build --load --target training --tag p-training --file /r/p/Dockerfile --progress=plain /r/p"
        );
        let c = build_command(Builder::Classic, dir, &df, "dev", "p-dev", &[]);
        assert_eq!(
            c.display(),
            "DOCKER_BUILDKIT=1 docker build --target dev --tag p-dev --file /r/p/Dockerfile /r/p"
        );
        let c = build_command(Builder::Podman, dir, &df, "dev", "p-dev", &[]);
        assert_eq!(c.program, "podman");
        let c = compose_build_command(
            Engine::Docker,
            dir,
            &dir.join("compose.yaml"),
            &["training".into()],
            &extra,
        );
        assert_eq!(
            c.display(),
            "docker compose --project-directory /r/p --file /r/p/compose.yaml build --progress=plain training"
        );
    }

    #[test]
    fn run_lines() {
        let c = check_command(Engine::Docker, "img", true, "print(1)");
        assert_eq!(
            c.display(),
            "docker run --rm --gpus all --entrypoint python img -c 'print(1)'"
        );
        let c = check_command(Engine::Podman, "img", true, "x");
        assert!(c.display().contains("--device nvidia.com/gpu=all"));
        let c = health_run_command(
            Engine::Docker,
            "img",
            "n",
            false,
            Some(("p_models", "/app/models")),
        );
        assert_eq!(
            c.display(),
            "docker run --detach --name n --health-interval 2s --volume p_models:/app/models:ro img"
        );
    }

    #[test]
    fn engines() {
        assert_eq!(Engine::choose(None, true, true), Ok(Engine::Docker));
        assert_eq!(Engine::choose(None, false, true), Ok(Engine::Podman));
        assert_eq!(
            Engine::choose(Some("podman"), true, true),
            Ok(Engine::Podman)
        );
        assert!(Engine::choose(None, false, false).is_err());
        assert!(Engine::choose(Some("nerdctl"), true, false).is_err());
    }

    #[test]
    fn scripts_compile_shape() {
        for fw in crate::catalog::Catalog::embedded().framework_ids() {
            for cuda in [false, true] {
                let s = check_script(fw, "x", cuda, 2);
                assert!(s.ends_with("print('OK', flush=True)\n"), "{fw}");
                assert!(!s.contains("\n \n"), "{fw}: stray indentation");
                // Valid Python, where a python3 is at hand to parse it.
                if let Ok(mut child) = Command::new("python3")
                    .args(["-c", "import ast, sys; ast.parse(sys.stdin.read())"])
                    .stdin(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                {
                    child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
                    let out = child.wait_with_output().unwrap();
                    assert!(
                        out.status.success(),
                        "{fw} cuda={cuda}: {}\n{s}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
        assert!(check_script("pytorch", "torch", true, 0).contains("torch.cuda.is_available()"));
        assert!(check_script("tensorflow", "tensorflow", true, 0)
            .contains("list_physical_devices('GPU')"));
        assert!(check_script("jax", "jax", true, 0).contains("jax.devices()"));
        assert!(check_script("none", "", true, 0).contains("cuInit"));
    }

    #[test]
    fn an_unreachable_registry_names_the_flags() {
        // BuildKit's words when FROM's registry cannot be resolved (engine 26, offline).
        let e = explain_build_failure(
            "ERROR: failed to solve: python:3.12-slim: failed to resolve source metadata for docker.io/library/python:3.12-slim: failed to do request: Head \"https://registry-1.docker.io/v2/library/python/manifests/3.12-slim\": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host",
            Engine::Docker,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("unreachable") && e[0].contains("python:3.12-slim"),
            "{e:?}"
        );
        assert!(e[0].contains("--registry HOST/PATH") && e[0].contains("--base-image IMAGE"));
    }

    #[test]
    fn build_failures() {
        let e = explain_build_failure(
            "ERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
            Engine::Docker,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("systemctl start docker"));
        let e = explain_build_failure(
            "ERROR: permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Head \"http://%2Fvar%2Frun%2Fdocker.sock/_ping\": dial unix /var/run/docker.sock: connect: permission denied",
            Engine::Docker,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("usermod -aG docker"));
        let e = explain_build_failure(
            "ERROR: failed to solve: python:3.11-slim: failed to resolve source metadata for docker.io/library/python:3.11-slim: pull access denied, repository does not exist or may require authorization",
            Engine::Docker,
        );
        assert_eq!(e.len(), 1);
        assert!(
            e[0].contains("`python:3.11-slim`") && e[0].contains("registry:"),
            "{e:?}"
        );
        let e = explain_build_failure(
            "Error response from daemon: pull access denied for myorg/base, repository does not exist",
            Engine::Docker,
        );
        assert!(e[0].contains("`myorg/base`"), "{e:?}");
        let e = explain_build_failure(
            "ERROR: failed to solve: failed to copy: write /var/lib/docker/x: no space left on device",
            Engine::Docker,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("builder prune"));
        assert!(explain_build_failure(
            "ERROR: process \"/bin/sh -c false\" did not complete",
            Engine::Docker
        )
        .is_empty());
        // A compile failure is not a missing base image, even with BuildKit's
        // docker.io metadata line and a compiler's `not found` in the log.
        let e = explain_build_failure(
            "#1 [internal] load metadata for docker.io/library/python:3.12-slim\n\
             #9 3.0   Downloading numpy-1.22.0.zip (11.3 MB)\n\
             #9 20.0   sh: 1: gcc: not found\n\
             #9 20.1   ERROR: Failed building wheel for numpy\n",
            Engine::Docker,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("numpy 1.22.0") && e[0].contains("3.8–3.10"),
            "{e:?}"
        );
    }

    #[test]
    fn run_failures() {
        let ctx = GpuContext {
            image_cuda: Some("12.4".into()),
            min_driver: Some("525.60.13".into()),
            driver: Some("470.82.01".into()),
            driver_cuda: Some("11.4".into()),
            gpus: vec!["H100 80GB HBM3 (sm_90)".into()],
            framework_name: "PyTorch".into(),
        };
        let e = explain_run_failure(
            "docker: Error response from daemon: could not select device driver \"\" with capabilities: [[gpu]].",
            Engine::Docker,
            &ctx,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("nvidia-ctk runtime configure --runtime=docker"));
        let e = explain_run_failure(
            "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.4, please update your driver to a newer version, or use an earlier cuda container: unknown.",
            Engine::Docker,
            &ctx,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("CUDA 12.4 (`cuda>=12.4`)"), "{}", e[0]);
        assert!(
            e[0].contains("--cuda 11.4") && e[0].contains("525.60.13 or newer"),
            "{}",
            e[0]
        );
        let e = explain_run_failure(
            "RuntimeError: CUDA error: no kernel image is available for execution on the device",
            Engine::Docker,
            &ctx,
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("H100 80GB HBM3 (sm_90)") && e[0].contains("PyTorch build"));
        let e = explain_run_failure(
            "Error: setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=all",
            Engine::Podman,
            &ctx,
        );
        assert!(e[0].contains("nvidia-ctk cdi generate"));
    }

    #[test]
    fn health_states() {
        assert_eq!(parse_health("running healthy"), Health::Healthy);
        assert_eq!(parse_health("running starting"), Health::Starting);
        assert_eq!(parse_health("running unhealthy"), Health::Unhealthy);
        assert_eq!(parse_health("running"), Health::None);
        assert_eq!(
            parse_health("exited unhealthy"),
            Health::Stopped("exited".into())
        );
        assert_eq!(parse_health("created starting"), Health::Starting);
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("--progress=plain"), "--progress=plain");
    }
}
