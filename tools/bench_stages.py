#!/usr/bin/env python3
"""bench_stages.py TRACE...: where a worker's time goes, from imgpool --trace files.

Sums each trace's "stage" spans (decode, operations, encode+write: what
cli_folder writes per file) and prints one markdown table row with the
median of each over the traces, and the time outside decoding both as a
share of the three stages and as a ratio to decoding. Meant for runs with
--procs 1, where the spans of a worker are its whole time.
"""
import json
import statistics
import sys

STAGES = ("decode", "operations", "encode+write")


def sums(path):
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    events = events["traceEvents"] if isinstance(events, dict) else events
    total = dict.fromkeys(STAGES, 0.0)
    for e in events:
        if e.get("cat") == "stage" and e.get("ph") == "X" and e.get("name") in total:
            total[e["name"]] += e["dur"] / 1e6
    return total


def main(paths):
    if not paths:
        sys.exit("usage: bench_stages.py TRACE...")
    runs = [sums(p) for p in paths]
    med = {s: statistics.median(r[s] for r in runs) for s in STAGES}
    outside = med["operations"] + med["encode+write"]
    print("| %d | %.2f | %.2f | %.2f | %.0f%% | %.0f%% |" % (
        len(runs), med["decode"], med["operations"], med["encode+write"],
        100 * outside / (outside + med["decode"]), 100 * outside / med["decode"]))


if __name__ == "__main__":
    main(sys.argv[1:])
