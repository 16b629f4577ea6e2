#!/bin/sh
# e2e: the shipped marketplace export formats on file:// receivers, fed by a
# shipped profile (google-vehicle-listings): google-vehicle-listings leaves
# out a vehicle without the price Google requires and names file, vehicle
# and missing field; wayke-csv, whose every vehicle lacks a registration
# number, sends nothing; adf-xml is well-formed XML (re-parsed) with typed
# prices, odometer units and the status attribute, even for a description
# holding U+FFFF and control characters; meta-auto-csv writes km; the
# formula guard prefixes a model starting with '='.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
mkdir -p spool/incoming/acme rgoogle rmeta radf rwayke
{
	conf_head
	conf_section feed:acme "source = drop" "profile = google-vehicle-listings"
	format_target google google-vehicle-listings "$TEST_TMP/rgoogle" acme
	format_target meta meta-auto-csv "$TEST_TMP/rmeta" acme
	format_target adf adf-xml "$TEST_TMP/radf" acme
	format_target wayke wayke-csv "$TEST_TMP/rwayke" acme
} | conf_write "$TEST_TMP"
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }

# Day 1 of the profile's fixture, with one price removed, a formula-like
# model, and a trim holding U+FFFF, a bidi override, a BEL and markup.
/usr/bin/python3 - "$SRCDIR/tests/fixtures/profiles/google-vehicle-listings/input.csv" \
	spool/incoming/acme/day1.csv <<'PY'
import sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
rows[1] = rows[1].replace(",XLT,", ",XLT \uffff\u202e \x07 <b>&,")
rows[2] = rows[2].replace('"18,499.00 USD"', "")
rows[3] = rows[3].replace("Tesla,Model 3", "Tesla,=Model 3")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(rows) + "\n")
PY
expect_rc 0 "day 1 run" L --now 2026-11-20T08:00:00Z run
expect_grep "vehicle 1G1ZD5STXLF000002 left out: it has no price (required by format google-vehicle-listings)" \
	"$TEST_TMP/err" "the vehicle without a price is reported with its key and the missing field"
expect_grep "target wayke: all 3 vehicles lack a field format wayke-csv requires; nothing is sent" \
	"$TEST_TMP/err" "a file where every vehicle lacks a required field is not sent"
expect_eq "$(ls rwayke | wc -l)" "0" "nothing delivered to wayke"
g=rgoogle/$(ls rgoogle)
expect_eq "$(cut -d, -f1 "$g" | tr '\n' ' ')" "vin 1FTFW1E51NFA00001 5YJ3E1EB5NF000003 " \
	"the Google file holds the two complete vehicles"
expect_grep ",'=Model 3," "$g" "formula guard on the model column"
expect_grep "^1FTFW1E51NFA00001,F-100,MV01,Ford of Mountain View,\"1800 Amphibious Blvd., Mountain View, CA 94045, US\",2026-10-02,52995.00 USD,58990.00 USD,new,0,Ford,F-150," \
	"$g" "Google's attribute order and notations"
a=radf/$(ls radf)
/usr/bin/python3 - "$a" <<'PY' && pass "the ADF file re-parses as XML with the typed prices and units" || fail "ADF file"
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
v = d.getElementsByTagName("vehicle")
assert len(v) == 3, len(v)
first = v[0]
trim = first.getElementsByTagName("trim")[0].firstChild.data
assert trim == "XLT \ufffd\u202e   <b>&", repr(trim)
assert first.getAttribute("status") == "new"
prices = {p.getAttribute("type"): p.firstChild.data for p in first.getElementsByTagName("price")}
assert prices == {"asking": "52995.00", "msrp": "58990.00"}, prices
odo = first.getElementsByTagName("odometer")[0]
assert odo.getAttribute("units") == "miles" and odo.firstChild.data == "12"
assert v[2].getElementsByTagName("odometer")[0].firstChild.data == "17398", "28000 km in miles"
PY
expect_grep "U+FFFF is not an XML character; wrote U+FFFD" "$TEST_TMP/err" "the replaced character is reported"
mt=rmeta/$(ls rmeta)
/usr/bin/python3 - "$mt" <<'PY' && pass "Meta file: km, NEW/USED, first images" || fail "Meta file"
import csv, sys
r = {x["vin"]: x for x in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))}
f = r["1FTFW1E51NFA00001"]
assert (f["mileage.value"], f["mileage.unit"], f["state_of_vehicle"]) == ("19", "KM", "NEW"), f
assert f["image[0].url"].endswith("/1.jpg") and f["image[2].url"].endswith("/3.jpg"), f
assert r["5YJ3E1EB5NF000003"]["mileage.value"] == "28000"
PY
finish
