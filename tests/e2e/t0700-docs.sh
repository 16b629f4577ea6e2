#!/bin/sh
# e2e: the documentation that ships with the code. Each man page renders with
# man -l and lints clean with mandoc; lotsync(1) names every command that
# `lotsync --help` lists, lotsync.conf(5) every key of the example config;
# README, docs/, the man pages and every --help name no file outside the
# repository and no specification section.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

man_dir=$SRCDIR/build/man
for page in lotsync.1 lotsync.conf.5 lotsync-profile.5; do
	if [ ! -f "$man_dir/$page" ]; then
		fail "$page not built (make man)"
		continue
	fi
	MANWIDTH=80 man -l "$man_dir/$page" >"$page.txt" 2>"$page.err"
	expect_eq "$?" 0 "man -l renders $page"
	expect_eq "$(wc -c <"$page.err" | tr -d ' ')" 0 "man -l prints no warning for $page"
	expect_grep '^NAME' "$page.txt" "$page has a NAME section"
	expect_rc 0 "mandoc -T lint $page" mandoc -T lint -W warning "$man_dir/$page"
done
expect_grep '^EXIT STATUS' lotsync.1.txt "lotsync(1) has EXIT STATUS"
for code in 0 3 64 65 69 70 74 75 78; do
	expect_grep "^     $code " lotsync.1.txt "lotsync(1) explains exit $code"
done

# Every command of --help is described in lotsync(1).
"$LOTSYNC" --help >help.txt
awk '/^Commands:/{f=1;next} /^$/{f=0} f{print $1}' help.txt >commands.txt
expect_eq "$(wc -l <commands.txt | tr -d ' ')" "$(grep -c . commands.txt)" "commands listed"
[ "$(wc -l <commands.txt)" -gt 15 ] || fail "too few commands in --help"
while read -r cmd; do
	grep -q "^\.It Cm $cmd\( \|$\)" "$SRCDIR/man/lotsync.1" ||
		fail "lotsync(1) does not describe '$cmd'"
done <commands.txt

# Every key the example config shows (set or commented out) is in lotsync.conf(5).
sed -n 's/^;\{0,1\}\([a-z_]*\) = .*/\1/p' "$SRCDIR/conf/lotsync.conf.example" | sort -u >keys.txt
[ "$(wc -l <keys.txt)" -gt 30 ] || fail "too few keys found in the example config"
while read -r key; do
	grep -q "^\.It.*Ic $key\( \|$\)" "$SRCDIR/man/lotsync.conf.5" ||
		fail "lotsync.conf(5) does not describe '$key'"
done <keys.txt

# No reference to files outside the repository or to specification sections.
for c in $(cat commands.txt); do "$LOTSYNC" "$c" --help; done >>help.txt
for f in "$SRCDIR/README.md" "$SRCDIR"/docs/*.md "$SRCDIR"/man/* help.txt \
	"$SRCDIR"/conf/lotsync.conf.example "$SRCDIR"/conf/profiles/*.ini "$SRCDIR"/conf/formats/*.ini; do
	if grep -n 'SPEC §\|\.\./shared' "$f" >refs.txt; then
		fail "$(basename "$f") refers outside the repository: $(head -n 3 refs.txt)"
	fi
done
pass "no outside references"
finish
