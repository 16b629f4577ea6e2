#!/bin/sh
# e2e: running it for real. Journal priority prefixes on stderr when
# JOURNAL_STREAM names it. `make install` into a staging directory
# (DESTDIR) puts the binary, the man pages, the systemd units and the cron
# example where PREFIX says; the installed units (ExecStart filled in) pass
# `systemd-analyze verify`, which also fails a broken unit; the timer and
# the service carry the schedule and hardening operators expect.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

stage=$TEST_TMP/stage
expect_rc 0 "make install DESTDIR=stage" make -s -C "$SRCDIR" install DESTDIR="$stage" PREFIX=/usr/local
for f in bin/lotsync share/man/man1/lotsync.1 share/man/man5/lotsync.conf.5 \
	share/man/man5/lotsync-profile.5 lib/systemd/system/lotsync.service \
	lib/systemd/system/lotsync.timer lib/systemd/system/lotsync-failure@.service \
	share/lotsync/examples/lotsync.cron share/lotsync/lotsync.conf.example \
	share/lotsync/profiles/generic-csv.ini share/lotsync/formats/generic-csv.ini; do
	[ -f "$stage/usr/local/$f" ] || fail "make install did not install usr/local/$f"
done
[ -x "$stage/usr/local/bin/lotsync" ] || fail "installed binary is not executable"
expect_grep '^ExecStart=/usr/local/bin/lotsync -c /etc/lotsync/lotsync.conf run$' \
	"$stage/usr/local/lib/systemd/system/lotsync.service" "ExecStart names the installed binary"
MANWIDTH=80 man -l "$stage/usr/local/share/man/man1/lotsync.1" >man.txt 2>&1
expect_grep '^NAME' man.txt "the installed lotsync(1) renders"
# Nothing outside the staging directory: a second PREFIX shows up in ExecStart.
expect_rc 0 "make install PREFIX=/opt/ls DESTDIR=stage2" make -s -C "$SRCDIR" install DESTDIR="$TEST_TMP/stage2" PREFIX=/opt/ls
expect_grep '^ExecStart=/opt/ls/bin/lotsync ' "$TEST_TMP/stage2/opt/ls/lib/systemd/system/lotsync.service" \
	"PREFIX reaches the unit"

# Journal priorities: with JOURNAL_STREAM naming stderr's file (as systemd
# sets it), lines carry <4> (warning) / <6> (info) and no timestamp; a
# JOURNAL_STREAM that names another file (stderr redirected) leaves them off.
jconf() { # jconf DIR FILE: a fresh spool with FILE waiting in the drop folder
	make_conf "$1"
	mkdir -p "$1/spool/incoming/acme"
	cp "$2" "$1/spool/incoming/acme/"
}
: >empty.csv
jconf "$TEST_TMP/j" "$SRCDIR/conf/demo/feeds/batch1/acme.csv"
: >journal.err
stream=$(stat -c '%d:%i' journal.err)
JOURNAL_STREAM=$stream "$LOTSYNC" -v -c "$TEST_TMP/j/conf/lotsync.conf" --now 2026-11-22T07:00:00Z run \
	>/dev/null 2>>journal.err
expect_eq "$?" 0 "a clean run: exit 0"
expect_grep '^<6>info local: exported ' journal.err "info lines carry <6>"
cp empty.csv "$TEST_TMP/j/spool/incoming/acme/"
JOURNAL_STREAM=$stream "$LOTSYNC" -c "$TEST_TMP/j/conf/lotsync.conf" --now 2026-11-22T08:00:00Z run 2>>journal.err
expect_eq "$?" 3 "a held empty file: exit 3"
expect_grep '^<4>warning acme: empty.csv: snapshot 2 held' journal.err "warning lines carry <4>"
if grep -v '^<[3-7]>' journal.err | grep -q .; then
	fail "a line without a priority prefix: $(grep -v '^<[3-7]>' journal.err | head -n 1)"
fi
jconf "$TEST_TMP/j2" empty.csv
JOURNAL_STREAM=$stream "$LOTSYNC" -c "$TEST_TMP/j2/conf/lotsync.conf" --now 2026-11-22T08:00:00Z run 2>other.err
expect_grep '^20[0-9-]*T[0-9:]*Z warning acme: empty.csv' other.err "stderr elsewhere: timestamps, no prefix"
jconf "$TEST_TMP/j3" empty.csv
JOURNAL_STREAM=garbage "$LOTSYNC" -c "$TEST_TMP/j3/conf/lotsync.conf" --now 2026-11-22T08:00:00Z run 2>other.err
expect_grep '^20[0-9-]*T[0-9:]*Z warning acme: empty.csv' other.err "a malformed JOURNAL_STREAM is ignored"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze is not installed (package systemd)"
	exit 77
fi
# verify needs ExecStart to exist: install to a real prefix under TEST_TMP.
prefix=$TEST_TMP/prefix
expect_rc 0 "make install PREFIX=prefix" make -s -C "$SRCDIR" install PREFIX="$prefix"
units=$prefix/lib/systemd/system
expect_rc 0 "systemd-analyze verify the units" systemd-analyze verify --man=no \
	"$units/lotsync.service" "$units/lotsync.timer" "$units/lotsync-failure@.service"
if [ -s "$TEST_TMP/err" ]; then
	fail "systemd-analyze verify warned: $(head -n 5 "$TEST_TMP/err")"
fi

# The check can fail: a relative ExecStart and an unknown directive are refused.
mkdir bad
sed 's|^ExecStart=.*|ExecStart=lotsync run|' "$units/lotsync.service" >bad/lotsync.service
cp "$units/lotsync.timer" bad/
expect_rc 1 "verify refuses a broken unit" systemd-analyze verify --man=no bad/lotsync.service bad/lotsync.timer

svc=$units/lotsync.service timer=$units/lotsync.timer
for want in 'Type=oneshot' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/lotsync/spool' \
	'NoNewPrivileges=yes' 'PrivateTmp=yes' 'OnFailure=lotsync-failure@%n.service'; do
	expect_grep "^$want\$" "$svc" "service: $want"
done
for want in 'OnCalendar=hourly' 'Persistent=true' 'WantedBy=timers.target'; do
	expect_grep "^$want\$" "$timer" "timer: $want"
done
# The timer fires hourly: the next two elapses are an hour apart.
systemd-analyze calendar --iterations=2 hourly >cal.txt 2>&1
expect_grep 'Next elapse: .*:00:00' cal.txt "hourly is on the hour"

# The crontab example is a valid /etc/cron.d line: 5 time fields, user, command.
line=$(grep -v '^#' "$SRCDIR/contrib/cron/lotsync.cron" | grep -v '=' | grep .)
expect_eq "$(echo "$line" | awk '{print (NF >= 7), $6, $7}')" "1 lotsync lotsync" "cron line: schedule, user, command"
finish
