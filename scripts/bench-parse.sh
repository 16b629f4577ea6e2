#!/bin/sh
# bench-parse.sh OUTDIR: how fast lotsync reads feeds, as ratios against the
# bare parsers measured in the same run on the same files:
#  - CSV: a libcsv row/field counter (../shared/bench/peers/csvcount_libcsv.c)
#    against lotsync's whole read path (charset, parse, map, normalise, hash:
#    build/readbench), on one core and on all of them, and with ingest's key
#    table; plus a full `lotsync ingest` into SQLite for scale.
#  - XML: an xmlTextReader walk (../shared/bench/peers/xmlcount_reader.c)
#    against the same read path through the generic-xml profile.
# Inputs: 100k- and 1M-vehicle files from scripts/mkfeed.py (reproducible:
# same arguments, same bytes) and, when it exists, ../shared/bench/genfeed.py.
# Env: BENCH_RUNS (default 3; the best run counts), BENCH_SIZES (default
# "100000 1000000"). Figures go to stdout and OUTDIR/parse-results.txt.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/bench/out}
runs=${BENCH_RUNS:-3}
sizes=${BENCH_SIZES:-"100000 1000000"}
peers=$top/../shared/bench/peers
genfeed=$top/../shared/bench/genfeed.py
mkdir -p "$out"
results=$out/parse-results.txt
: >"$results"
say() { echo "$*" | tee -a "$results"; }

make -s -C "$top" lotsync build/readbench
if [ ! -f "$peers/csvcount_libcsv.c" ] || [ ! -f "$peers/xmlcount_reader.c" ]; then
	echo "bench-parse: peers not found in $peers; skipped" >&2
	exit 0
fi
cc -O2 -o "$out/csvcount_libcsv" "$peers/csvcount_libcsv.c" -lcsv
# shellcheck disable=SC2046 # pkg-config flags are words
cc -O2 -o "$out/xmlcount_reader" "$peers/xmlcount_reader.c" $(pkg-config --cflags --libs libxml-2.0)

# gen NAME ARGS...: generate once (the generators are deterministic).
gen() {
	name=$1
	shift
	[ -s "$out/$name" ] || "$@" --out "$out/$name.tmp" && mv "$out/$name.tmp" "$out/$name" 2>/dev/null || true
}

# best "CMD...": "wall cpu rss_kb" of the best (lowest wall) of $runs runs.
best() {
	i=0 bw="" bc="" br=""
	while [ "$i" -lt "$runs" ]; do
		/usr/bin/time -f "%e %U %S %M" -o "$out/.time" "$@" >/dev/null
		set -- "$@"
		read -r w u s r <"$out/.time"
		c=$(echo "$u $s" | awk '{printf "%.2f", $1 + $2}')
		if [ -z "$bw" ] || awk "BEGIN{exit !($w < $bw)}"; then bw=$w bc=$c br=$r; fi
		i=$((i + 1))
	done
	echo "$bw $bc $br"
}

ratio() { awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.001)}"; }
mbs() { awk "BEGIN{printf \"%.0f\", $1 / 1048576 / ($2 > 0 ? $2 : 0.001)}"; }

csv_row() { # LABEL FILE
	label=$1 f=$2
	bytes=$(wc -c <"$f")
	set -- $(best "$out/csvcount_libcsv" "$f")
	pw=$1 pc=$2 pr=$3
	set -- $(best env LOTSYNC_PARSE_THREADS=1 "$top/build/readbench" "$top/conf" generic-csv "$f")
	w1=$1 c1=$2 r1=$3
	set -- $(best "$top/build/readbench" "$top/conf" generic-csv "$f")
	wn=$1 rn=$3
	set -- $(best "$top/build/readbench" --keys "$top/conf" generic-csv "$f")
	wk=$1 rk=$3
	say "$(printf '%-16s %6s MB | libcsv %6ss %4s MB/s | 1 core %6ss cpu %s (x%s) | %s cores %6ss (x%s) %4s MB/s | +keys %6ss (x%s) | RSS KB %s/%s/%s' \
		"$label" "$((bytes / 1048576))" "$pw" "$(mbs "$bytes" "$pw")" "$w1" "$(ratio "$c1" "$pc")" "$(ratio "$w1" "$pw")" \
		"$(nproc)" "$wn" "$(ratio "$wn" "$pw")" "$(mbs "$bytes" "$wn")" "$wk" "$(ratio "$wk" "$pw")" "$r1" "$rn" "$rk")"
}

