#!/bin/sh
# e2e: the thin path on a local file:// target, the run lock, an idle rerun
# that changes nothing but the run record, duplicates and quarantine.
# Fault matrix: matrix row 13 (two concurrent runs; with t6813).
. "$SRCDIR/tests/e2e/lib.sh"
local_env

/usr/bin/python3 "$G" --vehicles 200 --seed 3 --out "$TEST_TMP/day1.csv"
/usr/bin/python3 "$G" --from "$TEST_TMP/day1.csv" --change-pct 5 --new-pct 2 --vanish-pct 2 --seed 4 \
	--out "$TEST_TMP/day2.csv"

cp "$TEST_TMP/day1.csv" "$IN/day1.csv"
expect_rc 0 "first run" L --now 2026-11-20T08:00:00Z run
expect_eq "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "" "a successful run prints nothing"
expect_eq "$(ls "$TEST_TMP/outbox-remote")" "local-20261120T080000Z-1.csv" "export delivered under its final name"
expect_eq "$(ls -A "$TEST_TMP/spool/outbox/local")" "" "outbox emptied"
expect_eq "$(ls "$TEST_TMP/spool/sent/local")" "local-20261120T080000Z-1.csv" "delivered file moved to sent/"
sha=$(sha256sum "$TEST_TMP/day1.csv" | cut -c1-64)
cmp -s "$TEST_TMP/day1.csv" "$TEST_TMP/spool/archive/acme/$sha" && pass "raw file archived byte for byte under its SHA-256" ||
	fail "archive/acme/$sha differs from the dropped file"
# The export holds the same vehicles as the feed (generic-csv in and out).
# Prices are canonical minor units rendered by the format (decimals=auto), so
# they are checked against the stored canonical value, the rest byte for byte.
L --json show 1 >"$TEST_TMP/show1.json"
python3 - "$TEST_TMP/day1.csv" "$TEST_TMP/outbox-remote/local-20261120T080000Z-1.csv" "$TEST_TMP/show1.json" <<'PY' && pass "export round-trips the feed" || fail "export differs from the feed"
import csv, json, sys
a = list(csv.reader(open(sys.argv[1], newline="")))
b = list(csv.reader(open(sys.argv[2], newline="")))
canon = {v["key"]: v["fields"] for v in json.load(open(sys.argv[3]))["vehicles"]}
money = {"Price": "price", "CampaignPrice": "campaign_price", "OldPrice": "old_price"}
def auto(minor):
    if not minor:
        return ""
    units, cents = divmod(abs(int(minor)), 100)
    s = "%d" % units if cents == 0 else "%d.%02d" % (units, cents)
    return "-" + s if int(minor) < 0 else s
head = a[0]
ok = head == b[0] and len(a) == len(b)
feed = {r[1]: r for r in a[1:]}
for row in b[1:]:
    src = feed.get(row[1])
    ok = ok and src is not None
    for i, col in enumerate(head):
        want = auto(canon[row[1]].get(money[col], "")) if col in money else src[i]
        ok = ok and row[i] == want
sys.exit(0 if ok else 1)
PY

# An idle rerun: exit 0, silent, nothing changes but the run record.
dump() { sqlite3 "$DB" ".dump" | grep -v "^INSERT INTO runs" ; }
dump >"$TEST_TMP/before.sql"
runs_before=$(sqlite3 "$DB" "select count(*) from runs")
expect_rc 0 "rerun with no new input" L --now 2026-11-20T09:00:00Z run
expect_eq "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "" "idle rerun prints nothing"
dump >"$TEST_TMP/after.sql"
cmp -s "$TEST_TMP/before.sql" "$TEST_TMP/after.sql" && pass "idle rerun changed nothing but runs" || fail "idle rerun changed the database"
expect_eq "$(sqlite3 "$DB" "select count(*) from runs")" "$((runs_before + 1))" "idle rerun recorded its run"
expect_eq "$(ls "$TEST_TMP/outbox-remote" | wc -l)" "1" "idle rerun sent nothing"

