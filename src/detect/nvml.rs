//! Host GPUs through NVML (`libnvidia-ml.so.1`, installed by the NVIDIA driver).
//!
//! Nothing here fails: a missing library, a driver that does not answer, or a
//! GPU whose name cannot be read all end up as data in [`GpuFacts`]. One
//! failing field of one GPU goes into that GPU's `errors`; the other fields
//! and the other GPUs survive.

use crate::facts::{Driver, Facts, Gpu, NvmlFailure, NvmlStatus};
use crate::version::{ComputeCapability, Version};
use nvml_wrapper::bitmasks::InitFlags;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Device, Nvml};
use serde::{Deserialize, Serialize};
use std::ffi::{OsStr, OsString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The file name the NVIDIA driver installs (there is no unversioned
/// `libnvidia-ml.so` without the development package).
pub const NVML_LIB: &str = "libnvidia-ml.so.1";

/// Environment variable that, when set, names the NVML library to load
/// instead of [`NVML_LIB`] (for tests and unusual installs).
pub const NVML_LIB_ENV: &str = "MLCONTAIN_NVML_LIB";

/// What NVML says about the host: the three GPU-related parts of [`Facts`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuFacts {
    pub gpus: Vec<Gpu>,
    pub driver: Option<Driver>,
    pub nvml: NvmlStatus,
}

impl GpuFacts {
    /// Facts for a host where NVML could not be used.
    pub fn unavailable(failure: NvmlFailure) -> Self {
        GpuFacts {
            gpus: Vec::new(),
            driver: None,
            nvml: NvmlStatus::failed(failure),
        }
    }

    /// Moves these parts into `facts`.
    pub fn apply(self, facts: &mut Facts) {
        facts.gpus = self.gpus;
        facts.driver = self.driver;
        facts.nvml = self.nvml;
    }
}

/// The library to load: `$MLCONTAIN_NVML_LIB` or `libnvidia-ml.so.1`.
pub fn default_lib() -> OsString {
    std::env::var_os(NVML_LIB_ENV)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| OsString::from(NVML_LIB))
}

/// Detects GPUs with the default library, without a deadline.
pub fn detect_gpus() -> GpuFacts {
    detect_gpus_from(&default_lib())
}

/// Detects GPUs with the default library; gives up after `deadline`.
pub fn detect_gpus_with_deadline(deadline: Duration) -> GpuFacts {
    detect_gpus_from_with_deadline(&default_lib(), deadline)
}

/// When set (the binary sets it in `commands::main`), the deadline probe runs
/// NVML in a child process of this executable, so a library that crashes
/// (SIGSEGV, abort) or hangs costs "NVML unavailable", never mlcontain.
static PROBE_IN_CHILD: AtomicBool = AtomicBool::new(false);

/// The child probe's environment variable: the library to load. A process
/// started with it probes, prints [`GpuFacts`] as JSON and exits.
pub const PROBE_CHILD_ENV: &str = "MLCONTAIN_NVML_PROBE_CHILD";

/// Runs NVML probes in a child process from now on (see [`PROBE_IN_CHILD`]).
pub fn probe_in_child_process(on: bool) {
    PROBE_IN_CHILD.store(on, Ordering::SeqCst);
}

/// What the child probe prints: the facts, and the typed failure (which
/// the facts' JSON form carries only as text).
#[derive(Serialize, Deserialize)]
struct ProbeAnswer {
    facts: GpuFacts,
    failure: Option<NvmlFailure>,
}

/// In a child started by [`detect_gpus_from_with_deadline`]: probe, print
/// the facts as JSON, and return the exit code. None in any other process.
pub fn probe_child_main() -> Option<u8> {
    let lib = std::env::var_os(PROBE_CHILD_ENV)?;
    let facts = detect_gpus_from(&lib);
    let failure = facts.nvml.failure.clone();
    let json = serde_json::to_string(&ProbeAnswer { facts, failure }).ok()?;
    println!("{json}");
    Some(0)
}

/// Detects GPUs (in a child process when [`probe_in_child_process`] is on,
/// else on a thread) and waits at most `deadline`. A driver that hangs
/// yields `nvml.available = false` with a "did not answer" error; one that
/// crashes, "the NVML library crashed".
pub fn detect_gpus_from_with_deadline(lib: &OsStr, deadline: Duration) -> GpuFacts {
    if PROBE_IN_CHILD.load(Ordering::SeqCst) {
        if let Some(f) = detect_in_child(lib, deadline) {
            return f;
        }
    }
    detect_on_thread(lib, deadline)
}

