#!/bin/sh
# e2e: metrics_file. After a clean run, a run with a held snapshot, a run
# that locks a target and a run that quarantines a file, the file parses
# with a real Prometheus text parser (python3-prometheus-client) and every
# value is what the database says; a run that finds the lock taken leaves
# the file alone; the file is published by rename (no temporary left) and
# readable by the collector (0644).
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1

/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null ||
	{ fail "python3-prometheus-client is missing (scripts/deps.sh installs it)"; finish; }
make_conf "$TEST_TMP"
mkdir -p metrics spool/incoming/acme
sed -i "s|^settle_seconds = 0|settle_seconds = 0\nmetrics_file = $TEST_TMP/metrics/lotsync.prom|" conf/lotsync.conf
L() { "$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" "$@"; }
epoch() { date -u -d "$1" +%s; }
rows() { /usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' "$1"; }

# metric NAME [LABEL=VALUE]: the sample's value as an integer, parsed by prometheus_client.
metric() {
	/usr/bin/python3 - "$TEST_TMP/metrics/lotsync.prom" "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
name, want = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
found = [s.value for fam in text_string_to_metric_families(text) for s in fam.samples
         if s.name == name and s.labels == want]
print(int(found[0]) if len(found) == 1 else "missing(%d)" % len(found))
PY
}

acme=$SRCDIR/conf/demo/feeds/batch1/acme.csv
n=$(rows "$acme")
cp "$acme" spool/incoming/acme/
expect_rc 0 "clean run" L --now 2026-11-22T07:00:00Z run
t1=$(epoch 2026-11-22T07:00:00Z)
expect_eq "$(metric lotsync_run_exit_code)" 0 "clean: exit code 0"
expect_eq "$(metric lotsync_run_last_timestamp_seconds)" "$t1" "clean: last run time"
expect_eq "$(metric lotsync_run_last_success_timestamp_seconds)" "$t1" "clean: last success time"
expect_eq "$(metric lotsync_feed_records feed=acme)" "$n" "clean: records = vehicles in the file"
expect_eq "$(metric lotsync_feed_last_applied_timestamp_seconds feed=acme)" "$t1" "clean: last applied"
expect_eq "$(metric lotsync_feed_held_snapshots feed=acme)" 0 "clean: nothing held"
expect_eq "$(metric lotsync_target_locked target=local)" 0 "clean: not locked"
expect_eq "$(metric lotsync_target_pending_files target=local)" 0 "clean: nothing pending"
expect_eq "$(metric lotsync_target_last_delivery_timestamp_seconds target=local)" "$t1" "clean: delivered now"
expect_eq "$(stat -c %a metrics/lotsync.prom)" 644 "readable by the collector"
expect_eq "$(ls -A metrics)" "lotsync.prom" "no temporary file left"
dur=$(/usr/bin/python3 -c "
from prometheus_client.parser import text_string_to_metric_families as p
print([s.value for f in p(open('metrics/lotsync.prom').read()) for s in f.samples if s.name == 'lotsync_run_duration_seconds'][0] > 0)")
expect_eq "$dur" True "a duration is measured"

# Held: an empty file.
: >spool/incoming/acme/empty.csv
expect_rc 3 "held run" L --now 2026-11-22T08:00:00Z run
expect_eq "$(metric lotsync_run_exit_code)" 3 "held: exit code 3"
expect_eq "$(metric lotsync_feed_held_snapshots feed=acme)" 1 "held: one held snapshot"
expect_eq "$(metric lotsync_run_last_timestamp_seconds)" "$(epoch 2026-11-22T08:00:00Z)" "held: last run time moves"
expect_eq "$(metric lotsync_run_last_success_timestamp_seconds)" "$t1" "held: last success stays"
expect_eq "$(metric lotsync_feed_last_applied_timestamp_seconds feed=acme)" "$t1" "held: last applied stays"
expect_rc 0 "reject the held snapshot" L reject 2
expect_eq "$(metric lotsync_feed_held_snapshots feed=acme)" 0 "after reject: the metrics follow the decision"

# Locked: the feed grows by more than deviation_lock (20%).
{ cat "$acme"; tail -n +2 "$SRCDIR/conf/demo/feeds/batch1/beta.csv"; } >spool/incoming/acme/grown.csv
grown=$(rows spool/incoming/acme/grown.csv)
expect_rc 3 "locked run" L --now 2026-11-22T09:00:00Z run
expect_eq "$(metric lotsync_run_exit_code)" 3 "locked: exit code 3"
expect_eq "$(metric lotsync_target_locked target=local)" 1 "locked: target locked"
expect_eq "$(metric lotsync_target_pending_files target=local)" 1 "locked: one file pending"
expect_eq "$(metric lotsync_feed_records feed=acme)" "$grown" "locked: records grew"
expect_eq "$(metric lotsync_target_last_delivery_timestamp_seconds target=local)" "$t1" "locked: last delivery stays"

# Failed: a file that cannot be read is quarantined (exit 65).
printf 'DealerID,VIN\nD1,"unterminated\n' >spool/incoming/acme/broken.csv
expect_rc 65 "quarantine run" L --now 2026-11-22T10:00:00Z ingest
expect_eq "$(metric lotsync_run_exit_code)" 65 "failed: exit code 65"
expect_eq "$(metric lotsync_feed_quarantined_files_total feed=acme)" 1 "failed: one quarantined file"
expect_eq "$(metric lotsync_run_info command=ingest)" 1 "failed: the command is named"

# Another run holds the lock: exit 75, the holder's metrics are not touched.
before=$(sha256sum metrics/lotsync.prom)
flock spool/.lock sh -c "'$LOTSYNC' -c '$TEST_TMP/conf/lotsync.conf' --now 2026-11-22T11:00:00Z run" \
	>/dev/null 2>lock.err
expect_eq "$?" 75 "a second run exits 75"
expect_eq "$(sha256sum metrics/lotsync.prom)" "$before" "and leaves metrics_file alone"

# Unlock then a clean delivery: success time moves, lock clears.
expect_rc 0 "unlock" L --now 2026-11-22T12:00:00Z unlock local
expect_rc 0 "clean run after unlock" L --now 2026-11-22T13:00:00Z run
expect_eq "$(metric lotsync_target_locked target=local)" 0 "unlocked"
expect_eq "$(metric lotsync_run_last_success_timestamp_seconds)" "$(epoch 2026-11-22T13:00:00Z)" "success time moves"
expect_eq "$(metric lotsync_target_pending_files target=local)" 0 "the queued file was delivered"
finish
