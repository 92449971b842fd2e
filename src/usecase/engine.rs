//! Whether the container engine answers, before a build or a verify uses
//! it (a hung daemon must not hang mlcontain).

use crate::docker::{CommandLine, Engine};
use std::time::{Duration, Instant};

/// How long the engine may take to answer `docker info` before the build
/// gives up on it (a hung daemon must not hang mlcontain).
pub const DAEMON_DEADLINE: Duration = Duration::from_secs(15);

/// Checks the engine answers within [`DAEMON_DEADLINE`]; on failure prints
/// why and the fix and returns false.
pub fn engine_ready(engine: Engine) -> bool {
    let start = Instant::now();
    let info = CommandLine::new(engine.program()).args(["info", "--format", "{{json .}}"]);
    let r = crate::docker::run_quiet(&info, DAEMON_DEADLINE);
    if engine == Engine::Podman {
        if r.success() {
            return true;
        }
        eprintln!("error: `podman info` failed:\n{}", r.stderr.trim());
        for h in crate::docker::explain_engine_access(&r.stderr, engine) {
            eprintln!("\n{h}");
        }
        return false;
    }
    let d = crate::detect::tools::classify_docker_info(&r);
    use crate::facts::DaemonState as S;
    match d.state {
        S::Reachable => true,
        S::Hung => {
            eprintln!(
                "error: the Docker daemon did not answer `docker info` within {} s (killed). \
                 It may be overloaded or stuck: check `systemctl status docker` and its log \
                 (`journalctl -u docker`), or restart it (`sudo systemctl restart docker`).",
                DAEMON_DEADLINE.as_secs()
            );
            false
        }
        S::NotRunning | S::PermissionDenied => {
            eprintln!(
                "error: the Docker daemon is not usable: {}",
                first_line(&r.stderr)
            );
            for h in crate::docker::explain_engine_access(&r.stderr, engine) {
                eprintln!("\n{h}");
            }
            false
        }
        _ => {
            if let Some(e) = &r.spawn_error {
                eprintln!("error: cannot run docker: {e}");
                return false;
            }
            // Unknown: let the build itself say what is wrong.
            eprintln!(
                "warning: {} (after {:.1} s); trying the build anyway",
                d.note
                    .unwrap_or_else(|| "`docker info` gave no answer".into()),
                start.elapsed().as_secs_f64()
            );
            true
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
}