/// The probe in a child process; None when no child could be started.
fn detect_in_child(lib: &OsStr, deadline: Duration) -> Option<GpuFacts> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().ok()?;
    let mut child = Command::new(exe)
        .env(PROBE_CHILD_ENV, lib)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(16 * 1024 * 1024).read_to_end(&mut buf);
        buf
    });
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Some(GpuFacts::unavailable(NvmlFailure::TimedOut { deadline }));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                return Some(GpuFacts::unavailable(NvmlFailure::Probe(format!(
                    "the NVML probe failed: {e}"
                ))))
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    if status.success() {
        return Some(match serde_json::from_slice::<ProbeAnswer>(&out) {
            Ok(mut a) => {
                a.facts.nvml.failure = a.failure;
                a.facts
            }
            Err(e) => GpuFacts::unavailable(NvmlFailure::Probe(format!(
                "the NVML probe gave no answer ({e})"
            ))),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                libc::SIGSEGV => Some("SIGSEGV"),
                libc::SIGABRT => Some("SIGABRT"),
                libc::SIGBUS => Some("SIGBUS"),
                libc::SIGILL => Some("SIGILL"),
                libc::SIGFPE => Some("SIGFPE"),
                _ => None,
            };
            return Some(GpuFacts::unavailable(NvmlFailure::Crashed {
                signal: sig,
                signal_name: name.map(str::to_string),
            }));
        }
    }
    Some(GpuFacts::unavailable(NvmlFailure::Probe(format!(
        "the NVML probe exited with {status}"
    ))))
}

fn detect_on_thread(lib: &OsStr, deadline: Duration) -> GpuFacts {
    let (tx, rx) = mpsc::channel();
    let lib = lib.to_os_string();
    let spawned = std::thread::Builder::new()
        .name("mlcontain-nvml".into())
        .spawn(move || {
            let _ = tx.send(detect_gpus_from(&lib));
        });
    if let Err(e) = spawned {
        return GpuFacts::unavailable(NvmlFailure::Probe(format!(
            "could not start the NVML probe: {e}"
        )));
    }
    match rx.recv_timeout(deadline) {
        Ok(f) => f,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            GpuFacts::unavailable(NvmlFailure::TimedOut { deadline })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => GpuFacts::unavailable(NvmlFailure::Probe(
            "the NVML probe stopped unexpectedly".into(),
        )),
    }
}

/// `NVML did not answer within 2s` / `within 0.5s`.
pub fn timeout_message(deadline: Duration) -> String {
    NvmlFailure::TimedOut { deadline }.to_string()
}

/// Initialises NVML from `lib` (a file name searched like `dlopen` does, or
/// a path) and reads the driver and every GPU.
pub fn detect_gpus_from(lib: &OsStr) -> GpuFacts {
    let nvml = match init(lib) {
        Ok(n) => n,
        Err(e) => return GpuFacts::unavailable(init_failure(lib, e)),
    };
    let mut notes: Vec<String> = Vec::new();

    let driver_version = nvml.sys_driver_version();
    let cuda = nvml.sys_cuda_driver_version();
    let driver = match driver_version {
        Ok(text) => match text.trim().parse::<Version>() {
            Ok(version) => Some(Driver {
                version,
                cuda_max: match &cuda {
                    Ok(v) => cuda_version_from_int(*v),
                    Err(e) => {
                        notes.push(format!("CUDA driver version: {e}"));
                        None
                    }
                },
            }),
            Err(_) => {
                notes.push(format!("driver version `{text}` is not a version"));
                None
            }
        },
        Err(e) => {
            notes.push(format!("driver version: {e}"));
            None
        }
    };

    let mut gpus = Vec::new();
    match nvml.device_count() {
        Ok(count) => {
            for index in 0..count {
                gpus.push(read_gpu(&nvml, index));
            }
        }
        Err(e) => notes.push(format!("GPU count: {e}")),
    }
    GpuFacts {
        gpus,
        driver,
        nvml: NvmlStatus::answered((!notes.is_empty()).then(|| notes.join("; "))),
    }
}

fn init(lib: &OsStr) -> Result<Nvml, NvmlError> {
    // NO_GPUS: a driver without GPUs is a valid state, not an error.
    match Nvml::builder()
        .lib_path(lib)
        .flags(InitFlags::NO_GPUS)
        .init()
    {
        // Very old drivers lack nvmlInitWithFlags.
        Err(NvmlError::FailedToLoadSymbol(_)) => Nvml::builder().lib_path(lib).init(),
        other => other,
    }
}

/// What a failed NVML initialisation means.
fn init_failure(lib: &OsStr, e: NvmlError) -> NvmlFailure {
    let lib = lib.to_string_lossy().into_owned();
    match e {
        NvmlError::LibloadingError(_) => NvmlFailure::LibraryMissing { lib },
        NvmlError::DriverNotLoaded => NvmlFailure::DriverNotLoaded { lib },
        NvmlError::NoPermission => NvmlFailure::NoPermission { lib },
        NvmlError::FailedToLoadSymbol(symbol) => NvmlFailure::NotNvml { lib, symbol },
        other => NvmlFailure::InitFailed(other.to_string()),
    }
}

/// `12020` -> `12.2`, `12080` -> `12.8`; None for 0 or negative.
pub fn cuda_version_from_int(v: i32) -> Option<Version> {
    if v <= 0 {
        return None;
    }
    let major = nvml_wrapper::cuda_driver_version_major(v);
    let minor = nvml_wrapper::cuda_driver_version_minor(v);
    Some(Version::new(&[major as u64, minor as u64]))
}

