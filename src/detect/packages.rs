//! Which distributions the scan records pins of: the frameworks (and CUDA
//! add-ons) the planner decides for, and the compiled stack whose pins
//! narrow the Python. Shared by the manifest and lock readers.

/// Distribution names whose pins the scan records (normalised).
pub const FRAMEWORK_PACKAGES: &[&str] = &[
    "torch",
    "tensorflow",
    "tensorflow-cpu",
    "tf-nightly",
    "jax",
    "jaxlib",
    "scikit-learn",
    "xgboost",
    "xgboost-cpu",
    "lightgbm",
    // CUDA add-ons (catalog `addons`): checked against the plan's CUDA and GPUs.
    "cupy-cuda12x",
    "cupy-cuda13x",
    "cudf-cu12",
    "cudf-cu13",
    "cuml-cu12",
    "cuml-cu13",
    "onnxruntime-gpu",
];

/// Whether a normalised distribution name is a framework package whose
/// pin the scan records.
pub fn is_framework_package(name: &str) -> bool {
    FRAMEWORK_PACKAGES.contains(&name)
}

/// Compiled packages whose exact pins narrow the image's Python (the
/// packages of assets/python-support.yaml that are not frameworks).
pub const STACK_PACKAGES: &[&str] = &[
    "numpy",
    "scipy",
    "pandas",
    "torchvision",
    "torchaudio",
    "jaxlib",
    "pyarrow",
];

pub fn is_stack_package(name: &str) -> bool {
    STACK_PACKAGES.contains(&name)
}
