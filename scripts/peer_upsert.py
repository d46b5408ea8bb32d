#!/usr/bin/env python3
"""Drive the peer's own in-process lockfile upsert (memtomem 0.6.12).

Performs N upserts of distinct entries into ``<project>/.memtomem/lock.json``
through ``memtomem.context.lockfile.Lockfile.upsert_entry`` -- the function
that ``mm context install|update`` call after copying an asset: it takes the
sidecar ``flock`` on ``.memtomem/.lock.json.lock``, loads the document,
merges the entry, and rewrites the file atomically (mkstemp + fsync +
rename, mode 0600).

Run it with the peer venv's interpreter (see scripts/install-peer.sh):

    target/peers/memtomem/bin/python scripts/peer_upsert.py \
        --project DIR --prefix p1 --count 100

Entry names are ``<prefix>-<i>`` (i = 0..count-1) in section ``skills``
unless ``--section`` says otherwise. Each entry carries the full L2 field
set (wiki_commit, installed_at, files, files_commit, digests,
digests_installed_at) so the document grows the way real installs make it
grow; ``--fields minimal`` writes only wiki_commit + installed_at. Prints one JSON object on stdout:

    {"project": ..., "section": ..., "prefix": ..., "count": N,
     "fields": "full"|"minimal", "elapsed_s": ..., "upserts_per_s": ...}

``--start-at EPOCH`` sleeps until that wall-clock time before the first
upsert, so several processes started together contend from the same
instant (for K5-style concurrency benchmarks).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", required=True, help="project root (must exist)")
    ap.add_argument("--prefix", required=True, help="entry name prefix")
    ap.add_argument("--count", type=int, default=100, help="number of upserts")
    ap.add_argument(
        "--section",
        default="skills",
        choices=["skills", "agents", "commands"],
        help="lockfile section (default: skills)",
    )
    ap.add_argument(
        "--fields",
        default="full",
        choices=["full", "minimal"],
        help="full: every L2 field (default); minimal: wiki_commit + installed_at only",
    )
    ap.add_argument(
        "--start-at",
        type=float,
        default=None,
        help="wall-clock epoch seconds to wait for before starting",
    )
    args = ap.parse_args(argv)

    try:
        from memtomem.context._names import validate_name
        from memtomem.context.lockfile import Lockfile, utcnow_iso8601_z
    except ImportError as exc:  # not the peer venv's python
        print(
            f"peer_upsert.py: cannot import memtomem ({exc}); run it with "
            f"target/peers/memtomem/bin/python (install via scripts/install-peer.sh)",
            file=sys.stderr,
        )
        return 2

    if args.count < 0:
        print("peer_upsert.py: --count must be >= 0", file=sys.stderr)
        return 2
    project = Path(args.project)
    if not project.is_dir():
        print(f"peer_upsert.py: project root does not exist: {project}", file=sys.stderr)
        return 2

    names = [f"{args.prefix}-{i}" for i in range(args.count)]
    for name in names:
        validate_name(name, kind="entry name")  # same rule install applies

    lock = Lockfile.at(project)

    # Precompute payloads so the timed loop measures the upsert only.
    payloads = []
    for name in names:
        commit = hashlib.sha1(name.encode()).hexdigest()  # 40 lowercase hex
        digests = {
            "SKILL.md": hashlib.sha256(f"{name}:SKILL.md".encode()).hexdigest(),
            "scripts/run.sh": hashlib.sha256(f"{name}:run.sh".encode()).hexdigest(),
        }
        payloads.append((name, commit, digests))

    if args.start_at is not None:
        delay = args.start_at - time.time()
        if delay > 0:
            time.sleep(delay)

    t0 = time.perf_counter()
    full = args.fields == "full"
    for name, commit, digests in payloads:
        if full:
            lock.upsert_entry(
                args.section,
                name,
                wiki_commit=commit,
                installed_at=utcnow_iso8601_z(),
                files=sorted(digests),
                files_commit=commit,
                digests=digests,
            )
        else:
            lock.upsert_entry(
                args.section, name, wiki_commit=commit, installed_at=utcnow_iso8601_z()
            )
    elapsed = time.perf_counter() - t0

    print(
        json.dumps(
            {
                "project": str(project),
                "section": args.section,
                "prefix": args.prefix,
                "count": args.count,
                "fields": args.fields,
                "elapsed_s": round(elapsed, 6),
                "upserts_per_s": round(args.count / elapsed, 1) if elapsed > 0 else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
