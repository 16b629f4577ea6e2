#!/bin/sh
# e2e: delivery faults against the real loopback servers (SPEC §7):
#  - SFTP server down: exit 69, the file stays queued, status names the
#    error; the next run delivers it under the same name;
#  - connection cut mid-upload (a proxy stalls the upload, then cuts it):
#    only the temporary name exists remotely; the next run completes it
#    under the final name;
#  - an FTP server that refuses to rename: rename = on fails cleanly (exit
#    69, nothing left remotely), rename = off uploads to the final name;
#  - kill -9 between upload and rename, and between rename and recording
#    (crash points, SFTP and FTP): the next run ends with exactly one final
#    file and one delivery record;
#  - a 40% drop and an empty export lock the target (exit 3), nothing is
#    sent; unlock delivers;
#  - formula cells guarded in text columns, prices untouched; a character
#    outside ISO-8859-15 reported for a mobilede-csv target.
# Fault matrix: matrix row 4 (kill -9 between upload and rename),
# matrix row 6 (connection cut mid-upload).
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
. "$SRCDIR/scripts/srvlib.sh"
cd "$TEST_TMP" || exit 1
mkdir -p spool/incoming/acme
server_creds "$TEST_TMP"
sub=x$$
FTPDIR=$FTP_ROOT/upload/$sub
SFTPDIR=$SFTP_ROOT/upload/$sub
mkdir -p "$FTPDIR" "$SFTPDIR/cut" "$FTPDIR/norename"
chown -R "$FTP_USER" "$FTPDIR" "$SFTPDIR"
ports=$(srv_free_ports 3)
DEAD=$ports PROXY=$((ports + 1)) NORENAME=$((ports + 2))
pids=""
cleanup() {
	[ -n "$pids" ] && srv_kill_tree $pids >/dev/null 2>&1
	rm -rf "$FTPDIR" "$SFTPDIR"
}
trap cleanup EXIT

# The SFTP server's host key, also for the proxy's port.
sed "s/\[127.0.0.1\]:$SFTP_PORT /[127.0.0.1]:$PROXY /" "$SFTP_KNOWN_HOSTS" >>conf/known_hosts

# A vsftpd like the test one that refuses RNFR/RNTO (vsftpd: cmds_denied).
sed -e "s/^listen_port=.*/listen_port=$NORENAME/" -e "s|^vsftpd_log_file=.*|vsftpd_log_file=$TEST_TMP/norename.log|" \
	"$LOTSYNC_SERVERS/vsftpd-notls.conf" >norename.conf
echo "cmds_denied=RNFR,RNTO" >>norename.conf
chmod 600 norename.conf
/usr/sbin/vsftpd "$TEST_TMP/norename.conf" 0<>norename.out 1>&0 2>&0 &
pids="$pids $!"
srv_wait_listen "$NORENAME" "$!" 5 || fail "the rename-refusing vsftpd did not start"

start_proxy() {
	socat TCP-LISTEN:$PROXY,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:$SFTP_PORT &
	proxy=$!
	pids="$pids $proxy"
	srv_wait_listen "$PROXY" "$proxy" 5 || fail "socat did not listen"
}

{
	conf_head
	drop_feed acme "vanish_guard = 100%"
	server_section target:sftp "sftp://$SFTP_USER@127.0.0.1:$DEAD$SFTP_ROOT/upload/$sub/" \
		"format = generic-csv" "feeds = acme"
	server_section target:ftps "ftps://$FTP_USER@127.0.0.1:$FTP_PORT/upload/$sub/" \
		"format = mobilede-csv" "feeds = acme"
} >conf/lotsync.conf
chmod 600 conf/lotsync.conf
C=$TEST_TMP/conf/lotsync.conf
L() { "$LOTSYNC" -c "$C" "$@"; }
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
q() { sqlite3 spool/lotsync.db "$1"; }
# delivery results of the target's export named FILE, in order
results() { q "select group_concat(d.result) from deliveries d join exports e on e.id = d.export_id where e.target = '$1' and e.file = '$2' order by d.id"; }
set_url() { # TARGET URL: point a target somewhere else
	/usr/bin/python3 -I -S - "$C" "$1" "$2" <<'PY'
import re, sys
path, target, url = sys.argv[1:]
text = open(path).read()
head = "[target:%s]\n" % target
i = text.index(head) + len(head)
j = text.index("\n", i)
text = text[:i] + "url = " + url + text[j:]
open(path, "w").write(text)
PY
}

