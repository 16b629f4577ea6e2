#!/bin/sh
# bench-store.sh OUTDIR: the second snapshot's full ingest (claim, SHA-256,
# parse, diff, store, archive) of an N-vehicle feed with 5% changed, 2% new,
# 2% vanished, against references measured in the same run: a bare libcsv
# row/field count of the same file, and the pandas and plain-Python diffs of
# the two files. Also peak RSS, database growth, and per-feed overhead of
# 2,000 small feeds. BENCH_ROWS (default "100000 1000000") sets N.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/bench/out}/store
mkdir -p "$out"
peers=${LOTSYNC_PEERS:-$top/../shared/bench/peers}
genfeed=${LOTSYNC_GENFEED:-$top/../shared/bench/genfeed.py}
PY=/usr/bin/python3
L=$top/lotsync

now() { date +%s.%N; }
# secs CMD...: wall seconds of the best of 3 runs
secs() {
	best=""
	for _ in 1 2 3; do
		t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

if [ -f "$peers/csvcount_libcsv.c" ]; then
	cc -O2 -o "$out/csvcount" "$peers/csvcount_libcsv.c" -lcsv
else
	echo "bench-store: no reference peers at $peers; set LOTSYNC_PEERS" >&2
	exit 1
fi
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
$PY -c 'import pandas' 2>/dev/null || apt-get install -y -qq --no-install-recommends python3-pandas >/dev/null

conf() { # DIR: one drop feed, no targets
	mkdir -p "$1/conf" "$1/spool/incoming/acme"
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n[feed:acme]\nsource = drop\nprofile = generic-csv\nvanish_guard = 50%%\n' >"$1/conf/lotsync.conf"
	chmod 600 "$1/conf/lotsync.conf"
}

pair() { # LABEL A B: ingest A, then measure ingesting B
	label=$1 a=$2 b=$3
	w=$out/run-$label
	rm -rf "$w"
	conf "$w"
	cp "$a" "$w/spool/incoming/acme/a.csv"
	$L -c "$w/conf/lotsync.conf" --now 2026-01-01 ingest
	db0=$(stat -c %s "$w/spool/lotsync.db")
	cp "$b" "$w/spool/incoming/acme/b.csv"
	t0=$(now)
	/usr/bin/time -f '%M' -o "$out/rss" $L -c "$w/conf/lotsync.conf" --now 2026-01-02 ingest
	t1=$(now)
	ing=$(echo "$t1 - $t0" | bc -l)
	rss=$(($(cat "$out/rss") / 1024))
	$L -c "$w/conf/lotsync.conf" --json snapshots >"$out/snaps.json"
	counts=$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))[1]; print("%d new, %d changed, %d vanished" % (s["new"], s["changed"], s["vanished"]))' "$out/snaps.json")
	sqlite3 "$w/spool/lotsync.db" 'pragma wal_checkpoint(TRUNCATE)' >/dev/null
	db1=$(stat -c %s "$w/spool/lotsync.db")
	csv=$(secs "$out/csvcount" "$b")
	pd=$(secs $PY "$peers/pandas_diff.py" "$a" "$b")
	pyd=$(secs $PY "$peers/py_diff.py" "$a" "$b")
	mb=$(echo "$(stat -c %s "$b") / 1048576" | bc -l)
	printf '%s: %.0f MB, %s\n' "$label" "$mb" "$counts"
	printf '  ingest %.2fs = %sx bare libcsv count (%.2fs); pandas diff %.2fs = %sx ours; python diff %.2fs = %sx ours\n' \
		"$ing" "$(ratio "$ing" "$csv")" "$csv" "$pd" "$(ratio "$pd" "$ing")" "$pyd" "$(ratio "$pyd" "$ing")"
	printf '  peak RSS %d MB; database %.1f MB after the first snapshot, +%.1f MB (%s%%) for the second\n' \
		"$rss" "$(echo "$db0 / 1048576" | bc -l)" "$(echo "($db1 - $db0) / 1048576" | bc -l)" \
		"$(printf '%.1f' "$(echo "100 * ($db1 - $db0) / $db0" | bc -l)")"
	rm -rf "$w"
}

for n in ${BENCH_ROWS:-100000 1000000}; do
	a=$out/mk-$n-a.csv b=$out/mk-$n-b.csv
	[ -f "$a" ] || $PY "$top/scripts/mkfeed.py" --vehicles "$n" --seed 7 --out "$a"
	[ -f "$b" ] || $PY "$top/scripts/mkfeed.py" --from "$a" --change-pct 5 --new-pct 2 --vanish-pct 2 --seed 8 --out "$b"
	pair "mkfeed-$n" "$a" "$b"
	if [ -f "$genfeed" ] && [ "$n" -le "${BENCH_GENFEED_MAX:-1000000}" ]; then
		a=$out/gf-$n-a.csv b=$out/gf-$n-b.csv
		[ -f "$a" ] || $PY "$genfeed" --vehicles "$n" --out "$a"
		[ -f "$b" ] || $PY "$genfeed" --from "$a" --change-pct 5 --new-pct 2 --vanish-pct 2 --out "$b"
		pair "genfeed-$n" "$a" "$b"
	fi
done

# 2,000 feeds of 150 vehicles vs one feed of 300,000 in one run: the difference is per-feed cost.
w=$out/many
rm -rf "$w"
mkdir -p "$w/conf" "$w/src"
$PY "$top/scripts/mkfeed.py" --vehicles 300000 --seed 9 --out "$w/src/all.csv"
$PY - "$w" <<'PY'
import sys
w = sys.argv[1]
lines = open(w + "/src/all.csv", newline="").read().split("\n")
# mkfeed's records may span lines (quoted newlines); split with the csv module instead.
import csv
rows = list(csv.reader(open(w + "/src/all.csv", newline="")))
head, body = rows[0], rows[1:]
conf = ["[lotsync]", "spool = ../spool", "settle_seconds = 0"]
import os
for i in range(2000):
    os.makedirs("%s/spool/incoming/f%04d" % (w, i), exist_ok=True)
    with open("%s/spool/incoming/f%04d/inv.csv" % (w, i), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([head] + body[i * 150:(i + 1) * 150])
    conf += ["[feed:f%04d]" % i, "source = drop", "profile = generic-csv"]
os.makedirs(w + "/one/conf", exist_ok=True)
os.makedirs(w + "/one/spool/incoming/acme", exist_ok=True)
open(w + "/conf/lotsync.conf", "w").write("\n".join(conf) + "\n")
PY
chmod 600 "$w/conf/lotsync.conf"
conf "$w/one"
cp "$w/src/all.csv" "$w/one/spool/incoming/acme/"
t0=$(now); $L -c "$w/conf/lotsync.conf" --now 2026-01-01 ingest; t1=$(now)
many=$(echo "$t1 - $t0" | bc -l)
t0=$(now); $L -c "$w/one/conf/lotsync.conf" --now 2026-01-01 ingest; t1=$(now)
one=$(echo "$t1 - $t0" | bc -l)
printf '2,000 feeds x 150 vehicles: %.2fs; one feed of 300,000: %.2fs; per-feed overhead %.2f ms\n' \
	"$many" "$one" "$(echo "($many - $one) * 1000 / 2000" | bc -l)"
rm -rf "$w"
