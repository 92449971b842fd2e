//! Tool detection with fake tools (shell scripts) first on PATH.

use mlcontain::detect::tools::{detect_tools_with, ToolsConfig};
use mlcontain::facts::{DaemonState, Tools};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_millis(1500);

const DOCKER_INFO_NVIDIA: &str = r#"{"ServerVersion":"27.3.1","Runtimes":{"io.containerd.runc.v2":{"path":"runc"},"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}},"OperatingSystem":"Ubuntu 24.04.1 LTS","Name":"gpu-box"}"#;
const DOCKER_INFO_PLAIN: &str = r#"{"ServerVersion":"27.3.1","Runtimes":{"io.containerd.runc.v2":{"path":"runc"},"runc":{"path":"runc"}},"OperatingSystem":"Ubuntu 24.04.1 LTS","Name":"box"}"#;
const NOT_RUNNING: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";
const DENIED: &str = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info\": dial unix /var/run/docker.sock: connect: permission denied";

struct Fake {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    cdi: PathBuf,
}

impl Fake {
    fn new() -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let cdi = dir.path().join("cdi");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&cdi).unwrap();
        Fake {
            _dir: dir,
            bin,
            cdi,
        }
    }

    /// Writes an executable `#!/bin/sh` script.
    fn tool(&self, name: &str, body: &str) -> &Self {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bin.join(name);
        let tmp = self.bin.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        self
    }

    /// A fake docker whose `info` subcommand runs `info`.
    fn docker(&self, info: &str) -> &Self {
        self.tool(
            "docker",
            &format!(
                r#"case "$1" in
  --version) echo "Docker version 27.3.1, build ce12230" ;;
  info) {info} ;;
  buildx) echo "github.com/docker/buildx v0.17.1 257815a" ;;
  compose) echo "Docker Compose version v2.29.7" ;;
  context) echo default ;;
  *) echo "unknown command: $1" >&2; exit 1 ;;
esac"#
            ),
        )
    }

    /// PATH: the fake tools first, then /usr/bin:/bin.
    fn path(&self) -> OsString {
        let mut p = self.bin.clone().into_os_string();
        p.push(":/usr/bin:/bin");
        p
    }

    /// PATH with only the fake tools (a host without the real ones).
    fn path_only_fakes(&self) -> OsString {
        self.bin.clone().into_os_string()
    }

    fn detect(&self, path: OsString, deadline: Duration) -> Tools {
        detect_tools_with(&ToolsConfig {
            path,
            deadline,
            cdi_dirs: vec![self.cdi.clone()],
        })
    }
}

fn version(t: &Tools, name: &str) -> Option<String> {
    t.found.get(name).cloned().flatten().and_then(|t| t.version)
}

#[test]
fn docker_reachable_with_nvidia_runtime() {
    let f = Fake::new();
    f.docker(&format!("echo '{DOCKER_INFO_NVIDIA}'"))
        .tool(
            "nvidia-ctk",
            "echo 'NVIDIA Container Toolkit CLI version 1.16.2'; echo 'commit: a470818'",
        )
        .tool("uv", "echo 'uv 0.4.30 (61ed2a236 2024-11-04)'");
    std::fs::write(f.cdi.join("nvidia.yaml"), "cdiVersion: 0.5.0\n").unwrap();
    std::fs::write(f.cdi.join("README"), "not a spec").unwrap();
    let t = f.detect(f.path(), DEADLINE);
    assert_eq!(t.docker_daemon, DaemonState::Reachable);
    assert_eq!(t.nvidia_runtime, Some(true));
    assert!(!t.docker_desktop);
    assert_eq!(version(&t, "docker").as_deref(), Some("27.3.1"));
    assert_eq!(version(&t, "buildx").as_deref(), Some("0.17.1"));
    assert_eq!(version(&t, "compose").as_deref(), Some("2.29.7"));
    assert_eq!(version(&t, "nvidia-ctk").as_deref(), Some("1.16.2"));
    assert_eq!(version(&t, "uv").as_deref(), Some("0.4.30"));
    assert_eq!(
        t.found["docker"].as_ref().unwrap().path,
        f.bin.join("docker").display().to_string()
    );
    assert!(t.has("docker") && t.has("buildx") && t.has("compose"));
    assert_eq!(
        t.cdi_specs,
        vec![f.cdi.join("nvidia.yaml").display().to_string()]
    );
    assert!(t.notes.is_empty(), "{:?}", t.notes);
}

#[test]
fn nvidia_runtime_not_registered() {
    let f = Fake::new();
    f.docker(&format!("echo '{DOCKER_INFO_PLAIN}'"));
    let t = f.detect(f.path(), DEADLINE);
    assert_eq!(t.docker_daemon, DaemonState::Reachable);
    assert_eq!(t.nvidia_runtime, Some(false));
    assert!(t.cdi_specs.is_empty());
}

