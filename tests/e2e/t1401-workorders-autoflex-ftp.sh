#!/bin/sh
# e2e: an Autoflex work-order export (kind = workorder, profile autoflex-csv,
# mode full by the profile) polled over FTP from the loopback vsftpd on three
# days. Rows of one work order are grouped with their interventions in file
# order; day 2 bills one (a change); on day 3 it has left the export (the
# whole set: absent = gone) and a new one arrives whose driver is the same
# person as the gone one's, stored once. The work order whose appointment
# was typed 12-06 for 06-12 is flagged on stderr and in status.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
cd "$TEST_TMP" || exit 1
FX=$SRCDIR/tests/fixtures/workorders/autoflex
server_creds "$TEST_TMP"
sub=af$$
FD=$FTP_ROOT/inbox/$sub
mkdir -p "$FD" spool
chown "$FTP_USER" "$FD"
trap 'rm -rf "$FD"' EXIT
{
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n\n'
	server_section feed:autoflex "ftp://$FTP_USER@127.0.0.1:$FTP_PORT/inbox/$sub/" \
		"kind = workorder" "profile = autoflex-csv"
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
q() { sqlite3 -cmd "$SQL_JSON" spool/lotsync.db "$1"; }
current() { q "select key from versions where kind = 'workorder' and to_seq is null order by key" | tr '\n' ' '; }
day() { # N DATE: the day's export replaces yesterday's on the server
	cp "$FX/day$1.csv" "$FD/werkorders.csv"
	touch -d "$2 06:00 UTC" "$FD/werkorders.csv"
}

day 1 2026-12-01
expect_rc 0 "day 1: fetched over FTP and ingested" L --now 2026-12-01T06:30:00Z run
expect_grep "werkorders.csv:5: work order A-1003: probable date typo: appointment read as 2026-06-12T14:00" \
	"$TEST_TMP/err" "stderr names the probable date typo with its WO number"
expect_eq "$(current)" "700/A-1001 700/A-1002 700/A-1003 " "three work orders from four rows"
expect_eq "$(q "select json_extract(lotsync_json(data), '$.\"intervention.001.title\"') || '|' || json_extract(lotsync_json(data), '$.\"intervention.002.title\"') || '|' || json_extract(lotsync_json(data), '$.\"intervention.002.price\"') from versions where key = '700/A-1001'")" \
	"Grote beurt|Distributieriem|61250" "a work order's rows are its interventions, in file order"
expect_eq "$(q "select source from snapshots where id = 1")" \
	"ftp://$FTP_USER@127.0.0.1:$FTP_PORT/inbox/$sub/werkorders.csv" "the snapshot names the FTP source"
expect_rc 0 "status" L status
expect_grep "PROBABLE DATE TYPO work order A-1003: appointment 2026-06-12T12:00:00Z as read, 2026-12-06T13:00:00Z" \
	"$TEST_TMP/out" "status names the typo (times in UTC: CEST then CET)"

day 2 2026-12-02
expect_rc 0 "day 2" L --now 2026-12-02T06:30:00Z run
expect_rc 0 "diff day 1 day 2" L diff 1 2
expect_grep "~ 700/A-1001 (Peugeot 308) billed: false -> true" "$TEST_TMP/out" "billed is a change"
expect_grep "in_shop: false -> true" "$TEST_TMP/out" "in_shop too"
expect_grep "0 new, 1 changed, 0 vanished" "$TEST_TMP/out" "the others are unchanged"

day 3 2026-12-03
expect_rc 0 "day 3" L --now 2026-12-03T06:30:00Z run
expect_eq "$(current)" "700/A-1002 700/A-1003 700/A-1004 " "A-1001 left the export: gone; A-1004 is new"
expect_rc 0 "diff day 2 day 3" L diff 2 3
expect_grep "^- 700/A-1001" "$TEST_TMP/out" "the gone work order vanished"
expect_grep "1 new, 0 changed, 1 vanished" "$TEST_TMP/out" "one new, one vanished"
expect_eq "$(q "select count(*) from versions where key = 'person:B17'")" 1 \
	"the driver of A-1001 and A-1004 is one person, stored once"
expect_eq "$(q "select count(*) from fetched")" 3 "one fetch per day"
expect_rc 0 "history by WO number" L history A-1001
expect_grep "vanished" "$TEST_TMP/out" "history says it left"
expect_rc 0 "verify" L verify
finish
