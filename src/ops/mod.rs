//! The operations a user runs (CONTRACT I, U, T, D, W): `install`,
//! `install --all`, `update`, `adopt`, `remove`, `edit` and `status`, over
//! a shared [`Context`] and the project's `.memtomem` layout
//! ([`Project`]).
//!
//! [`Context`] has one public path, `assetpin::ops::Context` (its module
//! is private), and every module names it so.
//!
//! Each verb validates, reads and refuses before its first write (I5), then
//! writes through the orderings of [`crate::lock`] and the handles of
//! [`crate::fs`].

pub mod adopt;
pub mod carry;
mod context;
pub mod drift;
pub mod edit;
pub mod install;
pub mod project;
pub mod remove;
pub mod restore;
pub mod status;
pub mod update;
pub mod update_all;

pub use adopt::{Adopted, adopt};
pub use context::Context;
pub use install::{Installed, install};
pub use project::Project;
pub use restore::{Restored, install_all};
