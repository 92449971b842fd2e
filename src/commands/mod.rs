//! Subcommands. Each takes parsed arguments and returns an exit code.

pub mod build;
pub mod catalog;
pub mod detect;
pub mod doctor;
pub mod init;
pub mod verify;
