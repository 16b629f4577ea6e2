#!/bin/sh
# e2e: lotsync report --html FILE (SPEC §5, §8). Feeds with a hostile file
# name and a hostile rejected row, a quarantined file with a hostile name
# and a held snapshot; the report is well-formed HTML with balanced tags, no
# script and nothing external, holds the chain head, every snapshot, inline
# SVG charts and the held snapshot marked; a damaged archive is shown and
# makes the command exit 65 (the report is still written); usage errors 64,
# an unwritable directory 74 with nothing left behind.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
mkdir -p "$TEST_TMP/reports"

# check_html FILE [TEXT...]: tags balance, no script or external resource,
# valid UTF-8, and each TEXT appears in the document's text once decoded.
cat >check_html.py <<'PY'
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.text = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("line %d: </%s> closes %s" % (self.getpos()[0], tag, self.stack[-1:]))
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


raw = open(sys.argv[1], encoding="utf-8", errors="strict").read()
p = Check()
p.feed(raw)
p.close()
problems = p.errors + (["never closed: %s" % p.stack] if p.stack else [])
low = raw.lower()
for bad in ("<script", "<link", "<img", "<iframe", "<object", "<embed", " src=", "@import",
            "url(", "javascript:"):
    if bad in low:
        problems.append("found %r" % bad)
if re.search(r"<[^>]*\son[a-z]+\s*=", low):
    problems.append("an event handler attribute")
if "script" in p.tags:
    problems.append("a <script> element")
for want in ("html", "head", "body", "style", "svg", "table"):
    if want not in p.tags:
        problems.append("no <%s>" % want)
text = "".join(p.text)
for want in sys.argv[2:]:
    if want not in text:
        problems.append("text %r not in the document" % want)
print("\n".join(problems) if problems else "ok")
PY
check_html() {
	/usr/bin/python3 -I -S check_html.py "$@" >check.out 2>&1
	expect_eq "$(cat check.out)" "ok" "$1 is well-formed, self-contained, escaped"
}

/usr/bin/python3 "$G" --vehicles 60 --seed 41 --out day1.csv
/usr/bin/python3 "$G" --from day1.csv --change-pct 5 --new-pct 3 --vanish-pct 0 --seed 42 --out day2.csv
# Two more rows carrying a hostile VIN: both are rejected (not a VIN), the reason quotes it.
# (No vehicle vanishes: refused rows without a readable key would hold the file.)
/usr/bin/python3 - <<'PY'
import csv
rows = list(csv.reader(open("day2.csv", newline="")))
for stock in ("X1", "X2"):
    r = list(rows[-1])
    r[1], r[2] = '<script>alert(1)</script>&"\'', stock
    rows.append(r)
csv.writer(open("day2.csv", "w", newline=""), lineterminator="\n").writerows(rows)
PY
HOSTILE="day2 <script>alert(2)&\"'.csv"
BAD="bad<script>alert(3)&\"'.csv"