# --- Formula cells and charset, through the whole pipeline ----------------
# A feed row with cells a spreadsheet would run, a negative-looking
# equipment item, and a character outside ISO-8859-15.
G --vehicles 50 --seed 31 --out day1.csv
/usr/bin/python3 - day1.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
r = rows[0]
r["Description"] = '=HYPERLINK("http://evil.example","x")'
r["Trim"] = "@SUM(A1:A9)"
r["Equipment"] = "-2+3|Navi"
r["Make"] = "Škoda ő"
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), list(rows[0].keys()))
w.writeheader()
w.writerows(rows)
PY
cp day1.csv spool/incoming/acme/

# --- SFTP server down: exit 69, queued, status names the error ------------
expect_rc 69 "SFTP down: exit 69" L --now 2026-12-01T08:00:00Z run
expect_grep "U+0151 'ő' cannot be written in iso-8859-15" "$TEST_TMP/err" "character outside ISO-8859-15 reported"
queued=$(ls spool/outbox/sftp)
expect_eq "$(echo "$queued" | wc -w)" "1" "the export stays queued"
L --json status >status.json
expect_eq "$(json '[(t["pending"], t["last_error"]["reply"]) for t in j["targets"] if t["name"] == "sftp"]' status.json)" \
	"[(1, 'cannot connect')]" "status: pending and the last error"
m=$(ls "$FTPDIR" | grep '^ftps-')
/usr/bin/python3 - "$FTPDIR/$m" <<'PY' && pass "mobilede: Š as 0xA6, ő as '?', price untouched" || fail "mobilede file content"
import sys
data = open(sys.argv[1], "rb").read()
first = data.split(b"\r\n")[0].split(b";")
ok = first[3] == b'"\xa6koda ?"' and b"\xc5" not in data
sys.exit(0 if ok else 1)
PY

# The server comes back: the same name, delivered once.
set_url sftp "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SFTP_ROOT/upload/$sub/"
expect_rc 0 "SFTP back: delivered" L --now 2026-12-01T09:00:00Z run
expect_eq "$(ls "$SFTPDIR" | grep -v cut)" "$queued" "delivered under its queued name"
expect_eq "$(results sftp "$queued")" "failed,delivered" "both attempts recorded"
L --json status >status.json
expect_eq "$(json '[t["last_error"] for t in j["targets"] if t["name"] == "sftp"]' status.json)" "[None]" \
	"status: no error after the delivery"
# Formula guard (generic-csv guards text), prices untouched (canonical minor units).
L --json show 1 >show.json
/usr/bin/python3 - "$SFTPDIR/$queued" show.json <<'PY' && pass "formula cells guarded, prices untouched" || fail "formula guard or prices"
import csv, json, sys
rows = {r["VIN"]: r for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))}
canon = {v["key"]: v["fields"] for v in json.load(open(sys.argv[2]))["vehicles"]}
bad = [r for r in rows.values() if r["Description"].startswith("'=HYPERLINK")]
ok = len(bad) == 1 and bad[0]["Trim"] == "'@SUM(A1:A9)" and bad[0]["Equipment"] == "'-2+3|Navi"
ok = ok and bad[0]["Make"] == "Škoda ő"
def auto(m):
    u, c = divmod(int(m), 100)
    return "%d" % u if c == 0 else "%d.%02d" % (u, c)
ok = ok and all(r["Price"] == auto(canon[k]["price"]) for k, r in rows.items())
ok = ok and not any(r["Price"].startswith("'") or r["Mileage"].startswith("'") for r in rows.values())
sys.exit(0 if ok else 1)
PY

