#!/bin/sh
# bench-audit.sh OUTDIR: the auditor commands (issue 19) against references
# measured in the same run, each printed as an aim line (scripts/benchlib.sh):
#   - diff of an N-vehicle pair (5% changed, 2% new, 2% vanished) against
#     the steady-state ingest of the second file (aim <= 0.3x), and its
#     peak RSS (aim <= 100 MB);
#   - diff of two snapshots 30 daily files apart against the ingest of the
#     last file (aim <= 1.0x);
#   - show (text and --jsonl) of the N-vehicle snapshot against `cat` of the
#     same output bytes from a file, both to /dev/null, as throughput (aim
#     >= 0.5x), with a note of the floor under it: a bare sqlite3_step loop
#     over the same rows in file order (tests/bench/show_floor.c), which
#     alone is several times cat's time, and show's time against it;
#   - the same diff and show aims for a work-order feed (kind = workorder,
#     autoflex-csv, N/10 work orders from tests/bench/mkwo.py).
# Inputs come from the neutral generator (LOTSYNC_GENFEED, default
# ../shared/bench/genfeed.py) when it exists, else from scripts/mkfeed.py;
# they are kept in OUTDIR/inputs for reruns. BENCH_AUDIT_ROWS (default
# BENCH_ROWS, else 1000000) sets N, BENCH_AUDIT_MONTH_ROWS (default 100000
# at 1M, 20000 in the quick mode) the month's size.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/benchlib.sh"
bench_dirs "$top" "${1:-}" audit
genfeed=${LOTSYNC_GENFEED:-$(bench_shared "$top")/genfeed.py}
PY=/usr/bin/python3
L=$top/lotsync
T=$out/time
export LOTSYNC_SHAREDIR=$top/conf
n=${BENCH_AUDIT_ROWS:-${BENCH_ROWS:-1000000}}
if [ "$n" -ge 500000 ]; then m=${BENCH_AUDIT_MONTH_ROWS:-100000}; else m=${BENCH_AUDIT_MONTH_ROWS:-20000}; fi
R=${BENCH_RUNS:-3}
if [ -f "$genfeed" ]; then gen=genfeed; else gen=mkfeed; fi
k() { awk -v n="$1" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000; else if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }'; }

# first N OUT: a first snapshot of N vehicles; derive PREV SEED OUT: the next
# day's file (the same arguments as bench-store.sh's, so the files are
# shared). Written under a temporary name, so an interrupted run is redone.
first() {
	[ -s "$2" ] && return
	if [ $gen = genfeed ]; then
		$PY "$genfeed" --vehicles "$1" --dealers $(($1 / 500 > 0 ? $1 / 500 : 1)) --seed 1 --out "$2.tmp"
	else
		$PY "$top/scripts/mkfeed.py" --vehicles "$1" --seed 1 --out "$2.tmp"
	fi
	mv "$2.tmp" "$2"
}
derive() {
	[ -s "$3" ] && return
	if [ $gen = genfeed ]; then
		$PY "$genfeed" --from "$1" --seed "$2" --change-pct 5 --new-pct 2 --vanish-pct 2 \
			--out "$3.tmp"
	else
		$PY "$top/scripts/mkfeed.py" --from "$1" --seed "$2" --change-pct 5 --new-pct 2 \
			--vanish-pct 2 --out "$3.tmp"
	fi
	mv "$3.tmp" "$3"
}
day() { date -u -d "2026-01-01 + $1 days" +%Y-%m-%dT06:00:00Z; }
# ingest DIR FEED FILE DAY: drop FILE and ingest it at --now day DAY
ingest() {
	cp "$3" "$1/spool/incoming/$2/"
	"$L" -c "$1/conf/lotsync.conf" --now "$(day "$4")" ingest >/dev/null 2>&1 ||
		{ echo "bench-audit: ingest of $3 failed" >&2; exit 1; }
}
# lastingest DIR FEED FILE DAY: the same, timed (TW, TC)
lastingest() {
	cp "$3" "$1/spool/incoming/$2/"
	tm "$T" "$L" -c "$1/conf/lotsync.conf" --now "$(day "$4")" ingest
}

