#!/bin/sh
# bench.sh: every benchmark (scripts/bench-*.sh), each printing its figures
# as ratios against references measured in the same run; the aims of the
# steady-state store (bench-store.sh) and of the auditor commands
# (bench-audit.sh) come as "aim NAME: measured A = R x reference B (aim
# <= N x): met|not met" lines, repeated together at the end. Inputs are
# generated reproducibly into bench/out/ (git-ignored) and kept for reruns.
# BENCH_ROWS=100000 is the quick mode (`make bench-quick`, a few minutes):
# only the two aim benchmarks, at 100k vehicles; BENCH_ALL=1 runs the other
# benchmarks too. BENCH_ONLY="store audit" picks benchmarks by name.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/bench/out
mkdir -p "$out"
BENCH_AIMS=$out/aims.txt
export BENCH_AIMS
: >"$BENCH_AIMS"
only=${BENCH_ONLY:-}
if [ -z "$only" ] && [ "${BENCH_ROWS:-1000000}" -lt 500000 ] && [ "${BENCH_ALL:-}" != 1 ]; then
	only="store audit"
	echo "bench: quick mode (BENCH_ROWS=$BENCH_ROWS): bench-store and bench-audit only (BENCH_ALL=1 for all)"
fi
t0=$(date +%s)
found=0
for b in "$top"/scripts/bench-*.sh; do
	[ -f "$b" ] || continue
	name=$(basename "$b" .sh)
	if [ -n "$only" ]; then
		case " $only " in *" ${name#bench-} "*) ;; *) continue ;; esac
	fi
	found=1
	echo "== $name"
	sh "$b" "$out"
done
[ "$found" -eq 1 ] || echo "bench: no benchmarks selected"
if [ -s "$BENCH_AIMS" ]; then
	echo "== the aims, all measured in this run ($(($(date +%s) - t0)) s; also in $BENCH_AIMS)"
	cat "$BENCH_AIMS"
	echo "== $(grep -c ': met$' "$BENCH_AIMS" || true) met, $(grep -c ': not met$' "$BENCH_AIMS" || true) not met, $(grep -c ': not measured' "$BENCH_AIMS" || true) not measured"
fi
