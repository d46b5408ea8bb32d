#!/usr/bin/env bash
# Install the peer implementation (memtomem 0.6.12, `mm context`) into a
# private venv, as described in docs/PEERS.md. Idempotent.
#
#   scripts/install-peer.sh            # -> <repo>/target/peers/memtomem
#   ASSETPIN_PEER_DIR=/some/dir scripts/install-peer.sh
#
# Prints the path of the `mm` executable on stdout at the end.
set -euo pipefail

PEER_VERSION="0.6.12"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
DIR="${ASSETPIN_PEER_DIR:-$REPO/target/peers/memtomem}"
PYTHON="${PYTHON:-python3}"
MM="$DIR/bin/mm"

# Fast path: already installed and working.
if [ -x "$MM" ] && "$MM" context --help >/dev/null 2>&1; then
    echo "memtomem peer already installed: $MM" >&2
    echo "$MM"
    exit 0
fi

echo "installing memtomem==$PEER_VERSION into $DIR ..." >&2
mkdir -p "$(dirname "$DIR")"
"$PYTHON" -m venv "$DIR"
"$DIR/bin/pip" install --quiet --disable-pip-version-check \
    --ignore-requires-python "memtomem==$PEER_VERSION" >&2

# Verify.
if ! "$MM" context install --help >/dev/null 2>&1; then
    echo "error: '$MM context install --help' failed after install" >&2
    "$MM" context install --help >&2 || true
    exit 1
fi
echo "memtomem peer installed: $MM" >&2
echo "$MM"
