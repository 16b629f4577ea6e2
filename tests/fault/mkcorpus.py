#!/usr/bin/python3
"""mkcorpus.py - the malformed-input corpus of fault matrix row 16.

    mkcorpus.py [--full] FIXTURES OUT

Writes OUT/MANIFEST and the files it names: damaged copies of the real
fixtures in FIXTURES (tests/fixtures: profiles/*/input.* follow the public
specs named in their headers and profiles, dirty/day1.* the real exports'
shapes), made by fixed rules (no randomness: the corpus is the same on
every machine), plus the hand-written bad fixtures of FIXTURES/bad/CASES.

MANIFEST lines: NAME|FEED-OPTIONS|BASE|CLASS|FAMILY
  NAME     the file (OUT/files/NAME)
  OPTIONS  feed keys, ';'-separated (profile = ..., key = ..., ...)
  BASE     the fixture applied first as the feed's earlier data ('-': none)
  CLASS    what lotsync must do with the file:
           q  quarantine it (exit 65), the reason naming the file (and the
              line for a text file)
           h  hold its snapshot (exit 3) with a reason
           r  refuse the damaged rows, each with its line and reason, and
              apply the rest (exit 0); or, when a refused row was the only
              one filling a field, hold the file by the drift guard (exit 3)
           *  anything but a crash (--full only): a cut or a flipped bit at
              an arbitrary byte may still be a valid file
  FAMILY   the kind of damage (trunc, nul, flip, encoding, ragged, header,
           quoting, gzip, xml, xxe, nesting, handwritten; any-cut, any-flip)

--full (make torture-corpus) adds, for every base, a cut after every 4th
byte and a flipped bit (bit k % 8 of byte k, k in steps of 3): thousands of
files, run for no crash and no sanitizer report only.
"""
import gzip
import io
import os
import sys
import zipfile

# CSV bases: fixture, profile, extra feed keys, the header names of the vin,
# make and price columns, whether fields may be quoted, the delimiter.
CSV_BASES = [
    ("dirty/day1.csv", "generic-csv", "", "VIN", "Make", "Price", True, b","),
    ("profiles/generic-csv/input.csv", "generic-csv", "", "VIN", "Make", "Price", True, b","),
    ("profiles/dealer-feed/input.csv", "dealer-feed", "", "VIN", "Make", "Price", True, b","),
    ("profiles/google-vehicle-csv/input.csv", "google-vehicle-csv", "", "vin", "make", "price", True, b","),
    ("profiles/google-vehicle-listings/input.csv", "google-vehicle-listings", "", "vin", "make", "price", True, b","),
    ("profiles/meta-auto-csv/input.csv", "meta-auto-csv", "", "vin", "make", "price", True, b","),
    ("profiles/wayke-csv/input.csv", "wayke-csv", "", "VIN", "Make", "Price", True, b","),
    ("profiles/blocket-csv/input.csv", "blocket-csv", "", "VIN", "Märke", "Pris", True, b";"),
    ("profiles/dealercenter-txt/input.txt", "dealercenter-txt", "", "VIN", "Make", "SellingPrice", False, b","),
    ("profiles/homenet-tsv/input.tsv", "homenet-tsv", "dealer_id = D777", "Vehicle_VIN_Number", "Manufacturer",
     "Asking_Price", True, b"\t"),
]
XML_BASES = [
    ("dirty/day1.xml", "generic-xml", "", "inventory"),
    ("profiles/generic-xml/input.xml", "generic-xml", "", "inventory"),
    ("profiles/listings-xml/input.xml", "listings-xml", "", "listings"),
    ("profiles/adf-xml/input.xml", "adf-xml", "", "adf"),
    ("profiles/google-merchant-rss/input.xml", "google-merchant-rss", "", "rss"),
    ("profiles/meta-auto-xml/input.xml", "meta-auto-xml", "", "listings"),
]
# Every feed of the corpus holds a snapshot that would vanish a vehicle, so
# a cut at a record boundary is held whatever the fixture's size.
GUARD = "vanish_guard = 0%;vanish_guard_min = 1"


