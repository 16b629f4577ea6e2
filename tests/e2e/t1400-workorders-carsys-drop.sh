#!/bin/sh
# e2e: a Carsys work-order feed (kind = workorder, profile carsys-xml, mode
# upsert by the profile) pushed over one day through the chrooted SFTP drop
# account scripts/add-vendor.sh creates, on a private sshd: the morning file
# brings three work orders (one with its appointment typed 12-01 for 01-12),
# the noon file reprices an intervention and adds one (the other work orders
# are not in it and stay), the evening file cancels one (canceled is a state:
# still current) and deletes one (its version ends). The typo is named on
# the run's stderr and in status with its WO number; history finds a work
# order by WO number and by registration.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
. "$SRCDIR/scripts/srvlib.sh"
cd "$TEST_TMP" || exit 1
FX=$SRCDIR/tests/fixtures/workorders/carsys
vendor_begin lsc carsys
expect_rc 0 "add the Carsys vendor account" "$SRCDIR/scripts/add-vendor.sh" --spool "$B/spool" \
	--chroot-base "$B/chroot" --keys-dir "$B/keys" --vendors-group "$group" --lotsync-group root \
	carsys "$user" vendor_key.pub
vendor_match
vendor_sshd
push() { # FILE: Carsys uploads one file into its drop folder
	vendor_sftp push.out "put $1 $(basename "$1")" ||
		{ fail "push $1"; cat push.out sshd.log >&2; }
}

{
	conf_section lotsync "spool = $B/spool" "settle_seconds = 0"
	wo_feed carsys carsys-xml
	conf_section notify:planner "command = { cat; echo; } >>$TEST_TMP/events.log" \
		"events = date_typo, held, quarantined"
} >lotsync.conf
chmod 600 lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/lotsync.conf" "$@"; }
json_lines() { # EXPR FILE: EXPR over each JSON line (as e), space-joined
	/usr/bin/python3 -I -S -c 'import json,sys; print(" ".join(str(eval(sys.argv[1], {"e": json.loads(l)})) for l in open(sys.argv[2]) if l.strip()))' "$1" "$2"
}
q() { sqlite3 -cmd "$SQL_JSON" "$B/spool/lotsync.db" "$1"; }
expect_rc 0 "check-config takes a work-order feed" L check-config

# 09:15 the morning push.
push "$FX/1-morning.xml"
expect_rc 0 "the morning file is ingested" L --now 2026-12-01T08:20:00Z run
expect_grep "work order WO-2026-0043: probable date typo: appointment read as 2026-01-12T10:00" \
	"$TEST_TMP/err" "the run's stderr names the probable date typo with its WO number"
expect_eq "$(grep -c . "$TEST_TMP/err")" 1 "and nothing else"
expect_eq "$(q "select key from versions where kind = 'workorder' and to_seq is null order by key" | tr '\n' ' ')" \
	"12345/WO-2026-0042 12345/WO-2026-0043 12345/WO-2026-0044 " "three work orders are current"
expect_eq "$(q "select key from versions where kind = 'person' order by key" | tr '\n' ' ')" \
	"person:P1 person:P2 person:P3 " "persons stored once each (P1 is named by two work orders)"
expect_eq "$(q "select json_extract(lotsync_json(data), '$.\"intervention.002.title\"') || '|' || json_extract(lotsync_json(data), '$.appointment_at') from versions where key = '12345/WO-2026-0042'")" \
	"Olie verversen|2026-12-01T07:30:00Z" "interventions in order; local 08:30 is 07:30 UTC"
expect_eq "$(q "select json_extract(lotsync_json(data), '$.appointment_at') || '|' || json_extract(lotsync_json(data), '$.appointment_swapped_at') from versions where key = '12345/WO-2026-0043'")" \
	"2026-01-12T09:00:00Z|2026-12-01T09:00:00Z" "the typo is stored as read, with the swapped reading"
expect_rc 0 "status" L status
expect_grep "PROBABLE DATE TYPO work order WO-2026-0043: appointment 2026-01-12T09:00:00Z as read, 2026-12-01T09:00:00Z" \
	"$TEST_TMP/out" "status names the typo with both readings"
