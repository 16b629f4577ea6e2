#!/bin/sh
# checkstyle.sh: house-style checks that the compiler does not make.
#  - banned functions in src/ (unbounded copies, unchecked conversions);
#  - exit() only in main.c: library code returns errors (STYLE.md);
#  - clang-format clean, when clang-format is installed.
set -eu
cd "$(dirname "$0")/.."
bad=0

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atof|strtok|tmpnam|mktemp)[[:space:]]*\('
if grep -nE "$banned" src/*.c; then
	echo "checkstyle: banned function above (use the bounded/checked alternative)" >&2
	bad=1
fi
if grep -nE '\bexit[[:space:]]*\(' src/*.c | grep -v '^src/main.c:'; then
	echo "checkstyle: exit() outside main.c; return an error instead" >&2
	bad=1
fi
if command -v clang-format >/dev/null 2>&1; then
	for f in src/*.c src/*.h include/lotsync/*.h tests/unit/*.c; do
		[ -f "$f" ] || continue
		if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
			echo "checkstyle: $f is not clang-format clean (make format)" >&2
			bad=1
		fi
	done
fi
exit $bad
