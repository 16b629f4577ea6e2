#!/bin/sh
# start-ftp.sh DIR [PORT]
# Start two real vsftpd daemons on 127.0.0.1 for tests, sharing one data dir:
#   FTP_PORT        plain FTP with explicit FTPS offered (AUTH TLS), not forced
#   FTP_NOTLS_PORT  plain FTP only, no TLS at all (to check that lotsync
#                   refuses to fall back to clear text when FTPS is required)
# Everything lives in DIR except the test user. Writes DIR/ftp.env. Always run
# stop-servers.sh DIR afterwards, also when this script failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=srvlib.sh source-path=SCRIPTDIR
. "$here/srvlib.sh"

srv_start_args "$@"
VSFTPD=/usr/sbin/vsftpd
srv_not_running "a vsftpd" "$VSFTPD" vsftpd vsftpd-notls
NPASV=10

tu_acquire "$dir"
user=$TU_NAME
data=$dir/ftp-data
empty=$dir/vsftpd-empty
cert=$dir/ftps-cert.pem
key=$dir/ftps-key.pem
userlist=$dir/vsftpd.user_list

mkdir -p "$data/inbox" "$data/upload"
chown -R "$user:$user" "$data"
chmod 0755 "$data"
if ! setpriv --reuid="$user" --regid="$user" --clear-groups test -w "$data/upload"; then
	die "user $user cannot reach $data: make $dir and each parent world-searchable (chmod 755)"
fi
# secure_chroot_dir: vsftpd's unprivileged helper chroots here; it must exist
# (Debian's /var/run/vsftpd/empty does not, as the service never started).
mkdir -p "$empty"
chmod 0755 "$empty"
printf '%s\n' "$user" >"$userlist"

# Self-signed cert valid for IP 127.0.0.1, so curl --ssl-reqd --cacert CERT
# verifies it without -k. EC P-256 because it is generated in milliseconds.
rm -f "$cert" "$key"
(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$key" -out "$cert" -days 30 -subj "/CN=$LOOPBACK" \
	-addext "subjectAltName=IP:$LOOPBACK" 2>"$dir/openssl.log") ||
	{
		cat "$dir/openssl.log" >&2
		die "openssl could not make the FTPS certificate"
	}
chmod 0644 "$cert"

write_config() { # FILE PORT PASV_MIN PASV_MAX SSL(YES|NO) LOG
	# curl does not reuse the control TLS session on data connections.
	srv_vsftpd_conf "$1" "$2" "$3" "$4" "$5" NO "$6" \
		port_enable=YES connect_from_port_20=NO allow_anon_ssl=NO require_ssl_reuse=NO \
		dirmessage_enable=NO use_localtime=NO syslog_enable=NO max_clients=100 max_per_ip=100
}

# start_one NAME CONFIG PORT: start one vsftpd; sets pid_started and rc_started
# (0 = listening, 1 = timeout, 2 = died, see srv_wait_listen).
start_one() {
	: >"$dir/$1.out"
	# vsftpd writes its startup errors ("500 OOPS: ...") to fd 0, as if
	# talking to an inetd client: make fd 0 the (read-write) log as well.
	"$VSFTPD" "$2" 0<>"$dir/$1.out" 1>&0 2>&0 &
	pid_started=$!
	srv_record_pid "$dir" "$1" "$pid_started"
	rc_started=0
	srv_wait_listen "$3" "$pid_started" 5 || rc_started=$?
}

attempt=0
while :; do
	attempt=$((attempt + 1))
	# One block of consecutive free ports: [TLS port] NOTLS port, then the
	# passive range shared by both daemons (vsftpd retries another port of
	# the range when one is taken).
	if [ -n "$want_port" ]; then
		port=$want_port
		base=$(srv_free_ports $((NPASV + 1)))
		# keep the given port out of the block
		while [ "$port" -ge "$base" ] && [ "$port" -le $((base + NPASV)) ]; do
			base=$(srv_free_ports $((NPASV + 1)))
		done
		notls_port=$base
	else
		base=$(srv_free_ports $((NPASV + 2)))
		port=$base
		notls_port=$((base + 1))
		base=$notls_port
	fi
	pasv_min=$((base + 1))
	pasv_max=$((base + NPASV))
	write_config "$dir/vsftpd.conf" "$port" "$pasv_min" "$pasv_max" YES "$dir/vsftpd.log"
	write_config "$dir/vsftpd-notls.conf" "$notls_port" "$pasv_min" "$pasv_max" NO "$dir/vsftpd-notls.log"

	start_one vsftpd "$dir/vsftpd.conf" "$port"
	pid=$pid_started
	rc=$rc_started
	if [ $rc -eq 0 ]; then
		start_one vsftpd-notls "$dir/vsftpd-notls.conf" "$notls_port"
		notls_pid=$pid_started
		[ $rc_started -eq 0 ] && break
		srv_kill_tree "$pid" "$notls_pid"
		failed=vsftpd-notls failed_port=$notls_port rc=$rc_started
	else
		srv_kill_tree "$pid"
		failed=vsftpd failed_port=$port
	fi
	if [ -z "$want_port" ] && [ $attempt -lt 3 ] &&
		grep -q 'could not bind' "$dir/$failed.out"; then
		continue
	fi
	srv_start_failed "$failed" "$failed_port" "$rc" "$dir/$failed.out" "$dir/$failed.log"
done

srv_write_env "$dir/ftp.env" <<EOF
# Written by scripts/start-ftp.sh. Source it: . $dir/ftp.env
#
# Paths: vsftpd chroots the user to FTP_ROOT, so FTP paths are relative to it:
#   ftp://$LOOPBACK:$port/inbox/   is   $data/inbox/
# FTP_ROOT is the local directory, for tests to inspect what landed there.
# curl -Q commands (RNFR/RNTO/DELE) run before the CWD to the URL's path, so
# give them paths relative to the login dir (e.g. "RNFR upload/a.csv").
# FTP_PORT offers explicit FTPS (AUTH TLS) but does not force it; the cert is
# self-signed with subjectAltName IP:127.0.0.1 and is its own CA, so
# curl --ssl-reqd --cacert "\$FTP_CACERT" verifies it. FTP_NOTLS_PORT serves
# the same data without any TLS. Passive data ports: FTP_PASV_MIN..FTP_PASV_MAX
# (shared by both daemons).
$(srv_env_common FTP "$port" "$pid" "$user" "$dir")
export FTP_CACERT=$cert
export FTP_ROOT=$data
export FTP_PASV_MIN=$pasv_min
export FTP_PASV_MAX=$pasv_max
export FTP_NOTLS_PORT=$notls_port
export FTP_NOTLS_PID=$notls_pid
export FTP_URL=ftp://$LOOPBACK:$port
export FTP_LOG=$dir/vsftpd.log
EOF
echo "ftp: vsftpd pid $pid on $LOOPBACK:$port (FTPS offered), pid $notls_pid on $LOOPBACK:$notls_port (no TLS), pasv $pasv_min-$pasv_max, root $data, env $dir/ftp.env"
