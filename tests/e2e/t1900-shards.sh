#!/bin/sh
# e2e: --shard I/N. 40 drop feeds and 4 file:// targets, 4 shards run at
# the same time on one spool: every feed is ingested exactly once, by the
# shard an independent FNV-1a 64 (Python, below) assigns it, into that
# shard's own database; each target is built and delivered by its feeds'
# shard; a second round changes nothing. A shard's lock does not hold the
# others back; auto/N takes the index from JOB_COMPLETION_INDEX; a target
# whose feeds fall in different shards is a configuration error (78); bad
# --shard values are usage errors (64); metrics_file is per shard with a
# shard label. The systemd template unit of docs/scaling.md passes
# systemd-analyze verify. Input: the dirty corpus's day1.csv (10 vehicles,
# tests/fixtures/dirty/) in every feed.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
C="$TEST_TMP/conf/lotsync.conf"
L() { "$LOTSYNC" -c "$C" "$@"; }
mkdir -p conf metrics

# Feeds d00..d39; per shard the first two of its feeds make one target.
/usr/bin/python3 - "$TEST_TMP" <<'PY' || fail "setup"
import sys
def fnv(s):
    h = 14695981039346656037
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) % 2**64
    return h
top = sys.argv[1]
feeds = ["d%02d" % i for i in range(40)]
shard = {f: fnv(f) % 4 for f in feeds}
with open(top + "/conf/lotsync.conf", "w") as c:
    c.write("[lotsync]\nspool = ../spool\nsettle_seconds = 0\nmetrics_file = ../metrics/lotsync.prom\n\n")
    for f in feeds:
        c.write("[feed:%s]\nsource = drop\nprofile = generic-csv\n\n" % f)
    for s in range(4):
        mine = [f for f in feeds if shard[f] == s]
        assert len(mine) >= 2, s
        c.write("[target:mk%d]\nurl = file://%s/remote%d/\nformat = generic-csv\nfeeds = %s\n\n"
                % (s, top, s, ", ".join(mine[:2])))
for s in range(4):
    open("%s/expect%d" % (top, s), "w").write("".join(f + "\n" for f in feeds if shard[f] == s))
# A target over two shards, for the error case.
a = next(f for f in feeds if shard[f] == 0); b = next(f for f in feeds if shard[f] == 1)
open(top + "/mixed", "w").write("%s %s\n" % (a, b))
PY
chmod 600 "$C"
for s in 0 1 2 3; do mkdir -p "remote$s"; done
i=0
while [ $i -lt 40 ]; do
	f=$(printf 'd%02d' $i)
	mkdir -p "spool/incoming/$f"
	cp "$SRCDIR/tests/fixtures/dirty/day1.csv" "spool/incoming/$f/day1.csv"
	i=$((i + 1))
done

round() { # round N: the 4 shards at once; their exit codes into rcN
	for s in 0 1 2 3; do
		(L --shard $s/4 --now 2026-06-0$1T08:00:00Z run >"run$1-$s.out" 2>&1; echo $? >"rc$1-$s") &
	done
	wait
	expect_eq "$(cat "rc$1-0" "rc$1-1" "rc$1-2" "rc$1-3" | tr '\n' ' ')" "0 0 0 0 " "round $1: the 4 shards exit 0"
}
applied() { # applied S: the feeds shard S's database holds an applied snapshot of
	sqlite3 -readonly "spool/lotsync-$1-of-4.db" \
		"select feed from snapshots where state = 'applied' order by feed"
}
round 1
for s in 0 1 2 3; do
	expect_eq "$(applied $s)" "$(cat "expect$s")" "shard $s ingested exactly its feeds (FNV-1a 64 mod 4)"
	expect_eq "$(ls "remote$s" | wc -l)" 1 "shard $s built and delivered its target mk$s"
done
expect_eq "$(for s in 0 1 2 3; do applied $s; done | sort | uniq -d)" "" "no feed in two shards"
expect_eq "$(for s in 0 1 2 3; do applied $s; done | wc -l)" 40 "all 40 feeds, each once"
expect_eq "$(find spool/incoming spool/work -type f | wc -l)" 0 "nothing left in incoming/ or work/"
[ -e spool/lotsync.db ] && fail "an unsharded database was created"
expect_grep '^lotsync_run_exit_code{shard="2/4"} 0$' metrics/lotsync-2-of-4.prom "metrics_file per shard, with a shard label"

