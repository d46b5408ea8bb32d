#!/usr/bin/env bash
# The compatibility matrix: every implementation in one `assetpin conform`
# run, each with its known divergences accepted, written as one HTML page
# (and, with chromium on PATH, a screenshot of it).
#
#   scripts/matrix.sh [OUT_DIR] [CONFORM_ARGS...]   # default OUT_DIR: target/matrix
#
# Installs what is missing first (scripts/install-peer.sh,
# scripts/install-installers.sh); runs the assetpin on PATH, else
# target/release/assetpin, else target/debug/assetpin. Exit status: that of
# `assetpin conform` (0 when every failure is a known divergence).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/matrix}"
[ $# -gt 0 ] && shift
mkdir -p "$out"
bash scripts/install-peer.sh >/dev/null
bash scripts/install-installers.sh >/dev/null
exe="$(command -v assetpin || true)"
for c in target/release/assetpin target/debug/assetpin; do
    [ -n "$exe" ] || { [ -x "$c" ] && exe="$c"; }
done
[ -n "$exe" ] || { echo "error: no assetpin binary: cargo build first" >&2; exit 1; }
args=(--adapter reference
      --adapter memtomem --known memtomem=tests/conformance/peer-divergences.toml)
for t in skills openskills skillkit agent-skills-installer agent-skills-cli; do
    if [ -f "crates/conform/adapters/$t.toml" ]; then
        args+=(--adapter "crates/conform/adapters/$t.toml" --known "$t=tests/conformance/$t-divergences.toml")
    fi
done
rc=0
"$exe" conform "${args[@]}" --filter p-portable/ "$@" --html "$out/matrix.html" \
    > "$out/matrix.txt" || rc=$?
tail -n 8 "$out/matrix.txt"
echo "wrote $out/matrix.html and $out/matrix.txt" >&2
if command -v chromium >/dev/null; then
    chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
        --user-data-dir="$(mktemp -d)" --window-size=1300,1560 \
        --screenshot="$out/matrix.png" "file://$(cd "$out" && pwd -P)/matrix.html" 2>/dev/null
    echo "wrote $out/matrix.png" >&2
fi
exit "$rc"
