#!/bin/sh
# bench-store.sh OUTDIR: every aim of the steady-state store (issue 16) as a
# ratio against a reference measured in the same run, on the same files:
#   - the steady-state ingest of the second of an N-vehicle pair (5% changed,
#     2% new, 2% vanished) against DuckDB's bare diff of the pair (2
#     threads), the bare libcsv row/field count of the file, pandas' diff
#     (and the plain Python dict diff, for scale), and its peak RSS;
#   - the first load against the bare libcsv count of the first file;
#   - the database after the first load against the CSV's size, and its
#     growth for the second snapshot against the churn's share of it;
#   - the full export of the N-vehicle snapshot against a plain fwrite of
#     the same bytes (throughput);
#   - a 100k XML pair's steady-state ingest against a bare xmlTextReader
#     walk of the file;
#   - 2,000 feeds x 150 vehicles in one run against one feed of 300,000:
#     the overhead per feed, and how much of both cores the run used.
# Inputs: the neutral generator (LOTSYNC_GENFEED, default
# ../shared/bench/genfeed.py) when it exists, and scripts/mkfeed.py; both
# are deterministic and cached in OUTDIR/inputs. References: the peers in
# LOTSYNC_PEERS (default ../shared/bench/peers: csvcount_libcsv.c,
# xmlcount_reader.c, pandas_diff.py, py_diff.py), tests/bench/duckdb_diff.js
# (DuckDB from npm's @duckdb/node-api, installed into OUTDIR/duckdb) and
# tests/bench/fwrite_peer.c.
# Env: BENCH_ROWS (default 1000000; 100000 is the quick mode),
# BENCH_RUNS (default 3: the best run counts; lotsync's ingests run once at
# 1M and twice below, the pandas and Python peers once), BENCH_GEN (default
# "genfeed mkfeed" at 1M, "genfeed" in the quick mode), BENCH_XML_ROWS (default 100000), BENCH_FEEDS (default
# 2000 at 1M, 500 in the quick mode).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/benchlib.sh"
bench_dirs "$top" "${1:-}" store
shared=$(bench_shared "$top")
peers=${LOTSYNC_PEERS:-$shared/peers}
genfeed=${LOTSYNC_GENFEED:-$shared/genfeed.py}
PY=/usr/bin/python3
L=$top/lotsync
N=${BENCH_ROWS:-1000000}
R=${BENCH_RUNS:-3}
XN=${BENCH_XML_ROWS:-100000}
T=$out/time
# lotsync's first loads run once at 1M (~20 s each) and twice in the quick
# mode; its steady-state ingests, each from a copy of the state after the
# first load, run as often as the references (best of $R), so that the
# ratios compare best with best on this noisy machine. The pandas and Python
# peers (tens of seconds at 1M) run once.
if [ "$N" -ge 500000 ]; then RI=1 FEEDS=${BENCH_FEEDS:-2000}; else RI=2 FEEDS=${BENCH_FEEDS:-500}; fi
SI=$R
label=$(awk -v n="$N" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000; else if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }')

# --- references ---------------------------------------------------------------
if [ ! -f "$peers/csvcount_libcsv.c" ] || [ ! -f "$peers/xmlcount_reader.c" ]; then
	echo "bench-store: no reference peers at $peers; set LOTSYNC_PEERS" >&2
	exit 1
fi
cc -O2 -o "$out/csvcount" "$peers/csvcount_libcsv.c" -lcsv
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$out/xmlcount" "$peers/xmlcount_reader.c" $(pkg-config --cflags --libs libxml-2.0)
cc -O2 -o "$out/fwrite_peer" "$top/tests/bench/fwrite_peer.c"
if ! $PY -c 'import pandas' 2>/dev/null; then
	echo "bench-store: installing python3-pandas (the pandas peer)"
	bench_apt python3-pandas || echo "bench-store: python3-pandas could not be installed: no pandas figure"
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "bench-store: installing nodejs and npm (the DuckDB peer comes from npm)"
	bench_apt nodejs npm || true
fi
duck=$base/duckdb
if command -v npm >/dev/null 2>&1 && [ ! -d "$duck/node_modules/@duckdb/node-api" ]; then
	echo "bench-store: npm install @duckdb/node-api into $duck (the DuckDB peer, once)"
	mkdir -p "$duck"
	(cd "$duck" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null) ||
		echo "bench-store: npm install @duckdb/node-api failed: no DuckDB figure"
fi
if [ -d "$duck/node_modules/@duckdb/node-api" ]; then
	have_duck=1
else
	have_duck=""
	echo "bench-store: npm or @duckdb/node-api unavailable: the DuckDB aim is skipped"
fi
duckdb_diff="env NODE_PATH=$duck/node_modules node $top/tests/bench/duckdb_diff.js"

