# shellcheck shell=sh
# Shared helpers for the loopback test servers (start-sftp.sh, start-ftp.sh,
# stop-servers.sh, with-servers.sh). Sourced, never executed.
#
# Layout of a server dir DIR (made by the caller, e.g. mktemp -d):
#   DIR/pids/<name>        PID of each daemon we started (stop-servers.sh kills only these)
#   DIR/testuser.lease     present while DIR holds a lease on the shared test user
#   DIR/testuser.password  the test user's password (0600), shared by SFTP and FTP
#   DIR/sftp.env DIR/ftp.env   sourceable `export` lines for tests
#
# The test user is shared by every server dir on the machine (other sessions
# may run their own harness at the same time), so it is reference-counted:
# one lease file per server dir under TU_STATE, guarded by flock. The user is
# created by the first lease and deleted by the last release, and only if a
# lease created it (a pre-existing lotsynctest account is never deleted).

# shellcheck disable=SC2034 # used by the scripts that source this file
{
	TU_NAME=lotsynctest
	TU_STATE=/run/lotsync-testuser
	TU_HOME=/run/lotsync-testuser.home
	LOOPBACK=127.0.0.1
}

srv_prog=${0##*/}

# Debian's python3 (installed by deps.sh), not whatever python3 is first in
# PATH: a pyenv shim there costs ~100 ms per call. -I -S: no site, no user env.
if [ -x /usr/bin/python3 ]; then SRV_PY=/usr/bin/python3; else SRV_PY=python3; fi

die() {
	printf '%s: %s\n' "$srv_prog" "$*" >&2
	exit 1
}

# srv_mark DIR: tag DIR as a server dir; stop-servers.sh only rm -rf's a
# tagged directory (an untagged one is only rmdir'ed if empty).
srv_mark() {
	: >"$1/.lotsync-servers"
}

srv_require_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (creates the test user $TU_NAME and binds daemons)"
}

# Absolute path of an existing directory. The path ends up unquoted inside
# sshd_config / vsftpd.conf lines, so only plain characters are accepted.
srv_absdir() {
	[ -d "$1" ] || die "not a directory: $1"
	_d=$(cd "$1" && pwd -P)
	case $_d in
	*[!A-Za-z0-9._/-]*) die "server dir path must be plain [A-Za-z0-9._/-]: $_d" ;;
	esac
	printf '%s\n' "$_d"
}

# srv_free_ports COUNT: print the first of COUNT consecutive TCP ports that are
# free on 127.0.0.1 right now. Chosen below the kernel's ephemeral range so that
# outgoing connections do not grab them between our check and the daemon's
# bind. Still a race with other processes: start scripts retry on EADDRINUSE,
# and with-servers.sh starts its daemons under /tmp/lotsync-srv-ports.lock so
# that two test suites on one machine never pick at the same time.
srv_free_ports() {
	"$SRV_PY" -I -S - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
try:
    lo_eph = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except OSError:
    lo_eph = 32768
lo, hi = 10000, lo_eph - n
if hi <= lo:
    lo, hi = 10000, 65535 - n
for _ in range(200):
    base = random.randint(lo, hi)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no free port range of %d found" % n)
EOF
}

# srv_wait_listen PORT PID TIMEOUT_S: wait until process PID itself holds a
# listening socket on 127.0.0.1:PORT. Reads /proc instead of connecting, so the
# daemon logs no bogus connection and a foreign listener on the port is not
# mistaken for ours. Exit 0 = listening, 1 = timeout, 2 = PID died.
srv_wait_listen() {
	"$SRV_PY" -I -S - "$1" "$2" "$3" <<'EOF'
import os, sys, time
port, pid, timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
want = "0100007F:%04X" % port
deadline = time.monotonic() + timeout
while True:
    try:
        with open("/proc/%s/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                sys.exit(2)
        inodes = set()
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fld = line.split()
                if fld[1] == want and fld[3] == "0A":
                    inodes.add("socket:[%s]" % fld[9])
        if inodes:
            fddir = "/proc/%s/fd" % pid
            for fd in os.listdir(fddir):
                try:
                    if os.readlink(os.path.join(fddir, fd)) in inodes:
                        sys.exit(0)
                except OSError:
                    pass
    except FileNotFoundError:
        sys.exit(2)
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.01)
EOF
}

