#!/bin/sh
# e2e: scripts/check-layers.py on a small tree of its own (a layer table,
# sources compiled to objects): a clean tree passes; a call to a higher row,
# a command calling another command, a cycle within a row, an include of a
# higher module's header and a module missing from the table each fail and
# are named; the parts of one module "x (+a)" may use each other (util and
# util_x call each other in every case); --rows shows only the errors of the
# rows named.
. "$SRCDIR/tests/e2e/lib.sh"
cd "$TEST_TMP" || exit 1
T=$TEST_TMP/tree
mkdir -p "$T/docs" "$T/src" "$T/include/lotsync" "$T/build/obj"
cat >"$T/docs/ARCHITECTURE.md" <<'MD'
| layer | modules | concern |
|---|---|---|
| entry | `main` | argv |
| commands | `cmd_a` `cmd_b`; all in `cmd.h` | two commands |
| documents | `doc` → `chart` | a document and its chart |
| base | `util` (+`util_x`) | helpers |
MD
: >"$T/include/lotsync/cmd_a.h"
# src NAME BODY: write src/NAME.c
src() { printf '%s\n' "$2" >"$T/src/$1.c"; }
src main 'int cmd_a(void); int main(void) { return cmd_a(); }'
src cmd_a 'int util(void); int doc(void); int cmd_a(void) { return util() + doc(); }'
src cmd_b 'int util(void); int cmd_b(void) { return util(); }'
src doc 'int chart(void); int doc(void) { return chart(); }'
src chart 'int util(void); int chart(void) { return util(); }'
src util 'int util_x(void); int util(void) { return util_x(); }'
src util_x 'int util(void); int util_x(void) { return util(); }'
build() {
	for f in "$T"/src/*.c; do
		cc -I"$T/include" -c -o "$T/build/obj/$(basename "$f" .c).o" "$f" || fail "cc $f"
	done
}
check() { /usr/bin/python3 "$SRCDIR/scripts/check-layers.py" --top "$T" "$@"; }

build
expect_rc 0 "a clean tree passes" check
expect_grep "check-layers: ok (7 modules in 4 rows)" "$TEST_TMP/out" "it says so"

src util 'int util_x(void); int cmd_b(void); int util(void) { return util_x() + cmd_b(); }'
build
expect_rc 1 "a call to a higher row fails" check
expect_grep "util (base) calls cmd_b(): uses a higher row (commands)" "$TEST_TMP/out" "the upward call is named"
expect_rc 0 "--rows leaves that row's errors out" check --rows entry,commands
src util 'int util_x(void); int util(void) { return util_x(); }'

src cmd_b 'int util(void); int cmd_a(void); int cmd_b(void) { return util() + cmd_a(); }'
build
expect_rc 1 "a command calling another fails" check
expect_grep "cmd_b (commands) calls cmd_a(): a command uses another command" "$TEST_TMP/out" "the command call is named"
src cmd_b 'int util(void); int cmd_b(void) { return util(); }'

src chart 'int util(void); int doc(void); int chart(void) { return util() + doc(); }'
build
expect_rc 1 "a cycle within a row fails" check
expect_grep "chart (documents) calls doc(): a cycle within the row documents" "$TEST_TMP/out" "the cycle is named"
src chart 'int util(void); int chart(void) { return util(); }'

src util '#include "lotsync/cmd_a.h"
int util_x(void); int util(void) { return util_x(); }'
build
expect_rc 1 "an include of a higher module's header fails" check
expect_grep "util (base) includes cmd_a.h: uses a higher row (commands)" "$TEST_TMP/out" "the include is named"
src util 'int util_x(void); int util(void) { return util_x(); }'

src stray 'int stray(void) { return 0; }'
build
expect_rc 1 "a module missing from the table fails" check
expect_grep "not in the ARCHITECTURE.md table: stray" "$TEST_TMP/out" "the missing module is named"
rm -f "$T/src/stray.c" "$T/build/obj/stray.o"

expect_rc 0 "the repaired tree passes again" check
expect_rc 64 "an unknown option is a usage error" check --bogus
finish
