//! The embedded conformance suite as libtest tests, one trial per case,
//! against the implementation an adapter describes (the way toml-test's
//! runner is used from another project's `cargo test`).
//!
//! ```sh
//! ASSETPIN_CONFORM_ADAPTER=crates/conform/adapters/skills.toml \
//!     cargo run -p assetpin-conform --example libtest -- --test-threads 4
//! ASSETPIN_CONFORM_ADAPTER=reference ASSETPIN_CONFORM_EXE=target/debug/assetpin \
//!     cargo run -p assetpin-conform --example libtest -- e-errors/
//! ```
//!
//! `ASSETPIN_CONFORM_ADAPTER`: an adapter file, or a built-in name
//! (`reference`, `memtomem`; default `reference`). `ASSETPIN_CONFORM_EXE`:
//! the program of an adapter that runs "the current executable" (the
//! built-in `reference`): the `assetpin` binary. Cases the adapter does
//! not claim, or this machine cannot run, are ignored, never passed.

use assetpin_conform::adapter::Adapter;
use assetpin_conform::outcome::Outcome;
use assetpin_conform::{runner, suite};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One trial per embedded case whose id `keep` accepts, against the
/// adapter `adapter` (file or built-in name; `exe` runs a built-in one).
///
/// # Errors
/// The cases or the adapter do not load.
pub fn trials(
    adapter: &str,
    exe: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<Trial>, Box<dyn std::error::Error>> {
    let cases = suite::load_cases(None)?;
    let ad = Arc::new(Adapter::from_arg(Some(adapter), exe)?);
    Ok(cases
        .into_iter()
        .filter(|c| keep(&c.id))
        .map(|case| {
            let skip = runner::skip_reason(&case, &ad);
            let ad = ad.clone();
            Trial::test(case.id.clone(), move || {
                let r = runner::run_case(&case, &ad);
                match r.outcome {
                    Outcome::Passed | Outcome::Unsupported(_) => Ok(()),
                    _ => Err(Failed::from(r.details().join("\n"))),
                }
            })
            .with_ignored_flag(skip.is_some())
        })
        .collect())
}

fn main() {
    let args = Arguments::from_args();
    let adapter =
        std::env::var("ASSETPIN_CONFORM_ADAPTER").unwrap_or_else(|_| "reference".to_owned());
    let exe = std::env::var_os("ASSETPIN_CONFORM_EXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("assetpin"));
    match trials(&adapter, &exe, |_| true) {
        Ok(t) => {
            let conclusion = libtest_mimic::run(&args, t);
            assetpin_conform::finish();
            conclusion.exit()
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
