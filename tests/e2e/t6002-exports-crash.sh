#!/bin/sh
# e2e: kill -9 at every crash point of a run that ingests, exports (a full
# and a delta target) and delivers (file:// receivers, temp name + rename),
# then run again: every time the receivers end with exactly the files of a
# clean run, each once, no temporary name, one delivery record per file, an
# empty outbox, and delta files that add up to the feed.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
mkdir -p state/conf state/spool/incoming/acme state/rfull state/rdelta
{
	conf_head
	drop_feed acme
	file_target full "$TEST_TMP/work/rfull" acme
	file_target delta "$TEST_TMP/work/rdelta" acme "mode = delta"
} >state/conf/lotsync.conf
chmod 600 state/conf/lotsync.conf
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
G --vehicles 60 --seed 41 --out day1.csv
G --from day1.csv --change-pct 10 --new-pct 5 --vanish-pct 5 --seed 42 --out day2.csv
# The state every iteration starts from: day 1 delivered, day 2 dropped.
rm -rf work && cp -a state work
cp day1.csv work/spool/incoming/acme/
"$LOTSYNC" -c work/conf/lotsync.conf --now 2026-11-20T08:00:00Z run || fail "day 1 run"
cp day2.csv work/spool/incoming/acme/
rm -rf state && mv work state

W() { "$LOTSYNC" -c "$TEST_TMP/work/conf/lotsync.conf" --now 2026-11-21T08:00:00Z "$@"; }
rm -rf work && cp -a state work
n=$(LOTSYNC_CRASH_LIST=1 W run 2>&1 >/dev/null | grep -c '^crash point ')
[ "$n" -ge 10 ] && pass "$n crash points in the run" || fail "only $n crash points"
points=$(rm -rf work && cp -a state work && LOTSYNC_CRASH_LIST=1 W run 2>&1 >/dev/null | sed -n 's/^crash point [0-9]*: //p' | sort -u | tr '\n' ' ')
for p in export-written export-recorded transfer-uploaded deliver-renamed deliver-recorded; do
	case " $points " in
	*" $p "*) pass "crash point $p is reached" ;;
	*) fail "crash point $p is not reached (points: $points)" ;;
	esac
done

check() { # N: the state after crash N and a rerun
	/usr/bin/python3 -I -S - "$TEST_TMP/work" "$TEST_TMP/day2.csv" "$1" <<'PY'
import csv, os, sqlite3, sys
w, day2, n = sys.argv[1], sys.argv[2], sys.argv[3]
errs = []
for t in ("full", "delta"):
    remote = sorted(os.listdir(os.path.join(w, "r" + t)))
    if any(f.startswith(".") for f in remote):
        errs.append("%s: temporary name left: %s" % (t, remote))
    if len(remote) != 2:
        errs.append("%s: %d files on the receiver, want 2: %s" % (t, len(remote), remote))
    out = os.listdir(os.path.join(w, "spool/outbox", t))
    if out:
        errs.append("%s: outbox not empty: %s" % (t, out))
    for f in remote:
        sent = os.path.join(w, "spool/sent", t, f)
        if not os.path.exists(sent) or open(sent, "rb").read() != open(os.path.join(w, "r" + t, f), "rb").read():
            errs.append("%s: %s differs from sent/" % (t, f))
db = sqlite3.connect(os.path.join(w, "spool/lotsync.db"))
for f, st, d in db.execute("select e.file, e.state, (select count(*) from deliveries d where d.export_id = e.id and d.result = 'delivered') from exports e where e.file is not null"):
    if st != "delivered" or d != 1:
        errs.append("%s: state %s, %d delivery records" % (f, st, d))
applied = db.execute("select count(*) from snapshots where state = 'applied'").fetchone()[0]
if applied != 2:
    errs.append("%d applied snapshots, want 2" % applied)
held = set()
for f in sorted(os.listdir(os.path.join(w, "rdelta")), key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0])):
    for r in csv.DictReader(open(os.path.join(w, "rdelta", f), newline="")):
        (held.discard if r["action"] == "deleted" else held.add)(r["VIN"])
want = {r["VIN"] for r in csv.DictReader(open(day2, newline=""))}
if held != want:
    errs.append("delta files add up to %d vehicles, the feed has %d" % (len(held), len(want)))
for e in errs:
    print("crash %s: %s" % (n, e))
sys.exit(1 if errs else 0)
PY
}

i=1
while [ $i -le "$n" ]; do
	rm -rf work && cp -a state work
	LOTSYNC_CRASH_AT=$i W run >/dev/null 2>&1
	rc=$?
	[ $rc -eq 137 ] || fail "crash $i: exit $rc, wanted 137 (SIGKILL)"
	W run >rerun.out 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "crash $i: rerun exit $rc"
		sed 's/^/  | /' rerun.out >&2
	elif check $i; then
		pass "crash $i: converged"
	else
		fail "crash $i: did not converge"
	fi
	i=$((i + 1))
done
finish
