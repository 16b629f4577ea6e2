#!/bin/sh
# coverage.sh OBJDIR: per-file line coverage of src/ from the .gcda files
# that `make coverage` left in OBJDIR (gcov -n: nothing is written), the
# total, and the core rooms (spool, store*, ingest, rules, export, deliver,
# fetch) against the 90 % goal. Exit 0; the figures are for reading.
set -eu
obj=${1:?usage: coverage.sh OBJDIR}
ls "$obj"/*.gcda >/dev/null 2>&1 || { echo "coverage: no .gcda in $obj (run make coverage)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for s in src/*.c; do
	o=$obj/$(basename "$s" .c).gcno
	[ -e "$o" ] || continue
	gcov -n -o "$obj" "$s" 2>/dev/null
done >"$out"
# gcov prints "File 'X'" then "Lines executed:P% of N" for X and each header it used.
awk '
/^File / { f = $2; gsub(/\047/, "", f); next }
/^Lines executed:/ && f ~ /^src\/[^\/]*\.c$/ && !(f in seen) {
	seen[f] = 1
	split($0, a, /[:% ]+/)
	pct = a[3]; n = a[5]; hit = pct * n / 100
	files[++nf] = f; P[f] = pct; N[f] = n
	tot += n; tothit += hit
	if (f ~ /^src\/(spool|store[a-z_]*|ingest|rules|export|deliver|fetch)\.c$/) {
		core += n; corehit += hit
		if (pct < 90) below = below " " f
	}
}
END {
	printf "%-28s %8s %7s\n", "file", "lines", "covered"
	for (i = 1; i <= nf; i++)
		printf "%-28s %8d %6.1f%%%s\n", files[i], N[files[i]], P[files[i]],
			files[i] ~ /^src\/(spool|store[a-z_]*|ingest|rules|export|deliver|fetch)\.c$/ ? "  (core)" : ""
	printf "%-28s %8d %6.1f%%\n", "total src/", tot, tot ? 100 * tothit / tot : 0
	printf "%-28s %8d %6.1f%%\n", "core rooms", core, core ? 100 * corehit / core : 0
	if (below != "")
		printf "core files below 90%%:%s\n", below
	else
		printf "every core file at 90%% or more\n"
}' "$out"
