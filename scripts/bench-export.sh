#!/bin/sh
# bench-export.sh OUTDIR: export and delivery speed as ratios against
# references measured in the same run (issue 7). Run by scripts/bench.sh.
#  1. A full export of a 1M-vehicle snapshot to mobilede-csv, in MB/s of
#     output (the whole 'lotsync export --full' command: open, render from
#     SQLite, fsync, rename, record), against a plain buffered fwrite loop
#     writing the same bytes line by line (a tiny C peer compiled here,
#     fsync included), and against a bare SQLite scan of the rows the
#     export reads (another tiny C peer: the floor under any export).
#  2. Delivery of a ~120 MB export file over the loopback servers
#     (scripts/with-servers.sh): 'lotsync deliver' (login, upload to a
#     temporary name, rename, record, move to sent/) against OpenSSH
#     'sftp' put, 'lftp' put and 'curl -T' of the same file.
# Inputs come from scripts/mkfeed.py and are cached in OUTDIR/export/ (the
# ingested database is reused while BENCH_VEHICLES is unchanged).
# Env: BENCH_VEHICLES (default 1000000), BENCH_RUNS (default 3, medians).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: bench-export.sh OUTDIR}
mkdir -p "$base"
base=$(cd "$base" && pwd)
if [ "${BENCH_EXPORT_INNER:-}" != 1 ]; then
	export BENCH_EXPORT_INNER=1
	exec "$top/scripts/with-servers.sh" sh "$0" "$base"
fi
out=$base/export
N=${BENCH_VEHICLES:-1000000}
R=${BENCH_RUNS:-3}
L=$top/lotsync
PY=/usr/bin/python3
mkdir -p "$out/conf/formats" "$out/conf/secrets" "$out/remote"

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbs() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / 1e6 / s }'; }

