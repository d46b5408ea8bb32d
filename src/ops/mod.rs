//! The operations a user runs (CONTRACT I, U, T): `install`,
//! `install --all`, `update` and `status`, over a shared [`Context`].
//!
//! Each verb validates, reads and refuses before its first write (I5), then
//! writes through the orderings of [`crate::lock`] and the handles of
//! [`crate::fs`].

mod context;
pub mod install;
pub mod restore;
pub mod status;
pub mod update;

pub use context::Context;
pub use install::{Installed, install};
pub use restore::{Restored, install_all};
