#!/bin/sh
# e2e: lotsync erase-person. A Carsys feed (three pushes, one with the
# driver's name and number typed into the notes, one truncated and
# quarantined) and an Autoflex feed (two days) go through two work-order
# targets (jsonl delta delivered to sent/, xml full left queued in outbox/);
# then driver P1 of Carsys and B17 of Autoflex are erased. Afterwards a
# grep over the whole spool (database checkpointed, archive, failed, outbox,
# sent, state files) finds none of their values, verify passes, show and
# history work, a second erasure is harmless, errors have their exit codes,
# and tampering with a rewritten archived file is still caught.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
FX=$SRCDIR/tests/fixtures/workorders

mkdir -p conf spool/incoming/carsys spool/incoming/autoflex remote
{
	conf_head
	conf_section feed:carsys "kind = workorder" "source = drop" "profile = carsys-xml"
	conf_section feed:autoflex "kind = workorder" "source = drop" "profile = autoflex-csv"
	conf_section feed:stock "source = drop" "profile = generic-csv"
	conf_section target:planner "kind = workorder" "url = file://$TEST_TMP/remote/" \
		"format = workorder-jsonl" "feeds = carsys, autoflex" "mode = delta"
	conf_section target:board "kind = workorder" "url = file://$TEST_TMP/remote/" \
		"format = workorder-xml" "feeds = carsys"
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
C=conf/lotsync.conf
DB=spool/lotsync.db
L() { "$LOTSYNC" -c "$C" "$@"; }

# Day 1: the morning pushes and Autoflex day 1, delivered (sent/).
cp "$FX/carsys/1-morning.xml" spool/incoming/carsys/
cp "$FX/autoflex/day1.csv" spool/incoming/autoflex/
L --now 2026-12-01T08:20:00Z run 2>/dev/null || fail "day 1 run"
# Day 2: the callback push, a push cut short (quarantined), Autoflex day 2;
# exported but not delivered (outbox/).
cp "$FX/erase/carsys-callback.xml" spool/incoming/carsys/2-callback.xml
head -c 2400 "$FX/carsys/1-morning.xml" >spool/incoming/carsys/3-cut.xml
touch -d '2026-01-01 00:00:00' spool/incoming/carsys/2-callback.xml
touch -d '2026-01-01 00:00:01' spool/incoming/carsys/3-cut.xml
cp "$FX/autoflex/day2.csv" spool/incoming/autoflex/
L --now 2026-12-02T09:00:00Z ingest 2>/dev/null
L --now 2026-12-02T09:00:00Z export 2>/dev/null
expect_eq "$(ls spool/failed/carsys | grep -vc reason)" 1 "the cut push is quarantined"
expect_eq "$(ls spool/outbox/planner spool/outbox/board spool/sent/planner spool/sent/board | grep -c '\.')" 4 \
	"two exports delivered (sent/), two queued (outbox/)"

# The erased values to look for: every personal value of the person that no
# other person of the feed holds in some field (P2 is 'Jansen Transport B.V.'
# in Utrecht), of at least 5 bytes (shorter ones occur in SHA-256 names).
values() { # FEED PERSON
	sqlite3 -cmd "$SQL_JSON" "$DB" "select distinct j.value from versions v,
		json_each(lotsync_json(v.data)) j
		where v.feed = '$1' and v.key = 'person:$2' and j.key <> 'person_id'
		and length(j.value) >= 5 and not exists (select 1 from versions o,
		json_each(lotsync_json(o.data)) k
		where o.feed = v.feed and o.key like 'person:%' and o.key <> v.key
		and instr(k.value, j.value) > 0)"
}
{ values carsys P1; values autoflex B17; } | LC_ALL=C sort >erased.txt
expect_eq "$(tr '\n' '|' <erased.txt)" \
	"0612345678|1234 AB|3811 KT|Amersfoort|Bakker|Dorpsstraat|Molenweg|j.jansen@mail.example|jan@example.nl|" \
	"the values to erase (both P1 e-mails, two versions)"
missing=0
while read -r v; do
	grep -r -a -q -F -- "$v" spool || missing=$((missing + 1))
done <erased.txt
expect_eq "$missing" 0 "before: each value is in the spool"
grep -q -F 'Terugbellen: Jan Jansen, 0612345678' spool/archive/carsys/* || fail "the notes name P1"
grep -q -F '0612345678' spool/failed/carsys/3-cut.xml || fail "the quarantined copy holds P1"
chain_before=$(sqlite3 "$DB" "select count(*) from audit_chain")

# Errors first: nothing may change.
expect_rc 64 "usage" L erase-person carsys
expect_rc 64 "unknown feed" L --now 2026-12-03T08:00:00Z erase-person nosuch P1
expect_rc 64 "a vehicle feed has no persons" L --now 2026-12-03T08:00:00Z erase-person stock P1
expect_rc 64 "unknown person" L --now 2026-12-03T08:00:00Z erase-person carsys P404
expect_grep "no person 'P404' in feed carsys" err "it says which person"
(
	flock 9
	sleep 3
) 9>spool/.lock &
sleep 1
expect_rc 75 "while another run holds the lock" L --now 2026-12-03T08:00:00Z erase-person carsys P1
wait
expect_eq "$(sqlite3 "$DB" "select count(*) from audit_chain")" "$chain_before" "the errors changed nothing"

# The erasures.
expect_rc 0 "erase P1 of carsys" L --now 2026-12-03T08:00:00Z -v erase-person carsys P1
cp out erase1.out
cp err erase1.err
expect_grep "person P1 of feed carsys erased: 3 version(s), 3 archived file(s), 1 quarantined copy, 2 queued and 2 sent export file(s) rewritten" \
	erase1.out "it says what it rewrote"
expect_grep "3-cut.xml: .*known values were replaced" erase1.err "the unreadable quarantined copy is named"
expect_rc 0 "erase B17 of autoflex" L --now 2026-12-03T08:05:00Z erase-person autoflex B17
cat err >>erase1.err
leaked=$(grep -c -F -f erased.txt erase1.out erase1.err | awk -F: '{s += $2} END {print s}')
expect_eq "$leaked" 0 "no erased value in the command's output or log lines"

# The whole spool, database included and its WAL checkpointed.
sqlite3 "$DB" "pragma wal_checkpoint(truncate)" >/dev/null
found=$(grep -r -a -l -F -f erased.txt spool | sort | tr '\n' ' ')
expect_eq "$found" "" "grep -r over the whole spool finds no erased value"
# The database stores versions compressed: the grep above cannot see into them.
sqlite3 -cmd "$SQL_JSON" "$DB" "select lotsync_json(data) from version_rows" >stored.json
expect_eq "$(wc -l <stored.json)" "$(sqlite3 "$DB" "select count(*) from version_rows")" \
	"every stored version reads back as JSON"
expect_eq "$(grep -c -F -f erased.txt stored.json)" 0 "no stored version holds an erased value"
expect_eq "$(grep -l -F 'Terugbellen: (erased) (erased), (erased) (na 16:00)' spool/archive/carsys/* | wc -l)" 1 \
	"the notes keep their text, the person's name and number erased"
grep -q -F 'Jansen Transport B.V.' spool/archive/carsys/* || fail "P2 (same surname) must keep its company"
grep -q -F 'Utrecht' spool/sent/planner/* || fail "other persons keep their place in sent exports"
expect_eq "$(sqlite3 -cmd "$SQL_JSON" "$DB" "select json_extract(lotsync_json(data), '\$.email_private') || ' ' || json_extract(lotsync_json(data), '\$.person_id') from versions where key = 'person:P1' order by id" | tr '\n' '|')" \
	"(erased) P1|(erased) P1|" "both versions of P1 erased, the id kept"
expect_eq "$(sqlite3 "$DB" "select kind, by, at from audit_chain where kind = 'erase' order by id" | tr '\n' ' ')" \
	"erase|$(id -un)|2026-12-03T08:00:00Z erase|$(id -un)|2026-12-03T08:05:00Z " "two erase events: who and when (--now)"
m=$(sqlite3 "$DB" "select manifest from audit_chain where kind = 'erase' order by id limit 1")
case $m in
*'"feed":"carsys","person":"P1"'*'"place":"failed"'*'"place":"sent"'*) pass "the event names feed, person and the rewritten files" ;;
*) fail "erase manifest: $m" ;;
esac
new=$(sqlite3 "$DB" "select new_sha256 from erasure_files where place = 'archive' and owner = 'carsys' limit 1")
name=$(sqlite3 "$DB" "select name from erasure_files where place = 'archive' and owner = 'carsys' limit 1")
expect_eq "$(sha256sum "spool/archive/carsys/$name" | cut -d' ' -f1)" "$new" "the event's new SHA-256 is the file's"
expect_eq "$(stat -c %a "spool/archive/carsys/$name")" 444 "the rewritten archive file is still read-only"

expect_rc 0 "verify passes after the erasures" L verify
expect_rc 0 "show still works" L show 1
expect_grep 'person:P1.*email_private="(erased)"' out "show prints the erased person as erased"
expect_rc 0 "history still works" L history WO-2026-0042
expect_grep "snapshot" out "history lists the work order's versions"
first=$(sqlite3 "$DB" "select min(id) from snapshots where feed = 'carsys'")
last=$(sqlite3 "$DB" "select max(id) from snapshots where feed = 'carsys' and state = 'applied'")
expect_rc 0 "diff still works" L diff "$first" "$last"
expect_grep "notes: (absent) -> Terugbellen: (erased) (erased), (erased) (na 16:00)" out \
	"diff shows the notes as erased"

# Again: harmless.
chain_after=$(sqlite3 "$DB" "select count(*) from audit_chain")
expect_rc 0 "a second erasure of P1" L --now 2026-12-03T09:00:00Z erase-person carsys P1
expect_grep "nothing left to erase" out "it has nothing left to do"
expect_eq "$(sqlite3 "$DB" "select count(*) from audit_chain")" "$chain_after" "and records nothing"
expect_rc 0 "verify still passes" L verify

# The append-only triggers still refuse a rewrite outside an erasure.
p2=$(sqlite3 -cmd "$SQL_JSON" "$DB" "select group_concat(lotsync_json(data)) from versions where key = 'person:P2'")
sqlite3 "$DB" "update versions set data = '{}' where key = 'person:P2'" 2>sql.err &&
	fail "a person version was rewritten without an erasure"
expect_eq "$(sqlite3 -cmd "$SQL_JSON" "$DB" "select group_concat(lotsync_json(data)) from versions where key = 'person:P2'")" "$p2" \
	"versions stay append-only outside an erasure ($(cat sql.err))"
sqlite3 "$DB" "update erasures set person = 'P2'" 2>sql.err && fail "an erasure was edited"
grep -q "erasures are append-only" sql.err && pass "erasures are append-only" || fail "$(cat sql.err)"

# The DMS sends the morning file again (same bytes, the person in it): it is
# archived again under its name and applied as the inventory of now; verify
# accepts the original bytes again, and a new erasure erases them again.
cp "$FX/carsys/1-morning.xml" spool/incoming/carsys/4-again.xml
cp "$FX/carsys/3-evening.xml" spool/incoming/carsys/
touch -d '2026-01-01 00:00:00' spool/incoming/carsys/4-again.xml
touch -d '2026-01-01 00:00:01' spool/incoming/carsys/3-evening.xml
L --now 2026-12-03T10:00:00Z run 2>/dev/null
morning=$(sha256sum "$FX/carsys/1-morning.xml" | cut -d' ' -f1)
first=$(sqlite3 "$DB" "select new_sha256 from erasure_files where owner = 'carsys' and name = '$morning'")
grep -q -F jan@example.nl "spool/archive/carsys/$morning" && pass "the same file again: P1 is back in the archive" ||
	fail "the same file again: the archive should hold it as received"
expect_rc 0 "verify after the file came again" L verify
expect_rc 0 "erase P1 again" L --now 2026-12-03T11:00:00Z erase-person carsys P1
expect_grep "person P1 of feed carsys erased: 1 version(s), 1 archived file(s)" out "only the file that came again"
sqlite3 "$DB" "pragma wal_checkpoint(truncate)" >/dev/null
expect_eq "$(grep -r -a -l -F -f erased.txt spool | wc -l)" 0 "the spool is clean again"
expect_eq "$(sha256sum "spool/archive/carsys/$morning" | cut -d' ' -f1)" "$first" "the same rewrite as the first time"
expect_rc 0 "verify after the second erasure" L verify

# Tampering with a rewritten archived file is still caught.
chmod u+w "spool/archive/carsys/$name"
printf ' ' >>"spool/archive/carsys/$name"
expect_rc 65 "verify catches an edited rewritten file" L verify
expect_grep "archived file damaged" err "it names the damage"
truncate -s -1 "spool/archive/carsys/$name"
expect_rc 0 "the file restored: verify passes" L verify
# ... and a forged erasure record (a trigger dropped to make the edit fit).
sqlite3 "$DB" "drop trigger erasure_files_u; update erasure_files set new_sha256 = 'f' || substr(new_sha256, 2) where place = 'archive' and owner = 'carsys' and name = '$name'"
expect_rc 65 "verify catches a forged erasure record" L verify
expect_grep "erasure 1 no longer matches audit chain entry" err "it names the erasure"
finish
