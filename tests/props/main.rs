//! Property tests of the reference. Each property names the
//! contract clauses it checks (docs/CONTRACT.md) and compares the reference
//! with an oracle written independently in the test.
//!
//! * [`lockfile`]: L3, L8, L10 and the upsert algebra, with a differential
//!   check of the bytes against Python's `json.dumps` (`python3`).
//! * [`validators`]: the L9 validators against an oracle.
//! * [`names`]: Y1 against an oracle.
//! * [`skip`]: I2, I3 on random trees committed to a real git wiki.
//! * [`refusal`]: I4, I5 for every combination of entry and dest.
//! * [`restore`]: I8, `install --all` at each entry's own pin.
//! * [`conflict`]: U7, `update --expect-mtime-ns`.
//! * [`leftovers`]: L7, I6 crash leftovers cleaned by the next write.
//! * [`fuzz_corpus`]: the lockfile fuzz target's properties over its seed
//!   corpus and saved crashes.
//! * [`machine`]: a `proptest-state-machine` model of install, update,
//!   status and `install --all` against outside edits and wiki history.
//!
//! Default case counts keep `cargo test --release --test props` under
//! three minutes on two cores; `PROPTEST_CASES=N` runs every property N
//! times instead.

mod conflict;
mod fuzz_corpus;
mod leftovers;
mod lockfile;
mod machine;
mod names;
mod refusal;
mod restore;
mod skip;
mod validators;

use proptest::test_runner::Config;

/// A proptest config running `default_cases` cases, or `$PROPTEST_CASES`
/// when that is set. Shrinking stops after 512 steps, or
/// `$PROPTEST_MAX_SHRINK_ITERS` (the mutation run sets 0: it needs to know
/// that a property fails, not its smallest counterexample).
pub fn config(default_cases: u32) -> Config {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
    };
    Config {
        cases: env("PROPTEST_CASES").unwrap_or(default_cases),
        // Git-backed cases are slow to shrink; keep shrinking bounded.
        max_shrink_iters: env("PROPTEST_MAX_SHRINK_ITERS").unwrap_or(512),
        ..Config::default()
    }
}