expect_grep "work orders 3 " "$TEST_TMP/out" "status counts work orders"
test ! -e "$B/chroot/$user/upload/1-morning.xml" && pass "claimed out of the upload dir" || fail "not claimed"

# 12:40 the noon push: only WO-2026-0042, an intervention repriced and one added.
push "$FX/2-noon.xml"
expect_rc 0 "the noon file is ingested" L --now 2026-12-01T11:45:00Z run
expect_eq "$(q "select count(*) from versions where kind = 'workorder' and to_seq is null")" 3 \
	"upsert: the work orders not in the file stay current"
expect_rc 0 "diff morning noon" L diff 1 2
expect_grep "intervention.002.price: 8995 -> 9450" "$TEST_TMP/out" "the repriced intervention is a change"
expect_grep "intervention.003.title: (absent) -> Ruitenwisser" "$TEST_TMP/out" "the added intervention too"
expect_grep "0 new, 1 changed, 0 vanished" "$TEST_TMP/out" "nothing vanished"

# 17:05 the evening push: WO-2026-0043 canceled, WO-2026-0044 deleted.
push "$FX/3-evening.xml"
expect_rc 0 "the evening file is ingested" L --now 2026-12-01T16:10:00Z run
expect_eq "$(q "select key || '=' || coalesce(json_extract(lotsync_json(data), '$.canceled'), '') from versions where kind = 'workorder' and to_seq is null order by key" | tr '\n' ' ')" \
	"12345/WO-2026-0042= 12345/WO-2026-0043=true " "canceled is a state of its own; the deleted one ended"
expect_rc 0 "diff noon evening" L diff 2 3
expect_grep "^- 12345/WO-2026-0044" "$TEST_TMP/out" "the delete entry ends WO-2026-0044"
expect_rc 0 "status --json" L --json status
cp "$TEST_TMP/out" status.json
expect_eq "$(json '[(f["records"], f["canceled"], [t["wo_number"] for t in f["date_typos"]]) for f in j["feeds"]]' status.json)" \
	"[(2, 1, ['WO-2026-0043'])]" "status --json: records, canceled, date typos"
expect_rc 0 "history by WO number" L history WO-2026-0043
expect_grep "changed      canceled: (absent) -> true" "$TEST_TMP/out" "history shows the cancelation"
expect_rc 0 "history by registration, spelled without dashes" L history ab123c
expect_grep "key 12345/WO-2026-0042" "$TEST_TMP/out" "history finds the work order by registration"
expect_eq "$(json_lines 'e["event"] + " " + e["feed"] + " " + str(e["snapshot"])' events.log)" \
	"date_typo carsys 1 date_typo carsys 3" "a date_typo event per file that holds the flagged work order"
expect_grep '"reason":"work order WO-2026-0043: probable date typo' events.log "the event names the WO number"
expect_rc 0 "report --html" L --now 2026-12-01T16:30:00Z report --html report.html
expect_grep "work order <strong>WO-2026-0043</strong>: <strong>probable date typo</strong>" report.html \
	"the report names the typo with its WO number"
L status >status.txt
for v in jan@example.nl 0612345678 Dorpsstraat "1234 AB" info@jansen-transport.example 0301234567 \
	sara.devries@example.nl 0307654321 Kerkstraat; do
	grep -q -- "$v" report.html status.txt "$TEST_TMP/err" &&
		fail "personal data '$v' in the report, status or the run's stderr"
done
pass "no e-mail, phone or address in the report, status or stderr"
L show 1 >show.txt
L --json show 1 >show.json
L diff 1 3 >diff.txt
grep -q 'jan@example.nl\|Dorpsstraat\|0612345678\|Jansen"' show.txt show.json diff.txt &&
	fail "show or diff prints personal data without --show-personal" ||
	pass "show and diff mask personal data"
expect_grep 'person:P3	email_private="(personal data)" first_name="S." .*last_name="d.V."' show.txt \
	"show: names as initials, contact and address masked"
expect_rc 0 "show --show-personal" L show 1 --show-personal
expect_grep 'person:P1	email_private="jan@example.nl"' "$TEST_TMP/out" "--show-personal shows the stored values"
expect_rc 0 "the audit chain verifies" L verify
expect_eq "$(q "select count(*) from snapshots where state = 'applied'")" 3 "three snapshots applied"
finish
