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
//!
//! Why this is public and loom a `cfg(loom)` dependency rather than a
//! dev-dependency as in tokio: tokio's loom models are unit tests of the
//! library, compiled with `cfg(test)`, where dev-dependencies exist. Ours
//! are the integration tests of `tests/concurrency`, which link the
//! library as a user would, without `cfg(test)`; so the shim must be in the
//! library's public API and loom in its dependencies. Both exist only under
//! `RUSTFLAGS="--cfg loom"`: a normal build has std's types here and no
//! loom in its dependency graph.

#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(loom)]
pub use loom::thread;

#[cfg(not(loom))]
pub use std::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
pub use std::thread;

/// Runs `f` as a model: under loom, once per interleaving loom explores
/// (bounded by `LOOM_MAX_PREEMPTIONS`, 4 when unset), printing how many
/// it explored; otherwise once.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    #[cfg(loom)]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(4);
        }
        let runs = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        builder.check(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            f()
        });
        eprintln!(
            "loom: {} interleavings explored (preemption bound {:?})",
            runs.load(Ordering::Relaxed),
            builder.preemption_bound
        );
    }
    #[cfg(not(loom))]
    f();
}

#[cfg(all(test, not(loom)))]
mod tests {
    /// A model that never runs its body would pass every model check
    /// vacuously: the body runs.
    #[test]
    fn model_runs_its_body() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        super::model(|| {
            RUNS.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    }
}
