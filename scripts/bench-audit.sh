#!/bin/sh
# bench-audit.sh OUTDIR: the auditor commands against references measured
# in the same run, on a feed whose store holds the snapshots:
#   - diff of an N-vehicle pair (5% changed, 2% new, 2% vanished) against
#     the steady-state ingest of the second file (aim <= 0.3x), and its
#     peak RSS (aim <= 100 MB);
#   - diff of two snapshots 30 daily files apart against the ingest of the
#     last file (aim <= 1.0x);
#   - show of the N-vehicle snapshot against `cat` of the same output bytes
#     from a file, both to /dev/null, as throughput (aim >= 0.5x).
# Inputs come from the neutral generator (LOTSYNC_GENFEED, default
# ../shared/bench/genfeed.py) when it exists, else from scripts/mkfeed.py;
# they are kept in OUTDIR/audit for reruns. BENCH_AUDIT_ROWS (default
# 1000000) sets N, BENCH_AUDIT_MONTH_ROWS (default 100000) the month's size.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/bench/out}/audit
mkdir -p "$out"
genfeed=${LOTSYNC_GENFEED:-$top/../shared/bench/genfeed.py}
PY=/usr/bin/python3
L=$top/lotsync
export LOTSYNC_SHAREDIR=$top/conf
n=${BENCH_AUDIT_ROWS:-1000000}
m=${BENCH_AUDIT_MONTH_ROWS:-100000}

command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
if [ -f "$genfeed" ]; then gen=genfeed; else gen=mkfeed; fi

