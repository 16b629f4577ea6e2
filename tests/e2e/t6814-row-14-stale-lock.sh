#!/bin/sh
# e2e, fault matrix: matrix row 14 (stale lock after a crash). The run
# holding spool/.lock is killed with SIGKILL mid-ingest (at the crash point
# after its file was archived, and by kill -9 from outside while it parses a
# big file); spool/.lock is left behind holding the dead run's pid. The
# lock is an flock(2), released by the kernel with the process: the next
# run proceeds at once (exit 0) and finishes the work. A lock file naming a
# live process that holds no lock (pid 1) does not block either.
. "$SRCDIR/tests/e2e/lib.sh"
local_env

/usr/bin/python3 "$G" --vehicles 20000 --seed 141 --out a.csv
cp a.csv "$IN/"
expect_rc 137 "the lock holder is killed mid-ingest" env LOTSYNC_CRASH_AT=ingest:archived "$LOTSYNC" -c "$C" run
test -f spool/.lock && pass "spool/.lock is left behind" || fail "no lock file left"
pid=$(cat spool/.lock)
[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && pass "it names the dead run ($pid)" ||
	fail "lock file content '$pid'"
expect_rc 0 "the next run proceeds" L run
expect_eq "$(applied acme)" "a.csv" "and applies the file the dead run claimed"

# kill -9 from outside while the holder works on 20,000 vehicles.
/usr/bin/python3 "$G" --from a.csv --change-pct 5 --seed 142 --out b.csv
cp b.csv "$IN/"
"$LOTSYNC" -c "$C" run >/dev/null 2>&1 &
lot=$!
i=0
while [ "$(cat spool/.lock 2>/dev/null)" != "$lot" ] && [ $i -lt 500 ]; do
	i=$((i + 1))
	sleep 0.01
done
expect_eq "$(cat spool/.lock)" "$lot" "the second run holds the lock"
kill -KILL "$lot"
wait "$lot"
expect_eq "$?" "137" "killed while holding it"
expect_eq "$(cat spool/.lock)" "$lot" "its pid is left in spool/.lock"
expect_rc 0 "the next run proceeds" L run
expect_eq "$(applied acme)" "a.csv b.csv" "and applies b.csv once"

# A leftover lock file naming a live process: content is only for messages.
echo 1 >spool/.lock
/usr/bin/python3 "$G" --from b.csv --change-pct 5 --seed 143 --out c.csv
cp c.csv "$IN/"
expect_rc 0 "a lock file naming pid 1 (alive, holding no lock) does not block" L run
expect_eq "$(applied acme)" "a.csv b.csv c.csv" "c.csv applied"
expect_eq "$(sqlite3 "$DB" 'pragma integrity_check')" "ok" "integrity_check ok"
expect_rc 0 "verify" L verify
finish
