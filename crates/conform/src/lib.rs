//! `assetpin conform`: the executable form of `docs/CONTRACT.md`.
//!
//! Cases are data (`crates/conform/cases/<group>/<name>.toml`, format in
//! `docs/conformance.md`), embedded in the binary; an adapter
//! (`crates/conform/adapters/*.toml`) says how to drive one implementation. Each case runs
//! in its own temporary directories, cases run in parallel, and the report
//! shows each case's outcome (passed, failed, unsupported, error) and a
//! clause × outcome table. A run with zero cases, a contract clause
//! without a case, or a case that refers to something missing fails.
//!
//! Modules, one job each: [`case`] (model and validation), [`source`]
//! (embedded or `--cases` sets, clause ids from the contract), [`adapter`],
//! [`workspace`] (temp dirs, wiki via git, snapshots), [`exec`] (steps),
//! [`check`] (expectations), [`portable`] (the portable profile's checks
//! through the adapter's layout), [`runner`] (one case), [`coverage`],
//! [`report`] (one implementation: human, JSON, JUnit), [`matrix`]
//! (several side by side, and the HTML matrix), [`reaper`] (nothing the
//! run starts outlives it).

pub mod adapter;
pub mod args;
pub mod case;
pub mod check;
pub mod coverage;
pub mod divergence;
pub mod edit_matrix;
pub mod error;
pub mod exec;
pub mod hostile;
pub mod matrix;
pub mod outcome;
pub mod output;
pub mod portable;
pub mod reaper;
pub mod remove;
pub mod report;
pub mod run;
pub mod runner;
pub mod snapshot;
pub mod source;
pub mod suite;
pub mod workspace;

pub use args::{ConformArgs, Format};
pub use run::run;
