#!/usr/bin/env bash
# Build the Python wheel (pyproject.toml: maturin, `bindings = "bin"`,
# profile dist) into target/wheels, with maturin 1.16.0 installed into
# target/tools/maturin on first use. Prints the wheel's path on stdout.
#
#   scripts/build-wheel.sh            # -> target/wheels/assetpin-<version>-py3-none-<platform>.whl
#   scripts/build-wheel.sh --regen    # first rewrite dist/wheel-data (man page,
#                                     # completions) from the current CLI
#   ASSETPIN_WHEEL_PROFILE=dev scripts/build-wheel.sh
#                                     # another cargo profile (CI: the test build's)
#
# The wheel carries the binary and, as wheel data, share/man/man1/assetpin.1
# and the bash, zsh and fish completions (dist/wheel-data, committed;
# tests/cli/shipping.rs fails when they differ from what the binary prints).
set -euo pipefail
cd "$(dirname "$0")/.."
MATURIN_VERSION="1.16.0"
tools="$PWD/target/tools/maturin"
PYTHON="${PYTHON:-python3}"

if [ "${1:-}" = "--regen" ]; then
    cargo build --quiet
    bin=target/debug/assetpin
    data=dist/wheel-data/data/share
    mkdir -p "$data/man/man1" "$data/bash-completion/completions" \
        "$data/zsh/site-functions" "$data/fish/vendor_completions.d"
    rm -f "$data"/man/man1/*.1
    "$bin" man > "$data/man/man1/assetpin.1"
    for verb in $("$bin" --help | awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on && /^  [a-z]/ {print $1}'); do
        [ "$verb" = help ] || "$bin" man "$verb" > "$data/man/man1/assetpin-$verb.1"
    done
    "$bin" completions bash > "$data/bash-completion/completions/assetpin"
    "$bin" completions zsh > "$data/zsh/site-functions/_assetpin"
    "$bin" completions fish > "$data/fish/vendor_completions.d/assetpin.fish"
    echo "regenerated $data from $bin" >&2
fi

if ! "$tools/bin/maturin" --version 2>/dev/null | grep -qx "maturin $MATURIN_VERSION"; then
    echo "installing maturin $MATURIN_VERSION into $tools ..." >&2
    "$PYTHON" -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check "maturin==$MATURIN_VERSION" >&2
fi

# Only this build's wheel in the output directory, so the path printed
# below is unambiguous.
rm -f target/wheels/assetpin-*.whl
# ASSETPIN_WHEEL_PROFILE overrides pyproject's profile (dist): CI builds
# the wheel from the test build's profile (dev), which reuses its objects.
profile=()
if [ -n "${ASSETPIN_WHEEL_PROFILE:-}" ]; then
    profile=(--profile "$ASSETPIN_WHEEL_PROFILE")
fi
"$tools/bin/maturin" build --quiet --locked "${profile[@]}" --out target/wheels >&2
wheel=$(ls target/wheels/assetpin-*.whl)
echo "built $wheel ($(du -k "$wheel" | cut -f1) KiB)" >&2
echo "$PWD/$wheel"
