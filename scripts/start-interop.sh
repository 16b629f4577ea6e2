#!/bin/sh
# start-interop.sh DIR NAME KIND [SETTING=VALUE...]
# Start one more FTP server on 127.0.0.1 for the interoperability tests,
# configured like servers vendors run, with its own data dir DIR/NAME-data
# (inbox/ and upload/, owned by the test user). Writes DIR/NAME.env with
# NAME_PORT NAME_PID NAME_ROOT NAME_LOG NAME_CACERT NAME_URL (NAME upper-
# cased) and, like start-ftp.sh, FTP_USER / FTP_PASSWORD_FILE. Stop with
# stop-servers.sh DIR (it kills every daemon recorded in DIR/pids).
#
# KIND and its settings:
#   vsftpd   tz=ZONE         use_localtime=YES under TZ=ZONE (Debian's stock
#                            setting: MDTM in local time)
#            tls=offer|require   require_ssl_reuse=YES as in vsftpd's default
#                            (debug_ssl=YES: the log names each TLS version)
#            active=only     pasv_enable=NO: active mode (PORT/EPRT) only
#   vsftpd, proftpd, pureftpd: rate=BYTES  uploads slowed to BYTES/s
#                            (vsftpd local_max_rate, ProFTPD TransferRate
#                            STOR, Pure-FTPd -T), so that an upload lasts
#                            long enough to be cut (SFTP: scripts/slowproxy.py)
#   vsftpd, proftpd, pureftpd: clock=SECONDS  the daemon runs under
#                            libfaketime, its clock SECONDS ahead; NAME_CLOCK
#                            in NAME.env tells writers to stamp files with it
#   proftpd  (from the private root of scripts/interop-root.sh)
#            facts=off       FactsAdvertise off (no MLST in FEAT)
#            overwrite=off   AllowOverwrite off (ProFTPD's default)
#            tls=offer|require|tls13|tls11   explicit FTPS; tls13 = TLS 1.3
#                            only, tls11 = TLS 1.1 only (a server too old)
#            maxperip=N      MaxConnectionsPerHost N
#            sftp=on         mod_sftp instead of FTP (publickey login; adds
#                            NAME_KEY and NAME_KNOWN_HOSTS; paths relative to
#                            DefaultRoot: sftp://user@127.0.0.1:PORT/inbox/)
#   pureftpd (from the private root of scripts/interop-root.sh) with a
#            virtual user (pure-pw, chrooted to its data dir)
#            tls=offer|require  -Y 1 / -Y 2; maxperip=N  -C N;
#            keep=on  -K (uploads allowed, deletes refused)
#   sshchroot  OpenSSH sshd, SFTP only, ChrootDirectory + ForceCommand
#            internal-sftp as vendors set up drop accounts; the chroot must be
#            root-owned all the way up, so it lives in /run/lotsync-iop/
#            (recorded in DIR/extra-dirs, removed by stop-servers.sh). Adds
#            NAME_KEY and NAME_KNOWN_HOSTS; paths are relative to the chroot
#            (sftp://user@127.0.0.1:PORT/inbox/).
#   pyftpd   mlst=off mdtm=off size=off clock=SECONDS maxperip=N dele=off
#            faildata=N (the first N RETR/STOR get a 425)
#            (see scripts/pyftpd.py)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=srvlib.sh source-path=SCRIPTDIR
. "$here/srvlib.sh"

[ $# -ge 3 ] || die "usage: $0 DIR NAME vsftpd|proftpd|pyftpd [SETTING=VALUE...]"
srv_require_root
dir=$(srv_absdir "$1")
name=$2
kind=$3
shift 3
case $name in *[!a-z0-9]* | '') die "NAME must be [a-z0-9]+: $name" ;; esac
srv_mark "$dir"
up=$(printf '%s' "$name" | tr a-z A-Z)
sftp=off keep=off tz="" tls=none facts=on overwrite=on maxperip=0 mlst=on mdtm=on clock=0 dele=on size=on faildata=0 rate=0 active=off
for kv in "$@"; do
	case $kv in
	tz=*) tz=${kv#tz=} ;;
	tls=*) tls=${kv#tls=} ;;
	facts=*) facts=${kv#facts=} ;;
	overwrite=*) overwrite=${kv#overwrite=} ;;
	maxperip=*) maxperip=${kv#maxperip=} ;;
	mlst=*) mlst=${kv#mlst=} ;;
	mdtm=*) mdtm=${kv#mdtm=} ;;
	clock=*) clock=${kv#clock=} ;;
	dele=*) dele=${kv#dele=} ;;
	size=*) size=${kv#size=} ;;
	keep=*) keep=${kv#keep=} ;;
	sftp=*) sftp=${kv#sftp=} ;;
	faildata=*) faildata=${kv#faildata=} ;;
	rate=*) rate=${kv#rate=} ;;
	active=*) active=${kv#active=} ;;
	*) die "unknown setting $kv" ;;
	esac