xml_row() { # LABEL FILE
	label=$1 f=$2
	bytes=$(wc -c <"$f")
	set -- $(best "$out/xmlcount_reader" "$f")
	pw=$1 pc=$2
	set -- $(best env LOTSYNC_PARSE_THREADS=1 "$top/build/readbench" "$top/conf" generic-xml "$f")
	w1=$1 c1=$2 r1=$3
	set -- $(best "$top/build/readbench" "$top/conf" generic-xml "$f")
	wn=$1 rn=$3
	say "$(printf '%-16s %6s MB | xmlTextReader walk %6ss | 1 core %6ss (x%s, cpu x%s) | parse and map on 2 threads %6ss (x%s) %4s MB/s | RSS KB %s/%s' \
		"$label" "$((bytes / 1048576))" "$pw" "$w1" "$(ratio "$w1" "$pw")" "$(ratio "$c1" "$pc")" "$wn" "$(ratio "$wn" "$pw")" "$(mbs "$bytes" "$wn")" "$r1" "$rn")"
}

# How much of the machine is ours right now: N threads of fixed work against one.
cat >"$out/spin.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static void *spin(void *a) { volatile unsigned long x = 0; for (unsigned long i = 0; i < 300000000UL; i++) x += i; return a; }
static double run(int n) {
	pthread_t t[64]; struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) pthread_create(&t[i], 0, spin, 0);
	for (int i = 0; i < n; i++) pthread_join(t[i], 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}
int main(int c, char **v) { int n = c > 1 ? atoi(v[1]) : 2; printf("%.2f\n", n * run(1) / run(n)); return 0; }
C
cc -O1 -pthread -o "$out/spin" "$out/spin.c"
say "== bench-parse: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores (free now: $("$out/spin" "$(nproc)") of $(nproc)), best of $runs; xN = time / peer's time"
for n in $sizes; do
	gen "mk-$n.csv" python3 "$top/scripts/mkfeed.py" --vehicles "$n" --seed 1
	gen "mk-$n.xml" python3 "$top/scripts/mkfeed.py" --vehicles "$n" --seed 1 --format xml
	if [ -f "$genfeed" ]; then
		gen "gf-$n.csv" python3 "$genfeed" --vehicles "$n" --seed 1
		gen "gf-$n.xml" python3 "$genfeed" --vehicles "$n" --seed 1 --format xml
	fi
done
say "-- CSV: lotsync read path (generic-csv profile) against bare libcsv"
for n in $sizes; do
	csv_row "mkfeed $n" "$out/mk-$n.csv"
	[ -f "$out/gf-$n.csv" ] && csv_row "genfeed $n" "$out/gf-$n.csv"
done
say "-- XML: lotsync read path (generic-xml profile) against a bare xmlTextReader walk"
for n in $sizes; do
	xml_row "mkfeed $n" "$out/mk-$n.xml"
	[ -f "$out/gf-$n.xml" ] && xml_row "genfeed $n" "$out/gf-$n.xml"
done

# Full ingest into SQLite (first snapshot stores every vehicle; the next one only changes).
n=$(echo "$sizes" | awk '{print $1}')
f=$out/mk-$n.csv
gen "mk-$n-next.csv" python3 "$top/scripts/mkfeed.py" --from "$f" --seed 2
d=$(mktemp -d /tmp/lotsync-bench.XXXXXX)
mkdir -p "$d/conf" "$d/spool/incoming/acme"
printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n[feed:acme]\nsource = drop\nprofile = generic-csv\n' >"$d/conf/lotsync.conf"
chmod 600 "$d/conf/lotsync.conf"
cp "$f" "$d/spool/incoming/acme/1.csv"
set -- $(best "$out/csvcount_libcsv" "$f")
pw=$1
/usr/bin/time -f "%e %M" -o "$out/.time" "$top/lotsync" -c "$d/conf/lotsync.conf" --now 2026-01-01T00:00:00Z ingest
read -r i1 m1 <"$out/.time"
cp "$out/mk-$n-next.csv" "$d/spool/incoming/acme/2.csv"
/usr/bin/time -f "%e %M" -o "$out/.time" "$top/lotsync" -c "$d/conf/lotsync.conf" --now 2026-01-02T00:00:00Z ingest
read -r i2 m2 <"$out/.time"
rm -rf "$d"
say "-- full lotsync ingest into SQLite, mkfeed $n: first snapshot ${i1}s (x$(ratio "$i1" "$pw") libcsv, RSS $m1 KB), next snapshot (5% changed) ${i2}s (x$(ratio "$i2" "$pw"), RSS $m2 KB)"
rm -f "$out/.time"
