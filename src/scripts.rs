//! The Python that mlcontain runs in an image or writes into a project,
//! kept as files under `assets/scripts/` (so they are checked as Python:
//! `tests/scripts.rs` compiles every one) and embedded here.
//!
//! Placeholders are upper-case dunder names (`__PORT__`): valid Python
//! identifiers, so each file compiles as it stands. [`fill`] replaces them
//! in one pass; a value put in is never scanned again. A leaf: it imports
//! nothing of the crate.

/// `mlcontain verify`'s in-image check, in parts: the prelude (`fail`,
/// `count_ok`, the expected GPU count), one body per framework and
/// accelerator, and the last line.
pub mod check {
    /// Defines `fail(msg)` and `count_ok(n)`; fill [`EXPECT_GPUS`].
    pub const PRELUDE: &str = include_str!("../assets/scripts/check/prelude.py");
    pub const EXPECT_GPUS: &str = "__EXPECT_GPUS__";
    pub const PYTORCH_CUDA: &str = include_str!("../assets/scripts/check/pytorch_cuda.py");
    pub const PYTORCH_CPU: &str = include_str!("../assets/scripts/check/pytorch_cpu.py");
    pub const TENSORFLOW_CUDA: &str = include_str!("../assets/scripts/check/tensorflow_cuda.py");
    pub const TENSORFLOW_CPU: &str = include_str!("../assets/scripts/check/tensorflow_cpu.py");
    pub const JAX_CUDA: &str = include_str!("../assets/scripts/check/jax_cuda.py");
    pub const JAX_CPU: &str = include_str!("../assets/scripts/check/jax_cpu.py");
    pub const SKLEARN: &str = include_str!("../assets/scripts/check/sklearn.py");
    pub const XGBOOST_CUDA: &str = include_str!("../assets/scripts/check/xgboost_cuda.py");
    pub const XGBOOST_CPU: &str = include_str!("../assets/scripts/check/xgboost_cpu.py");
    pub const LIGHTGBM: &str = include_str!("../assets/scripts/check/lightgbm.py");
    /// No framework, a CUDA build: the CUDA driver API through ctypes.
    pub const CUDA_DRIVER: &str = include_str!("../assets/scripts/check/cuda_driver.py");
    /// Any other framework: its import; fill [`IMPORT`].
    pub const IMPORT_ONLY: &str = include_str!("../assets/scripts/check/import.py");
    pub const IMPORT: &str = "__IMPORT__";
    pub const DONE: &str = include_str!("../assets/scripts/check/done.py");
}

/// The inference HEALTHCHECK's `python -c` probe (one line each).
pub mod healthcheck {
    /// A GET of the health route; fill [`PORT`] (the default port) and
    /// [`PATH`] (a Python string literal).
    pub const HTTP: &str = include_str!("../assets/scripts/healthcheck/http.py");
    /// A TCP connect to the port; fill [`PORT`].
    pub const TCP: &str = include_str!("../assets/scripts/healthcheck/tcp.py");
    pub const PORT: &str = "__PORT__";
    pub const PATH: &str = "__PATH__";
}

/// The entry points scaffolded into a project that has none.
pub mod scaffold {
    /// PyTorch's DDP-ready training script (no placeholders).
    pub const TRAIN_TORCH: &str = include_str!("../assets/scripts/scaffold/train_torch.py");
    /// Training for the other frameworks; fill [`FRAMEWORK`], [`DEVICES`],
    /// [`VERSION`].
    pub const TRAIN: &str = include_str!("../assets/scripts/scaffold/train.py");
    /// The dependency-free inference server; fill [`FRAMEWORK`], [`DEVICES`],
    /// [`PORT`].
    pub const SERVE: &str = include_str!("../assets/scripts/scaffold/serve.py");
    /// `def devices()` for each framework's import name.
    pub const DEVICES_TORCH: &str = include_str!("../assets/scripts/scaffold/devices_torch.py");
    pub const DEVICES_TENSORFLOW: &str =
        include_str!("../assets/scripts/scaffold/devices_tensorflow.py");
    pub const DEVICES_JAX: &str = include_str!("../assets/scripts/scaffold/devices_jax.py");
    pub const DEVICES_CPU: &str = include_str!("../assets/scripts/scaffold/devices_cpu.py");
    /// The framework's display name.
    pub const FRAMEWORK: &str = "__FRAMEWORK__";
    /// Where `devices()` is defined (one of the `DEVICES_*` texts).
    pub const DEVICES: &str = "__DEVICES__";
    /// A Python expression for the framework's version.
    pub const VERSION: &str = "__VERSION__";
    pub const PORT: &str = "__PORT__";
}

