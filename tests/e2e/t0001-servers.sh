#!/bin/sh
# e2e: check the test-server harness itself (scripts/start-*.sh) with curl and
# the OpenSSH sftp client only; lotsync is not involved.
# Env (tests/run-e2e.sh): TEST_TMP (empty private dir), LOTSYNC_SERVERS and
# SFTP_* / FTP_* when the servers are up. Exit 0 pass, 77 skip, else fail.
set -eu

if [ -z "${LOTSYNC_SERVERS:-}" ]; then
	if [ "${LOTSYNC_REQUIRE_SERVERS:-0}" = 1 ]; then
		echo "t0001-servers: FAIL: LOTSYNC_SERVERS unset but LOTSYNC_REQUIRE_SERVERS=1" >&2
		exit 1
	fi
	echo "t0001-servers: SKIP: no test servers (LOTSYNC_SERVERS unset)"
	exit 77
fi
: "${TEST_TMP:?TEST_TMP must be set}"
for v in SFTP_PORT SFTP_USER SFTP_KEY SFTP_KNOWN_HOSTS SFTP_PASSWORD_FILE SFTP_ROOT \
	SFTP_HOST_FPR FTP_PORT FTP_USER FTP_PASSWORD_FILE FTP_CACERT FTP_ROOT FTP_NOTLS_PORT; do
	eval "val=\${$v:-}"
	if [ -z "$val" ]; then
		echo "t0001-servers: FAIL: $v not set" >&2
		exit 1
	fi
done

T=$TEST_TMP
fails=0
log=$T/last.log

ok() { echo "ok   $1"; }
# fail NAME [nolog]: report; show the tail of $log unless "nolog".
fail() {
	echo "FAIL $1" >&2
	if [ "${2:-}" != nolog ] && [ -s "$log" ]; then sed 's/^/     | /' "$log" | tail -n 15 >&2; fi
	fails=$((fails + 1))
}
# check NAME CMD...: CMD must succeed (its output goes to $log).
check() {
	_n=$1
	shift
	if "$@" >"$log" 2>&1; then ok "$_n"; else fail "$_n (exit $?)"; fi
}
# refuse NAME CMD...: CMD must fail.
refuse() {
	_n=$1
	shift
	if "$@" >"$log" 2>&1; then fail "$_n (succeeded, must fail)"; else ok "$_n (refused, exit $?)"; fi
}
# same NAME FILE1 FILE2
same() {
	: >"$log"
	if cmp "$2" "$3" >"$log" 2>&1; then ok "$1"; else fail "$1"; fi
}
# contains NAME FILE STRING
contains() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		[ "$2" = "$log" ] || cp "$2" "$log"
		fail "$1 (no \"$3\")"
	fi
}
# renamed NAME OLD NEW: NEW exists on disk and OLD is gone.
renamed() {
	if [ -e "$3" ] && [ ! -e "$2" ]; then ok "$1"; else fail "$1" nolog; fi
}

pass=$(cat "$SFTP_PASSWORD_FILE")
ftppass=$(cat "$FTP_PASSWORD_FILE")
if [ "$pass" != "$ftppass" ]; then
	fail "SFTP and FTP password files differ" nolog
fi

# Some payload with a CSV feel, CRLF and a UTF-8 byte sequence.
payload=$T/payload.csv
{
	printf 'vin,make,model,price\r\n'
	i=0
	while [ $i -lt 2000 ]; do
		printf '1HGCM82633A%06d,Honda,Accord,%d\r\n' "$i" $((10000 + i))
		i=$((i + 1))
	done
	printf 'WVWZZZ1JZXW000001,Škoda,Octavia,9999\r\n'
} >"$payload"

# ---------------------------------------------------------------- SFTP --------
sftp_base="sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT"
# curl reads known_hosts only from $HOME/.ssh/known_hosts.
good_home=$T/home-good
mkdir -p "$good_home/.ssh"
cp "$SFTP_KNOWN_HOSTS" "$good_home/.ssh/known_hosts"
# -q first: ignore any .curlrc.
sftp_curl() { HOME=$good_home curl -q -sS --connect-timeout 5 --max-time 30 "$@"; }
sftp_key() { sftp_curl --key "$SFTP_KEY" "$@"; }

