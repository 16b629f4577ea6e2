#!/bin/sh
# e2e (interop): servers that limit sessions or fail a data connection.
#  - pyftpdlib allowing one session per client address: the extra fetch
#    session is refused, the other takes every file, the run exits 0 with a
#    warning (not 69);
#  - a transient "425 Can't open data connection" on RETR and on STOR is
#    tried once more instead of failing the file.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/interop.sh"
cd "$TEST_TMP" || exit 1
iop_start lim pyftpd maxperip=1 faildata=1
iop_start up pyftpd faildata=1
# 40 successive feed files, each a small change of the one before, oldest first
G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
G --vehicles 20 --seed 60 --out "$LIM_ROOT/inbox/m00.csv"
i=1
while [ $i -lt 40 ]; do
	G --from "$LIM_ROOT/inbox/m$(printf %02d $((i - 1))).csv" --change-pct 10 --seed $((60 + i)) \
		--out "$LIM_ROOT/inbox/m$(printf %02d $i).csv"
	touch -d "-$((60 - i)) min" "$LIM_ROOT/inbox/m$(printf %02d $i).csv"
	i=$((i + 1))
done
touch -d "-60 min" "$LIM_ROOT/inbox/m00.csv"
iop_conf 0
iop_feed lim "ftp://$FTP_USER@127.0.0.1:$LIM_PORT/inbox/*.csv" "connections = 2"
iop_target up "ftp://$FTP_USER@127.0.0.1:$UP_PORT/upload/" lim
expect_rc 0 "one session per client, a 425 on the first download and upload" L -v run
expect_grep "feed lim: fetched 40 file(s)" "$TEST_TMP/out" "every file fetched"
expect_grep "the server refused 1 session(s) of 2 (it may limit sessions per client)" "$TEST_TMP/err" \
	"the refused extra session is a warning"
expect_grep "m00.csv: 425 Can't open data connection.; trying once more" "$TEST_TMP/err" "the 425 on RETR is retried"
expect_grep "425 Can't open data connection.; trying once more" "$TEST_TMP/err" "a 425 is retried"
expect_eq "$(grep -c "Can't open data connection.; trying once more" "$TEST_TMP/err")" 2 "one retry each for RETR and STOR"
expect_grep "421 .*; trying once more in 1 s" "$TEST_TMP/err" "the refused session is asked once more"
expect_eq "$(ls "$UP_ROOT/upload" | wc -l)" 1 "the export was delivered after its 425"
expect_eq "$(q "select count(*) from snapshots where state = 'applied'")" 40 "all 40 applied"
finish
