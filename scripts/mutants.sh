#!/usr/bin/env bash
# Mutation testing of the core (issue 5, docs/mutants.md) with cargo-mutants.
#
#   scripts/mutants.sh                          # the files below, all mutants
#   scripts/mutants.sh --shard 0/4              # extra cargo-mutants flags pass through
#   MUTANTS_FILES="src/names.rs src/skip.rs" scripts/mutants.sh
#
# It mutates a fresh clone of HEAD in place (never the working tree that
# other people edit), in release mode so the property tests run at full
# speed, building and running only the tests aimed at this code: the
# property tests (tests/props) and the crate's unit tests. Results land in
# $MUTANTS_OUT/mutants.out (default target/mutants-out/mutants.out).
#
# Needs: cargo install cargo-mutants --locked   (v27.1.0 was used)
# Knobs: MUTANTS_TARGET_DIR (cargo target dir; point it at one whose release
#          dependencies are built to skip a full first build; nothing else
#          may use it during the run, since the tests run the binary built
#          there), MUTANTS_TIMEOUT (seconds per test run, default 300),
#        MUTANTS_CARGO_ARGS (test targets, default "--test=props --lib"),
#        MUTANTS_FILES (the source files to mutate).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
OUT="${MUTANTS_OUT:-$REPO/target/mutants-out}"
SRC="${MUTANTS_SRC:-$REPO/target/mutants-src}"
TIMEOUT="${MUTANTS_TIMEOUT:-300}"
export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-$REPO/target/mutants-build}"
read -r -a CARGO_ARGS <<< "${MUTANTS_CARGO_ARGS:---test=props --lib}"
read -r -a FILES <<< "${MUTANTS_FILES:-src/lockfile/mod.rs src/lockfile/entry.rs src/names.rs src/skip.rs src/lock.rs src/install.rs src/protocol.rs src/update.rs src/drift.rs src/stage.rs}"

command -v cargo-mutants >/dev/null || {
    echo "cargo-mutants is not installed: cargo install cargo-mutants --locked" >&2
    exit 1
}

# A fresh clone of HEAD: the commit that docs/mutants.md records.
rm -rf "$SRC"
git clone -q "$REPO" "$SRC"
echo "mutating commit $(git -C "$SRC" rev-parse HEAD) in $SRC" >&2

args=()
for f in "${FILES[@]}"; do args+=(--file "$f"); done
for a in "${CARGO_ARGS[@]}"; do args+=(--cargo-arg "$a"); done
mkdir -p "$OUT"
exec cargo mutants "${args[@]}" \
    --dir "$SRC" \
    --in-place \
    --profile release \
    --timeout "$TIMEOUT" \
    --build-timeout 1800 \
    --output "$OUT" \
    "$@"
