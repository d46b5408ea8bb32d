//! One test binary for the families that drive the real `assetpin`
//! command: [`cli`] (every clause through the binary), [`lifecycle`]
//! (update, `install --all`, status, hand-edited lockfiles) and
//! [`interop`] (the same project driven by `assetpin` and the peer's
//! `mm`). The support code of `tests/support/` compiles once for all.
//!
//! The harness is libtest-mimic's, so that a test that cannot run is
//! reported as ignored, with the reason, and never as passed: without the
//! peer every interop test is ignored (under `CI` each one fails instead,
//! so CI can never skip them silently). The closing line counts what ran.

mod cli;
mod interop;
mod lifecycle;
mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

/// A test function and what it needs to run.
#[derive(Clone, Copy)]
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

/// One registered test: its name within its module and its function.
#[derive(Clone, Copy)]
pub struct Test {
    /// The function's name.
    pub name: &'static str,
    /// The function.
    pub run: Run,
}

impl Test {
    /// A test that needs nothing.
    pub const fn plain(name: &'static str, f: fn()) -> Test {
        Test {
            name,
            run: Run::Plain(f),
        }
    }

    /// A test that needs the peer.
    pub const fn peer(name: &'static str, f: fn(&Path)) -> Test {
        Test {
            name,
            run: Run::Peer(f),
        }
    }

    /// A test that needs a headless browser.
    pub const fn browser(name: &'static str, f: fn(&Path)) -> Test {
        Test {
            name,
            run: Run::Browser(f),
        }
    }

    /// A test that needs the peer's web venv.
    pub const fn web(name: &'static str, f: fn(&Path)) -> Test {
        Test {
            name,
            run: Run::Web(f),
        }
    }
}

/// A family's modules, each with its tests.
pub type Modules = &'static [(&'static str, &'static [Test])];

/// Runs `f`, turning a panic into a failure with its message.
fn outcome(f: impl FnOnce() + std::panic::UnwindSafe) -> Result<(), Failed> {
    std::panic::catch_unwind(f).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned());
        Failed::from(msg)
    })
}

fn main() {
    let args = Arguments::from_args();
    let families: [(&str, Modules); 3] = [
        ("cli", cli::MODULES),
        ("lifecycle", lifecycle::MODULES),
        ("interop", interop::MODULES),
    ];
    let peer = support::peer();
    let web = support::peer_web();
    let mut web_tests = 0;
    let under_ci = std::env::var_os("CI").is_some();
    let mut trials = Vec::new();
    let mut peer_tests = 0;
    for (family, modules) in families {
        for (module, tests) in modules {
            for t in *tests {
                let name = format!("{family}::{module}::{}", t.name);
                let trial = match (t.run, &peer) {
                    (Run::Plain(f), _) => Trial::test(name, move || outcome(f)),
                    (Run::Peer(f), Some(mm)) => {
                        peer_tests += 1;
                        let mm = mm.clone();
                        Trial::test(name, move || outcome(move || f(&mm)))
                    }
                    (Run::Peer(_), None) if under_ci => {
                        peer_tests += 1;
                        Trial::test(name, || Err(Failed::from(support::PEER_MISSING)))
                    }
                    (Run::Peer(_), None) => {
                        peer_tests += 1;
                        Trial::test(name, || Ok(())).with_ignored_flag(true)
                    }
                    // Without Python >= 3.12 the web peer cannot exist:
                    // ignored with the reason, under CI too (.ci/run
                    // installs it wherever it can).
                    // Under CI a missing browser fails (.ci/run installs
                    // Debian's chromium); elsewhere the test is ignored.
                    (Run::Browser(f), _) => match (support::chromium(), under_ci) {
                        (Some(c), _) => Trial::test(name, move || outcome(move || f(&c))),
                        (None, true) => {
                            Trial::test(name, || Err(Failed::from(support::CHROMIUM_MISSING)))
                        }
                        (None, false) => {
                            eprintln!("note: {name} is ignored: {}", support::CHROMIUM_MISSING);
                            Trial::test(name, || Ok(())).with_ignored_flag(true)
                        }
                    },
                    (Run::Web(f), _) => {
                        web_tests += 1;
                        match &web {
                            Some(v) => {
                                let v = v.clone();
                                Trial::test(name, move || outcome(move || f(&v)))
                            }
                            None => Trial::test(name, || Ok(())).with_ignored_flag(true),
                        }
                    }
                };
                trials.push(trial);
            }
        }
    }
    if peer.is_none() && !args.list {
        eprintln!(
            "note: {peer_tests} interop tests are ignored: {}",
            support::PEER_MISSING
        );
    }
    if web.is_none() && !args.list {
        eprintln!(
            "note: {web_tests} web interop tests are ignored: {}",
            support::PEER_WEB_MISSING
        );
    }
    libtest_mimic::run(&args, trials).exit();
}
