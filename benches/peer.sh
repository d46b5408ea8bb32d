#!/usr/bin/env bash
# Runs the same workloads through the peer (memtomem 0.6.12, `mm context`)
# and through assetpin, in one run, and prints both with their ratios:
#
#   1. whole-process wall time of installing a two-file skill
#      (`mm context install skill demo` vs `assetpin install skill demo`),
#      each run on a fresh project, median of RUNS (hyperfine -N);
#   2. 8 processes upserting concurrently into a 100-entry lockfile, each
#      rewriting 12 entries with the full L2 field set, through the peer's
#      own in-process upsert (scripts/peer_upsert.py) and through
#      assetpin's (examples/bench_upsert.rs); median aggregate upserts/s
#      over TRIALS trials.
#
# Usage:
#   scripts/install-peer.sh          # once: installs the peer into target/peers
#   benches/peer.sh                  # RUNS=20 TRIALS=7 by default
#   RUNS=10 TRIALS=3 benches/peer.sh
#
# Builds `cargo build --release` (honouring CARGO_TARGET_DIR). Uses the
# hyperfine on PATH (or $HYPERFINE); without one, installs hyperfine
# 1.20.0 into target/tools through cargo (~40 s, once). A python timing
# loop used to stand in for it, but its spawn overhead added ~2.5 ms to
# every run: a 4.9 ms install measured 7.7 ms, and the ratio 45x, not 73x.
# Writes target/bench-report/peer.json.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd -P)"
PEER_DIR="${ASSETPIN_PEER_DIR:-$REPO/target/peers/memtomem}"
MM="$PEER_DIR/bin/mm"
PEER_PY="$PEER_DIR/bin/python"
RUNS="${RUNS:-20}"
TRIALS="${TRIALS:-7}"
WRITERS=8
PER_WRITER=12
ENTRIES=100

if [ ! -x "$MM" ] || [ ! -x "$PEER_PY" ]; then
    echo "peer.sh: memtomem peer not found at $PEER_DIR;" \
        "install it with scripts/install-peer.sh (or set ASSETPIN_PEER_DIR)" >&2
    exit 2
fi

HYPERFINE="${HYPERFINE:-$(command -v hyperfine || true)}"
if [ -z "$HYPERFINE" ]; then
    HYPERFINE="$REPO/target/tools/bin/hyperfine"
    if [ ! -x "$HYPERFINE" ]; then
        echo "peer.sh: hyperfine not on PATH; installing hyperfine 1.20.0 into $REPO/target/tools ..." >&2
        cargo install hyperfine --locked --version 1.20.0 --root "$REPO/target/tools" --quiet || {
            echo "peer.sh: could not install hyperfine; install it (apt-get install hyperfine," \
                "or cargo install hyperfine) or set HYPERFINE to its path" >&2
            exit 2
        }
    fi
fi

echo "building assetpin (release) ..." >&2
(cd "$REPO" && cargo build --release --quiet --bin assetpin --example bench_upsert)
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
# A relative CARGO_TARGET_DIR is relative to the repo (cargo runs there);
# the runs below cd into scratch projects, so make it absolute.
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO/$TARGET_DIR" ;; esac
AP="$TARGET_DIR/release/assetpin"
UPSERT="$TARGET_DIR/release/examples/bench_upsert"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/assetpin-peer-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
g() { git -c user.name=bench -c user.email=bench@assetpin.invalid \
    -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }

# The wiki: one skill of two files, as in docs/PEERS.md.
WIKI="$WORK/wiki"
mkdir -p "$WIKI/skills/demo/scripts" "$WIKI/agents" "$WIKI/commands"
printf '# Demo skill\nh\xc3\xa9llo\n' >"$WIKI/skills/demo/SKILL.md"
printf '#!/bin/sh\necho run\n' >"$WIKI/skills/demo/scripts/run.sh"
chmod 755 "$WIKI/skills/demo/scripts/run.sh"
g -C "$WIKI" init -q && g -C "$WIKI" add -A && g -C "$WIKI" commit -q -m demo
export MEMTOMEM_WIKI_PATH="$WIKI"

# A fresh project (a directory holding .git) for every timed run.
PROJ="$WORK/proj"
cat >"$WORK/fresh.sh" <<EOF
rm -rf "$PROJ" && mkdir -p "$PROJ/.git"
EOF

# Sanity: both install the skill and write an entry.
for tool in peer assetpin; do
    bash "$WORK/fresh.sh"
    if [ $tool = peer ]; then
        (cd "$PROJ" && "$MM" context install skill demo </dev/null >/dev/null)
    else
        (cd "$PROJ" && "$AP" install skill demo </dev/null >/dev/null)
    fi
    grep -q '"demo"' "$PROJ/.memtomem/lock.json"
done

