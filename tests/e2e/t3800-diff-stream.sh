#!/bin/sh
# e2e: streamed diff and show over five snapshots of one feed. Every ordered
# pair (older or newer first, neighbours or not) is checked against a diff
# computed here from the two snapshots' full `show --jsonl` listings; the
# text form line by line (each line naming the vehicle, amounts as amounts); a snapshot that restores an older state diffs
# empty against it; and failures: a full disk on stdout, two feeds, a held
# snapshot.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
printf '\n[feed:other]\nsource = drop\nprofile = generic-csv\n' >>"$C"
mkdir -p "$TEST_TMP/spool/incoming/other"

# Days 1-4 each derived from the day before; day 5 holds day 3's rows in
# reverse order (new bytes, day 3's content): what vanished or changed on
# day 4 comes back as it was.
/usr/bin/python3 "$G" --vehicles 300 --seed 21 --out day1.csv
for d in 2 3 4; do
	/usr/bin/python3 "$G" --from "day$((d - 1)).csv" --change-pct 10 --new-pct 3 --vanish-pct 3 \
		--seed "2$d" --out "day$d.csv"
done
/usr/bin/python3 - day3.csv day5.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows[:1] + rows[:0:-1])
PY
for d in 1 2 3 4 5; do
	cp "day$d.csv" "$IN/day$d.csv"
	expect_rc 0 "day $d ingested" L --now "2026-04-0${d}T08:00:00Z" ingest
done
# The other feed's file: day 1 plus two rows it refuses (a bad price, no VIN).
/usr/bin/python3 - day1.csv "$TEST_TMP/spool/incoming/other/o.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
bad = [list(rows[1]), list(rows[2])]
bad[0][rows[0].index("Price")] = "12.3.4"
bad[1][rows[0].index("VIN")] = ""
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows + bad)
PY
expect_rc 0 "other feed ingested" L --now 2026-04-06T08:00:00Z ingest
expect_rc 0 "show --jsonl --rejected" L show --jsonl --rejected 6
expect_eq "$(/usr/bin/python3 -c 'import json,sys; print([json.loads(l)["field"] for l in sys.stdin])' <"$TEST_TMP/out")" \
	"['price', 'vin']" "show --jsonl --rejected: one object per refused row"

for s in 1 2 3 4 5; do
	L show --jsonl "$s" >"show$s.jsonl" 2>"show$s.err" || fail "show --jsonl $s"
	L --json show "$s" >"show$s.json" || fail "show --json $s"
done
/usr/bin/python3 - <<'PY' && pass "show --jsonl: one object per vehicle, the same as show --json" || fail "show --jsonl and show --json disagree"
import json, sys
for s in range(1, 6):
    lines = [json.loads(l) for l in open("show%d.jsonl" % s)]
    doc = json.load(open("show%d.json" % s))
    if lines != doc["vehicles"] or len(lines) != doc["snapshot"]["vehicles"]:
        sys.exit(1)
    if [v["key"] for v in lines] != sorted(v["key"] for v in lines):
        sys.exit(1)
PY

# diff --json of every ordered pair against the listings.
for a in 1 2 3 4 5; do
	for b in 1 2 3 4 5; do
		L --json diff "$a" "$b" >"d$a-$b.json" || fail "diff --json $a $b exits 0"
		L diff "$a" "$b" >"d$a-$b.txt" || fail "diff $a $b exits 0"
	done
done
/usr/bin/python3 - <<'PY' && pass "every ordered pair's diff equals a diff of the two listings" || fail "diff disagrees with the listings"
import json, sys

def snap(s):
    return {v["key"]: v["fields"] for v in map(json.loads, open("show%d.jsonl" % s))}

def expect(a, b):
    A, B = snap(a), snap(b)
    changed = []
    for k in sorted(set(A) & set(B)):
        f = {n: [A[k].get(n), B[k].get(n)] for n in sorted(set(A[k]) | set(B[k]))
             if A[k].get(n) != B[k].get(n)}
        if f:
            changed.append({"key": k, "fields": f})
    return {"new": sorted(set(B) - set(A)), "vanished": sorted(set(A) - set(B)), "changed": changed,
            "refused": []}

