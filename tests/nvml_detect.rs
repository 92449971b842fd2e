//! GPU detection against a fake `libnvidia-ml.so.1` (tests/fake_nvml).

mod common;

use common::fake_nvml::{empty_lib_dir, fake_nvml_dir, fake_nvml_lib};
use mlcontain::detect::nvml::{
    detect_gpus, detect_gpus_from, detect_gpus_from_with_deadline, GpuFacts,
};
use mlcontain::facts::NvmlFailure;
use mlcontain::version::ComputeCapability;
use std::process::Command;
use std::time::{Duration, Instant};

fn detect(scenario: &str) -> GpuFacts {
    detect_gpus_from(fake_nvml_lib(scenario).as_os_str())
}

fn cc(major: u32, minor: u32) -> Option<ComputeCapability> {
    Some(ComputeCapability::new(major, minor))
}

#[test]
fn h100() {
    let f = detect("h100");
    assert!(f.nvml.available);
    assert_eq!(f.nvml.error, None);
    let d = f.driver.as_ref().unwrap();
    assert_eq!(d.version.as_str(), "535.104.05");
    assert_eq!(d.cuda_max.as_ref().unwrap().as_str(), "12.2");
    assert_eq!(f.gpus.len(), 1);
    let g = &f.gpus[0];
    assert_eq!(g.index, 0);
    assert_eq!(g.name, "NVIDIA H100 80GB HBM3");
    assert_eq!(
        g.uuid.as_deref(),
        Some("GPU-11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(g.memory_mib, Some(81559));
    assert_eq!(g.compute_capability, cc(9, 0));
    assert!(!g.mig_enabled);
    assert!(g.errors.is_empty(), "{:?}", g.errors);
    assert_eq!(g.label(), "H100 80GB HBM3 (sm_90)");
}

#[test]
fn no_gpus_is_a_valid_state() {
    let f = detect("none-gpus");
    assert!(f.nvml.available);
    assert_eq!(f.nvml.error, None);
    assert!(f.gpus.is_empty());
    assert_eq!(f.driver.as_ref().unwrap().version.as_str(), "550.54.15");
    assert_eq!(
        f.driver
            .as_ref()
            .unwrap()
            .cuda_max
            .as_ref()
            .unwrap()
            .as_str(),
        "12.4"
    );
}

#[test]
fn rtx5090() {
    let f = detect("rtx5090");
    let d = f.driver.as_ref().unwrap();
    assert_eq!(d.version.as_str(), "570.124.06");
    assert_eq!(d.cuda_max.as_ref().unwrap().as_str(), "12.8");
    assert_eq!(f.gpus[0].name, "NVIDIA GeForce RTX 5090");
    assert_eq!(f.gpus[0].compute_capability, cc(12, 0));
    // MIG "not supported" on a consumer card is not an error.
    assert!(f.gpus[0].errors.is_empty(), "{:?}", f.gpus[0].errors);
}

#[test]
fn two_different_gpus() {
    let f = detect("a100_4090");
    assert_eq!(f.driver.as_ref().unwrap().version.as_str(), "550.54.15");
    assert_eq!(
        f.driver
            .as_ref()
            .unwrap()
            .cuda_max
            .as_ref()
            .unwrap()
            .as_str(),
        "12.4"
    );
    let names: Vec<_> = f.gpus.iter().map(|g| (g.index, g.name.as_str())).collect();
    assert_eq!(
        names,
        vec![(0, "NVIDIA A100-SXM4-80GB"), (1, "NVIDIA GeForce RTX 4090")]
    );
    assert_eq!(f.gpus[0].compute_capability, cc(8, 0));
    assert_eq!(f.gpus[1].compute_capability, cc(8, 9));
    assert_eq!(f.gpus[1].memory_mib, Some(24564));
}

#[test]
fn old_driver_without_memory_v2() {
    let f = detect("gtx1080");
    let d = f.driver.as_ref().unwrap();
    assert_eq!(d.version.as_str(), "470.256.02");
    assert_eq!(d.cuda_max.as_ref().unwrap().as_str(), "11.4");
    let g = &f.gpus[0];
    assert_eq!(g.name, "NVIDIA GeForce GTX 1080");
    assert_eq!(g.compute_capability, cc(6, 1));
    // Falls back to nvmlDeviceGetMemoryInfo (v1).
    assert_eq!(g.memory_mib, Some(8192));
    assert!(g.errors.is_empty(), "{:?}", g.errors);
}

#[test]
fn failing_fields_keep_the_others() {
    let f = detect("failing");
    assert!(f.nvml.available);
    assert_eq!(f.gpus.len(), 2);
    let g = &f.gpus[0];
    assert_eq!(
        g.uuid.as_deref(),
        Some("GPU-deadbeef-dead-beef-dead-beefdeadbeef")
    );
    assert_eq!(g.compute_capability, cc(9, 0));
    assert_eq!(g.memory_mib, None);
    assert_eq!(g.errors.len(), 2, "{:?}", g.errors);
    assert!(g.errors[0].starts_with("name: "), "{:?}", g.errors);
    assert!(g.errors[1].starts_with("memory: "), "{:?}", g.errors);
    // The second GPU is unaffected.
    assert_eq!(f.gpus[1].name, "NVIDIA A100-SXM4-80GB");
    assert!(f.gpus[1].errors.is_empty());
}

#[test]
fn mig_enabled() {
    let f = detect("mig");
    assert!(f.gpus[0].mig_enabled);
    assert_eq!(f.gpus[0].compute_capability, cc(9, 0));
}

#[test]
fn driver_not_loaded() {
    let f = detect("init-fail");
    assert!(!f.nvml.available);
    assert!(f.gpus.is_empty());
    assert!(
        f.nvml
            .error
            .as_deref()
            .unwrap()
            .contains("driver is not loaded"),
        "{:?}",
        f.nvml.error
    );
    assert!(
        matches!(f.nvml.failure, Some(NvmlFailure::DriverNotLoaded { .. })),
        "{:?}",
        f.nvml.failure
    );
}

#[test]
fn a_hanging_driver_hits_the_deadline() {
    let lib = fake_nvml_lib("hang");
    let start = Instant::now();
    let f = detect_gpus_from_with_deadline(lib.as_os_str(), Duration::from_millis(300));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(!f.nvml.available);
    assert_eq!(
        f.nvml.error.as_deref(),
        Some("NVML did not answer within 0.3s")
    );
    assert_eq!(
        f.nvml.failure,
        Some(NvmlFailure::TimedOut {
            deadline: Duration::from_millis(300)
        })
    );
}

#[test]
fn missing_library() {
    let lib = empty_lib_dir().join("libnvidia-ml.so.1");
    let f = detect_gpus_from(lib.as_os_str());
    assert!(!f.nvml.available);
    assert!(f
        .nvml
        .error
        .as_deref()
        .unwrap()
        .ends_with("not found (no NVIDIA driver?)"));
    assert!(matches!(
        f.nvml.failure,
        Some(NvmlFailure::LibraryMissing { .. })
    ));
}

/// The binary probes NVML in a child process: the failure's kind survives
/// the trip (doctor's advice follows it), and a crash is a kind of its own.
#[test]
fn doctor_advice_follows_the_failure_from_the_child_probe() {
    let dir = fake_nvml_dir(None);
    let project = tempfile::tempdir().unwrap();
    for (scenario, title) in [
        ("hang", "The NVIDIA driver did not answer"),
        ("init-fail", "NVML is not usable: GPUs cannot be checked"),
        ("segv", "NVML is not usable: GPUs cannot be checked"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
            .arg("--dir")
            .arg(project.path())
            .args(["doctor"])
            .env("LD_LIBRARY_PATH", &dir)
            .env("FAKE_NVML_SCENARIO", scenario)
            .env_remove("MLCONTAIN_NVML_LIB")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(title), "{scenario}: {text}");
    }
    let missing = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .arg("--dir")
        .arg(project.path())
        .args(["doctor"])
        .env("LD_LIBRARY_PATH", empty_lib_dir())
        .env_remove("MLCONTAIN_NVML_LIB")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&missing.stdout);
    assert!(
        text.contains("No NVIDIA driver: containers will be CPU-only"),
        "{text}"
    );
}

/// Run in a child process by the tests below: detects with the default
/// library name (found through LD_LIBRARY_PATH) and prints JSON.
#[test]
#[ignore = "run by the subprocess tests"]
fn child_detect_default_library() {
    if std::env::var_os("MLCONTAIN_FAKE_NVML_CHILD").is_none() {
        return;
    }
    let f = detect_gpus();
    // On its own line: the test harness prints `test name ... ` first.
    println!("\nGPU_FACTS_JSON={}", serde_json::to_string(&f).unwrap());
}

fn child(ld_library_path: &std::path::Path, scenario: &str) -> serde_json::Value {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_detect_default_library",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LD_LIBRARY_PATH", ld_library_path)
        .env("FAKE_NVML_SCENARIO", scenario)
        .env("MLCONTAIN_FAKE_NVML_CHILD", "1")
        .env_remove("MLCONTAIN_NVML_LIB")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("GPU_FACTS_JSON=").map(|(_, j)| j))
        .unwrap_or_else(|| panic!("no JSON in child output: {stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn default_library_name_is_found_through_ld_library_path() {
    // The env-driven build: the scenario comes from FAKE_NVML_SCENARIO.
    let dir = fake_nvml_dir(None);
    let j = child(&dir, "a100_4090");
    assert_eq!(j["nvml"]["available"], true);
    assert_eq!(j["driver"]["version"], "550.54.15");
    assert_eq!(j["driver"]["cuda_max"], "12.4");
    assert_eq!(j["gpus"][0]["name"], "NVIDIA A100-SXM4-80GB");
    assert_eq!(j["gpus"][0]["compute_capability"], "8.0");
    assert_eq!(j["gpus"][1]["compute_capability"], "8.9");
    assert_eq!(j["gpus"][1]["memory_mib"], 24564);
    let j = child(&dir, "h100");
    assert_eq!(
        j["gpus"][0]["uuid"],
        "GPU-11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(j["driver"]["cuda_max"], "12.2");
}

#[test]
fn no_driver_library_through_ld_library_path() {
    // Only meaningful where no real driver is installed in the linker cache.
    let has_real = Command::new("/sbin/ldconfig")
        .arg("-p")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("libnvidia-ml.so.1"))
        .unwrap_or(false)
        || std::path::Path::new("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1").exists();
    if has_real {
        eprintln!("skipped: this machine has a real libnvidia-ml.so.1");
        return;
    }
    let j = child(&empty_lib_dir(), "h100");
    assert_eq!(j["nvml"]["available"], false);
    assert_eq!(
        j["nvml"]["error"],
        "NVIDIA driver library libnvidia-ml.so.1 not found (no NVIDIA driver?)"
    );
    assert_eq!(j["gpus"], serde_json::json!([]));
    assert_eq!(j["driver"], serde_json::Value::Null);
}

/// `mlcontain detect --json` end to end: the fake NVML through
/// LD_LIBRARY_PATH, and a PATH with no tools at all.
#[test]
fn detect_json_binary_with_fake_nvml() {
    let dir = fake_nvml_dir(None);
    let no_tools = tempfile::tempdir().unwrap();
    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pip-torch");
    let out = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .arg("--dir")
        .arg(&project)
        .args(["detect", "--json"])
        .env("LD_LIBRARY_PATH", &dir)
        .env("FAKE_NVML_SCENARIO", "h100")
        .env("PATH", no_tools.path())
        .env_remove("MLCONTAIN_NVML_LIB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["gpus"][0]["name"], "NVIDIA H100 80GB HBM3");
    assert_eq!(j["gpus"][0]["memory_mib"], 81559);
    assert_eq!(j["gpus"][0]["compute_capability"], "9.0");
    assert_eq!(j["driver"]["version"], "535.104.05");
    assert_eq!(j["driver"]["cuda_max"], "12.2");
    assert_eq!(j["nvml"]["available"], true);
    assert_eq!(j["tools"]["docker"], serde_json::Value::Null);
    assert_eq!(j["tools"]["docker_daemon"], "no_client");
    assert_eq!(j["project"]["pins"][0]["source"], "requirements.txt:3");
}