check "sftp key: upload to \$SFTP_ROOT/upload" \
	sftp_key -T "$payload" "$sftp_base$SFTP_ROOT/upload/a.csv.tmp"
same "sftp key: upload landed in SFTP_ROOT/upload" "$payload" "$SFTP_ROOT/upload/a.csv.tmp"
check "sftp key: rename" \
	sftp_key -Q "rename $SFTP_ROOT/upload/a.csv.tmp $SFTP_ROOT/upload/a.csv" -l "$sftp_base$SFTP_ROOT/upload/"
contains "sftp key: listing after rename shows a.csv" "$log" "a.csv"
renamed "sftp key: rename visible on disk" "$SFTP_ROOT/upload/a.csv.tmp" "$SFTP_ROOT/upload/a.csv"
check "sftp key: download" sftp_key -o "$T/sftp-dl.csv" "$sftp_base$SFTP_ROOT/upload/a.csv"
same "sftp key: download matches" "$payload" "$T/sftp-dl.csv"
# /~/ resolves to the session's start dir, which is SFTP_ROOT.
check "sftp key: /~/ path maps to SFTP_ROOT" sftp_key -o "$T/sftp-dl2.csv" "$sftp_base/~/upload/a.csv"
same "sftp key: /~/ download matches" "$payload" "$T/sftp-dl2.csv"
cp "$payload" "$SFTP_ROOT/inbox/feed.csv"
check "sftp key: list \$SFTP_ROOT/inbox/" sftp_key -l "$sftp_base$SFTP_ROOT/inbox/"
contains "sftp key: inbox listing shows feed.csv" "$log" "feed.csv"
rm -f "$SFTP_ROOT/inbox/feed.csv"
check "sftp key: delete" sftp_key -Q "rm $SFTP_ROOT/upload/a.csv" -l "$sftp_base$SFTP_ROOT/upload/"
if [ ! -e "$SFTP_ROOT/upload/a.csv" ]; then ok "sftp key: delete visible on disk"; else
	fail "sftp key: delete visible on disk" nolog
fi
check "sftp pinned fingerprint (--hostpubsha256)" \
	sftp_key --hostpubsha256 "${SFTP_HOST_FPR#SHA256:}" -l "$sftp_base$SFTP_ROOT/"

# OpenSSH sftp client, strict host key checking against SFTP_KNOWN_HOSTS.
# -F /dev/null: no user ssh config (ssh ignores $HOME for ~/.ssh).
sftp_cli() { # KNOWN_HOSTS BATCHFILE
	sftp -q -F /dev/null -b "$2" -P "$SFTP_PORT" -i "$SFTP_KEY" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o PasswordAuthentication=no \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$1" \
		-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5 \
		"$SFTP_USER@127.0.0.1"
}
cat >"$T/batch" <<EOF
put $payload upload/cli.csv.tmp
rename upload/cli.csv.tmp upload/cli.csv
ls -1 upload
get upload/cli.csv $T/cli-dl.csv
rm upload/cli.csv
EOF
check "sftp CLI: put/rename/ls/get/rm, StrictHostKeyChecking=yes" sftp_cli "$SFTP_KNOWN_HOSTS" "$T/batch"
contains "sftp CLI: ls shows cli.csv" "$log" "cli.csv"
same "sftp CLI: get matches" "$payload" "$T/cli-dl.csv"

# Password login (no key offered: HOME has no id_* files).
check "sftp password login" sftp_curl -u "$SFTP_USER:$pass" -l "$sftp_base$SFTP_ROOT/inbox/"
refuse "sftp wrong password" sftp_curl -u "$SFTP_USER:wrong-$pass" -l "$sftp_base$SFTP_ROOT/inbox/"

# A different host key in known_hosts must be refused.
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other_key"
bad_home=$T/home-bad
mkdir -p "$bad_home/.ssh"
printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 "$T/other_key.pub")" >"$bad_home/.ssh/known_hosts"
refuse "sftp wrong host key (curl known_hosts)" \
	env HOME="$bad_home" curl -q -sS --connect-timeout 5 --max-time 30 --key "$SFTP_KEY" -l "$sftp_base$SFTP_ROOT/"
