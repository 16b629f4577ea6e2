#!/bin/sh
# e2e: every shipped profile reads its fixture (tests/fixtures/profiles/<profile>/):
# input.* through a real `lotsync ingest`, then `show` and `show --rejected`
# must print exactly expected.txt (values normalised, lists joined, extras
# kept, warnings and refused rows with line, field and reason).
# UPDATE_EXPECTED=1 rewrites expected.txt from what lotsync prints (review the diff!).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

for dir in "$SRCDIR"/tests/fixtures/profiles/*/; do
	profile=$(basename "$dir")
	t="$TEST_TMP/$profile"
	mkdir -p "$t/conf" "$t/spool/incoming/feed"
	{
		printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n\n[feed:feed]\nsource = drop\nprofile = %s\n' "$profile"
		cat "$dir/feed.conf"
	} >"$t/conf/lotsync.conf"
	chmod 600 "$t/conf/lotsync.conf"
	cp "$dir"/input.* "$t/spool/incoming/feed/"
	L() { "$LOTSYNC" -c "$t/conf/lotsync.conf" "$@"; }
	expect_rc 0 "$profile: ingest" L --now 2026-11-20T08:00:00Z ingest
	{
		L show 1
		echo "-- rejected"
		L show 1 --rejected | tail -n +2
	} >"$t/actual.txt" 2>&1
	expect_golden "$t/actual.txt" "$dir/expected.txt" "$profile: show output matches expected.txt"
	# Every vehicle's JSON parses and no field is empty (empty means absent).
	L --json show 1 >"$t/show.json"
	expect_eq "$(json 'all(v for x in j["vehicles"] for v in x["fields"].values())' "$t/show.json")" \
		"True" "$profile: no empty field stored"
done
finish