fn read_gpu(nvml: &Nvml, index: u32) -> Gpu {
    let mut gpu = Gpu {
        index,
        name: "unknown NVIDIA GPU".to_string(),
        uuid: None,
        memory_mib: None,
        compute_capability: None,
        mig_enabled: false,
        errors: Vec::new(),
    };
    let device = match nvml.device_by_index(index) {
        Ok(d) => d,
        Err(e) => {
            gpu.errors.push(format!("device handle: {e}"));
            return gpu;
        }
    };
    match device.name() {
        Ok(n) => gpu.name = n.trim().to_string(),
        Err(e) => gpu.errors.push(format!("name: {e}")),
    }
    match device.uuid() {
        Ok(u) => gpu.uuid = Some(u.trim().to_string()),
        Err(e) => gpu.errors.push(format!("uuid: {e}")),
    }
    match memory_total(nvml, &device) {
        Ok(bytes) => gpu.memory_mib = Some(bytes / (1024 * 1024)),
        Err(e) => gpu.errors.push(format!("memory: {e}")),
    }
    match device.cuda_compute_capability() {
        Ok(cc) if cc.major >= 0 && cc.minor >= 0 => {
            gpu.compute_capability = Some(ComputeCapability::new(cc.major as u32, cc.minor as u32))
        }
        Ok(cc) => gpu.errors.push(format!(
            "compute capability: invalid {}.{}",
            cc.major, cc.minor
        )),
        Err(e) => gpu.errors.push(format!("compute capability: {e}")),
    }
    match device.mig_mode() {
        Ok(m) => gpu.mig_enabled = m.current == 1, // NVML_DEVICE_MIG_ENABLE
        // Consumer GPUs do not support MIG: not an error worth reporting.
        Err(NvmlError::NotSupported) | Err(NvmlError::FailedToLoadSymbol(_)) => {}
        Err(e) => gpu.errors.push(format!("MIG mode: {e}")),
    }
    gpu
}

/// Total memory in bytes: `nvmlDeviceGetMemoryInfo_v2`, falling back to the
/// v1 call on drivers that predate it (R470 and older).
fn memory_total(nvml: &Nvml, device: &Device<'_>) -> Result<u64, NvmlError> {
    match device.memory_info() {
        Ok(m) => Ok(m.total),
        Err(
            e @ (NvmlError::FailedToLoadSymbol(_)
            | NvmlError::FunctionNotFound
            | NvmlError::NotSupported
            | NvmlError::UnexpectedVariant(25)),
        ) => memory_total_v1(nvml, device).map_err(|_| e),
        Err(e) => Err(e),
    }
}

/// Same layout as NVML's `nvmlMemory_t`.
#[repr(C)]
struct MemoryV1 {
    total: u64,
    free: u64,
    used: u64,
}

fn memory_total_v1(nvml: &Nvml, device: &Device<'_>) -> Result<u64, NvmlError> {
    let sym = match nvml.lib().nvmlDeviceGetMemoryInfo.as_ref() {
        Ok(s) => *s,
        Err(e) => return Err(NvmlError::FailedToLoadSymbol(e.to_string())),
    };
    let mut info = MemoryV1 {
        total: 0,
        free: 0,
        used: 0,
    };
    // SAFETY: `sym` is nvmlDeviceGetMemoryInfo from the loaded library, the
    // handle belongs to the live `nvml`, and `MemoryV1` matches nvmlMemory_t.
    let rc = unsafe { sym(device.handle(), (&mut info as *mut MemoryV1).cast()) };
    if rc == 0 {
        Ok(info.total)
    } else {
        Err(NvmlError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_versions() {
        assert_eq!(cuda_version_from_int(12020).unwrap().as_str(), "12.2");
        assert_eq!(cuda_version_from_int(12080).unwrap().as_str(), "12.8");
        assert_eq!(cuda_version_from_int(11040).unwrap().as_str(), "11.4");
        assert_eq!(cuda_version_from_int(13000).unwrap().as_str(), "13.0");
        assert_eq!(cuda_version_from_int(0), None);
    }

    #[test]
    fn missing_library() {
        let f = detect_gpus_from(OsStr::new("/nonexistent/libnvidia-ml.so.1"));
        assert!(!f.nvml.available);
        assert_eq!(
            f.nvml.failure,
            Some(NvmlFailure::LibraryMissing {
                lib: "/nonexistent/libnvidia-ml.so.1".into()
            })
        );
        assert!(f.gpus.is_empty());
        assert_eq!(f.driver, None);
        assert_eq!(
            f.nvml.error.as_deref(),
            Some("NVIDIA driver library /nonexistent/libnvidia-ml.so.1 not found (no NVIDIA driver?)")
        );
    }

    #[test]
    fn timeout_messages() {
        assert_eq!(
            timeout_message(Duration::from_secs(2)),
            "NVML did not answer within 2s"
        );
        assert_eq!(
            timeout_message(Duration::from_millis(500)),
            "NVML did not answer within 0.5s"
        );
    }
}