#[test]
fn docker_daemon_not_running() {
    let f = Fake::new();
    f.docker(&format!(
        "echo '{{\"ServerErrors\":[\"{NOT_RUNNING}\"]}}'; echo 'ERROR: {NOT_RUNNING}' >&2; exit 1"
    ));
    let t = f.detect(f.path(), DEADLINE);
    assert_eq!(t.docker_daemon, DaemonState::NotRunning);
    assert_eq!(t.nvidia_runtime, None);
    assert!(t.has("docker"));
}

#[test]
fn docker_permission_denied() {
    let f = Fake::new();
    f.docker(&format!("echo '{DENIED}' >&2; exit 1"));
    let t = f.detect(f.path(), DEADLINE);
    assert_eq!(t.docker_daemon, DaemonState::PermissionDenied);
    assert_eq!(t.nvidia_runtime, None);
}

#[test]
fn docker_desktop_context() {
    let f = Fake::new();
    f.tool(
        "docker",
        &format!(
            r#"case "$1" in
  --version) echo "Docker version 27.3.1, build ce12230" ;;
  info) echo '{DOCKER_INFO_PLAIN}' ;;
  context) echo desktop-linux ;;
  *) exit 1 ;;
esac"#
        ),
    );
    let t = f.detect(f.path(), DEADLINE);
    assert!(t.docker_desktop);
    // No buildx/compose plugins: listed as absent.
    assert_eq!(t.found.get("buildx"), Some(&None));
    assert_eq!(t.found.get("compose"), Some(&None));
}

#[test]
fn docker_daemon_hangs() {
    let f = Fake::new();
    f.docker("exec /bin/sleep 30");
    let start = Instant::now();
    let t = f.detect(f.path(), Duration::from_millis(500));
    let took = start.elapsed();
    assert_eq!(t.docker_daemon, DaemonState::Hung);
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert!(
        t.notes.iter().any(|n| n.contains("docker info")),
        "{:?}",
        t.notes
    );
    // The client itself answered.
    assert_eq!(version(&t, "docker").as_deref(), Some("27.3.1"));
}

#[test]
fn docker_absent() {
    let f = Fake::new();
    f.tool("python3", "echo 'Python 3.12.4'");
    let t = f.detect(f.path_only_fakes(), DEADLINE);
    assert_eq!(t.docker_daemon, DaemonState::NoClient);
    assert_eq!(t.found.get("docker"), Some(&None));
    assert_eq!(t.found.get("podman"), Some(&None));
    assert_eq!(t.nvidia_runtime, None);
    assert!(!t.has("docker"));
    assert_eq!(version(&t, "python3").as_deref(), Some("3.12.4"));
    // Every known tool has an entry.
    for name in mlcontain::detect::tools::TOOL_NAMES {
        assert!(t.found.contains_key(*name), "{name}");
    }
}

fn pid_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for a reaper is dead too.
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
    }
}

#[test]
fn every_tool_hangs_and_detection_still_returns_on_time() {
    let f = Fake::new();
    let pids = f.bin.join("pids");
    // The hanging scripts leave a grandchild holding the pipes: killing
    // only the script would not be enough.
    let hang = format!("/bin/sleep 30 &\necho $! >> {}\nwait", pids.display());
    for name in mlcontain::detect::tools::TOOL_NAMES {
        f.tool(name, &hang);
    }
    let deadline = Duration::from_millis(600);
    let start = Instant::now();
    let t = f.detect(f.path_only_fakes(), deadline);
    let took = start.elapsed();
    assert!(
        took < deadline + Duration::from_millis(400),
        "took {took:?}"
    );
    assert_eq!(t.docker_daemon, DaemonState::Hung);
    for name in mlcontain::detect::tools::TOOL_NAMES {
        assert!(t.has(name), "{name} found");
        assert_eq!(version(&t, name), None, "{name}");
    }
    assert!(
        t.notes.len() >= mlcontain::detect::tools::TOOL_NAMES.len(),
        "{:#?}",
        t.notes
    );
    // The sleeping grandchildren were killed with their process groups.
    std::thread::sleep(Duration::from_millis(100));
    let text = std::fs::read_to_string(&pids).unwrap_or_default();
    let pids: Vec<u32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    assert!(!pids.is_empty());
    for pid in pids {
        assert!(pid_gone(pid), "sleep {pid} still running");
    }
}

#[test]
fn real_path_does_not_fail() {
    // Whatever this machine has: detection completes within the deadline.
    let start = Instant::now();
    let t = mlcontain::detect::tools::detect_tools(Duration::from_secs(2));
    assert!(start.elapsed() < Duration::from_millis(2500));
    assert!(t.found.contains_key("docker"));
}
