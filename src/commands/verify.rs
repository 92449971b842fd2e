//! `mlcontain verify` (being written: see issue "Write safely, build and verify").

use anyhow::{bail, Result};
use clap::Args;
use std::path::Path;

#[derive(Debug, Args, Clone, Default)]
pub struct VerifyArgs {
    /// training, inference or dev.
    #[arg(long)]
    pub target: Option<String>,
}

pub fn run(_dir: &Path, _args: &VerifyArgs) -> Result<u8> {
    bail!("`mlcontain verify` is not available yet")
}
