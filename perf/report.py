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


def figures(b):
    out = {}
    if "items_per_second" in b:
        out["items/s"] = b["items_per_second"]
    for c in ("p50_us", "p99_us"):
        if c in b:
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
    print(f"{'benchmark':<34} {'figure':<8} {'sluice':>14} {'baseline':<22} {'value':>14} {'ratio':>7}")
    for (group, rest), variants in sorted(rows.items()):
        mine = variants.get("sluice")
        if not mine:
            continue
        for base, theirs in sorted(variants.items()):
            if base == "sluice":
                continue
            for fig, value in mine.items():
                if fig not in theirs:
                    continue
                other = theirs[fig]
                # Higher is better for throughput, lower for latency: ratio > 1 means sluice is better.
                ratio = value / other if fig == "items/s" else (other / value if value else float("inf"))
                label = f"{group} {rest}".strip()
                print(f"{label:<34} {fig:<8} {value:>14,.2f} {base:<22} {other:>14,.2f} {ratio:>6.2f}x")
    print("\nratio > 1 means sluice is better (more items/s, lower latency).")


if __name__ == "__main__":
    main(sys.argv[1:])
