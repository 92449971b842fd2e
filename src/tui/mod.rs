//! The wizard (being written: see issue "The wizard").

use crate::cli::InitArgs;
use anyhow::{bail, Result};
use std::path::Path;

/// Run the interactive wizard: full-screen, or line-by-line prompts when
/// `plain` is set or the terminal cannot host the full-screen UI.
pub fn run(_dir: &Path, _args: &InitArgs, _plain: bool) -> Result<u8> {
    bail!("the interactive wizard is not available yet: run `mlcontain init --yes` with flags")
}