# --- inputs (deterministic, cached; written under a temporary name) ----------
# gen GEN N OUT [FORMAT]: a first snapshot; next GEN PREV SEED OUT [FORMAT]: the next day's.
gen() {
	[ -s "$3" ] && return 0
	if [ "$1" = genfeed ]; then
		$PY "$genfeed" --vehicles "$2" --dealers $(($2 / 500 > 0 ? $2 / 500 : 1)) --seed 1 \
			--format "${4:-csv}" --out "$3.tmp"
	else
		$PY "$top/scripts/mkfeed.py" --vehicles "$2" --seed 1 --format "${4:-csv}" --out "$3.tmp"
	fi
	mv "$3.tmp" "$3"
}
next() {
	[ -s "$3" ] && return 0
	if [ "$1" = genfeed ]; then
		$PY "$genfeed" --from "$2" --seed 2 --change-pct 5 --new-pct 2 --vanish-pct 2 \
			--format "${4:-csv}" --out "$3.tmp"
	else
		$PY "$top/scripts/mkfeed.py" --from "$2" --seed 2 --change-pct 5 --new-pct 2 \
			--vanish-pct 2 --format "${4:-csv}" --out "$3.tmp"
	fi
	mv "$3.tmp" "$3"
}

# counts DIR: "N new, N changed, N vanished, N refused" of the last snapshot
counts() {
	"$L" -c "$1/conf/lotsync.conf" --json snapshots | $PY -c '
import json, sys
s = json.load(sys.stdin)[-1]
print("new=%d changed=%d vanished=%d refused=%d" % (s["new"], s["changed"], s["vanished"], s["rejected_rows"]))'
}

# pair GEN A B PROFILE: first load of A, then the steady-state ingest of B,
# in $w; leaves the figures in FIRST, ING, ING_C, RSS, DB0, DB1, CNT.
pair() {
	g=$1 a=$2 b=$3 prof=$4
	w=$out/run-$g
	FIRST=""
	i=0
	while [ "$i" -lt "$RI" ]; do
		bench_conf "$w" "$prof"
		cp "$a" "$w/spool/incoming/acme/"
		tm "$T" "$L" -c "$w/conf/lotsync.conf" --now 2026-01-01T06:00:00Z ingest
		if lower "$TW" "$FIRST"; then FIRST=$TW; fi
		i=$((i + 1))
	done
	DB0=$(dbsize "$w")
	[ "$SI" -gt 1 ] && { rm -rf "$w.base" && cp -a "$w" "$w.base"; }
	ING="" RSS=0
	i=0
	while [ "$i" -lt "$SI" ]; do
		[ "$i" -gt 0 ] && { rm -rf "$w" && cp -a "$w.base" "$w"; }
		cp "$b" "$w/spool/incoming/acme/"
		tm "$T" "$L" -c "$w/conf/lotsync.conf" --now 2026-01-02T06:00:00Z ingest
		if lower "$TW" "$ING"; then
			ING=$TW ING_C=$TC
		fi
		[ "$TM" -gt "$RSS" ] && RSS=$TM
		i=$((i + 1))
	done
	rm -rf "$w.base"
	DB1=$(dbsize "$w")
	CNT=$(counts "$w")
}

note "bench-store: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(load_now); references best of $R, lotsync first loads best of $RI, steady-state ingests and the many-feed runs best of $SI"

