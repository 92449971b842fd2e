//! Subcommands. Each takes parsed arguments and returns an exit code.

pub mod bake;
pub mod build;
pub mod catalog;
pub mod detect;
pub mod doctor;
pub mod init;
pub mod man;
pub mod platform_check;
pub mod python_check;
pub mod verify;
