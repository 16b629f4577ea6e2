#!/bin/sh
# e2e: never silently wrong, over four days with --now, with rules and a
# full export, on a drop feed and (with the loopback servers) an SFTP feed:
#   day 1  five vehicles: five SRs, an export of five;
#   day 2  one row refused (price 24.900), another price changed: the refused
#          vehicle stays current, in the export and its SR stays open although
#          auto_close = immediately; its history says "refused in snapshot 2";
#   day 3  the day-1 file is resent: applied (not a duplicate), the store and
#          the export are day 1's again, the snapshot says "same content as
#          snapshot 1"; sending it once more is a duplicate;
#   day 4  the Price column arrives renamed: held (exit 3, drift reason),
#          nothing exported until `accept`, which applies it as it is.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

V1=1HGCM8263LA100000 V2=WBA8E9C53LA101111 V3=WVWZZZAU9LA102222
V4=JTDKB20U3LA103333 V5=TMBJJ7NEXLA104444

# day FILE PRICEHEADER P2 P3: the feed's file (five vehicles of dealer D1).
day() {
	{
		echo "DealerID,VIN,StockNo,Type,Mileage,$2"
		echo "D1,$V1,S1,U,12000,14990"
		echo "D1,$V2,S2,U,19311,$3"
		echo "D1,$V3,S3,U,26622,$4"
		echo "D1,$V4,S4,U,33933,17990"
		echo "D1,$V5,S5,U,41244,18990"
	} >"$1"
}