/// The check `deploy/slurm/train.sbatch` runs on every node before
/// training: the framework sees the GPUs Slurm allocated. No single quotes
/// (the sbatch holds it in a single-quoted bash string).
pub mod slurm {
    /// Reads the allocation; fill [`COUNT`] and [`REPORT`] (whole lines).
    pub const VERIFY: &str = include_str!("../assets/scripts/slurm/verify.py");
    /// Sets `have` (GPUs the framework sees, None without one) and `what`.
    pub const COUNT_PYTORCH: &str = include_str!("../assets/scripts/slurm/count_pytorch.py");
    pub const COUNT_TENSORFLOW: &str = include_str!("../assets/scripts/slurm/count_tensorflow.py");
    pub const COUNT_JAX: &str = include_str!("../assets/scripts/slurm/count_jax.py");
    pub const COUNT_NONE: &str = include_str!("../assets/scripts/slurm/count_none.py");
    /// A CUDA image: fails when the framework sees fewer GPUs than allocated.
    pub const REPORT_CUDA: &str = include_str!("../assets/scripts/slurm/report_cuda.py");
    /// A CPU image: says the allocated GPUs are not used.
    pub const REPORT_CPU: &str = include_str!("../assets/scripts/slurm/report_cpu.py");
    pub const COUNT: &str = "__COUNT__\n";
    pub const REPORT: &str = "__REPORT__\n";
}

/// README.Docker.md's one-line GPU check (`python -c "..."`, so no double
/// quotes), per framework import.
pub mod quickcheck {
    pub const TORCH: &str = include_str!("../assets/scripts/quickcheck/torch.py");
    pub const TENSORFLOW: &str = include_str!("../assets/scripts/quickcheck/tensorflow.py");
    pub const JAX: &str = include_str!("../assets/scripts/quickcheck/jax.py");
    /// Without a known framework: what the NVIDIA runtime passed in.
    pub const OTHER: &str = include_str!("../assets/scripts/quickcheck/other.py");
}

/// One-line programs run with `python -c` (one line each; callers trim the
/// file's newline).
pub mod oneliner {
    /// A `[project.scripts]` entry point run as `python -c`: fill [`MODULE`]
    /// and [`FUNC`] (both checked to be dotted identifiers by the caller).
    pub const CONSOLE_SCRIPT: &str = include_str!("../assets/scripts/oneliner/console_script.py");
    pub const MODULE: &str = "__MODULE__";
    pub const FUNC: &str = "__FUNC__";
    /// `verify`'s check of the image's Python: prints `X.Y`.
    pub const PYTHON_VERSION: &str = include_str!("../assets/scripts/oneliner/python_version.py");
}

/// `template` with each placeholder replaced by its value, in one pass.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find("__") {
        match values.iter().find(|(k, _)| rest[i..].starts_with(k)) {
            Some((k, v)) => {
                out.push_str(&rest[..i]);
                out.push_str(v);
                rest = &rest[i + k.len()..];
            }
            None => {
                out.push_str(&rest[..i + 1]);
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_each_placeholder_once_and_leaves_dunders() {
        let t = "a = __X__ + __import__('m').__version__ + ___X__\n";
        assert_eq!(
            fill(t, &[("__X__", "'__X__'")]),
            "a = '__X__' + __import__('m').__version__ + _'__X__'\n"
        );
    }
}
