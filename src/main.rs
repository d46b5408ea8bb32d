//! `assetpin` binary: see [`assetpin::cli`].

use nix::sys::signal::{SigHandler, Signal, signal};

fn main() {
    // E4, I5: a write past RLIMIT_FSIZE (`ulimit -f`) must fail with EFBIG
    // and take the error path that rolls back, as ENOSPC does; SIGXFSZ's
    // default action would kill the process half-way instead.
    // SAFETY: called first in main, before any thread exists; SIG_IGN runs
    // no handler code.
    let _ = unsafe { signal(Signal::SIGXFSZ, SigHandler::SigIgn) };
    let code = assetpin::cli::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
