#!/bin/sh
# bench-fetch.sh OUTDIR: the fetch step against a loopback OpenSSH sshd,
# each figure a ratio to a reference tool measured in the same run:
#   1. one 120 MB file: `lotsync fetch` (login, download, SHA-256, fsync,
#      rename, record) vs OpenSSH `sftp -b` get (best of its default cipher
#      and aes128-gcm); goal <= 1.15x;
#   2. 2,000 files of ~90 KB: `lotsync fetch` with all its bookkeeping vs
#      `lftp mirror --parallel=8` (installed with apt-get when missing);
#      goal <= 1.2x.
# Medians of BENCH_RUNS runs (default 5) after one warm-up; inputs are made
# by scripts/mkfeed.py and cached in OUTDIR/fetch-data. Needs root (the
# test server harness creates its user). Figures go to stdout and to
# OUTDIR/bench-fetch.txt.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: bench-fetch.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
runs=${BENCH_RUNS:-5}
PY=/usr/bin/python3
LOTSYNC=$top/lotsync
[ -x "$LOTSYNC" ] || { echo "bench-fetch: build ./lotsync first (make)" >&2; exit 1; }
if ! command -v lftp >/dev/null 2>&1; then
	echo "bench-fetch: installing lftp (the reference for many files)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lftp >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lftp >/dev/null; }
fi

# ---- inputs (cached) ----
data=$out/fetch-data
mkdir -p "$data"
if [ ! -s "$data/big.csv" ]; then
	echo "bench-fetch: generating the 120 MB feed (once)"
	$PY "$top/scripts/mkfeed.py" --vehicles 390000 --dealers 50 --seed 7 --out "$data/big.csv.tmp"
	mv "$data/big.csv.tmp" "$data/big.csv"
fi
if [ ! -e "$data/many/dealer_2000.csv" ]; then
	$PY "$top/scripts/mkfeed.py" --vehicles 150 --dealers 1 --seed 7 --out "$data/small.csv"
	rm -rf "$data/many" && mkdir -p "$data/many"
	# 2,000 distinct files (one extra row each), so none is taken for another's content
	$PY -I -S - "$data/small.csv" "$data/many" <<'PY'
import sys
base = open(sys.argv[1], "rb").read()
for i in range(1, 2001):
    row = b"D001,BENCHVIN%08d,B%06d,U,2020,Volvo,V60\n" % (i, i)
    open("%s/dealer_%04d.csv" % (sys.argv[2], i), "wb").write(base + row)
PY
fi

