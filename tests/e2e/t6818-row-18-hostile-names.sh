#!/bin/sh
# e2e, fault matrix: matrix row 18 (hostile remote or spool names). 46
# names a vendor can really create (C0 and C1 control bytes, an ESC
# sequence, bidi controls, leading '-' and ' ', trailing ' ' and '.',
# '%2e%2e%2f' and other encodings of '../', backslashes, DOS device names,
# shell metacharacters, invalid and overlong UTF-8, 250 bytes...) arrive as
# files on the loopback sshd (fetched over SFTP) and in the drop folder;
# a hostile FTP server (pyftpdlib, its MLSD listing replaced) offers 14
# names no file system holds ('../x', '/etc/x', 'a/b', '..', '.', '~/x',
# '..\x', 'dir/'...). Every name is refused with a warning that shows its
# bytes safely (exit 65: "that file"), left alone as hidden (a leading '.',
# like the spool's own files), or taken under a safe name: a fetched file
# lands in incoming/ as [A-Za-z0-9._+~-] only, a claimed drop file stays in
# the spool. No refused remote name is asked for (RETR/SIZE/MDTM); nothing
# appears outside the spool; no raw control byte reaches the log. Before:
# unsafe remote names and a 250-byte one were skipped with exit 0 (the long
# one silently, for ever) and a C1 control (NEL) reached the log raw.
. "$SRCDIR/tests/e2e/lib.sh"
need_servers
. "$SRCDIR/scripts/srvlib.sh"
local_env
server_creds "$TEST_TMP"
touch "$TEST_TMP/start.marker"

# The names (NUL-free; a file system holds any byte but NUL and '/').
/usr/bin/python3 -I -S - names <<'PY'
import os, sys
names = [
    "-rf.csv", "--help.csv", "a\nb.csv", "a\rb.csv", "tab\t.csv", "esc\x1b[31mred.csv", "bel\x07.csv",
    "del\x7f.csv", "nel\xc2\x85.csv", "bidi\u202egnp.csv", "isolate\u2066x.csv", "trailing-space.csv ",
    "trailing-dot.csv.", " leading-space.csv", "%2e%2e%2fevil.csv", "..%2fevil.csv", "%00.csv",
    "%2F..%2Fevil.csv", "con.csv", "NUL.csv", "aux.csv", "COM1.csv", "LPT1.csv", "x" * 246 + ".csv",
    "ünïcödé.csv", "a\uff0fb.csv", "a\u2215b.csv", "a\\b.csv", "..\\evil.csv", "C:\\evil.csv",
    "$(id).csv", "`id`.csv", "; rm -rf ~.csv", "|pipe.csv", "star*.csv", "q?.csv", "[a].csv",
    "quote'.csv", 'dq".csv', "\udcff\udcfe.csv", "\udcc0\udcaf.csv", "a b.csv", "#hash.csv",
    "<lt>.csv", "emoji\U0001F600.csv", "..csv",
]
assert len(set(names)) == len(names) == 46
with open(sys.argv[1], "wb") as f:
    for n in names:
        f.write(n.encode("utf-8", "surrogateescape").hex().encode() + b"\n")
PY
# put_all DIR: one small valid feed file per name in DIR.
put_all() {
	/usr/bin/python3 -I -S - names "$1" <<'PY'
import os, sys
for k, h in enumerate(open(sys.argv[1])):
    n = bytes.fromhex(h.strip())
    vin = "WBA%014d" % k
    open(os.path.join(sys.argv[2].encode(), n), "wb").write(
        b"DealerID,VIN,StockNo\nD1,%s,S%d\n" % (vin.encode(), k))
    os.utime(os.path.join(sys.argv[2].encode(), n), (1700000000 + k, 1700000000 + k))
PY
}
nnames=$(wc -l <names)
# outside: every file created since the start outside the spool and the
# test's own inputs (the SFTP directory, these scripts' files).
outside() {
	find / -xdev -newer "$TEST_TMP/start.marker" -type f \( -path /proc -o -path /sys -o -path "$TEST_TMP/spool" \
		-o -path "$SFTP_ROOT" -o -path "$LOTSYNC_SERVERS" -o -path /dev \) -prune -o -type f \
		\( -name '*evil*' -o -name 'HOSTILE*' \) -print 2>/dev/null
}
evil_files() { find / -xdev \( -path /proc -o -path /sys \) -prune -o -name '*evil.csv' -newer "$TEST_TMP/start.marker" -print 2>/dev/null | grep -v "^$TEST_TMP/\|^$SFTP_ROOT/"; }

