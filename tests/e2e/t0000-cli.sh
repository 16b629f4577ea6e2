#!/bin/sh
# e2e: command line contract (SPEC §5): help, usage errors, check-config
# listing every mistake with its line.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
make_conf "$TEST_TMP"
C="$TEST_TMP/conf/lotsync.conf"

expect_rc 0 "--help" "$LOTSYNC" --help
expect_grep "check-config" "$TEST_TMP/out" "--help lists the commands"
for cmd in run fetch ingest export deliver status check-config snapshots show diff history \
	srs accept reject unlock release verify report; do
	expect_rc 0 "$cmd --help" "$LOTSYNC" -c "$C" "$cmd" --help
	expect_grep "usage: lotsync" "$TEST_TMP/out" "$cmd --help prints usage"
done
expect_rc 64 "unknown command" "$LOTSYNC" -c "$C" frobnicate
expect_rc 64 "no command" "$LOTSYNC"
expect_rc 64 "bad --now" "$LOTSYNC" -c "$C" --now 2026-13-45 status
expect_rc 0 "fetch with only a drop feed has nothing to do" "$LOTSYNC" -c "$C" fetch
expect_rc 64 "fetch of an unknown feed" "$LOTSYNC" -c "$C" fetch nosuchfeed
expect_grep "no feed named 'nosuchfeed'" "$TEST_TMP/err" "fetch names the unknown feed"
expect_rc 64 "report without --html" "$LOTSYNC" -c "$C" report
expect_grep "usage: lotsync report --html FILE" "$TEST_TMP/err" "report says what it needs"
expect_rc 0 "check-config on a good config" "$LOTSYNC" -c "$C" check-config

# Three mistakes on lines 4, 8 and 13: all three reported, exit 78.
cat >"$TEST_TMP/conf/bad.conf" <<'CONF'
[lotsync]
spool = ../spool
settle_seconds = 0
colour = blue

[feed:acme]
source = drop
profile = generic-csv
auto_close = 3x

[target:t]
url = file:///tmp/x/
format = generic-csv
feeds = acme, nosuchfeed
CONF
chmod 600 "$TEST_TMP/conf/bad.conf"
expect_rc 78 "check-config with three mistakes" "$LOTSYNC" -c "$TEST_TMP/conf/bad.conf" check-config
expect_grep "bad.conf:4: .*colour" "$TEST_TMP/err" "line 4: unknown key"
expect_grep "bad.conf:9: .*3x" "$TEST_TMP/err" "line 9: bad duration"
expect_grep "bad.conf:14: .*nosuchfeed" "$TEST_TMP/err" "line 14: undefined feed"
expect_rc 78 "run refuses a bad config" "$LOTSYNC" -c "$TEST_TMP/conf/bad.conf" run

chmod 644 "$C"
expect_rc 78 "group-readable config refused" "$LOTSYNC" -c "$C" check-config
expect_grep "chmod 600" "$TEST_TMP/err" "says how to fix the mode"
finish
