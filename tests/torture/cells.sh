# shellcheck shell=sh
# cells.sh - the interoperability matrix's scenarios ("cells"), run against
# one server by each tests/torture/t159N-*.sh (`make torture`). Sourced after
# tests/e2e/lib.sh and tests/e2e/interop.sh. The caller starts its server
# with iop_start and sets:
#   S       a short label for messages
#   S_URL   scheme://user@127.0.0.1:PORT (ftp, ftps or sftp)
#   S_ROOT  the directory the URL's / is on disk (inbox/ and upload/ exist)
#   S_PID   the server's listening process (its children are the sessions)
#   S_CA    FTPS: the CA file;  S_KEY, S_KNOWN_HOSTS: SFTP key login
#   S_DELETE  no when the server refuses deletes (Pure-FTPd -K), else yes
#   S_SLOW  FTP: yes when the server was started with rate= (uploads slowed
#           so they can be cut); SFTP uploads go through scripts/slowproxy.py
# Cells: cell_writer (fetch with settle + delete while a vendor writes, then
# deliver with rename on and off, twice), cell_cut (interrupted uploads
# retried), cell_many (2,000 files in one directory).

G() { /usr/bin/python3 "$SRCDIR/scripts/mkfeed.py" "$@"; }
size() { iop_size "$1"; }
results() { q "select group_concat(d.result) from deliveries d join exports e on e.id = d.export_id where e.target = '$1' and e.file = '$2' order by d.id"; }

# cell_auth: the login lines of a section for this server
cell_auth() {
	case $S_URL in
	sftp:*) printf 'identity = secrets/id_ed25519\nknown_hosts = known_hosts\n' ;;
	ftps:*) printf 'password_file = secrets/ftp.pw\nca_file = %s\n' "$S_CA" ;;
	*) printf 'password_file = secrets/ftp.pw\n' ;;
	esac
}

# cell_conf SETTLE FEED_SOURCE [FEED_LINE...]: a fresh spool and config with
# feed "vendor" (FEED_SOURCE: a path under S_URL, or "drop") and targets
# "renamed" and "direct" (rename = off) in S_URL/upload/ (or TARGET_URL).
cell_conf() {
	_settle=$1 _src=$2
	shift 2
	iop_conf "$_settle"
	if [ -n "${S_KEY:-}" ]; then
		cp "$S_KEY" conf/secrets/id_ed25519
		chmod 600 conf/secrets/id_ed25519
		cp "$S_KNOWN_HOSTS" conf/known_hosts
		[ -n "${PROXY_PORT:-}" ] &&
			sed "s/\]:[0-9]* /]:$PROXY_PORT /" "$S_KNOWN_HOSTS" >>conf/known_hosts
	fi
	{
		printf '\n[feed:vendor]\nprofile = generic-csv\n'
		if [ "$_src" = drop ]; then
			echo "source = drop"
		else
			echo "source = $S_URL/$_src"
			cell_auth
		fi
		for _l in "$@"; do printf '%s\n' "$_l"; done
		for _t in renamed direct; do
			printf '\n[target:%s]\nurl = %s/upload/\nformat = generic-csv\nfeeds = vendor\n' \
				"$_t" "${TARGET_URL:-$S_URL}"
			cell_auth
			[ "$_t" = direct ] && echo "rename = off"
		done
	} >>conf/lotsync.conf
}

