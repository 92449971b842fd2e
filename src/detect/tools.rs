//! Installed tools: container engines, the NVIDIA container toolkit, Python
//! package managers, and the Docker daemon's state.
//!
//! Every probe runs concurrently on its own thread; every child process is
//! killed (with its process group) when the deadline passes, and reported
//! as hung. [`detect_tools_with`] returns within the deadline plus a little
//! scheduling slack, whatever the tools do.

use crate::facts::{DaemonState, Tool, Tools};
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Tools looked up on PATH, in report order.
pub const TOOL_NAMES: &[&str] = &[
    "docker",
    "docker-compose",
    "podman",
    "nvidia-smi",
    "nvidia-ctk",
    "nvidia-container-toolkit",
    "nvidia-container-runtime",
    "python3",
    "uv",
    "poetry",
    "conda",
    "mamba",
    "micromamba",
    "git",
];

/// Where CDI specs live.
pub const CDI_DIRS: &[&str] = &["/etc/cdi", "/var/run/cdi"];

/// The default deadline for tool probes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);

/// Slack allowed after the deadline for threads to report.
const REPORT_SLACK: Duration = Duration::from_millis(150);

/// Output captured from one child is capped at this many bytes.
const OUTPUT_CAP: u64 = 1024 * 1024;

/// What to probe, so tests can use fake tools without touching the
/// process environment.
#[derive(Clone, Debug)]
pub struct ToolsConfig {
    /// The PATH to search and to give children.
    pub path: OsString,
    pub deadline: Duration,
    /// Folders searched for CDI specs.
    pub cdi_dirs: Vec<PathBuf>,
}

impl ToolsConfig {
    /// The process's PATH and the standard CDI folders.
    pub fn from_env(deadline: Duration) -> Self {
        ToolsConfig {
            path: std::env::var_os("PATH").unwrap_or_default(),
            deadline,
            cdi_dirs: CDI_DIRS.iter().map(PathBuf::from).collect(),
        }
    }
}

/// Probes tools on the process's PATH.
pub fn detect_tools(deadline: Duration) -> Tools {
    detect_tools_with(&ToolsConfig::from_env(deadline))
}

/// Probes tools on the given PATH (standard CDI folders).
pub fn detect_tools_in(path_env: &OsStr, deadline: Duration) -> Tools {
    detect_tools_with(&ToolsConfig {
        path: path_env.to_os_string(),
        ..ToolsConfig::from_env(deadline)
    })
}

