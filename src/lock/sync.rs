//! The sync shim of the model checks (CONTRACT K1-K6, L7; see
//! `docs/concurrency.md`), in the manner of tokio's `loom` shim.
//!
//! Code that must run both for real and under the loom model checker takes
//! its locks, shared pointers and threads from here: with the feature
//! `loom` they are loom's, whose every lock and unlock is a point where
//! loom may switch threads; otherwise they are std's. The in-memory file
//! system of `tests/concurrency` is built on it, so the same models run
//! once on real threads in a plain `cargo test` and exhaustively (within
//! `LOOM_MAX_PREEMPTIONS`) under loom.
//!
//! Why this is public and loom an optional dependency rather than a
//! dev-dependency as in tokio: tokio's loom models are unit tests of the
//! library, compiled with `cfg(test)`, where dev-dependencies exist. Ours
//! are the integration tests of `tests/concurrency`, which link the
//! library as a user would, without `cfg(test)`; so the shim must be in the
//! library's public API and loom in its dependencies. Why a feature rather
//! than tokio's `RUSTFLAGS="--cfg loom"`: a flag in RUSTFLAGS rebuilds
//! every dependency (about 100 s of CI), a feature only this crate. A
//! build without the feature has std's types here and no loom in its
//! dependency graph.

#[cfg(feature = "loom")]
pub use loom::sync::{Arc, Mutex, MutexGuard};

/// Under loom: its threads, each with a 1 MiB stack. Loom runs a model's
/// threads as coroutines of 32 KiB, which a panic unwinding through this
/// crate's unoptimized frames overflows (a negative control then aborts
/// the test binary instead of failing its model).
#[cfg(feature = "loom")]
pub mod thread {
    pub use loom::thread::JoinHandle;

    /// A coroutine's stack, in words (as loom's `stack_size` takes it).
    pub(crate) const STACK_WORDS: usize = (1 << 20) / std::mem::size_of::<usize>();

    /// `loom::thread::spawn` with a [`STACK_WORDS`] stack.
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        loom::thread::Builder::new()
            .stack_size(STACK_WORDS)
            .spawn(f)
            .expect("loom spawns a model thread")
    }
}

#[cfg(not(feature = "loom"))]
pub use std::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(feature = "loom"))]
pub use std::thread;

/// Runs `f` as a model: under loom, once per interleaving loom explores
/// (bounded by `LOOM_MAX_PREEMPTIONS`, 4 when unset), printing how many
/// it explored; otherwise once.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    #[cfg(feature = "loom")]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(4);
        }
        let runs = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let f = std::sync::Arc::new(f);
        builder.check(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            // The model's first thread has loom's small stack: the model
            // runs on one of ours.
            let f = f.clone();
            if let Err(panic) = thread::spawn(move || f()).join() {
                std::panic::resume_unwind(panic);
            }
        });
        eprintln!(
            "loom: {} interleavings explored (preemption bound {:?})",
            runs.load(Ordering::Relaxed),
            builder.preemption_bound
        );
    }
    #[cfg(not(feature = "loom"))]
    f();
}

#[cfg(all(test, not(feature = "loom")))]
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