cp day1.csv "$IN/"
expect_rc 0 "first snapshot" L --now 2026-11-20T08:00:00Z run
cp day2.csv "$IN/$HOSTILE"
expect_rc 0 "second snapshot, hostile name, two rows rejected" L --now 2026-11-21T08:00:00Z run
expect_eq "$(sqlite3 "$DB" "select count(*) from rejected_rows where reason like '''<script>%'")" "2" "the rejected rows' reason quotes the hostile VIN"
printf 'DealerID,VIN,StockNo\nD1,"unterminated,1\n' >"$IN/$BAD"
expect_rc 65 "hostile-named unreadable file quarantined" L --now 2026-11-22T08:00:00Z run
/usr/bin/python3 -c 'import csv,sys; r=list(csv.reader(open("day1.csv",newline=""))); csv.writer(sys.stdout,lineterminator="\n").writerows(r[:11])' >"$IN/truncated.csv"
expect_rc 3 "truncated file held" L --now 2026-11-23T08:00:00Z run
expect_eq "$(sqlite3 "$DB" "select group_concat(id || ':' || state, ' ') from snapshots")" "1:applied 2:applied 3:held" "snapshots as expected"

R="$TEST_TMP/reports/r.html"
expect_rc 64 "report without --html" L report
expect_rc 64 "report with a stray argument" L report --html "$R" extra
expect_rc 64 "report of an unknown feed" L report --html "$R" --feed nosuch
expect_rc 64 "report with a bad --rows" L report --html "$R" --rows many
[ -e "$R" ] && fail "a usage error wrote a report" || pass "usage errors write nothing"

expect_rc 0 "report" L --now 2026-11-23T09:00:00Z report --html "$R"
expect_eq "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "" "a successful report is silent"
check_html "$R" "$HOSTILE" "$BAD" "'<script>alert(1)</script>&\"'' has a character other than A-Z and 0-9"
head=$(sqlite3 "$DB" "select link from audit_chain order by id desc limit 1")
expect_grep "<code id=\"chain-head\">$head</code>" "$R" "the chain head is in the report"
expect_grep "Verification passed" "$R" "verification passed is shown"
expect_grep 'datetime="2026-11-23T09:00:00Z"' "$R" "generated at the --now clock"
for id in $(sqlite3 "$DB" "select id from snapshots"); do
	expect_grep "id=\"snapshot-$id\"" "$R" "snapshot $id has a row"
done
expect_eq "$(grep -c '<svg ' "$R")" "2" "two inline SVG charts"
expect_grep '<title id="c1-t">Vehicles of feed acme over 2 applied snapshots</title>' "$R" "the vehicles chart has an accessible title"
expect_grep '<tr class="held" id="snapshot-3">' "$R" "the held snapshot is highlighted"
expect_grep '<code>lotsync accept 3</code>' "$R" "the report says how to decide it"
expect_grep 'href="#snapshot-3">snapshot 3</a>' "$R" "needs attention lists the held snapshot"
expect_grep 'day2 &lt;script&gt;alert(2)&amp;&quot;&#39;.csv' "$R" "the hostile file name is escaped"
expect_grep 'bad&lt;script&gt;alert(3)&amp;&quot;&#39;.csv' "$R" "the quarantined file is listed, escaped"
expect_grep '<section id="target-local">' "$R" "the target has a section"
expect_eq "$(stat -c %a "$R")" "600" "the report is written 0600"
expect_eq "$(ls -A reports)" "r.html" "no temporary file left"

expect_rc 0 "report of one feed, one row" L report --html "$R" --feed acme --rows 1
expect_grep "Showing the newest 1 of 3 snapshots" "$R" "the cut table says so"
expect_eq "$(grep -c '<tr class="\(applied\|held\)"' "$R")" "1" "only the newest snapshot row"
check_html "$R"

# A damaged archive: the report is written, shows it at the top, and exits 65.
sha=$(sha256sum day1.csv | cut -c1-64)
printf 'X' | dd of="spool/archive/acme/$sha" bs=1 seek=10 conv=notrunc 2>/dev/null
expect_rc 65 "report while verification fails" L --now 2026-11-24T09:00:00Z report --html "$R"
expect_grep "archived file damaged" "$TEST_TMP/err" "stderr names the problem"
expect_grep 'datetime="2026-11-24T09:00:00Z"' "$R" "the new report replaced the old one"
expect_grep '<div class="bad" id="verify" role="alert"><p><strong>VERIFICATION FAILED</strong>' "$R" "the failure is shown prominently"
expect_grep "$sha: archived file damaged" "$R" "the report names the damaged file"
expect_grep '<a href="#audit">chain</a>' "$R" "needs attention points at the audit"
check_html "$R"
expect_rc 65 "verify agrees" L verify

# The directory cannot be written: exit 74, the old report stays, nothing
# left behind. Root writes through mode bits, so as root the directory is
# bind-mounted read-only in a private mount namespace (gone when it exits).
cp "$R" before.html
ls -A reports >before.ls
if [ "$(id -u)" -eq 0 ]; then
	ro() { unshare -m sh -c 'mount --bind -o ro "$1" "$1" && shift && exec "$@"' ro "$TEST_TMP/reports" "$@"; }
else
	chmod 555 reports
	ro() { "$@"; }
fi
expect_rc 74 "unwritable directory" ro "$LOTSYNC" -c "$C" report --html "$R"
expect_grep "$TEST_TMP/reports" "$TEST_TMP/err" "the error names the directory"
chmod 755 reports
cmp -s before.html "$R" && pass "the old report is untouched" || fail "the old report changed"
expect_eq "$(ls -A reports)" "$(cat before.ls)" "nothing left behind in the directory"
expect_rc 74 "missing directory" L report --html "$TEST_TMP/nodir/r.html"
[ -e "$TEST_TMP/nodir" ] && fail "a directory was created" || pass "nothing created"
finish
