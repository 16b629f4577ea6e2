#!/bin/sh
# e2e (issue 5): vanish guard (held, accept, reject, newer held judged again),
# empty files held, audit chain verify catching a changed archive byte and a
# snapshot row edited behind lotsync's back, append-only triggers, read-only
# views while nothing else is possible.
# Fault matrix: matrix row 10 (a 70%-shrunk feed held; with t6810).
. "$SRCDIR/tests/e2e/lib.sh"
local_env
state() { sqlite3 "$DB" "select group_concat(id || ':' || state, ' ') from snapshots"; }

/usr/bin/python3 "$G" --vehicles 200 --seed 31 --out day1.csv
/usr/bin/python3 "$G" --from day1.csv --change-pct 3 --new-pct 1 --vanish-pct 1 --seed 32 --out day2.csv
cp day1.csv "$IN/"
expect_rc 0 "first snapshot" L --now 2026-11-20T08:00:00Z run

# A truncated copy of the feed (its first 60 records) would vanish 140 of 200: held.
/usr/bin/python3 -c 'import csv,sys; r=list(csv.reader(open("day1.csv",newline=""))); csv.writer(sys.stdout,lineterminator="\n").writerows(r[:61])' >"$IN/truncated.csv"
expect_rc 3 "truncated feed is held" L --now 2026-11-21T08:00:00Z run
expect_grep "snapshot 2 held" "$TEST_TMP/err" "hold is reported"
expect_grep "140 of 200" "$TEST_TMP/err" "the reason gives the counts"
expect_eq "$(state)" "1:applied 2:held" "snapshot 2 held"
expect_eq "$(ls outbox-remote | wc -l)" "1" "nothing exported for a held snapshot"
expect_rc 3 "status while held" L status
expect_grep "HELD snapshot 2" "$TEST_TMP/out" "status names the held snapshot"
expect_rc 3 "status --json" L --json status
expect_eq "$(json 'j["feeds"][0]["held"]' "$TEST_TMP/out")" "[2]" "status JSON lists held ids"
expect_rc 3 "an idle run still exits 3 while something is held" L run

# A newer, normal file waits behind the held one.
cp day2.csv "$IN/"
expect_rc 3 "newer file held behind" L --now 2026-11-22T08:00:00Z run
expect_eq "$(state)" "1:applied 2:held 3:held" "snapshot 3 held behind 2"
expect_rc 64 "cannot decide the newer one first" L reject 3
expect_grep "held behind snapshot 2" "$TEST_TMP/err" "says which to decide first"

# Rejecting 2 lets 3 be judged against snapshot 1: it passes and is applied.
expect_rc 0 "reject 2" L --now 2026-11-22T09:00:00Z reject 2
expect_eq "$(state)" "1:applied 2:rejected 3:applied" "3 applied after 2 was rejected"
expect_eq "$(sqlite3 "$DB" "select decided like 'rejected by % at 2026-11-22T09:00:00Z' from snapshots where id = 2")" "1" "who and when recorded"
expect_eq "$(ls outbox-remote | wc -l)" "2" "the applied snapshot was exported and delivered"

# Empty files are held; accept applies one (an operator's call), then history shows it.
printf 'DealerID,VIN,StockNo\n' >"$IN/header-only.csv"
expect_rc 3 "header-only file held" L --now 2026-11-23T08:00:00Z run
expect_grep "no vehicles" "$TEST_TMP/err" "empty file reason"
: >"$IN/zero.csv"
expect_rc 3 "zero-byte file held" L --now 2026-11-23T09:00:00Z run
expect_eq "$(state)" "1:applied 2:rejected 3:applied 4:held 5:held" "both empties held"
# Only the oldest held snapshot of a feed can be decided, and only a held one.
chain=$(sqlite3 "$DB" "select count(*) from audit_chain")
expect_rc 64 "accept 5 while 4 waits" L accept 5
expect_grep "snapshot 5 of feed acme is held behind snapshot 4: decide that one first" "$TEST_TMP/err" \
	"names the snapshot to decide first"
expect_rc 64 "accept of an applied snapshot" L accept 3
expect_grep "snapshot 3 is applied, not held: nothing to accept" "$TEST_TMP/err" "accept says it is not held"
expect_rc 64 "reject of a rejected snapshot" L reject 2
expect_grep "snapshot 2 is rejected, not held: nothing to reject" "$TEST_TMP/err" "reject says it is not held"
expect_rc 64 "accept of no snapshot" L accept 99
expect_grep "no snapshot with id 99" "$TEST_TMP/err" "names the missing id"
expect_eq "$(state)" "1:applied 2:rejected 3:applied 4:held 5:held" "refused decisions change no snapshot"
expect_eq "$(sqlite3 "$DB" "select count(*) from audit_chain")" "$chain" "refused decisions add no chain entry"
# Applying it empties the target's export, so the target locks (SPEC §7): exit 3.
# The operator behind sudo is the one recorded.
expect_rc 3 "accept 4" env SUDO_USER=alice "$LOTSYNC" -c "$C" --now 2026-11-23T10:00:00Z accept 4
expect_eq "$(sqlite3 "$DB" "select decided from snapshots where id = 4")" "accepted by alice at 2026-11-23T10:00:00Z" \
	"who accepted (SUDO_USER) and when"
