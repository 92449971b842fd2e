//! The use cases the front ends share, above the pure core (facts,
//! choices, plan, render), host detection and the Docker engine, and below
//! the front ends (`cli` flags, `prompt`, `tui`) and the commands:
//!
//! - [`session`]: load the saved answers, merge the layers of choices
//!   (flags over saved over defaults), attach the catalog overlay, gather
//!   the facts;
//! - [`prepare`]: plan + render + compare with the disk, and what stops a
//!   write;
//! - [`apply`]: write with a policy, under the repository's lock;
//! - [`build`], [`bake`]: build the images (BuildKit, compose or bake),
//!   once [`engine`] says the container engine answers;
//! - [`platform_check`], [`python_check`]: what `verify` checks in an
//!   image before running it;
//! - [`project`]: the project name images are tagged with;
//! - [`overlay`]: the catalog overlay a run plans with;
//! - [`report`]: what a run prints about its plan.
//!
//! Nothing here imports a front end or a command.

pub mod apply;
pub mod bake;
pub mod build;
pub mod engine;
pub mod overlay;
pub mod platform_check;
pub mod prepare;
pub mod project;
pub mod python_check;
pub mod report;
pub mod session;
