//! Subcommands. Each takes parsed arguments and returns an exit code.

pub mod init;
