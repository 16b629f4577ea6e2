#!/bin/sh
# e2e (interop): pyftpdlib 1.5.7 servers shaped like ones vendors run.
#  - no MLSD, SIZE refused in ASCII mode: lotsync sends TYPE I and lists;
#  - no SIZE at all: every listed file fails, so the run exits 69 (not an
#    empty feed); a folder holding only subfolders is still fine;
#  - a clock 2 s and 1 h ahead: a growing file is not fetched until it stops
#    changing; the 1 h one is warned about;
#  - no MDTM: warned, settled by size over two listings, never deleted;
#  - DELE refused: recorded and warned once, not asked again.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start nlst pyftpd mlst=off
iop_start nosize pyftpd mlst=off size=off
iop_start ahead2 pyftpd clock=2
iop_start ahead1h pyftpd mlst=off clock=3600
iop_start nomdtm pyftpd mlst=off mdtm=off
iop_start nodele pyftpd dele=off
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
U() { echo "ftp://$FTP_USER@127.0.0.1:$1/inbox/$2"; }

# ---- no MLSD, SIZE refused in ASCII: listed and fetched ----
iop_conf 1
iop_feed nlst "$(U "$NLST_PORT" '*.csv')"
G --vehicles 25 --seed 31 --out "$NLST_ROOT/inbox/a.csv"
LOTSYNC_TEST_SETTLE_OFFSET=-60 L fetch >/dev/null 2>&1
expect_rc 0 "run against a server refusing SIZE in ASCII mode" L -v run
expect_grep "feed nlst: fetched 1 file(s)" "$TEST_TMP/out" "the file is listed and fetched (TYPE I before SIZE)"
expect_eq "$(q "select vehicles from snapshots where feed = 'nlst'")" 25 "and applied"
expect_grep "TYPE I" "$NLST_LOG" "the server saw TYPE I"

# ---- no SIZE at all: not an empty feed ----
iop_conf 1
iop_feed nosize "$(U "$NOSIZE_PORT" '')"
G --vehicles 5 --seed 32 --out "$NOSIZE_ROOT/inbox/b.csv"
expect_rc 69 "every listed file failed SIZE: exit 69" L fetch
expect_grep "answered SIZE for none of the 1 listed file(s)" "$TEST_TMP/err" "the error says what failed"
rm "$NOSIZE_ROOT/inbox/b.csv"
mkdir -p "$NOSIZE_ROOT/inbox/old" && chown "$FTP_USER" "$NOSIZE_ROOT/inbox/old"
expect_rc 0 "a folder with only a subfolder is an empty feed" L fetch

# ---- clocks ahead: nothing fetched while the vendor writes ----
iop_conf 2
iop_feed ahead2 "$(U "$AHEAD2_PORT" '*.csv')"
iop_feed ahead1h "$(U "$AHEAD1H_PORT" '*.csv')"
G --vehicles 200 --seed 33 --out full.csv
want=$(sha256sum full.csv | cut -c1-64)
iop_write_slowly full.csv 8 "$AHEAD2_ROOT/inbox/s.csv" "$AHEAD1H_ROOT/inbox/s.csv"
iop_run_while_writing 2.1 '[ "$(q "select count(*) from fetched")" = 0 ]'
expect_eq "$early" 0 "nothing fetched in $n runs while the file grew (clocks 2 s and 1 h ahead)"
expect_grep "ahead1h\|$AHEAD1H_PORT/inbox/: 1 listed file(s) have modification times in the future" run1.err \
	"the server 1 h ahead is warned about"
iop_run_until 20 '[ "$(q "select count(*) from fetched")" = 2 ]'
expect_eq "$(q "select feed || ':' || sha256 from fetched order by feed")" "ahead1h:$want
ahead2:$want" "the complete file fetched from both"

# ---- no MDTM: warned, settled by size, not deleted ----
iop_conf 1
iop_feed nomdtm "$(U "$NOMDTM_PORT" '*.csv')" "after_fetch = delete"
G --vehicles 7 --seed 34 --out "$NOMDTM_ROOT/inbox/c.csv"
expect_rc 0 "first listing of a server without MDTM" L fetch
expect_grep "gives no modification times (no MDTM or MLSD modify) for 1 file(s)" "$TEST_TMP/err" \
	"no MDTM is warned about"
expect_grep "after_fetch = delete cannot remove them" "$TEST_TMP/err" "and that delete cannot work"
expect_eq "$(q "select count(*) from fetched")" 0 "not fetched at first sight"
LOTSYNC_TEST_SETTLE_OFFSET=60 expect_rc 0 "a minute later (settling clock)" L run
expect_eq "$(q "select vehicles from snapshots where feed = 'nomdtm'")" 7 "fetched and applied once the size held"
test -e "$NOMDTM_ROOT/inbox/c.csv" && pass "not deleted without an mtime" || fail "deleted without an mtime"

# ---- DELE refused: recorded, warned once ----
iop_conf 0
iop_feed nodele "$(U "$NODELE_PORT" '*.csv')" "after_fetch = delete"
G --vehicles 3 --seed 35 --out "$NODELE_ROOT/inbox/d.csv"
expect_rc 0 "the server refuses the delete" L run
expect_eq "$(grep -c "the server refuses to delete the file" "$TEST_TMP/err")" 1 "warned once"
expect_rc 0 "next run" L run
expect_eq "$(grep -c "refuses to delete" "$TEST_TMP/err")" 0 "not warned again"
expect_eq "$(grep -c "DELE " "$NODELE_LOG")" 1 "DELE was sent once"
finish