# --- the N-vehicle CSV pair, per generator ------------------------------------
# Both generators at 1M; the quick mode takes the neutral one (mkfeed without it).
if [ "$N" -ge 500000 ] || [ ! -f "$genfeed" ]; then gens=${BENCH_GEN:-genfeed mkfeed}; else gens=${BENCH_GEN:-genfeed}; fi
for g in $gens; do
	if [ "$g" = genfeed ] && [ ! -f "$genfeed" ]; then
		echo "bench-store: no genfeed.py at $genfeed (LOTSYNC_GENFEED): genfeed inputs skipped"
		continue
	fi
	a=$in/$g-$N-a.csv b=$in/$g-$N-b.csv
	gen "$g" "$N" "$a"
	next "$g" "$a" "$b"
	csvmb=$(mb "$(stat -c %s "$a")")
	echo "-- $g $label CSV pair: $csvmb MB and $(mb "$(stat -c %s "$b")") MB"
	pair "$g" "$a" "$b" generic-csv
	best "$R" "$T" "$out/csvcount" "$a"
	csv_a=$BW
	best "$R" "$T" "$out/csvcount" "$b"
	csv_b=$BW
	BENCH_STDOUT=$out/peer.out best 1 "$T" $PY "$peers/py_diff.py" "$a" "$b"
	pyd=$BW
	if [ "${CNT% refused=*}" = "$(cat "$out/peer.out")" ]; then eq="equal"; else eq="differ"; fi
	note "counts [$g $label]: lotsync $CNT; Python peer (py_diff.py) $(cat "$out/peer.out"): $eq"
	dk=""
	if [ -n "$have_duck" ]; then
		BENCH_STDOUT=$out/peer.out best "$R" "$T" $duckdb_diff "$a" "$b"
		dk=$BW
		note "  DuckDB (2 threads): $(cat "$out/peer.out"), peak RSS $BM MB"
	fi
	aim "[$g $label] steady-state ingest vs DuckDB's bare diff (2 threads)" "$ING" s "$dk" "<=" 0.5 DuckDB
	aim "[$g $label] steady-state ingest vs the bare libcsv count" "$ING" s "$csv_b" "<=" 1.0 "libcsv"
	aim "[$g $label] steady-state ingest vs the bare libcsv count (stretch)" "$ING" s "$csv_b" "<=" 0.5 "libcsv"
	pd=""
	if $PY -c 'import pandas' 2>/dev/null; then
		best 1 "$T" $PY "$peers/pandas_diff.py" "$a" "$b"
		pd=$BW
	fi
	aim "[$g $label] pandas' diff vs the steady-state ingest (lotsync faster)" "$pd" s "$ING" ">=" 20 "lotsync"
	note "  Python dict diff (py_diff.py): ${pyd} s = $(ratio "$pyd" "$ING") x the steady-state ingest; lotsync CPU ${ING_C} s"
	aim "[$g $label] steady-state ingest peak RSS" "$RSS" MB 250 "<=" 1.0 budget
	aim "[$g $label] first load vs the bare libcsv count" "$FIRST" s "$csv_a" "<=" 3.0 libcsv
	aim "[$g $label] database after the first load vs the CSV" "$(mb "$DB0")" MB "$csvmb" "<=" 1.0 CSV
	churn=$(echo "$CNT" | awk -v n="$N" -F'[ =]' '{ print ($2 + $4 + $6) / n }')
	aim "[$g $label] database growth for the second snapshot vs the churn's share ($(awk -v c="$churn" 'BEGIN { printf "%.1f%%", 100 * c }')) of the first load" \
		"$(mb $((DB1 - DB0)))" MB "$(awk -v c="$churn" -v d="$DB0" 'BEGIN { printf "%.1f", c * d / 1048576 }')" "<=" 1.0 churn

	# The full export of the snapshot just ingested, to mobilede-csv.
	ec=$w/conf/export.conf
	{
		cat "$w/conf/lotsync.conf"
		printf '[target:mobile]\nurl = file://%s/remote/\nformat = mobilede-csv\nfeeds = acme\ndeviation_lock = 1000%%\n' "$w"
	} >"$ec"
	chmod 600 "$ec"
	mkdir -p "$w/remote"
	ex="" fw=""
	i=0
	while [ "$i" -lt "$R" ]; do
		rm -f "$w/spool/outbox/mobile/"*
		tm "$T" "$L" -c "$ec" --now 2026-01-02T07:00:00Z export --full mobile
		f=$(ls "$w/spool/outbox/mobile/"*)
		t=$("$out/fwrite_peer" "$f" "$out/fwrite.out")
		rm -f "$out/fwrite.out"
		if lower "$TW" "$ex"; then ex=$TW; fi
		if lower "$t" "$fw"; then fw=$t; fi
		i=$((i + 1))
	done
	size=$(stat -c %s "$f")
	aim "[$g $label] full export ($(mb "$size") MB mobilede-csv) throughput vs a plain fwrite of the same bytes" \
		"$(awk -v n="$size" -v s="$ex" 'BEGIN { printf "%.0f", n / 1048576 / s }')" MB/s \
		"$(awk -v n="$size" -v s="$fw" 'BEGIN { printf "%.0f", n / 1048576 / s }')" ">=" 0.7 fwrite
	rm -rf "$w"
done

# --- the XML pair ------------------------------------------------------------
xg=mkfeed
[ -f "$genfeed" ] && xg=genfeed
xlabel=$(awk -v n="$XN" 'BEGIN { if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }')
a=$in/$xg-$XN-a.xml b=$in/$xg-$XN-b.xml
gen "$xg" "$XN" "$a" xml
if [ $xg = genfeed ]; then
	next "$xg" "$a" "$b" xml
else # mkfeed derives from its CSV and writes the XML
	gen "$xg" "$XN" "$in/$xg-$XN-a.csv"
	next "$xg" "$in/$xg-$XN-a.csv" "$b" xml
fi
echo "-- $xg $xlabel XML pair: $(mb "$(stat -c %s "$b")") MB"
pair "$xg-xml" "$a" "$b" generic-xml
best "$R" "$T" "$out/xmlcount" "$b"
note "counts [$xg $xlabel XML]: lotsync $CNT"
aim "[$xg $xlabel XML] steady-state ingest vs the bare xmlTextReader count" "$ING" s "$BW" "<=" 1.0 xmlTextReader
rm -rf "$out/run-$xg-xml"