# Day 2: exact counts from the generator (200: 4 vanish, 10 change, 4 new).
cp "$TEST_TMP/day2.csv" "$IN/day2.csv"
expect_rc 0 "second snapshot" L --now 2026-11-21T08:00:00Z run
expect_rc 0 "snapshots --json" L --json snapshots
cp "$TEST_TMP/out" "$TEST_TMP/snaps.json"
expect_eq "$(json 'len(j)' "$TEST_TMP/snaps.json")" "2" "two snapshots"
expect_eq "$(json 'sorted(set(["id","feed","state","sha256","file","received_at","vehicles","new","changed","vanished","rejected_rows"]) - set(j[0]))' "$TEST_TMP/snaps.json")" \
	"[]" "snapshot JSON has every SPEC §5 key"
expect_eq "$(json '[j[1][k] for k in ("vehicles","new","changed","vanished","state")]' "$TEST_TMP/snaps.json")" \
	"[200, 4, 10, 4, 'applied']" "second snapshot counts"
expect_eq "$(json '[j[0][k] for k in ("vehicles","new")]' "$TEST_TMP/snaps.json")" "[200, 200]" \
	"first snapshot counts every vehicle as new"
expect_rc 0 "diff --json" L --json diff 1 2
cp "$TEST_TMP/out" "$TEST_TMP/diff.json"
expect_eq "$(json '(len(j["new"]), len(j["changed"]), len(j["vanished"]))' "$TEST_TMP/diff.json")" "(4, 10, 4)" "diff counts"
expect_eq "$(json 'all(len(v) == 2 for c in j["changed"] for v in c["fields"].values())' "$TEST_TMP/diff.json")" \
	"True" "changed fields are [old, new] pairs"
# diff agrees with an independent Python diff of the two files.
python3 - "$TEST_TMP/day1.csv" "$TEST_TMP/day2.csv" "$TEST_TMP/diff.json" <<'PY' && pass "diff matches an independent diff" || fail "diff disagrees with Python"
import csv, json, sys
def load(p):
    return {r["VIN"]: r for r in csv.DictReader(open(p, newline=""))}
a, b, d = load(sys.argv[1]), load(sys.argv[2]), json.load(open(sys.argv[3]))
ok = sorted(d["new"]) == sorted(set(b) - set(a)) and sorted(d["vanished"]) == sorted(set(a) - set(b))
ok = ok and sorted(c["key"] for c in d["changed"]) == sorted(k for k in set(a) & set(b) if a[k] != b[k])
sys.exit(0 if ok else 1)
PY
vin=$(json 'j["changed"][0]["key"]' "$TEST_TMP/diff.json")
expect_rc 0 "history --json" L --json history "$vin"
expect_eq "$(json '[e["event"] for e in j]' "$TEST_TMP/out")" "['appeared', 'changed']" "history of a changed vehicle"

# The same bytes again under another name: a duplicate, not applied.
cp "$TEST_TMP/day2.csv" "$IN/day2-again.csv"
expect_rc 0 "duplicate delivery" L --now 2026-11-21T09:00:00Z run
expect_eq "$(L --json snapshots | python3 -c 'import json,sys; print([s["state"] for s in json.load(sys.stdin)])')" \
	"['applied', 'applied', 'duplicate']" "re-delivered file recorded as duplicate"

# A broken file is quarantined with a reason; exit 65; the next good file goes on.
printf 'DealerID,VIN,StockNo\nD1,"VINX,1\n' >"$IN/broken.csv"
# --dry-run says so and moves nothing.
expect_rc 65 "dry run of a broken file" L --now 2026-11-21T10:00:00Z --dry-run run
expect_grep "broken.csv: would be quarantined: broken.csv:2: .*unterminated quote" "$TEST_TMP/err" \
	"dry run names what would happen"
