#!/bin/sh
# e2e: the shipped profiles and formats are compiled in. A copy of the binary
# alone in an empty directory (no source tree, no install) reads the demo
# configuration's feeds and renders its target's format; `lotsync profiles`
# and `lotsync formats` say where each comes from; a same-named file next to
# the config overrides a built-in one, a new name adds one.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

box=$TEST_TMP/box
mkdir -p "$box/conf" "$box/spool/incoming/acme" "$box/spool/incoming/beta" "$box/remote"
cp "$LOTSYNC" "$box/lotsync"
# The demo config with its FTPS target pointed at a local directory instead.
# Its webhook points at a closed port: a warning, the run's exit code stays.
sed -e "s|^url = ftps://.*|url = file://$box/remote/|" -e '/^password_file/d' -e '/^ca_file/d' \
	-e 's/@HOOK_PORT@/1/' "$SRCDIR/conf/demo/lotsync.conf" >"$box/conf/lotsync.conf"
mkdir -p "$box/metrics"
chmod 600 "$box/conf/lotsync.conf"
cp "$SRCDIR/conf/demo/feeds/batch1/acme.csv" "$box/spool/incoming/acme/"
cp "$SRCDIR/conf/demo/feeds/batch1/beta.csv" "$box/spool/incoming/beta/"

cd "$box" || exit 1
# No LOTSYNC_SHAREDIR, no $PREFIX/share: only what is inside the binary.
B() { env -u LOTSYNC_SHAREDIR ./lotsync "$@"; }
expect_rc 0 "the lone binary runs the demo feeds" B --now 2026-11-22T07:00:00Z run
B --json snapshots >snaps.json
# Records as Python's csv module counts them (descriptions span lines).
rows() { /usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' "$1"; }
na=$(rows "$SRCDIR/conf/demo/feeds/batch1/acme.csv") nb=$(rows "$SRCDIR/conf/demo/feeds/batch1/beta.csv")
expect_eq "$(json '[(s["feed"], s["state"], s["vehicles"]) for s in j]' snaps.json)" \
	"[('acme', 'applied', $na), ('beta', 'applied', $nb)]" "both feeds applied with every vehicle"
expect_eq "$(ls remote | grep -c '\.csv$')" 1 "the target's built-in format was rendered and delivered"
expect_grep '^DealerID,VIN,StockNo' "remote/$(ls remote | head -n 1)" "the generic-csv header"

expect_rc 0 "profiles lists" B profiles
for p in generic-csv generic-xml dealer-feed mobilede-csv homenet-tsv google-vehicle-csv listings-xml wayke-csv; do
	expect_grep "^$p  *built-in  " "$TEST_TMP/out" "profile $p is built in"
done
expect_rc 0 "formats lists" B formats
for f in generic-csv mobilede-csv google-vehicle-csv listings-xml wayke-csv; do
	expect_grep "^$f  *built-in  " "$TEST_TMP/out" "format $f is built in"
done

# Override: a local generic-csv that maps Make from another column, and a new
# profile. The override wins for the next file; the listing names both paths.
mkdir -p conf/profiles
sed 's/^make *= *Make$/make = Model/' "$SRCDIR/conf/profiles/generic-csv.ini" >conf/profiles/generic-csv.ini
grep -q '^make = Model$' conf/profiles/generic-csv.ini || fail "test setup: the override did not change make"
cp "$SRCDIR/conf/profiles/dealer-feed.ini" conf/profiles/my-dms.ini
expect_rc 0 "profiles lists the local files" B profiles
expect_grep "^generic-csv  *$box/conf/profiles/generic-csv.ini (overrides the built-in one)$" \
	"$TEST_TMP/out" "the override is named with its path"
expect_grep "^my-dms  *$box/conf/profiles/my-dms.ini$" "$TEST_TMP/out" "a new local profile is listed"
B --json profiles >profiles.json
expect_eq "$(json '[(p["source"] == "built-in", p["overrides_builtin"]) for p in j if p["name"] in ("generic-csv", "wayke-csv")]' profiles.json)" \
	"[(False, True), (True, False)]" "--json says where each comes from"

cp "$SRCDIR/conf/demo/feeds/batch2/acme.csv" spool/incoming/acme/
# The override maps Model to make, so model is empty for every vehicle now: the drift
# guard holds the file until it is accepted as it is.
expect_rc 3 "ingest with the overriding profile: held by the drift guard" B --now 2026-11-22T08:00:00Z ingest
expect_grep "drift: field model was filled" "$TEST_TMP/err" "the hold names the emptied field"
expect_rc 0 "accept it" B --now 2026-11-22T09:00:00Z accept 3
B --json show 3 >show.json
vin=$(sed -n 2p "$SRCDIR/conf/demo/feeds/batch2/acme.csv" | cut -d, -f2)
model=$(sed -n 2p "$SRCDIR/conf/demo/feeds/batch2/acme.csv" | cut -d, -f7)
expect_eq "$(json "[v['fields']['make'] for v in j['vehicles'] if v['key'] == '$vin']" show.json)" \
	"['$model']" "the local override was used, not the built-in profile"

# Unknown names say both places that were looked at.
sed -i 's/^profile = generic-csv$/profile = no-such-profile/' conf/lotsync.conf
expect_rc 78 "an unknown profile is a config error" B check-config
expect_grep "unknown profile 'no-such-profile': not built in and no $box/conf/profiles/no-such-profile.ini" \
	"$TEST_TMP/err" "the message says it is not built in"
finish
