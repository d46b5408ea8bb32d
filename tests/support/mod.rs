//! Test support shared by the test binaries, split by concern: the git
//! wiki builder ([`wiki`]), the project builder ([`project`]), the command
//! under test ([`cmd`]), tree snapshots ([`snapshot`]), the peer
//! ([`peer`]) and process races ([`race`]).
//!
//! `tests/tests.rs` declares it as a module; the props and concurrency
//! binaries include it with `#[path = "../support/mod.rs"]` and use a
//! part of it.

pub mod cmd;
pub mod git;
pub mod peer;
pub mod project;
pub mod race;
pub mod snapshot;
pub mod wiki;

pub use cmd::*;
pub use git::*;
pub use peer::*;
pub use project::*;
pub use snapshot::*;
pub use wiki::*;
