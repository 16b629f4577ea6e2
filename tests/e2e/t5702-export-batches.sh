#!/bin/sh
# e2e: a full export of more vehicles than the batches in flight between the
# store's thread and the render thread hold (export.c: BATCH_SLOTS of
# BATCH_BYTES): every current vehicle once, in the store's order; a vehicle
# whose stored JSON cannot be rendered, first or last in the scan, fails the
# export (exit 70, the vehicle named) with nothing recorded or left in the
# outbox, and the next export after the repair is whole again. So does a
# damaged compressed frame, whichever thread decompresses it (the store's
# thread and the render thread take every other row).
. "$SRCDIR/tests/e2e/lib.sh"
local_env
q() { sqlite3 "$DB" "$1"; }
outbox() { ls "$TEST_TMP/spool/outbox/local" 2>/dev/null; }
# in_order FILE: the VIN column, in file order, one a line
in_order() {
	/usr/bin/python3 -I -S -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")):
    print(r["VIN"])' "$1"
}

# ~12k vehicles of ~1 KB of JSON: a dozen batches, more than are ever in flight.
/usr/bin/python3 "$G" --vehicles 12000 --seed 57 --out "$IN/feed.csv"
expect_rc 0 "ingest 12000 vehicles" L --now 2026-11-20T08:00:00Z ingest
expect_rc 0 "export --full" L --now 2026-11-20T08:10:00Z export --full local
want=$(q "SELECT v.vin FROM cur c JOIN version_rows v ON v.id = c.version_id
          WHERE c.feed = 'acme' ORDER BY c.version_id")
expect_eq "$(in_order "spool/outbox/local/$(outbox)")" "$want" \
	"the file: every current vehicle once, in version order"
expect_eq "$(q "SELECT rows FROM exports ORDER BY id DESC LIMIT 1")" \
	"$(echo "$want" | wc -l)" "the recorded row count is the file's"
rm -f spool/outbox/local/*
exports=$(q "SELECT count(*) FROM exports")

# damaged ID DATA LABEL MESSAGE: with version ID's data set to the SQL
# expression DATA (past the append-only trigger, as only a hand with sqlite3
# could), the export fails (exit 70) naming MESSAGE, records nothing and
# leaves no file; then the data is put back.
damaged() {
	q "CREATE TABLE keep AS SELECT data FROM version_rows WHERE id = $1"
	q "UPDATE version_rows SET data = $2 WHERE id = $1"
	expect_rc 70 "export with $3" L --now 2026-11-20T09:00:00Z export --full local
	expect_grep "$4" "$TEST_TMP/err" "the damaged version is named ($3)"
	expect_eq "$(outbox)" "" "no file left in the outbox ($3)"
	expect_eq "$(q "SELECT count(*) FROM exports")" "$exports" "no export recorded ($3)"
	q "UPDATE version_rows SET data = (SELECT data FROM keep) WHERE id = $1; DROP TABLE keep"
}
q "DROP TRIGGER version_rows_append_only_u"
for which in min max; do
	id=$(q "SELECT $which(version_id) FROM cur WHERE feed = 'acme'")
	key=$(q "SELECT key FROM version_rows WHERE id = $id")
	damaged "$id" "'{\"vin\":'" "the $which version's JSON cut" \
		"vehicle $key: stored data is not the JSON lotsync writes"
done
# A frame cut short (its content size says more than it holds), in the
# first and in the second stored row: one per thread.
for nth in 0 1; do
	id=$(q "SELECT version_id FROM cur WHERE feed = 'acme' ORDER BY version_id LIMIT 1 OFFSET $nth")
	key=$(q "SELECT key FROM version_rows WHERE id = $id")
	expect_eq "$(q "SELECT typeof(data) FROM version_rows WHERE id = $id")" "blob" \
		"row $nth is stored compressed"
	damaged "$id" "substr(data, 1, length(data) / 2)" "stored row $nth's frame cut short" \
		"version $id ($key): a damaged stored-JSON frame"
done
expect_rc 0 "export after the repairs" L --now 2026-11-20T10:00:00Z export --full local
expect_eq "$(in_order "spool/outbox/local/$(outbox)")" "$want" "whole again"
finish
