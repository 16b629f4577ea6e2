#!/bin/sh
# e2e: a DMS vendor pushes files into the drop folder over SFTP (the
# loopback sshd, as the test user): a half-written file is not claimed
# until it has settled; a file with a .done marker is claimed at once; a
# symlink, a hard link (both made over SFTP) and a FIFO are refused, left
# in place, reported on stderr and in status, and make the run exit 65; the
# same file delivered twice is applied once.
# Fault matrix: matrix row 12 (duplicate delivery), matrix row 19 (symlink,
# hard link, FIFO), matrix row 20 (half-written file).
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
cd "$TEST_TMP" || exit 1
make_conf "$TEST_TMP"
C=$TEST_TMP/conf/lotsync.conf
sed -i 's/^settle_seconds = 0$/settle_seconds = 60/' "$C"
IN=$TEST_TMP/spool/incoming/acme
mkdir -p "$IN"
chown "$SFTP_USER" "$IN"
L() { "$LOTSYNC" -c "$C" "$@"; }
q() { sqlite3 spool/lotsync.db "$1"; }
# vendor CMD...: run sftp batch commands as the vendor (key login, strict host key).
vendor() {
	printf '%s\n' "$@" >batch
	sftp -q -F /dev/null -b batch -P "$SFTP_PORT" -i "$SFTP_KEY" -o IdentitiesOnly=yes \
		-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SFTP_KNOWN_HOSTS" \
		"$SFTP_USER@127.0.0.1" >vendor.log 2>&1 || { fail "sftp: $*"; cat vendor.log >&2; }
}

/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --vehicles 60 --seed 31 --out inv1.csv
/usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" --from inv1.csv --change-pct 5 --seed 32 --out inv2.csv
head -c 3000 inv1.csv >inv1.half
: >empty

# A half-written file: the vendor's upload is still going on.
vendor "put inv1.half $IN/inv1.csv"
expect_rc 0 "a half-written file" L run
expect_eq "$(q 'select count(*) from snapshots')" "0" "is not claimed"
test -f "$IN/inv1.csv" && pass "it stays in incoming/" || fail "inv1.csv moved"
# The upload completes (append), and the file settles (mtime one minute old).
vendor "reput inv1.csv $IN/inv1.csv"
cmp -s inv1.csv "$IN/inv1.csv" && pass "the vendor finished the upload" || fail "append failed"
expect_rc 0 "run before it settled" L run
expect_eq "$(q 'select count(*) from snapshots')" "0" "a freshly written file still waits"
touch -d '-61 sec' "$IN/inv1.csv"
expect_rc 0 "settled" L run
expect_eq "$(q 'select vehicles || ":" || sha256 from snapshots')" "60:$(sha256sum inv1.csv | cut -c1-64)" \
	"the complete file was applied, never the half"

# A .done marker: claimed at once, marker and all.
vendor "put inv2.csv $IN/inv2.csv" "put empty $IN/inv2.csv.done"
expect_rc 0 "file with a marker" L run
expect_eq "$(q "select state || ':' || changed from snapshots where file = 'inv2.csv'")" "applied:3" \
	"claimed at once and applied"
expect_eq "$(ls -A "$IN" spool/work/acme | grep -c 'inv2')" "0" "file and marker left incoming/ and work/"

# Delivered twice: the same bytes under another name are a duplicate, not applied.
vendor "put inv2.csv $IN/inv2-again.csv" "put empty $IN/inv2-again.csv.done"
expect_rc 0 "the same file again" L run
expect_eq "$(q "select group_concat(state) from (select state from snapshots order by id)")" \
	"applied,applied,duplicate" "applied once, recorded as duplicate"

# Refused entries: a symlink and a hard link made over SFTP, and a FIFO.
vendor "put inv1.csv $IN/keep.csv.part" "ln -s /etc/passwd $IN/evil.csv" \
	"ln $IN/keep.csv.part $IN/linked.csv"
mkfifo "$IN/pipe.csv"
touch -h -d '-1 hour' "$IN/evil.csv" "$IN/linked.csv" "$IN/pipe.csv"
expect_rc 65 "refused entries make the run exit 65" L run
for e in "evil.csv: not claimed: a symbolic link" "pipe.csv: not claimed: a FIFO" \
	"linked.csv: not claimed: a file with more than one hard link"; do
	expect_grep "$e" "$TEST_TMP/err" "reported: $e"
done
test -L "$IN/evil.csv" && test -p "$IN/pipe.csv" && test -f "$IN/linked.csv" &&
	pass "refused entries left where they are" || fail "a refused entry was moved"
expect_eq "$(q 'select count(*) from snapshots')" "3" "nothing refused was ingested"
expect_rc 0 "status --json" L --json status
expect_eq "$(json '[(f["name"], f["refused"]) for f in j["feeds"]]' "$TEST_TMP/out")" "[('acme', 3)]" \
	"status counts the refused entries"
expect_grep "evil.csv: not claimed" "$TEST_TMP/err" "status names them on stderr"
expect_rc 0 "status" L status
expect_grep "REFUSED" "$TEST_TMP/out" "status text flags them"
finish
