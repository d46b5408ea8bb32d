#!/usr/bin/env bash
# Mutation testing of the install path and lock protocol (docs/mutants.md)
# with cargo-mutants.
#
#   scripts/mutants.sh                          # every file of ALL_FILES, every mutant
#   scripts/mutants.sh --iterate                # only the mutants the last run did not catch
#   # The whole set in two stages (the score of the second's families, in
#   # a fraction of the time: what the fast families catch, all catch):
#   MUTANTS_TESTS="--lib --test props" scripts/mutants.sh && scripts/mutants.sh --iterate
#   scripts/mutants.sh --shard 0/4              # extra cargo-mutants flags pass through
#   MUTANTS_FILES="src/asset/name.rs src/asset/skip.rs" scripts/mutants.sh
#   MUTANTS_TESTS="--lib --test props" scripts/mutants.sh   # the properties only
#
# It mutates a clone of HEAD in place (never the working tree that other
# people edit); the clone and its target directory are kept between runs,
# so only the crate itself is rebuilt per mutant. (cargo-mutants' default,
# a copy of the tree per job, rebuilt every dependency here: the copied
# target directory was never fresh.) The tests run per mutant are the
# crate's unit tests, the properties (tests/props) and the CLI and
# lifecycle families (tests/tests.rs), through cargo-nextest so the
# first failing test ends the run, with proptest's shrinking turned off
# (PROPTEST_MAX_SHRINK_ITERS=0): a mutant is caught as soon as one
# property fails. The build uses the `mutants` cargo profile (Cargo.toml):
# the crate at opt-level 1 without debug info, dependencies optimized,
# built once up front. One mutant at a time: cargo and nextest already
# use both cores.
#
# Results: $MUTANTS_OUT/mutants.out/{caught,missed,timeout,unviable}.txt
# (default target/mutants-out).
#
# Needs: cargo install cargo-mutants --locked   (v27.1.0 was used)
#        cargo-nextest                          (0.9.143 was used)
# Knobs: MUTANTS_TIMEOUT (seconds per test run, default 240),
#        MUTANTS_FILES (the source files to mutate), MUTANTS_TESTS (cargo
#        test-target flags), MUTANTS_FILTER (a nextest filter expression).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
OUT="${MUTANTS_OUT:-$REPO/target/mutants-out}"
SRC="${MUTANTS_SRC:-$REPO/target/mutants-src}"
TIMEOUT="${MUTANTS_TIMEOUT:-240}"
ALL_FILES="src/lock/lockfile/mod.rs src/lock/lockfile/entry.rs src/lock/lockfile/pyjson.rs src/lock/lockfile/splice.rs src/lock/lockfile/timestamp.rs src/asset/mod.rs src/asset/name.rs src/asset/skip.rs src/lock/flock.rs src/lock/rmw.rs src/lock/sync.rs src/lock/install_order.rs src/lock/update_order.rs src/ops/install.rs src/ops/restore.rs src/ops/update.rs src/ops/adopt.rs src/ops/carry.rs src/ops/drift.rs src/ops/status.rs src/ops/project.rs src/fs/safedir.rs src/fs/stage.rs src/fs/walk.rs src/fs/digest.rs src/wiki/mod.rs"
read -r -a FILES <<< "${MUTANTS_FILES:-$ALL_FILES}"
# The families run per mutant: the unit tests, the properties, and the
# CLI and lifecycle families (tests/tests.rs) but for the bounds tests
# (a minute each; they guard nothing the others miss), the interop tests
# (they drive the peer, seconds a test, and hold its bytes, which the
# properties hold too) and the tests of the conformance runner (matrix,
# adapters, runner, shipping: not the install path).
read -r -a TESTS <<< "${MUTANTS_TESTS:---lib --test props --test tests}"
FILTER="${MUTANTS_FILTER:-not test(/bounds::|interop::|cli::matrix::|cli::adapters::|cli::runner::|cli::shipping::/)}"

for tool in cargo-mutants cargo-nextest; do
    command -v "$tool" >/dev/null || {
        echo "$tool is not installed: cargo install $tool --locked" >&2
        exit 1
    }
done
# The clone's own target directory, never a shared one.
unset CARGO_TARGET_DIR
export PROPTEST_MAX_SHRINK_ITERS=0

# The clone, reset to HEAD: the commit that docs/mutants.md records.
if [ -d "$SRC/.git" ]; then
    git -C "$SRC" fetch -q "$REPO" HEAD
    git -C "$SRC" reset -q --hard FETCH_HEAD
    git -C "$SRC" clean -q -fdx -e target
else
    rm -rf "$SRC"
    git clone -q "$REPO" "$SRC"
fi
echo "mutating commit $(git -C "$SRC" rev-parse HEAD) in $SRC" >&2
# Build the dependencies and the unmutated crate once.
(cd "$SRC" && cargo nextest run --cargo-profile mutants "${TESTS[@]}" --no-run)

args=()
for f in "${FILES[@]}"; do args+=(--file "$f"); done
for t in "${TESTS[@]}"; do args+=("--cargo-arg=$t"); done
mkdir -p "$OUT"
exec cargo mutants "${args[@]}" \
    --dir "$SRC" \
    --in-place \
    --profile mutants \
    --test-tool nextest \
    --cargo-test-arg=-E --cargo-test-arg="$FILTER" \
    --baseline skip \
    --timeout "$TIMEOUT" \
    --build-timeout 900 \
    --output "$OUT" \
    "$@"
