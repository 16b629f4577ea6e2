#!/bin/sh
# e2e (issue 12, item 6 and the store part of 9): a damaged database stops
# the run instead of being written into, and verify says what is wrong.
#  - a deleted -wal that took a committed snapshot with it: the database is
#    behind the state record (spool/lotsync.state) -> refused, exit 74;
#  - a database truncated to 0 bytes (or deleted) while archive/ holds
#    files: refused, exit 74, and not recreated empty;
#  - a damaged page: quick_check refuses the run and an export (74, no
#    file in outbox/), verify runs
#    integrity_check (65); status on a file that is not a database, or in
#    a read-only spool, says so instead of advising a migration;
#  - verify reports an archived file that no snapshot refers to.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
q() { sqlite3 "$DB" "$1"; }
/usr/bin/python3 "$G" --vehicles 300 --seed 71 --out "$IN/a.csv"
expect_rc 0 "first run" L --now 2026-11-20T07:00:00Z run
expect_grep "^snapshot 1$" spool/lotsync.state "the state record names snapshot 1"
expect_grep "^chain_link $(q "select link from audit_chain order by id desc limit 1")$" \
	spool/lotsync.state "the state record holds the chain head"
cp -a spool spool.good

# A committed snapshot lives only in the -wal when the run dies right after the commit.
/usr/bin/python3 "$G" --vehicles 300 --seed 72 --out "$IN/b.csv"
LOTSYNC_CRASH_AT=ingest:committed L --now 2026-11-20T08:00:00Z run >/dev/null 2>&1
expect_grep "^snapshot 2$" spool/lotsync.state "the record was written after the commit"
[ -s "$DB-wal" ] && pass "the commit is in the -wal" || fail "no -wal to delete"
rm -f "$DB-wal" "$DB-shm"
expect_rc 74 "deleted -wal: the run is refused" L --now 2026-11-20T09:00:00Z run
expect_grep "lost committed history" "$TEST_TMP/err" "the message says history was lost"
expect_grep "snapshot 1, but the state record says chain entry 2 and snapshot 2" "$TEST_TMP/err" \
	"both positions are named"
expect_rc 65 "verify fails too" L verify
expect_grep "lost committed history" "$TEST_TMP/err" "verify names it"

# 0 bytes while the archive holds files: never recreated empty.
rm -rf spool && cp -a spool.good spool
: >"$DB"
rm -f "$DB-wal" "$DB-shm"
expect_rc 74 "0-byte database: refused" L --now 2026-11-20T09:00:00Z run
expect_grep "empty (0 bytes), but the state record says" "$TEST_TMP/err" "the message says why"
expect_eq "$(stat -c %s "$DB")" "0" "the database was not recreated"
rm -f spool/lotsync.state "$DB"
expect_rc 74 "missing database, no record, archive not empty: refused" L --now 2026-11-20T09:00:00Z run
expect_grep "missing while archive/ holds 1 file(s) of its feeds" "$TEST_TMP/err" "the archive is named"
[ -e "$DB" ] && fail "a database was created" || pass "no database was created"

# A damaged page: quick_check refuses the run, integrity_check fails verify.
rm -rf spool && cp -a spool.good spool
pages=$(q "pragma page_count")
page=$(q "select min(rootpage) from sqlite_schema where name = 'versions_key'")
dd if=/dev/urandom of="$DB" bs=4096 seek=$((page - 1)) count=1 conv=notrunc 2>/dev/null
expect_rc 74 "damaged page: the run is refused" L --now 2026-11-20T09:00:00Z run
expect_grep "the database is damaged (quick_check" "$TEST_TMP/err" "quick_check named"
expect_eq "$(q "select count(*) from runs")" "1" "no run was recorded into it"
expect_rc 65 "verify runs integrity_check" L verify
expect_grep "integrity_check failed" "$TEST_TMP/err" "integrity_check named"
expect_eq "$pages" "$(q "pragma page_count")" "the file kept its size"
# export checks beside its rendering (versions_key is a page it does not
# read): the verdict comes before the rendered file would reach outbox/.
outbox=$(ls spool/outbox/local 2>/dev/null | wc -l)
expect_rc 74 "damaged page: export --full is refused" L --now 2026-11-20T09:00:00Z export --full
expect_grep "the database is damaged (quick_check" "$TEST_TMP/err" "quick_check named by export"
expect_eq "$(ls spool/outbox/local 2>/dev/null | wc -l)" "$outbox" "no export file reached the outbox"
expect_eq "$(q "select count(*) from exports")" "1" "no export was recorded"

# Not a database at all: read-only commands say so, no migration advice.
rm -rf spool && cp -a spool.good spool
printf 'this is not SQLite' | dd of="$DB" bs=1 conv=notrunc 2>/dev/null
expect_rc 74 "status on a damaged file" L status
expect_grep "damaged or not a lotsync database" "$TEST_TMP/err" "the message says damaged"
grep -q "migrate" "$TEST_TMP/err" && fail "migration advice for a damaged file" ||
	pass "no migration advice"

# A read-only spool (a read-only bind mount, root only): a WAL database cannot
# be opened without its -shm; the message says so, not "migrate".
rm -rf spool && cp -a spool.good spool
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	expect_rc 74 "status on a read-only spool" unshare -m sh -c \
		'mount --bind -o ro "$1" "$1" && exec "$2" -c "$3" status' ro "$TEST_TMP/spool" "$LOTSYNC" "$C"
	expect_grep "cannot read the database: .*needs its directory writable" "$TEST_TMP/err" \
		"the message names the cause"
	grep -q "migrate" "$TEST_TMP/err" && fail "migration advice for a read-only spool" ||
		pass "no migration advice for a read-only spool"
else
	echo "not root: read-only spool case skipped"
fi

# An archived file no snapshot refers to.
rm -rf spool && cp -a spool.good spool
orphan=$(printf 'x' | sha256sum | cut -c1-64)
printf 'x' >"spool/archive/acme/$orphan"
expect_rc 65 "verify: an orphan archive file" L verify
expect_grep "archive/acme/$orphan: no snapshot or quarantined file refers to it" "$TEST_TMP/err" \
	"the orphan is named"
rm "spool/archive/acme/$orphan"
expect_rc 0 "verify without it" L verify
finish