# best CMD...: the best of 3 runs (stdout to /dev/null): wall seconds in W,
# CPU seconds (user + system) in U, peak RSS in MB in M. On a shared
# machine the CPU figures are the steadier ones; both are printed.
best() {
	W="" U="" M=0
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %U %S %M' -o "$out/time" "$@" >/dev/null
		read -r e u s k <"$out/time"
		c=$(echo "$u + $s" | bc -l)
		if [ -z "$W" ] || [ "$(echo "$e < $W" | bc -l)" = 1 ]; then W=$e; fi
		if [ -z "$U" ] || [ "$(echo "$c < $U" | bc -l)" = 1 ]; then U=$c; fi
		if [ $((k / 1024)) -gt "$M" ]; then M=$((k / 1024)); fi
	done
}
# once CMD...: the same for one run
once() {
	/usr/bin/time -f '%e %U %S %M' -o "$out/time" "$@" >/dev/null
	read -r W u s k <"$out/time"
	U=$(echo "$u + $s" | bc -l)
	M=$((k / 1024))
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

# first N OUT: a first snapshot of N vehicles; derive PREV SEED OUT: the next
# day's file. Written under a temporary name, so an interrupted run is redone.
first() {
	[ -f "$2" ] && return
	if [ $gen = genfeed ]; then
		$PY "$genfeed" --vehicles "$1" --dealers $(($1 / 500 > 0 ? $1 / 500 : 1)) --seed 1 --out "$2.tmp"
	else
		$PY "$top/scripts/mkfeed.py" --vehicles "$1" --seed 1 --out "$2.tmp"
	fi
	mv "$2.tmp" "$2"
}
derive() {
	[ -f "$3" ] && return
	if [ $gen = genfeed ]; then
		$PY "$genfeed" --from "$1" --seed "$2" --change-pct 5 --new-pct 2 --vanish-pct 2 \
			--out "$3.tmp"
	else
		$PY "$top/scripts/mkfeed.py" --from "$1" --seed "$2" --change-pct 5 --new-pct 2 \
			--vanish-pct 2 --out "$3.tmp"
	fi
	mv "$3.tmp" "$3"
}

state() { # DIR: one drop feed, no targets, no vanish guard in the way
	rm -rf "$1"
	mkdir -p "$1/conf" "$1/spool/incoming/acme"
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n[feed:acme]\nsource = drop\nprofile = generic-csv\nvanish_guard = 50%%\n' >"$1/conf/lotsync.conf"
	chmod 600 "$1/conf/lotsync.conf"
}
day() { date -u -d "2026-01-01 + $1 days" +%Y-%m-%d; }
# ingest DIR FILE DAY: drop FILE and ingest it at --now day DAY
ingest() {
	cp "$2" "$1/spool/incoming/acme/"
	$L -c "$1/conf/lotsync.conf" --now "$(day "$3")" ingest
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "inputs: $gen; load average at start: $load ($(nproc) cores)"

# --- the N-vehicle pair -----------------------------------------------------
a=$out/$gen-$n-a.csv b=$out/$gen-$n-b.csv
first "$n" "$a"
derive "$a" 2 "$b"
w=$out/run-pair
state "$w"
ingest "$w" "$a" 0 >/dev/null
cp "$b" "$w/spool/incoming/acme/"
once $L -c "$w/conf/lotsync.conf" --now "$(day 1)" ingest
ing=$W ingc=$U
C=$w/conf/lotsync.conf
best $L -c "$C" diff 1 2
dif=$W difc=$U rss=$M
counts=$($L -c "$C" diff 1 2 | tail -n 1)
$L -c "$C" show 2 >"$out/show.txt"
best $L -c "$C" show 2
shw=$W shwc=$U
best cat "$out/show.txt"
cat=$W catc=$U
mb=$(echo "$(stat -c %s "$out/show.txt") / 1048576" | bc -l)
printf '%s pair, %d vehicles: %s\n' "$gen" "$n" "$counts"
printf '  diff %.2fs = %sx the steady-state ingest of the second file (%.2fs) (aim <= 0.3x); CPU %.2fs = %sx (%.2fs); peak RSS %d MB (aim <= 100 MB)\n' \
	"$dif" "$(ratio "$dif" "$ing")" "$ing" "$difc" "$(ratio "$difc" "$ingc")" "$ingc" "$rss"
printf '  show %.2fs for %.0f MB = %sx the throughput of cat of the same bytes (%.2fs) (aim >= 0.5x); CPU %.2fs vs %.2fs\n' \
	"$shw" "$mb" "$(ratio "$cat" "$shw")" "$cat" "$shwc" "$catc"
rm -rf "$w" "$out/show.txt"

# --- a month of daily files ---------------------------------------------------
d0=$out/$gen-$m-day00.csv
first "$m" "$d0"
i=1
while [ $i -le 30 ]; do
	derive "$(printf '%s/%s-%s-day%02d.csv' "$out" $gen "$m" $((i - 1)))" $((100 + i)) \
		"$(printf '%s/%s-%s-day%02d.csv' "$out" $gen "$m" $i)"
	i=$((i + 1))
done
w=$out/run-month
state "$w"
i=0
while [ $i -lt 30 ]; do
	ingest "$w" "$(printf '%s/%s-%s-day%02d.csv' "$out" $gen "$m" $i)" $i
	i=$((i + 1))
done
cp "$(printf '%s/%s-%s-day30.csv' "$out" $gen "$m")" "$w/spool/incoming/acme/"
once $L -c "$w/conf/lotsync.conf" --now "$(day 30)" ingest
ing=$W ingc=$U
C=$w/conf/lotsync.conf
best $L -c "$C" diff 1 31
printf '%s month, %d vehicles, snapshots 1 and 31 (30 files apart): %s\n' "$gen" "$m" \
	"$($L -c "$C" diff 1 31 | tail -n 1)"
printf '  diff %.2fs = %sx the steady-state ingest of the last file (%.2fs) (aim <= 1.0x); CPU %.2fs = %sx (%.2fs); peak RSS %d MB\n' \
	"$W" "$(ratio "$W" "$ing")" "$ing" "$U" "$(ratio "$U" "$ingc")" "$ingc" "$M"
rm -rf "$w" "$out/time"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
