//! The lock protocol (CONTRACT K1-K4, L1-L10, I4-I7): everything that
//! decides who may write what, when, and in which order.
//!
//! * [`flock`]: the sidecar lock `.memtomem/.lock.json.lock` (K1) and the
//!   per-asset lock `.memtomem/<section>/.<name>.lock` (K3);
//! * [`rmw`]: the lockfile read-modify-write under the sidecar lock (K2,
//!   L7), written once over a [`rmw::LockfileStore`];
//! * [`install_order`]: the order of one install's steps (K2-K4, I4-I7),
//!   written once over an [`install_order::InstallSteps`];
//! * [`update_order`]: the order of one update's steps (U1-U7, K3, K4,
//!   I6), written once over an [`update_order::UpdateSteps`];
//! * [`remove_order`]: the order of one remove's steps (D1-D3, K1-K3),
//!   written once over a [`remove_order::RemoveSteps`];
//! * [`edit_order`]: the order of one guarded edit of a main file (W1-W5,
//!   K3), written once over an [`edit_order::EditSteps`];
//! * [`lockfile`]: the document, its validators and the peer's bytes
//!   (L1-L10);
//! * [`sync`]: the std/loom shim the models of `tests/concurrency` run on;
//! * [`failpoint`]: named crash points for the kill tests (re-exported
//!   from [`crate::fs::failpoint`], the lowest layer that marks one).
//!
//! The disk side of each step lives in the operations (`ops`, the layer
//! above) and in [`crate::fs`];
//! `docs/concurrency.md` says which orderings the loom models check.

pub mod edit_order;
pub mod flock;
pub mod install_order;
pub mod lockfile;
pub mod remove_order;
pub mod rmw;
pub mod sync;
pub mod update_order;

pub use crate::fs::failpoint;
pub use flock::{AssetLock, FlockGuard, SIDECAR_NAME, asset_lock_name};
pub use rmw::{DiskStore, LockfileStore, transact, transact_upsert};