round 2
expect_eq "$(for s in 0 1 2 3; do sqlite3 -readonly "spool/lotsync-$s-of-4.db" "select count(*) from snapshots"; done | tr '\n' ' ')" \
	"$(for s in 0 1 2 3; do wc -l <"expect$s"; done | tr -d ' ' | tr '\n' ' ')" "round 2: no new snapshot anywhere"

# One shard's lock held (flock(1) takes the same kind of lock): that shard
# waits (75), another runs.
expect_rc 75 "shard 1 while its lock is held" flock -n spool/.lock-1-of-4 "$LOTSYNC" -c "$C" --shard 1/4 run
expect_rc 0 "shard 2 while shard 1's lock is held" flock -n spool/.lock-1-of-4 "$LOTSYNC" -c "$C" --shard 2/4 run

# A feed named on the command line that is another shard's.
other=$(head -n 1 expect1)
expect_rc 64 "shard 0 asked for shard 1's feed" L --shard 0/4 ingest "$other"
expect_grep "no feed named '$other' in shard 0/4 of .* (by its name it would be in shard 1)" "$TEST_TMP/err" \
	"the feed's shard is named"

# auto/N: the index of a Kubernetes indexed Job.
expect_rc 0 "auto/4 with JOB_COMPLETION_INDEX=3" env JOB_COMPLETION_INDEX=3 "$LOTSYNC" -c "$C" --json --shard auto/4 status
expect_eq "$(json '"\n".join(f["name"] for f in j["feeds"])' "$TEST_TMP/out")" "$(cat expect3)" "auto/4: shard 3's feeds"
expect_rc 64 "auto/4 without JOB_COMPLETION_INDEX" env -u JOB_COMPLETION_INDEX "$LOTSYNC" -c "$C" --shard auto/4 status
expect_grep "JOB_COMPLETION_INDEX is not set" "$TEST_TMP/err" "auto/4: the reason"
for bad in 4/4 x/4 1/0 1 -1/4 1/4x; do
	expect_rc 64 "--shard $bad is refused" L --shard "$bad" status
done

# A target over two shards: no shard can build it.
cp "$C" mixed.conf
printf '[target:both]\nurl = file://%s/remote0/\nformat = generic-csv\nfeeds = %s, %s\n' \
	"$TEST_TMP" $(cat mixed) >>mixed.conf
expect_rc 78 "a target over two shards" "$LOTSYNC" -c "$TEST_TMP/mixed.conf" --shard 0/4 check-config
expect_grep "\[target:both\]: its feeds fall in different shards of 4" "$TEST_TMP/err" "the target is named"
expect_rc 0 "unsharded, the same configuration is fine" "$LOTSYNC" -c "$TEST_TMP/mixed.conf" check-config

# docs/scaling.md's systemd template unit is a valid unit.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p units
	sed -n '/^# \/etc\/systemd\/system\/lotsync-shard@.service$/,/^```$/p' "$SRCDIR/docs/scaling.md" |
		sed '$d' | sed "s|/usr/local/bin/lotsync|$LOTSYNC|" >units/lotsync-shard@.service
	sed -n '/^# \/etc\/systemd\/system\/lotsync-shard@.timer$/,/^```$/p' "$SRCDIR/docs/scaling.md" |
		sed '$d' >units/lotsync-shard@.timer
	grep -q '^ExecStart=.* --shard %i/4 run$' units/lotsync-shard@.service || fail "the unit was not found in docs/scaling.md"
	cp units/lotsync-shard@.service units/lotsync-shard@0.service
	cp units/lotsync-shard@.timer units/lotsync-shard@0.timer
	expect_rc 0 "systemd-analyze verify the template unit" systemd-analyze verify --man=no \
		units/lotsync-shard@0.service units/lotsync-shard@0.timer
	[ -s "$TEST_TMP/err" ] && fail "systemd-analyze verify warned: $(head -n 5 "$TEST_TMP/err")"
fi
finish