/// One finished probe.
enum Probe {
    Version(&'static str, Run),
    DockerInfo(Run),
    Buildx(Run),
    Compose(Run),
    Context(Run),
}

/// Probes tools as `config` says.
pub fn detect_tools_with(config: &ToolsConfig) -> Tools {
    let start = Instant::now();
    let deadline_at = start + config.deadline;
    let mut tools = Tools::default();

    let found: Vec<(&'static str, Option<PathBuf>)> = TOOL_NAMES
        .iter()
        .map(|name| (*name, find_in_path(name, &config.path)))
        .collect();
    let docker = found
        .iter()
        .find(|(n, _)| *n == "docker")
        .and_then(|(_, p)| p.clone());
    let (rx, expected) = spawn_probes(&found, docker.as_ref(), config, deadline_at);

    // CDI specs while the probes run.
    tools.cdi_specs = cdi_specs(&config.cdi_dirs);

    let mut results = Vec::new();
    while results.len() < expected {
        let now = Instant::now();
        let limit = deadline_at + REPORT_SLACK;
        if now >= limit {
            break;
        }
        match rx.recv_timeout(limit - now) {
            Ok(p) => results.push(p),
            Err(_) => break,
        }
    }

    for (name, path) in &found {
        tools.found.insert(
            name.to_string(),
            path.as_ref().map(|p| Tool {
                path: p.display().to_string(),
                version: None,
            }),
        );
    }
    let (info_run, answered_versions) = apply_probes(&mut tools, results, &docker, config);
    for (name, path) in &found {
        if path.is_some() && !answered_versions.contains(name) {
            tools.notes.push(format!(
                "`{name} {}` did not report back within {}",
                version_args(name).join(" "),
                secs(config.deadline)
            ));
        }
    }
    tools.found.entry("buildx".into()).or_insert(None);
    tools.found.entry("compose".into()).or_insert(None);
    docker_daemon(&mut tools, &docker, info_run, config);
    tools
}

/// Starts one thread per probe (each tool's version; docker's info, buildx,
/// compose and context): the receiver and how many will report.
fn spawn_probes(
    found: &[(&'static str, Option<PathBuf>)],
    docker: Option<&PathBuf>,
    config: &ToolsConfig,
    deadline_at: Instant,
) -> (mpsc::Receiver<Probe>, usize) {
    let (tx, rx) = mpsc::channel::<Probe>();
    let mut expected = 0usize;
    let mut spawn = |f: Box<dyn FnOnce() -> Probe + Send>| {
        let tx = tx.clone();
        expected += 1;
        let ok = std::thread::Builder::new()
            .name("mlcontain-tool-probe".into())
            .spawn(move || {
                let _ = tx.send(f());
            })
            .is_ok();
        if !ok {
            expected -= 1;
        }
    };

    for (name, path) in found {
        let Some(path) = path.clone() else { continue };
        let env = config.path.clone();
        let name: &'static str = name;
        spawn(Box::new(move || {
            Probe::Version(name, run(&path, version_args(name), &env, deadline_at))
        }));
    }
    if let Some(docker) = docker {
        type DockerProbe = (fn(Run) -> Probe, &'static [&'static str]);
        let probes: [DockerProbe; 4] = [
            (Probe::DockerInfo, &["info", "--format", "{{json .}}"]),
            (Probe::Buildx, &["buildx", "version"]),
            (Probe::Compose, &["compose", "version"]),
            (Probe::Context, &["context", "show"]),
        ];
        for (make, args) in probes {
            let docker = docker.clone();
            let env = config.path.clone();
            spawn(Box::new(move || {
                make(run(&docker, args, &env, deadline_at))
            }));
        }
    }
    drop(tx);
    (rx, expected)
}

/// Records what the probes reported: versions, plugins, Docker Desktop;
/// returns `docker info`'s run and the tools whose version answered.
fn apply_probes(
    tools: &mut Tools,
    results: Vec<Probe>,
    docker: &Option<PathBuf>,
    config: &ToolsConfig,
) -> (Option<Run>, Vec<&'static str>) {
    let mut info_run = None;
    let mut answered_versions = Vec::new();
    for p in results {
        match p {
            Probe::Version(name, r) => {
                answered_versions.push(name);
                if r.timed_out {
                    tools.notes.push(format!(
                        "`{name} {}` did not answer within {} (killed)",
                        version_args(name).join(" "),
                        secs(config.deadline)
                    ));
                }
                if let Some(Some(t)) = tools.found.get_mut(name) {
                    t.version = r
                        .success()
                        .then(|| parse_version(name, &r.stdout, &r.stderr))
                        .flatten();
                }
            }
            Probe::DockerInfo(r) => info_run = Some(r),
            Probe::Buildx(r) => {
                if r.success() {
                    tools.found.insert(
                        "buildx".into(),
                        Some(Tool {
                            path: plugin_path(docker, "buildx"),
                            version: find_version(&r.stdout),
                        }),
                    );
                }
            }
            Probe::Compose(r) => {
                if r.success() {
                    tools.found.insert(
                        "compose".into(),
                        Some(Tool {
                            path: plugin_path(docker, "compose"),
                            version: find_version(&r.stdout),
                        }),
                    );
                }
            }
            Probe::Context(r) => {
                if r.success() && r.stdout.trim() == "desktop-linux" {
                    tools.docker_desktop = true;
                }
            }
        }
    }
    (info_run, answered_versions)
}

/// The daemon's state from `docker info` (or its silence).
fn docker_daemon(
    tools: &mut Tools,
    docker: &Option<PathBuf>,
    info_run: Option<Run>,
    config: &ToolsConfig,
) {
    match (docker, info_run) {
        (None, _) => tools.docker_daemon = DaemonState::NoClient,
        (Some(_), None) => {
            tools.docker_daemon = DaemonState::Hung;
            tools.notes.push(format!(
                "`docker info` did not report back within {}",
                secs(config.deadline)
            ));
        }
        (Some(_), Some(r)) => {
            let info = classify_docker_info(&r);
            tools.docker_daemon = info.state.clone();
            if info.state == DaemonState::Hung {
                tools.notes.push(format!(
                    "`docker info` did not answer within {} (killed)",
                    secs(config.deadline)
                ));
            }
            if let Some(n) = info.note {
                tools.notes.push(n);
            }
            tools.nvidia_runtime = info.nvidia_runtime;
            tools.docker_desktop |= info.docker_desktop;
        }
    }
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

fn plugin_path(docker: &Option<PathBuf>, plugin: &str) -> String {
    match docker {
        Some(d) => format!("{} {plugin}", d.display()),
        None => format!("docker {plugin}"),
    }
}

/// Finds an executable in a PATH-style list.
pub fn find_in_path(name: &str, path_env: &OsStr) -> Option<PathBuf> {
    which::which_in_global(name, Some(path_env))
        .ok()
        .and_then(|mut it| it.next())
}

fn version_args(_name: &str) -> &'static [&'static str] {
    &["--version"]
}

/// The version in a tool's `--version` output.
pub fn parse_version(name: &str, stdout: &str, stderr: &str) -> Option<String> {
    // python2 printed its version on stderr.
    let text = if stdout.trim().is_empty() {
        stderr
    } else {
        stdout
    };
    match name {
        // "NVIDIA-SMI version  : 550.54.15" plus lines for NVML/driver/CUDA.
        "nvidia-smi" => text
            .lines()
            .find(|l| l.to_ascii_lowercase().contains("driver version"))
            .and_then(find_version)
            .or_else(|| find_version(text)),
        _ => find_version(text),
    }
}

/// The first dotted version in a text (`Docker version 27.3.1, build x` ->
/// `27.3.1`, `uv 0.4.30 (…)` -> `0.4.30`, `v2.29.7` -> `2.29.7`).
pub fn find_version(text: &str) -> Option<String> {
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')') {
        let w = word.trim_start_matches('v');
        let w = w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        let mut parts = w.split('.');
        let first = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        if !first.is_empty()
            && first.chars().all(|c| c.is_ascii_digit())
            && !rest.is_empty()
            && rest[0].chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            return Some(w.to_string());
        }
    }
    None
}

/// What `docker info --format '{{json .}}'` says.
#[derive(Clone, Debug, PartialEq)]
pub struct DockerInfo {
    pub state: DaemonState,
    pub nvidia_runtime: Option<bool>,
    pub docker_desktop: bool,
    pub note: Option<String>,
}

/// Classifies a `docker info --format '{{json .}}'` run.
pub fn classify_docker_info(r: &Run) -> DockerInfo {
    let mut out = DockerInfo {
        state: DaemonState::Unknown,
        nvidia_runtime: None,
        docker_desktop: false,
        note: None,
    };
    if r.timed_out {
        out.state = DaemonState::Hung;
        return out;
    }
    if let Some(e) = &r.spawn_error {
        out.note = Some(format!("could not run docker: {e}"));
        return out;
    }
    let json: Option<serde_json::Value> = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok());
    let mut errors = String::new();
    if let Some(j) = &json {
        if let Some(errs) = j.get("ServerErrors").and_then(|e| e.as_array()) {
            for e in errs {
                if let Some(s) = e.as_str() {
                    errors.push_str(s);
                    errors.push('\n');
                }
            }
        }
    }
    errors.push_str(&r.stderr);
    let lower = errors.to_ascii_lowercase();
    let server_version = json
        .as_ref()
        .and_then(|j| j.get("ServerVersion"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if lower.contains("permission denied") {
        out.state = DaemonState::PermissionDenied;
    } else if lower.contains("cannot connect to the docker daemon")
        || lower.contains("is the docker daemon running")
        || lower.contains("error during connect")
        || lower.contains("no such file or directory")
        || lower.contains("connection refused")
    {
        out.state = DaemonState::NotRunning;
    } else if r.success() && !server_version.is_empty() {
        out.state = DaemonState::Reachable;
    } else {
        let first = errors
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no output");
        out.note = Some(format!("`docker info` failed: {first}"));
        return out;
    }
    if out.state == DaemonState::Reachable {
        if let Some(j) = &json {
            out.nvidia_runtime = Some(
                j.get("Runtimes")
                    .and_then(|r| r.as_object())
                    .is_some_and(|m| m.keys().any(|k| k.contains("nvidia"))),
            );
            let os = j
                .get("OperatingSystem")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let name = j.get("Name").and_then(|v| v.as_str()).unwrap_or("");
            out.docker_desktop = os.contains("Docker Desktop") || name == "docker-desktop";
        }
    }
    out
}

/// CDI spec files (`*.yaml`, `*.yml`, `*.json`) in the given folders, sorted.
pub fn cdi_specs(dirs: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let ok = p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"));
            if ok && p.is_file() {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

// ---------------------------------------------------------------------------
// Running children with a deadline

/// One child process run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub spawn_error: Option<String>,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }
}

#[cfg(unix)]
fn kill_group(child: &Child) {
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGKILL: i32 = 9;
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: plain syscall wrapper; the child leads its own process
        // group (process_group(0)), so -pid names exactly that group.
        unsafe {
            kill(-pid, SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill_group(_child: &Child) {}

fn reader<R: Read + Send + 'static>(r: Option<R>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(r) = r {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.take(OUTPUT_CAP).read_to_end(&mut buf);
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
        });
    }
    rx
}

/// Runs `program args` with PATH set to `path_env`, stdin closed, and kills
/// it (and its process group) at `deadline`.
pub fn run(program: &Path, args: &[&str], path_env: &OsStr, deadline: Instant) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("PATH", path_env)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut attempt = 0;
    let mut child = loop {
        match cmd.spawn() {
            Ok(c) => break c,
            // ETXTBSY: the executable was just written (a fork elsewhere may
            // briefly hold it open for writing); try again shortly.
            Err(e) if e.raw_os_error() == Some(26) && attempt < 5 && Instant::now() < deadline => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                return Run {
                    spawn_error: Some(e.to_string()),
                    ..Default::default()
                }
            }
        }
    };
    let out_rx = reader(child.stdout.take());
    let err_rx = reader(child.stderr.take());
    let mut run = Run::default();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                run.code = status.code();
                break;
            }
            Ok(None) => {}
            Err(e) => {
                run.spawn_error = Some(e.to_string());
                break;
            }
        }
        if Instant::now() >= deadline {
            run.timed_out = true;
            kill_group(&child);
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Output: wait until the deadline for the pipes to close (a grandchild
    // may hold them), then give up on them. (The group is not killed after
    // a normal exit: its id may already belong to someone else.)
    let grace = |d: Instant| {
        d.saturating_duration_since(Instant::now())
            .max(Duration::from_millis(20))
    };
    run.stdout = out_rx.recv_timeout(grace(deadline)).unwrap_or_default();
    run.stderr = err_rx.recv_timeout(grace(deadline)).unwrap_or_default();
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            find_version("Docker version 27.3.1, build ce12230").as_deref(),
            Some("27.3.1")
        );
        assert_eq!(find_version("Python 3.12.4").as_deref(), Some("3.12.4"));
        assert_eq!(
            find_version("Docker Compose version v2.29.7").as_deref(),
            Some("2.29.7")
        );
        assert_eq!(
            find_version("github.com/docker/buildx v0.17.1 257815a").as_deref(),
            Some("0.17.1")
        );
        assert_eq!(
            find_version("uv 0.4.30 (61ed2a236 2024-11-04)").as_deref(),
            Some("0.4.30")
        );
        assert_eq!(
            find_version("Poetry (version 1.8.3)").as_deref(),
            Some("1.8.3")
        );
        assert_eq!(
            find_version("git version 2.43.0").as_deref(),
            Some("2.43.0")
        );
        assert_eq!(
            find_version("NVIDIA Container Toolkit CLI version 1.16.2\ncommit: a470818").as_deref(),
            Some("1.16.2")
        );
        assert_eq!(find_version("no version here"), None);
        let smi = "NVIDIA-SMI version  : 550.54.15\nNVML version        : 550.54\nDRIVER version      : 550.54.15\nCUDA Version        : 12.4\n";
        assert_eq!(
            parse_version("nvidia-smi", smi, "").as_deref(),
            Some("550.54.15")
        );
        assert_eq!(
            parse_version("python", "", "Python 2.7.18").as_deref(),
            Some("2.7.18")
        );
    }

    fn r(code: i32, stdout: &str, stderr: &str) -> Run {
        Run {
            code: Some(code),
            stdout: stdout.into(),
            stderr: stderr.into(),
            ..Default::default()
        }
    }

    #[test]
    fn docker_info_states() {
        let ok = r(
            0,
            r#"{"ServerVersion":"27.3.1","Runtimes":{"io.containerd.runc.v2":{},"nvidia":{"path":"nvidia-container-runtime"},"runc":{}},"OperatingSystem":"Ubuntu 24.04 LTS"}"#,
            "",
        );
        let i = classify_docker_info(&ok);
        assert_eq!(i.state, DaemonState::Reachable);
        assert_eq!(i.nvidia_runtime, Some(true));
        assert!(!i.docker_desktop);

        let no_nv = r(
            0,
            r#"{"ServerVersion":"27.3.1","Runtimes":{"runc":{}},"OperatingSystem":"Docker Desktop"}"#,
            "",
        );
        let i = classify_docker_info(&no_nv);
        assert_eq!(i.nvidia_runtime, Some(false));
        assert!(i.docker_desktop);

        let down = r(
            1,
            r#"{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"]}"#,
            "",
        );
        assert_eq!(classify_docker_info(&down).state, DaemonState::NotRunning);
        assert_eq!(classify_docker_info(&down).nvidia_runtime, None);

        let denied = r(1, "", "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info\": dial unix /var/run/docker.sock: connect: permission denied");
        assert_eq!(
            classify_docker_info(&denied).state,
            DaemonState::PermissionDenied
        );

        let hung = Run {
            timed_out: true,
            ..Default::default()
        };
        assert_eq!(classify_docker_info(&hung).state, DaemonState::Hung);

        let odd = r(1, "", "something else entirely\n");
        let i = classify_docker_info(&odd);
        assert_eq!(i.state, DaemonState::Unknown);
        assert_eq!(
            i.note.as_deref(),
            Some("`docker info` failed: something else entirely")
        );
    }
}
