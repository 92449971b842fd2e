//! Whether NVML could be used, and if not, why: a typed failure that words
//! the message and lets `doctor` choose its advice without reading the text.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct NvmlStatus {
    pub available: bool,
    /// What to tell the user: the failure's text, or (NVML available) the
    /// fields it could not read.
    pub error: Option<String>,
    /// Why NVML could not be used (None when it answered). Not part of the
    /// JSON output, which carries its text as `error`.
    #[serde(skip)]
    pub failure: Option<NvmlFailure>,
}

impl NvmlStatus {
    /// NVML could not be used: `error` is the failure's text.
    pub fn failed(failure: NvmlFailure) -> Self {
        NvmlStatus {
            available: false,
            error: Some(failure.to_string()),
            failure: Some(failure),
        }
    }

    /// NVML answered; `notes` name the fields it could not read.
    pub fn answered(notes: Option<String>) -> Self {
        NvmlStatus {
            available: true,
            error: notes,
            failure: None,
        }
    }
}

/// Why NVML was not usable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NvmlFailure {
    /// The library could not be loaded: no NVIDIA driver installed.
    LibraryMissing {
        lib: String,
    },
    /// The library is there, the kernel module is not running.
    DriverNotLoaded {
        lib: String,
    },
    NoPermission {
        lib: String,
    },
    /// The library lacks an NVML entry point: too old, or not NVML at all.
    NotNvml {
        lib: String,
        symbol: String,
    },
    /// Initialisation failed otherwise (NVML's own words).
    InitFailed(String),
    /// The driver did not answer within the deadline (a hung driver).
    TimedOut {
        deadline: Duration,
    },
    /// The library killed the probe process with a signal.
    Crashed {
        signal: i32,
        signal_name: Option<String>,
    },
    /// The probe itself failed (could not start, gave no answer), in words.
    Probe(String),
}

impl fmt::Display for NvmlFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NvmlFailure::LibraryMissing { lib } => {
                write!(f, "NVIDIA driver library {lib} not found (no NVIDIA driver?)")
            }
            NvmlFailure::DriverNotLoaded { lib } => write!(
                f,
                "NVIDIA driver is not loaded ({lib} is installed, but the kernel module is not running)"
            ),
            NvmlFailure::NoPermission { lib } => {
                write!(f, "no permission to talk to the NVIDIA driver through {lib}")
            }
            NvmlFailure::NotNvml { lib, symbol } => {
                write!(f, "{lib} is too old or not NVML (missing {symbol})")
            }
            NvmlFailure::InitFailed(why) => write!(f, "NVML initialisation failed: {why}"),
            NvmlFailure::TimedOut { deadline } => {
                let text = if deadline.subsec_millis() == 0 {
                    format!("{}", deadline.as_secs())
                } else {
                    format!("{:.1}", deadline.as_secs_f64())
                };
                write!(f, "NVML did not answer within {text}s")
            }
            NvmlFailure::Crashed {
                signal,
                signal_name,
            } => match signal_name {
                Some(n) => write!(f, "the NVML library crashed (signal {signal} ({n}))"),
                None => write!(f, "the NVML library crashed (signal {signal})"),
            },
            NvmlFailure::Probe(what) => f.write_str(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_words_its_message() {
        let lib = || "libnvidia-ml.so.1".to_string();
        let cases = [
            (
                NvmlFailure::LibraryMissing { lib: lib() },
                "NVIDIA driver library libnvidia-ml.so.1 not found (no NVIDIA driver?)",
            ),
            (
                NvmlFailure::DriverNotLoaded { lib: lib() },
                "NVIDIA driver is not loaded (libnvidia-ml.so.1 is installed, but the kernel module is not running)",
            ),
            (
                NvmlFailure::NoPermission { lib: lib() },
                "no permission to talk to the NVIDIA driver through libnvidia-ml.so.1",
            ),
            (
                NvmlFailure::NotNvml {
                    lib: lib(),
                    symbol: "nvmlInit_v2".into(),
                },
                "libnvidia-ml.so.1 is too old or not NVML (missing nvmlInit_v2)",
            ),
            (
                NvmlFailure::TimedOut {
                    deadline: Duration::from_secs(2),
                },
                "NVML did not answer within 2s",
            ),
            (
                NvmlFailure::TimedOut {
                    deadline: Duration::from_millis(500),
                },
                "NVML did not answer within 0.5s",
            ),
            (
                NvmlFailure::Crashed {
                    signal: 11,
                    signal_name: Some("SIGSEGV".into()),
                },
                "the NVML library crashed (signal 11 (SIGSEGV))",
            ),
            (
                NvmlFailure::Crashed {
                    signal: 31,
                    signal_name: None,
                },
                "the NVML library crashed (signal 31)",
            ),
        ];
        for (failure, text) in cases {
            assert_eq!(failure.to_string(), text);
            let s = NvmlStatus::failed(failure.clone());
            assert!(!s.available);
            assert_eq!(s.error.as_deref(), Some(text));
            assert_eq!(s.failure, Some(failure));
        }
        let ok = NvmlStatus::answered(None);
        assert!(ok.available && ok.error.is_none() && ok.failure.is_none());
    }

    #[test]
    fn the_json_form_is_unchanged() {
        let s = NvmlStatus::failed(NvmlFailure::NoPermission { lib: "x".into() });
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"available": false, "error": "no permission to talk to the NVIDIA driver through x"})
        );
    }
}