# ---- 1. install latency, whole process --------------------------------
declare -A INSTALL_MEDIAN
time_install() { # name, command... -> median seconds on stdout
    local name="$1"
    shift
    "$HYPERFINE" -N --style basic --warmup 2 --runs "$RUNS" \
        --prepare "bash $WORK/fresh.sh" \
        --export-json "$WORK/hf-$name.json" "$*" >&2
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' \
        "$WORK/hf-$name.json"
}
# `env -C` runs each tool with the project as its working directory (the
# peer has no --project flag), the same way for both.
INSTALL_MEDIAN[peer]=$(time_install peer env -C "$PROJ" "$MM" context install skill demo)
INSTALL_MEDIAN[assetpin]=$(time_install assetpin env -C "$PROJ" "$AP" install skill demo)

# ---- 2. 8-process upserts into a 100-entry lockfile -------------------
# The seed: entries w<k>-<i> for the 8 writers' 12 names each, plus filler
# up to 100 entries, written once (by assetpin; the bytes are the peer's
# format, L8) and copied for every trial.
SEED="$WORK/seed"
mkdir -p "$SEED/.git"
for k in $(seq 0 $((WRITERS - 1))); do
    "$UPSERT" --project "$SEED" --prefix "w$k" --count $PER_WRITER >/dev/null
done
"$UPSERT" --project "$SEED" --prefix filler --count $((ENTRIES - WRITERS * PER_WRITER)) >/dev/null
python3 - "$SEED/.memtomem/lock.json" "$ENTRIES" <<'PY'
import json, sys
n = len(json.load(open(sys.argv[1]))["skills"])
assert n == int(sys.argv[2]), n
PY

run_upsert_trial() { # tool -> aggregate upserts/s on stdout
    local tool="$1" p="$WORK/up-$1" delay pids=() k
    rm -rf "$p" && cp -a "$SEED" "$p"
    # Python start-up of 8 processes on 2 cores takes a while.
    if [ "$tool" = peer ]; then delay=4; else delay=1; fi
    local at
    at=$(python3 -c "import time; print(time.time() + $delay)")
    for k in $(seq 0 $((WRITERS - 1))); do
        if [ "$tool" = peer ]; then
            "$PEER_PY" "$REPO/scripts/peer_upsert.py" --project "$p" --prefix "w$k" \
                --count $PER_WRITER --start-at "$at" >"$p.out$k" &
        else
            "$UPSERT" --project "$p" --prefix "w$k" --count $PER_WRITER \
                --start-at "$at" >"$p.out$k" &
        fi
        pids+=($!)
    done
    for k in "${pids[@]}"; do wait "$k"; done
    python3 - "$p" "$WRITERS" "$ENTRIES" <<'PY'
import json, sys
p, writers, entries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
outs = [json.load(open(f"{p}.out{k}")) for k in range(writers)]
doc = json.load(open(f"{p}/.memtomem/lock.json"))
assert len(doc["skills"]) == entries, len(doc["skills"])  # no lost or extra entries
total = sum(o["count"] for o in outs)
print(total / max(o["elapsed_s"] for o in outs))
PY
}

declare -A UPSERT_MEDIAN
for tool in peer assetpin; do
    rates=()
    for _ in $(seq 1 "$TRIALS"); do
        rates+=("$(run_upsert_trial $tool)")
    done
    UPSERT_MEDIAN[$tool]=$(python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "${rates[@]}")
    echo "$tool upserts/s per trial: ${rates[*]}" >&2
done

# ---- report ------------------------------------------------------------
mkdir -p "$REPO/target/bench-report"
python3 - "$REPO/target/bench-report/peer.json" "$RUNS" "$TRIALS" \
    "${INSTALL_MEDIAN[peer]}" "${INSTALL_MEDIAN[assetpin]}" \
    "${UPSERT_MEDIAN[peer]}" "${UPSERT_MEDIAN[assetpin]}" <<'PY'
import json, os, sys
out, runs, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ip, ia, up, ua = map(float, sys.argv[4:8])
load = open("/proc/loadavg").read().split()[:3]
print()
print(f"peer comparison (load average before report: {' '.join(load)})")
print(f"{'workload':<48} {'memtomem':>12} {'assetpin':>12} {'ratio':>10}")
print(f"{'install skill (2 files), wall, median of %d' % runs:<48} "
      f"{ip*1e3:>10.1f}ms {ia*1e3:>10.2f}ms {ip/ia:>9.1f}x")
print(f"{'8 procs x 12 upserts, 100 entries, upserts/s':<48} "
      f"{up:>12.0f} {ua:>12.0f} {ua/up:>9.1f}x")
json.dump({"loadavg": " ".join(load), "runs": runs, "trials": trials,
           "install_s": {"memtomem": ip, "assetpin": ia, "speedup": ip / ia},
           "upserts_per_s": {"memtomem": up, "assetpin": ua, "ratio": ua / up}},
          open(out, "w"), indent=2)
print(f"report: {out}")
PY
