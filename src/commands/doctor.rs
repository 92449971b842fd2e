//! `mlcontain doctor`: can this host run GPU containers, and if not, the
//! exact commands that fix it.
//!
//! [`checks`] is a pure function of [`Facts`]; [`run`] detects and prints.
//! The exit code is 1 when a check fails (a failure blocks containers: the
//! Docker daemon is unreachable, or a GPU is present but Docker has no
//! NVIDIA runtime or CDI specs), else 0.

use crate::catalog::{Catalog, Framework, KernelFit, Release};
use crate::choices::Choices;
use crate::compat::{
    gpu_ccs, has_kernels, majors_too_old, newest_fitting, oldest_fitting_after, pinned_builds,
};
use crate::detect::{detect_all, DEFAULT_DEADLINE};
use crate::facts::{DaemonState, Facts, Gpu};
use crate::version::ComputeCapability;
use anyhow::{bail, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

pub const TOOLKIT_INSTALL_URL: &str =
    "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html";
pub const CONFIGURE_RUNTIME: &str =
    "sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub status: Status,
    pub title: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<String>,
    /// The exact command or step that fixes a warning or failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(status: Status, title: impl Into<String>) -> Self {
        Check {
            status,
            title: title.into(),
            detail: Vec::new(),
            fix: None,
        }
    }
    fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail.push(d.into());
        self
    }
    fn fix(mut self, f: impl Into<String>) -> Self {
        self.fix = Some(f.into());
        self
    }
}

/// Detects, prints the checks (coloured on a terminal, or JSON), and
/// returns the exit code.
pub fn run(dir: &Path, json: bool) -> Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let facts = detect_all(dir, DEFAULT_DEADLINE);
    // The project's own answers, when it has them.
    let answers = match crate::usecase::session::load_saved(dir) {
        Ok(Some(saved)) => saved.to_choices(),
        _ => Choices::default(),
    };
    let list = checks_for(&facts, &answers);
    if json {
        println!("{}", serde_json::to_string_pretty(&to_json(&list))?);
    } else if crate::term::stdout_colour() {
        print!("{}", render_coloured(&list));
    } else {
        print!("{}", render(&list));
    }
    Ok(exit_code(&list))
}

/// `doctor --json`: `{"checks": [...], "failed": N, "warnings": N, "ok": bool}`.
pub fn to_json(checks: &[Check]) -> serde_json::Value {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    serde_json::json!({
        "checks": checks,
        "failed": count(Status::Fail),
        "warnings": count(Status::Warn),
        "ok": count(Status::Fail) == 0,
    })
}