refuse "sftp wrong host key (sftp CLI)" sftp_cli "$bad_home/.ssh/known_hosts" "$T/batch"
refuse "sftp wrong pinned fingerprint" \
	sftp_key --hostpubsha256 "$(ssh-keygen -lf "$T/other_key.pub" | cut -d' ' -f2 | sed 's/^SHA256://')" \
	-l "$sftp_base$SFTP_ROOT/"

# ---------------------------------------------------------------- FTP ---------
netrc=$T/netrc
(umask 077 && printf 'machine 127.0.0.1 login %s password %s\n' "$FTP_USER" "$ftppass" >"$netrc")
ftp_curl() { curl -q -sS --connect-timeout 5 --max-time 30 --netrc-file "$netrc" "$@"; }
ftp_base="ftp://127.0.0.1:$FTP_PORT"

check "ftp: upload to /upload (chroot = FTP_ROOT)" ftp_curl -T "$payload" "$ftp_base/upload/b.csv.tmp"
same "ftp: upload landed in FTP_ROOT/upload" "$payload" "$FTP_ROOT/upload/b.csv.tmp"
# -Q commands run before the CWD, so paths are relative to the login dir.
check "ftp: RNFR/RNTO rename" \
	ftp_curl -Q "RNFR upload/b.csv.tmp" -Q "RNTO upload/b.csv" -l "$ftp_base/upload/"
contains "ftp: listing after rename shows b.csv" "$log" "b.csv"
renamed "ftp: rename visible on disk" "$FTP_ROOT/upload/b.csv.tmp" "$FTP_ROOT/upload/b.csv"
check "ftp: download" ftp_curl -o "$T/ftp-dl.csv" "$ftp_base/upload/b.csv"
same "ftp: download matches" "$payload" "$T/ftp-dl.csv"
cp "$payload" "$FTP_ROOT/inbox/feed.csv"
check "ftp: list /inbox/" ftp_curl -l "$ftp_base/inbox/"
contains "ftp: inbox listing shows feed.csv" "$log" "feed.csv"
rm -f "$FTP_ROOT/inbox/feed.csv"
check "ftp: DELE" ftp_curl -Q "DELE upload/b.csv" -l "$ftp_base/upload/"
if [ ! -e "$FTP_ROOT/upload/b.csv" ]; then ok "ftp: delete visible on disk"; else
	fail "ftp: delete visible on disk" nolog
fi
check "ftp: plain login on the no-TLS server" ftp_curl -l "ftp://127.0.0.1:$FTP_NOTLS_PORT/upload/"

# ---------------------------------------------------------------- FTPS --------
check "ftps: upload, --ssl-reqd --cacert verifies" \
	ftp_curl -v --ssl-reqd --cacert "$FTP_CACERT" -T "$payload" "$ftp_base/upload/c.csv"
contains "ftps: TLS negotiated and cert verified" "$log" "SSL certificate verify ok"
contains "ftps: data channel protected (PROT P)" "$log" "PROT P"
same "ftps: upload landed" "$payload" "$FTP_ROOT/upload/c.csv"
check "ftps: download" ftp_curl --ssl-reqd --cacert "$FTP_CACERT" -o "$T/ftps-dl.csv" "$ftp_base/upload/c.csv"
same "ftps: download matches" "$payload" "$T/ftps-dl.csv"
rm -f "$FTP_ROOT/upload/c.csv"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-keyout "$T/other-ca.key" -out "$T/other-ca.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
refuse "ftps: cert from another CA is refused" \
	ftp_curl --ssl-reqd --cacert "$T/other-ca.pem" -l "$ftp_base/upload/"
refuse "ftps: --ssl-reqd against the no-TLS server fails (no clear-text fallback)" \
	ftp_curl --ssl-reqd --cacert "$FTP_CACERT" -l "ftp://127.0.0.1:$FTP_NOTLS_PORT/upload/"

if [ $fails -ne 0 ]; then
	echo "t0001-servers: $fails check(s) failed" >&2
	exit 1
fi
echo "t0001-servers: all checks passed"
