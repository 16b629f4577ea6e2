#!/bin/sh
# bench.sh: every benchmark (scripts/bench-*.sh), each printing its figures
# as ratios against a reference measured in the same run. Inputs are
# generated reproducibly by scripts/mkfeed.py into bench/out/ (git-ignored).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/bench/out"
found=0
for b in "$top"/scripts/bench-*.sh; do
	[ -f "$b" ] || continue
	found=1
	echo "== $(basename "$b" .sh)"
	sh "$b" "$top/bench/out"
done
[ "$found" -eq 1 ] || echo "bench: no benchmarks yet"