# ---- 1. SFTP: the names as real files on the server -------------------------
SD=$SFTP_ROOT/inbox/hostile$$
mkdir -p "$SD"
put_all "$SD"
chown -R "$SFTP_USER" "$SD"
server_section feed:remote "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/" "profile = generic-csv" \
	"vanish_guard = 100%" >>"$C"
expect_rc 65 "SFTP: unsafe remote names are refused" L --now 2026-11-20T08:00:00Z fetch remote
cp "$TEST_TMP/err" sftp.err
skipped=$(grep -c 'skipping remote file with an unsafe name' sftp.err)
long=$(grep -c 'not fetched: its name is longer than 200 bytes' sftp.err)
fetched=$(sqlite3 "$DB" "select count(*) from fetched where feed = 'remote'")
hidden=$(grep -c '^2e' names) # a leading '.': hidden, never listed (as in the drop folder)
echo "SFTP: $fetched fetched under safe names, $skipped refused as unsafe, $long refused as too long, $hidden hidden, of $nnames"
expect_eq "$((fetched + skipped + long + hidden))" "$nnames" "SFTP: every name fetched, refused or hidden"
expect_eq "$skipped:$long" "12:1" "SFTP: 12 unsafe names (control bytes, bidi, backslash, leading '-') and the 250-byte one refused"
expect_eq "$(grep 'unsafe name\|not fetched' sftp.err | grep -c "$(printf '[\001-\037\177]')")" "0" \
	"SFTP: no raw control byte in the warnings"
expect_eq "$(sqlite3 "$DB" "select count(*) from fetched where feed = 'remote' and local not glob '*[^A-Za-z0-9._+~-]*'")" \
	"$fetched" "SFTP: every local name is [A-Za-z0-9._+~-]"
expect_eq "$(find spool/incoming/remote -type f | wc -l)" "$fetched" "SFTP: the fetched files are in incoming/remote"
rm -rf "$SD"