test -f "$IN/broken.csv" && pass "dry run left the file in incoming/" || fail "dry run moved broken.csv"
expect_eq "$(sqlite3 "$DB" "select count(*) from quarantine")" "0" "dry run recorded no quarantine"
expect_rc 65 "quarantine" L --now 2026-11-21T10:00:00Z run
expect_grep "broken.csv:2: .*unterminated quote" "$TEST_TMP/err" "error names file, line and reason"
test -f "$TEST_TMP/spool/failed/acme/broken.csv" && test -f "$TEST_TMP/spool/failed/acme/broken.csv.reason" &&
	pass "file and .reason in failed/" || fail "quarantined file or reason missing"
expect_rc 0 "status --json" L --json status
expect_eq "$(json '[j["feeds"][0][k] for k in ("name","failed","incoming")] + [sorted(j.keys())]' "$TEST_TMP/out")" \
	"['acme', 1, 0, ['chain_head', 'feeds', 'last_run', 'open_srs', 'targets']]" "status JSON"

# Refused entries: a symlink is reported, left alone, and the run exits 65.
ln -s /etc/passwd "$IN/evil.csv"
expect_rc 65 "symlink refused" L run
expect_grep "evil.csv: not claimed: a symbolic link" "$TEST_TMP/err" "symlink reported"
test -L "$IN/evil.csv" && pass "symlink left in place" || fail "symlink moved"
rm "$IN/evil.csv"

# Two concurrent runs: while one holds the lock the other exits 75 naming its PID.
# A big first snapshot of its own feed keeps the first run busy long enough.
printf '\n[feed:bulk]\nsource = drop\nprofile = generic-csv\n' >>"$C"
mkdir -p "$TEST_TMP/spool/incoming/bulk"
IN=$TEST_TMP/spool/incoming/bulk
/usr/bin/python3 "$G" --vehicles 20000 --seed 5 --out "$TEST_TMP/big.csv"
cp "$TEST_TMP/big.csv" "$IN/big.csv"
tries=0
while :; do
	tries=$((tries + 1))
	"$LOTSYNC" -c "$C" --now 2026-11-22T08:00:00Z run >/dev/null 2>&1 &
	pid=$!
	# Wait until the first run holds the lock, then freeze it there.
	i=0
	while [ "$(cat "$TEST_TMP/spool/.lock" 2>/dev/null)" != "$pid" ] && [ $i -lt 500 ]; do
		i=$((i + 1)); sleep 0.01
	done
	if kill -STOP "$pid" 2>/dev/null && [ "$(cat "$TEST_TMP/spool/.lock")" = "$pid" ]; then
		expect_rc 75 "second concurrent run" L run
		expect_grep "pid $pid" "$TEST_TMP/err" "refusal names the holder's PID"
		expect_grep "spool/.lock" "$TEST_TMP/err" "refusal names the lock file"
		# Auditors can read while a run is in progress (WAL readers never block).
		expect_rc 0 "snapshots while a run holds the lock" L snapshots
		expect_eq "$(sqlite3 -readonly "$TEST_TMP/spool/lotsync.db" 'select count(*) >= 3 from v_snapshots')" \
			"1" "plain sqlite3 -readonly works during a run"
		kill -CONT "$pid"
		wait "$pid"
		# The big file is feed bulk's, which no target takes: nothing locks.
		expect_eq "$?" "0" "the first run completes"
		break
	fi
	wait "$pid"
	[ $tries -lt 3 ] || { fail "could not catch the first run holding the lock"; break; }
	# Too fast to catch: try again with a bigger file that vanishes nothing.
	/usr/bin/python3 "$G" --from "$TEST_TMP/big.csv" --new-pct 100 --vanish-pct 0 \
		--seed $((5 + tries)) --out "$TEST_TMP/big$tries.csv"
	cp "$TEST_TMP/big$tries.csv" "$TEST_TMP/big.csv"
	cp "$TEST_TMP/big.csv" "$IN/big$tries.csv"
done
finish
