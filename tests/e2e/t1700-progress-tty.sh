#!/bin/sh
# e2e: a progress line on stderr for ingest and export work longer than two
# seconds, only when stderr is a terminal (a pseudo-terminal from Python's
# pty module); erased at the end. Not a terminal (cron, a pipe, a file):
# nothing. The clock is sped up a hundredfold with libfaketime (monotonic clock
# included) so a feed of N rows takes "longer than two seconds" on any
# machine. N = 150,000: the export of 50,000 once took less than two such
# seconds (~20 ms) on a fast run, and its line was never drawn. Input: a
# generated generic-csv feed (the demo feed's columns).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
command -v faketime >/dev/null || fail "faketime is not installed (scripts/deps.sh)"

make_conf "$TEST_TMP"
mkdir -p spool/incoming/acme
N=150000
gen() { # FILE MILEAGE: N vehicles
	/usr/bin/python3 - "$1" "$2" "$N" <<'PY'
import csv, sys
w = csv.writer(open(sys.argv[1], "w", newline=""), lineterminator="\r\n")
w.writerow(["DealerID", "VIN", "StockNo", "Year", "Make", "Model", "Mileage", "Price"])
mileage = int(sys.argv[2])
for i in range(int(sys.argv[3])):
    w.writerow(["D1", "WVW%014d" % i, "S%d" % i, 2020, "Volkswagen", "Golf", mileage + i, "19990"])
PY
}
fast() { faketime -f '+0 x100' "$@"; }

# With a terminal: the ingest and export lines appear, each erased at the end.
gen spool/incoming/acme/big1.csv 1000
on_pty tty.raw faketime -f "+0 x100" "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" \
	--now 2026-11-22T07:00:00Z run || fail "run on a pty"
tr '\r' '\n' <tty.raw >tty.txt
expect_grep '^.\[Kingest acme/big1.csv: [0-9]* rows, [0-9]*/s, [0-9]* s$' tty.txt "tty: an ingest progress line"
expect_grep '^.\[Kexport local/[^:]*: [0-9]* vehicles, [0-9]*/s, [0-9]* s$' tty.txt "tty: an export progress line"
last=$(grep -o 'ingest acme/big1.csv: [0-9]* rows' tty.txt | tail -n 1 | cut -d' ' -f3)
[ "${last:-0}" -le "$N" ] && [ "${last:-0}" -gt 0 ] && pass "tty: counts rows ($last of $N at the last redraw)" ||
	fail "tty: row count $last"
/usr/bin/python3 - <<'PY' && pass "tty: the line is erased at the end of each step" || fail "tty: a progress line is left on the screen"
import re, sys
raw = open("tty.raw", "rb").read()
# Every drawn line is followed, before anything else is printed, by another draw or by an erase.
draws = [m.end() for m in re.finditer(rb"\r\x1b\[K(ingest|export) [^\r\n]*", raw)]
ok = draws and all(raw[e:e + 4] == b"\r\x1b[K" for e in draws)
sys.exit(0 if ok else 1)
PY
expect_eq "$(sqlite3 -readonly spool/lotsync.db 'select vehicles from snapshots where id = 1')" "$N" "tty: the file was ingested"

# Without a terminal (cron: output to a file): nothing on stderr, the same work.
gen spool/incoming/acme/big2.csv 2000
fast "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" --now 2026-11-22T08:00:00Z run </dev/null >notty.out 2>notty.err
expect_eq "$?" 0 "no tty: run exit 0"
expect_eq "$(wc -c <notty.err) $(wc -c <notty.out)" "0 0" "no tty: nothing printed"
expect_eq "$(sqlite3 -readonly spool/lotsync.db 'select changed from snapshots where id = 2')" "$N" "no tty: the file was ingested (every vehicle changed)"
finish
