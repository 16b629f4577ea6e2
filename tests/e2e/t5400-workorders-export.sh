#!/bin/sh
# e2e: work-order targets (kind = workorder). Three Carsys pushes of a day
# go to a delta workorder-jsonl target, a full workorder-csv and a full
# workorder-xml one through the same outbox and delivery (file:// here):
# the delta files carry only what changed (an intervention, billed/canceled
# state, a deleted work order) with their action, and lock like vehicle
# targets' when the count moves too much; the full CSV has one row
# per current work order with its interventions joined; the XML is
# well-formed with persons nested; persons are never rows of their own. A
# vehicle target naming a work-order feed is a configuration error.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
FX=$SRCDIR/tests/fixtures/workorders/carsys
mkdir -p spool/incoming/carsys remote
{
	conf_head
	wo_feed carsys carsys-xml
	format_target planner workorder-jsonl "$TEST_TMP/remote" carsys "kind = workorder" "mode = delta" \
		"file_name = planner-{id}.{ext}"
	format_target sheet workorder-csv "$TEST_TMP/remote" carsys "kind = workorder" \
		"file_name = sheet-{id}.{ext}" "deviation_lock = 100%"
	format_target xml workorder-xml "$TEST_TMP/remote" carsys "kind = workorder" \
		"file_name = xml-{id}.{ext}" "deviation_lock = 100%"
} | conf_write "$TEST_TMP"
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
jl() { # EXPR FILE: EXPR over each JSON line (as e), space-joined
	/usr/bin/python3 -I -S -c 'import json,sys; print(" ".join(str(eval(sys.argv[1], {"e": json.loads(l)})) for l in open(sys.argv[2]) if l.strip()))' "$1" "$2"
}
expect_rc 0 "check-config takes work-order targets" L check-config

cp "$FX/1-morning.xml" spool/incoming/carsys/
expect_rc 0 "morning" L --now 2026-12-01T08:20:00Z run
cp "$FX/2-noon.xml" spool/incoming/carsys/
expect_rc 0 "noon" L --now 2026-12-01T11:45:00Z run
cp "$FX/3-evening.xml" spool/incoming/carsys/
# 3 work orders -> 2 is more than deviation_lock (20%): the same lock as vehicle targets.
expect_rc 3 "evening: the delta target locks" L --now 2026-12-01T16:10:00Z run
expect_grep "planner: locked since 2026-12-01T16:10:00Z: vehicle count would move from 3 to 2" "$TEST_TMP/err" \
	"the lock names the counts"
test ! -e remote/planner-7.jsonl && pass "nothing sent while locked" || fail "sent while locked"
expect_rc 0 "unlock" L --now 2026-12-01T16:15:00Z unlock planner
expect_rc 0 "the queued delta is delivered" L --now 2026-12-01T16:20:00Z deliver
expect_eq "$(ls remote | sort | tr '\n' ' ')" \
	"planner-1.jsonl planner-4.jsonl planner-7.jsonl sheet-2.csv sheet-5.csv sheet-8.csv xml-3.xml xml-6.xml xml-9.xml " \
	"every export delivered under its outbox name"
expect_eq "$(jl 'e["action"] + ":" + e["wo_number"]' remote/planner-1.jsonl)" \
	"new:WO-2026-0042 new:WO-2026-0043 new:WO-2026-0044" "delta 1: every work order new, no person rows"
expect_eq "$(jl '[i["title"] + "=" + i["price"] for i in e["interventions"]]' remote/planner-1.jsonl | cut -d']' -f1)" \
	"['APK=45.00', 'Olie verversen=89.95'" "interventions nested in order, amounts with two decimals"
expect_eq "$(jl 'e["persons"]["owner"]["company"] if e["wo_number"] == "WO-2026-0042" else "-"' remote/planner-1.jsonl)" \
	"Jansen Transport B.V. - -" "persons nested by role"
expect_eq "$(jl 'e["action"] + ":" + e["wo_number"] + ":" + str(e.get("in_shop")) + ":" + str(len(e["interventions"]))' remote/planner-4.jsonl)" \
	"changed:WO-2026-0042:True:3" "delta 2: only the updated work order"
expect_eq "$(jl 'e["action"] + ":" + e["wo_number"] + ":" + str(e.get("canceled"))' remote/planner-7.jsonl)" \
	"changed:WO-2026-0043:True deleted:WO-2026-0044:None" "delta 3: the cancelation is a change, the delete entry a deletion"
expect_eq "$(/usr/bin/python3 -c 'import csv,sys; print(" ".join(r["wo_number"] + "/" + r["canceled"] + "/" + r["interventions_total"] for r in csv.DictReader(open(sys.argv[1], newline=""))))' remote/sheet-8.csv)" \
	"WO-2026-0042//164.45 WO-2026-0043/true/145.00" "full CSV: one row per current work order, interventions totalled"
expect_grep '^12345,WO-2026-0042,.*"APK: Periodieke keuring (45.00) | Olie verversen: 5W-30, 4,5 l (94.50) | Ruitenwisser: Voor, set (24.95)",164.45' \
	remote/sheet-8.csv "interventions joined in order"
grep -q 'jan@example.nl' remote/sheet-8.csv && fail "the CSV carries a person's e-mail" || pass "the CSV names persons by id only"
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as T; r = T.parse(sys.argv[1]).getroot(); print(" ".join(w.findtext("wo_number") + ":" + ",".join(p.get("role") + "=" + p.get("id") for p in w.iter("person")) for w in r))' \
	remote/xml-9.xml >xml.txt 2>&1
expect_eq "$(cat xml.txt)" "WO-2026-0042:driver=P1,owner=P2 WO-2026-0043:driver=P3,owner=P3" "XML: well-formed, persons nested"
expect_eq "$(sqlite3 spool/lotsync.db "select group_concat(vehicles, ' ') from (select vehicles from exports where target = 'sheet' order by id)")" \
	"3 3 2" "export counts are work orders, not persons"

file_target cars "$TEST_TMP/remote" carsys >>conf/lotsync.conf
expect_rc 78 "a vehicle target cannot take a work-order feed" L check-config
expect_grep "target 'cars' (kind = vehicle) takes feed 'carsys', a work-order feed" "$TEST_TMP/err" "and says why"
finish
