#!/bin/sh
# e2e, fault matrix: matrix row 12 (duplicate delivery). The file just
# applied is delivered again: dropped under a new name, and (loopback sshd)
# re-uploaded to an SFTP feed's folder under the same name with a new mtime
# and under a new name. Each time the run exits 0, logs "same content as
# snapshot N; recorded as duplicate, not applied" (a fetched copy: "same
# content as a file fetched or ingested before"), and changes nothing: versions, SRs, exports and the
# receiver stay as they were; only the snapshot (duplicate) and run records
# are added. (t1000 and t1001 show the same over the vendor's SFTP upload.)
. "$SRCDIR/tests/e2e/lib.sh"
local_env
printf '\n[client:d]\ndealer_id = D001\nname = D\nsr_type = Recon\n' >>"$C"

# state: everything a duplicate must not change.
state() {
	sqlite3 "$DB" "select feed, key, hash, from_seq, coalesce(to_seq, '') from versions order by 1, 2, 4" \
		"select * from srs order by 1" "select target, file, sha256, state from exports order by id"
	ls -l outbox-remote
}
/usr/bin/python3 "$G" --vehicles 40 --dealers 1 --seed 121 --out a.csv
cp a.csv "$IN/a.csv"
expect_rc 0 "first delivery" L -v --now 2026-11-20T08:00:00Z run
expect_eq "$(sqlite3 "$DB" 'select count(*) > 0 from srs')" "1" "it opened SRs"
state >before.txt
cp a.csv "$IN/a-again.csv"
expect_rc 0 "the same bytes under a new name" L -v --now 2026-11-20T09:00:00Z run
expect_grep "a-again.csv: same content as snapshot 1; recorded as duplicate, not applied" \
	"$TEST_TMP/err" "the duplicate is logged"
state >after.txt
cmp -s before.txt after.txt && pass "zero changes: versions, SRs, exports, receiver" ||
	{ fail "a duplicate changed the state"; diff before.txt after.txt >&2; }
expect_eq "$(sqlite3 "$DB" "select group_concat(file || ':' || state, ' ') from (select * from snapshots order by id)")" \
	"a.csv:applied a-again.csv:duplicate" "recorded as a duplicate snapshot"

# Re-uploaded to an SFTP feed: the same name with a new mtime, then a new name.
if [ -n "${LOTSYNC_SERVERS:-}" ]; then
	server_creds "$TEST_TMP"
	SD=$SFTP_ROOT/inbox/dup$$
	mkdir -p "$SD"
	server_section feed:remote "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/*.csv" "profile = generic-csv" >>"$C"
	cp a.csv "$SD/r.csv"
	touch -d '-1 hour' "$SD/r.csv"
	expect_rc 0 "the remote feed's first file" L -v --now 2026-11-20T10:00:00Z run
	state >before.txt
	cp a.csv "$SD/r.csv.new" && mv "$SD/r.csv.new" "$SD/r.csv"
	touch -d '-30 min' "$SD/r.csv"
	expect_rc 0 "re-uploaded under the same name" L -v --now 2026-11-20T11:00:00Z run
	cp a.csv "$SD/r-again.csv"
	touch -d '-20 min' "$SD/r-again.csv"
	expect_rc 0 "re-uploaded under a new name" L -v --now 2026-11-20T12:00:00Z run
	expect_grep "1 identical to earlier files" "$TEST_TMP/out" "the fetched copy is recognised"
	expect_grep "r-again.csv: same content as a file fetched or ingested before; recorded, not ingested again" \
		"$TEST_TMP/err" "and logged"
	state >after.txt
	cmp -s before.txt after.txt && pass "zero changes after both re-uploads" ||
		{ fail "a re-upload changed the state"; diff before.txt after.txt >&2; }
	expect_eq "$(sqlite3 "$DB" "select count(*) from snapshots where feed = 'remote' and state = 'applied'")" "1" \
		"the remote feed applied its file once"
	rm -rf "$SD"
else
	echo "no test servers: the SFTP part skipped"
fi
finish
