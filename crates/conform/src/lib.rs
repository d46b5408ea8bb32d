//! `assetpin conform`: the executable form of `docs/CONTRACT.md`.
//!
//! Cases are data (`crates/conform/cases/<group>/<name>.toml`, format in
//! `docs/conformance.md`), embedded in the binary; an adapter
//! (`crates/conform/adapters/*.toml`) says how to drive one
//! implementation. Each case runs in its own temporary directories, cases
//! run in parallel, and the report shows each case's outcome (passed,
//! failed, unsupported, error) and a clause × outcome table. A run with
//! zero cases, a contract clause without a case, or a case that refers to
//! something missing fails. The crate depends on the contract's shared
//! data (`assetpin-contract`) only, never on the reference.
//!
//! # Using the suite from another project's `cargo test`
//!
//! One libtest trial per embedded case, against your adapter (a test
//! target with `harness = false` and `libtest-mimic` as a dev-dependency;
//! `examples/libtest.rs` is this, runnable, and `tests/libtest_example.rs`
//! runs it against the reference):
//!
//! ```no_run
//! use assetpin_conform::{adapter::Adapter, outcome::Outcome, runner, suite};
//! use libtest_mimic::{Arguments, Failed, Trial};
//! use std::{path::Path, sync::Arc};
//!
//! let cases = suite::load_cases(None).expect("the embedded cases load");
//! let ad = Arc::new(Adapter::from_arg(Some("my-tool.toml"), Path::new("my-tool")).unwrap());
//! let trials = cases.into_iter().map(|case| {
//!     let skip = runner::skip_reason(&case, &ad).is_some();
//!     let ad = ad.clone();
//!     Trial::test(case.id.clone(), move || match runner::run_case(&case, &ad).outcome {
//!         Outcome::Passed | Outcome::Unsupported(_) => Ok(()),
//!         other => Err(Failed::from(other.details().join("\n"))),
//!     })
//!     .with_ignored_flag(skip)
//! });
//! let conclusion = libtest_mimic::run(&Arguments::from_args(), trials.collect());
//! assetpin_conform::finish(); // the wiki states the cases shared
//! conclusion.exit();
//! ```
//!
//! # Modules
//!
//! - [`args`]: the arguments of `assetpin conform`, the report formats,
//!   and the values its parsers refuse ([`args::ArgError`]).
//! - [`run`]: `assetpin conform` end to end, its exit code, and why it
//!   stops before or after its cases ([`run::Stop`]).
//! - [`suite`]: loading and selecting cases, one implementation's run.
//! - [`divergence`]: known divergences (`--known`), by adapter
//!   ([`divergence::Known`]), and why a `--known` cannot be used
//!   ([`divergence::DivergenceError`]).
//! - [`output`]: the `--junit`, `--html` and `--save-run` report files, and why a path
//!   cannot take one ([`output::OutputError`]).
//! - [`case`]: the case model, its parse errors
//!   ([`case::CaseParseError`]) and validation ([`case::Invalid`]).
//! - [`source`]: the embedded or `--cases` case sets, the reading of
//!   input files ([`source::ReadError`]), and every problem of a case set
//!   ([`source::CaseSetError`]).
//! - [`hostile`], [`objects`], [`limits`], [`edit_matrix`]: generated
//!   case families (plants on the file system, hostile git tree objects,
//!   resource limits, the guarded edit).
//! - [`adapter`]: how to drive one implementation, and why an adapter
//!   cannot be used ([`adapter::AdapterError`]).
//! - [`runner`]: one case against one adapter, to a [`outcome::Outcome`].
//! - [`outcome`]: outcomes and failures (each failure's report line, and
//!   its check, expected, observed and clause).
//! - [`error`]: harness errors (what stops one case; the errors that stop
//!   the whole run live with their modules, above).
//! - [`workspace`]: a case's temporary directories, its wiki via git,
//!   variable substitution.
//! - [`snapshot`]: tree snapshots for "nothing changed" checks, and the
//!   identities (inode, mtime, ctime) that tell a rewrite.
//! - [`remove`]: deep removal of a tree a tool left.
//! - [`exec`]: running steps and outside actions, resource limits, and a
//!   step parked at a held lock (`hold`).
//! - [`privilege`]: as root, the tool of a case that takes a permission
//!   away runs without capabilities.
//! - [`check`]: the expectations of a step and of a case's end state.
//! - [`portable`]: the portable profile's checks through the adapter's
//!   layout, and its verdict ([`portable::check_whole`]);
//!   [`portable_family`]: the generated portable cases
//!   (`p-portable/<part>:<variant>`).
//! - [`coverage`]: clause coverage.
//! - [`report`]: one implementation's report (human, JSON, JUnit).
//! - [`matrix`]: several implementations side by side, and the HTML
//!   matrix.
//! - [`saved`]: saved runs (`--save-run`) and `assetpin report`: diff,
//!   badge, summary.
//! - [`reaper`]: nothing the run starts outlives it.
//! - [`scratch`]: where case directories go (a tmpfs by default).
//! - [`crash`]: crash consistency: a step recorded with `strace`, every
//!   state a crash could leave under a file-system model, checked and
//!   recovered from (the `c-crash` family).
//! - [`explore`]: `--explore`, random scenarios against the reference as
//!   oracle, shrunk to a case file.
//! - [`interleave`]: a step's outcome held to a serial run of the same
//!   processes, and the generated `k-interleave` family; [`park`]: who
//!   waits for which lock, and a process stopped at its wait.
//! - [`wiki_cache`]: each wiki state built once per run, copied into
//!   each case; [`finish`] removes them.

pub mod adapter;
pub mod args;
pub mod case;
pub mod check;
pub mod coverage;
pub mod crash;
pub mod divergence;
pub mod dry_run;
pub mod edit_matrix;
pub mod error;
pub mod exec;
pub mod explore;
pub mod hostile;
pub mod interleave;
pub mod keep;
pub mod limits;
pub mod matrix;
pub mod objects;
pub mod outcome;
pub mod output;
pub mod park;
pub mod portable;
pub mod portable_family;
pub mod privilege;
pub mod reaper;
pub mod remove;
pub mod report;
pub mod run;
pub mod runner;
pub mod saved;
pub mod scratch;
pub mod snapshot;
pub mod source;
pub mod suite;
pub mod user_entries;
pub mod wiki_cache;
pub mod wiki_plants;
pub mod workspace;

pub use args::{ConformArgs, Format};
pub use run::run;

/// Ends a run of cases made outside [`run`] (the libtest use): removes
/// the wiki states built for it ([`wiki_cache`]). Without it they stay in
/// the scratch directory ([`scratch`]) after the process ends.
pub fn finish() {
    wiki_cache::finish();
}
