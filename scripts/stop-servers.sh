#!/bin/sh
# stop-servers.sh DIR [--keep]
# Stop the daemons that start-sftp.sh / start-ftp.sh recorded in DIR/pids
# (and their per-session children), release DIR's lease on the test user
# (deleting the user if a start script created it and no other server dir
# still uses it), and remove DIR unless --keep. Idempotent: a missing DIR, a
# dead PID or a PID now used by an unrelated process is skipped.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=srvlib.sh source-path=SCRIPTDIR
. "$here/srvlib.sh"

keep=0
target=""
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	-*) die "usage: $0 DIR [--keep]" ;;
	*)
		[ -z "$target" ] || die "usage: $0 DIR [--keep]"
		target=$a
		;;
	esac
done
[ -n "$target" ] || die "usage: $0 DIR [--keep]"
[ -d "$target" ] || exit 0
dir=$(srv_absdir "$target")

pids=""
for pf in "$dir"/pids/*; do
	[ -f "$pf" ] || continue
	p=$(cat "$pf")
	case $p in '' | *[!0-9]*) continue ;; esac
	# Only a process whose command line names DIR's config is ours.
	if srv_owns_pid "$dir" "$p"; then pids="$pids $p"; fi
done
# shellcheck disable=SC2086 # split the PID list
[ -z "$pids" ] || srv_kill_tree $pids
rm -rf "$dir/pids"

# Directories start-interop.sh had to make outside DIR (an sshd chroot must
# be root-owned all the way up): only ones under /run/lotsync-iop/.
if [ -f "$dir/extra-dirs" ]; then
	while IFS= read -r x; do
		case $x in /run/lotsync-iop/chroot.*) rm -rf "$x" ;; esac
	done <"$dir/extra-dirs"
	rm -f "$dir/extra-dirs"
fi

rc=0
if [ -e "$dir/testuser.lease" ]; then
	[ "$(id -u)" = 0 ] || die "must be root to release the test user"
	tu_release "$dir" || rc=1
fi

if [ $keep -eq 0 ]; then
	if [ -e "$dir/.lotsync-servers" ] && [ "$dir" != / ]; then
		rm -rf "$dir"
	else
		# Not made by our start scripts: never rm -rf it.
		rmdir "$dir" 2>/dev/null || echo "$srv_prog: $dir is not a server dir; left in place" >&2
	fi
fi
exit $rc
