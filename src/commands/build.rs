//! `mlcontain build`: the build use case ([`crate::usecase::build`], or
//! [`crate::usecase::bake`] with `--bake`) with the command line's flags.

use crate::cli::BuildArgs;
use crate::usecase::project::absolute_dir;
use anyhow::Result;
use std::path::Path;

pub fn run(dir: &Path, args: &BuildArgs) -> Result<u8> {
    let request = args.request();
    if request.bake {
        return crate::usecase::bake::run(&absolute_dir(dir)?, &request);
    }
    crate::usecase::build::run(dir, &request)
}