done
NPASV=6

tu_acquire "$dir"
user=$TU_NAME
data=$dir/$name-data
log=$dir/$name.log
conf=$dir/$name.conf
cert=$dir/interop-cert.pem
key=$dir/interop-key.pem
mkdir -p "$data/inbox" "$data/upload"
chown -R "$user:$user" "$data"
chmod 0755 "$data"
if [ ! -s "$cert" ]; then
	(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$key" -out "$cert" -days 30 -subj "/CN=$LOOPBACK" \
		-addext "subjectAltName=IP:$LOOPBACK" 2>"$dir/interop-openssl.log") ||
		die "openssl could not make the FTPS certificate"
	chmod 0644 "$cert"
fi

vsftpd_conf() { # PORT PASV_MIN PASV_MAX
	empty=$dir/vsftpd-empty
	mkdir -p "$empty"
	chmod 0755 "$empty"
	printf '%s\n' "$user" >"$dir/$name.user_list"
	ssl=NO force=NO
	case $tls in offer) ssl=YES ;; require) ssl=YES force=YES ;; esac
	userlist=$dir/$name.user_list
	srv_vsftpd_conf "$conf" "$1" "$2" "$3" "$ssl" "$force" "$log" \
		"# server $name" \
		"# Debian's stock settings this server stands for" require_ssl_reuse=YES \
		"use_localtime=$([ -n "$tz" ] && echo YES || echo NO)" \
		"max_per_ip=$([ "$maxperip" -gt 0 ] && echo "$maxperip" || echo 100)" \
		"debug_ssl=$([ "$ssl" = YES ] && echo YES || echo NO)" \
		"local_max_rate=$rate" \
		"$([ "$active" = only ] && echo "pasv_enable=NO" || echo "pasv_enable=YES")" \
		"port_enable=YES" "connect_from_port_20=NO" "port_promiscuous=NO"
}

proftpd_conf() { # PORT PASV_MIN PASV_MAX
	root=$("$here/interop-root.sh") || die "no ProFTPD (scripts/interop-root.sh failed)"
	mkdir -p "$dir/$name-run"
	tlsblock=""
	case $tls in
	offer | require | tls13 | tls11)
		req=off proto="TLSv1.2 TLSv1.3"
		[ "$tls" = offer ] || req=on
		[ "$tls" = tls13 ] && proto=TLSv1.3
		[ "$tls" = tls11 ] && proto=TLSv1.1
		tlsblock="LoadModule mod_tls.c
<IfModule mod_tls.c>
TLSEngine on
TLSRequired $req
TLSProtocol $proto
TLSECCertificateFile $cert
TLSECCertificateKeyFile $key
TLSVerifyClient off
TLSLog $dir/$name-tls.log
</IfModule>"
		;;
	esac
	if [ "$sftp" = on ]; then
		[ -e "$dir/$name-hostkey" ] || {
			ssh-keygen -q -t ed25519 -N '' -C lotsync-iop-host -f "$dir/$name-hostkey"
			ssh-keygen -q -t ed25519 -N '' -C lotsync-iop-client -f "$dir/$name-key"
			# mod_sftp reads authorized keys in RFC 4716 format
			ssh-keygen -e -f "$dir/$name-key.pub" >"$dir/$name-authkeys"
			chmod 0644 "$dir/$name-authkeys"
		}
		tlsblock="LoadModule mod_sftp.c
<IfModule mod_sftp.c>
SFTPEngine on
SFTPLog $dir/$name-sftp.log
SFTPHostKey $dir/$name-hostkey
SFTPAuthMethods publickey
SFTPAuthorizedUserKeys file:$dir/$name-authkeys
</IfModule>"
	fi
	cat >"$conf" <<CONF
# generated by scripts/start-interop.sh ($name); loopback only
ModulePath $root/usr/lib/proftpd
$tlsblock
ServerType standalone
ServerName "lotsync interop $name"
DefaultAddress $LOOPBACK
SocketBindTight on
UseIPv6 off
Port $1
PassivePorts $2 $3
MasqueradeAddress $LOOPBACK
User nobody
Group nogroup
PidFile $dir/$name-run/proftpd.pid
ScoreboardFile $dir/$name-run/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
AuthPAM off
AuthOrder mod_auth_unix.c
RequireValidShell off
DefaultRoot $data
Umask 022
SystemLog $log
TransferLog $dir/$name-xfer.log
ExtendedLog $dir/$name-cmd.log ALL
FactsAdvertise $facts
AllowOverwrite $overwrite
$([ "$rate" -gt 0 ] && echo "TransferRate STOR $((rate / 1024))")
$([ "$maxperip" -gt 0 ] && echo "MaxConnectionsPerHost $maxperip")
CONF
	proftpd_bin=$root/usr/sbin/proftpd
	"$proftpd_bin" -t -c "$conf" >"$dir/$name.out" 2>&1 ||
		{
			cat "$dir/$name.out" >&2
			die "proftpd refused $conf"
		}
}