# ---- fetch with settle and delete while the vendor writes; deliver twice ----
cell_writer() {
	_del="after_fetch = delete"
	cell_conf 2 "inbox/*.csv" "$_del"
	G --vehicles 300 --seed 71 --out full.csv
	_want=$(sha256sum full.csv | cut -c1-64)
	iop_write_slowly full.csv 10 "$S_ROOT/inbox/stock.csv"
	iop_run_while_writing 2.1 '[ "$(q "select count(*) from fetched")" = 0 ] && [ -e "$S_ROOT/inbox/stock.csv" ]'
	expect_eq "$early" 0 "$S writer: nothing fetched or deleted in $n runs while the vendor wrote"
	[ "$n" -ge 2 ] && pass "$S writer: $n runs during the upload" || fail "$S writer: only $n run(s) during the upload"
	_i=0
	while [ $_i -lt 20 ]; do
		[ "$(q "select count(*) from fetched")" = 1 ] &&
			{ [ "$S_DELETE" = no ] || [ ! -e "$S_ROOT/inbox/stock.csv" ]; } && break
		L run >run.out 2>run.err
		_i=$((_i + 1))
		sleep 0.5
	done
	expect_eq "$(q "select sha256 from fetched")" "$_want" "$S writer: the complete file fetched once"
	if [ "$S_DELETE" = no ]; then
		test -e "$S_ROOT/inbox/stock.csv" && pass "$S writer: left on the server (deletes refused)" ||
			fail "$S writer: deleted although the server refuses deletes"
	else
		test ! -e "$S_ROOT/inbox/stock.csv" && pass "$S writer: deleted once archived" ||
			fail "$S writer: still on the server"
	fi
	expect_eq "$(ls "$S_ROOT/upload" | wc -l)" 2 "$S deliver: first file to both targets (rename on and off)"
	G --from full.csv --change-pct 10 --seed 72 --out "$S_ROOT/inbox/stock2.csv"
	[ "$(id -u)" = 0 ] && chown "$FTP_USER" "$S_ROOT/inbox/stock2.csv"
	LOTSYNC_TEST_SETTLE_OFFSET=-60 L fetch >/dev/null 2>&1
	expect_rc 0 "$S deliver: the second run" L run
	expect_eq "$(ls "$S_ROOT/upload" | wc -l)" 4 "$S deliver: two files per target"
	_same=1
	for _f in spool/sent/renamed/* spool/sent/direct/*; do
		cmp -s "$_f" "$S_ROOT/upload/$(basename "$_f")" || _same=0
	done
	expect_eq "$_same" 1 "$S deliver: every delivered file equals its export"
	expect_eq "$(ls -A "$S_ROOT/upload" | grep -c '^\.')" 0 "$S deliver: no temporary file left"
}

growing() { iop_growing "$1" 15; }
kill_sessions() { iop_kill_sessions "$S_PID"; }

# ---- uploads cut half-way, then retried ----
cell_cut() {
	PROXY_PORT="" TARGET_URL=""
	case $S_URL in
	sftp:*)
		PROXY_PORT=$(/usr/bin/python3 -I -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		/usr/bin/python3 -I "$SRCDIR/scripts/slowproxy.py" "$PROXY_PORT" "${S_URL##*:}" 120000 &
		_proxy=$!
		/usr/bin/python3 -I -S - "$PROXY_PORT" <<'PY' || fail "$S cut: the proxy did not listen"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
		TARGET_URL="${S_URL%:*}:$PROXY_PORT"
		;;
	*) [ "$S_SLOW" = yes ] || fail "$S cut: the server was not started with rate=" ;;
	esac
	cell_conf 0 drop
	mkdir -p spool/incoming/vendor
	G --vehicles 800 --seed 61 --out spool/incoming/vendor/a.csv
	L ingest >/dev/null 2>&1
	L export >/dev/null 2>&1
	_p=$(ls spool/outbox/renamed) _r=$(ls spool/outbox/direct)

	# the server's session killed mid-upload, rename on
	L deliver renamed >cut1.out 2>cut1.err &
	_lp=$!
	growing "$S_ROOT/upload/.$_p.part" && pass "$S cut: the upload is under way in .$_p.part" ||
		fail "$S cut: the upload never grew"
	kill_sessions
	wait $_lp
	expect_eq "$?" 69 "$S cut: the cut upload exits 69"
	test ! -e "$S_ROOT/upload/$_p" && pass "$S cut: the final name was never created" ||
		fail "$S cut: the final name exists after the cut"
	expect_rc 0 "$S cut: the next run" L deliver renamed
	cmp -s "spool/sent/renamed/$_p" "$S_ROOT/upload/$_p" && pass "$S cut: delivered whole" ||
		fail "$S cut: the delivered file differs"
	test ! -e "$S_ROOT/upload/.$_p.part" && pass "$S cut: the partial temporary file is gone" ||
		fail "$S cut: .$_p.part left behind"
	expect_eq "$(results renamed "$_p")" "failed,delivered" "$S cut: one failed attempt, one delivery"

	# lotsync killed mid-upload, rename = off: a partial copy under the final name
	"$LOTSYNC" -c "$TEST_TMP/conf/lotsync.conf" deliver direct >cut2.out 2>cut2.err &
	_lp=$!
	growing "$S_ROOT/upload/$_r" && pass "$S cut: the direct upload is under way" ||
		fail "$S cut: the direct upload never grew"
	kill -KILL $_lp
	wait $_lp 2>/dev/null
	[ "$(size "$S_ROOT/upload/$_r")" -lt "$(size "spool/outbox/direct/$_r")" ] &&
		pass "$S cut: lotsync killed, a partial copy under the final name" ||
		fail "$S cut: the direct file is not partial"
	sleep 1 # the killed session may still count against a per-client limit
	expect_rc 0 "$S cut: the run after the kill" L deliver direct
	cmp -s "spool/sent/direct/$_r" "$S_ROOT/upload/$_r" && pass "$S cut: the partial copy replaced by the whole file" ||
		fail "$S cut: the direct file differs"
	expect_eq "$(ls -A "$S_ROOT/upload" | grep -c '^\.')" 0 "$S cut: no temporary file left"
	[ -n "$PROXY_PORT" ] && kill "$_proxy" && wait "$_proxy" 2>/dev/null
	PROXY_PORT="" TARGET_URL=""
}

# ---- 2,000 files in one directory ----
cell_many() {
	mkdir -p "$S_ROOT/many"
	/usr/bin/python3 -I -S - "$S_ROOT/many" <<'PY'
import os, sys, time
t = time.time() - 3600
d = sys.argv[1]
for i in range(2000):
    p = "%s/f%04d.csv" % (d, i)
    with open(p, "w") as f:
        f.write("DealerID,VIN,StockNo\nD1,FILE%013d,%d\n" % (i, i) + "x" * (i % 97))
    os.utime(p, (t + i, t + i))
PY
	chown -R "$FTP_USER" "$S_ROOT/many"
	cell_conf 0 "many/*.csv"
	_t0=$(date +%s.%N)
	expect_rc 0 "$S many: fetch 2,000 files" L -v fetch
	_t1=$(date +%s.%N)
	expect_grep "feed vendor: fetched 2000 file(s)" "$TEST_TMP/out" "$S many: all 2,000 fetched"
	(cd "$S_ROOT/many" && sha256sum f*.csv) >want
	(cd spool/incoming/vendor && sha256sum f*.csv) >got
	cmp -s want got && pass "$S many: every file complete" || fail "$S many: copies differ"
	expect_rc 0 "$S many: fetch again" L -v fetch
	_t2=$(date +%s.%N)
	expect_grep "fetched 0 file(s) (0 bytes), 2000 unchanged" "$TEST_TMP/out" "$S many: nothing fetched twice"
	_nref=${S_REF_FILES:-2000}
	case $S_URL in ftps:*) _nref=100 ;; esac
	_ref=$(cell_reference $_nref)
	figure "$S many: lotsync fetch of 2,000 files $(echo "$_t1 - $_t0" | bc) s" \
		"($(echo "($_t1 - $_t0) * 1000 / 2000" | bc) ms/file), re-list $(echo "$_t2 - $_t1" | bc) s;" \
		"reference ($_nref files) $_ref s ($(echo "$_ref * 1000 / $_nref" | bc) ms/file);" \
		"ratio per file $(echo "scale=3; ($_t1 - $_t0) * $_nref / (2000 * $_ref)" | bc)"
}

# figure TEXT...: a measured figure, on stdout and appended to
# $LOTSYNC_FIGURES when set (run-e2e.sh keeps a passing test's output quiet)
figure() {
	echo "figure: $*"
	[ -n "${LOTSYNC_FIGURES:-}" ] && echo "figure: $*" >>"$LOTSYNC_FIGURES"
	return 0
}

# cell_reference N: seconds a plain client takes for N of the same files in
# the same run (curl -K: one process, one reused connection, sequential;
# SFTP: OpenSSH sftp -b with get -R, all 2,000), for the closing note's
# ratios. FTPS (and pyftpdlib, S_REF_FILES=100): N = 100, as curl 7.88
# idles 150-700 ms per file there (a missed reply noticed at its poll
# timeout; lotsync caps its waits at 5 ms).
cell_reference() {
	rm -rf ref && mkdir ref
	_t0=$(date +%s.%N)
	case $S_URL in
	sftp:*)
		_hp=${S_URL#sftp://}
		printf 'get -R many ref/\n' >ref.batch
		sftp -q -b ref.batch -i conf/secrets/id_ed25519 -o UserKnownHostsFile=conf/known_hosts \
			-o StrictHostKeyChecking=yes -P "${_hp##*:}" "${_hp%:*}" >/dev/null 2>&1
		;;
	*)
		_base=ftp://127.0.0.1:${S_URL##*:}/many
		(cd "$S_ROOT/many" && ls | head -n "$1") | sed "s|.*|url = $_base/&\noutput = ref/&|" >ref.cfg
		# shellcheck disable=SC2046
		curl -sS $(case $S_URL in ftps:*) echo "--ssl-reqd --cacert $S_CA" ;; esac) \
			-u "$FTP_USER:$(cat "$FTP_PASSWORD_FILE")" -K ref.cfg 2>ref.err
		;;
	esac
	_t1=$(date +%s.%N)
	[ "$(find ref -name 'f*.csv' | wc -l)" = "$1" ] || echo "reference incomplete" >&2
	echo "$_t1 - $_t0" | bc
}
