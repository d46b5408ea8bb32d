//! One test binary for the families that drive the real `assetpin`
//! command: [`cli`] (every clause through the binary), [`lifecycle`]
//! (update, `install --all`, status, hand-edited lockfiles) and
//! [`interop`] (the same project driven by `assetpin` and the peer's
//! `mm`). Shared code is the `assetpin-test-support` crate.
//!
//! Each test registers itself where it is written
//! (`#[assetpin_test]`, with `(peer)`, `(web)` or
//! `(browser)` for a test that needs that tool). The harness is
//! libtest-mimic's, so that a test that cannot run is reported as ignored,
//! with the reason, and never as passed: without the peer every interop
//! test is ignored (under `CI` each one fails instead, so CI can never skip
//! them silently). The closing line counts what ran.

mod cli;
mod interop;
mod layout;
mod lifecycle;

fn main() {
    assetpin_test_support::harness::main()
}
