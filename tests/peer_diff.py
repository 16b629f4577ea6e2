#!/usr/bin/env python3
"""peer_diff.py PREV.csv CUR.csv: an independent two-snapshot diff, keyed by VIN.

The plain way (stdlib csv + dicts, both files in memory): a row whose cells
differ in any column is changed. Prints one JSON object with the sorted
keys: {"new": [...], "vanished": [...], "changed": [...]}. Used by
tests/e2e/t3801-diff-peer-100k.sh to check `lotsync diff` at scale.
"""
import csv
import json
import sys


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        k = header.index("VIN")
        return header, {row[k]: row for row in rows}


def main():
    h1, prev = load(sys.argv[1])
    h2, cur = load(sys.argv[2])
    if h1 != h2:
        sys.exit("peer_diff: the two files have different headers")
    json.dump({"new": sorted(set(cur) - set(prev)),
               "vanished": sorted(set(prev) - set(cur)),
               "changed": sorted(k for k in set(prev) & set(cur) if prev[k] != cur[k])},
              sys.stdout)
    print()


main()
