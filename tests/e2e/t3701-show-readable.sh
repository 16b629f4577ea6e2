#!/bin/sh
# e2e: show as people read it. Piped: one line per vehicle, every field
# quoted (a quote, a backslash or a line break in a value escaped), amounts
# as amounts with the currency; on a terminal (a pseudo-terminal from
# Python's pty module): an aligned table of key, stock, year, make, model,
# mileage and price; --json and --jsonl keep the stored minor units.
# Input: the demo feed batch 1 (conf/demo/feeds/, generic-csv) with a local
# profile override that names the currency (EUR), plus one hand-written row
# whose description holds a quote and a line break (RFC 4180 quoting).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

make_conf "$TEST_TMP"
mkdir -p spool/incoming/acme
sed 's/^\[profile\]$/[profile]\ncurrency = EUR/' "$SRCDIR/conf/profiles/generic-csv.ini" \
	>conf/profiles/generic-csv.ini
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
b1=$SRCDIR/conf/demo/feeds/batch1/acme.csv
cp "$b1" spool/incoming/acme/a1.csv
expect_rc 0 "ingest batch 1" L --now 2026-11-22T07:00:00Z run
n=$(sqlite3 -readonly spool/lotsync.db 'select vehicles from snapshots where id = 1')

expect_rc 0 "show 1 (piped)" L show 1
cp "$TEST_TMP/out" show.txt
expect_eq "$(tail -n +2 show.txt | grep -v '^warning: ' | wc -l)" "$n" "show: one line per vehicle"
expect_grep '^WVWG1EYD9T3223205	.* price="49,990.00 EUR" ' show.txt "show: the price as an amount with currency"
expect_grep '^WVWG1EYD9T3223205	.* make="Volkswagen" .*model="ID.4" ' show.txt "show: values quoted"
if grep -v '^snapshot \|^warning: ' show.txt | grep -q 'price="[0-9]*"'; then
	fail "show: a price still in minor units: $(grep -o 'price="[0-9]*"' show.txt | head -n 1)"
fi
# Every field of every vehicle is on its line, value for value (the JSON's
# minor units rendered independently here).
L --json show 1 >show.json || fail "show --json"
/usr/bin/python3 - <<'PY' && pass "show: each line equals the JSON record, quoted and amounts formatted" || fail "show text and --json disagree"
import json, sys
money = {"price", "campaign_price", "old_price", "leasing_price", "msrp"}
def amount(v, cur):
    neg = v.startswith("-"); d = v.lstrip("-").rjust(3, "0")
    s = "{:,}".format(int(d[:-2])) + "." + d[-2:]
    return ("-" if neg else "") + s + (" " + cur if cur else "")
def q(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'
doc = json.load(open("show.json"))
want = []
for v in doc["vehicles"]:
    f = v["fields"]
    want.append(v["key"] + "\t" + " ".join(k + "=" + q(amount(x, f.get("currency")) if k in money else x) for k, x in sorted(f.items())))
got = [l.rstrip("\n") for l in open("show.txt") if not l.startswith(("snapshot ", "warning: "))]
if got != want:
    for a, b in zip(got, want):
        if a != b:
            print("got:  " + a + "\nwant: " + b, file=sys.stderr); break
    sys.exit(1)
PY
expect_eq "$(json "[v['fields']['price'] for v in j['vehicles'] if v['key'] == 'WVWG1EYD9T3223205']" show.json)" \
	"['4999000']" "show --json keeps minor units"
expect_rc 0 "show --jsonl" L show --jsonl 1
expect_eq "$(grep -c '"price":"4999000"' "$TEST_TMP/out")" 1 "show --jsonl keeps minor units"

# A value with a quote, a line break and a backslash stays on its vehicle's line.
/usr/bin/python3 - "$b1" >spool/incoming/acme/a2.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
rows[0]["StockNo"] = "QUOTE1"
rows[0]["Description"] = 'Said "mint"\nsecond line \\ end'
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
w.writeheader()
w.writerows(rows)
PY
expect_rc 0 "ingest the quoted row" L --now 2026-11-22T08:00:00Z run
expect_rc 0 "show 2" L show 2
line=$(grep 'stock_no="QUOTE1"' "$TEST_TMP/out")
expect_eq "$(grep -c 'stock_no="QUOTE1"' "$TEST_TMP/out")" 1 "show: the quoted row is one line"
case $line in
*'description="Said \"mint\"\nsecond line \\ end"'*) pass "show: quote, line break and backslash escaped" ;;
*) fail "show: escaping wrong: $(printf '%s' "$line" | grep -o 'description="[^=]*')" ;;
esac

# On a terminal: an aligned table, streamed in the same key order.
on_pty table.raw "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" show 1 || fail "show on a pty"
sed 's/\r$//' table.raw >table.txt
expect_grep '^KEY  *STOCK  *YEAR  *MAKE  *MODEL  *MILEAGE  *PRICE$' table.txt "table: header line"
expect_grep '^WVWG1EYD9T3223205  25692E  *2026  Volkswagen  *ID\.4  .*  49,990\.00 EUR$' table.txt "table: a row, price as an amount"
expect_eq "$(grep -c '^[A-Z0-9]\{17\}  ' table.txt)" "$n" "table: one row per vehicle"
/usr/bin/python3 - <<'PY' && pass "table: every row the header's width, columns aligned" || fail "table: columns not aligned"
import sys
rows = [l.rstrip("\n") for l in open("table.txt") if not l.startswith(("snapshot ", "warning: "))]
head = rows[0]
# PRICE is right-aligned in the last column: every row ends at the same column.
w = max(len(r) for r in rows)
starts = [head.index(h) for h in ("STOCK", "YEAR", "MAKE", "MODEL")]
ok = all(len(r) == w for r in rows[1:]) and all(r[s - 2:s] == "  " for r in rows[1:] for s in starts)
sys.exit(0 if ok else 1)
PY
diff_keys=$(cut -f1 show.txt | grep -v '^snapshot \|^warning: ' | tr '\n' ' ')
table_keys=$(tail -n +2 table.txt | grep -v '^snapshot \|^warning: \|^KEY ' | cut -d' ' -f1 | tr '\n' ' ')
expect_eq "$table_keys" "$diff_keys" "table: the same vehicles in the same order as piped"
finish
