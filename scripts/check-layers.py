#!/usr/bin/python3
"""check-layers.py [--top DIR] [--rows ROW,...]: does each module use only
the modules below it, as the table in docs/ARCHITECTURE.md says?

The table's rows, top to bottom, are the layers; the modules of a row are
the backticked names in its second column that have a src/NAME.c. A
module written "`x` (+`a`, `b`)" is one module in several files: its
files may use each other freely. Two kinds of use are checked:

- calls: the undefined symbols of build/obj/M.o against the symbols each
  other object defines (nm), so a call through any header is seen;
- includes: the "lotsync/H.h" lines of src/M.c, where H.h belongs to module
  H (cmd.h to the commands row; app.h and span.h only hold types).

A use of a higher row is an error; so is a use between two commands (a
command never calls another) and a cycle between two modules of one row
(report -> report_chart -> report was one).
--rows limits the errors shown to modules of the rows named (the others
are still read); --top names the tree (default: the one holding this
script). Needs `make all` first. Exits 1 when it found an error.
"""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER_ROW = {"cmd": "commands"}  # headers without a module of their own
TYPES_ONLY = {"app", "span"}


def layers():
    """[(row, [module file, ...])] top to bottom, and {file: module it is part of}."""
    rows, group = [], {}
    text = open(os.path.join(TOP, "docs", "ARCHITECTURE.md"), encoding="utf-8").read()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("layer", "") or set(cells[0]) <= set("-"):
            continue
        names = [n for n in re.findall(r"`([a-z0-9_]+)`", cells[1])
                 if os.path.exists(os.path.join(TOP, "src", n + ".c"))]
        for head, parts in re.findall(r"`([a-z0-9_]+)`\s*\(\+([^)]*)\)", cells[1]):
            for p in re.findall(r"`([a-z0-9_]+)`", parts):
                group[p] = head
        if names:
            rows.append((cells[0], names))
    return rows, group


def defined_and_used(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defs, undef = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undef.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRC":
            defs.add(parts[2])
    return defs, undef


def main():
    global TOP
    only, args = None, sys.argv[1:]
    while len(args) >= 2 and args[0] in ("--rows", "--top"):
        if args[0] == "--rows":
            only = set(args[1].split(","))
        else:
            TOP = os.path.abspath(args[1])
        args = args[2:]
    if args:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    rows, group = layers()
    rank, row_of = {}, {}
    for i, (name, mods) in enumerate(rows):
        for m in mods:
            rank[m], row_of[m] = i, name
    srcs = sorted(f[:-2] for f in os.listdir(os.path.join(TOP, "src")) if f.endswith(".c"))
    missing = [m for m in srcs if m not in rank]
    if missing:
        print("check-layers: not in the ARCHITECTURE.md table: " + " ".join(missing))
        return 1
    owner, uses = {}, {}
    for m in srcs:
        obj = os.path.join(TOP, "build", "obj", m + ".o")
        if not os.path.exists(obj):
            print("check-layers: %s missing: run make all first" % obj, file=sys.stderr)
            return 1
        defs, undef = defined_and_used(obj)
        for s in defs:
            owner[s] = m
        uses[m] = {"calls": undef, "includes": set()}
        for h in re.findall(r'#include "lotsync/([a-z0-9_]+)\.h"',
                            open(os.path.join(TOP, "src", m + ".c"), encoding="utf-8").read()):
            if h in TYPES_ONLY:
                continue
            uses[m]["includes"].add(h if h in rank else HEADER_ROW.get(h, h))
    edges = {}  # (user, used) -> how
    for m in srcs:
        for s in uses[m]["calls"]:
            if s in owner and owner[s] != m:
                edges.setdefault((m, owner[s]), "calls %s()" % s)
        for h in uses[m]["includes"]:
            if h != m:
                edges.setdefault((m, h), "includes %s.h" % h)
    row_rank = {name: i for i, (name, _) in enumerate(rows)}
    errors = []
    for (a, b), how in sorted(edges.items()):
        rb = rank[b] if b in rank else row_rank.get(b)
        if rb is None or (b in rank and group.get(a, a) == group.get(b, b)):
            continue
        why = None
        if rb < rank[a]:
            why = "uses a higher row (%s)" % rows[rb][0]
        elif rb == rank[a] and row_of[a] == "commands" and b in rank:
            why = "a command uses another command"
        elif rb == rank[a] and b in rank and (b, a) in edges:
            why = "a cycle within the row %s" % row_of[a]
        if why and (only is None or row_of[a] in only):
            errors.append("%s (%s) %s: %s" % (a, row_of[a], how, why))
    for e in errors:
        print("check-layers: " + e)
    if not errors:
        print("check-layers: ok (%d modules in %d rows%s)" % (len(srcs), len(rows), ", errors shown for " + ",".join(sorted(only)) if only else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