# ---- 2. A hostile FTP server: names no file system holds ---------------------
HP=$(/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p ftproot
printf 'DealerID,VIN,StockNo\nD1,HOSTILEFTP0000001,S1\n' >ftproot/good.csv
/usr/bin/python3 - "$HP" ftproot ftp.log "$(cat "$FTP_PASSWORD_FILE")" <<'PY' &
import logging, os, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, BufferedIteratorProducer
from pyftpdlib.servers import FTPServer
port, root, log, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
HOSTILE = ["../evil.csv", "../../etc/evil.csv", "/etc/evil.csv", "/tmp/lotsync-evil.csv", "sub/../../evil.csv",
           "a/b.csv", "./evil.csv", "..", ".", "....//evil.csv", "~/evil.csv", "..\\..\\evil.csv",
           "%2e%2e/evil.csv", "dir/", "good.csv"]
class H(FTPHandler):
    def ftp_MLSD(self, path):
        size = lambda n: os.path.getsize(os.path.join(root, n)) if n == "good.csv" else 42
        lines = (("type=file;size=%d;modify=20261119080000; %s\r\n" % (size(n), n)).encode() for n in HOSTILE)
        self.push_dtp_data(BufferedIteratorProducer(lines), isproducer=True, cmd="MLSD")
        return path
a = DummyAuthorizer()
a.add_user("u", pw, root, perm="elr")
H.authorizer = a
H.passive_ports = range(port + 1, port + 20)
logging.basicConfig(filename=log, level=logging.INFO)
FTPServer(("127.0.0.1", port), H).serve_forever()
PY
ftpd=$!
srv_wait_listen "$HP" "$ftpd" 10 || fail "the hostile FTP server did not start"
server_section feed:hostile "ftp://u@127.0.0.1:$HP/" "profile = generic-csv" >>"$C"
sed -i '/^\[feed:hostile\]/,/^$/s/^password_file = .*/password_file = secrets\/ftp.pw/' "$C"
expect_rc 65 "hostile FTP listing: refused" L --now 2026-11-20T09:00:00Z fetch hostile
cp "$TEST_TMP/err" ftp.err
hskipped=$(grep -c 'skipping remote file with an unsafe name' ftp.err)
echo "hostile FTP: $hskipped of 14 refused with a warning, 7 hidden (a leading '.')"
expect_eq "$hskipped" "7" "hostile FTP: the 7 names with '/' or '\\' and no leading '.' refused"
expect_eq "$(grep -c 'RETR\|SIZE\|MDTM' ftp.log)" "$(grep -c 'RETR /.*/ftproot/good.csv' ftp.log)" \
	"no refused name was asked for (only good.csv was retrieved)"
expect_eq "$(sqlite3 "$DB" "select local from fetched where feed = 'hostile'")" "good.csv" "the good file fetched"
kill "$ftpd" 2>/dev/null
wait "$ftpd" 2>/dev/null

# ---- 3. The drop folder --------------------------------------------------------
put_all "$IN"
sed -i '/^\[feed:acme\]/a vanish_guard = 100%' "$C"
expect_rc 65 "drop folder: names with control bytes refused" L --now 2026-11-20T10:00:00Z ingest acme
cp "$TEST_TMP/err" drop.err
refused=$(grep -c 'not claimed: its name' drop.err)
claimed=$(sqlite3 "$DB" "select count(*) from snapshots where feed = 'acme'")
echo "drop: $claimed claimed, $refused refused, $hidden hidden, of $nnames"
expect_eq "$((claimed + refused + hidden))" "$nnames" "drop: every name claimed, refused or hidden"
expect_eq "$refused" "7" "drop: the 6 names with C0 control bytes and the 250-byte one refused"
expect_eq "$(/usr/bin/python3 -I -S -c 'import os, sys; print(len(os.listdir(sys.argv[1])))' "$IN")" \
	"$((refused + hidden))" "drop: the refused and hidden ones left in place, nothing else"
expect_eq "$(sqlite3 "$DB" "select count(*) from snapshots where feed = 'acme' and state = 'applied'")" "$claimed" \
	"drop: every claimed file applied"
expect_eq "$(grep 'not claimed\|acme:' drop.err | grep -c "$(printf '[\001-\037\177]\|\302[\200-\237]')")" "0" \
	"drop: no raw control byte (C0 or C1) in the log"

# ---- nothing outside the spool ---------------------------------------------------
expect_eq "$(find /etc /tmp /var/tmp "$SFTP_ROOT" -maxdepth 3 -newer start.marker -name '*evil*' 2>/dev/null)" "" \
	"no *evil* file appeared in /etc, /tmp, /var/tmp or the server's tree"
expect_eq "$(cd "$TEST_TMP" && find . -newer start.marker -type f | grep -v '^\./spool/\|^\./conf/\|^\./ftproot/good\.csv$\|^\./names$\|^\./[a-z]*\.err$\|^\./ftp\.log$\|^\./out$\|^\./err$')" "" \
	"nothing written in the test directory outside the spool"
total=$((nnames * 2 + 14))
echo "$total hostile names tried ($nnames over SFTP, $nnames in the drop folder, 14 from a hostile FTP listing)"
[ "$total" -ge 50 ] && pass "$total hostile names (at least 50)" || fail "only $total names"
finish
