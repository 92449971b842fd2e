//! mlcontain: GPU-ready container setups for machine-learning repositories.
//!
//! The core is pure: detection produces [`facts::Facts`], the user's answers
//! are [`choices::Choices`], [`plan::plan`] turns both into a typed
//! [`plan::Plan`], and [`render::render`] turns a plan into file texts.

pub mod addons;
pub mod bounded_yaml;
pub mod catalog;
pub mod choices;
pub mod cli;
pub mod commands;
pub mod compat;
pub mod detect;
pub mod diagnose;
pub mod docker;
pub mod elf;
pub mod engine_caps;
pub mod facts;
pub mod fixes;
pub mod index;
pub mod location;
pub mod plan;
pub mod platform;
pub mod prompt;
pub mod pysupport;
pub mod redact;
pub mod render;
pub mod requirement;
pub mod resolve;
pub mod safe_fs;
pub mod scan_issue;
pub mod scenarios;
pub mod scripts;
pub mod term;
pub mod tui;
pub mod usecase;
pub mod version;
pub mod write;
