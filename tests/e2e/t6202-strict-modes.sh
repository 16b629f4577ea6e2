#!/bin/sh
# e2e (issue 12, item 8): permissions as OpenSSH's StrictModes checks them.
# The configuration, a secret (password_file), known_hosts and the
# directories holding them must not be writable by group or others, and
# must belong to lotsync's user or root; otherwise check-config and run
# refuse (exit 78) with the path named. Owner checks need root (chown).
. "$SRCDIR/tests/e2e/lib.sh"
local_env
mkdir -p conf/secrets
printf 'secret\n' >conf/secrets/pw
chmod 600 conf/secrets/pw
printf '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa6GkUBJ3nqlTVW3F3eJkkF8XXpwUmbEiIBLU5jzaxl\n' \
	>conf/known_hosts
chmod 644 conf/known_hosts
cat >>conf/lotsync.conf <<'CONF'
password_file = secrets/pw
known_hosts = known_hosts
CONF
expect_rc 0 "private files in private directories pass" L check-config

# ok_again WHAT: after the fix check-config passes again.
ok_again() { expect_rc 0 "$1 fixed" L check-config; }

chmod 666 conf/known_hosts
expect_rc 78 "world-writable known_hosts: check-config" L check-config
expect_grep "lotsync.conf:[0-9]*: known_hosts $TEST_TMP/conf/known_hosts is writable by group or others" \
	"$TEST_TMP/err" "the path is named at its line"
expect_rc 78 "world-writable known_hosts: run" L run
chmod 664 conf/known_hosts
expect_rc 78 "group-writable known_hosts" L check-config
chmod 644 conf/known_hosts
ok_again "known_hosts"

chmod 777 conf
expect_rc 78 "world-writable conf/" L check-config
expect_grep "directory $TEST_TMP/conf (of the configuration $TEST_TMP/conf/lotsync.conf) is writable by group or others" \
	"$TEST_TMP/err" "the config's directory is named"
expect_grep "directory $TEST_TMP/conf (of known_hosts" "$TEST_TMP/err" "and again for known_hosts"
chmod 755 conf
ok_again "conf/"

chmod 775 conf/secrets
expect_rc 78 "group-writable secrets/" L check-config
expect_grep "directory $TEST_TMP/conf/secrets (of password_file $TEST_TMP/conf/secrets/pw) is writable" \
	"$TEST_TMP/err" "the secret's directory is named"
chmod 700 conf/secrets
ok_again "secrets/"

if [ "$(id -u)" -eq 0 ]; then
	chown 65534 conf/known_hosts
	expect_rc 78 "known_hosts of another user" L check-config
	expect_grep "known_hosts $TEST_TMP/conf/known_hosts belongs to uid 65534, not to lotsync's user (uid 0) or root" \
		"$TEST_TMP/err" "the owner is named"
	chown 0 conf/known_hosts
	chown 65534 conf/secrets/pw
	expect_rc 78 "a secret of another user" L check-config
	expect_grep "password_file $TEST_TMP/conf/secrets/pw belongs to uid 65534" "$TEST_TMP/err" "named"
	chown 0 conf/secrets/pw
	chown 65534 conf/lotsync.conf
	expect_rc 78 "a configuration of another user: run" L run
	expect_grep "the configuration $TEST_TMP/conf/lotsync.conf belongs to uid 65534" "$TEST_TMP/err" \
		"the config's owner is named"
	chown 0 conf/lotsync.conf
	ok_again "owners"
else
	echo "not root: owner checks skipped"
fi
finish
