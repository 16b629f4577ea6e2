#!/bin/sh
# e2e, fault matrix: matrix row 19 (spool symlink, hard link, FIFO,
# directory, other uid; the sparse 10 GB file is t6119's). Beside a good
# file the drop folder holds: a symlink to a file outside the spool, a
# symlink to a directory, a second hard link of a file, a FIFO nobody
# writes to, a UNIX socket, a directory named like a feed file, and a file
# belonging to another user (uid 65534) while the folder is root's. The run
# never blocks (it ends within seconds although the FIFO has no writer),
# exits 65, names each entry and why, leaves each where it is, follows no
# link (only the good file is archived) and applies the good file. A file
# of the folder's owner (the vendor account) is taken.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
[ "$(id -u)" = 0 ] || { echo "needs root (chown to another uid)"; exit 77; }
/usr/bin/python3 "$G" --vehicles 5 --seed 191 --out "$IN/good.csv"
/usr/bin/python3 "$G" --vehicles 5 --seed 192 --out outside.csv
/usr/bin/python3 "$G" --vehicles 5 --seed 193 --out "$IN/other-uid.csv"
chown 65534 "$IN/other-uid.csv"
ln -s "$TEST_TMP/outside.csv" "$IN/link-file.csv"
mkdir -p somedir
ln -s "$TEST_TMP/somedir" "$IN/link-dir.csv"
cp outside.csv "$IN/hard.csv"
ln "$IN/hard.csv" hard-second-link
mkfifo "$IN/pipe.csv"
mkdir "$IN/dir.csv"
/usr/bin/python3 -I -S -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$IN/sock.csv"
touch -h -d '-1 hour' "$IN"/*

start=$(date +%s)
expect_rc 65 "the odd entries make the run exit 65" timeout 60 "$LOTSYNC" -c "$C" run
expect_eq "$(($(date +%s) - start < 20))" "1" "the run never blocked (the FIFO has no writer)"
for e in "link-file.csv: not claimed: a symbolic link" "link-dir.csv: not claimed: a symbolic link" \
	"hard.csv: not claimed: a file with more than one hard link" "pipe.csv: not claimed: a FIFO" \
	"sock.csv: not claimed: not a regular file" "dir.csv: not claimed: a directory" \
	"other-uid.csv: not claimed: it belongs to uid 65534, neither the drop folder's owner (uid 0)"; do
	expect_grep "$e" "$TEST_TMP/err" "reported: $e"
done
test -L "$IN/link-file.csv" && test -L "$IN/link-dir.csv" && test -f "$IN/hard.csv" && test -p "$IN/pipe.csv" &&
	test -S "$IN/sock.csv" && test -d "$IN/dir.csv" && test -f "$IN/other-uid.csv" &&
	pass "every refused entry left in place" || fail "a refused entry was moved"
expect_eq "$(applied acme)" "good.csv" "the good file applied, nothing else"
expect_eq "$(ls spool/archive/acme | wc -l)" "1" "one file archived"
expect_eq "$(sha256sum spool/archive/acme/* | cut -c1-64)" "$(sqlite3 "$DB" 'select sha256 from snapshots')" \
	"the archive holds the good file's bytes (no link followed)"
expect_rc 0 "status --json" L --json status
expect_eq "$(json '[f["refused"] for f in j["feeds"]]' "$TEST_TMP/out")" "[7]" "status counts the 7 refused entries"

# The drop folder belongs to the vendor (uid 65534): the vendor's file is taken.
rm -f "$IN/link-file.csv" "$IN/link-dir.csv" "$IN/hard.csv" "$IN/pipe.csv" "$IN/sock.csv"
rmdir "$IN/dir.csv"
chown 65534 "$IN"
expect_rc 0 "the folder's owner's file is claimed" L run
expect_eq "$(applied acme)" "good.csv other-uid.csv" "other-uid.csv applied once it is the vendor's"
finish
