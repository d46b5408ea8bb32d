#!/usr/bin/env python3
"""The score of one or more cargo-mutants runs, per file (docs/mutants.md).

    scripts/mutants-table.py RUN/mutants.out/outcomes.json [MORE.json ...]

Runs are merged by mutant name, a later run's outcome replacing an earlier
one's (an `--iterate` run re-tests only what the earlier run did not
catch). A timeout counts as caught: the tests did not pass. Prints a
Markdown table (mutants, unviable, caught / viable, missed per file, then
the total) and the names of the missed mutants, and exits 1 when a file
holds no mutant at all (a wrong path, not a perfect score).
"""
import json
import sys
from collections import defaultdict

CAUGHT = {"CaughtMutant", "Timeout"}


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outcome = {}
    file_of = {}
    for path in paths:
        with open(path) as f:
            for o in json.load(f)["outcomes"]:
                m = o["scenario"]
                if not isinstance(m, dict) or "Mutant" not in m:
                    continue  # the baseline
                m = m["Mutant"]
                outcome[m["name"]] = o["summary"]
                file_of[m["name"]] = m["file"]
    per = defaultdict(lambda: defaultdict(int))
    for name, s in outcome.items():
        per[file_of[name]][s] += 1
    if not per:
        print("no mutants in " + " ".join(paths), file=sys.stderr)
        return 1
    print("| file | mutants | unviable | caught / viable | missed | score |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    tot = defaultdict(int)
    for f in sorted(per):
        c = per[f]
        row = {
            "all": sum(c.values()),
            "unviable": c["Unviable"],
            "caught": sum(c[k] for k in CAUGHT),
            "missed": c["MissedMutant"],
        }
        for k, v in row.items():
            tot[k] += v
        print(line(f"`{f}`", row))
    print(line("**total**", tot))
    missed = sorted(n for n, s in outcome.items() if s == "MissedMutant")
    print(f"\n{len(missed)} missed:")
    for n in missed:
        print("  " + n)
    return 0


def line(label, r):
    viable = r["caught"] + r["missed"]
    score = f"{100 * r['caught'] / viable:.1f} %" if viable else "-"
    return (
        f"| {label} | {r['all']} | {r['unviable']} | {r['caught']} / {viable} "
        f"| {r['missed']} | {score} |"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
