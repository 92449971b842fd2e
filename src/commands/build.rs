//! `mlcontain build` (being written: see issue "Write safely, build and verify").

use anyhow::{bail, Result};
use clap::Args;
use std::path::Path;

#[derive(Debug, Args, Clone, Default)]
pub struct BuildArgs {
    /// training, inference, dev or all.
    #[arg(long, default_value = "all")]
    pub target: String,
}

pub fn run(_dir: &Path, _args: &BuildArgs) -> Result<u8> {
    bail!("`mlcontain build` is not available yet")
}
