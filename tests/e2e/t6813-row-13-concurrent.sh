#!/bin/sh
# e2e, fault matrix: matrix row 13 (concurrent runs). Ten `lotsync run`
# started at the same instant (a launcher forks them, then releases them
# together) while a 20,000-vehicle file waits: exactly one works (applies
# the file), the others exit 75 saying that another run holds spool/.lock
# and naming its pid (a run scheduled after the winner ended may find the
# lock free and nothing to do: 0, nothing applied). Twice, the second time
# with a delta on top; each file applied once, in order, integrity_check
# ok. (t0002 catches a run holding the lock: a second one exits 75.)
. "$SRCDIR/tests/e2e/lib.sh"
local_env

# storm N NOW: start N runs at once; print each one's exit status and,
# for the refused ones, whether stderr says who holds the lock.
storm() {
	/usr/bin/python3 -I -S - "$LOTSYNC" "$C" "$2" "$1" <<'PY'
import os, subprocess, sys
lotsync, conf, now, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
r, w = os.pipe()
procs = []
for i in range(n):
    # Each child blocks on the pipe until all are forked, then execs lotsync.
    gate = f"read -r _ <&{r}; exec \"$0\" -c \"$1\" --now \"$2\" run"
    procs.append(subprocess.Popen(["sh", "-c", gate, lotsync, conf, now], pass_fds=(r,),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
os.write(w, b"\n" * n)
for p in procs:
    err = p.communicate()[1].decode(errors="replace")
    holder = "another lotsync run holds" in err and "spool/.lock (pid " in err
    print(p.returncode, "holder-named" if holder else "-")
PY
}

/usr/bin/python3 "$G" --vehicles 20000 --seed 13 --out day1.csv
/usr/bin/python3 "$G" --from day1.csv --change-pct 5 --seed 14 --out day2.csv
round=1
for f in day1.csv day2.csv; do
	cp "$f" "$IN/$f"
	storm 10 "2026-11-2${round}T08:00:00Z" >storm$round.txt
	cat storm$round.txt
	# A run scheduled only after the winner finished (a loaded machine) finds
	# the lock free and nothing new: it exits 0 and applies nothing.
	expect_eq "$(grep -vc '^0 -$\|^75 holder-named$' storm$round.txt)" "0" \
		"round $round: every run exits 0 or 75, each 75 naming the lock and its holder"
	refused=$(grep -c '^75 ' storm$round.txt)
	[ "$refused" -ge 5 ] && pass "round $round: $refused of 10 refused while one worked" ||
		fail "round $round: only $refused of 10 runs met the lock"
	expect_eq "$(sqlite3 "$DB" "select count(*) from snapshots where file = '$f'")" "1" \
		"round $round: exactly one run applied $f"
	round=$((round + 1))
done
expect_eq "$(applied acme)" "day1.csv day2.csv" "each file applied once, in order"
expect_eq "$(sqlite3 "$DB" 'select count(*) from snapshots')" "2" "no other snapshot"
expect_eq "$(sqlite3 "$DB" 'pragma integrity_check')" "ok" "integrity_check ok"
expect_rc 0 "verify" L verify
finish
