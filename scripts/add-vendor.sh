#!/bin/sh
# add-vendor.sh: give a DMS vendor an SFTP-only OpenSSH account whose
# uploads land in lotsync's drop folder spool/incoming/<feed>/.
#
# usage: add-vendor.sh [options] --spool DIR FEED USER PUBKEY_FILE
#   --spool DIR            lotsync's spool (the [lotsync] spool of lotsync.conf)
#   --chroot-base DIR      where the vendors' chroots live (default /srv/lotsync-sftp);
#                          every component must be root-owned and not writable
#                          by group or others (sshd's rule), and it must be on
#                          the spool's file system (lotsync claims by rename)
#   --keys-dir DIR         root-owned authorized keys, one file per vendor
#                          (default /etc/lotsync/vendor-keys)
#   --vendors-group NAME   group that the sshd Match block selects
#                          (default lotsync-vendors)
#   --lotsync-group NAME   group lotsync runs as: it reads and moves the
#                          uploads (default: the spool's group)
#   -n, --dry-run          print what would be done and the Match block; change nothing
#   --print-match          print only the sshd_config Match block
#
# What it makes (all checked first, nothing half-done on a refusal):
#   USER          system account, primary group --vendors-group, no password
#                 (key only), shell /usr/sbin/nologin
#   BASE/USER/         the chroot: root:root 0755 (sshd requires it)
#   BASE/USER/upload/  where the vendor lands and writes: USER:lotsync-group
#                      2770, so lotsync can read and move every upload
#   KEYS/USER          the vendor's public key, with "restrict"
#   SPOOL/incoming/FEED -> BASE/USER/upload   (a symlink; replaces an empty dir)
# and prints the sshd_config Match block it relies on: ChrootDirectory
# BASE/%u, ForceCommand internal-sftp -d /upload -u 0027, AuthorizedKeysFile
# KEYS/%u, no password, no forwarding, no TTY. Add that block to
# /etc/ssh/sshd_config once (it serves every vendor of the group) and reload
# sshd; the script never edits sshd_config itself.
set -eu

prog=${0##*/}
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

base=/srv/lotsync-sftp
keys=/etc/lotsync/vendor-keys
vgroup=lotsync-vendors
lgroup=""
spool=""
dry=0
match_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--spool) spool=${2:?}; shift 2 ;;
	--chroot-base) base=${2:?}; shift 2 ;;
	--keys-dir) keys=${2:?}; shift 2 ;;
	--vendors-group) vgroup=${2:?}; shift 2 ;;
	--lotsync-group) lgroup=${2:?}; shift 2 ;;
	-n | --dry-run) dry=1; shift ;;
	--print-match) match_only=1; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done

match_block() {
	cat <<EOF
# lotsync DMS vendors (scripts/add-vendor.sh): SFTP only, chrooted, key only.
# Needs a "Subsystem sftp ..." line above (Debian's default config has one).
Match Group $vgroup
	ChrootDirectory $base/%u
	ForceCommand internal-sftp -d /upload -u 0027
	AuthorizedKeysFile $keys/%u
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	AllowTcpForwarding no
	AllowAgentForwarding no
	AllowStreamLocalForwarding no
	X11Forwarding no
	PermitTunnel no
	PermitTTY no
EOF
}

if [ $match_only = 1 ]; then
	match_block
	exit 0
