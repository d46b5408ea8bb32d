#!/usr/bin/env bash
# Install the peer's web API (memtomem 0.6.12 with its `web` extra) into a
# private venv for the conformance adapter crates/conform/adapters/memtomem-web.toml.
# The web extra needs Python >= 3.12 (the CLI peer of install-peer.sh
# runs on the machine's 3.11). Idempotent.
#
#   scripts/install-peer-web.sh      # -> <repo>/target/peers/memtomem-web
#   ASSETPIN_PYTHON312=/path/to/python3.12 scripts/install-peer-web.sh
#
# Python is looked for as $ASSETPIN_PYTHON312, then python3.12 and
# python3.13 on PATH, then pyenv's 3.12 and 3.13 versions. Without one it
# exits 3 and says so: the web cases are then unsupported, never passed.
# Prints the path of the adapter's launcher (bin/mm-web) at the end.
set -euo pipefail

PEER_VERSION="0.6.12"
# The web stack as measured here (the extra's own pins are ranges).
PINS=("fastapi==0.165.0" "starlette==1.10.0" "httpx==0.29.0" "uvicorn==0.55.0")
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
DIR="${ASSETPIN_PEER_WEB_DIR:-$REPO/target/peers/memtomem-web}"
LAUNCHER="$DIR/bin/mm-web"

# Fast path: installed, and the launcher runs the driver of this checkout.
if [ -x "$LAUNCHER" ] && grep -qF "$REPO/crates/conform/adapters/memtomem-web.py" "$LAUNCHER" \
    && "$DIR/bin/python" -c 'import memtomem.web.app, fastapi.testclient' 2>/dev/null; then
    echo "memtomem web peer already installed: $LAUNCHER" >&2
    echo "$LAUNCHER"
    exit 0
fi

is_312() {
    [ -n "$1" ] && [ -x "$1" ] \
        && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

candidates=("${ASSETPIN_PYTHON312:-}")
for n in python3.12 python3.13; do
    candidates+=("$(command -v "$n" 2>/dev/null || true)")
done
if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9](\.|$)' || true); do
        p="$(pyenv prefix "$v" 2>/dev/null || true)"
        candidates+=("$p/bin/python3")
    done
fi
PYTHON=""
for c in "${candidates[@]}"; do
    if is_312 "$c"; then PYTHON="$c"; break; fi
done
if [ -z "$PYTHON" ]; then
    echo "error: no Python >= 3.12 found (memtomem's web extra needs it); set" \
        "ASSETPIN_PYTHON312 to one. The memtomem-web cases stay unsupported." >&2
    exit 3
fi

echo "installing memtomem[web]==$PEER_VERSION into $DIR with $PYTHON ..." >&2
mkdir -p "$(dirname "$DIR")"
"$PYTHON" -m venv "$DIR"
"$DIR/bin/pip" install --quiet --disable-pip-version-check \
    "memtomem[web]==$PEER_VERSION" "${PINS[@]}" >&2

cat > "$LAUNCHER" <<EOF
#!/bin/sh
# Written by scripts/install-peer-web.sh: the memtomem-web adapter's driver.
exec "$DIR/bin/python" "$REPO/crates/conform/adapters/memtomem-web.py" "\$@"
EOF
chmod 755 "$LAUNCHER"

if ! "$LAUNCHER" mm context install --help >/dev/null 2>&1; then
    echo "error: '$LAUNCHER mm context install --help' failed after install" >&2
    exit 1
fi
echo "memtomem web peer installed: $LAUNCHER" >&2
echo "$LAUNCHER"
