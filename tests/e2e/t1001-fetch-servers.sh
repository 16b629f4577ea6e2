#!/bin/sh
# e2e: one drop feed, one SFTP feed (key login) and one FTPS feed
# (after_fetch = delete), all against the loopback servers, ingested in one
# `lotsync run`; every snapshot says where it came from; an unchanged remote
# file is not fetched again; an identical file uploaded again under another
# name is recognised and not applied twice; new content is.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
cd "$TEST_TMP" || exit 1
mkdir -p spool/incoming/dropped
server_creds "$TEST_TMP"
sub=fe2e$$
SD=$SFTP_ROOT/inbox/$sub
FD=$FTP_ROOT/inbox/$sub
mkdir -p "$SD" "$FD"
chown "$FTP_USER" "$SD" "$FD"
{
	conf_head 120
	drop_feed dropped
	server_section feed:pulled "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/*.csv" "profile = generic-csv"
	server_section feed:secure "ftps://$FTP_USER@127.0.0.1:$FTP_PORT/inbox/$sub/" \
		"after_fetch = delete" "profile = generic-csv"
	file_target all "$TEST_TMP/market" "dropped, pulled, secure"
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
mkdir -p market
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
DB=spool/lotsync.db
q() { sqlite3 "$DB" "$1"; }

G --vehicles 40 --seed 11 --out spool/incoming/dropped/d1.csv
cp spool/incoming/dropped/d1.csv d1.orig
G --vehicles 30 --seed 12 --out "$SD/s1.csv"
G --vehicles 20 --seed 13 --out "$FD/f1.csv"
printf 'not,a,feed\n' >"$SD/notes.txt" # outside the glob
: >"$SD/s2.csv.part"                   # an upload in progress: never fetched
# Everything settled an hour ago (settle_seconds = 120 applies to the remote side too).
touch -d '-1 hour' spool/incoming/dropped/d1.csv "$SD/s1.csv" "$FD/f1.csv"
cp "$SD/s1.csv" s1.orig
cp "$FD/f1.csv" f1.orig

# Remote files settle by lotsync's own listings settle_seconds apart: stand in
# for a listing ten minutes ago (the settling clock's test offset).
LOTSYNC_TEST_SETTLE_OFFSET=-600 L fetch >/dev/null 2>&1
expect_rc 0 "one run ingests the drop, SFTP and FTPS feeds" L --now 2026-11-22T10:00:00Z run
expect_eq "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "" "the run is silent"
expect_rc 0 "snapshots --json" L --json snapshots
cp "$TEST_TMP/out" snaps.json
expect_eq "$(json 'sorted((s["feed"], s["state"], s["vehicles"]) for s in j)' snaps.json)" \
	"[('dropped', 'applied', 40), ('pulled', 'applied', 30), ('secure', 'applied', 20)]" \
	"three feeds applied with their vehicles"
expect_eq "$(json '{s["feed"]: s["source"] for s in j}["pulled"]' snaps.json)" \
	"sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/s1.csv" "SFTP snapshot names its source"
expect_eq "$(json '{s["feed"]: s["source"] for s in j}["secure"]' snaps.json)" \
	"ftps://$FTP_USER@127.0.0.1:$FTP_PORT/inbox/$sub/f1.csv" "FTPS snapshot names its source"
expect_eq "$(json '{s["feed"]: s["source"] for s in j}["dropped"]' snaps.json)" "drop" "drop snapshot says drop"
expect_eq "$(json '{s["feed"]: s["sha256"] for s in j}["pulled"]' snaps.json)" \
	"$(sha256sum s1.orig | cut -c1-64)" "SFTP file archived byte for byte"
expect_eq "$(json '{s["feed"]: s["sha256"] for s in j}["secure"]' snaps.json)" \
	"$(sha256sum f1.orig | cut -c1-64)" "FTPS file archived byte for byte"
test -e "$SD/s1.csv" && pass "after_fetch = keep leaves the SFTP file" || fail "SFTP file deleted"
test ! -e "$FD/f1.csv" && pass "after_fetch = delete removed the FTPS file once archived" ||
	fail "FTPS file still on the server"
expect_eq "$(q "select count(*) from fetched where remote_deleted_at is not null")" "1" "the deletion is recorded"
expect_eq "$(find spool/incoming spool/work -type f | wc -l)" \
	"0" "no temporary or leftover files in incoming/ or work/"
expect_eq "$(q "select count(*) from fetched where remote like '%.part' or remote = 'notes.txt'")" "0" \
	"in-progress and unmatched names were not fetched"
expect_eq "$(vins market/*.csv)" "$(vins d1.orig s1.orig f1.orig)" "the target's export holds every vehicle of the three feeds"

# Nothing changed: nothing fetched again, nothing new recorded.
rows=$(q "select count(*) from fetched")
expect_rc 0 "idle rerun" L -v --now 2026-11-22T11:00:00Z run
expect_grep "feed pulled: fetched 0 file(s) (0 bytes), 1 unchanged" "$TEST_TMP/out" "unchanged remote file not fetched again"
expect_eq "$(q "select count(*) from fetched")" "$rows" "no new fetch records"

# The same content uploaded again under another name: recognised, not applied twice.
cp s1.orig "$SD/s1-again.csv"
touch -d '-1 hour' "$SD/s1-again.csv"
LOTSYNC_TEST_SETTLE_OFFSET=-600 L fetch >/dev/null 2>&1
expect_rc 0 "identical re-upload" L -v --now 2026-11-22T12:00:00Z run
expect_grep "1 identical to earlier files" "$TEST_TMP/out" "identical content recognised"
expect_eq "$(q "select state from fetched where remote = 's1-again.csv'")" "identical" "recorded as identical"
expect_eq "$(q "select count(*) from snapshots where feed = 'pulled'")" "1" "applied once"

# New content is fetched and applied after the earlier file.
G --from s1.orig --change-pct 10 --seed 14 --out "$SD/s2.csv"
expect_rc 0 "a new file arrives" L --now 2026-11-22T13:00:00Z run
expect_eq "$(q "select count(*) from snapshots where feed = 'pulled'")" "1" \
	"a file first listed now waits for settle_seconds"
LOTSYNC_TEST_SETTLE_OFFSET=600 expect_rc 0 "settled new file, listed again ten minutes later" \
	L --now 2026-11-22T14:00:00Z run
expect_eq "$(q "select group_concat(file || ':' || changed) from (select file, changed from snapshots where feed = 'pulled' order by id)")" \
	"s1.csv:0,s2.csv:3" "new content applied with its changes"
# Many files: parallel sessions (4 SFTP, 2 FTP by default), every file once, whole.
mkdir -p "$SD/many" "$FD/many"
/usr/bin/python3 -I -S - "$SD/many" "$FD/many" <<'PY'
import os, sys, time
t = time.time() - 3600
for i in range(70):
    for d in sys.argv[1:]:
        p = "%s/m%03d.csv" % (d, i)
        open(p, "w").write("DealerID,VIN,StockNo\nD1,MANYVIN%05d,%d\n" % (i, i) + "x" * (i * 997))
        os.utime(p, (t + i, t + i))
PY
chown -R "$FTP_USER" "$FD/many"
{
	echo
	server_section feed:sftpmany "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/many/*.csv" "profile = generic-csv"
	server_section feed:ftpmany "ftp://$FTP_USER@127.0.0.1:$FTP_PORT/inbox/$sub/many/" "profile = generic-csv"
} >>conf/lotsync.conf
LOTSYNC_TEST_SETTLE_OFFSET=-600 L fetch sftpmany ftpmany >/dev/null 2>&1
logins=$(grep -c "Accepted publickey" "$SFTP_LOG")
expect_rc 0 "fetch 70 files over SFTP and FTP each" L -v fetch sftpmany ftpmany
expect_grep "feed sftpmany: fetched 70 file(s)" "$TEST_TMP/out" "all 70 fetched over SFTP"
expect_grep "feed ftpmany: fetched 70 file(s)" "$TEST_TMP/out" "all 70 fetched over FTP"
expect_eq "$(($(grep -c "Accepted publickey" "$SFTP_LOG") - logins))" "4" "SFTP used 4 sessions in parallel"
for f in sftpmany ftpmany; do
	src=$SD/many
	[ $f = ftpmany ] && src=$FD/many
	(cd "$src" && sha256sum m*.csv) >want.$f
	(cd spool/incoming/$f && sha256sum m*.csv) >got.$f
	cmp -s want.$f got.$f && pass "$f: every file complete" || fail "$f: copies differ"
	expect_eq "$(q "select group_concat(remote, '') = group_concat(local, '') from (select remote, local from fetched where feed = '$f' order by id)")" \
		"1" "$f: recorded in remote order under their own names"
done
expect_eq "$(q "select group_concat(remote) from (select remote from fetched where feed = 'sftpmany' order by id limit 3)")" \
	"m000.csv,m001.csv,m002.csv" "records follow the remote mtime order"
# Feeds on the same server with the same login share one session: two
# feeds in two directories, one file each, one SSH login for both.
mkdir -p "$SD/p1" "$SD/p2"
G --vehicles 3 --seed 15 --out "$SD/p1/a.csv"
G --vehicles 3 --seed 16 --out "$SD/p2/b.csv"
touch -d '-1 hour' "$SD/p1/a.csv" "$SD/p2/b.csv"
{
	server_section feed:pool1 "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/p1/*.csv" "profile = generic-csv"
	server_section feed:pool2 "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/p2/*.csv" "profile = generic-csv"
} >>conf/lotsync.conf
LOTSYNC_TEST_SETTLE_OFFSET=-600 L fetch pool1 pool2 >/dev/null 2>&1 # the earlier listing
logins=$(grep -c "Accepted publickey" "$SFTP_LOG")
expect_rc 0 "fetch two feeds of one server" L -v fetch pool1 pool2
expect_grep "feed pool1: fetched 1 file(s)" "$TEST_TMP/out" "the first feed fetched"
expect_grep "feed pool2: fetched 1 file(s)" "$TEST_TMP/out" "the second feed fetched"
expect_eq "$(($(grep -c "Accepted publickey" "$SFTP_LOG") - logins))" "1" "one login for both feeds"
cmp -s "$SD/p2/b.csv" spool/incoming/pool2/b.csv && pass "the second feed's file is whole" || fail "pool2 copy differs"
rm -rf "$SD" "$FD"
finish
