#!/bin/sh
# e2e: the 100k pair's exact counts. Two 100,000-vehicle snapshots
# (scripts/mkfeed.py: 5% changed, 2% new, 2% vanished) are ingested; the
# counts the steady-state ingest recorded (snapshots --json) and the keys
# `diff --json` reports as new, vanished and changed must equal those of an
# independent Python dict diff of the two CSV files (tests/peer_diff.py)
# and the generator's exact counts, and the diff must run in bounded memory
# (the whole-snapshot diff it replaces needed about 500 MB here). Timings
# are `make bench`'s business, not this test's.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
N=${LOTSYNC_DIFF_ROWS:-100000}

ingest_pair "$N" 11 12

peak_rss diff.json --json diff 1 2
expect_eq "$?" "0" "diff --json exits 0"
[ "$RSS" -lt 100 ] && pass "diff of two $N-vehicle snapshots peaked at $RSS MB" ||
	fail "diff peaked at $RSS MB (bounded memory expected, < 100 MB)"

/usr/bin/python3 "$SRCDIR/tests/peer_diff.py" a.csv b.csv >peer.json || fail "peer diff failed"
L --json snapshots >snaps.json
expect_eq "$(json '[(s["new"], s["changed"], s["vanished"], s["rejected_rows"]) for s in j]' snaps.json)" \
	"[($N, 0, 0, 0), ($((N * 2 / 100)), $((N * 5 / 100)), $((N * 2 / 100)), 0)]" \
	"the ingests recorded the generator's exact counts"
/usr/bin/python3 - snaps.json peer.json <<'PY' && pass "the steady-state ingest's counts equal the Python peer's" || fail "ingest counts differ from the peer"
import json, sys
s, p = json.load(open(sys.argv[1]))[1], json.load(open(sys.argv[2]))
got = {k: s[k] for k in ("new", "changed", "vanished")}
want = {k: len(p[k]) for k in ("new", "changed", "vanished")}
if got != want:
    print("lotsync %s, peer %s" % (got, want), file=sys.stderr)
    sys.exit(1)
PY
expect_eq "$(json '[len(j[k]) for k in ("new", "changed", "vanished")]' diff.json)" \
	"[$((N * 2 / 100)), $((N * 5 / 100)), $((N * 2 / 100))]" "diff counts are mkfeed's exact counts"
/usr/bin/python3 - diff.json peer.json <<'PY' && pass "new, vanished and changed keys equal the Python peer's" || fail "keys differ from the peer"
import json, sys
d, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = 0
for k in ("new", "vanished"):
    if d[k] != p[k]:  # lotsync streams in key order: the lists must match as printed
        print("%s: %d lotsync, %d peer, first difference %s" % (k, len(d[k]), len(p[k]),
              next((a, b) for a, b in zip(d[k] + [None], p[k] + [None]) if a != b)), file=sys.stderr)
        bad = 1
ck = [c["key"] for c in d["changed"]]
if ck != p["changed"]:
    print("changed: %d lotsync, %d peer" % (len(ck), len(p["changed"])), file=sys.stderr)
    bad = 1
sys.exit(bad)
PY
# The changed fields are the columns mkfeed changes (price, mileage, description), old -> new.
expect_eq "$(json 'sorted(set(f for c in j["changed"] for f in c["fields"]))' diff.json)" \
	"['description', 'mileage', 'price']" "changed fields are the ones the generator changes"
finish
