#!/bin/sh
# e2e (issue 12 item 2): the drop folder on another file system (here
# incoming/acme is a symbolic link to a folder in /dev/shm). check-config
# says so; a run claims the files by copy + fsync + unlink (rename() cannot
# cross: EXDEV) and applies them in order; the originals are gone. Before
# the fix every claim failed with EXDEV, was logged and forgotten, and the
# runs exited 0 with nothing ingested.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i 's/^profile = generic-csv$/profile = generic-csv\nvanish_guard = 100%/' "$C"
sed -i '/^\[target:local\]/,$d' "$C"
FAR=$(mktemp -d /dev/shm/lotsync-t6101.XXXXXX) || exit 1
trap 'rm -rf "$FAR"' EXIT
if [ "$(stat -c %d "$FAR")" = "$(stat -c %d "$TEST_TMP")" ]; then
	echo "/dev/shm is on the same file system as $TEST_TMP"
	exit 77
fi
mkdir -p spool/work/acme
rmdir "$IN"
ln -s "$FAR" "$IN"
drop3 "$IN"
touch "$IN/a.csv.done"

expect_rc 0 "check-config" L check-config
expect_grep "feed acme: .*incoming/acme is on another file system" "$TEST_TMP/out" \
	"check-config reports the drop folder on another file system"
expect_rc 0 "a run claims by copy" L -v --now 2026-11-20T08:00:00Z run
expect_grep "claimed by copy" "$TEST_TMP/err" "the log says how"
expect_eq "$(applied acme)" "a.csv b.csv c.csv" "applied in order"
expect_eq "$(ls -A "$FAR" | wc -l)" 0 "the originals and the marker are gone from the drop folder"
expect_eq "$(ls -A spool/work/acme | wc -l)" 0 "work/ is empty"
expect_rc 0 "verify" L verify
# EIO on the fsync of work/ after the copy: the copy goes again, exit 74, order kept
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 30 --seed 64 --out "$IN/d.csv"
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 30 --seed 65 --out "$IN/e.csv"
touch -d '2026-11-20 08:30:00' "$IN/d.csv"
touch -d '2026-11-20 08:31:00' "$IN/e.csv"
expect_rc 74 "EIO on the fsync of work/ after the copy" \
	env $(fault_env fsync /spool/work/acme 1) "$LOTSYNC" -c "$C" --now 2026-11-20T09:00:00Z run
expect_eq "$(applied acme)" "a.csv b.csv c.csv" "nothing newer applied"
expect_rc 0 "the next run" L --now 2026-11-20T10:00:00Z run
expect_eq "$(applied acme)" "a.csv b.csv c.csv d.csv e.csv" "applied in order"
expect_eq "$(sqlite3 "$DB" "select count(*) from snapshots where state != 'applied'")" 0 "no duplicate recorded"
expect_eq "$(ls -A "$FAR" | wc -l)" 0 "drop folder empty"
finish
