//! The sync shim of the model checks (CONTRACT K1-K6, L7; see
//! `docs/concurrency.md`), in the manner of tokio's `loom` shim.
//!
//! Code that must run both for real and under the loom model checker takes
//! its locks, shared pointers and threads from here: under
//! `RUSTFLAGS="--cfg loom"` they are loom's, whose every lock and unlock is
//! a point where loom may switch threads; otherwise they are std's. The
//! in-memory file system of `tests/concurrency` is built on it, so the same
//! models run once on real threads in a plain `cargo test` and
//! exhaustively (within `LOOM_MAX_PREEMPTIONS`) under loom.

#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(loom)]
pub use loom::thread;

#[cfg(not(loom))]
pub use std::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
pub use std::thread;

/// Runs `f` as a model: under loom, once per interleaving loom explores
/// (bounded by `LOOM_MAX_PREEMPTIONS`, 2 when unset); otherwise once.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    #[cfg(loom)]
    {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(2);
        }
        builder.check(f);
    }
    #[cfg(not(loom))]
    f();
}