# auditor LABEL DIR ING ING_CPU FEED: diff 1 2 and show 2 of DIR's store, as aims
auditor() {
	lb=$1 dir=$2 C=$2/conf/lotsync.conf ing=$3 ingc=$4 feed=$5
	best "$R" "$T" "$L" -c "$C" diff 1 2
	note "[$lb] diff 1 2: $("$L" -c "$C" diff 1 2 | tail -n 1); CPU ${BC} s against the ingest's ${ingc} s"
	aim "[$lb] diff of the pair vs the steady-state ingest of the second file" "$BW" s "$ing" "<=" 0.3 ingest
	aim "[$lb] diff of the pair, peak RSS" "$BM" MB 100 "<=" 1.0 budget
	best "$R" "$T" "$L" -c "$C" --json diff 1 2
	aim "[$lb] diff --json of the pair vs the steady-state ingest" "$BW" s "$ing" "<=" 0.3 ingest
	for mode in text jsonl; do
		if [ $mode = text ]; then set -- show 2; else set -- show --jsonl 2; fi
		"$L" -c "$C" "$@" >"$out/show.out" 2>/dev/null
		size=$(stat -c %s "$out/show.out")
		best "$R" "$T" "$L" -c "$C" "$@"
		shw=$BW shwm=$BM
		# cat takes hundredths of a second: time ten copies and take a tenth
		f=$out/show.out
		best "$R" "$T" cat "$f" "$f" "$f" "$f" "$f" "$f" "$f" "$f" "$f" "$f"
		BW=$(awk -v s="$BW" 'BEGIN { printf "%.3f", s / 10 }')
		aim "[$lb] show ($mode, $(mb "$size") MB) throughput vs cat of the same bytes from a file" \
			"$(awk -v n="$size" -v s="$shw" 'BEGIN { printf "%.0f", n / 1048576 / (s > 0 ? s : 0.01) }')" MB/s \
			"$(awk -v n="$size" -v s="$BW" 'BEGIN { printf "%.0f", n / 1048576 / (s > 0 ? s : 0.01) }')" ">=" 0.5 cat
		note "  show $mode: ${shw} s, peak RSS $shwm MB; cat ${BW} s"
		if [ $mode = text ]; then shwt=$shw catt=$BW sizet=$size; fi
	done
	# the floor: SQLite's own cost of handing out the same rows, nothing else
	best "$R" "$T" "$out/show_floor" "$dir/spool/lotsync.db" "$feed"
	note "  floor under show: a bare sqlite3_step loop over the same rows in file order takes ${BW} s" \
		"($(awk -v n="$sizet" -v s="$BW" 'BEGIN { printf "%.0f", n / 1048576 / (s > 0 ? s : 0.01) }') MB/s of show's text," \
		"$(ratio "$catt" "$BW")x cat's throughput); show text takes $(ratio "$shwt" "$BW")x it"
	rm -f "$out/show.out"
}

cc -O2 -o "$out/show_floor" "$top/tests/bench/show_floor.c" -lsqlite3
note "bench-audit: $(date -u +%Y-%m-%dT%H:%M:%SZ), inputs $gen, $(load_now); best of $R"

# --- the N-vehicle pair -----------------------------------------------------
a=$in/$gen-$n-a.csv b=$in/$gen-$n-b.csv
first "$n" "$a"
derive "$a" 2 "$b"
w=$out/run-pair
bench_conf "$w" generic-csv
ingest "$w" acme "$a" 0
lastingest "$w" acme "$b" 1
auditor "$gen $(k "$n") pair" "$w" "$TW" "$TC" acme
rm -rf "$w"

# --- a month of daily files ---------------------------------------------------
d0=$in/$gen-$m-day00.csv
first "$m" "$d0"
i=1
while [ $i -le 30 ]; do
	derive "$(printf '%s/%s-%s-day%02d.csv' "$in" $gen "$m" $((i - 1)))" $((100 + i)) \
		"$(printf '%s/%s-%s-day%02d.csv' "$in" $gen "$m" $i)"
	i=$((i + 1))
done
w=$out/run-month
bench_conf "$w" generic-csv
i=0
while [ $i -lt 30 ]; do
	ingest "$w" acme "$(printf '%s/%s-%s-day%02d.csv' "$in" $gen "$m" $i)" $i
	i=$((i + 1))
done
lastingest "$w" acme "$(printf '%s/%s-%s-day30.csv' "$in" $gen "$m")" 30
ing=$TW ingc=$TC
C=$w/conf/lotsync.conf
best "$R" "$T" "$L" -c "$C" diff 1 31
note "[$gen $(k "$m") month] diff 1 31 (30 files apart): $("$L" -c "$C" diff 1 31 | tail -n 1); CPU ${BC} s against the ingest's ${ingc} s; peak RSS $BM MB"
aim "[$gen $(k "$m") month] diff of snapshots 30 files apart vs the steady-state ingest of the last file" \
	"$BW" s "$ing" "<=" 1.0 ingest
best "$R" "$T" "$L" -c "$C" --json diff 1 31
aim "[$gen $(k "$m") month] diff --json of snapshots 30 files apart vs the steady-state ingest" \
	"$BW" s "$ing" "<=" 1.0 ingest
rm -rf "$w"

# --- work orders --------------------------------------------------------------
wn=$((n / 10))
a=$in/wo-$wn-a.csv b=$in/wo-$wn-b.csv
[ -s "$a" ] || { $PY "$top/tests/bench/mkwo.py" --orders "$wn" --out "$a.tmp" && mv "$a.tmp" "$a"; }
[ -s "$b" ] || { $PY "$top/tests/bench/mkwo.py" --from "$a" --seed 2 --out "$b.tmp" && mv "$b.tmp" "$b"; }
w=$out/run-wo
rm -rf "$w"
mkdir -p "$w/conf" "$w/spool/incoming/af"
printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n[feed:af]\nsource = drop\nkind = workorder\nprofile = autoflex-csv\n' >"$w/conf/lotsync.conf"
chmod 600 "$w/conf/lotsync.conf"
ingest "$w" af "$a" 0
lastingest "$w" af "$b" 1
auditor "work orders $(k "$wn") pair" "$w" "$TW" "$TC" af
rm -rf "$w" "$T"
note "bench-audit: done, $(load_now)"