pureftpd_conf() {
	root=$("$here/interop-root.sh") || die "no Pure-FTPd (scripts/interop-root.sh failed)"
	pure_bin=$root/usr/sbin/pure-ftpd
	rm -f "$dir/$name.passwd" "$dir/$name.pdb"
	pw=$(cat "$dir/testuser.password")
	# The line `pure-pw useradd USER -u UID -g GID -d DATA` writes, but with
	# a SHA-512 crypt(3) hash, which Pure-FTPd also takes: pure-pw's own
	# argon2id (511 passes) costs 1-5 s per login on 2 busy cores, and these
	# tests are about the server's behaviour, not its password hashing.
	hash=$(printf '%s' "$pw" | openssl passwd -6 -salt lotsynciop -stdin)
	printf '%s:%s:%s:%s::%s/./::::::::::::\n' "$user" "$hash" "$(id -u "$user")" "$(id -g "$user")" \
		"$data" >"$dir/$name.passwd"
	"$root/usr/bin/pure-pw" mkdb "$dir/$name.pdb" -f "$dir/$name.passwd" >"$dir/$name.out" 2>&1 ||
		die "pure-pw mkdb failed: $(cat "$dir/$name.out")"
	: >"$conf"
}

sshchroot_conf() { # PORT
	[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd not found (scripts/deps.sh)"
	mkdir -p /run/sshd /run/lotsync-iop
	chmod 0755 /run/sshd /run/lotsync-iop
	if [ -z "${chroot:-}" ]; then
		chroot=$(mktemp -d /run/lotsync-iop/chroot.XXXXXX)
		chmod 0755 "$chroot"
		printf '%s\n' "$chroot" >>"$dir/extra-dirs"
		mkdir -p "$chroot/inbox" "$chroot/upload"
		chown "$user:$user" "$chroot/inbox" "$chroot/upload"
		rm -rf "$data"
		data=$chroot
		ssh-keygen -q -t ed25519 -N '' -C lotsync-iop-host -f "$dir/$name-hostkey"
		ssh-keygen -q -t ed25519 -N '' -C lotsync-iop-client -f "$dir/$name-key"
		cp "$dir/$name-key.pub" "$dir/$name-authkeys"
		chmod 0644 "$dir/$name-authkeys"
	fi
	cat >"$conf" <<CONF
# generated by scripts/start-interop.sh ($name); SFTP only, loopback only
ListenAddress $LOOPBACK
Port $1
HostKey $dir/$name-hostkey
PidFile $dir/$name.pid
AllowUsers $user
PermitRootLogin no
StrictModes no
AuthorizedKeysFile $dir/$name-authkeys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp internal-sftp
ChrootDirectory $chroot
ForceCommand internal-sftp
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
LogLevel VERBOSE
CONF
	/usr/sbin/sshd -t -f "$conf" || die "sshd -t rejected $conf"
}

# The daemon's clock: libfaketime preloaded directly (not the faketime
# wrapper, which forks and would make $! its own PID).
fake_clock() {
	if [ "$kind" != pyftpd ] && [ "$clock" != 0 ]; then
		ft=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
		[ -e "$ft" ] || die "libfaketime missing (scripts/deps.sh: faketime)"
		printf 'LD_PRELOAD=%s FAKETIME=+%ss' "$ft" "$clock"
	fi
}

start() { # PORT
	: >"$dir/$name.out"
	# shellcheck disable=SC2046 # fake_clock: zero or two words
	case $kind in
	vsftpd)
		# shellcheck disable=SC2086
		env ${tz:+TZ=$tz} $(fake_clock) /usr/sbin/vsftpd "$conf" 0<>"$dir/$name.out" 1>&0 2>&0 &
		;;
	proftpd)
		env $(fake_clock) "$proftpd_bin" -n -c "$conf" >>"$dir/$name.out" 2>&1 &
		;;
	pureftpd)
		set -- -S "$LOOPBACK,$1" -l "puredb:$dir/$name.pdb" -E -p "$pasv_min:$pasv_max" \
			-P "$LOOPBACK" -u 1 -g "$dir/$name.pid" -O "clf:$log"
		case $tls in
		offer) set -- "$@" -Y 1 -2 "$cert,$key" ;;
		require) set -- "$@" -Y 2 -2 "$cert,$key" ;;
		esac
		[ "$maxperip" -gt 0 ] && set -- "$@" -C "$maxperip"
		[ "$keep" = on ] && set -- "$@" -K
		[ "$rate" -gt 0 ] && set -- "$@" -T "$((rate / 1024))"
		env $(fake_clock) "$pure_bin" "$@" >"$dir/$name.out" 2>&1 &
		;;
	sshchroot)
		: >"$log"
		/usr/sbin/sshd -D -e -f "$conf" </dev/null >>"$log" 2>&1 &
		;;
	pyftpd)
		set -- --port "$1" --pasv "$pasv_min-$pasv_max" --user "$user" \
			--password-file "$dir/$name.password" --root "$data" --log "$log" --clock-offset "$clock"
		[ "$mlst" = off ] && set -- "$@" --no-mlst
		[ "$mdtm" = off ] && set -- "$@" --no-mdtm
		[ "$dele" = off ] && set -- "$@" --no-dele
		[ "$size" = off ] && set -- "$@" --no-size
		[ "$faildata" -gt 0 ] && set -- "$@" --fail-data "$faildata"
		[ "$maxperip" -gt 0 ] && set -- "$@" --max-per-ip "$maxperip"
		setpriv --reuid="$user" --regid="$user" --clear-groups \
			/usr/bin/python3 -I "$here/pyftpd.py" "$@" >"$dir/$name.out" 2>&1 &
		;;
	esac
	pid=$!
	srv_record_pid "$dir" "$name" "$pid"
}

