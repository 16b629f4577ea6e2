#!/bin/sh
# e2e, fault matrix: matrix row 11 (corrupt file). From the dirty-feed
# fixtures (tests/fixtures/dirty/day1.csv, generic-csv, and day1.xml,
# generic-xml) applied first, corrupt copies arrive one per run:
#  - NUL bytes: in the CSV header, in a CSV row, in an XML value;
#  - bit flips (0x80 set on an ASCII byte, which no UTF-8 text has alone):
#    in a CSV header name, in three XML text values;
#  - wrong encodings: the CSV as UTF-16LE and UTF-16BE with a byte order
#    mark, as UTF-16LE without one, as UTF-32LE and BE; the XML as UTF-16LE;
#  - a bit flipped inside the deflate data of a .csv.gz and in a stored
#    (level 0) one, which inflates cleanly and only its CRC-32 tells; a
#    .gz cut short; a byte changed in a stored .zip member.
# Each is quarantined (exit 65) with a .reason in failed/ that starts with
# the file's name and, for text, the line, and says what is wrong; the
# current versions of both feeds stay those of day 1. (Before this test the
# stored .gz was applied with the changed byte, exit 0: libarchive does not
# check gzip trailers; and UTF-32 was reported as UTF-16.)
# Also matrix row 16: the truncation and corruption families of the
# malformed inputs.
. "$SRCDIR/tests/e2e/lib.sh"
local_env
printf '\n[feed:x]\nsource = drop\nprofile = generic-xml\n' >>"$C"
mkdir -p spool/incoming/x
D=$SRCDIR/tests/fixtures/dirty
cp "$D/day1.csv" "$IN/"
cp "$D/day1.xml" spool/incoming/x/
expect_rc 0 "day 1 of both feeds" L --now 2026-11-20T08:00:00Z run
current() { sqlite3 "$DB" "select feed, key, hash from versions where to_seq is null order by 1, 2"; }
current >base.txt
expect_eq "$(wc -l <base.txt)" "20" "20 vehicles current"

/usr/bin/python3 -I -S - "$D/day1.csv" "$D/day1.xml" corrupt >cases.txt <<'PY'
import gzip, io, os, sys, zipfile
csvb, xmlb, out = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3]
os.makedirs(out, exist_ok=True)
def put(name, data, feed, why):
    open(os.path.join(out, name), "wb").write(data)
    print(name, feed, why)
def at(data, k, b):
    return data[:k] + b + data[k:]
def flip(data, k):
    assert data[k] < 0x80 and data[k + 1] < 0x80
    return data[:k] + bytes([data[k] | 0x80]) + data[k + 1:]
put("nul-header.csv", at(csvb, 10, b"\0"), "acme", "NUL byte in header column 2")
put("nul-row.csv", at(csvb, csvb.index(b"Honda"), b"\0"), "acme", "NUL byte in column 6 (Make)")
put("flip-header.csv", flip(csvb, csvb.index(b"Model")), "acme", "header column 7 is not valid UTF-8")
text = csvb.decode("utf-8")
put("utf16le-bom.csv", b"\xff\xfe" + text.encode("utf-16-le"), "acme", "file is UTF-16 (byte order mark)")
put("utf16be-bom.csv", b"\xfe\xff" + text.encode("utf-16-be"), "acme", "file is UTF-16 (byte order mark)")
put("utf16le-nobom.csv", text.encode("utf-16-le"), "acme", "NUL byte in header column 1")
put("utf32le-bom.csv", b"\xff\xfe\0\0" + text.encode("utf-32-le"), "acme", "file is UTF-32 (byte order mark)")
put("utf32be-bom.csv", b"\0\0\xfe\xff" + text.encode("utf-32-be"), "acme", "file is UTF-32 (byte order mark)")
put("nul-value.xml", at(xmlb, xmlb.index(b"M3<"), b"\0"), "x", "XML error: Char 0x0 out of allowed range")
for k, w in enumerate((b"M1<", b"D100</DealerID><VIN>JTDK", b"23990")):
    put(f"flip-{k}.xml", flip(xmlb, xmlb.index(w) + 1), "x", "XML error: Input is not proper UTF-8")
put("utf16le.xml", b"\xff\xfe" + xmlb.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le"),
    "x", "document is UTF-16 or UTF-32")
gz = bytearray(gzip.compress(csvb, mtime=0))
gz[len(gz) // 2] ^= 0x01
put("flip-deflate.csv.gz", bytes(gz), "acme", "(gzip)")
# A stored block inflates without error whatever its bytes: only the CRC-32 tells.
gz = bytearray(gzip.compress(csvb, compresslevel=0, mtime=0))
gz[gz.index(b"Service book, 2")] ^= 0x20
put("flip-stored.csv.gz", bytes(gz), "acme", "corrupt gzip data: the CRC-32 or length in the trailer does not match")
put("cut.csv.gz", gzip.compress(csvb, mtime=0)[:-12], "acme", "cannot read as gzip: truncated gzip input")
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
    z.writestr("feed.csv", csvb)
zb = bytearray(b.getvalue())
zb[zb.index(b"Service book, 2")] ^= 0x20
put("flip-stored.zip", bytes(zb), "acme", "corrupt zip data: ZIP bad CRC")
PY
expect_eq "$(wc -l <cases.txt)" "17" "17 corrupt files"
n=0
while read -r name feed why; do
	n=$((n + 1))
	cp "corrupt/$name" "spool/incoming/$feed/$name"
	expect_rc 65 "$name: quarantined" L --now "2026-11-21T$(printf %02d $n):00:00Z" run
	r=spool/failed/$feed/$name.reason
	if [ -f "$r" ]; then
		got=$(sed -n 's/^reason: //p' "$r")
		case $name in
		*.gz | *.zip) pat="^$name:\\([0-9][0-9]*:\\)\\{0,1\\} " ;;
		*) pat="^$name:[0-9][0-9]*: " ;;
		esac
		echo "$got" | grep -q "$pat" && echo "$got" | grep -q -F "$why" &&
			pass "$name: $got" || fail "$name: reason '$got', wanted file, line and '$why'"
	else
		fail "$name: no $r"
	fi
	current >now.txt
	cmp -s base.txt now.txt && pass "$name: earlier data intact" || fail "$name: the current versions changed"
done <cases.txt
expect_eq "$n" "17" "all tried"
expect_eq "$(sqlite3 "$DB" 'pragma integrity_check')" "ok" "integrity_check ok"
finish
