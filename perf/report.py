#!/usr/bin/env python3
"""Prints Google Benchmark JSON results as a table: each sluice figure beside the baseline
measured in the same run, and the ratio. Benchmarks are named "<group>/<variant>"; variant
"sluice" is compared with every other variant of its group (same thread count / argument)."""
import json
import re
import sys
from collections import defaultdict


def key_of(name):
    # "ring/sluice/threads:2/real_time" -> ("ring", "sluice", "threads:2")
    parts = name.split("/")
    group, variant = parts[0], parts[1]
    rest = "/".join(p for p in parts[2:] if p not in ("real_time", "manual_time") and not p.startswith("iterations:"))
    return group, variant, rest


# Figures where lower is better; everything else (items/s) is higher-is-better.
LOWER_IS_BETTER = ("p50_us", "p99_us", "schedule_ns_per_item", "all_fired_ms", "heap_bytes_per_item",
                   "stall_max_ms", "stall_p99_ms")


# Targets of the durable-speed work (docs/design.md, "Known gaps"): (group, rest, figure,
# baseline variant) -> the ratio sluice must reach against that baseline in the same run.
TARGETS = {
    ("w1_seq", "", "items/s", "sqlite_wal_full_1_row_txn"): 1.2,
    ("w1_seq", "", "p50_us", "raw_append_fdatasync"): 1.0,
    ("w1_win", "", "items/s", "sqlite_wal_full_256_rows_txn"): 2.0,
    ("w2", "workers:16", "items/s", "sqlite_jobs_table"): 5.0,
    ("w3", "threads:2", "items/s", "raw_channel"): 0.5,
    ("snapshot_1M", "", "items/s", "raw_sqlite_one_txn"): 0.7,
}
# Absolute targets (items/s), printed beside the figure.
ABSOLUTE = {("w2", "workers:16"): 300_000, ("w3", "threads:2"): 2_000_000, ("recovery_journal_1M", ""): 2_000_000}


def figures(b):
    out = {}
    if "items_per_second" in b:
        out["items/s"] = b["items_per_second"]
    for c in LOWER_IS_BETTER:
        if c in b:
            out[c] = b[c]
    # A counter "baseline_X" is X measured by the same benchmark without the thing under test.
    for c in list(b):
        if c.startswith("baseline_") and c[len("baseline_"):] in out:
            out[c] = b[c]
    return out


def main(paths):
    rows = defaultdict(dict)
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            group, variant, rest = key_of(b["run_name"] if "run_name" in b else b["name"])
            rows[(group, rest)][variant] = figures(b)
    print(f"{'benchmark':<34} {'figure':<20} {'sluice':>14} {'baseline':<30} {'value':>14} {'ratio':>7}  target")
    for (group, rest), variants in sorted(rows.items()):
        mine = variants.get("sluice")
        if not mine:
            continue
        # In-benchmark baselines (e.g. dispatch pauses with and without a snapshot running).
        inner = {f: v for f, v in mine.items() if f.startswith("baseline_")}
        if inner:
            variants = dict(variants)
            variants["same_run_without"] = {f[len("baseline_"):]: v for f, v in inner.items()}
            mine = {f: v for f, v in mine.items() if not f.startswith("baseline_")}
        # The journal replay is the baseline of the snapshot load.
        if group == "recovery_snapshot_1M" and ("recovery_journal_1M", rest) in rows:
            variants = dict(variants)
            variants["journal_replay"] = rows[("recovery_journal_1M", rest)].get("sluice", {})
        for base, theirs in sorted(variants.items()):
            if base == "sluice":
                continue
            for fig, value in mine.items():
                if fig not in theirs:
                    continue
                other = theirs[fig]
                # Higher is better for throughput, lower for latency: ratio > 1 means sluice is better.
                ratio = (other / value if value else float("inf")) if fig in LOWER_IS_BETTER else value / other
                label = f"{group} {rest}".strip()
                target = TARGETS.get((group, rest, fig, base))
                note = "" if target is None else f"  >= {target:.1f}x {'met' if ratio >= target else 'NOT MET'}"
                print(f"{label:<34} {fig:<20} {value:>14,.2f} {base:<30} {other:>14,.2f} {ratio:>6.2f}x{note}")
        goal = ABSOLUTE.get((group, rest))
        if goal is not None and "items/s" in mine:
            met = "met" if mine["items/s"] >= goal else "NOT MET"
            print(f"{f'{group} {rest}'.strip():<34} {'items/s':<20} {mine['items/s']:>14,.2f} {'absolute target':<30} "
                  f"{goal:>14,.2f} {mine['items/s'] / goal:>6.2f}x  {met}")
    print("\nratio > 1 means sluice is better (more items/s; lower latency, cost and memory).")


if __name__ == "__main__":
    main(sys.argv[1:])
