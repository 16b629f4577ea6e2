#!/bin/sh
# e2e: targets on local file:// receivers over simulated days: full and
# delta files (new/changed/deleted checked against an independent diff),
# the file name pattern, export --full, the deviation lock (40% drop: exit
# 3, rendering goes on, unlock sends the newest full file and every delta
# file in order), the empty-export lock, release, and retention pruning.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
mkdir -p conf spool/incoming/acme rfull rdelta
{
	conf_head
	# the exports' own lock is under test, not the feed's vanish guard
	drop_feed acme "vanish_guard = 100%"
	file_target full "$TEST_TMP/rfull" acme "file_name = inv-{target}-%Y%m%d%H%M-{id}.{ext}" \
		"retention_days = 2"
	file_target delta "$TEST_TMP/rdelta" acme "mode = delta"
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
DB=spool/lotsync.db
q() { sqlite3 "$DB" "$1"; }
# newest file of a receiver directory
newest() { ls -t "$1" | head -n 1; }

# Day 1: 100 vehicles. Full and delta files, named by the pattern and the clock.
G --vehicles 100 --seed 21 --out day1.csv
cp day1.csv spool/incoming/acme/
expect_rc 0 "day 1 run" L --now 2026-11-20T08:00:00Z run
expect_eq "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "" "silent"
expect_eq "$(ls rfull)" "inv-full-202611200800-1.csv" "file_name pattern with the clock and the id"
expect_eq "$(ls rdelta)" "delta-20261120T080000Z-2.csv" "default name: target, clock, id"
expect_eq "$(grep -c '^new,' "rdelta/$(newest rdelta)")" "100" "first delta: every vehicle new"

# Day 2: 2 vanish, 5 change, 2 new. The delta holds exactly those, checked
# against a diff of the two feed files made here.
G --from day1.csv --change-pct 5 --new-pct 2 --vanish-pct 2 --seed 22 --out day2.csv
cp day2.csv spool/incoming/acme/
expect_rc 0 "day 2 run" L --now 2026-11-21T08:00:00Z run
d2=$(newest rdelta)
/usr/bin/python3 - day1.csv day2.csv "rdelta/$d2" <<'PY' && pass "delta = new, changed, deleted of an independent diff" || fail "delta rows differ from the diff"
import csv, sys
a = {r["VIN"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
b = {r["VIN"]: r for r in csv.DictReader(open(sys.argv[2], newline=""))}
got = {(r["action"], r["VIN"]) for r in csv.DictReader(open(sys.argv[3], newline=""))}
want = {("new", k) for k in set(b) - set(a)} | {("deleted", k) for k in set(a) - set(b)}
want |= {("changed", k) for k in set(a) & set(b) if a[k] != b[k]}
print(sorted(got ^ want))
sys.exit(0 if got == want and len(want) == 9 else 1)
PY
expect_eq "$(vins "rfull/$(newest rfull)")" "$(vins day2.csv)" "full file: every vehicle of day 2"

# Nothing new: no file. export --full: a delta file of every vehicle, unchanged ones marked.
expect_rc 0 "idle run" L --now 2026-11-21T09:00:00Z run
expect_eq "$(ls rfull | wc -l) $(ls rdelta | wc -l)" "2 2" "idle run sends nothing"
expect_rc 0 "export --full delta" L --now 2026-11-21T10:00:00Z export --full delta
expect_rc 0 "deliver" L --now 2026-11-21T10:00:00Z deliver
expect_eq "$(grep -c '^unchanged,' "rdelta/$(newest rdelta)")" "100" "forced delta lists unchanged vehicles"

# Day 3: 40% of the vehicles vanish. Both targets lock; nothing is sent; exit 3.
G --from day2.csv --change-pct 0 --new-pct 0 --vanish-pct 40 --seed 23 --out day3.csv
cp day3.csv spool/incoming/acme/
expect_rc 3 "40% drop locks" L --now 2026-11-22T08:00:00Z run
expect_grep "locked since .*from 100 to 60" "$TEST_TMP/err" "the warning names both counts"
expect_eq "$(ls rfull | wc -l) $(ls rdelta | wc -l)" "2 3" "nothing sent while locked"
L --json status >status.json
expect_eq "$(json '[(t["locked"], t["lock_counts"], t["pending"]) for t in j["targets"]]' status.json)" \
	"[(True, {'last_delivery': 100, 'export': 60}, 1), (True, {'last_delivery': 100, 'export': 60}, 1)]" \
	"status: locked, both counts, one file queued"
expect_eq "$(json 'j["targets"][0]["lock_reason"]' status.json)" \
	"vehicle count would move from 100 to 60 (-40.0%) against the last delivery, more than deviation_lock 20%" \
	"lock reason"

# Day 4 while locked: exports go on being rendered, nothing is sent.
G --from day3.csv --change-pct 5 --new-pct 5 --vanish-pct 0 --seed 24 --out day4.csv
cp day4.csv spool/incoming/acme/
expect_rc 3 "still locked" L --now 2026-11-23T08:00:00Z run
expect_eq "$(ls spool/outbox/full | wc -l) $(ls spool/outbox/delta | wc -l)" "2 2" "exports rendered while locked"

# Unlock: the full target sends only its newest file, the older one is
# superseded; the delta target sends both in order.
expect_rc 0 "unlock full" L --now 2026-11-23T09:00:00Z unlock full
expect_grep "the newest queued file" "$TEST_TMP/out" "unlock says what will be sent"
expect_rc 0 "unlock delta" L --now 2026-11-23T09:00:00Z unlock delta
expect_rc 0 "unlock of an unlocked target" L unlock delta
expect_grep "not locked" "$TEST_TMP/out" "says it is not locked"
expect_rc 0 "deliver after unlock" L --now 2026-11-23T09:00:00Z deliver
expect_eq "$(ls rfull | wc -l) $(ls rdelta | wc -l)" "3 5" "newest full file, both delta files"
expect_eq "$(q "select group_concat(d.result) from deliveries d join exports e on e.id = d.export_id where e.target = 'full' and d.at = '2026-11-23T09:00:00Z' order by d.id")" \
	"superseded,delivered" "older full file recorded as superseded"
expect_eq "$(q "select group_concat(e.id < (select max(id) from exports where target = 'delta')) from deliveries d join exports e on e.id = d.export_id where e.target = 'delta' and d.at = '2026-11-23T09:00:00Z' order by d.id")" \
	"1,0" "delta files delivered in order"
expect_eq "$(vins "rfull/$(newest rfull)")" "$(vins day4.csv)" "the full file sent holds the day-4 vehicles"
expect_rc 0 "run after unlock" L --now 2026-11-23T10:00:00Z run

# auto_release = no: every unreleased vehicle is held back; the export is
# empty while the last delivery was not, so the target locks.
sed -i 's/^retention_days = 2$/retention_days = 2\nauto_release = no/' conf/lotsync.conf
expect_rc 3 "empty export locks" L --now 2026-11-24T08:00:00Z run
expect_grep "63 new vehicle(s) await 'lotsync release full'" "$TEST_TMP/err" "held vehicles reported"
expect_grep "the export is empty; the last delivery had 63 vehicles" "$TEST_TMP/err" "empty export locks the target"
expect_eq "$(ls rfull | wc -l)" "3" "the empty file is not sent"
vin=$(sed -n 2p day4.csv | cut -d, -f2)
expect_rc 64 "release of an unknown VIN releases nothing" L release full "$vin" NOSUCHVIN0000000
expect_rc 0 "release one VIN" L --now 2026-11-24T09:00:00Z release full "$vin"
expect_rc 0 "release the rest" L --now 2026-11-24T09:00:00Z release full --all
expect_grep "released 62 vehicle" "$TEST_TMP/out" "--all releases the 62 still held"
expect_rc 3 "released, but the lock stays until unlock" L --now 2026-11-24T10:00:00Z run
expect_rc 0 "unlock" L unlock full
expect_rc 0 "deliver" L --now 2026-11-24T11:00:00Z deliver
expect_eq "$(vins "rfull/$(newest rfull)")" "$(vins day4.csv)" "the released vehicles are sent, the empty file superseded"
expect_eq "$(q "select count(*) from exports where target = 'full' and vehicles = 0 and state = 'superseded'")" "1" \
	"the empty export was superseded, never delivered"

# Retention (2 days for 'full'): older records and sent/ files go; the newest stay.
before=$(ls spool/sent/full | wc -l)
expect_rc 0 "run three days later" L --now 2026-11-27T12:00:00Z run
expect_eq "$(ls spool/sent/full)" "$(newest rfull)" "only the newest sent file is kept"
expect_eq "$(q "select count(*) from exports where target = 'full'")" "1" "older export records pruned"
expect_eq "$(q "select count(*) from deliveries d left join exports e on e.id = d.export_id where e.id is null")" "0" \
	"no delivery record outlives its export"
[ "$before" -gt 1 ] && pass "there was something to prune ($before files)" || fail "nothing to prune"
expect_eq "$(ls spool/sent/delta | wc -l)" "2" "delta (default 5 days) keeps what it delivered since the 22nd"

# A new snapshot with the same vehicles (the rows in another order: new
# bytes, same content): applied, and the delta target has nothing to send,
# so its export is recorded without a file and nothing is delivered.
/usr/bin/python3 -I -S - day4.csv day4-reordered.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
csv.writer(open(sys.argv[2], "w", newline="")).writerows([rows[0]] + rows[:0:-1])
PY
cp day4-reordered.csv spool/incoming/acme/
deltas=$(ls rdelta | wc -l)
last=$(q "select max(id) from exports where target = 'delta'")
expect_rc 0 "same vehicles, new bytes" L --now 2026-11-27T13:00:00Z run
expect_eq "$(q "select file || ':' || state || ':' || new || '/' || changed || '/' || vanished from snapshots order by id desc limit 1")" \
	"day4-reordered.csv:applied:0/0/0" "the reordered file is a snapshot with no change"
expect_eq "$(q "select count(*) || ':' || coalesce(max(file), 'no file') from exports where target = 'delta' and id > $last")" \
	"1:no file" "the delta export is recorded without a file"
expect_eq "$(ls rdelta | wc -l)" "$deltas" "nothing sent to the delta receiver"
expect_eq "$(ls -A spool/outbox/delta)" "" "nothing queued for the delta receiver"
finish