MONEY = {"price", "campaign_price", "old_price", "leasing_price", "msrp"}

def name(f):
    # " (stock S, YEAR MAKE MODEL)": how the text form names a vehicle
    ymm = " ".join(f[k] for k in ("year", "make", "model") if f.get(k))
    s = ("stock " + f["stock_no"] + (", " + ymm if ymm else "")) if f.get("stock_no") else ymm
    return " (%s)" % s if s else ""

def value(n, v, cur):
    # amounts in minor units as people read them: 3199800 -> "31,998.00 EUR"
    if v is None:
        return "(absent)"
    if n not in MONEY or not v.lstrip("-").isdigit():
        return v
    m = int(v)
    out = "%s%s.%02d" % ("-" if m < 0 else "", format(abs(m) // 100, ","), abs(m) % 100)
    return out + (" " + cur if cur else "")

def text(e, A, B):
    lines = []
    for k in sorted(set(e["new"]) | set(e["vanished"]) | {c["key"] for c in e["changed"]}):
        if k in e["new"]:
            lines.append("+ " + k + name(B[k]))
        elif k in e["vanished"]:
            lines.append("- " + k + name(A[k]))
        else:
            c = next(c for c in e["changed"] if c["key"] == k)
            lines += ["~ %s%s %s: %s -> %s" % (k, name(B[k]), n, value(n, o, A[k].get("currency")),
                                              value(n, v, B[k].get("currency")))
                      for n, (o, v) in c["fields"].items()]
    lines.append("%d new, %d changed, %d vanished, 0 refused" % (len(e["new"]), len(e["changed"]), len(e["vanished"])))
    return "\n".join(lines) + "\n"

bad = 0
for a in range(1, 6):
    for b in range(1, 6):
        e = expect(a, b)
        got = json.load(open("d%d-%d.json" % (a, b)))
        if got != e or list(got) != ["new", "vanished", "changed", "refused"]:
            print("diff --json %d %d differs" % (a, b), file=sys.stderr)
            bad = 1
        if open("d%d-%d.txt" % (a, b)).read() != text(e, snap(a), snap(b)):
            print("diff %d %d (text) differs" % (a, b), file=sys.stderr)
            bad = 1
sys.exit(bad)
PY
expect_eq "$(json '[len(j[k]) for k in ("new", "changed", "vanished")]' d1-2.json)" "[9, 30, 9]" \
	"neighbours: mkfeed's exact counts (3% new, 10% changed, 3% vanished of 300)"
expect_eq "$(json '[len(j["new"]), len(j["vanished"])]' d2-1.json)" \
	"$(json '[len(j["vanished"]), len(j["new"])]' d1-2.json)" "B before A: new and vanished swap"
expect_eq "$(json 'sorted((c["key"], {k: v[::-1] for k, v in c["fields"].items()}) for c in j["changed"])' d2-1.json)" \
	"$(json 'sorted((c["key"], c["fields"]) for c in j["changed"])' d1-2.json)" "B before A: old and new swap"
expect_eq "$(cat d3-5.txt)" "0 new, 0 changed, 0 vanished, 0 refused" "a snapshot restoring day 3 diffs empty against it"
expect_eq "$(json '[len(j[k]) > 0 for k in ("new", "changed", "vanished")]' d4-5.json)" "[True, True, True]" \
	"and differs from day 4 in all three ways"
expect_eq "$(cat d2-2.txt)" "0 new, 0 changed, 0 vanished, 0 refused" "a snapshot against itself"

expect_rc 74 "diff to a full disk fails" sh -c "'$LOTSYNC' -c '$C' diff 1 4 >/dev/full"
expect_grep "writing the output" "$TEST_TMP/err" "the failed write is reported"
expect_rc 74 "show to a full disk fails" sh -c "'$LOTSYNC' -c '$C' show --jsonl 4 >/dev/full"
expect_rc 64 "two feeds" L diff 1 6
expect_grep "belong to different feeds" "$TEST_TMP/err" "two feeds: the reason"
expect_rc 64 "an unknown snapshot" L diff 1 99
finish