# ---- servers ----
srv=$(mktemp -d /tmp/lotsync-bench.XXXXXX)
chmod 755 "$srv"
work=$(mktemp -d "$out/fetch-run.XXXXXX")
chmod 755 "$work"
cleanup() {
	"$top/scripts/stop-servers.sh" "$srv" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$top/scripts/start-sftp.sh" "$srv" >/dev/null
. "$srv/sftp.env"
# Served from the server's own data dir (hard links: same file system, no copy)
mkdir -p "$SFTP_ROOT/bench"
cp -al "$data/big.csv" "$SFTP_ROOT/bench/big.csv" 2>/dev/null || cp "$data/big.csv" "$SFTP_ROOT/bench/big.csv"
cp -al "$data/many" "$SFTP_ROOT/bench/many" 2>/dev/null || cp -r "$data/many" "$SFTP_ROOT/bench/many"
chmod -R a+rX "$SFTP_ROOT/bench"
touch -d '-1 hour' "$SFTP_ROOT/bench/big.csv" "$SFTP_ROOT/bench/many"/*

mkdir -p "$work/conf"
cp "$SFTP_KEY" "$work/conf/id"
cp "$SFTP_KNOWN_HOSTS" "$work/conf/known_hosts"
chmod 600 "$work/conf/id"
conf() { # FEED-DIR-GLOB
	cat >"$work/conf/lotsync.conf" <<CONF
[lotsync]
spool = ../spool
settle_seconds = 0

[feed:bench]
source = sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT$SFTP_ROOT/bench/$1
identity = id
known_hosts = known_hosts
profile = generic-csv
CONF
	chmod 600 "$work/conf/lotsync.conf"
}
SFTP="sftp -q -F /dev/null -P $SFTP_PORT -i $SFTP_KEY -o IdentitiesOnly=yes -o BatchMode=yes \
-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$SFTP_KNOWN_HOSTS"
printf 'get %s %s\n' "$SFTP_ROOT/bench/big.csv" "$work/big.out" >"$work/get.b"
cat >"$work/lftprc" <<RC
set sftp:connect-program "ssh -a -x -F /dev/null -i $SFTP_KEY -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$SFTP_KNOWN_HOSTS"
set net:max-retries 1
RC

# median PREPARE CMD: median wall time of CMD over $runs runs (+1 warm-up), PREPARE before each.
median() {
	$PY -I -S - "$runs" "$1" "$2" <<'PY'
import subprocess, sys, time
runs, prep, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3]
times = []
for i in range(runs + 1):
    subprocess.run(prep, shell=True, check=True)
    t = time.monotonic()
    r = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.monotonic() - t
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s" % (r.returncode, cmd, r.stderr.decode()[-2000:]))
    if i:
        times.append(dt)
times.sort()
print("%.3f" % times[len(times) // 2])
PY
}
ratio() { $PY -I -S -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
rate() { $PY -I -S -c 'import sys; print("%.0f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

L="$LOTSYNC -c $work/conf/lotsync.conf fetch"
fresh="rm -rf $work/spool $work/big.out $work/mirror"

# 1. one big file
conf big.csv
big_mb=$($PY -I -S -c 'import os,sys; print("%.1f" % (os.path.getsize(sys.argv[1]) / 1e6))' "$data/big.csv")
t_l=$(median "$fresh" "$L")
cmp -s "$data/big.csv" "$work/spool/incoming/bench/big.csv" || { echo "bench-fetch: lotsync's copy differs" >&2; exit 1; }
t_s=$(median "$fresh" "$SFTP -b $work/get.b $SFTP_USER@127.0.0.1")
t_g=$(median "$fresh" "$SFTP -c aes128-gcm@openssh.com -b $work/get.b $SFTP_USER@127.0.0.1")
t_ref=$($PY -I -S -c 'import sys; print(min(sys.argv[1:]))' "$t_s" "$t_g")

# 2. 2,000 small files
conf 'many/*.csv'
t_lm=$(median "$fresh" "$L")
n=$(ls "$work/spool/incoming/bench" | wc -l)
[ "$n" -eq 2000 ] || { echo "bench-fetch: lotsync fetched $n of 2000 files" >&2; exit 1; }
t_lf=$(median "$fresh" "lftp -c 'source $work/lftprc; open -u $SFTP_USER, sftp://127.0.0.1:$SFTP_PORT; mirror --parallel=8 $SFTP_ROOT/bench/many $work/mirror'")
n=$(ls "$work/mirror" | wc -l)
[ "$n" -eq 2000 ] || { echo "bench-fetch: lftp mirrored $n of 2000 files" >&2; exit 1; }
sed -i 's/^profile = generic-csv$/profile = generic-csv\nconnections = 1/' "$work/conf/lotsync.conf"
t_l1=$(median "$fresh" "$L")

{
	echo "bench-fetch ($runs runs, medians; loopback sshd; $(nproc) CPUs shared by client and server)"
	printf '  big file %s MB:  lotsync fetch %ss (%s MB/s), sftp %ss, sftp aes128-gcm %ss -> %sx the best sftp (goal <= 1.15x)\n' \
		"$big_mb" "$t_l" "$(rate "$big_mb" "$t_l")" "$t_s" "$t_g" "$(ratio "$t_l" "$t_ref")"
	printf '  2000 files:      lotsync fetch %ss (%s files/s; 1 session: %ss), lftp mirror --parallel=8 %ss -> %sx lftp (goal <= 1.2x)\n' \
		"$t_lm" "$(rate 2000 "$t_lm")" "$t_l1" "$t_lf" "$(ratio "$t_lm" "$t_lf")"
} | tee "$out/bench-fetch.txt"
