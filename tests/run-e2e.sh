#!/bin/sh
# run-e2e.sh [TEST...]: run the end-to-end tests (the given paths, or all of
# tests/e2e/tNNNN-name.sh: first digit the family, second the author, see
# README), each in a fresh private temp dir, against the real lotsync binary
# and, when scripts/with-servers.sh started them, the loopback SFTP and FTP
# servers.
# A test exits 0 (pass), 77 (skip) or anything else (fail). The last line
# is always "N passed, N failed" (skips are counted before it).
set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
LOTSYNC=${LOTSYNC:-$SRCDIR/lotsync}
export SRCDIR LOTSYNC

if [ $# -eq 0 ]; then
	# A test under the old name would silently never run: refuse it.
	for t in "$SRCDIR"/tests/e2e/t_*.sh; do
		[ -e "$t" ] || continue
		echo "run-e2e: $t: rename to tests/e2e/tNNNN-name.sh (README, Layout)" >&2
		exit 2
	done
	set -- "$SRCDIR"/tests/e2e/t[0-9]*.sh
fi

# One directory per suite run holds every test's directory and log, so
# suites running side by side (several checkouts on one machine) never
# share or clean each other's names. It stays under /tmp: t1002 relies on
# an ancestor writable by others.
SUITE_TMP=$(mktemp -d /tmp/lotsync-suite.XXXXXX) || exit 2
chmod 755 "$SUITE_TMP"
trap 'rm -rf "$SUITE_TMP"' EXIT
passed=0 failed=0 skipped=0 failures=""
for t in "$@"; do
	name=$(basename "$t" .sh)
	TEST_TMP=$(mktemp -d "$SUITE_TMP/$name.XXXXXX")
	chmod 755 "$TEST_TMP"
	export TEST_TMP
	out=$TEST_TMP.log
	start=$(date +%s)
	sh "$t" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$out")" ;;
	*)
		failed=$((failed + 1)); failures="$failures $name"
		echo "FAIL $name (exit $rc, ${secs}s)"
		sed 's/^/    | /' "$out" | tail -n 80
		;;
	esac
	rm -rf "$TEST_TMP" "$out"
done
[ -n "$failures" ] && echo "failed:$failures"
[ "$skipped" -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
