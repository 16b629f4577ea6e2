#!/bin/sh
# deps.sh: install the Debian packages needed to build and test lotsync.
# Silent when everything is installed. Not root and something missing: names
# the packages and exits 1. Root: installs only what is missing, running
# `apt-get update` only when the package lists are missing or the install
# fails without them.
set -eu

PACKAGES="
gcc make pkg-config
libcurl4-openssl-dev libssh2-1-dev libxml2-dev libsqlite3-dev sqlite3
libinih-dev libssl-dev libcsv-dev libxxhash-dev libarchive-dev zlib1g-dev libzstd-dev check
openssh-server openssh-sftp-server openssh-client vsftpd socat curl openssl python3
clang libclang-rt-14-dev mandoc python3-prometheus-client systemd faketime
python3-pyftpdlib libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23
"
# The last line: pyftpdlib and the shared libraries of ProFTPD and Pure-FTPd,
# which scripts/interop-root.sh unpacks into a private root (as packages
# they conflict with vsftpd) for the interoperability tests.

prog=${0##*/}

missing=""
for p in $PACKAGES; do
	# "ii" = wanted install, installed; anything else (absent, half-configured,
	# removed with config left) needs an install.
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $st in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
missing=${missing# }
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "$prog: missing packages: $missing" >&2
	echo "$prog: install them as root: apt-get install --no-install-recommends $missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/lotsync-deps.XXXXXX)
trap 'rm -f "$log"' EXIT

# Wait for another apt/dpkg run (other sessions share this machine) instead
# of failing at once on the dpkg lock.
APT="apt-get -y -q -o DPkg::Lock::Timeout=600"

update() {
	if ! $APT update >>"$log" 2>&1; then
		cat "$log" >&2
		echo "$prog: apt-get update failed" >&2
		exit 1
	fi
}

lists_present() {
	for f in /var/lib/apt/lists/*_Packages*; do
		[ -e "$f" ] && return 0
	done
	return 1
}

echo "$prog: installing: $missing"
lists_present || update
# shellcheck disable=SC2086 # split the package list
if ! $APT install --no-install-recommends $missing >>"$log" 2>&1; then
	# Most likely stale or missing package lists ("Unable to locate package",
	# 404s): refresh once and retry.
	update
	: >"$log" # show only the retry's output if it fails too
	# shellcheck disable=SC2086
	if ! $APT install --no-install-recommends $missing >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "$prog: apt-get install failed" >&2
		exit 1
	fi
fi