# --- Connection cut mid-upload through a proxy ------------------------------
set_url sftp "sftp://$SFTP_USER@127.0.0.1:$PROXY$SFTP_ROOT/upload/$sub/cut/"
G --vehicles 40000 --seed 32 --out big.csv
cp big.csv spool/incoming/acme/
expect_rc 0 "ingest a big inventory" L --now 2026-12-02T08:00:00Z ingest
expect_rc 3 "50 -> 40000 vehicles locks the targets" L --now 2026-12-02T08:00:00Z export
L unlock sftp >/dev/null && L unlock ftps >/dev/null
# cut_upload: run 'deliver sftp' through a proxy that forwards only the
# first 256 KiB lotsync sends (the SSH handshake and the start of the file),
# so the upload cannot finish on its own; once the temporary file on the
# server holds bytes, the proxy cuts both connections. Deterministic: it
# waits on that condition (the deadline only turns a hang into a failure).
# Prints lotsync's exit status, or "not cut: ..." when the condition never held.
cut_upload() {
	/usr/bin/python3 -I -S - "$LOTSYNC" "$C" "$SFTPDIR/cut" "$PROXY" "$SFTP_PORT" <<'PY'
import os, socket, subprocess, sys, threading, time
lotsync, conf, remote = sys.argv[1:4]
port, upstream = int(sys.argv[4]), int(sys.argv[5])
LIMIT = 256 << 10
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
conns = []
def pump(src, dst, limit):
    sent = 0
    try:
        while limit is None or sent < limit:
            b = src.recv(65536 if limit is None else min(65536, limit - sent))
            if not b:
                break
            dst.sendall(b)
            sent += len(b)
    except OSError:
        pass
def serve():
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            return
        u = socket.create_connection(("127.0.0.1", upstream))
        conns.extend([c, u])
        threading.Thread(target=pump, args=(c, u, LIMIT), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, None), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
p = subprocess.Popen([lotsync, "-c", conf, "--now", "2026-12-02T08:30:00Z", "deliver", "sftp"],
                     stdout=subprocess.DEVNULL, stderr=open("cut.err", "w"))
def partial():
    for n in os.listdir(remote):
        try:
            if n.endswith(".part") and os.path.getsize(os.path.join(remote, n)) > 0:
                return True
        except FileNotFoundError:
            pass
    return False
deadline = time.monotonic() + 60
while not partial():
    if p.poll() is not None or time.monotonic() > deadline:
        print("not cut: lotsync %s" % ("exit %d" % p.returncode if p.poll() is not None else "hung"))
        p.kill()
        p.wait()
        sys.exit(0)
    time.sleep(0.05)
ls.close()
for s in conns:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
print(p.wait())
PY
}
rc=$(cut_upload)
[ "$rc" = 69 ] && cut=yes || { cut=""; echo "cut_upload: $rc" >&2; }
if [ -n "$cut" ]; then
	pass "connection cut mid-upload: exit 69"
	expect_grep "sftp" cut.err "the failure is reported"
	expect_eq "$(ls "$SFTPDIR/cut")" "" "no final name on the server"
	expect_eq "$(ls -A "$SFTPDIR/cut" | grep -c '^\..*\.part$')" "1" "only the temporary name exists"
	start_proxy
	expect_rc 0 "next run completes it" L --now 2026-12-02T09:00:00Z run
	f=$(ls "$SFTPDIR/cut")
	expect_eq "$(ls -A "$SFTPDIR/cut")" "$f" "one final file, no temporary name left"
	cmp -s "$SFTPDIR/cut/$f" "spool/sent/sftp/$f" && pass "remote bytes equal the export" || fail "remote $f differs"
	expect_eq "$(results sftp "$f")" "failed,delivered" "the cut attempt and the delivery recorded"
else
	fail "connection cut mid-upload: wanted exit 69, got $rc"
fi

# --- A server that refuses to rename ---------------------------------------
server_section target:norename "ftp://$FTP_USER@127.0.0.1:$NORENAME/upload/$sub/norename/" \
	"format = google-vehicle-csv" "feeds = acme" "deviation_lock = 1000%" >>conf/lotsync.conf
