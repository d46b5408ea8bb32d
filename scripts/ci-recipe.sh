#!/usr/bin/env bash
# Runs the shell recipe of docs/ci.md (the block between its ci-recipe
# markers) the way an implementer's CI would: the wheel installed into a
# fresh venv, no Rust on PATH, a fresh $HOME, against the memtomem adapter
# with its known divergences. .ci/run calls it, so the recipe cannot rot.
#
#   scripts/ci-recipe.sh WHEEL [CONFORM_ARGS...]
#
# Results (JUnit and the full reports) go to target/ci-recipe/results.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: scripts/ci-recipe.sh WHEEL [CONFORM_ARGS...] (build one with scripts/build-wheel.sh)" >&2
    exit 2
fi
wheel="$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")"
shift
work="$PWD/target/ci-recipe"
rm -rf "$work"
mkdir -p "$work/home"
recipe="$work/recipe.sh"
awk '/<!-- ci-recipe:begin -->/ {on = 1; next} /<!-- ci-recipe:end -->/ {on = 0} on && !/^```/' \
    docs/ci.md > "$recipe"
if ! grep -q 'assetpin conform' "$recipe"; then
    echo "error: docs/ci.md: no recipe running 'assetpin conform' between the ci-recipe markers" >&2
    exit 1
fi
mm="$(bash scripts/install-peer.sh)"

# The PATH of a runner with Python and git but no Rust toolchain.
py_dir="$(dirname "$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')")"
path="$py_dir:/usr/local/bin:/usr/bin:/bin"
for tool in cargo rustc rustup; do
    if PATH="$path" command -v "$tool" >/dev/null; then
        echo "error: $tool is on the recipe's PATH ($path); the recipe must run without Rust" >&2
        exit 1
    fi
done

echo "running docs/ci.md's recipe: SUITE=$wheel, adapter memtomem, PATH=$path" >&2
# $TMPDIR only when the caller set one: without it the cases go to
# /dev/shm when it is a tmpfs, as on a runner (the run's note says where).
env -i HOME="$work/home" PATH="$path" LANG=C.UTF-8 ${TMPDIR:+TMPDIR="$TMPDIR"} \
    SUITE="$wheel" ADAPTER=crates/conform/adapters/memtomem.toml KNOWN=tests/conformance/peer-divergences.toml \
    RESULTS="$work/results" VENV="$work/venv" ASSETPIN_MM="$mm" CONFORM_ARGS="$*" \
    sh "$recipe"
