#!/bin/sh
# e2e, fault matrix: matrix row 17 (XXE, billion laughs, DOCTYPE). After a
# good day (tests/fixtures/dirty/day1.xml) hostile XML files arrive one per
# run: the hand-written ones of tests/fixtures/bad (a DOCTYPE, one after a
# comment, an external file entity, a parameter entity fetched over http,
# billion laughs, undeclared entities in text and in an attribute) and
# generated ones pointing at a listener on 127.0.0.1 (an external http
# entity, an external DTD, an http parameter entity), a quadratic blowup
# (one 100 KB entity used 5,000 times) and billion laughs 12 levels deep.
# Each is quarantined (exit 65) with the reason naming the file and line
# ("document has a DOCTYPE: refused" before any entity is read, or the
# undefined entity); the listener is never connected to; no text of
# /etc/passwd reaches the database; each run's peak RSS (GNU time) stays
# under 64 MB; the earlier data is intact.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
sed -i 's/^profile = generic-csv$/profile = generic-xml/' "$C"
B=$SRCDIR/tests/fixtures/bad
cp "$SRCDIR/tests/fixtures/dirty/day1.xml" "$IN/"
expect_rc 0 "a good day" L --now 2026-11-20T08:00:00Z run
current() { sqlite3 "$DB" "select key, hash from versions where to_seq is null order by 1"; }
current >base.txt

# A listener that counts connections (it answers nothing).
/usr/bin/python3 -I -S - listener.port listener.count <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
n = 0
while True:
    c, _ = s.accept()
    n += 1
    open(sys.argv[2], "w").write(str(n))
    c.close()
PY
listener=$!
i=0
while [ ! -s listener.port ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
P=$(cat listener.port)
mkdir -p gen
/usr/bin/python3 -I -S - gen "$P" <<'PY'
import sys
d, port = sys.argv[1], sys.argv[2]
rec = "<inventory><vehicle><DealerID>D1</DealerID><VIN>1HGCM82690A004352</VIN><StockNo>S1</StockNo><Price>21995</Price><Description>{}</Description></vehicle></inventory>\n"
head = '<?xml version="1.0" encoding="UTF-8"?>\n'
def put(name, doctype, body):
    open(f"{d}/{name}", "w").write(head + doctype + "\n" + rec.format(body))
put("xxe-http.xml", f'<!DOCTYPE inventory [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]>', "&x;")
put("external-dtd.xml", f'<!DOCTYPE inventory SYSTEM "http://127.0.0.1:{port}/inventory.dtd">', "ok")
put("pe-http.xml", f'<!DOCTYPE inventory [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd"> %p;]>', "ok")
put("quadratic.xml", '<!DOCTYPE inventory [<!ENTITY a "' + "A" * 100000 + '">]>', "&a;" * 5000)
ents = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{k} "{("&l%d;" % (k - 1)) * 10}">' for k in range(1, 13))
put("laughs-12.xml", f"<!DOCTYPE inventory [{ents}]>", "&l12;")
put("xxe-passwd-public.xml", '<!DOCTYPE inventory PUBLIC "-//x//EN" "file:///etc/passwd">', "ok")
PY

n=0
for f in "$B/doctype.xml" "$B/doctype-after-comment.xml" "$B/external-entity.xml" "$B/parameter-entity.xml" \
	"$B/billion-laughs.xml" "$B/undeclared-entity.xml" "$B/attribute-entity.xml" gen/*.xml; do
	name=${f##*/}
	n=$((n + 1))
	cp "$f" "$IN/$name"
	now=2026-11-21T$(printf %02d $n):00:00Z
	expect_rc 65 "$name: quarantined" /usr/bin/time -f %M -o rss.$n "$LOTSYNC" -c "$C" --now "$now" run
	why=$(sed -n 's/^reason: //p' "spool/failed/acme/$name.reason" 2>/dev/null)
	case $name in
	undeclared-entity.xml | attribute-entity.xml) want="XML error: Entity '[a-z]*' not defined" ;;
	*) want="document has a DOCTYPE: refused, since it could declare entities" ;;
	esac
	echo "$why" | grep -q "^$name:[0-9][0-9]*: $want" && pass "$name: $why" ||
		fail "$name: reason '$why', wanted '$want'"
	rss=$(tail -n 1 rss.$n)
	[ "$rss" -lt 65536 ] && pass "$name: peak RSS $rss KB < 64 MB" || fail "$name: peak RSS $rss KB"
	current >now.txt
	cmp -s base.txt now.txt || fail "$name: the current versions changed"
done
expect_eq "$n" "13" "13 hostile documents"
expect_eq "$(cat listener.count 2>/dev/null || echo 0)" "0" "the listener on 127.0.0.1:$P was never connected to"
expect_eq "$(sqlite3 "$DB" "select count(*) from versions where data like '%root:%'")" "0" \
	"nothing of /etc/passwd in the database"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
finish