expect_grep "the export is empty" "$TEST_TMP/err" "the empty export locks the target"
# 5 is judged again against the now empty feed: an empty file is always held.
expect_eq "$(state)" "1:applied 2:rejected 3:applied 4:applied 5:held" "4 applied, 5 still held"
expect_eq "$(sqlite3 "$DB" "select vehicles || '/' || vanished from snapshots where id = 4")" "0/200" "accepting the empty file vanished all 200"
expect_rc 3 "reject 5 (the target is still locked)" L reject 5
expect_rc 0 "unlock the target" L unlock local
expect_rc 0 "run after decisions" L run

# Audit: verify passes, then catches tampering.
expect_rc 0 "verify" L verify
expect_grep "^ok: 9 chain entries, 5 snapshots, 5 archived files, 0 problem" "$TEST_TMP/out" "verify counts"
expect_rc 0 "status shows the chain head" L status
head=$(sqlite3 "$DB" "select link from audit_chain order by id desc limit 1")
expect_grep "audit chain head $head" "$TEST_TMP/out" "status shows the chain head"
L -v run >/dev/null 2>&1 || true

sha=$(sha256sum day1.csv | cut -c1-64)
f=spool/archive/acme/$sha
cp "$f" saved
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_rc 65 "verify: one archived byte changed" L verify
expect_grep "$sha: archived file damaged" "$TEST_TMP/err" "verify names the damaged file"
cp saved "$f"
expect_rc 0 "verify after restoring the file" L verify

if sqlite3 "$DB" "update snapshots set vehicles = 999 where id = 1" 2>/dev/null; then
	fail "the append-only trigger let a sealed snapshot change"
else
	pass "append-only trigger refuses to edit a sealed snapshot"
fi
sqlite3 "$DB" "delete from versions where id = 1" 2>/dev/null && fail "a version was deleted" || pass "versions cannot be deleted"
# Someone drops the trigger and edits a count: the chain still notices.
sqlite3 "$DB" "drop trigger snapshots_sealed; update snapshots set vehicles = 199 where id = 1"
expect_rc 65 "verify: snapshot row edited behind lotsync's back" L verify
expect_grep "snapshot 1 no longer matches audit chain entry 1: \"counts\" changed" "$TEST_TMP/err" "verify names the snapshot and what changed"
sqlite3 "$DB" "update snapshots set vehicles = 200 where id = 1"
expect_rc 0 "verify after undoing the edit" L verify
# A broken link of the chain itself (not only a damaged file or row): an
# entry that no longer points at the one before it, then an entry whose
# manifest was rewritten. Each is named, and undoing it makes verify pass.
sqlite3 "$DB" "drop trigger audit_chain_append_only_u"
prev5=$(sqlite3 "$DB" "select prev from audit_chain where id = 5")
snap5=$(sqlite3 "$DB" "select coalesce(snapshot_id, '') from audit_chain where id = 5")
sqlite3 "$DB" "update audit_chain set prev = (select link from audit_chain where id = 3) where id = 5"
expect_rc 65 "verify: a chain entry no longer links to the one before it" L verify
expect_grep "audit chain broken at entry 5 (snapshot $snap5): it does not link to the entry before it" \
	"$TEST_TMP/err" "verify names the broken link"
sqlite3 "$DB" "update audit_chain set prev = '$prev5' where id = 5"
expect_rc 0 "verify after restoring the link" L verify
snap3=$(sqlite3 "$DB" "select coalesce(snapshot_id, '') from audit_chain where id = 3")
sqlite3 "$DB" "update audit_chain set manifest = replace(manifest, '\"feed\":', '\"feed\": ') where id = 3"
expect_rc 65 "verify: a chain entry's manifest rewritten" L verify
expect_grep "audit chain broken at entry 3 (snapshot $snap3): its link does not match its manifest" \
	"$TEST_TMP/err" "verify names the entry whose manifest changed"
sqlite3 "$DB" "update audit_chain set manifest = replace(manifest, '\"feed\": ', '\"feed\":') where id = 3"
expect_rc 0 "verify after restoring the manifest" L verify
# Version rows are never updated (an end is a version_ends row): the trigger refuses it...
sqlite3 -cmd "$SQL_JSON" "$DB" "update version_rows set data = replace(lotsync_json(data), '\"price\"', '\"price_\"') where id = 7" 2>"$TEST_TMP/sqlerr"
expect_grep "versions are append-only" "$TEST_TMP/sqlerr" "a version row edit is refused by its trigger"
# ...and verify catches one that drops the trigger first.
sqlite3 -cmd "$SQL_JSON" "$DB" "drop trigger version_rows_append_only_u; update version_rows set data = replace(lotsync_json(data), '\"price\"', '\"price_\"') where id = 7"
expect_rc 65 "verify: a stored vehicle version edited" L verify
expect_grep "\"content\" changed" "$TEST_TMP/err" "version edits change the snapshot's content digest"

# Auditors read with plain sqlite3 through the documented views.
expect_eq "$(sqlite3 -readonly "$DB" "select count(*) from v_snapshots")" "5" "v_snapshots readable read-only"
expect_eq "$(sqlite3 -readonly "$DB" "select count(distinct vin) > 150 from v_vehicle_history")" "1" "v_vehicle_history readable"
finish
