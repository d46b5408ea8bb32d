//! `assetpin` binary: see [`assetpin::cli`].

use nix::sys::signal::{SigHandler, Signal, signal};

/// The stack of the thread that runs the command, in bytes (64 MiB,
/// reserved, touched only as used). The lockfile reader, its writer and
/// the drop of a parsed document recurse once per nesting level, and a
/// lockfile may nest [`assetpin::lock::lockfile::MAX_NESTING`] levels (the
/// peer's reader follows that deep): the main thread's stack is whatever
/// `ulimit -s` says, this one is not.
const STACK_BYTES: usize = 64 << 20;

fn main() {
    // E4, I5: a write past RLIMIT_FSIZE (`ulimit -f`) must fail with EFBIG
    // and take the error path that rolls back, as ENOSPC does; SIGXFSZ's
    // default action would kill the process half-way instead.
    // SAFETY: called first in main, before any thread exists; SIG_IGN runs
    // no handler code.
    let _ = unsafe { signal(Signal::SIGXFSZ, SigHandler::SigIgn) };
    let args = std::env::args_os().collect();
    let code = std::thread::Builder::new()
        .name("assetpin".into())
        .stack_size(STACK_BYTES)
        .spawn(move || assetpin::cli::main_with_args(args))
        .and_then(|t| {
            t.join()
                .map_err(|_| std::io::Error::other("the command panicked"))
        })
        .unwrap_or_else(|e| {
            eprintln!("error[io]: cannot run the command: {e}");
            1
        });
    std::process::exit(code);
}
