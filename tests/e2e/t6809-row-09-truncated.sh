#!/bin/sh
# e2e, fault matrix: matrix row 9 (truncated feed). A 60-vehicle feed (CSV
# and XML, from scripts/mkfeed.py) is applied, then copies of its next
# day's file cut with `head -c` at 10 points each arrive one by one:
#  - CSV, cut inside a quoted field (3 points): quarantined "truncated:
#    file ends inside a quoted field", exit 65;
#  - CSV, cut inside a record before its last field (3 points):
#    quarantined "truncated: the last record has N of 24 fields and no line
#    end", exit 65;
#  - CSV, cut at a record boundary (2 points), after the header, at 0
#    bytes: held by the vanish guard or as empty, exit 3 (then rejected);
#  - XML, cut at 10 points from just after the root's start tag to inside
#    its closing tag:
#    quarantined "truncated: the document ends before its root element
#    closes", exit 65.
# Every reason names the file and, for a parse error, the line; after each
# the current versions are those of the applied day (earlier data intact).
# A cut inside a record's last field leaves a complete record without a
# line end, which a file without a final newline also is: not among the cut
# points (the vanish guard is what catches a cut near the end).
# Also matrix row 16: the truncation and corruption families of the
# malformed inputs.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
printf '\n[feed:x]\nsource = drop\nprofile = generic-xml\n' >>"$C"
mkdir -p spool/incoming/x
/usr/bin/python3 "$G" --vehicles 60 --seed 91 --out day1.csv
/usr/bin/python3 "$G" --from day1.csv --change-pct 10 --seed 92 --out day2.csv
/usr/bin/python3 "$G" --vehicles 60 --seed 93 --format xml --out day1.xml
/usr/bin/python3 "$G" --vehicles 60 --seed 93 --format xml --out day2.xml
cp day1.csv "$IN/"
cp day1.xml spool/incoming/x/
expect_rc 0 "day 1 of both feeds" L --now 2026-11-20T08:00:00Z run
current() { sqlite3 "$DB" "select feed, key, hash from versions where to_seq is null order by 1, 2"; }
current >base.txt

# The cut points: NAME OFFSET CLASS (q65-quote, q65-row, held, xml).
/usr/bin/python3 -I -S - "$SRCDIR/tests/fault" day2.csv day2.xml >cuts.txt <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from mkcorpus import scan_csv  # the corpus generator's RFC 4180 record scan
recs = scan_csv(open(sys.argv[2], "rb").read(), b",", True)
bounds = [end for _, end, _ in recs]
quoted = [fs for _, _, fields in recs for fs, _, q in fields if q]
# (the comma after field n of a record, n): the places to cut mid-record
fields_at = [(fields[j][1], j + 1) for _, _, fields in recs for j in range(len(fields) - 1)]
pick = lambda xs, n: [xs[len(xs) * (k + 1) // (n + 1)] for k in range(n)]
for k, q in enumerate(pick(quoted[2:], 3)):
    print(f"cut-quote-{k}.csv {q + 4} quote")
mid = [p for p, n in fields_at if p > bounds[0] and 3 <= n <= 20]
for k, p in enumerate(pick(mid, 3)):
    print(f"cut-row-{k}.csv {p + 1} row")
print(f"cut-rows-5.csv {bounds[5]} held")
print(f"cut-rows-30.csv {bounds[30]} held")
print(f"cut-header.csv {bounds[0]} held")
print("cut-zero.csv 0 held")
x = open(sys.argv[3], "rb").read()
start, end = x.index(b"<inventory>") + 11, x.rindex(b"</inventory>") + 5
for k in range(10):
    print(f"cut-{k}.xml {start + (end - start) * k // 9} xml")
PY
expect_eq "$(wc -l <cuts.txt)" "20" "20 cut points"
n=0
while read -r name at class; do
	n=$((n + 1))
	now=2026-11-21T$(printf '%02d' $((n / 4))):$(printf '%02d' $((n % 4 * 10))):00Z
	case $class in
	xml) head -c "$at" day2.xml >"spool/incoming/x/$name" ;;
	*) head -c "$at" day2.csv >"$IN/$name" ;;
	esac
	case $class in
	quote)
		expect_rc 65 "$name (cut at $at, in a quoted field)" L --now "$now" run
		expect_grep "$name:[0-9]*: truncated: file ends inside a quoted field" "$TEST_TMP/err" "$name: reason with file and line"
		;;
	row)
		expect_rc 65 "$name (cut at $at, mid-record)" L --now "$now" run
		expect_grep "$name:[0-9]*: truncated: the last record has [0-9]* of 24 fields and no line end" \
			"$TEST_TMP/err" "$name: reason with file and line"
		;;
	held)
		expect_rc 3 "$name (cut at $at, a record boundary)" L --now "$now" run
		expect_grep "$name: snapshot [0-9]* held" "$TEST_TMP/err" "$name: held"
		id=$(sqlite3 "$DB" "select id from snapshots where file = '$name'")
		L --now "$now" reject "$id" >/dev/null 2>&1 || fail "reject $id"
		;;
	xml)
		expect_rc 65 "$name (cut at $at of the XML)" L --now "$now" run
		expect_grep "$name:[0-9]*: truncated: the document ends before its root element closes" \
			"$TEST_TMP/err" "$name: reason with file and line"
		;;
	esac
	case $class in
	held) ;;
	*) test -f "spool/failed/$([ "$class" = xml ] && echo x || echo acme)/$name.reason" &&
		pass "$name: quarantined with its .reason" || fail "$name: not in failed/" ;;
	esac
	current >now.txt
	cmp -s base.txt now.txt && pass "$name: earlier data intact" || fail "$name: the current versions changed"
done <cuts.txt
expect_eq "$n" "20" "all 20 cuts tried"
finish