expect_rc 0 "export for the rename-refusing server" L --now 2026-12-03T08:00:00Z export norename
expect_rc 69 "rename refused, rename = on: exit 69" L --now 2026-12-03T08:00:00Z deliver norename
expect_grep "550" "$TEST_TMP/err" "the server's refusal is shown"
expect_grep "set rename = off for target norename" "$TEST_TMP/err" "the way out is named"
expect_eq "$(ls -A "$FTPDIR/norename")" "" "nothing left on the server (temporary file removed)"
nr=$(ls spool/outbox/norename)
echo "rename = off" >>conf/lotsync.conf
expect_rc 0 "rename = off uploads straight to the final name" L --now 2026-12-03T09:00:00Z deliver norename
expect_eq "$(ls -A "$FTPDIR/norename")" "$nr" "delivered under its final name"
expect_eq "$(results norename "$nr")" "failed,delivered" "both attempts recorded"

# --- kill -9 between upload and rename, and between rename and record ------
set_url sftp "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SFTP_ROOT/upload/$sub/"
crash_case() { # TARGET DIR POINT DAY
	L --now "$4T07:00:00Z" export --full "$1" >/dev/null 2>&1
	f=$(ls "spool/outbox/$1")
	expect_rc 137 "$1: killed at $3" env LOTSYNC_CRASH_AT="$3" "$LOTSYNC" -c "$C" --now "$4T08:00:00Z" deliver "$1"
	case $3 in
	transfer-uploaded) expect_eq "$(ls -A "$2" | grep -c "^\.$f\.part$")" "1" "$1: only the temporary name after the kill" ;;
	deliver-renamed) test -f "$2/$f" && pass "$1: final name on the server, not yet recorded" || fail "$1: $f missing" ;;
	esac
	expect_rc 0 "$1: next run after $3" L --now "$4T09:00:00Z" deliver "$1"
	expect_eq "$(ls -A "$2" | grep -c -F "$f")" "1" "$1: exactly one final file after $3"
	expect_eq "$(results "$1" "$f")" "delivered" "$1: exactly one delivery record after $3"
	cmp -s "$2/$f" "spool/sent/$1/$f" && pass "$1: remote bytes equal the export" || fail "$1: $f differs"
}
crash_case sftp "$SFTPDIR" transfer-uploaded 2026-12-04
crash_case sftp "$SFTPDIR" deliver-renamed 2026-12-05
crash_case ftps "$FTPDIR" deliver-renamed 2026-12-06

# --- 40% drop and empty export lock; unlock delivers ------------------------
G --from big.csv --change-pct 0 --new-pct 0 --vanish-pct 40 --seed 33 --out drop.csv
cp drop.csv spool/incoming/acme/
before=$(ls "$FTPDIR" | wc -l)
expect_rc 3 "40% drop: exit 3" L --now 2026-12-07T08:00:00Z run acme
expect_grep "from 40000 to 24000" "$TEST_TMP/err" "lock names both counts"
expect_eq "$(ls "$FTPDIR" | wc -l)" "$before" "nothing sent while locked"
expect_rc 0 "unlock" L unlock ftps
expect_rc 0 "unlock delivers" L --now 2026-12-07T09:00:00Z deliver ftps
expect_eq "$(ls "$FTPDIR" | wc -l)" "$((before + 1))" "the unlocked file is delivered"
sed -i "/^\[target:ftps\]/a auto_release = no" conf/lotsync.conf
before=$(ls "$FTPDIR" | wc -l)
expect_rc 3 "empty export: exit 3" L --now 2026-12-08T08:00:00Z run acme
expect_grep "the export is empty; the last delivery had 24000 vehicles" "$TEST_TMP/err" "empty export locks"
expect_eq "$(ls "$FTPDIR" | wc -l)" "$before" "the empty file is not sent"
expect_eq "$(ls -A "$FTPDIR" "$SFTPDIR" "$SFTPDIR/cut" | grep -c '\.part$')" "0" "no temporary names left anywhere"
finish
