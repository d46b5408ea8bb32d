//! Where tests register themselves: `#[assetpin_test]` puts
//! one [`Test`] into [`TESTS`] next to the function it marks, so a test's
//! name is written once, where the test is.

use std::path::Path;

/// What a test function needs to run, and the function.
#[derive(Clone, Copy, Debug)]
pub enum Run {
    /// Needs nothing beyond the binary and `git`.
    Plain(fn()),
    /// Needs the peer's `mm`, passed in.
    Peer(fn(&Path)),
    /// Needs the peer's web venv (`scripts/install-peer-web.sh`), passed in.
    Web(fn(&Path)),
    /// Needs a headless browser (Debian's chromium), passed in.
    Browser(fn(&Path)),
}

/// One registered test.
#[derive(Clone, Copy, Debug)]
pub struct Test {
    /// `module_path!()` where it is written (`tests::cli::install`).
    pub module: &'static str,
    /// The function's name.
    pub name: &'static str,
    /// What it needs, and the function.
    pub run: Run,
}

impl Test {
    /// The name the harness reports: the module path without the test
    /// binary's own crate name, then the function (`cli::install::i1_...`).
    pub fn full_name(&self) -> String {
        let module = self.module.split_once("::").map_or("", |(_, rest)| rest);
        if module.is_empty() {
            self.name.to_owned()
        } else {
            format!("{module}::{}", self.name)
        }
    }
}

/// Every test registered in the binary, in link order (the harness sorts
/// them by name).
#[linkme::distributed_slice]
pub static TESTS: [Test];
