#!/bin/sh
# e2e, fault matrix: matrix row 24 (formula injection in an export). A
# feed's text values start like spreadsheet formulas (OWASP CSV injection,
# CWE-1236): '=HYPERLINK(...)', '@SUM(...)', '+', '-', a TAB and a CR. The
# run exits 0; in the generic-csv export (formula_guard = ') every text
# cell starting with = @ + - gets a leading ', the rest of the value kept;
# a leading TAB or CR never reaches a cell (ingest trims it); the numeric
# columns (Price, Mileage, Year) are never prefixed and equal the canonical
# values; other values are not touched. The same for the model through
# mobilede-csv (no header, ';', ISO-8859-15), whose guard is on too.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
mkdir -p "$TEST_TMP/mobile"
file_target mobile "$TEST_TMP/mobile" acme "format = mobilede-csv" >>"$C"
sed -i '/^\[target:mobile\]/,/^$/s/^format = generic-csv$//' "$C"
/usr/bin/python3 "$G" --vehicles 10 --seed 241 --out day1.csv
/usr/bin/python3 - day1.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
cells = ['=HYPERLINK("http://evil.example","x")', "@SUM(A1:A9)", "+1+cmd|' /C calc'!A0",
         "-2+3", "\tTAB first", "\rCR first"]
for r, v in zip(rows, cells):
    r["Description"] = v
rows[6]["Trim"] = "=1+1"
rows[7]["Model"] = "@Model"
rows[8]["Model"] = "=cmd|x"
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), list(rows[0].keys()))
w.writeheader()
w.writerows(rows)
PY
cp day1.csv "$IN/"
expect_rc 0 "formula-like values: the run exits 0" L --now 2026-11-20T08:00:00Z run
L --json --now 2026-11-20T08:00:00Z show 1 >show.json || fail "show"
/usr/bin/python3 - outbox-remote/*.csv day1.csv show.json >check.txt <<'PY'
import csv, json, sys
out = {r["VIN"]: r for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))}
src = {r["VIN"]: r for r in csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8"))}
canon = {v["key"]: v["fields"] for v in json.load(open(sys.argv[3]))["vehicles"]}
bad, guarded = [], 0
def whole(m):
    u, c = divmod(int(m), 100)
    return "%d" % u if c == 0 else "%d.%02d" % (u, c)
fields = {"Description": "description", "Trim": "trim", "Model": "model"}
for vin, s in src.items():
    o, c = out[vin], canon[vin]
    for col, f in fields.items():
        v = c.get(f, "")
        want = "'" + v if v[:1] in ("=", "@", "+", "-", "\t", "\r") else v
        guarded += want != v
        if o[col] != want:
            bad.append(f"{vin} {col}: {o[col]!r}, wanted {want!r}")
        if o[col][:1] in ("\t", "\r"):
            bad.append(f"{vin} {col}: starts with a control character")
    if o["Price"] != whole(c["price"]) or o["Price"].startswith("'"):
        bad.append(f"{vin} Price {o['Price']!r}")
    if o["Mileage"] != s["Mileage"] or o["Year"] != s["Year"]:
        bad.append(f"{vin} Mileage/Year {o['Mileage']!r} {o['Year']!r}")
tabcr = [out[v]["Description"] for v, s in src.items() if s["Description"][:1] in ("\t", "\r")]
if sorted(tabcr) != ["CR first", "TAB first"]:
    bad.append(f"TAB/CR cells: {tabcr!r}, wanted the value without its leading blank")
print(f"{guarded} guarded cells")
print("\n".join(bad))
sys.exit(1 if bad or guarded != 7 else 0)
PY
rc=$?
cat check.txt
expect_eq "$rc" "0" "generic-csv: 7 formula cells prefixed with ', numbers untouched"
# mobilede-csv: model is position 4 (the description is not sent); a
# price or mileage never starts with '.
m=$(ls "$TEST_TMP"/mobile/*.csv)
iconv -f iso-8859-15 -t utf-8 "$m" >mobile.txt
expect_eq "$(grep -c "^\"[^\"]*\";\"[^\"]*\";\"[^\"]*\";\"[^\"]*\";\"'[@=]" mobile.txt)" "2" "mobilede-csv: both formula models guarded"
expect_eq "$(grep -c "\"'[0-9]" mobile.txt)" "0" "mobilede-csv: no number prefixed"
finish