fi
[ $# -eq 3 ] || die "usage: $prog [options] --spool DIR FEED USER PUBKEY_FILE (see --help)"
feed=$1 user=$2 pubkey=$3
[ -n "$spool" ] || die "--spool DIR is required (the spool of lotsync.conf)"

# ---- checks: everything is refused before anything is changed ----------------
case $feed in
'' | .* | -* | *[!A-Za-z0-9._-]*) die "bad feed name '$feed' (as in [feed:NAME]: [A-Za-z0-9._-])" ;;
esac
case $user in
[a-z_]*) ;;
*) die "bad user name '$user' (lower case, starting with a letter or _)" ;;
esac
case $user in *[!a-z0-9_-]*) die "bad user name '$user' ([a-z0-9_-])" ;; esac
[ ${#user} -le 32 ] || die "user name '$user' is longer than 32 characters"
for p in "$base" "$keys"; do
	case $p in
	/*) ;;
	*) die "$p: must be an absolute path" ;;
	esac
	case $p in *[!A-Za-z0-9._/-]*) die "$p: only [A-Za-z0-9._/-] (it ends up in sshd_config)" ;; esac
done
[ -d "$spool" ] || die "$spool: no such directory (run lotsync once, or give the right --spool)"
spool=$(cd "$spool" && pwd -P)
[ -r "$pubkey" ] || die "$pubkey: cannot read the vendor's public key"
fpr=$(ssh-keygen -lf "$pubkey" 2>/dev/null) || die "$pubkey: not an OpenSSH public key"
[ "$(grep -c . "$pubkey")" -eq 1 ] || die "$pubkey: one key per vendor, on one line"
[ "$dry" = 1 ] || [ "$(id -u)" = 0 ] || die "must run as root (creates an account), or use --dry-run"
if id -u "$user" >/dev/null 2>&1; then
	die "user $user exists already; pick another name (this script never changes an existing account)"
fi
[ -n "$lgroup" ] || lgroup=$(stat -c %G "$spool")
getent group "$lgroup" >/dev/null || die "group $lgroup does not exist (--lotsync-group)"
nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/bin/false

# sshd refuses a chroot with any component not root-owned or group/other-writable.
nearest=$base
while [ ! -e "$nearest" ]; do nearest=$(dirname "$nearest"); done
p=$nearest
while :; do
	[ "$(stat -c %u "$p")" = 0 ] || die "$p: not owned by root; sshd refuses ChrootDirectory below it"
	case $(stat -c %A "$p") in
	?????w???? | ????????w?) die "$p: writable by group or others; sshd refuses ChrootDirectory below it" ;;
	esac
	[ "$p" = / ] && break
	p=$(dirname "$p")
done
# lotsync claims by rename(): upload dir and spool must share a file system.
[ "$(stat -c %d "$nearest")" = "$(stat -c %d "$spool")" ] ||
	die "$base and $spool are on different file systems; lotsync moves uploads by rename()"
drop=$spool/incoming/$feed
if [ -L "$drop" ]; then
	[ "$(readlink "$drop")" = "$base/$user/upload" ] || die "$drop is a symlink to $(readlink "$drop")"
elif [ -e "$drop" ]; then
	[ -d "$drop" ] && [ -z "$(ls -A "$drop")" ] ||
		die "$drop exists and is not an empty directory; move its files away first"
fi

# ---- actions ------------------------------------------------------------------
# run CMD...: do it, or in a dry run print it (quoted as a shell would need).
run() {
	if [ "$dry" = 0 ]; then
		"$@"
		return
	fi
	printf ' '
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9._/:=@%+-]* | '') printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
}
[ "$dry" = 1 ] && echo "$prog: dry run; would run:"
getent group "$vgroup" >/dev/null || run groupadd --system "$vgroup"
# "*" is no password at all (not the "!" of a locked account, which sshd
# without PAM refuses for keys too): the key is the only way in.
run useradd --system --no-create-home --home-dir /upload --shell "$nologin" \
	--gid "$vgroup" --password '*' --comment "lotsync vendor for feed $feed" "$user"
run mkdir -p "$base/$user/upload" "$keys"
run chown root:root "$base" "$base/$user" "$keys"
run chmod 0755 "$base" "$base/$user" "$keys"
run chown "$user:$lgroup" "$base/$user/upload"
run chmod 2770 "$base/$user/upload"
if [ "$dry" = 1 ]; then
	printf '  write %s/%s: restrict %s\n' "$keys" "$user" "$(cut -d' ' -f1,2 "$pubkey")"
else
	printf 'restrict %s\n' "$(cut -d' ' -f1,2 "$pubkey")" >"$keys/$user.tmp"
	chmod 0644 "$keys/$user.tmp"
	mv "$keys/$user.tmp" "$keys/$user"
fi
if [ ! -L "$drop" ]; then
	[ -d "$drop" ] && run rmdir "$drop"
	run mkdir -p "$spool/incoming"
	run ln -s "$base/$user/upload" "$drop"
fi

if [ "$dry" = 1 ]; then
	echo "$prog: nothing was changed; vendor $user ($fpr) would upload to $drop"
else
	echo "$prog: vendor $user ($fpr) uploads to $drop"
fi
echo "$prog: sshd_config needs this block once (then reload sshd):"
echo
match_block
