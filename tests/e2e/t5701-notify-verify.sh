#!/bin/sh
# e2e: verify_failed notifications against a real HTTP server on 127.0.0.1
# (scripts/hook-server.py, Python's http.server, as in t5700). A clean
# verify queues and sends nothing (and opens no writable handle: the
# database is unchanged); a verify that finds a tampered archive file
# queues one verify_failed event per failed verify, exactly once, sends it
# when the server is up, keeps it queued while it is down (sent by the
# next verify or run, in order), and exits 65 either way.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hook_pid=""
trap '[ -n "$hook_pid" ] && kill "$hook_pid" 2>/dev/null' EXIT
make_conf "$TEST_TMP"
mkdir -p spool/incoming/acme
cat >>conf/lotsync.conf <<CONF

[notify:ops]
url = http://127.0.0.1:$port/hook
events = verify_failed, held
timeout = 5
CONF
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
up() {
	/usr/bin/python3 "$SRCDIR/scripts/hook-server.py" "$port" hook.log hook.pid &
	hook_pid=$!
	i=0
	while [ ! -s hook.pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s hook.pid ] || fail "hook server did not start"
}
down() { kill "$hook_pid"; wait "$hook_pid" 2>/dev/null; hook_pid=""; rm -f hook.pid; }
hooked() { /usr/bin/python3 -c "import json; print([$1 for d in (json.loads(l) for l in open('hook.log'))])"; }
queued() { sqlite3 -readonly spool/lotsync.db "select count(*) from notify_queue where delivered_at is null"; }

cp "$SRCDIR/conf/demo/feeds/batch1/acme.csv" spool/incoming/acme/a1.csv
expect_rc 0 "run" L --now 2026-11-22T07:00:00Z run
up
sqlite3 -readonly spool/lotsync.db .dump >before.sql
expect_rc 0 "verify (clean)" L --now 2026-11-22T07:10:00Z verify
sqlite3 -readonly spool/lotsync.db .dump >after.sql
cmp -s before.sql after.sql && pass "clean verify: database unchanged" || fail "a clean verify wrote to the database"
[ -e hook.log ] && fail "a clean verify sent: $(cat hook.log)"

# Tamper with the archived copy: verify fails and the hook hears it once.
f=$(find spool/archive -type f | head -n 1)
[ -n "$f" ] || fail "setup: no archived file"
chmod u+w "$f"
printf 'tampered\n' >>"$f"
expect_rc 65 "verify (tampered, server up)" L --now 2026-11-22T07:20:00Z verify
expect_grep '^FAILED: ' "$TEST_TMP/out" "verify says FAILED"
expect_eq "$(hooked "(d['event'], d['at'], d['problems'] > 0, bool(d['first_problem']))")" \
	"[('verify_failed', '2026-11-22T07:20:00Z', True, True)]" "server up: one verify_failed event, with the problem"
expect_eq "$(queued)" 0 "server up: nothing left queued"

# Server down: the second failure stays queued (verify still exits 65, a warning).
down
expect_rc 65 "verify (tampered, server down)" L --now 2026-11-22T07:30:00Z verify
expect_grep 'notify ops: verify_failed event not delivered' "$TEST_TMP/err" "server down: a warning"
expect_eq "$(queued)" 1 "server down: the event is queued"
expect_eq "$(wc -l <hook.log)" 1 "server down: nothing new arrived"
# Back up: the next run sends the queued event once (run's own exit code as without hooks).
up
expect_rc 0 "run (server up again)" L --now 2026-11-22T08:00:00Z run
expect_eq "$(hooked "(d['event'], d['at'])")" \
	"[('verify_failed', '2026-11-22T07:20:00Z'), ('verify_failed', '2026-11-22T07:30:00Z')]" \
	"the queued event arrives once, in order, at the next run"
expect_eq "$(queued)" 0 "queue empty at the end"
# Without a hook that wants it, verify stays read-only.
sed -i 's/^events = verify_failed, held$/events = held/' conf/lotsync.conf
sqlite3 -readonly spool/lotsync.db .dump >before.sql
expect_rc 65 "verify (tampered, no hook wants it)" L --now 2026-11-22T08:10:00Z verify
sqlite3 -readonly spool/lotsync.db .dump >after.sql
cmp -s before.sql after.sql && pass "no hook wants verify_failed: database unchanged" || fail "verify wrote without a hook"
expect_eq "$(wc -l <hook.log)" 2 "no hook wants it: nothing sent"
down
finish
