#!/bin/sh
# e2e (issue 16): schema 14 stores a version's data as a zstd frame and
# leaves the TEXT rows written before it as they are. A store that crossed
# the migration holds both; show, diff, history, the exports and verify
# must read it exactly as they read a store that was created at 14 from
# the same files, and the plain sqlite3 shell reads both forms through
# the lotsync_json() extension.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
G=$SRCDIR/scripts/mkfeed.py
python3 "$G" --vehicles 300 --seed 7 --out day1.csv
python3 "$G" --from day1.csv --seed 8 --change-pct 10 --new-pct 5 --vanish-pct 5 --out day2.csv
python3 "$G" --from day2.csv --seed 9 --change-pct 10 --new-pct 5 --vanish-pct 5 --out day3.csv
for d in mig fresh; do make_conf "$TEST_TMP/$d" && mkdir -p "$d/spool/incoming/acme"; done
M() { "$LOTSYNC" -c "$TEST_TMP/mig/conf/lotsync.conf" "$@"; }
F() { "$LOTSYNC" -c "$TEST_TMP/fresh/conf/lotsync.conf" "$@"; }
MDB=mig/spool/lotsync.db FDB=fresh/spool/lotsync.db
day() { # N TIME: file N into both stores, one run each
	cp "day$1.csv" mig/spool/incoming/acme/ && cp "day$1.csv" fresh/spool/incoming/acme/
	expect_rc 0 "day $1 into the migrated store" M --now "$2" run
	expect_rc 0 "day $1 into the fresh store" F --now "$2" run
}

day 1 2026-11-20T08:00:00Z
# Make mig a store of schema 13 as lotsync wrote it then: TEXT data, the
# full versions_vin. (The append-only trigger is lifted for the rewrite only.)
trig=$(sqlite3 "$MDB" "select sql from sqlite_master where name = 'version_rows_append_only_u'")
sqlite3 -cmd "$SQL_JSON" "$MDB" "drop trigger version_rows_append_only_u;
	update version_rows set data = lotsync_json(data); $trig;
	drop index versions_vin; create index versions_vin on version_rows(vin);
	pragma user_version = 13;"
n1=$(sqlite3 "$MDB" "select count(*) from version_rows")
expect_eq "$(sqlite3 "$MDB" "select count(*) from version_rows where typeof(data) = 'text'")" "$n1" \
	"before the migration every version is TEXT ($n1 rows)"
expect_eq "$(sqlite3 "$MDB" "select json_extract(data, '\$.vin') = key from version_rows where id = 1")" 1 \
	"and plain json_extract reads it"

day 2 2026-11-21T08:00:00Z
expect_eq "$(sqlite3 "$MDB" "pragma user_version")" 16 "the run migrated the store to schema 16 (14, 15, then 16)"
expect_eq "$(sqlite3 "$MDB" "select sql from sqlite_master where name = 'versions_vin'")" \
	"CREATE INDEX versions_vin ON version_rows(vin) WHERE vin <> key" "versions_vin only where the VIN is not the key"
expect_eq "$(sqlite3 "$MDB" "select count(*) from version_rows where typeof(data) = 'text'")" "$n1" \
	"the versions written before stay TEXT (nothing rewritten)"
expect_eq "$(sqlite3 "$MDB" "select count(*) > 0 and count(*) = sum(typeof(data) = 'blob')
	from version_rows where id > $n1")" 1 "the versions written since are frames"
# schema 15: each frame's header names dictionary 2 (single segment, a 1-byte ID after the descriptor)
expect_eq "$(sqlite3 "$MDB" "select count(*) from version_rows where id > $n1
	and not (hex(substr(data, 1, 4)) = '28B52FFD' and hex(substr(data, 5, 1)) in ('21', '61')
	and hex(substr(data, 6, 1)) = '02')")" 0 "every frame written since names dictionary 2"
day 3 2026-11-22T08:00:00Z
expect_eq "$(sqlite3 "$FDB" "select count(*) from version_rows where typeof(data) = 'text'")" 0 \
	"a store created at 14 holds frames only"

# Every reader sees the same JSON in both stores.
same() { # WHAT CMD...: the command's output and exit status equal for both stores
	_w=$1
	shift
	M "$@" >mig.out 2>&1
	_m=$?
	F "$@" >fresh.out 2>&1
	_f=$?
	if [ "$_m" = "$_f" ] && cmp -s mig.out fresh.out && [ -s mig.out ]; then
		pass "$_w: the same in both stores (exit $_m)"
	else
		fail "$_w: exit $_m and $_f"
		diff mig.out fresh.out | head -n 10 >&2
	fi
}
vin=$(sqlite3 "$MDB" "select key from version_rows where id = 2")
same "show of the first snapshot (TEXT rows)" show 1
same "show of the last snapshot (both kinds)" show 3
same "show --json" --json show 3
same "diff across the migration" diff 1 3
same "diff --json" --json diff 1 2
same "history of a vehicle" history "$vin"
same "verify" verify
expect_rc 0 "verify passes on the migrated store" M verify
expect_eq "$(cd mig/spool && find outbox sent -type f -exec sha256sum {} + | sort -k2)" \
	"$(cd fresh/spool && find outbox sent -type f -exec sha256sum {} + | sort -k2)" \
	"the exports of both stores are the same bytes"
expect_eq "$(ls mig/spool/sent/local | wc -l)" 3 "one export per day"
# The sqlite3 shell: lotsync_json() reads both forms alike.
q='select id, key, lotsync_json(data) from version_rows order by id'
expect_eq "$(sqlite3 -cmd "$SQL_JSON" "$MDB" "$q" | sha256sum)" "$(sqlite3 -cmd "$SQL_JSON" "$FDB" "$q" | sha256sum)" \
	"lotsync_json(data) is the same JSON in both stores"
expect_eq "$(sqlite3 -cmd "$SQL_JSON" "$MDB" "select count(*) from version_rows
	where json_valid(lotsync_json(data)) and json_extract(lotsync_json(data), '\$.vin') = key")" \
	"$(sqlite3 "$MDB" "select count(*) from version_rows")" "every version reads back as the record's JSON"
finish
