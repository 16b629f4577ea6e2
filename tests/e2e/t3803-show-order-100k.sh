#!/bin/sh
# e2e: show of a 100k-vehicle snapshot, sorted in bounded memory. Its
# versions (~90 MB of JSON) pass through the sort's temporary file (32 MiB
# of records are kept in memory), so the run merge decides the order: the
# keys `show --jsonl` prints, at the newest seq (the current set) and at an
# older one (the current set less what began after it, plus what ended
# after it), must be exactly SQLite's ORDER BY key over the versions valid
# at that seq, each with its stored JSON; text mode prints the same keys in
# the same order; peak RSS stays bounded; and with no usable TMPDIR show
# fails and says so instead of printing a partial snapshot as complete.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
N=${LOTSYNC_SHOW_ROWS:-100000}

ingest_pair "$N" 21 22

peak_rss show2.jsonl show --jsonl 2
expect_eq "$?" "0" "show --jsonl 2 exits 0"
[ "$RSS" -lt 100 ] && pass "show of a $N-vehicle snapshot peaked at $RSS MB" ||
	fail "show peaked at $RSS MB (bounded memory expected, < 100 MB)"
expect_rc 0 "show --jsonl 1 (an older seq)" sh -c "'$LOTSYNC' -c '$C' show --jsonl 1 >show1.jsonl 2>/dev/null"

for seq in 1 2; do
	/usr/bin/python3 - "$DB" "$seq" "show$seq.jsonl" "${SQL_JSON#.load }" <<'PY' && pass "show --jsonl $seq: every version valid at seq $seq, in SQLite's key order, as stored" || fail "show --jsonl $seq differs from SQLite's ORDER BY key"
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
db.enable_load_extension(True)
db.load_extension(sys.argv[4])  # lotsync_json(): data is a zstd frame since schema 14
seq = int(sys.argv[2])
want = ['{"key":"%s","fields":%s}' % (k, d) for k, d in db.execute(
    "SELECT key, lotsync_json(data) FROM versions WHERE feed = 'acme' AND from_seq <= ?1"
    " AND (to_seq IS NULL OR to_seq > ?1) ORDER BY key", (seq,))]
got = open(sys.argv[3], encoding="utf-8").read().splitlines()
if got != want:
    print("lotsync %d lines, SQLite %d; first difference at line %d" % (len(got), len(want),
          next(i for i, (a, b) in enumerate(zip(got + [None], want + [None])) if a != b)),
          file=sys.stderr)
    sys.exit(1)
PY
done
[ "$(wc -l <show2.jsonl)" -gt "$((N * 9 / 10))" ] && pass "snapshot 2 holds the generator's vehicles" ||
	fail "snapshot 2 printed $(wc -l <show2.jsonl) vehicles"

L show 2 >show2.txt 2>/dev/null
# past the snapshot's line and its warnings
awk 'NR > 1 && !/^warning: /' show2.txt | cut -f1 >text.keys
json_keys() { /usr/bin/python3 -c 'import json, sys; [print(json.loads(l)["key"]) for l in open(sys.argv[1])]' "$1"; }
json_keys show2.jsonl >jsonl.keys
cmp -s text.keys jsonl.keys && pass "text mode prints the same keys in the same order" ||
	fail "text and --jsonl keys differ"

mkdir -p no-tmp && chmod 500 no-tmp
if [ "$(id -u)" != 0 ]; then
	TMPDIR=$PWD/no-tmp "$LOTSYNC" -c "$C" show --jsonl 2 >partial.jsonl 2>err.txt
	rc=$?
	[ "$rc" -ne 0 ] && pass "show with an unwritable TMPDIR fails ($rc)" || fail "show exited 0 without a temporary file"
fi
TMPDIR=$PWD/missing "$LOTSYNC" -c "$C" show --jsonl 2 >partial.jsonl 2>err.txt
rc=$?
[ "$rc" -ne 0 ] && pass "show with a missing TMPDIR fails ($rc)" || fail "show exited 0 without a temporary file"
grep -q "temporary file for sorting in $PWD/missing" err.txt && pass "and names the temporary directory" ||
	fail "no word of the temporary file: $(cat err.txt)"
[ ! -s partial.jsonl ] && pass "and prints no vehicle" || fail "printed $(wc -l <partial.jsonl) vehicles before failing"
finish
