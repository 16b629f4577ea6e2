#!/bin/sh
# e2e, fault matrix: matrix row 2 (kill -9 during parse). A claimed file
# is being parsed when lotsync is killed with SIGKILL: at the crash point
# where it was just archived (parsing starts), at the one where parsing
# ended before the commit, and by kill -9 from outside while it parses
# 8,000 rows. Each time the database is unchanged (the same snapshots
# and versions), the claimed file waits in work/ (not in incoming/); the
# next run parses it again and applies it once (exit 0), integrity_check
# and verify ok.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
W=$TEST_TMP/spool/work/acme
dbstate() {
	sqlite3 "$DB" "select id, state, sha256 from snapshots order by id" \
		"select key, hash, from_seq, coalesce(to_seq, '') from versions order by 1, 3"
}
# after_kill FILE WHAT: the checks right after a kill while FILE was parsed.
after_kill() {
	dbstate >now.txt
	cmp -s before.txt now.txt && pass "$2: the database is unchanged" ||
		{ fail "$2: the database changed"; diff before.txt now.txt | head >&2; }
	test -f "$W/$1" && pass "$2: $1 waits in work/" || fail "$2: $1 not in work/"
	expect_eq "$(ls -A "$IN")" "" "$2: nothing left in incoming/"
}
# next_run FILES WHAT: the next run applies the claimed file once.
next_run() {
	expect_rc 0 "$2: the next run" L run
	expect_eq "$(applied acme)" "$1" "$2: applied once, in order"
	expect_eq "$(ls -A "$W")" "" "$2: work/ is empty"
	expect_eq "$(sqlite3 "$DB" 'pragma integrity_check')" "ok" "$2: integrity_check ok"
	expect_rc 0 "$2: verify" L verify
}

/usr/bin/python3 "$G" --vehicles 8000 --seed 21 --out a.csv
/usr/bin/python3 "$G" --from a.csv --change-pct 5 --seed 22 --out b.csv
/usr/bin/python3 "$G" --from b.csv --change-pct 5 --seed 23 --out c.csv
/usr/bin/python3 "$G" --from c.csv --change-pct 5 --seed 24 --out d.csv
cp a.csv "$IN/"
expect_rc 0 "the first file" L run
applied_list=a.csv
for step in "b.csv ingest:archived" "c.csv ingest:before-commit"; do
	set -- $step
	dbstate >before.txt
	cp "$1" "$IN/"
	expect_rc 137 "killed at $2 while $1 is parsed" env LOTSYNC_CRASH_AT="$2" "$LOTSYNC" -c "$C" run
	after_kill "$1" "$2"
	applied_list="$applied_list $1"
	next_run "$applied_list" "$2"
done

# kill -9 from outside once the archive copy exists (parsing has begun).
dbstate >before.txt
narch=$(ls spool/archive/acme | wc -l)
cp d.csv "$IN/"
"$LOTSYNC" -c "$C" run >/dev/null 2>&1 &
lot=$!
/usr/bin/python3 -I -S - spool/archive/acme "$narch" "$lot" <<'PY'
import os, signal, sys, time
d, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
end = time.monotonic() + 30
while time.monotonic() < end and len(os.listdir(d)) <= n:
    time.sleep(0.0005)
os.kill(pid, signal.SIGKILL)
PY
wait "$lot"
expect_eq "$?" "137" "killed from outside mid-parse"
after_kill d.csv "kill -9 mid-parse"
next_run "$applied_list d.csv" "kill -9 mid-parse"
finish
