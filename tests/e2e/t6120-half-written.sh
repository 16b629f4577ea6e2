#!/bin/sh
# e2e, fault matrix row 20 (half-written drop file; issue 12 item 3): a
# writer has written 180 of 200 vehicles and pauses with the file open, its
# mtime long settled. The run does not claim it (a Linux read lease is
# refused while a writer holds it open), and the newer complete b.csv waits
# behind it; once the writer has closed it the next run applies all 200,
# then b.csv. The archive is lotsync's own read-only copy (its own inode,
# one link, 0444), not a link to the sender's inode. Before the fix the
# run applied 180 vehicles and archived a hard link to the writer's file.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i 's/^profile = generic-csv$/profile = generic-csv\nvanish_guard = 100%/' "$C"
sed -i '/^\[target:local\]/,$d' "$C"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 200 --seed 71 --out whole.csv
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 50 --seed 72 --out "$IN/b.csv"
touch -d '2026-11-19 09:00:00' "$IN/b.csv"
# The writer: header + 180 vehicles, an old mtime, then it waits with the file open.
/usr/bin/python3 -I -S - "$IN/a.csv" whole.csv go <<'PY' &
import csv, io, os, sys, time
path, whole, go = sys.argv[1:]
text = open(whole, newline="", encoding="utf-8").read()
rows = list(csv.reader(io.StringIO(text)))
def chunk(rs):
    b = io.StringIO(); csv.writer(b, lineterminator="\n").writerows(rs); return b.getvalue()
f = open(path, "w", newline="", encoding="utf-8")
f.write(chunk(rows[:181])); f.flush()
os.utime(path, (1763535600, 1763535600))  # 2026-11-19 07:00 UTC: settled long ago
open(path + ".written", "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
f.write(chunk(rows[181:])); f.close()
os.utime(path, (1763535600, 1763535600))  # as "sftp -p" keeps the sender's mtime
open(path + ".closed", "w").close()
PY
writer=$!
i=0
while [ ! -e "$IN/a.csv.written" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
rm -f "$IN/a.csv.written"
ino=$(stat -c %i "$IN/a.csv")
expect_rc 0 "a run while the writer holds a.csv open" L -v --now 2026-11-20T08:00:00Z run
expect_grep "a.csv: not claimed: another process has it open for writing" "$TEST_TMP/err" \
	"the log says why"
expect_eq "$(applied acme)" "" "nothing applied: b.csv waits behind a.csv"
expect_eq "$(ls spool/incoming/acme | tr '\n' ' ')" "a.csv b.csv " "both wait in incoming/"
touch go
wait "$writer"
rm -f "$IN/a.csv.closed"
expect_rc 0 "the writer is done: the next run" L --now 2026-11-20T09:00:00Z run
expect_eq "$(applied acme)" "a.csv b.csv" "applied in order"
expect_eq "$(sqlite3 "$DB" "select vehicles from snapshots where file = 'a.csv'")" 200 \
	"all 200 vehicles of a.csv"
sha=$(sqlite3 "$DB" "select sha256 from snapshots where file = 'a.csv'")
arch=spool/archive/acme/$sha
expect_eq "$(stat -c '%h %a' "$arch")" "1 444" "the archive: one link, read-only"
[ "$(stat -c %i "$arch")" != "$ino" ] && pass "the archive is its own inode, not the sender's" ||
	fail "the archive is a hard link to the sender's file (inode $ino)"
expect_eq "$(sha256sum "$arch" | cut -d' ' -f1)" "$sha" "the archive holds the bytes applied"
expect_rc 0 "verify" L verify
finish
