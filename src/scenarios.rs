//! Named host scenarios (GPUs and drivers) as facts: used by tests, benches
//! and the wizard's screenshots. The same scenarios are played by the fake
//! NVML library in `tests/fake_nvml/` for the detection tests.

use crate::facts::{Driver, Facts, Gpu, NvmlFailure, NvmlStatus};
use crate::version::ComputeCapability;

fn gpu(index: u32, name: &str, mib: u64, cc: (u32, u32)) -> Gpu {
    Gpu {
        index,
        name: name.to_string(),
        uuid: Some(format!("GPU-{index:08x}-0000-0000-0000-000000000000")),
        memory_mib: Some(mib),
        compute_capability: Some(ComputeCapability::new(cc.0, cc.1)),
        mig_enabled: false,
        errors: vec![],
    }
}

fn host(gpus: Vec<Gpu>, driver: &str, cuda_max: &str) -> Facts {
    Facts {
        gpus,
        driver: Some(Driver {
            version: driver.parse().expect("driver version"),
            cuda_max: Some(cuda_max.parse().expect("cuda version")),
        }),
        nvml: NvmlStatus::answered(None),
        ..Default::default()
    }
}

/// No NVIDIA driver at all.
pub fn no_gpu() -> Facts {
    Facts {
        // The library is missing; the text is shorter than detection's
        // (the fixtures' plans quote it).
        nvml: NvmlStatus {
            available: false,
            error: Some("NVIDIA driver library libnvidia-ml.so.1 not found".into()),
            failure: Some(NvmlFailure::LibraryMissing {
                lib: "libnvidia-ml.so.1".into(),
            }),
        },
        ..Default::default()
    }
}

/// One H100 80GB on driver 535.104.05 (CUDA 12.2).
pub fn h100_535() -> Facts {
    host(
        vec![gpu(0, "NVIDIA H100 80GB HBM3", 81559, (9, 0))],
        "535.104.05",
        "12.2",
    )
}

/// An RTX 5090 (Blackwell, sm_120) on driver 570.124.06 (CUDA 12.8).
pub fn rtx5090_570() -> Facts {
    host(
        vec![gpu(0, "NVIDIA GeForce RTX 5090", 32607, (12, 0))],
        "570.124.06",
        "12.8",
    )
}

/// A GTX 1080 (Pascal, sm_61) on driver 470.256.02 (CUDA 11.4).
pub fn gtx1080_470() -> Facts {
    host(
        vec![gpu(0, "NVIDIA GeForce GTX 1080", 8192, (6, 1))],
        "470.256.02",
        "11.4",
    )
}

/// An A100 and an RTX 4090 on driver 550.54.15 (CUDA 12.4).
pub fn a100_4090_550() -> Facts {
    host(
        vec![
            gpu(0, "NVIDIA A100-SXM4-80GB", 81920, (8, 0)),
            gpu(1, "NVIDIA GeForce RTX 4090", 24564, (8, 9)),
        ],
        "550.54.15",
        "12.4",
    )
}

/// All named scenarios.
pub fn all() -> Vec<(&'static str, Facts)> {
    vec![
        ("no-gpu", no_gpu()),
        ("h100-535", h100_535()),
        ("rtx5090-570", rtx5090_570()),
        ("gtx1080-470", gtx1080_470()),
        ("a100-4090-550", a100_4090_550()),
    ]
}
