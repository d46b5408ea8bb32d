//! Concurrency of the install path (CONTRACT K1-K6) and its crash safety
//! (I6, I7, L7): loom models, real-process races, crash injection. See
//! docs/concurrency.md for what runs where and how.

#[cfg(not(feature = "loom"))]
mod processes;

// Loom models of the lock and install protocols on an in-memory file
// system (docs/concurrency.md); they run once on std threads without
// the feature `loom`.
mod loom_edit;
mod loom_install;
mod loom_lockfile;
mod loom_update;
mod memfs;

// Real processes and crash injection; not part of the loom run.
#[cfg(not(feature = "loom"))]
mod crash;
#[cfg(not(feature = "loom"))]
mod races;
#[cfg(not(feature = "loom"))]
mod soak;
#[cfg(not(feature = "loom"))]
mod upserts;
