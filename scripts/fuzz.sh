#!/usr/bin/env bash
# The lockfile fuzz target (fuzz/fuzz_targets/lockfile.rs; properties in
# crates/test-support/src/lockfile_oracle.rs) for SECONDS seconds (default 60), with libFuzzer
# through cargo-fuzz 0.13.2, installed into target/tools on first use.
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs a nightly toolchain (`cargo +nightly`; cargo-fuzz's instrumentation
# uses -Z flags) and python3 for the peer's json.dumps oracle
# (ASSETPIN_FUZZ_PYTHON=off runs without it). New inputs go to
# target/fuzz/corpus (the seeds in fuzz/corpus/lockfile are read, never
# written); a crash is saved in target/fuzz/artifacts/ and the script fails,
# saying how to keep it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
root="$PWD/target/tools"
if [ ! -x "$root/bin/cargo-fuzz" ]; then
    echo "installing cargo-fuzz 0.13.2 into $root ..."
    # --debug: it only drives cargo, so its speed does not matter; its
    # build time does.
    cargo install cargo-fuzz --version 0.13.2 --locked --debug --root "$root" --quiet
fi
export PATH="$root/bin:$PATH"
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "error: no nightly toolchain (cargo +nightly); cargo-fuzz needs one" >&2
    exit 1
fi
mkdir -p target/fuzz/corpus target/fuzz/artifacts
touch target/fuzz/.started
# No sanitizer: the target is safe Rust; libFuzzer's coverage is kept.
# The fuzz crate builds into its own target directory, fuzz/target.
set +e
# ASSETPIN_FUZZ_DEV=1 builds the target without optimizations: a third of
# the build time, a fraction of the executions per second; CI's short run
# uses it, the documented long runs do not.
profile=()
if [ "${ASSETPIN_FUZZ_DEV:-}" = 1 ]; then profile=(--dev); fi
cargo +nightly fuzz run "${profile[@]}" --fuzz-dir fuzz --sanitizer none lockfile \
    target/fuzz/corpus fuzz/corpus/lockfile -- \
    -max_total_time="$secs" -artifact_prefix=target/fuzz/artifacts/ -print_final_stats=1
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
    # A failed build (or a full disk) also ends cargo fuzz non-zero: only
    # an artifact written by this run is a finding.
    if [ -n "$(find target/fuzz/artifacts -type f -newer target/fuzz/.started 2>/dev/null)" ]; then
        echo "error: the fuzzer found a failing input (target/fuzz/artifacts/);" \
             "copy it into fuzz/regressions/lockfile/, where" \
             "tests/props/fuzz_corpus.rs replays it, and fix the cause" >&2
    else
        echo "error: cargo fuzz failed (exit $rc) without saving an input:" \
             "the target did not build or the run could not start (see above)" >&2
    fi
fi
exit "$rc"
