//! `mlcontain detect`: print what detection found (readable, or `--json`).

use crate::detect::{detect_all, DEFAULT_DEADLINE};
use crate::facts::{DaemonState, Facts, ProjectScan};
use anyhow::{bail, Result};
use std::fmt::Write as _;
use std::path::Path;

/// Detects everything about `dir` and this host and prints it. Exit code 0
/// (detection itself never fails; a missing `dir` is an error).
pub fn run(dir: &Path, json: bool) -> Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let facts = detect_all(dir, DEFAULT_DEADLINE);
    if json {
        println!("{}", to_json_string(&facts));
    } else {
        print!("{}", crate::redact::terminal_safe(&report(&facts)));
    }
    Ok(0)
}

/// The `--json` shape: [`Facts`] with `tools.found` flattened into `tools`
/// (`tools.docker = {path, version}` or null, next to `docker_daemon`,
/// `nvidia_runtime`, `cdi_specs`, `docker_desktop`, `notes`).
pub fn to_json(facts: &Facts) -> serde_json::Value {
    serde_json::to_value(JsonFacts::from(facts)).unwrap_or_default()
}

/// The `--json` text (keys in report order: platform, gpus, driver, nvml, tools, project).
pub fn to_json_string(facts: &Facts) -> String {
    serde_json::to_string_pretty(&JsonFacts::from(facts)).unwrap_or_default()
}

#[derive(serde::Serialize)]
struct JsonFacts<'a> {
    /// `linux/amd64`, `linux/arm64`, or null.
    platform: Option<crate::platform::Platform>,
    gpus: &'a [crate::facts::Gpu],
    driver: &'a Option<crate::facts::Driver>,
    nvml: &'a crate::facts::NvmlStatus,
    tools: JsonTools<'a>,
    project: &'a ProjectScan,
}

#[derive(serde::Serialize)]
struct JsonTools<'a> {
    #[serde(flatten)]
    found: &'a std::collections::BTreeMap<String, Option<crate::facts::Tool>>,
    docker_daemon: &'a DaemonState,
    nvidia_runtime: Option<bool>,
    cdi_specs: &'a [String],
    docker_desktop: bool,
    notes: &'a [String],
}

impl<'a> From<&'a Facts> for JsonFacts<'a> {
    fn from(f: &'a Facts) -> Self {
        JsonFacts {
            platform: f.platform,
            gpus: &f.gpus,
            driver: &f.driver,
            nvml: &f.nvml,
            tools: JsonTools {
                found: &f.tools.found,
                docker_daemon: &f.tools.docker_daemon,
                nvidia_runtime: f.tools.nvidia_runtime,
                cdi_specs: &f.tools.cdi_specs,
                docker_desktop: f.tools.docker_desktop,
                notes: &f.tools.notes,
            },
            project: &f.project,
        }
    }
}

fn daemon_text(s: &DaemonState) -> &'static str {
    match s {
        DaemonState::Reachable => "reachable",
        DaemonState::NotRunning => "not running",
        DaemonState::PermissionDenied => "permission denied (user not in the docker group?)",
        DaemonState::Hung => "did not answer",
        DaemonState::Unknown => "unknown",
        DaemonState::NoClient => "no docker client",
    }
}

