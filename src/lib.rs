//! # assetpin
//!
//! Reference implementation and conformance suite of the wiki-install
//! contract (`docs/CONTRACT.md`): installing assets (skills, agents,
//! commands) from a git wiki into a project, recorded in a commit-pinned
//! lockfile that many processes update at once.
//!
//! The parts, one module each:
//! * [`lock`]: the lock protocol: the `flock`s, the lockfile
//!   read-modify-write, the install ordering and the lockfile document;
//! * [`ops`]: the operations: install, `install --all`, update, status,
//!   with the project layout and drift detection they share;
//! * [`registry`]: the known-projects registry shared with the peer;
//! * [`fs`]: handle-based access to the project tree: no-follow
//!   directory handles, atomic writes, staging;
//! * [`wiki`]: the wiki reader (gix, no `git` subprocess);
//! * [`asset`]: asset types and files, the name and path rules, the skip
//!   rules;
//! * [`error`]: the classified errors of E1;
//! * [`cli`]: the command line.
//!
//! The layers, lowest first: [`error`], [`asset`], [`fs`], [`lock`],
//! [`wiki`], [`registry`], [`ops`], [`cli`]. A module uses only the ones
//! below it (README, Layout; `error` is used everywhere): the wiki hands
//! out its blobs as an [`asset::BlobSource`], the registry gives the
//! lockfile's store its own too-large refusal, and the crash points live
//! in [`fs::failpoint`].

pub mod asset;
pub mod cli;
pub mod error;
pub mod fs;
pub mod lock;
pub mod ops;
pub mod registry;
pub mod wiki;

pub use asset::AssetType;
pub use error::{Error, Kind, Result};
