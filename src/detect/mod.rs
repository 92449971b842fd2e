//! Detection: host GPUs (NVML), installed tools, and the project itself.
//! Each part produces facts; none of them fails the whole detection.
//!
//! The parts are independent and can run on background threads:
//! [`spawn_detection`] starts all three and delivers each result as a
//! [`DetectEvent`] (for a UI that shows results as they arrive);
//! [`detect_all`] waits for them up to a deadline and assembles [`Facts`],
//! putting an "unknown" state in place of any part that did not finish.

pub mod code;
pub mod imports;
pub mod locks;
pub mod nvml;
pub mod packages;
pub mod project;
pub mod pysource;
pub mod req_layout;
mod toml_spans;
pub mod tool_config;
pub mod tools;

use crate::facts::{DaemonState, Facts, ProjectScan, Tools};
use nvml::GpuFacts;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The deadline `mlcontain detect` / `doctor` give each probe.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);

/// Time allowed after the deadline for finished parts to report.
const SLACK: Duration = Duration::from_millis(250);

/// One part of detection, finished.
// Sent once per part over a channel: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum DetectEvent {
    Gpus(GpuFacts),
    Tools(Tools),
    /// The project scan; Err when the directory itself cannot be read.
    Project(Result<ProjectScan, String>),
}

/// Starts GPU, tool and project detection on three threads; each sends one
/// event when done. NVML and tool probes stop at `deadline` on their own
/// (reporting the timeout); the project scan is bounded by design.
pub fn spawn_detection(dir: PathBuf, deadline: Duration) -> mpsc::Receiver<DetectEvent> {
    let (tx, rx) = mpsc::channel();
    let gpu_tx = tx.clone();
    let _ = std::thread::Builder::new()
        .name("mlcontain-detect-gpus".into())
        .spawn(move || {
            let _ = gpu_tx.send(DetectEvent::Gpus(nvml::detect_gpus_with_deadline(deadline)));
        });
    let tools_tx = tx.clone();
    let _ = std::thread::Builder::new()
        .name("mlcontain-detect-tools".into())
        .spawn(move || {
            let _ = tools_tx.send(DetectEvent::Tools(tools::detect_tools(deadline)));
        });
    let _ = std::thread::Builder::new()
        .name("mlcontain-detect-project".into())
        .spawn(move || {
            let r = project::scan(&dir).map_err(|e| e.to_string());
            let _ = tx.send(DetectEvent::Project(r));
        });
    rx
}

/// Runs all detection concurrently and assembles [`Facts`], never waiting
/// much past `deadline`. A part that did not finish gets its unknown state
/// (NVML unavailable with a timeout error, tools with an unknown daemon, an
/// empty project scan with a warning); a project directory that cannot be
/// read becomes a warning in `facts.project.warnings`.
pub fn detect_all(dir: &Path, deadline: Duration) -> Facts {
    let rx = spawn_detection(dir.to_path_buf(), deadline);
    let until = Instant::now() + deadline + SLACK;
    let (mut gpus, mut tools, mut project) = (None, None, None);
    while gpus.is_none() || tools.is_none() || project.is_none() {
        let now = Instant::now();
        if now >= until {
            break;
        }
        match rx.recv_timeout(until - now) {
            Ok(DetectEvent::Gpus(g)) => gpus = Some(g),
            Ok(DetectEvent::Tools(t)) => tools = Some(t),
            Ok(DetectEvent::Project(p)) => project = Some(p),
            Err(_) => break,
        }
    }
    assemble(gpus, tools, project, deadline)
}

/// Builds [`Facts`] from whichever parts finished.
pub fn assemble(
    gpus: Option<GpuFacts>,
    tools: Option<Tools>,
    project: Option<Result<ProjectScan, String>>,
    deadline: Duration,
) -> Facts {
    let mut facts = Facts {
        platform: crate::platform::Platform::host(),
        ..Facts::default()
    };
    gpus.unwrap_or_else(|| GpuFacts::unavailable(crate::facts::NvmlFailure::TimedOut { deadline }))
        .apply(&mut facts);
    facts.tools = tools.unwrap_or_else(|| Tools {
        docker_daemon: DaemonState::Unknown,
        notes: vec!["tool detection did not finish in time".into()],
        ..Default::default()
    });
    facts.project = match project {
        Some(Ok(p)) => p,
        Some(Err(e)) => ProjectScan {
            warnings: vec![crate::scan_issue::ScanIssue::general(
                crate::scan_issue::IssueKind::Note,
                e,
            )],
            ..Default::default()
        },
        None => ProjectScan {
            warnings: vec![crate::scan_issue::ScanIssue::general(
                crate::scan_issue::IssueKind::Note,
                "the project scan did not finish in time",
            )],
            ..Default::default()
        },
    };
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_parts_are_unknown() {
        let f = assemble(None, None, None, Duration::from_secs(2));
        assert!(!f.nvml.available);
        assert_eq!(
            f.nvml.error.as_deref(),
            Some("NVML did not answer within 2s")
        );
        assert_eq!(f.tools.docker_daemon, DaemonState::Unknown);
        assert_eq!(f.project.warnings.len(), 1);
    }

    #[test]
    fn detect_all_on_a_missing_dir_still_returns() {
        let start = Instant::now();
        let f = detect_all(
            Path::new("/nonexistent/mlcontain"),
            Duration::from_millis(800),
        );
        assert!(start.elapsed() < Duration::from_millis(1500));
        assert!(f.project.warnings[0]
            .to_string()
            .contains("no such directory"));
    }
}