class Corpus:
    def __init__(self, out):
        self.out = out
        self.lines = []
        os.makedirs(os.path.join(out, "files"), exist_ok=True)

    def put(self, name, data, options, base, cls, family):
        assert "|" not in name and cls in "qhr*"
        with open(os.path.join(self.out, "files", name), "wb") as f:
            f.write(data)
        self.lines.append("|".join((name, options, base, cls, family)))

    def write_manifest(self):
        with open(os.path.join(self.out, "MANIFEST"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def scan_csv(data, delim, quotes):
    """Records as (start, end-after-terminator, [(field start, end, quoted)])."""
    recs, fields, i, start, fstart, inq, quoted = [], [], 0, 0, 0, False, False
    n = len(data)
    while i < n:
        c = data[i:i + 1]
        if inq:
            if c == b'"':
                if data[i + 1:i + 2] == b'"':
                    i += 1
                else:
                    inq = False
        elif quotes and c == b'"' and i == fstart:
            inq, quoted = True, True
        elif c == delim:
            fields.append((fstart, i, quoted))
            fstart, quoted = i + 1, False
        elif c in (b"\n", b"\r"):
            end = i + 1 + (data[i + 1:i + 2] == b"\n" and c == b"\r")
            fields.append((fstart, i, quoted))
            recs.append((start, end, fields))
            fields, start, fstart, quoted = [], end, end, False
            i = end
            continue
        i += 1
    if start < n:
        fields.append((fstart, n, quoted))
        recs.append((start, n, fields))
    return recs


def latin1(data):
    return data.decode("utf-8").encode("latin-1", errors="replace")


def csv_cases(c, fixtures, base, profile, extra, vin, make, price, quotes, delim):
    data = open(os.path.join(fixtures, base), "rb").read()
    opts = ";".join(x for x in ("profile = " + profile, extra, GUARD) if x)
    stem = profile + "-" + base.split("/")[0]
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    recs = scan_csv(data, delim, quotes)
    header = [data[a:b].strip(b'"').decode() for a, b, _ in recs[0][2]]
    col = {h: k for k, h in enumerate(header)}
    rows = recs[1:]
    assert len(rows) >= 2, base
    nf = len(header)
    put = lambda name, d, cls, fam: c.put(f"{stem}-{name}", d, opts, base, cls, fam)
    ext = os.path.splitext(base)[1]

    # Truncation (head -c): inside a quoted field, inside a record before its
    # last field, at record boundaries, after the header, nothing at all.
    qf = [(a, b) for _, _, fs in rows for a, b, q in fs if q and b - a > 4]
    for k, (a, _) in enumerate(qf[:3]):
        put(f"trunc-quote-{k}{ext}", data[:a + 3], "q", "trunc")
    mids = [a + 1 for _, _, fs in rows for a, b, _ in fs[1:nf - 2] if b > a]
    for k in range(3):
        put(f"trunc-row-{k}{ext}", data[:mids[len(mids) * (2 * k + 1) // 6]], "q", "trunc")
    put(f"trunc-one-row{ext}", data[:rows[0][1]], "h", "trunc")
    put(f"trunc-header{ext}", data[:recs[0][1]], "h", "trunc")
    put(f"trunc-empty{ext}", b"", "h", "trunc")

    # NUL bytes; a bit flip (0x80 on an ASCII byte: never valid UTF-8 alone).
    put(f"nul-header{ext}", data[:bom + 2] + b"\0" + data[bom + 2:], "q", "nul")
    a = rows[len(rows) // 2][2][col[make]][0]
    put(f"nul-row{ext}", data[:a + 1] + b"\0" + data[a + 1:], "q", "nul")
    a = recs[0][2][col[price]][0] + (1 if recs[0][2][col[price]][2] else 0)
    put(f"flip-header{ext}", data[:a] + bytes([data[a] | 0x80]) + data[a + 1:], "q", "flip")
    a = rows[0][2][col[make]][0] + (1 if rows[0][2][col[make]][2] else 0)
    put(f"flip-make{ext}", data[:a] + bytes([data[a] | 0x80]) + data[a + 1:], "r", "flip")

    # Wrong encodings.
    text = data[bom:].decode("utf-8")
    put(f"utf16le-bom{ext}", b"\xff\xfe" + text.encode("utf-16-le"), "q", "encoding")
    put(f"utf16be-bom{ext}", b"\xfe\xff" + text.encode("utf-16-be"), "q", "encoding")
    put(f"utf16le-nobom{ext}", text.encode("utf-16-le"), "q", "encoding")
    put(f"utf32le-bom{ext}", b"\xff\xfe\0\0" + text.encode("utf-32-le"), "q", "encoding")
    hdr = data[bom:recs[0][1]]
    if any(b >= 0x80 for b in hdr):
        put(f"latin1{ext}", latin1(data[bom:]), "q", "encoding")

    # Ragged rows: a non-empty extra field, a missing last field.
    s, e, fs = rows[0]
    put(f"ragged-extra{ext}", data[:fs[-1][1]] + delim + b"X" + data[fs[-1][1]:], "r", "ragged")
    k = len(rows) // 2 if len(rows) > 2 else 0
    s, e, fs = rows[k]
    put(f"ragged-short{ext}", data[:fs[-2][1]] + data[fs[-1][1]:], "r", "ragged")

    # Header: the key column renamed, removed, named twice; a mapped column renamed.
    def with_header(names):
        return data[:bom] + delim.join(n.encode() for n in names) + data[recs[0][2][-1][1]:recs[0][1]] + \
            data[recs[0][1]:]
    ren = list(header)
    ren[col[vin]] = vin + "_x"
    put(f"header-key-renamed{ext}", with_header(ren), "q", "header")
    k = col[vin]
    dropped = data[:bom] + b"".join(
        b"".join(data[a:b] + (delim if i < nf - 2 else b"") for i, (a, b, _) in
                 enumerate(f for j, f in enumerate(fs) if j != k)) + data[fs[-1][1]:e]
        for s, e, fs in recs)
    put(f"header-key-missing{ext}", dropped, "q", "header")
    dup = list(header)
    dup[col[make]] = header[col[vin]]
    put(f"header-duplicate{ext}", with_header(dup), "q", "header")
    # A mapped column gone is drift (held), unless the profile requires it.
    ren = list(header)
    ren[col[price]] = price + "_renamed"
    put(f"header-price-renamed{ext}", with_header(ren), "q" if profile == "wayke-csv" else "h", "header")

    # Quoting: a quote inside an unquoted field, text after a closing quote,
    # a quote opened and never closed.
    if quotes:
        fs = rows[0][2]
        a, b, q = fs[col[vin]]
        put(f"quote-inside{ext}", data[:a + 2] + b'"' + data[a + 2:], "q", "quoting")
        a, b, q = next((f for f in fs if f[2]), (None, None, None))
        if a is not None:
            put(f"quote-trailing-text{ext}", data[:b] + b"x" + data[b:], "q", "quoting")
        a = rows[len(rows) // 2][2][col[make]][0]
        put(f"quote-unterminated{ext}", data[:a] + b'"' + data[a:], "q", "quoting")

    # Compressed: damaged deflate data, a changed byte in a stored block (only
    # the CRC-32 tells), a cut stream, a zip member with a changed byte.
    g = bytearray(gzip.compress(data, mtime=0))
    g[len(g) // 2] ^= 0x10
    put(f"gzip-flip{ext}.gz", bytes(g), "q", "gzip")
    g = bytearray(gzip.compress(data, compresslevel=0, mtime=0))
    g[len(g) - 20] ^= 0x01
    put(f"gzip-stored-flip{ext}.gz", bytes(g), "q", "gzip")
    put(f"gzip-cut{ext}.gz", gzip.compress(data, mtime=0)[:-10], "q", "gzip")
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("feed" + ext, data)
    zb = bytearray(z.getvalue())
    zb[zb.index(data[-20:]) + 5] ^= 0x01
    put(f"zip-stored-flip{ext}.zip", bytes(zb), "q", "gzip")


def xml_cases(c, fixtures, base, profile, extra, root):
    data = open(os.path.join(fixtures, base), "rb").read()
    opts = ";".join(x for x in ("profile = " + profile, extra, GUARD) if x)
    stem = profile + "-" + base.split("/")[0]
    put = lambda name, d, cls, fam: c.put(f"{stem}-{name}", d, opts, base, cls, fam)
    rs = data.index(b"<" + root.encode())
    rs = data.index(b">", rs) + 1
    re_ = data.rindex(b"</" + root.encode())
    # Truncation at 8 points from after the root's start tag into its end tag.
    for k in range(8):
        put(f"trunc-{k}.xml", data[:rs + (re_ + 2 - rs) * k // 7], "q", "trunc")
    texts = [i + 1 for i in range(rs, re_) if data[i:i + 1] == b">" and 0x41 <= data[i + 1] <= 0x7a]
    t = texts[len(texts) // 2]
    put("nul.xml", data[:t] + b"\0" + data[t:], "q", "nul")
    for k, t in enumerate((texts[1], texts[-2])):
        put(f"flip-{k}.xml", data[:t] + bytes([data[t] | 0x80]) + data[t + 1:], "q", "flip")
    put("utf16le-bom.xml", b"\xff\xfe" + data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .encode("utf-16-le"), "q", "encoding")
    # Structure.
    t = texts[len(texts) // 3]
    end = data.index(b"</", t)
    close = data[end:data.index(b">", end) + 1]
    put("unclosed-element.xml", data[:end] + data[end + len(close):], "q", "xml")
    put("junk-after-root.xml", data + b"<extra/>\n", "q", "xml")
    put("text-after-root.xml", data + b"tail text\n", "q", "xml")
    put("undefined-entity.xml", data[:t] + b"&nope;" + data[t:], "q", "xml")
    put("charref-zero.xml", data[:t] + b"&#0;" + data[t:], "q", "xml")
    put("charref-fffe.xml", data[:t] + b"&#xFFFE;" + data[t:], "q", "xml")
    put("bare-ampersand.xml", data[:t] + b"A & B" + data[t:], "q", "xml")
    put("bare-lt.xml", data[:t] + b"a < b" + data[t:], "q", "xml")
    put("mis-nested.xml", data[:t] + b"<b><i>x</b></i>" + data[t:], "q", "xml")
    put("unclosed-comment.xml", data[:t] + b"<!-- never closed " + data[t:], "q", "xml")
    put("unclosed-cdata.xml", data[:t] + b"<![CDATA[ never closed " + data[t:], "q", "xml")
    el = data.index(b">", data.index(b"<", rs + 1))
    put("attr-unquoted.xml", data[:el] + b" a=1" + data[el:], "q", "xml")
    put("attr-twice.xml", data[:el] + b' a="1" a="2"' + data[el:], "q", "xml")
    put("attr-1001.xml", data[:el] + b"".join(b' a%d="x"' % i for i in range(1001)) + data[el:], "q", "xml")
    put("decl-not-first.xml", b"\n \n" + data, "q", "xml")
    put("deep-100.xml", data[:t] + b"<d>" * 100 + b"x" + b"</d>" * 100 + data[t:], "q", "nesting")
    # DTDs and entities (never read, never expanded).
    decl = data.index(b"?>") + 2 if data.startswith(b"<?xml") else 0
    for name, dt in (
            ("doctype", b"<!DOCTYPE %s>" % root.encode()),
            ("xxe-file", b'<!DOCTYPE %s [<!ENTITY x SYSTEM "file:///etc/passwd">]>' % root.encode()),
            ("xxe-pe", b'<!DOCTYPE %s [<!ENTITY %% p SYSTEM "file:///etc/passwd"> %%p;]>' % root.encode()),
            ("laughs", b"<!DOCTYPE %s [<!ENTITY a \"aaaaaaaaaa\">" % root.encode() +
             b"".join(b'<!ENTITY %s "%s">' % (chr(98 + k).encode(), (b"&%s;" % chr(97 + k).encode()) * 10)
                      for k in range(8)) + b"]>")):
        put(f"{name}.xml", data[:decl] + b"\n" + dt + data[decl:], "q", "xxe")
    g = bytearray(gzip.compress(data, mtime=0))
    g[len(g) // 2] ^= 0x10
    put("gzip-flip.xml.gz", bytes(g), "q", "gzip")


def handwritten(c, fixtures):
    """The hand-written bad fixtures whose CASES outcome is a rejection."""
    for line in open(os.path.join(fixtures, "bad/CASES"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        f, profile, options, expected = [x.strip() for x in line.split("|", 3)]
        if f.startswith("gen:"):
            continue  # made by test_fixtures.c itself
        if expected.startswith("quarantined:") or expected.startswith("~ quarantined:"):
            cls = "q"
        elif expected.startswith("held:"):
            cls = "h"
        else:
            # Read fine (a stored value, a warning), or rows refused: test_fixtures.c
            # checks each row's message; without earlier data a file whose only
            # row is refused is held as empty, so no class is fixed here.
            continue
        opts = ["profile = " + profile] + [
            o.replace("=", " = ", 1) for o in options.split(",") if o]
        data = open(os.path.join(fixtures, "bad", f), "rb").read()
        name = f"bad-{profile}-{options.replace('=', '-').replace(',', '-')}-{f}" if options else f"bad-{f}"
        c.put(name, data, ";".join(opts), "-", cls, "handwritten")


def every_byte(c, fixtures, base, profile, extra):
    data = open(os.path.join(fixtures, base), "rb").read()
    opts = ";".join(x for x in ("profile = " + profile, extra, GUARD) if x)
    stem = profile + "-" + base.split("/")[0]
    ext = os.path.splitext(base)[1]
    for k in range(1, len(data), 4):
        c.put(f"{stem}-any-cut-{k}{ext}", data[:k], opts, base, "*", "any-cut")
    for k in range(0, len(data), 3):
        c.put(f"{stem}-any-flip-{k}{ext}", data[:k] + bytes([data[k] ^ (1 << (k % 8))]) + data[k + 1:],
              opts, base, "*", "any-flip")


def main():
    full = sys.argv[1] == "--full"
    fixtures, out = sys.argv[1 + full], sys.argv[2 + full]
    c = Corpus(out)
    for b in CSV_BASES:
        csv_cases(c, fixtures, *b)
    for b in XML_BASES:
        xml_cases(c, fixtures, *b)
    handwritten(c, fixtures)
    if full:
        for b in CSV_BASES + XML_BASES:
            every_byte(c, fixtures, *b[:3])
    c.write_manifest()
    print(len(c.lines))


if __name__ == "__main__":
    main()
