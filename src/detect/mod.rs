//! Detection: host GPUs (NVML), installed tools, and the project itself.
//! Each part produces facts; none of them fails the whole detection.

pub mod nvml;
pub mod project;
pub mod tools;
