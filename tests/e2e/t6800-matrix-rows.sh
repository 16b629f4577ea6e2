#!/bin/sh
# e2e: the fault matrix (tests/fault/MATRIX) is complete and true to the
# tests: rows 1-24 each exactly once; every test a row names exists and is
# run by `make check` (tests/e2e/tNNNN-*.sh or tests/unit/test_*.c); each
# names "matrix row N" in its header comment (the comment block before the
# first command), and every test whose header says "matrix row N" is listed
# for row N; every exit code of a row occurs in one of its tests; and
# docs/reliability.md's table lists the same tests for each row.
. "$SRCDIR/tests/e2e/lib.sh"

/usr/bin/python3 -I -S - "$SRCDIR" >"$TEST_TMP/check.out" 2>&1 <<'PY'
import glob, os, re, sys

src = sys.argv[1]
bad = []
rows = {}
for n, line in enumerate(open(os.path.join(src, "tests/fault/MATRIX"), encoding="utf-8"), 1):
    if not line.strip() or line.startswith("#"):
        continue
    cols = [c.strip() for c in line.split("|")]
    if len(cols) != 5 or not cols[0].isdigit() or not all(cols):
        bad.append(f"MATRIX:{n}: not ROW | FAULT | TESTS | OUTCOME | EXIT")
        continue
    row = int(cols[0])
    if row in rows:
        bad.append(f"MATRIX:{n}: row {row} twice")
    rows[row] = (cols[2].split(), re.findall(r"\d+", cols[4]))

def header(path):
    """The leading comment block of a test: shell '#' lines or a C /* */ comment."""
    text = open(path, encoding="utf-8", errors="replace").read()
    if path.endswith(".c"):
        m = re.match(r"\s*/\*(.*?)\*/", text, re.S)
        return m.group(1) if m else ""
    out = []
    for l in text.splitlines():
        if l.startswith("#"):
            out.append(l)
        else:
            break
    return "\n".join(out)

claimed = {}  # test -> rows its header names
for t in glob.glob(os.path.join(src, "tests/e2e/t[0-9]*.sh")) + glob.glob(os.path.join(src, "tests/unit/test_*.c")):
    rel = os.path.relpath(t, os.path.join(src, "tests"))
    claimed[rel] = {int(r) for r in re.findall(r"matrix row (\d+)(?!\d)", header(t))}

for row in range(1, 25):
    if row not in rows:
        bad.append(f"row {row}: missing from MATRIX")
        continue
    tests, codes = rows[row]
    for t in tests:
        if t not in claimed:
            bad.append(f"row {row}: {t} does not exist or is not run by make check")
            continue
        if row not in claimed[t]:
            bad.append(f"row {row}: {t}'s header comment does not say 'matrix row {row}'")
    for c in codes:
        if not any(t in claimed and re.search(rf"(?<!\d){c}(?!\d)", open(os.path.join(src, "tests", t)).read())
                   for t in tests):
            bad.append(f"row {row}: exit {c} occurs in none of {' '.join(tests)}")
for row in rows:
    if not 1 <= row <= 24:
        bad.append(f"row {row}: the matrix has rows 1-24")
for t, rs in sorted(claimed.items()):
    for row in sorted(rs):
        if row in rows and t not in rows[row][0]:
            bad.append(f"{t} says 'matrix row {row}' but MATRIX does not list it there")

docs = open(os.path.join(src, "docs/reliability.md"), encoding="utf-8").read()
docs = docs[docs.find("| row | fault |"):]  # the matrix table, not the exit-code one
for row, (tests, _) in sorted(rows.items()):
    m = re.search(rf"^\| {row} \|.*$", docs, re.M)
    if not m:
        bad.append(f"docs/reliability.md: no table line for row {row}")
        continue
    for t in tests:
        name = os.path.basename(t).rsplit(".", 1)[0]
        if name not in m.group(0):
            bad.append(f"docs/reliability.md row {row}: {name} not named")

print(f"{len(rows)} rows, {sum(len(t) for t, _ in rows.values())} test references checked")
for b in bad:
    print("BAD:", b)
sys.exit(1 if bad else 0)
PY
rc=$?
cat "$TEST_TMP/check.out"
expect_eq "$rc" "0" "the matrix names an existing test for every row, and each test names its row"
finish
