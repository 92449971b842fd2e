//! The commands, and [`main`], which parses the command line
//! ([`crate::cli`]) and runs one. Each command takes its parsed arguments
//! and returns an exit code; no command imports another (what they share
//! is in [`crate::usecase`]).

pub mod build;
pub mod catalog;
pub mod detect;
pub mod doctor;
pub mod init;
pub mod man;
pub mod verify;

use crate::cli::{Cli, Command};
use std::path::PathBuf;
use std::process::ExitCode;

/// The binary's entry point: parse the command line, run the command,
/// and turn an error into exit status 2 (and a JSON error object with
/// `--json`).
pub fn main() -> ExitCode {
    // A child started only to probe NVML (a crash there is not ours).
    if let Some(code) = crate::detect::nvml::probe_child_main() {
        return ExitCode::from(code);
    }
    crate::detect::nvml::probe_in_child_process(true);
    crate::term::default_sigpipe();
    let cli = <Cli as clap::Parser>::parse();
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let json = cli.command.as_ref().is_some_and(Command::json);
    let result = match cli.command {
        Some(Command::Init(mut args)) => {
            args.catalog = cli.catalog.clone();
            init::run(&dir, &args, args.plain)
        }
        Some(Command::Detect { json }) => detect::run(&dir, json),
        Some(Command::Doctor { json }) => doctor::run(&dir, json),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "mlcontain", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Man) => {
            man::page(<Cli as clap::CommandFactory>::command()).and_then(|page| {
                use std::io::Write;
                std::io::stdout().write_all(page.as_bytes())?;
                Ok(0)
            })
        }
        Some(Command::Build(args)) => build::run(&dir, &args),
        Some(Command::Verify(args)) => verify::run(&dir, &args),
        Some(Command::Catalog { action }) => catalog::run(&action, cli.catalog.as_deref()),
        None => init::wizard(
            &dir,
            &crate::cli::InitArgs {
                plain: cli.plain,
                catalog: cli.catalog.clone(),
                ..Default::default()
            },
            cli.plain,
        ),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                // Tools reading --json get the error as JSON too.
                println!(
                    "{}",
                    crate::usecase::report::json_error(&format!("{e:#}"), 2)
                );
            }
            crate::term::say(&crate::redact::terminal_safe(&format!("error: {e:#}")));
            ExitCode::from(2)
        }
    }
}
