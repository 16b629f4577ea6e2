#!/bin/sh
# e2e: a diff (and show) meets a damaged stored frame (a version's zstd frame cut
# short, past the append-only trigger, as only a hand with sqlite3 could).
# The diff decompresses a frame only when it needs the JSON: both sides of
# a key whose content hashes differ, and a new or vanished key's version
# when the text names it. Then it stops with exit 70 naming the version and
# key; it never prints the key as unchanged or the counts of a whole diff.
# A key whose two versions hash alike is skipped without decompressing.
# show decompresses only the versions valid at its snapshot: a damaged
# frame of another one, even one its scan steps over, changes nothing.
# After the repair the diff is whole again, byte for byte.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
q() { sqlite3 "$DB" "$1"; }
ingest_pair 400 11 12
expect_rc 0 "diff 1 2 before any damage" L diff 1 2
cp "$TEST_TMP/out" whole.txt
expect_rc 0 "diff --json 1 2 before any damage" L --json diff 1 2
cp "$TEST_TMP/out" whole.json
expect_rc 0 "show 2 before any damage" L show 2
cp "$TEST_TMP/out" show2.txt
q "DROP TRIGGER version_rows_append_only_u"

# cut ID: version ID's frame cut to half its bytes (kept aside for mend)
cut() {
	expect_eq "$(q "SELECT typeof(data) FROM version_rows WHERE id = $1")" "blob" \
		"version $1 is stored compressed"
	q "CREATE TABLE keep AS SELECT data FROM version_rows WHERE id = $1;
	   UPDATE version_rows SET data = substr(data, 1, length(data) / 2) WHERE id = $1"
}
mend() { q "UPDATE version_rows SET data = (SELECT data FROM keep) WHERE id = $1; DROP TABLE keep"; }
# fails ID KEY LABEL ARG...: diff ARG... exits 70 naming version ID and KEY, no counts
fails() {
	id=$1 key=$2 lb=$3
	shift 3
	expect_rc 70 "$lb" L "$@"
	expect_grep "version $id ($key): a damaged stored-JSON frame" "$TEST_TMP/err" \
		"$lb: the version and key named"
	expect_eq "$(grep -c '^[0-9]* new, [0-9]* changed' "$TEST_TMP/out")" 0 \
		"$lb: no counts of a whole diff"
}

# A changed key: its old version (snapshot 1) and its new one (snapshot 2).
chg=$(q "SELECT b.key FROM version_rows a JOIN version_rows b ON b.key = a.key
         WHERE a.snapshot_id = 1 AND b.snapshot_id = 2 ORDER BY b.key LIMIT 1")
for side in 1 2; do
	id=$(q "SELECT id FROM version_rows WHERE key = '$chg' AND snapshot_id = $side")
	cut "$id"
	fails "$id" "$chg" "diff 1 2, changed key's version of snapshot $side cut" diff 1 2
	fails "$id" "$chg" "diff --json 2 1, the same" --json diff 2 1
	if [ $side = 1 ]; then
		# ended at 2, between rows of snapshot 2 that show 2's scan reads
		expect_rc 70 "show 1 with its version $id cut" L show 1
		expect_grep "version $id ($chg): a damaged stored-JSON frame" "$TEST_TMP/err" \
			"show 1: the version and key named"
		expect_rc 0 "show 2 with an ended version cut" L show 2
		expect_eq "$(cmp show2.txt "$TEST_TMP/out" && echo same)" "same" \
			"show 2 never reads a version it does not show"
	fi
	mend "$id"
done

# A new key: the text names it from its version, so it is decompressed.
new=$(q "SELECT key FROM version_rows WHERE snapshot_id = 2 AND key NOT IN
         (SELECT key FROM version_rows WHERE snapshot_id = 1) ORDER BY key LIMIT 1")
id=$(q "SELECT id FROM version_rows WHERE key = '$new'")
cut "$id"
fails "$id" "$new" "diff 1 2, a new key's version cut" diff 1 2
mend "$id"

# An unchanged key's version: both snapshots share it, nothing decompresses it.
same=$(q "SELECT id FROM version_rows WHERE snapshot_id = 1 AND key NOT IN
          (SELECT key FROM version_rows WHERE snapshot_id = 2) AND id IN
          (SELECT version_id FROM cur) ORDER BY id LIMIT 1")
cut "$same"
expect_rc 0 "diff 1 2 with an unchanged version cut" L diff 1 2
expect_eq "$(cmp whole.txt "$TEST_TMP/out" && echo same)" "same" \
	"an unchanged version is not read: the diff is the whole one"
mend "$same"

expect_rc 0 "diff 1 2 after the repairs" L diff 1 2
expect_eq "$(cmp whole.txt "$TEST_TMP/out" && echo same)" "same" "text diff whole again"
expect_rc 0 "diff --json 1 2 after the repairs" L --json diff 1 2
expect_eq "$(cmp whole.json "$TEST_TMP/out" && echo same)" "same" "json diff whole again"
finish