# --- many small feeds -----------------------------------------------------------
# $FEEDS feeds of 150 vehicles in one run against one feed of all of them:
# the difference is what each feed costs beyond its rows.
w=$out/many
rm -rf "$w"
mkdir -p "$w/conf" "$w/src"
rows=$((FEEDS * 150))
$PY "$top/scripts/mkfeed.py" --vehicles "$rows" --seed 9 --out "$w/src/all.csv"
# split SRC NAME: SRC's rows, 150 a feed, as spool/incoming/fNNNN/NAME, and
# the config of those feeds.
split() {
	$PY - "$w" "$FEEDS" "$1" "$2" <<'PY'
import csv, os, sys
w, n, src, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# mkfeed's records may span lines (quoted newlines): split with the csv module.
rows = list(csv.reader(open(src, newline="")))
head, body = rows[0], rows[1:]
conf = ["[lotsync]", "spool = ../spool", "settle_seconds = 0"]
for i in range(n):
    os.makedirs("%s/spool/incoming/f%04d" % (w, i), exist_ok=True)
    with open("%s/spool/incoming/f%04d/%s" % (w, i, name), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([head] + body[i * 150:(i + 1) * 150])
    conf += ["[feed:f%04d]" % i, "source = drop", "profile = generic-csv"]
open(w + "/conf/lotsync.conf", "w").write("\n".join(conf) + "\n")
PY
	chmod 600 "$w/conf/lotsync.conf"
}
split "$w/src/all.csv" inv.csv
bench_conf "$w/one" generic-csv
cp "$w/src/all.csv" "$w/one/spool/incoming/acme/"
# Best of $R like the references, each pair of runs from the same first-run
# spools (copied before the first); the next hour goes on from the last.
cp -a "$w/spool" "$w/spool.0"
cp -a "$w/one/spool" "$w/one/spool.0"
many="" one=""
i=0
while [ "$i" -lt "$R" ]; do
	if [ "$i" -gt 0 ]; then
		rm -rf "$w/spool" "$w/one/spool"
		cp -a "$w/spool.0" "$w/spool"
		cp -a "$w/one/spool.0" "$w/one/spool"
	fi
	tm "$T" "$L" -c "$w/conf/lotsync.conf" --now 2026-01-01T06:00:00Z ingest
	if lower "$TW" "$many"; then many=$TW many_c=$TC; fi
	tm "$T" "$L" -c "$w/one/conf/lotsync.conf" --now 2026-01-01T06:00:00Z ingest
	if lower "$TW" "$one"; then one=$TW; fi
	i=$((i + 1))
done
rm -rf "$w/spool.0" "$w/one/spool.0"
echo "-- $FEEDS feeds x 150 vehicles: ${many} s (CPU ${many_c} s); one feed of $rows: ${one} s"
aim "$FEEDS feeds x 150 vehicles, overhead per feed over one feed of $rows" \
	"$(awk -v m="$many" -v o="$one" -v n="$FEEDS" 'BEGIN { printf "%.2f", (m - o) * 1000 / n }')" ms 2 "<=" 1.0 budget
aim "$FEEDS feeds x 150 vehicles, both cores used (CPU seconds per wall second)" "$many_c" s "$many" ">=" 1.5 wall
# The next hour's run, as cron meets it: the folders exist and every feed
# sends its file again with 5% of its vehicles changed (none new or gone,
# so each feed keeps its 150). Informative: the aim above is the first run.
$PY "$top/scripts/mkfeed.py" --from "$w/src/all.csv" --seed 10 --change-pct 5 --new-pct 0 \
	--vanish-pct 0 --out "$w/src/all2.csv"
split "$w/src/all2.csv" inv2.csv
cp "$w/src/all2.csv" "$w/one/spool/incoming/acme/"
tm "$T" "$L" -c "$w/conf/lotsync.conf" --now 2026-01-01T07:00:00Z ingest
many2=$TW many2_c=$TC
tm "$T" "$L" -c "$w/one/conf/lotsync.conf" --now 2026-01-01T07:00:00Z ingest
one2=$TW
note "  the next hour ($FEEDS feeds, 5% changed, folders in place): ${many2} s (CPU ${many2_c} s) against one feed's ${one2} s:" \
	"$(awk -v m="$many2" -v o="$one2" -v n="$FEEDS" 'BEGIN { printf "%.2f", (m - o) * 1000 / n }') ms a feed," \
	"$(awk -v c="$many2_c" -v m="$many2" 'BEGIN { printf "%.2f", c / m }') cores"
rm -rf "$w" "$T" "$out/peer.out"
echo "bench-store: done, $(load_now)"
