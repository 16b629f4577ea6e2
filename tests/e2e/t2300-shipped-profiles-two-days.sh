#!/bin/sh
# e2e: each shipped marketplace/DMS profile with a second day
# (tests/fixtures/profiles/<profile>/day2.*): named in the config and nothing
# else, day 1 (input.*) and day 2 go through `lotsync ingest`; the second
# snapshot's vehicles, its refused rows (with reasons) and the diff between
# the two days must print exactly expected-day2.txt. t2000 checks day 1.
# UPDATE_EXPECTED=1 rewrites expected-day2.txt (review the diff!).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

n=0
for day2 in "$SRCDIR"/tests/fixtures/profiles/*/day2.*; do
	dir=$(dirname "$day2")
	profile=$(basename "$dir")
	t="$TEST_TMP/$profile"
	mkdir -p "$t/conf" "$t/spool/incoming/feed"
	{
		printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n\n[feed:feed]\nsource = drop\nprofile = %s\nvanish_guard = 100%%\n' "$profile"
		cat "$dir/feed.conf"
	} >"$t/conf/lotsync.conf"
	chmod 600 "$t/conf/lotsync.conf"
	L() { "$LOTSYNC" -c "$t/conf/lotsync.conf" "$@"; }
	cp "$dir"/input.* "$t/spool/incoming/feed/"
	expect_rc 0 "$profile: day 1 ingested" L --now 2026-11-20T08:00:00Z ingest
	cp "$day2" "$t/spool/incoming/feed/"
	expect_rc 0 "$profile: day 2 ingested" L --now 2026-11-21T08:00:00Z ingest
	{
		L show 2
		echo "-- rejected"
		L show 2 --rejected | tail -n +2
		echo "-- diff 1 2"
		L diff 1 2
	} >"$t/actual.txt" 2>&1
	expect_golden "$t/actual.txt" "$dir/expected-day2.txt" "$profile: day 2 and the diff match expected-day2.txt"
	n=$((n + 1))
done
expect_eq "$([ "$n" -ge 7 ] && echo yes)" "yes" "at least seven shipped profiles have a second day ($n)"
finish
