#!/usr/bin/env python3
"""Check that a Grafana dashboard uses only metric names a sluice /metrics exposition has.

usage: check_metric_names.py DASHBOARD.json EXPOSITION.txt [--allow NAME]...

Reads every PromQL expression of the dashboard (panel targets, nested panels, template variable
queries such as label_values(metric, label)), extracts the metric names they select, and compares
them with the names in the Prometheus text exposition (the output of GET /metrics). A name ending
in _sum or _count is known when its base name is a summary or histogram family of the exposition,
and _bucket when it is a histogram. --allow adds names that are expected but absent from the
exposition (for example a metric the engine is about to gain).

Exit status: 0 all names known; 1 unknown names (listed on stderr, with the panels using them);
2 usage or input error.
"""

import json
import re
import sys

IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")

# PromQL words that are not metric names: operators, modifiers, aggregation clauses.
KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "atan2", "inf", "nan", "start", "end",
}

# Grafana template-variable functions whose first argument is a series selector.
GRAFANA_FUNCS = {"label_values", "query_result", "metrics", "label_names"}


def strip_promql(expr):
    """Remove everything from an expression that could look like a name but is not a metric."""
    # Grafana variables: ${name}, ${name:fmt}, $name, [[name]].
    expr = re.sub(r"\$\{[^}]*\}", " 1 ", expr)
    expr = re.sub(r"\[\[[^\]]*\]\]", " 1 ", expr)
    expr = re.sub(r"\$[A-Za-z_][A-Za-z0-9_]*", " 1 ", expr)
    # String literals.
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', ' "" ', expr)
    expr = re.sub(r"'(?:[^'\\]|\\.)*'", " '' ", expr)
    expr = re.sub(r"`[^`]*`", " `` ", expr)
    # Label matchers and range/subquery selectors.
    expr = re.sub(r"\{[^{}]*\}", " ", expr)
    expr = re.sub(r"\[[^\[\]]*\]", " ", expr)
    # Label lists of grouping and vector-matching clauses.
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", expr)
    # Numbers, including 1e-9, 0x1F and durations after offset.
    expr = re.sub(r"(?<![A-Za-z_:0-9])[0-9][0-9A-Za-z_.]*(?:[eE][+-]?[0-9]+)?", " 1 ", expr)
    return expr


def metric_names(expr):
    """The metric names an expression selects."""
    names = set()
    # label_values(selector, label): only the selector's metric counts; label_values(label) none.
    def grafana_call(m):
        func, args = m.group(1), m.group(2)
        if func in ("label_values", "label_names", "metrics"):
            parts = args.split(",")
            if func == "label_values" and len(parts) >= 2:
                sel = ",".join(parts[:-1]).strip()
                names.update(metric_names(sel))
            return " "
        return " " + args + " "  # query_result(expr): check the inner expression

    expr = re.sub(r"\b(" + "|".join(GRAFANA_FUNCS) + r")\s*\((.*)\)\s*$", grafana_call, expr.strip(), flags=re.S)
    stripped = strip_promql(expr)
    for m in IDENT.finditer(stripped):
        word = m.group(0)
        rest = stripped[m.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or aggregation: rate(, sum(, histogram_quantile(, ...
        if word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def expressions(node, where="dashboard"):
    """Yield (where, expression) for every PromQL expression in a dashboard JSON tree."""
    if isinstance(node, dict):
        title = node.get("title") or where
        is_query_variable = node.get("type") == "query" and "name" in node
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield title, value
            elif is_query_variable and key in ("query", "definition"):
                text = value.get("query") if isinstance(value, dict) else value
                if isinstance(text, str) and text.strip():
                    yield "variable " + node["name"], text
            else:
                yield from expressions(value, title)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item, where)


def exposition_names(text):
    """(sample names, {family: type}) of a Prometheus text exposition."""
    samples, families = set(), {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                families[parts[2]] = parts[3]
            continue
        m = IDENT.match(line)
        if m:
            samples.add(m.group(0))
    return samples, families


def known(name, samples, families, allowed):
    if name in samples or name in families or name in allowed:
        return True
    for suffix, types in (("_sum", ("summary", "histogram")), ("_count", ("summary", "histogram")),
                          ("_bucket", ("histogram",))):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if families.get(base) in types or base in allowed:
                return True
    return False


def main(argv):
    args, allowed = [], set()
    i = 0
    while i < len(argv):
        if argv[i] == "--allow" and i + 1 < len(argv):
            allowed.add(argv[i + 1])
            i += 2
        elif argv[i].startswith("--allow="):
            allowed.add(argv[i].split("=", 1)[1])
            i += 1
        elif argv[i] in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 2:
        print("usage: check_metric_names.py DASHBOARD.json EXPOSITION.txt [--allow NAME]...", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as f:
            dashboard = json.load(f)
        with open(args[1], encoding="utf-8") as f:
            samples, families = exposition_names(f.read())
    except (OSError, ValueError) as e:
        print(f"check_metric_names: {e}", file=sys.stderr)
        return 2
    if not samples and not families:
        print(f"check_metric_names: {args[1]} holds no metrics", file=sys.stderr)
        return 2

    used = {}  # name -> panels
    count = 0
    for where, expr in expressions(dashboard):
        count += 1
        for name in metric_names(expr):
            used.setdefault(name, set()).add(where)
    if count == 0:
        print(f"check_metric_names: {args[0]} holds no expressions", file=sys.stderr)
        return 2
    unknown = sorted(n for n in used if not known(n, samples, families, allowed))
    if unknown:
        for n in unknown:
            print(f"unknown metric {n} (used in: {', '.join(sorted(used[n]))})", file=sys.stderr)
        return 1
    print(f"{len(used)} metric names in {count} expressions, all known")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