if [ "$kind" = pyftpd ]; then
	# the server runs as the test user: its own copy of the password
	install -m 0600 -o "$user" "$dir/testuser.password" "$dir/$name.password"
	install -m 0644 -o "$user" /dev/null "$log"
	/usr/bin/python3 -I -c 'import pyftpdlib' 2>/dev/null || die "python3-pyftpdlib missing (scripts/deps.sh)"
	# the config file named on the command line is how srv_owns_pid knows it
	: >"$conf"
fi
attempt=0
while :; do
	attempt=$((attempt + 1))
	port=$(srv_free_ports $((NPASV + 1)))
	pasv_min=$((port + 1))
	pasv_max=$((port + NPASV))
	case $kind in
	vsftpd) vsftpd_conf "$port" "$pasv_min" "$pasv_max" ;;
	proftpd) proftpd_conf "$port" "$pasv_min" "$pasv_max" ;;
	sshchroot) sshchroot_conf "$port" ;;
	pureftpd) pureftpd_conf ;;
	pyftpd) : ;;
	*) die "unknown server kind $kind" ;;
	esac
	start "$port"
	rc=0
	srv_wait_listen "$port" "$pid" 10 || rc=$?
	[ $rc -eq 0 ] && break
	srv_kill_tree "$pid"
	if [ $attempt -lt 3 ] && grep -qi 'bind\|in use' "$dir/$name.out" "$log" 2>/dev/null; then continue; fi
	srv_log_tail "$dir/$name.out"
	srv_log_tail "$log"
	die "$name ($kind) did not listen on $LOOPBACK:$port (rc $rc)"
done

if [ "$kind" = sshchroot ] || [ "$sftp" = on ]; then
	printf '[%s]:%s %s\n' "$LOOPBACK" "$port" "$(cut -d' ' -f1-2 "$dir/$name-hostkey.pub")" >"$dir/$name-known_hosts"
	chmod 0600 "$dir/$name-key"
	{
		echo "export ${up}_KEY=$dir/$name-key"
		echo "export ${up}_KNOWN_HOSTS=$dir/$name-known_hosts"
	} >"$dir/$name.env.extra"
fi
cat >"$dir/$name.env" <<EOF
# Written by scripts/start-interop.sh ($kind). Source it.
export ${up}_PORT=$port
export ${up}_PID=$pid
export ${up}_ROOT=$data
export ${up}_LOG=$log
export ${up}_CACERT=$cert
export ${up}_URL=ftp://$LOOPBACK:$port
export ${up}_CLOCK=$clock
export FTP_USER=$user
export FTP_PASSWORD_FILE=$dir/testuser.password
EOF
[ -e "$dir/$name.env.extra" ] && cat "$dir/$name.env.extra" >>"$dir/$name.env"
echo "$name: $kind pid $pid on $LOOPBACK:$port, pasv $pasv_min-$pasv_max, root $data"
