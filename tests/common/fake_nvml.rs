//! Builds tests/fake_nvml/fake_nvml.c into a `libnvidia-ml.so.1` under the
//! target directory, once per test process and scenario.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The scenarios the fake knows.
pub const SCENARIOS: &[&str] = &[
    "none-gpus",
    "h100",
    "rtx5090",
    "a100_4090",
    "gtx1080",
    "failing",
    "mig",
    "init-fail",
    "hang",
    "b200x8_570",
    "b200x8_580",
    "gb200_580",
    "gb10_580",
    "rtxpro6000_575",
    "rtxpro6000_595",
    "thor_580",
    "h200x8_590",
    "v100_h100_580",
    "gtx1080ti_580",
    "a100_470",
];

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake_nvml/fake_nvml.c")
}

fn base_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fake_nvml")
}

/// A folder holding only `libnvidia-ml.so.1` (the versioned name, as the
/// real driver installs it). With `Some(scenario)` the library answers that
/// scenario unless `FAKE_NVML_SCENARIO` says otherwise; with `None` it
/// follows `FAKE_NVML_SCENARIO` (default `none-gpus`).
pub fn fake_nvml_dir(scenario: Option<&str>) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let key = scenario.unwrap_or("env").to_string();
    let map = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = map.get(&key) {
        return dir.clone();
    }
    let dir = base_dir().join(&key);
    std::fs::create_dir_all(&dir).expect("create fake NVML folder");
    // Build under a unique name, then rename: test binaries running at the
    // same time never see a half-written library.
    let tmp = dir.join(format!(".build-{}.so", std::process::id()));
    let mut cmd = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cmd.args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(&tmp)
        .arg(source());
    if let Some(s) = scenario {
        cmd.arg(format!("-DFAKE_NVML_DEFAULT_SCENARIO=\"{s}\""));
    }
    let out = cmd
        .output()
        .expect("a C compiler (`cc`) is needed to build the fake NVML library");
    assert!(
        out.status.success(),
        "building the fake NVML library failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, dir.join("libnvidia-ml.so.1")).expect("install fake NVML library");
    map.insert(key, dir.clone());
    dir
}

/// Path of the fake library for one scenario.
pub fn fake_nvml_lib(scenario: &str) -> PathBuf {
    fake_nvml_dir(Some(scenario)).join("libnvidia-ml.so.1")
}

/// An existing empty folder (LD_LIBRARY_PATH with no NVML in it).
pub fn empty_lib_dir() -> PathBuf {
    let dir = base_dir().join("empty");
    std::fs::create_dir_all(&dir).expect("create empty folder");
    dir
}
