#!/bin/sh
# e2e, fault matrix: matrix row 3 (kill -9 during the database commit).
# From one applied snapshot, a delta file is ingested and lotsync is killed
# with SIGKILL: just before its COMMIT, just after it, and at random
# moments over the whole run (6 kills spread over its measured length,
# the commit loop included). Right after each kill the current versions are
# all or nothing: exactly those of the old snapshot or exactly those of the
# new one, integrity_check ok. The next run exits 0 and reaches the state
# of an uninterrupted run (the delta applied once), verify ok (an archive
# copy written before the kill is the applied snapshot's, not an orphan),
# no temporary file left. A copy killed midway (into archive/, work/ or
# failed/, or the state record's) leaves a .tmp- file that the next run
# removes: placed by hand too, as a random kill lands there only by chance
# (under load one did, and before the fix no run ever removed it). t6000
# kills at every crash point of a longer run.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
G=$SRCDIR/scripts/mkfeed.py
make_conf "$TEST_TMP/base"
/usr/bin/python3 "$G" --vehicles 6000 --seed 31 --out a.csv
/usr/bin/python3 "$G" --from a.csv --change-pct 20 --new-pct 5 --vanish-pct 5 --seed 32 --out b.csv
mkdir -p base/spool/incoming/acme
cp a.csv base/spool/incoming/acme/
"$LOTSYNC" -c base/conf/lotsync.conf --now 2026-11-20T08:00:00Z run >/dev/null 2>&1 || fail "base run"
# The receiver path is per copy: file://DIR/outbox-remote/.
sed -i "s|file://$TEST_TMP/base/|file://@ROOT@/|" base/conf/lotsync.conf

fresh() { # DIR: a copy of the base state with b.csv dropped
	rm -rf "$1"
	cp -a base "$1"
	sed -i "s|@ROOT@|$TEST_TMP/$1|" "$1/conf/lotsync.conf"
	cp b.csv "$1/spool/incoming/acme/"
}
run() { "$LOTSYNC" -c "$1/conf/lotsync.conf" --now 2026-11-21T08:00:00Z run; }
current() { sqlite3 "$1/spool/lotsync.db" "select key, hash from versions where to_seq is null order by key"; }
state() {
	current "$1"
	sqlite3 "$1/spool/lotsync.db" "select file, state, seq from snapshots order by id" \
		"select target, file, state from exports order by id"
}
current base >old.txt
fresh ref
start=$(date +%s%N)
run ref >/dev/null 2>&1 || fail "the uninterrupted run"
ms=$((($(date +%s%N) - start) / 1000000))
current ref >new.txt
state ref >ref.txt
[ -s old.txt ] && ! cmp -s old.txt new.txt && pass "the delta changes the current versions" ||
	fail "the base or the delta is empty: the test would prove nothing"
echo "an uninterrupted run takes $ms ms"

# check DIR WHAT: all or nothing after the kill; the next run converges.
check() {
	current "$1" >cur.txt
	if cmp -s cur.txt old.txt; then
		pass "$2: nothing of the new snapshot"
	elif cmp -s cur.txt new.txt; then
		pass "$2: all of the new snapshot"
	else
		fail "$2: a mix of old and new versions"
	fi
	expect_eq "$(sqlite3 "$1/spool/lotsync.db" 'pragma integrity_check')" "ok" "$2: integrity_check ok"
	expect_rc 0 "$2: the next run" run "$1"
	state "$1" >got.txt
	cmp -s ref.txt got.txt && pass "$2: converged to the uninterrupted state" ||
		{ fail "$2: state differs"; diff ref.txt got.txt | head >&2; }
	expect_rc 0 "$2: verify" "$LOTSYNC" -c "$1/conf/lotsync.conf" verify
	expect_eq "$(find "$1" -name '.tmp-*' -o -name '*.part' | wc -l)" "0" "$2: no temporary file left"
	rm -rf "$1"
}

for point in ingest:before-commit ingest:committed; do
	fresh k
	expect_rc 137 "killed at $point" env LOTSYNC_CRASH_AT=$point "$LOTSYNC" -c k/conf/lotsync.conf \
		--now 2026-11-21T08:00:00Z run
	check k "$point"
done
i=1
while [ $i -le 6 ]; do
	fresh k
	delay=$((ms * i / 6))
	"$LOTSYNC" -c k/conf/lotsync.conf --now 2026-11-21T08:00:00Z run >/dev/null 2>&1 &
	lot=$!
	/usr/bin/python3 -I -S -c 'import time, sys; time.sleep(int(sys.argv[1]) / 1000)' "$delay"
	kill -KILL $lot 2>/dev/null
	wait $lot
	echo "kill $i at ${delay} ms: exit $?"
	check k "kill $i at ${delay} ms"
	i=$((i + 1))
done
# Leftovers of a run killed mid-copy, placed by hand (a random kill lands in
# a copy only by chance): the next run removes each one and says so.
fresh k
run k >/dev/null 2>&1 || fail "a clean run"
for f in spool/archive/acme/.tmp-sha256-Ab12Cd spool/work/acme/.tmp-b.csv-Ab12Cd \
	spool/failed/acme/.tmp-bad.csv-Ab12Cd spool/.tmp-lotsync.state-Ab12Cd; do
	mkdir -p "k/${f%/*}"
	echo partial >"k/$f"
done
expect_rc 0 "a run after a killed copy" "$LOTSYNC" -c k/conf/lotsync.conf -v --now 2026-11-22T08:00:00Z run
expect_eq "$(find k -name '.tmp-*' | wc -l)" "0" "the four leftovers removed"
expect_eq "$(grep -c 'left by an interrupted run' "$TEST_TMP/err")" "4" "each removal logged"
rm -rf k
finish