# scenario NAME SOURCE-LINE DROPDIR [EXTRA-CONF]: the four days for one feed.
scenario() {
	name=$1 src=$2 drop=$3 extra=${4:-}
	d=$TEST_TMP/$name
	mkdir -p "$d/conf" "$d/market" "$d/files" "$drop"
	cat >"$d/conf/lotsync.conf" <<CONF
[lotsync]
spool = ../spool
settle_seconds = 0

[feed:acme]
source = $src
profile = generic-csv
auto_close = immediately
$extra

[client:one]
dealer_id = D1
name = One
sr_type = Recon

[target:market]
url = file://$d/market/
format = generic-csv
feeds = acme
CONF
	chmod 600 "$d/conf/lotsync.conf"
	L() { "$LOTSYNC" -c "$d/conf/lotsync.conf" "$@"; }
	q() { sqlite3 "$d/spool/lotsync.db" "$1"; }
	newest() { ls -t "$d/market"/*.csv | head -n 1; }
	# send FILE: the DMS uploads a file (settled an hour ago).
	send() {
		cp "$d/files/$1" "$drop/$2"
		touch -d '-1 hour' "$drop/$2"
	}

	day "$d/files/day1.csv" Price 15990 16990
	send day1.csv day1.csv
	expect_rc 0 "$name: day 1 run" L --now 2026-03-01T06:00:00Z run
	L --json srs --open >"$d/srs.json"
	expect_eq "$(json 'len(j)' "$d/srs.json")" 5 "$name: day 1: five open SRs"
	expect_eq "$(ls "$d/market" | wc -l)" 1 "$name: day 1: one export"
	expect_eq "$(grep -c '^D1,' "$(newest)")" 5 "$name: day 1: five vehicles exported"

	# Day 2: V3's price in German notation (refused), V2 cheaper.
	day "$d/files/day2.csv" Price 13490 24.900
	send day2.csv day2.csv
	expect_rc 0 "$name: day 2 run (a refused row is not a failure)" L --now 2026-03-02T06:00:00Z run
	expect_grep "1 rows rejected" "$TEST_TMP/err" "$name: day 2: the refused row is reported"
	expect_eq "$(q "SELECT vanished FROM snapshots WHERE id = 2")" 0 "$name: day 2: nothing vanished"
	expect_eq "$(q "SELECT key FROM rejected_rows WHERE snapshot_id = 2")" "$V3" "$name: day 2: the refused row names its key"
	L --json srs --open >"$d/srs.json"
	expect_eq "$(json 'sorted(s["vin"] for s in j) == sorted(["'$V1'","'$V2'","'$V3'","'$V4'","'$V5'"])' "$d/srs.json")" True \
		"$name: day 2: V3's SR stays open (auto_close = immediately did not see it absent)"
	expect_grep "$V3" "$(newest)" "$name: day 2: V3 stays in the export"
	expect_grep "$V3.*16990" "$(newest)" "$name: day 2: with its last good price"
	expect_grep "$V2.*13490" "$(newest)" "$name: day 2: V2's new price is exported"
	L history "$V3" >"$d/history" 2>&1
	expect_grep "refused in snapshot 2: .24.900. has more than two decimals" "$d/history" "$name: day 2: V3's history says refused in snapshot 2"

	# Day 3: the day-1 file resent under a new name.
	send day1.csv day3.csv
	expect_rc 0 "$name: day 3 run (resent day-1 file)" L --now 2026-03-03T06:00:00Z run
	expect_eq "$(q "SELECT state FROM snapshots WHERE id = 3")" applied "$name: day 3: the resent file is applied"
	L show 3 >"$d/show3" 2>&1
	expect_grep "same content as snapshot 1" "$d/show3" "$name: day 3: the snapshot says same content as snapshot 1"
	expect_grep "$V2.*15990" "$(newest)" "$name: day 3: the export has day 1's price again"
	expect_eq "$(ls "$d/market" | wc -l)" 3 "$name: day 3: a third export"
	send day1.csv day3b.csv
	expect_rc 0 "$name: day 3 again (same as the newest)" L --now 2026-03-03T12:00:00Z run
	expect_eq "$(q "SELECT count(*) FROM snapshots WHERE state = 'applied'")" 3 \
		"$name: day 3: identical to the newest applied: not applied"
	expect_eq "$(q "SELECT (SELECT count(*) FROM snapshots WHERE state = 'duplicate') + (SELECT count(*) FROM fetched WHERE state = 'identical')")" 1 \
		"$name: day 3: recorded as a duplicate (drop) or an identical download (SFTP)"
	expect_eq "$(ls "$d/market" | wc -l)" 3 "$name: day 3: a duplicate exports nothing"

	# Day 4: Price renamed to Internet Price.
	day "$d/files/day4.csv" "Internet Price" 15990 16990
	send day4.csv day4.csv
	expect_rc 3 "$name: day 4 run (renamed price column)" L --now 2026-03-04T06:00:00Z run
	expect_grep "drift: column 'Price' (field price)" "$TEST_TMP/err" "$name: day 4: held with a reason naming column and field"
	expect_eq "$(ls "$d/market" | wc -l)" 3 "$name: day 4: nothing exported while held"
	expect_rc 3 "$name: day 4 status says so" L --now 2026-03-04T07:00:00Z status
	expect_grep "drift" "$TEST_TMP/out" "$name: day 4: status names the drift"
	held=$(q "SELECT id FROM snapshots WHERE state = 'held'")
	expect_rc 0 "$name: day 4 accept" L --now 2026-03-04T08:00:00Z accept "$held"
	expect_eq "$(q "SELECT state FROM snapshots WHERE id = '$held'")" applied "$name: day 4: accepted: applied as it is"
	expect_eq "$(ls "$d/market" | wc -l)" 4 "$name: day 4: accept exports"
	expect_eq "$(grep -c "$V1" "$(newest)")" 1 "$name: day 4: the vehicles stay listed"
}

scenario drop drop "$TEST_TMP/drop/spool/incoming/acme"
if [ -n "${LOTSYNC_SERVERS:-}" ]; then
	mkdir -p sftp/conf
	cp "$SFTP_KEY" sftp/conf/id_ed25519
	cp "$SFTP_KNOWN_HOSTS" sftp/conf/known_hosts
	chmod 600 sftp/conf/id_ed25519
	SD=$SFTP_ROOT/inbox/truth$$
	mkdir -p "$SD"
	chown "$FTP_USER" "$SD" 2>/dev/null || true
	scenario sftp "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SD/*.csv" "$SD" \
		"identity = id_ed25519
known_hosts = known_hosts"
	rm -rf "$SD"
elif [ "${LOTSYNC_REQUIRE_SERVERS:-0}" = 1 ]; then
	fail "servers required but LOTSYNC_SERVERS is unset"
else
	echo "sftp scenario skipped: no test servers"
fi
finish
