# benchlib.sh: shared helpers of the scripts/bench-*.sh benchmarks (sourced,
# POSIX sh). Every aim is printed on one line in one shape,
#   aim NAME: measured A = R x reference B (aim <= N x): met|not met
# and appended to $BENCH_AIMS when it is set, so scripts/bench.sh can repeat
# all of them at the end of `make bench`.

# bench_dirs TOP OUTDIR NAME: the benchmark's directories, absolute: base
# (OUTDIR, default TOP/bench/out), out (base/NAME, its scratch) and in
# (base/inputs, the generated inputs kept for reruns), all made.
bench_dirs() {
	base=${2:-$1/bench/out}
	mkdir -p "$base"
	base=$(cd "$base" && pwd)
	out=$base/$3
	in=$base/inputs
	mkdir -p "$out" "$in"
}

# tm OUT CMD...: run CMD once (stdout to $BENCH_STDOUT, default /dev/null;
# stderr to /dev/null unless BENCH_VERBOSE), leaving wall seconds in TW, CPU
# seconds (user + system) in TC and peak RSS in MB in TM. A failing CMD
# stops the benchmark. The file system is synced first, so no command pays
# for the write-back of what the one before it wrote (a 1M first load
# leaves ~1 GB dirty, and the steady-state ingest after it measured
# 4.4-5.8 s against 3.2-3.5 s after a sync).
tm() {
	_o=$1
	shift
	sync
	if [ -n "${BENCH_VERBOSE:-}" ]; then
		/usr/bin/time -f '%e %U %S %M' -o "$_o" "$@" >"${BENCH_STDOUT:-/dev/null}" ||
			{ echo "bench: failed: $*" >&2; exit 1; }
	else
		/usr/bin/time -f '%e %U %S %M' -o "$_o" "$@" >"${BENCH_STDOUT:-/dev/null}" 2>/dev/null ||
			{ echo "bench: failed: $*" >&2; exit 1; }
	fi
	read -r TW _u _s _k <"$_o"
	TC=$(awk -v u="$_u" -v s="$_s" 'BEGIN { printf "%.2f", u + s }')
	TM=$((_k / 1024))
}

# lower A B: true when B is empty (no best yet) or A < B (seconds)
lower() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# best RUNS OUT CMD...: the lowest wall time of RUNS runs of CMD in BW, the
# CPU seconds of that run in BC, the highest peak RSS of all runs in BM.
best() {
	_n=$1 _f=$2
	shift 2
	BW="" BC="" BM=0
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		tm "$_f" "$@"
		if lower "$TW" "$BW"; then
			BW=$TW BC=$TC
		fi
		[ "$TM" -gt "$BM" ] && BM=$TM
		_i=$((_i + 1))
	done
}

# ratio A B: A / B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# mb BYTES: megabytes (2^20) with one decimal
mb() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1048576 }'; }

# aim NAME A UNIT B OP N [REFNAME]: print the aim line for A / B against
# OP ("<=" or ">=") N. UNIT follows both figures ("s", "MB", "ms"...). A
# zero or missing B (a reference that could not run) prints "not measured".
aim() {
	_name=$1 _a=$2 _unit=$3 _b=$4 _op=$5 _n=$6 _ref=${7:-reference}
	if [ -z "$_b" ] || [ -z "$_a" ] || awk -v b="$_b" 'BEGIN { exit !(b <= 0) }'; then
		_line="aim $_name: not measured (no $_ref)"
	else
		_r=$(ratio "$_a" "$_b")
		if awk -v r="$_r" -v n="$_n" -v op="$_op" \
			'BEGIN { exit !(op == "<=" ? r <= n : r >= n) }'; then
			_v="met"
		else
			_v="not met"
		fi
		_line="aim $_name: measured $_a $_unit = $_r x $_ref $_b $_unit (aim $_op $_n x): $_v"
	fi
	echo "$_line"
	[ -z "${BENCH_AIMS:-}" ] || echo "$_line" >>"$BENCH_AIMS"
}

# note TEXT: a figure that is not an aim but belongs with them (counts, load)
note() {
	echo "$*"
	[ -z "${BENCH_AIMS:-}" ] || echo "  $*" >>"$BENCH_AIMS"
}

# bench_conf DIR PROFILE: a fresh state directory with one drop feed "acme"
# and no targets; the vanish guard set out of the way of a 2% churn.
bench_conf() {
	rm -rf "$1"
	mkdir -p "$1/conf" "$1/spool/incoming/acme"
	printf '[lotsync]\nspool = ../spool\nsettle_seconds = 0\n[feed:acme]\nsource = drop\nprofile = %s\nvanish_guard = 50%%\n' \
		"$2" >"$1/conf/lotsync.conf"
	chmod 600 "$1/conf/lotsync.conf"
}

# dbsize DIR: bytes of DIR's database after a full checkpoint (WAL folded in)
dbsize() {
	sqlite3 "$1/spool/lotsync.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	stat -c %s "$1/spool/lotsync.db"
}

# load_now: the load average and how many cores are free, for the record
load_now() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }

# bench_apt PKG...: install Debian packages for a peer, as root only, under
# the machine's apt lock when there is one (BENCH_APT_LOCK, default
# /work/apt.lock) so parallel sessions wait instead of failing.
bench_apt() {
	[ "$(id -u)" = 0 ] || { echo "bench: not root: apt-get install $* yourself" >&2; return 1; }
	_lock=${BENCH_APT_LOCK:-/work/apt.lock}
	if [ -w "$(dirname "$_lock")" ] && command -v flock >/dev/null; then
		DEBIAN_FRONTEND=noninteractive flock "$_lock" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	else
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			--no-install-recommends "$@" >/dev/null
	fi
}

# bench_shared TOP: the directory the neutral generator and peers live in,
# ../shared/bench beside the repository (or beside the main checkout, from a
# git worktree); LOTSYNC_PEERS and LOTSYNC_GENFEED override it.
bench_shared() {
	_d=$1/../shared/bench
	if [ ! -d "$_d" ]; then
		_g=$(git -C "$1" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
		[ -n "$_g" ] && _d=$_g/../../shared/bench
	fi
	echo "$_d"
}