/// The readable report.
pub fn report(f: &Facts) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Host");
    let _ = writeln!(
        o,
        "  Platform        {}",
        f.platform
            .map(|p| format!("{p} ({})", p.arch()))
            .unwrap_or_else(|| format!("{} (no images for it)", std::env::consts::ARCH))
    );
    match &f.driver {
        Some(d) => {
            let cuda = d
                .cuda_max
                .as_ref()
                .map(|c| format!(" (CUDA ≤ {c})"))
                .unwrap_or_default();
            let _ = writeln!(o, "  NVIDIA driver   {}{cuda}", d.version);
        }
        None => {
            let why = f.nvml.error.as_deref().unwrap_or("no NVIDIA driver");
            let _ = writeln!(o, "  NVIDIA driver   none ({why})");
        }
    }
    if f.nvml.available {
        if let Some(e) = &f.nvml.error {
            let _ = writeln!(o, "  NVML            {e}");
        }
    }
    if f.gpus.is_empty() {
        let _ = writeln!(o, "  GPUs            none");
    }
    for g in &f.gpus {
        let mem = g
            .memory_mib
            .map(|m| format!("{m} MiB"))
            .unwrap_or_else(|| "? MiB".into());
        let cc = g
            .compute_capability
            .map(|c| format!("sm_{}{} (cc {c})", c.major, c.minor))
            .unwrap_or_else(|| "cc ?".into());
        let mig = if g.mig_enabled { ", MIG on" } else { "" };
        let _ = writeln!(
            o,
            "  GPU {}           {}, {mem}, {cc}{mig}",
            g.index, g.name
        );
        if let Some(u) = &g.uuid {
            let _ = writeln!(o, "                  {u}");
        }
        for e in &g.errors {
            let _ = writeln!(o, "                  error: {e}");
        }
    }

    let _ = writeln!(o, "\nTools");
    for (name, tool) in &f.tools.found {
        match tool {
            Some(t) => {
                let ver = t.version.as_deref().unwrap_or("?");
                let _ = writeln!(o, "  {name:<26} {ver:<10} {}", t.path);
            }
            None => {
                let _ = writeln!(o, "  {name:<26} -");
            }
        }
    }
    let _ = writeln!(
        o,
        "  Docker daemon              {}",
        daemon_text(&f.tools.docker_daemon)
    );
    let rt = match f.tools.nvidia_runtime {
        Some(true) => "registered",
        Some(false) => "not registered",
        None => "unknown",
    };
    let _ = writeln!(o, "  NVIDIA runtime (Docker)    {rt}");
    let cdi = if f.tools.cdi_specs.is_empty() {
        "none".to_string()
    } else {
        f.tools.cdi_specs.join(", ")
    };
    let _ = writeln!(o, "  CDI specs                  {cdi}");
    if f.tools.docker_desktop {
        let _ = writeln!(o, "  Docker Desktop             yes");
    }
    for n in &f.tools.notes {
        let _ = writeln!(o, "  note: {n}");
    }

    let _ = writeln!(o, "\nProject");
    project_report(&mut o, &f.project);
    o
}