/// [`render`] with the status words coloured (green, yellow, red).
pub fn render_coloured(checks: &[Check]) -> String {
    let text = render(checks);
    let mut o = String::with_capacity(text.len() + checks.len() * 12);
    for line in text.lines() {
        let (word, colour) = if let Some(rest) = line.strip_prefix("PASS") {
            (Some(("PASS", rest)), "32")
        } else if let Some(rest) = line.strip_prefix("WARN") {
            (Some(("WARN", rest)), "33")
        } else if let Some(rest) = line.strip_prefix("FAIL") {
            (Some(("FAIL", rest)), "1;31")
        } else {
            (None, "")
        };
        match word {
            Some((w, rest)) => o.push_str(&format!("\x1b[{colour}m{w}\x1b[0m{rest}\n")),
            None if line.trim_start().starts_with("fix:") => {
                o.push_str(&format!("\x1b[36m{line}\x1b[0m\n"))
            }
            None => {
                o.push_str(line);
                o.push('\n');
            }
        }
    }
    o
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// 1 when any check failed, else 0.
pub fn exit_code(checks: &[Check]) -> u8 {
    u8::from(checks.iter().any(|c| c.status == Status::Fail))
}

/// The report text.
pub fn render(checks: &[Check]) -> String {
    let mut o = String::new();
    for c in checks {
        let _ = writeln!(o, "{}  {}", c.status.label(), c.title);
        for d in &c.detail {
            let _ = writeln!(o, "      {d}");
        }
        if let Some(f) = &c.fix {
            let _ = writeln!(o, "      fix: {f}");
        }
    }
    let fails = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warns = checks.iter().filter(|c| c.status == Status::Warn).count();
    let _ = writeln!(o);
    let warns = plural(warns, "warning", "warnings");
    if fails > 0 {
        let _ = writeln!(
            o,
            "{} failed: containers will not run (on the GPU) until fixed; {warns}.",
            plural(fails, "check", "checks")
        );
    } else {
        let _ = writeln!(o, "No blocking problems; {warns}.");
    }
    o
}

/// All checks, in report order.
pub fn checks(f: &Facts) -> Vec<Check> {
    checks_for(f, &Choices::default())
}

/// All checks, judged for this project: `answers` are its saved answers
/// (mlcontain.yaml) or none. A CPU-only plan needs no GPU, so GPU problems
/// do not fail it; every `mlcontain init …` a fix suggests is planned on
/// these facts first, and replaced by what does run here when it fails.
pub fn checks_for(f: &Facts, answers: &Choices) -> Vec<Check> {
    let cat = Catalog::embedded();
    let mut out = Vec::new();
    driver_checks(f, cat, &mut out);
    for g in &f.gpus {
        gpu_checks(g, &mut out);
    }
    arch_checks(f, cat, &mut out);
    docker_checks(f, &mut out);
    project_checks(f, &mut out);
    plan_check(f, answers, &mut out);
    vet_suggestions(f, answers, &mut out);
    out
}

/// What this project's plan needs of the host.
fn plan_check(f: &Facts, answers: &Choices, out: &mut Vec<Check>) {
    match crate::plan::plan(f, answers) {
        Ok(p) => {
            let what = match &p.framework_version {
                Some(v) => format!("{} {v}", p.framework_name),
                None => p.framework_name.clone(),
            };
            match &p.cuda {
                Some(c) => out.push(Check::new(
                    Status::Pass,
                    format!(
                        "This project runs here: {what}, CUDA {}, Python {}",
                        c.version, p.python
                    ),
                )),
                None => {
                    // A project that needs no GPU (its framework has no CUDA
                    // builds, or its answers say CPU): GPU problems do not
                    // block it. (A GPU project planned for the CPU because of
                    // this host's problems still fails on them.)
                    let cpu_project = answers.cuda == Some(crate::choices::Accel::Cpu)
                        || Catalog::embedded()
                            .framework(&p.framework)
                            .is_some_and(|fw| !fw.supports_cuda());
                    for c in out
                        .iter_mut()
                        .filter(|c| cpu_project && c.status == Status::Fail && gpu_related(c))
                    {
                        c.status = Status::Warn;
                        c.detail
                            .push("not needed by this project: its plan is CPU-only".into());
                    }
                    out.push(
                        Check::new(
                            Status::Pass,
                            format!(
                                "This project runs here: {what} on the CPU, Python {}",
                                p.python
                            ),
                        )
                        .detail("it needs no GPU"),
                    );
                }
            }
        }
        Err(e @ crate::plan::PlanError::Incompatible(_)) => {
            let fixes = crate::fixes::fixes(f, answers);
            let mut c = Check::new(Status::Fail, "This project cannot run here as it stands")
                .detail(crate::fixes::reason(&e));
            if !fixes.is_empty() {
                c = c.fix(crate::fixes::render_fixes(&fixes));
            }
            out.push(c);
        }
        Err(e) => out.push(
            Check::new(Status::Warn, "mlcontain cannot plan this project yet")
                .detail(e.to_string()),
        ),
    }
}

fn gpu_related(c: &Check) -> bool {
    let t = c.title.to_ascii_lowercase();
    ["gpu", "nvidia", "cdi", "toolkit"]
        .iter()
        .any(|w| t.contains(w))
}

/// Every `mlcontain init …` a fix quotes must plan on this host; when one
/// does not, the fix says what blocks it and what does run here.
fn vet_suggestions(f: &Facts, answers: &Choices, out: &mut [Check]) {
    let here = crate::fixes::fixes(f, answers);
    for c in out.iter_mut() {
        let Some(fix) = &c.fix else {
            continue;
        };
        let failing: Vec<(String, String)> = crate::fixes::quoted_commands(fix)
            .into_iter()
            .filter_map(|cmd| {
                crate::fixes::suggestion_plans(f, answers, &cmd)
                    .err()
                    .map(|e| (cmd, e))
            })
            .collect();
        if failing.is_empty() {
            continue;
        }
        for (cmd, e) in &failing {
            c.detail.push(format!("{cmd} would not plan here: {e}"));
        }
        c.fix = (!here.is_empty()).then(|| crate::fixes::render_fixes(&here));
    }
}

fn driver_checks(f: &Facts, cat: &Catalog, out: &mut Vec<Check>) {
    if !f.nvml.available {
        use crate::facts::NvmlFailure;
        let err = f.nvml.error.clone().unwrap_or_default();
        let c = match &f.nvml.failure {
            Some(NvmlFailure::TimedOut { .. }) => {
                Check::new(Status::Warn, "The NVIDIA driver did not answer")
                    .detail(err)
                    .fix("run `nvidia-smi`; a driver that hangs usually needs a reboot")
            }
            Some(NvmlFailure::LibraryMissing { .. }) => {
                Check::new(Status::Warn, "No NVIDIA driver: containers will be CPU-only")
                    .detail(err)
                    .fix("if this machine has an NVIDIA GPU, install the NVIDIA driver (`sudo ubuntu-drivers install` on Ubuntu, or https://www.nvidia.com/drivers)")
            }
            _ => Check::new(Status::Warn, "NVML is not usable: GPUs cannot be checked")
                .detail(err)
                .fix("run `nvidia-smi` to see what the driver says"),
        };
        out.push(c);
        return;
    }
    let Some(d) = &f.driver else {
        let mut c = Check::new(Status::Warn, "Could not read the NVIDIA driver version");
        if let Some(e) = &f.nvml.error {
            c = c.detail(e.clone());
        }
        out.push(c.fix("run `nvidia-smi`"));
        return;
    };
    let cuda = d
        .cuda_max
        .as_ref()
        .map(|c| format!(" (CUDA ≤ {c})"))
        .unwrap_or_default();
    // Majors the driver is too old for, lowest first.
    let too_old = majors_too_old(cat, d);
    let blocking = too_old.iter().find(|(m, _)| *m <= 12);
    match blocking {
        Some((major, min)) => out.push(
            Check::new(
                Status::Warn,
                format!(
                    "NVIDIA driver {}{cuda} is too old for CUDA {major}",
                    d.version
                ),
            )
            .detail("current framework builds need CUDA 12 or newer")
            .fix(format!(
                "update the NVIDIA driver to ≥ {min} (CUDA {major}.x), e.g. `sudo ubuntu-drivers install`"
            )),
        ),
        None => {
            let mut c = Check::new(Status::Pass, format!("NVIDIA driver {}{cuda}", d.version));
            if let Some((major, min)) = too_old.first() {
                c = c.detail(format!(
                    "CUDA {major} builds need driver ≥ {min}; update the driver to use them"
                ));
            } else if let (Some(newest), Some(max)) = (cat.cuda.last(), &d.cuda_max) {
                if &newest.version > max && d.version < newest.min_driver {
                    c = c.detail(format!(
                        "CUDA {} images run through minor-version compatibility; driver ≥ {} runs them natively",
                        newest.version, newest.min_driver
                    ));
                }
            }
            out.push(c);
        }
    }
    if f.gpus.is_empty() {
        out.push(
            Check::new(
                Status::Warn,
                "The NVIDIA driver is loaded, but no GPU is visible",
            )
            .fix("check `nvidia-smi`; in a VM or container the GPU must be passed through"),
        );
    }
}

fn gpu_checks(g: &Gpu, out: &mut Vec<Check>) {
    let mem = g
        .memory_mib
        .map(|m| format!(", {m} MiB"))
        .unwrap_or_default();
    let mut c = Check::new(Status::Pass, format!("GPU {}: {}{mem}", g.index, g.label()));
    if !g.errors.is_empty() {
        c.status = Status::Warn;
        c.title = format!(
            "GPU {}: {}: some properties could not be read",
            g.index,
            g.label()
        );
        c.detail.extend(g.errors.iter().cloned());
        c.fix = Some("run `nvidia-smi -q`; errors like \"GPU is lost\" need a reboot".into());
    } else if g.compute_capability.is_none() {
        c.status = Status::Warn;
        c.detail
            .push("compute capability unknown: kernel compatibility cannot be checked".into());
    }
    out.push(c);
    if g.mig_enabled {
        out.push(
            Check::new(Status::Warn, format!("GPU {} has MIG mode enabled", g.index))
                .detail("containers get MIG instances, not the whole GPU")
                .fix("reserve instances by UUID (`nvidia-smi -L`) with `mlcontain init --gpus <MIG-UUID>`, or disable MIG: `sudo nvidia-smi -i 0 -mig 0`"),
        );
    }
}

fn arch_checks(f: &Facts, cat: &Catalog, out: &mut Vec<Check>) {
    let ccs = gpu_ccs(f);
    if ccs.is_empty() {
        return;
    }
    // The newest PyTorch builds against each GPU architecture.
    if let Some(torch) = cat.framework("pytorch") {
        if let Some(newest) = torch.newest() {
            for cc in &ccs {
                out.push(torch_arch_check(torch, newest, *cc));
            }
        }
    }
    // Pinned framework versions against each GPU architecture.
    for pin in &f.project.pins {
        let Some(version) = &pin.version else {
            continue;
        };
        if pin.local.as_deref() == Some("cpu") || pin.package.ends_with("-cpu") {
            continue;
        }
        let Some(fw) = cat
            .frameworks
            .iter()
            .find(|fw| fw.packages.iter().any(|p| p == &pin.package))
        else {
            continue;
        };
        // A pre-/post-release the catalog cannot hold is not judged here.
        let Some(release) = version.release().and_then(|v| fw.release(&v)) else {
            continue;
        };
        if release.builds.is_empty() {
            continue;
        }
        // A local tag (`cu124`) or an extra (`cuda12`, `and-cuda`) names the build.
        let candidates = pinned_builds(release, pin);
        for cc in &ccs {
            // PTX counts only where its ISA can target the GPU (cat.fit).
            if candidates.iter().any(|b| cat.fit(b, *cc).runs()) {
                continue;
            }
            let mut c = Check::new(
                Status::Warn,
                format!(
                    "{} {} ({}) has no kernels for this GPU ({})",
                    fw.name,
                    pin.spec,
                    pin.source,
                    cc.sm()
                ),
            )
            .detail(format!(
                "its builds carry {}",
                candidates
                    .iter()
                    .map(|b| format!("CUDA {}: {}", b.cuda, b.sass_list()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            if let Some((r, cuda)) = oldest_fitting_after(fw, &release.version, *cc) {
                c = c.fix(format!(
                    "use {} ≥ {} with its CUDA {cuda} build (e.g. `mlcontain init --framework-version {} --cuda {cuda}`)",
                    fw.name, r.version, r.version
                ));
            } else if let Some((r, cuda)) = release
                .builds
                .iter()
                .find(|b| cat.fit(b, *cc).runs())
                .map(|b| (release, b.cuda.clone()))
            {
                c = c.fix(format!(
                    "use the CUDA {cuda} build of {} {} (`--cuda {cuda}`)",
                    fw.name, r.version
                ));
            }
            out.push(c);
        }
    }
}

fn torch_arch_check(torch: &Framework, newest: &Release, cc: ComputeCapability) -> Check {
    let mut builds: Vec<_> = newest.builds.iter().collect();
    builds.sort_by(|a, b| a.cuda.cmp(&b.cuda));
    let missing: Vec<_> = builds.iter().filter(|b| !has_kernels(b.fit(cc))).collect();
    let ptx_only: Vec<_> = builds
        .iter()
        .filter(|b| matches!(b.fit(cc), KernelFit::Ptx(_)))
        .collect();
    let cudas = |bs: &[&&crate::catalog::Build]| {
        bs.iter()
            .map(|b| b.cuda.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if missing.is_empty() {
        let mut c = Check::new(
            Status::Pass,
            format!(
                "This GPU ({}) has kernels in PyTorch {} builds (CUDA {})",
                cc.sm(),
                newest.version,
                cudas(&builds.iter().collect::<Vec<_>>())
            ),
        );
        if !ptx_only.is_empty() {
            c = c.detail(format!(
                "CUDA {} builds run it through PTX JIT compilation (slow first start)",
                cudas(&ptx_only)
            ));
        }
        return c;
    }
    if missing.len() == builds.len() {
        let mut c = Check::new(
            Status::Warn,
            format!(
                "This GPU ({}) has no kernels in any PyTorch {} build",
                cc.sm(),
                newest.version
            ),
        );
        c = match newest_fitting(torch, cc) {
            Some((r, cuda)) => c.fix(format!(
                "use PyTorch {} with CUDA {cuda} (`mlcontain init --framework pytorch --framework-version {} --cuda {cuda}`)",
                r.version, r.version
            )),
            None => c.fix("no PyTorch build in the catalog supports this GPU: use CPU builds (`--cuda cpu`)"),
        };
        return c;
    }
    // Missing from some builds: usually the newest CUDA versions dropped the arch.
    let first_missing = &missing[0].cuda;
    let suffix = builds
        .iter()
        .filter(|b| &b.cuda >= first_missing)
        .all(|b| !has_kernels(b.fit(cc)));
    let best = builds
        .iter()
        .rev()
        .find(|b| has_kernels(b.fit(cc)))
        .map(|b| b.cuda.clone());
    let title = if suffix {
        format!(
            "This GPU ({}) has no kernels in PyTorch builds for CUDA ≥ {first_missing}",
            cc.sm()
        )
    } else {
        format!(
            "This GPU ({}) has no kernels in PyTorch {} builds for CUDA {}",
            cc.sm(),
            newest.version,
            cudas(&missing)
        )
    };
    let mut c = Check::new(Status::Warn, title);
    if let Some(cuda) = best {
        c = c.fix(format!(
            "use a CUDA {cuda} build (`mlcontain init --framework pytorch --cuda {cuda}`); mlcontain offers only builds that run here"
        ));
    }
    c
}

fn docker_checks(f: &Facts, out: &mut Vec<Check>) {
    let t = &f.tools;
    let version = |name: &str| {
        t.found
            .get(name)
            .cloned()
            .flatten()
            .and_then(|t| t.version)
            .map(|v| format!(" {v}"))
            .unwrap_or_default()
    };
    let has_gpu = !f.gpus.is_empty();
    let docker = t.has("docker") || !matches!(t.docker_daemon, DaemonState::NoClient);
    if !docker {
        if t.has("podman") {
            let mut c = Check::new(
                Status::Warn,
                format!("Docker is not installed (podman{} is)", version("podman")),
            )
            .detail("the generated compose.yaml is for Docker Compose; podman reaches NVIDIA GPUs through CDI");
            if has_gpu {
                c = c.fix("sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml, then run with `--device nvidia.com/gpu=all`");
            }
            out.push(c);
        } else {
            out.push(
                Check::new(Status::Fail, "Docker is not installed")
                    .fix("install Docker Engine: https://docs.docker.com/engine/install/"),
            );
        }
        return;
    }
    out.push(Check::new(
        Status::Pass,
        format!("Docker client{}", version("docker")),
    ));
    let reachable = t.docker_daemon == DaemonState::Reachable;
    match t.docker_daemon {
        DaemonState::Reachable => out.push(Check::new(Status::Pass, "Docker daemon is reachable")),
        DaemonState::NotRunning => out.push(
            Check::new(Status::Fail, "The Docker daemon is not running").fix(if t.docker_desktop {
                "start Docker Desktop"
            } else {
                "sudo systemctl enable --now docker"
            }),
        ),
        DaemonState::PermissionDenied => out.push(
            Check::new(
                Status::Fail,
                "Permission denied on the Docker socket (/var/run/docker.sock)",
            )
            .fix("sudo usermod -aG docker $USER, then log out and back in (or run `newgrp docker`)"),
        ),
        DaemonState::Hung => out.push(
            Check::new(Status::Fail, "The Docker daemon did not answer")
                .fix("check it with `sudo systemctl status docker`; restart it with `sudo systemctl restart docker`"),
        ),
        DaemonState::Unknown | DaemonState::NoClient => {
            let mut c = Check::new(Status::Warn, "Could not tell whether the Docker daemon runs");
            c.detail.extend(t.notes.iter().cloned());
            out.push(c.fix("run `docker info`"));
        }
    }

    if has_gpu {
        let toolkit = t.has("nvidia-ctk")
            || t.has("nvidia-container-toolkit")
            || t.has("nvidia-container-runtime");
        let install_then_configure = format!(
            "install nvidia-container-toolkit ({TOOLKIT_INSTALL_URL}), then run `{CONFIGURE_RUNTIME}`"
        );
        let configure = if toolkit {
            CONFIGURE_RUNTIME.to_string()
        } else {
            install_then_configure.clone()
        };
        if t.docker_desktop {
            out.push(
                Check::new(Status::Warn, "Docker Desktop is the active Docker")
                    .detail("Docker Desktop for Linux runs containers in a VM without NVIDIA GPUs (GPUs work with Docker Desktop on Windows/WSL2)")
                    .fix("use Docker Engine on Linux: `docker context use default`"),
            );
        }
        match (reachable, t.nvidia_runtime, t.cdi_specs.is_empty()) {
            (true, Some(true), _) => out.push(Check::new(
                Status::Pass,
                "NVIDIA container runtime is registered with Docker",
            )),
            (true, _, false) => out.push(
                Check::new(
                    Status::Warn,
                    "No NVIDIA runtime registered with Docker (CDI specs exist)",
                )
                .detail(format!("CDI specs: {}", t.cdi_specs.join(", ")))
                .detail("compose `deploy.resources.reservations.devices` with `driver: nvidia` needs the runtime")
                .fix(configure),
            ),
            (true, _, true) => out.push(
                Check::new(
                    Status::Fail,
                    "Docker cannot give containers the GPU: no NVIDIA runtime registered and no CDI specs",
                )
                .fix(configure),
            ),
            (false, _, cdi_empty) => {
                if !toolkit && cdi_empty {
                    out.push(
                        Check::new(Status::Fail, "The NVIDIA Container Toolkit is not installed")
                            .fix(install_then_configure),
                    );
                }
            }
        }
    }

    if reachable || t.has("buildx") || t.has("compose") {
        if t.has("compose") {
            out.push(Check::new(
                Status::Pass,
                format!("Docker Compose{}", version("compose")),
            ));
        } else if t.has("docker-compose") {
            out.push(
                Check::new(
                    Status::Warn,
                    format!(
                        "Only the standalone docker-compose{} is installed, not the `docker compose` plugin",
                        version("docker-compose")
                    ),
                )
                .fix("sudo apt-get install docker-compose-plugin (https://docs.docker.com/compose/install/linux/)"),
            );
        } else {
            out.push(
                Check::new(Status::Warn, "Docker Compose is not installed")
                    .fix("sudo apt-get install docker-compose-plugin (https://docs.docker.com/compose/install/linux/)"),
            );
        }
        if t.has("buildx") {
            out.push(Check::new(
                Status::Pass,
                format!("Docker Buildx{}", version("buildx")),
            ));
        } else {
            out.push(
                Check::new(
                    Status::Warn,
                    "docker buildx is not installed (BuildKit cache mounts need it)",
                )
                .fix("sudo apt-get install docker-buildx-plugin"),
            );
        }
    }
}

fn project_checks(f: &Facts, out: &mut Vec<Check>) {
    let p = &f.project;
    let server = p.code.server_problems();
    if !server.is_empty() {
        let mut c = Check::new(Status::Warn, "The project's server needs attention");
        c.detail.extend(server.iter().cloned());
        out.push(c.fix("add the server's packages to the manifest; add a GET /health route"));
    }
    if !p.warnings.is_empty() {
        let mut c = Check::new(Status::Warn, "Some project files could not be read fully");
        c.detail.extend(p.warnings.iter().map(ToString::to_string));
        out.push(c.fix("fix the lines named above; mlcontain used the rest"));
    } else if p.has_no_manifest() {
        out.push(
            Check::new(Status::Warn, "The project has no dependency manifest")
                .fix("`mlcontain init` can scaffold a requirements.txt"),
        );
    } else {
        let pm = p
            .package_manager_hint()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "pip".into());
        out.push(Check::new(
            Status::Pass,
            format!("Project files readable ({pm})"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Driver, NvmlStatus, Pin, Tool};

    fn gpu(index: u32, name: &str, cc: (u32, u32)) -> Gpu {
        Gpu {
            index,
            name: name.into(),
            uuid: Some(format!("GPU-{index}")),
            memory_mib: Some(24564),
            compute_capability: Some(ComputeCapability::new(cc.0, cc.1)),
            mig_enabled: false,
            errors: vec![],
        }
    }

    fn tool(v: &str) -> Option<Tool> {
        Some(Tool {
            path: "/usr/bin/x".into(),
            version: Some(v.into()),
        })
    }

    /// A healthy GPU host: driver 550, docker reachable with the NVIDIA runtime.
    fn healthy() -> Facts {
        let mut f = Facts {
            gpus: vec![gpu(0, "NVIDIA GeForce RTX 4090", (8, 9))],
            driver: Some(Driver {
                version: "550.54.15".parse().unwrap(),
                cuda_max: Some("12.4".parse().unwrap()),
            }),
            nvml: NvmlStatus::answered(None),
            ..Default::default()
        };
        f.tools.found.insert("docker".into(), tool("27.3.1"));
        f.tools.found.insert("buildx".into(), tool("0.17.1"));
        f.tools.found.insert("compose".into(), tool("2.29.7"));
        f.tools.found.insert("nvidia-ctk".into(), tool("1.16.2"));
        f.tools.docker_daemon = DaemonState::Reachable;
        f.tools.nvidia_runtime = Some(true);
        f.project.requirements = vec!["requirements.txt".into()];
        f
    }

    fn find<'a>(cs: &'a [Check], needle: &str) -> &'a Check {
        cs.iter()
            .find(|c| c.title.contains(needle))
            .unwrap_or_else(|| panic!("no check with `{needle}` in {cs:#?}"))
    }

    #[test]
    fn healthy_host_passes() {
        let cs = checks(&healthy());
        assert_eq!(exit_code(&cs), 0, "{cs:#?}");
        assert!(cs.iter().all(|c| c.status == Status::Pass), "{cs:#?}");
        assert_eq!(
            find(&cs, "NVIDIA driver").title,
            "NVIDIA driver 550.54.15 (CUDA ≤ 12.4)"
        );
        assert!(find(&cs, "GPU 0").title.contains("RTX 4090 (sm_89)"));
        find(&cs, "has kernels in PyTorch");
    }

    #[test]
    fn runtime_not_registered_fails_with_the_configure_command() {
        let mut f = healthy();
        f.tools.nvidia_runtime = Some(false);
        let cs = checks(&f);
        assert_eq!(exit_code(&cs), 1);
        let c = find(&cs, "no NVIDIA runtime registered and no CDI specs");
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.fix.as_deref(), Some(CONFIGURE_RUNTIME));
        // Without the toolkit, the fix says to install it first.
        f.tools.found.insert("nvidia-ctk".into(), None);
        let cs = checks(&f);
        let c = find(&cs, "no NVIDIA runtime registered");
        let fix = c.fix.as_deref().unwrap();
        assert!(fix.starts_with("install nvidia-container-toolkit"), "{fix}");
        assert!(fix.contains(CONFIGURE_RUNTIME));
    }

    #[test]
    fn cdi_specs_are_enough_to_not_block() {
        let mut f = healthy();
        f.tools.nvidia_runtime = Some(false);
        f.tools.cdi_specs = vec!["/etc/cdi/nvidia.yaml".into()];
        let cs = checks(&f);
        assert_eq!(exit_code(&cs), 0, "{cs:#?}");
        assert_eq!(find(&cs, "CDI specs exist").status, Status::Warn);
    }

    /// The advice follows the kind of NVML failure, not its words.
    #[test]
    fn nvml_advice_follows_the_failure_kind() {
        use crate::facts::NvmlFailure;
        let advice = |failure: NvmlFailure| {
            let mut f = healthy();
            f.gpus.clear();
            f.driver = None;
            f.nvml = NvmlStatus::failed(failure);
            let cs = checks(&f);
            let c = cs
                .iter()
                .find(|c| c.title.contains("NVIDIA driver") || c.title.contains("NVML"))
                .unwrap_or_else(|| panic!("{cs:#?}"));
            c.title.clone()
        };
        let t = advice(NvmlFailure::TimedOut {
            deadline: std::time::Duration::from_secs(3),
        });
        assert_eq!(t, "The NVIDIA driver did not answer");
        let t = advice(NvmlFailure::LibraryMissing { lib: "x".into() });
        assert_eq!(t, "No NVIDIA driver: containers will be CPU-only");
        // Words that once steered the choice ("not found", "did not answer")
        // in another kind's text change nothing.
        for f in [
            NvmlFailure::InitFailed("a function was not found".into()),
            NvmlFailure::Probe("the probe did not answer".into()),
            NvmlFailure::DriverNotLoaded { lib: "x".into() },
        ] {
            assert_eq!(advice(f), "NVML is not usable: GPUs cannot be checked");
        }
    }

    #[test]
    fn no_gpu_no_runtime_needed() {
        let mut f = healthy();
        f.gpus.clear();
        f.driver = None;
        f.nvml = NvmlStatus::failed(crate::facts::NvmlFailure::LibraryMissing {
            lib: "libnvidia-ml.so.1".into(),
        });
        assert_eq!(
            f.nvml.error.as_deref(),
            Some("NVIDIA driver library libnvidia-ml.so.1 not found (no NVIDIA driver?)")
        );
        f.tools.nvidia_runtime = Some(false);
        let cs = checks(&f);
        assert_eq!(exit_code(&cs), 0, "{cs:#?}");
        assert_eq!(find(&cs, "No NVIDIA driver").status, Status::Warn);
        assert!(!cs.iter().any(|c| c.title.contains("NVIDIA runtime")));
    }

    #[test]
    fn daemon_states() {
        let mut f = healthy();
        f.tools.docker_daemon = DaemonState::PermissionDenied;
        f.tools.nvidia_runtime = None;
        let cs = checks(&f);
        assert_eq!(exit_code(&cs), 1);
        let c = find(&cs, "Permission denied");
        assert_eq!(
            c.fix.as_deref(),
            Some(
                "sudo usermod -aG docker $USER, then log out and back in (or run `newgrp docker`)"
            )
        );
        f.tools.docker_daemon = DaemonState::NotRunning;
        let cs = checks(&f);
        assert_eq!(exit_code(&cs), 1);
        assert_eq!(
            find(&cs, "not running").fix.as_deref(),
            Some("sudo systemctl enable --now docker")
        );
        f.tools.docker_daemon = DaemonState::Hung;
        assert_eq!(exit_code(&checks(&f)), 1);
        // No docker at all.
        f.tools.found.insert("docker".into(), None);
        f.tools.docker_daemon = DaemonState::NoClient;
        let cs = checks(&f);
        assert_eq!(find(&cs, "Docker is not installed").status, Status::Fail);
    }

    #[test]
    fn old_driver_is_told_the_minimum() {
        let mut f = healthy();
        f.gpus = vec![gpu(0, "NVIDIA GeForce GTX 1080", (6, 1))];
        f.driver = Some(Driver {
            version: "470.256.02".parse().unwrap(),
            cuda_max: Some("11.4".parse().unwrap()),
        });
        let cs = checks(&f);
        let c = find(&cs, "too old for CUDA 12");
        assert_eq!(c.status, Status::Warn);
        assert_eq!(
            c.fix.as_deref(),
            Some("update the NVIDIA driver to ≥ 525.60.13 (CUDA 12.x), e.g. `sudo ubuntu-drivers install`")
        );
        // A driver new enough for 12 but not 13 passes with a note.
        f.driver = Some(Driver {
            version: "535.104.05".parse().unwrap(),
            cuda_max: Some("12.2".parse().unwrap()),
        });
        let cs = checks(&f);
        let c = find(&cs, "NVIDIA driver 535");
        assert_eq!(c.status, Status::Pass);
        assert!(
            c.detail[0].contains("CUDA 13 builds need driver ≥ 580.65.06"),
            "{c:?}"
        );
    }

    #[test]
    fn pascal_has_no_kernels_in_new_cuda_builds() {
        let mut f = healthy();
        f.gpus = vec![gpu(0, "NVIDIA GeForce GTX 1080", (6, 1))];
        let cs = checks(&f);
        // The newest release (2.15) has no cu126 build, the only one with Pascal kernels.
        let c = find(&cs, "sm_61) has no kernels in any PyTorch");
        assert_eq!(c.status, Status::Warn);
        let fix = c.fix.as_deref().unwrap();
        assert!(fix.contains("--cuda 12.6"), "{c:?}");
        assert!(fix.contains("2.14.1"), "{c:?}");
        assert_eq!(exit_code(&cs), 0);
    }

    #[test]
    fn blackwell_with_an_old_pinned_torch() {
        let mut f = healthy();
        f.gpus = vec![gpu(0, "NVIDIA GeForce RTX 5090", (12, 0))];
        f.driver = Some(Driver {
            version: "570.124.06".parse().unwrap(),
            cuda_max: Some("12.8".parse().unwrap()),
        });
        f.project.pins = vec![Pin {
            package: "torch".into(),
            version: Some("2.5.1".parse().unwrap()),
            local: Some("cu124".into()),
            extras: vec![],
            spec: "torch==2.5.1+cu124".into(),
            source: "requirements.txt:3".into(),
        }];
        let cs = checks(&f);
        let c = find(&cs, "torch==2.5.1+cu124");
        assert_eq!(
            c.title,
            "PyTorch torch==2.5.1+cu124 (requirements.txt:3) has no kernels for this GPU (sm_120)"
        );
        // The catalog's newer release contradicts the pin, so the fix is
        // what plans here: an edit of the pin, or allowing it (not the CPU
        // build: the planner installs no other build over a `+cu124` pin).
        let fix = c.fix.as_deref().unwrap();
        assert!(
            !fix.contains("--cuda cpu")
                && fix.contains("edit requirements.txt:3: torch==2.5.1+cu124 → torch=="),
            "{c:?}"
        );
        assert!(
            c.detail.iter().any(|d| d.contains("would not plan here")),
            "{c:?}"
        );
        // Every build of the newest PyTorch (2.15: CUDA 13.x) carries sm_120.
        let t = find(&cs, "sm_120) has kernels in PyTorch");
        assert_eq!(t.status, Status::Pass, "{t:?}");
    }

    #[test]
    fn gpu_errors_and_mig() {
        let mut f = healthy();
        let mut g = gpu(0, "unknown NVIDIA GPU", (9, 0));
        g.errors = vec!["name: Unknown Error".into()];
        g.mig_enabled = true;
        f.gpus = vec![g];
        let cs = checks(&f);
        assert_eq!(find(&cs, "could not be read").status, Status::Warn);
        assert_eq!(find(&cs, "MIG mode enabled").status, Status::Warn);
        assert_eq!(exit_code(&cs), 0);
    }

    #[test]
    fn a_cpu_project_needs_no_gpu_runtime() {
        let mut f = healthy();
        f.tools.nvidia_runtime = Some(false);
        assert_eq!(exit_code(&checks(&f)), 1, "a GPU project needs the runtime");
        f.project.requirements = vec!["requirements.txt".into()];
        f.project.pins = vec![Pin {
            package: "scikit-learn".into(),
            version: Some("1.5.2".parse().unwrap()),
            local: None,
            extras: vec![],
            spec: "scikit-learn==1.5.2".into(),
            source: "requirements.txt:1".into(),
        }];
        let cs = checks(&f);
        assert_eq!(exit_code(&cs), 0, "{cs:#?}");
        let c = find(&cs, "no NVIDIA runtime registered");
        assert_eq!(c.status, Status::Warn);
        assert!(c.detail.iter().any(|d| d.contains("CPU-only")), "{c:?}");
        assert!(find(&cs, "This project runs here")
            .title
            .contains("on the CPU"));
    }

    #[test]
    fn render_lists_fixes() {
        let mut f = healthy();
        f.tools.nvidia_runtime = Some(false);
        let text = render(&checks(&f));
        assert!(
            text.contains("FAIL  Docker cannot give containers the GPU"),
            "{text}"
        );
        assert!(
            text.contains(&format!("      fix: {CONFIGURE_RUNTIME}")),
            "{text}"
        );
        assert!(text.contains("1 check failed"), "{text}");
    }
}
