#!/bin/sh
# e2e (issue 16): the version store of schema 12. Version rows are written
# once, an end is a version_ends row, and cur (each feed's current set) is
# written with them: through changes, vanishes, a held file rolled back, an
# accept and a return, cur must be exactly the open versions the view
# `versions` shows, and `verify` must agree with every snapshot's digest.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
open_keys() { sqlite3 "$DB" "select group_concat(key, ' ') from (select key from versions where to_seq is null order by key)"; }
cur_keys() { sqlite3 "$DB" "select group_concat(key, ' ') from (select key from cur where feed = 'acme' order by key)"; }
# same_set WHAT: cur holds the open versions, with their ids and hashes
same_set() {
	expect_eq "$(sqlite3 "$DB" "select (select count(*) from (select version_id, key, hash from cur
		except select id, key, hash from versions where to_seq is null))
		+ (select count(*) from versions where to_seq is null) - (select count(*) from cur)")" \
		"0" "$1: cur is the set of open versions"
}
feed() { # FILE VIN[=PRICE]...: a generic-csv file of those vehicles
	_f=$1
	shift
	{
		echo "DealerID,VIN,StockNo,Make,Model,Price"
		for _v in "$@"; do
			echo "D1,${_v%%=*},S-${_v%%=*},Volvo,V70,${_v#*=}"
		done
	} >"$IN/$_f"
}
VA=YV1SW612452123451 VB=YV1SW612452123452 VC=YV1SW612452123453 VD=YV1SW612452123454

feed day1.csv "$VA=100" "$VB=200" "$VC=300"
# B without a make: its later fields sit one place earlier (the fill counts must follow)
sed -i "s/^D1,$VB,S-$VB,Volvo,/D1,$VB,S-$VB,,/" "$IN/day1.csv"
expect_rc 0 "first snapshot" L --now 2026-11-20T08:00:00Z ingest
expect_eq "$(sqlite3 "$DB" "select group_concat(field || '=' || filled, ' ') from (select * from snapshot_fill
	where snapshot_id = 1 order by field)")" "dealer_id=3 make=2 model=3 price=3 stock_no=3 vin=3" \
	"the drift guard's fill counts, field by field"
expect_eq "$(cur_keys)" "$VA $VB $VC" "three current vehicles"
same_set "first snapshot"

# A changed, B vanished, D new: two ends appended, no version row rewritten.
feed day2.csv "$VA=150" "$VC=300" "$VD=400"
expect_rc 0 "second snapshot" L --now 2026-11-21T08:00:00Z ingest
expect_eq "$(cur_keys)" "$VA $VC $VD" "B left cur, D entered"
expect_eq "$(sqlite3 "$DB" "select group_concat(v.key || '@' || e.to_seq, ' ') from version_ends e
	join version_rows v on v.id = e.version_id")" "$VA@2 $VB@2" "the ends of A's old version and of B"
expect_eq "$(sqlite3 "$DB" "select count(*) from version_rows")" "5" "one new row each for A and D"
same_set "second snapshot"

# An empty file is held: what it wrote is rolled back, cur unchanged.
printf 'DealerID,VIN,StockNo\n' >"$IN/empty.csv"
expect_rc 3 "empty file held" L --now 2026-11-22T08:00:00Z ingest
expect_eq "$(cur_keys)" "$VA $VC $VD" "a held file changes no current vehicle"
expect_eq "$(sqlite3 "$DB" "select count(*) from version_ends")" "2" "and ends nothing"
same_set "held snapshot"

# Accepting it vanishes everything; the next file brings A back as a new version.
expect_rc 0 "accept the empty file" L --now 2026-11-22T09:00:00Z accept 3
expect_eq "$(cur_keys)" "" "an accepted empty file empties cur"
same_set "accepted snapshot"
feed day4.csv "$VA=150"
expect_rc 0 "A returns" L --now 2026-11-23T08:00:00Z ingest
expect_eq "$(open_keys)" "$VA" "A is open again"
expect_eq "$(sqlite3 "$DB" "select from_seq from versions where to_seq is null")" "4" "as a new version"
same_set "return"
expect_rc 0 "verify agrees with every snapshot's digest" L verify

# Writing behind lotsync's back: ends are append-only, and only a current version ends.
expect_eq "$(sqlite3 "$DB" "delete from version_ends" 2>&1)" \
	"Error: stepping, version_ends are append-only (19)" "an end cannot be removed"
expect_eq "$(sqlite3 "$DB" "insert into version_ends values(1, 'acme', 9)" 2>&1)" \
	"Error: stepping, UNIQUE constraint failed: version_ends.version_id (19)" \
	"an ended version cannot end again"
# cur is derived: verify names a current set that disagrees with the versions.
sqlite3 "$DB" "delete from cur where key = '$VA'"
expect_rc 65 "verify: a vehicle missing from cur" L verify
expect_grep "cur (the current set) disagrees with the versions in 1 place (first: feed acme, version [0-9]*: open but not in cur)" \
	"$TEST_TMP/err" "verify names the version cur lacks"
finish
