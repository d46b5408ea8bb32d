//! Test support for assetpin's test, bench and fuzz binaries, split by
//! concern (a dev-dependency of the `assetpin` package):
//!
//! * [`git`]: `git` with a fixed identity and no user or system config;
//! * [`wiki`]: the git wiki builder ([`Wiki`]);
//! * [`project`]: the project builder ([`Project`]);
//! * [`cmd`]: the `assetpin` command under test;
//! * [`snapshot`]: tree snapshots and small file inspections;
//! * [`peer`]: finding the peer's `mm`, its web venv and chromium;
//! * [`race`]: processes started together on a barrier;
//! * [`registry`] and [`harness`]: tests that register themselves where
//!   they are written (`#[assetpin_test]`) and the
//!   libtest-mimic main that runs them, reporting a test whose tool is
//!   missing as ignored with the reason, never as passed;
//! * [`bench`]: the bench binaries' statistics, reports and workers;
//! * [`lockfile_oracle`]: the lockfile properties the fuzz target and
//!   `tests/props` check on arbitrary bytes;
//! * [`zygote`]: a fork server for the Python peer, so that a run of it
//!   costs a fork, not an interpreter's start.

pub mod bench;
pub mod cmd;
pub mod git;
pub mod harness;
pub mod lockfile_oracle;
pub mod peer;
pub mod project;
pub mod race;
pub mod registry;
pub mod snapshot;
pub mod wiki;
pub mod zygote;

pub use assetpin_test_macros::assetpin_test;
pub use cmd::*;
pub use git::*;
pub use peer::*;
pub use project::*;
pub use snapshot::*;
pub use wiki::*;

#[doc(hidden)]
pub use linkme;

/// The repository root (the `assetpin` package's directory): where
/// `target/peers` and the test fixtures are.
pub fn repo_root() -> &'static std::path::Path {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}
