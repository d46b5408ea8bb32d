//! # assetpin
//!
//! Reference implementation of the wiki-install contract
//! (`docs/CONTRACT.md`): installing assets (skills, agents, commands) from
//! a git wiki into a project, recorded in a commit-pinned lockfile that many
//! processes update at once.
//!
//! Where to look:
//! * the lock protocol: [`lock`] (sidecar and per-asset `flock`, K1-K3) and
//!   [`lockfile`] (the document, L1-L10);
//! * the install path: [`install`], [`stage`], [`wiki`], [`safefs`];
//! * the command line: `src/main.rs` and [`cli`].

pub mod cli;
pub mod conform;
pub mod digest;
pub mod drift;
pub mod error;
pub mod failpoint;
pub mod install;
pub mod lock;
pub mod lockfile;
pub mod names;
pub mod project;
pub mod protocol;
pub mod safefs;
pub mod skip;
pub mod stage;
pub mod status;
pub mod sync;
pub mod update;
pub mod wiki;

pub use error::{Error, Kind, Result};
pub use install::Context;
pub use names::AssetType;
