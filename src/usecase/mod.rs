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
//! - [`project`]: the project name images are tagged with;
//! - [`overlay`]: the catalog overlay a run plans with;
//! - [`report`]: what a run prints about its plan.
//!
//! Nothing here imports a front end or a command.

pub mod apply;
pub mod overlay;
pub mod prepare;
pub mod project;
pub mod report;
pub mod session;
