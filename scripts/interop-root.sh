#!/bin/sh
# interop-root.sh: print the private root holding ProFTPD and Pure-FTPd for
# the interoperability tests, unpacking it first if needed.
#
# Both conflict with vsftpd as Debian packages (each provides ftp-server),
# so they are not installed: `apt-get download` fetches the .debs and
# `dpkg-deb -x` unpacks them into $LOTSYNC_INTEROP_ROOT (default
# /var/tmp/lotsync-interop-root). Their shared libraries are ordinary
# packages that scripts/deps.sh installs. Exit 1 (with the reason on
# stderr) when the packages cannot be had.
set -eu

PKGS="proftpd-core proftpd-mod-crypto pure-ftpd"
root=${LOTSYNC_INTEROP_ROOT:-/var/tmp/lotsync-interop-root}
prog=${0##*/}

have() {
	[ -x "$root/usr/sbin/proftpd" ] && [ -e "$root/usr/lib/proftpd/mod_tls.so" ] &&
		[ -x "$root/usr/sbin/pure-ftpd" ]
}

if have; then
	printf '%s\n' "$root"
	exit 0
fi
[ "$(id -u)" = 0 ] || {
	echo "$prog: $root is missing and only root can unpack it" >&2
	exit 1
}
mkdir -p "$root.debs"
exec 8>"$root.lock"
flock -w 600 8 || {
	echo "$prog: timed out waiting for $root.lock" >&2
	exit 1
}
if ! have; then
	log=$root.debs/download.log
	# apt-get download writes into the current directory
	# shellcheck disable=SC2086 # split the package list
	if ! (cd "$root.debs" && apt-get -q download $PKGS) >"$log" 2>&1; then
		tail -n 5 "$log" >&2
		echo "$prog: apt-get download $PKGS failed" >&2
		exit 1
	fi
	tmp=$root.new
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for p in $PKGS; do
		for deb in "$root.debs/${p}_"*.deb; do
			dpkg-deb -x "$deb" "$tmp"
		done
	done
	rm -rf "$root"
	mv "$tmp" "$root"
fi
have || {
	echo "$prog: $root lacks proftpd, mod_tls or pure-ftpd after unpacking" >&2
	exit 1
}
printf '%s\n' "$root"