fn project_report(o: &mut String, p: &ProjectScan) {
    let mut manifests: Vec<String> = p.requirements.clone();
    if let Some(py) = &p.pyproject {
        manifests.push(py.path.clone());
    }
    if p.uv_lock {
        manifests.push("uv.lock".into());
    }
    if p.poetry_lock {
        manifests.push("poetry.lock".into());
    }
    if let Some(e) = &p.environment_yml {
        manifests.push(e.clone());
    }
    if p.pipfile {
        manifests.push("Pipfile".into());
    }
    if p.setup_py {
        manifests.push("setup.py".into());
    }
    let or_none = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(o, "  manifests       {}", or_none(&manifests));
    let pm = p
        .package_manager_hint()
        .map(|m| m.to_string())
        .unwrap_or_else(|| "-".into());
    let _ = writeln!(o, "  package manager {pm}");
    let _ = writeln!(
        o,
        "  python          {}",
        p.python_hint.as_deref().unwrap_or("-")
    );
    if p.pins.is_empty() {
        let _ = writeln!(o, "  framework pins  none");
    }
    for pin in &p.pins {
        let _ = writeln!(o, "  pin             {}  ({})", pin.spec, pin.source);
    }
    for u in &p.index_urls {
        let _ = writeln!(o, "  index URL       {u}");
    }
    let ep = &p.entry_points;
    let _ = writeln!(
        o,
        "  training        {}",
        ep.training.as_deref().unwrap_or("-")
    );
    let app = match ep.inference_app {
        Some(crate::facts::WebApp::Fastapi) => " (FastAPI app)",
        Some(crate::facts::WebApp::Flask) => " (Flask app)",
        None => "",
    };
    let _ = writeln!(
        o,
        "  inference       {}{app}",
        ep.inference.as_deref().unwrap_or("-")
    );
    if !ep.imports.is_empty() {
        let _ = writeln!(o, "  imports         {}", ep.imports.join(", "));
    }
    for c in p.code.candidates.iter().take(10) {
        let _ = writeln!(o, "  {:<15} {}: {}", c.role.as_str(), c.path, c.reason);
    }
    if let Some(best) = p.code.frameworks.first() {
        let _ = writeln!(o, "  framework       {} ({})", best.id, best.reason);
    }
    for w in p.code.server_problems() {
        let _ = writeln!(o, "  warning         {w}");
    }
    for m in &p.model_files {
        let _ = writeln!(o, "  model file      {} ({})", m.path, human_bytes(m.bytes));
    }
    let mut existing = Vec::new();
    if p.existing.dockerfile {
        existing.push("Dockerfile".to_string());
    }
    if let Some(c) = &p.existing.compose {
        existing.push(c.clone());
    }
    if p.existing.dockerignore {
        existing.push(".dockerignore".into());
    }
    if p.existing.mlcontain_yaml {
        existing.push("mlcontain.yaml".into());
    }
    let _ = writeln!(o, "  container files {}", or_none(&existing));
    if !p.large_dirs.is_empty() {
        let _ = writeln!(o, "  large folders   {}", p.large_dirs.join(" "));
    }
    for w in &p.warnings {
        let _ = writeln!(o, "  warning: {w}");
    }
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Driver, Gpu, NvmlStatus, Tool};
    use crate::version::ComputeCapability;

    fn facts() -> Facts {
        let mut f = Facts {
            gpus: vec![Gpu {
                index: 0,
                name: "NVIDIA H100 80GB HBM3".into(),
                uuid: Some("GPU-1".into()),
                memory_mib: Some(81559),
                compute_capability: Some(ComputeCapability::new(9, 0)),
                mig_enabled: false,
                errors: vec![],
            }],
            driver: Some(Driver {
                version: "535.104.05".parse().unwrap(),
                cuda_max: Some("12.2".parse().unwrap()),
            }),
            nvml: NvmlStatus::answered(None),
            ..Default::default()
        };
        f.tools.found.insert(
            "docker".into(),
            Some(Tool {
                path: "/usr/bin/docker".into(),
                version: Some("27.3.1".into()),
            }),
        );
        f.tools.found.insert("podman".into(), None);
        f.tools.docker_daemon = DaemonState::Reachable;
        f.tools.nvidia_runtime = Some(true);
        f
    }

    #[test]
    fn json_shape() {
        let mut f = facts();
        f.platform = Some(crate::platform::Platform::Arm64);
        let j = to_json(&f);
        assert_eq!(j["platform"], "linux/arm64");
        assert!(report(&f).contains("Platform        linux/arm64 (aarch64)"));
        let j = to_json(&facts());
        assert_eq!(j["gpus"][0]["index"], 0);
        assert_eq!(j["gpus"][0]["name"], "NVIDIA H100 80GB HBM3");
        assert_eq!(j["gpus"][0]["uuid"], "GPU-1");
        assert_eq!(j["gpus"][0]["memory_mib"], 81559);
        assert_eq!(j["gpus"][0]["compute_capability"], "9.0");
        assert_eq!(j["driver"]["version"], "535.104.05");
        assert_eq!(j["driver"]["cuda_max"], "12.2");
        assert_eq!(j["nvml"]["available"], true);
        assert_eq!(j["nvml"]["error"], serde_json::Value::Null);
        assert_eq!(j["tools"]["docker"]["path"], "/usr/bin/docker");
        assert_eq!(j["tools"]["docker"]["version"], "27.3.1");
        assert_eq!(j["tools"]["podman"], serde_json::Value::Null);
        assert_eq!(j["tools"]["docker_daemon"], "reachable");
        assert_eq!(j["tools"]["nvidia_runtime"], true);
        assert_eq!(j["tools"]["cdi_specs"], serde_json::json!([]));
        assert_eq!(j["tools"]["docker_desktop"], false);
        assert!(j["tools"].get("found").is_none());
        assert!(j["project"].is_object());
        let text = to_json_string(&facts());
        assert!(text.find("\"gpus\"").unwrap() < text.find("\"project\"").unwrap());
        let none = to_json(&Facts::default());
        assert_eq!(none["driver"], serde_json::Value::Null);
    }

    #[test]
    fn readable_report() {
        let r = report(&facts());
        assert!(
            r.contains("NVIDIA driver   535.104.05 (CUDA ≤ 12.2)"),
            "{r}"
        );
        assert!(
            r.contains("GPU 0           NVIDIA H100 80GB HBM3, 81559 MiB, sm_90 (cc 9.0)"),
            "{r}"
        );
        assert!(r.contains("Docker daemon              reachable"), "{r}");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
