#!/bin/sh
# mkzdict.sh: make src/store_zdict2.h, stored-JSON dictionary 2, again.
# Not part of the build: the dictionary is part of the storage format and
# committed. Run only to make a NEW dictionary (then give it a new ID in
# scripts/zdict.c, keep every old one readable in store_zdata.c, and bump
# the schema). Samples: the canonical JSON of every record of the profile
# fixtures (tests/fixtures/profiles, each read by its own profile), real
# feed shapes rather than the benchmark's generator. Needs `make all`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
w=$(mktemp -d /tmp/lotsync-zdict.XXXXXX)
trap 'rm -rf "$w"' EXIT
export LOTSYNC_SHAREDIR="$top/conf"
for d in "$top"/tests/fixtures/profiles/*/; do
	n=$(basename "$d")
	mkdir -p "$w/$n/conf" "$w/$n/spool/incoming/f"
	{ printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n[feed:f]\nsource = drop\nprofile = %s\n' "$n"
	  cat "$d/feed.conf"; } >"$w/$n/conf/lotsync.conf"
	chmod 600 "$w/$n/conf/lotsync.conf"
	k=0
	for f in "$d"/input.* "$d"/day2.*; do
		[ -e "$f" ] || continue
		k=$((k + 1))
		cp "$f" "$w/$n/spool/incoming/f/"
		"$top/lotsync" -c "$w/$n/conf/lotsync.conf" --now "2026-01-0${k}T06:00:00Z" ingest \
			>/dev/null 2>&1 || [ $? -lt 64 ] # warnings and holds are fine: the rows are stored
	done
	sqlite3 -cmd ".load $top/build/lotsync_json.so" "$w/$n/spool/lotsync.db" \
		"SELECT lotsync_json(data) FROM version_rows ORDER BY id" >>"$w/samples.jsonl"
done
cc -O2 -o "$w/zdict" "$top/scripts/zdict.c" -lzstd
"$w/zdict" "$w/samples.jsonl" >"$top/src/store_zdict2.h"
echo "mkzdict: src/store_zdict2.h from $(wc -l <"$w/samples.jsonl") records"