# --- the tiny C peers -------------------------------------------------------
cat >"$out/peer_fwrite.c" <<'EOF'
/* Write FILE's lines to OUT with fwrite (stdio buffer), fflush, fsync; print seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
	long n; char *buf; struct timespec a, b;
	if (!in || !out) return 1;
	fseek(in, 0, SEEK_END); n = ftell(in); fseek(in, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, in) != (size_t)n) return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (char *p = buf, *end = buf + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (fwrite(p, 1, len, out) != len) return 1;
		p += len;
	}
	if (fflush(out) || fsync(fileno(out)) || fclose(out)) return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
EOF
cat >"$out/peer_scan.c" <<'EOF'
/*
 * Step through the rows a full export of feed FEED reads, their data as
 * JSON through lotsync_json() (the extension EXT: schema 13 stores it
 * compressed), as export reads them; print seconds.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) {
	sqlite3 *db; sqlite3_stmt *s; struct timespec a, b; long long bytes = 0;
	(void)argc;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_enable_load_extension(db, 1) || sqlite3_load_extension(db, argv[3], NULL, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT v.id, v.key, lotsync_json(v.data) FROM cur c JOIN version_rows v"
	                           " ON v.id = c.version_id WHERE c.feed = ? AND v.kind = 'vehicle'"
	                           " ORDER BY c.version_id", -1, &s, NULL))
		return 1;
	sqlite3_bind_text(s, 1, argv[2], -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		bytes += sqlite3_column_bytes(s, 2) + (long long)(sqlite3_column_text(s, 1) != 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f %lld\n", (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, bytes);
	return 0;
}
EOF
cc -O2 -o "$out/peer_fwrite" "$out/peer_fwrite.c"
cc -O2 -o "$out/peer_scan" "$out/peer_scan.c" -lsqlite3

# --- configuration ----------------------------------------------------------
# bench120: mobilede-csv plus three columns, about 120 bytes per vehicle.
sed -e 's/^13 = vin$/13 = vin\n14 = exterior_color\n15 = fuel\n16 = transmission/' \
	"$top/conf/formats/mobilede-csv.ini" >"$out/conf/formats/bench120.ini"
servers=${LOTSYNC_SERVERS:+yes}
if [ -n "$servers" ]; then
	cp "$FTP_PASSWORD_FILE" "$out/conf/secrets/ftp.pw"
	cp "$SFTP_KEY" "$out/conf/secrets/id"
	cp "$SFTP_KNOWN_HOSTS" "$out/conf/known_hosts"
	chmod 600 "$out/conf/secrets/"*
	mkdir -p "$FTP_ROOT/upload/bench" "$SFTP_ROOT/upload/bench"
	chown "$FTP_USER" "$FTP_ROOT/upload/bench" "$SFTP_ROOT/upload/bench"
fi
{
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n\n'
	printf '[feed:acme]\nsource = drop\nprofile = generic-csv\nvanish_guard = 100%%\n\n'
	printf '[target:mobile]\nurl = file://%s/remote/\nformat = mobilede-csv\nfeeds = acme\n' "$out"
	printf 'deviation_lock = 1000%%\n\n'
	if [ -n "$servers" ]; then
		printf '[target:sftp]\nurl = sftp://%s@127.0.0.1:%s%s/upload/bench/\n' "$SFTP_USER" \
			"$SFTP_PORT" "$SFTP_ROOT"
		printf 'identity = secrets/id\nknown_hosts = known_hosts\nformat = bench120\n'
		printf 'feeds = acme\ndeviation_lock = 1000%%\n\n'
		printf '[target:ftp]\nurl = ftp://%s@127.0.0.1:%s/upload/bench/\n' "$FTP_USER" "$FTP_PORT"
		printf 'password_file = secrets/ftp.pw\nformat = bench120\nfeeds = acme\n'
		printf 'deviation_lock = 1000%%\n'
	fi
} >"$out/conf/lotsync.conf"
chmod 600 "$out/conf/lotsync.conf"
B() { "$L" -c "$out/conf/lotsync.conf" --now 2026-11-20T08:00:00Z "$@"; }

# --- the snapshot: generated and ingested once per size ---------------------
if [ "$(cat "$out/vehicles" 2>/dev/null)" != "$N" ]; then
	rm -rf "$out/spool" "$out/vehicles"
	mkdir -p "$out/spool/incoming/acme"
	echo "generating and ingesting $N vehicles (cached in $out for later runs)"
	"$PY" "$top/scripts/mkfeed.py" --vehicles "$N" --seed 1 --out "$out/feed.csv"
	mv "$out/feed.csv" "$out/spool/incoming/acme/feed.csv"
	B ingest
	echo "$N" >"$out/vehicles"
fi
# Exports the bench renders are never delivered; clear the queue each time.
clear_outbox() { rm -f "$out/spool/outbox/$1/"*; }

# --- 1. export ---------------------------------------------------------------
ex="" fw="" sc=""
for i in $(seq "$R"); do
	clear_outbox mobile
	t0=$(now)
	B export --full mobile
	t1=$(now)
	ex="$ex $(secs "$t0" "$t1")"
	f=$(ls "$out/spool/outbox/mobile/"*)
	size=$(stat -c %s "$f")
	fw="$fw $("$out/peer_fwrite" "$f" "$out/peer.out")"
	sc="$sc $("$out/peer_scan" "$out/spool/lotsync.db" acme "$top/build/lotsync_json.so" | cut -d' ' -f1)"
	rm -f "$out/peer.out"
done
clear_outbox mobile
ex=$(echo "$ex" | median) fw=$(echo "$fw" | median) sc=$(echo "$sc" | median)
echo "export: $N vehicles -> mobilede-csv, $size bytes, median of $R"
echo "  lotsync export --full    $ex s  $(mbs "$size" "$ex") MB/s of output"
echo "  fwrite loop, same bytes  $fw s  $(mbs "$size" "$fw") MB/s   lotsync/fwrite = $(ratio "$ex" "$fw")x"
echo "  SQLite scan of its rows  $sc s  ($(mbs "$size" "$sc") MB/s of this output at most)   lotsync/scan = $(ratio "$ex" "$sc")x"

# --- 2. delivery -------------------------------------------------------------
if [ -z "$servers" ]; then
	echo "delivery: skipped (the loopback servers could not start; see scripts/with-servers.sh)"
	exit 0
fi
pw=$(cat "$FTP_PASSWORD_FILE")
sftp_peer() { # FILE
	printf 'put %s %s/upload/bench/peer.csv\n' "$1" "$SFTP_ROOT" >"$out/sftp.batch"
	sftp -q -b "$out/sftp.batch" -i "$SFTP_KEY" -o UserKnownHostsFile="$SFTP_KNOWN_HOSTS" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -P "$SFTP_PORT" "$SFTP_USER@127.0.0.1" >/dev/null
}
lftp_peer() { # FILE
	lftp -c "set ftp:ssl-allow no; set net:max-retries 1; open -u $FTP_USER,$pw ftp://127.0.0.1:$FTP_PORT; put -O /upload/bench $1 -o peer.csv" >/dev/null
}
curl_peer() { # FILE
	curl -sS --user "$FTP_USER:$pw" -T "$1" "ftp://127.0.0.1:$FTP_PORT/upload/bench/peer.csv"
}
timed() { # CMD...: print seconds
	t0=$(now)
	"$@"
	t1=$(now)
	secs "$t0" "$t1"
}
# lotsync deliver TARGET, with a fresh export queued first (not timed).
lotsync_put() { # TARGET
	clear_outbox "$1"
	B export --full "$1" >/dev/null
	timed B deliver "$1"
}
ls_s="" ls_f="" p_sftp="" p_lftp="" p_curl=""
have_lftp=$(command -v lftp || true)
for i in $(seq "$R"); do
	ls_s="$ls_s $(lotsync_put sftp)"
	f=$(ls -t "$out/spool/sent/sftp/"* | head -n 1)
	size=$(stat -c %s "$f")
	p_sftp="$p_sftp $(timed sftp_peer "$f")"
	ls_f="$ls_f $(lotsync_put ftp)"
	[ -n "$have_lftp" ] && p_lftp="$p_lftp $(timed lftp_peer "$f")"
	p_curl="$p_curl $(timed curl_peer "$f")"
	rm -f "$FTP_ROOT/upload/bench/"* "$SFTP_ROOT/upload/bench/"* "$out/spool/sent/sftp/"* "$out/spool/sent/ftp/"*
done
ls_s=$(echo "$ls_s" | median) ls_f=$(echo "$ls_f" | median)
p_sftp=$(echo "$p_sftp" | median) p_curl=$(echo "$p_curl" | median)
echo "delivery: a $size-byte export file over loopback, median of $R"
echo "  SFTP  lotsync deliver $ls_s s  OpenSSH sftp put $p_sftp s   lotsync/sftp = $(ratio "$ls_s" "$p_sftp")x"
if [ -n "$have_lftp" ]; then
	p_lftp=$(echo "$p_lftp" | median)
	echo "  FTP   lotsync deliver $ls_f s  lftp put $p_lftp s   lotsync/lftp = $(ratio "$ls_f" "$p_lftp")x"
else
	echo "  FTP   lftp not installed (apt-get install lftp): no lftp figure"
fi
echo "  FTP   lotsync deliver $ls_f s  curl -T $p_curl s   lotsync/curl = $(ratio "$ls_f" "$p_curl")x"
rmdir "$FTP_ROOT/upload/bench" "$SFTP_ROOT/upload/bench" 2>/dev/null || true