# srv_owns_pid DIR PID: true if PID is alive and is a daemon started for DIR
# (its command line names a config file inside DIR). Guards against PID reuse.
srv_owns_pid() {
	[ -r "/proc/$2/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$2/cmdline" | grep -qF -- "$1/"
}

# srv_kill_tree PID...: TERM the given PIDs and all their descendants (sshd and
# vsftpd fork one process per session; those would outlive the listener and
# keep the test user busy), wait up to 2 s, then KILL what is left.
srv_kill_tree() {
	_all=""
	_todo="$*"
	while [ -n "$_todo" ]; do
		_next=""
		for _p in $_todo; do
			_all="$_all $_p"
			_next="$_next $(pgrep -P "$_p" 2>/dev/null | tr '\n' ' ')"
		done
		_todo=$(printf '%s' "$_next" | tr -s ' ')
		_todo=${_todo# }
	done
	[ -n "$_all" ] || return 0
	# shellcheck disable=SC2086 # word splitting of the PID list is intended
	kill -TERM $_all 2>/dev/null || true
	_i=0
	while [ $_i -lt 20 ]; do
		_alive=""
		for _p in $_all; do
			# a zombie child of ours counts as gone
			if [ -r "/proc/$_p/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$_p/stat" 2>/dev/null; then
				_alive="$_alive $_p"
			fi
		done
		[ -n "$_alive" ] || return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	kill -KILL $_alive 2>/dev/null || true
}

srv_record_pid() { # DIR NAME PID
	mkdir -p "$1/pids"
	printf '%s\n' "$3" >"$1/pids/$2"
}

srv_log_tail() { # LOGFILE
	if [ -s "$1" ]; then
		printf '%s: --- last lines of %s ---\n' "$srv_prog" "$1" >&2
		tail -n 20 "$1" >&2
	fi
}

# srv_start_args DIR [PORT] (a start script's arguments): root, the server
# dir made absolute and marked; sets dir and want_port (empty: any free port).
srv_start_args() {
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: $0 DIR [PORT]"; fi
	srv_require_root
	dir=$(srv_absdir "$1")
	srv_mark "$dir"
	want_port=${2:-}
}

# srv_not_running WHAT DAEMON PIDNAME...: die unless DAEMON is executable and
# none of DIR's pids/PIDNAME is still one of ours (WHAT: "an sshd" ...).
srv_not_running() {
	_nr_what=$1 _nr_daemon=$2
	shift 2
	[ -x "$_nr_daemon" ] || die "$_nr_daemon not found (run scripts/deps.sh)"
	for _nr_n in "$@"; do
		if [ -e "$dir/pids/$_nr_n" ] && srv_owns_pid "$dir" "$(cat "$dir/pids/$_nr_n")"; then
			die "$_nr_what for $dir is already running (pid $(cat "$dir/pids/$_nr_n"))"
		fi
	done
}

# srv_start_failed NAME PORT RC LOGFILE...: a daemon did not come up (RC as
# srv_wait_listen returned it: 1 = not listening in time, 2 = exited): show
# the logs' last lines and die.
srv_start_failed() {
	_sf_name=$1 _sf_port=$2 _sf_rc=$3
	shift 3
	for _sf_log in "$@"; do srv_log_tail "$_sf_log"; done
	[ "$_sf_rc" -eq 2 ] && die "$_sf_name exited during startup (port $_sf_port)"
	die "$_sf_name did not listen on $LOOPBACK:$_sf_port within 5 s"
}

# srv_env_common PREFIX PORT PID USER DIR: the export lines every server's env
# file starts with (PREFIX_HOST, _PORT, _PID, _USER, _PASSWORD_FILE).
srv_env_common() {
	printf 'export %s_HOST=%s\n' "$1" "$LOOPBACK"
	printf 'export %s_PORT=%s\n' "$1" "$2"
	printf 'export %s_PID=%s\n' "$1" "$3"
	printf 'export %s_USER=%s\n' "$1" "$4"
	printf 'export %s_PASSWORD_FILE=%s\n' "$1" "$5/testuser.password"
}

# srv_write_env FILE: stdin (the `export` lines for tests) as FILE, by
# rename, so that a test never sources half of it.
srv_write_env() {
	cat >"$1.tmp" && mv "$1.tmp" "$1"
}

# ---- shared test user --------------------------------------------------------

_tu_lock() {
	mkdir -p "$TU_STATE/leases"
	chmod 0700 "$TU_STATE"
	exec 9>"$TU_STATE/lock"
	flock -w 30 9 || die "timed out waiting for $TU_STATE/lock"
}

# Closing fd 9 releases the lock; it must be closed before any daemon is
# started, or the daemon would inherit it and hold the lock forever.
_tu_unlock() {
	exec 9>&-
}

_tu_lease_file() {
	printf '%s/leases/%s\n' "$TU_STATE" "$(printf '%s' "$1" | tr / %)"
}

# tu_acquire DIR: make sure the test user exists with a known password, take a
# lease for DIR, and copy the password to DIR/testuser.password.
tu_acquire() {
	srv_require_root
	if grep -qx "$TU_NAME" /etc/ftpusers 2>/dev/null; then
		die "$TU_NAME is listed in /etc/ftpusers (vsftpd's PAM would refuse it); remove it there"
	fi
	grep -qx /bin/sh /etc/shells || die "/bin/sh is not in /etc/shells (vsftpd's pam_shells would refuse $TU_NAME)"
	_tu_lock
	mkdir -p "$TU_HOME"
	chmod 0755 "$TU_HOME"
	if ! id -u "$TU_NAME" >/dev/null 2>&1; then
		# The home is an empty root-owned dir outside every server dir (several
		# server dirs share the user). sshd (ForceCommand internal-sftp -d) and
		# vsftpd (local_root) start elsewhere, but vsftpd chdirs to the home
		# first and fails the login ("500 OOPS: cannot change directory") if
		# it does not exist.
		if ! useradd --system --no-create-home --home-dir "$TU_HOME" \
			--shell /bin/sh --user-group --comment "lotsync test servers" "$TU_NAME"; then
			_tu_unlock
			die "useradd $TU_NAME failed"
		fi
		: >"$TU_STATE/created"
		rm -f "$TU_STATE/password"
	fi
	if [ ! -s "$TU_STATE/password" ]; then
		# A password is needed even for key-only use: with UsePAM no, sshd
		# refuses a locked ("!") account for every auth method.
		(umask 077 && openssl rand -hex 12 >"$TU_STATE/password")
		if ! printf '%s:%s\n' "$TU_NAME" "$(cat "$TU_STATE/password")" | chpasswd; then
			rm -f "$TU_STATE/password"
			_tu_unlock
			die "chpasswd for $TU_NAME failed"
		fi
	fi
	printf '%s\n' "$1" >"$(_tu_lease_file "$1")"
	(umask 077 && cp "$TU_STATE/password" "$1/testuser.password")
	: >"$1/testuser.lease"
	_tu_unlock
}

# A lease is stale when its server dir is gone, or when it is older than a
# minute (so not a harness still starting up) and none of its recorded daemons
# is alive (the harness was killed without running stop-servers.sh).
_tu_lease_stale() { # LEASEFILE
	_d=$(cat "$1" 2>/dev/null) || return 0
	[ -d "$_d" ] || return 0
	[ -n "$(find "$1" -mmin +1 2>/dev/null)" ] || return 1
	for _pf in "$_d"/pids/*; do
		[ -f "$_pf" ] || continue
		srv_owns_pid "$_d" "$(cat "$_pf")" && return 1
	done
	return 0
}

# tu_release DIR: drop DIR's lease; delete the user when the last lease goes
# and a lease had created it. Kill DIR's daemons before calling this.
tu_release() {
	[ -e "$1/testuser.lease" ] || return 0
	_tu_lock
	rm -f "$(_tu_lease_file "$1")" "$1/testuser.lease"
	for _lf in "$TU_STATE"/leases/*; do
		[ -f "$_lf" ] || continue
		if _tu_lease_stale "$_lf"; then rm -f "$_lf"; fi
	done
	_left=$(find "$TU_STATE/leases" -type f | wc -l)
	_rc=0
	if [ "$_left" -eq 0 ] && [ -e "$TU_STATE/created" ]; then
		if id -u "$TU_NAME" >/dev/null 2>&1; then
			# userdel refuses while a process of the user still runs (a session
			# child that was just killed may take a moment to disappear).
			_i=0
			until userdel "$TU_NAME" 2>/dev/null; do
				_i=$((_i + 1))
				if [ $_i -ge 20 ]; then
					userdel "$TU_NAME" || _rc=1
					break
				fi
				sleep 0.1
			done
		fi
		if [ $_rc -eq 0 ]; then
			rm -f "$TU_STATE/created" "$TU_STATE/password"
			rmdir "$TU_HOME" 2>/dev/null || true
		fi
	fi
	_tu_unlock
	return $_rc
}

# srv_vsftpd_conf FILE PORT PASV_MIN PASV_MAX SSL(YES|NO) FORCE(YES|NO) LOG [LINE...]:
# a vsftpd config for the users in $userlist, chrooted to $data ($empty is its
# secure_chroot_dir; $cert/$key the FTPS pair), each LINE appended as is.
# Root-owned, mode 0600: vsftpd refuses a config file not owned by root.
# shellcheck disable=SC2154 # userlist, data, empty, cert, key: the caller's
srv_vsftpd_conf() {
	_f=$1
	{
		cat <<EOF
# generated by scripts/${0##*/}; loopback only
listen=YES
listen_ipv6=NO
listen_address=$LOOPBACK
listen_port=$2
# foreground, so \$! is the daemon
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
userlist_enable=YES
userlist_deny=NO
userlist_file=$userlist
pam_service_name=vsftpd
chroot_local_user=YES
local_root=$data
allow_writeable_chroot=YES
secure_chroot_dir=$empty
pasv_enable=YES
pasv_min_port=$3
pasv_max_port=$4
pasv_address=$LOOPBACK
# vsftpd 3.0.3's seccomp filter and network namespaces are known to fail in
# unprivileged containers; off defensively (they are not what we test).
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
ssl_enable=$5
rsa_cert_file=$cert
rsa_private_key_file=$key
force_local_logins_ssl=$6
force_local_data_ssl=$6
# vsftpd's built-in default cipher list (DES-CBC3-SHA) does not work with
# OpenSSL 3.
ssl_ciphers=HIGH
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$7
EOF
		shift 7
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$_f"
	chown root:root "$_f"
	chmod 0600 "$_f"
}
