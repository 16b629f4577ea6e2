# lotsync - see README.md. `make demo` and `make check` are the two commands.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/lotsync
LIBDIR   = $(PREFIX)/lib/lotsync
MANDIR   = $(PREFIX)/share/man
UNITDIR  = $(PREFIX)/lib/systemd/system
UNITS    = contrib/systemd/lotsync.service contrib/systemd/lotsync.timer \
	contrib/systemd/lotsync-failure@.service
VERSION := $(shell sed -n 's/^\#define LOTSYNC_VERSION "\(.*\)"/\1/p' src/main.c)
MAN_SRCS  = man/lotsync.1 man/lotsync.conf.5 man/lotsync-profile.5
MAN_PAGES = $(MAN_SRCS:man/%=build/man/%)

CC      ?= cc
PKGS     = libcurl libssh2 libxml-2.0 sqlite3 inih libcrypto libxxhash libarchive zlib libzstd
# pkg-config is only asked when a target compiles, so `make deps` works on a bare machine.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -pthread
CSTD     = -std=c17 -D_GNU_SOURCE
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS) -MMD -MP
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRCS  = $(filter-out src/main.c,$(wildcard src/*.c))
# The shipped profiles and formats, compiled in (scripts/embed-conf.sh).
EMBED_INI = $(sort $(wildcard conf/profiles/*.ini conf/formats/*.ini))
GEN_SRC   = build/gen/builtin_data.c
LIB_OBJS  = $(LIB_SRCS:src/%.c=build/obj/%.o) build/obj/builtin_data.o
SAN_OBJS  = $(LIB_SRCS:src/%.c=build/san/%.o) build/san/builtin_data.o
TEST_SRCS = $(wildcard tests/unit/test_*.c)
TESTS     = $(TEST_SRCS:tests/unit/%.c=build/tests/%)
SAN_TESTS = $(TEST_SRCS:tests/unit/%.c=build/san-tests/%)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

.PHONY: all deps check no-golden-update coverage coverage-run unit unit-san e2e torture \
	torture-interop torture-faults demo bench bench-quick install \
	clean check-headers check-layers checkstyle format man check-man

all: lotsync man build/lotsync_json.so

# Man pages (mdoc): the version filled in; `make check` lints them with mandoc.
man: $(MAN_PAGES)

build/man/%: man/% src/main.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  MAN     $@")
	$(Q)sed 's/@VERSION@/$(VERSION)/' $< >$@

check-man: $(MAN_PAGES)
	@mandoc -T lint -W warning $(MAN_PAGES)

deps:
	@scripts/deps.sh

lotsync: build/obj/main.o build/liblotsync.a
	$(if $(V),,@echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# lotsync_json() for the plain sqlite3 shell (`.load`): auditors read stored
# versions with it (contrib/sqlite/lotsync_json.c); so do the e2e tests.
build/lotsync_json.so: contrib/sqlite/lotsync_json.c src/store_zdata.c src/store_zdata.h \
		src/store_zdata_sql.h include/lotsync/limits.h
	@mkdir -p $(@D)
	$(if $(V),,@echo "  LINK    $@")
	$(Q)$(CC) $(CSTD) $(WARN) $(CFLAGS) -fPIC -shared -Iinclude -Isrc -o $@ \
		contrib/sqlite/lotsync_json.c src/store_zdata.c $(shell pkg-config --libs libzstd 2>/dev/null)

build/liblotsync.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# Regenerated on every make (a deleted .ini must leave too); the script only
# replaces the file when its content changed, so nothing rebuilds for nothing.
$(GEN_SRC): FORCE
	@mkdir -p $(@D)
	@scripts/embed-conf.sh $@ $(EMBED_INI)
.PHONY: FORCE
FORCE:

# Keep the sanitizer and fuzzer objects the test binaries are linked from:
# as pattern intermediates make would delete them, and every check rebuilt them.
.SECONDARY:

build/obj/builtin_data.o: $(GEN_SRC)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/builtin_data.o: $(GEN_SRC)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC-SAN  $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/fuzz/obj/builtin_data.o: $(GEN_SRC)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# V=1 shows the full compiler command lines.
Q = $(if $(V),,@)

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: src/%.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC-SAN  $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/tests/%: tests/unit/%.c build/liblotsync.a
	@mkdir -p $(@D)
	$(if $(V),,@echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/liblotsync.a $(PKG_LIBS) $(CHECK_LIBS)

build/san-tests/%: tests/unit/%.c $(SAN_OBJS)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  TEST-SAN $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< $(SAN_OBJS) $(PKG_LIBS) $(CHECK_LIBS)

# lotsync itself under ASan+UBSan, for the e2e tests that run many hostile
# inputs through the real binary (t6816: the malformed corpus).
SAN_LOTSYNC = build/lotsync-san
$(SAN_LOTSYNC): build/san/main.o $(SAN_OBJS)
	$(if $(V),,@echo "  LINK-SAN $@")
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

# Unit tests, plain and under ASan+UBSan (LeakSanitizer included).
unit: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; LOTSYNC_SRCDIR=$(CURDIR) $$t; done

unit-san: $(SAN_TESTS)
	@set -e; for t in $(SAN_TESTS); do echo "== $$t (asan+ubsan)"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CK_FORK=no LOTSYNC_SRCDIR=$(CURDIR) $$t; done

# Defined before its first use: make expands a rule's prerequisites when it
# reads the rule, so `make e2e` alone builds the shim the t61NN tests load.
FAULTSHIM = build/faultshim.so

e2e: lotsync build/lotsync_json.so $(FAULTSHIM) $(SAN_LOTSYNC)
	@tests/run-e2e.sh

# `make torture`: the long runs outside `make check`.
torture: torture-interop torture-faults torture-corpus

# The interoperability matrix in full (tests/torture/: every server x
# writer / deliver twice / cut uploads / 2,000 files; 10-20 minutes,
# 18 measured at load average 15 on 2 cores):
# not part of `make check`, which runs a short version of each cell. The
# measured figures (lotsync against a plain client, same run) are printed
# at the end and kept in build/torture-figures.txt.
torture-interop: lotsync
	@mkdir -p build && rm -f build/torture-figures.txt
	@LOTSYNC_FIGURES=$(CURDIR)/build/torture-figures.txt LOTSYNC_REQUIRE_SERVERS=1 \
		scripts/with-servers.sh tests/run-e2e.sh tests/torture/t[0-9]*.sh
	@cat build/torture-figures.txt

# The LD_PRELOAD library of the fault tests (tests/shim/faultshim.c): counts
# the durable-write calls of a run and fails the Nth (t61NN tests, torture).
$(FAULTSHIM): tests/shim/faultshim.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  SHIM    $@")
	$(Q)$(CC) $(CSTD) $(WARN) -O2 -shared -fPIC -o $@ $< -ldl

# Every counted call of the fault scenario failed once and persistently,
# then again with a fetched third feed (tests/fault/enumerate.py; about ten
# minutes; `make check` runs a sample of it in t6100).
torture-faults: lotsync $(FAULTSHIM)
	@/usr/bin/python3 tests/fault/enumerate.py --lotsync ./lotsync --shim $(FAULTSHIM)
	@/usr/bin/python3 tests/fault/enumerate.py --lotsync ./lotsync --shim $(FAULTSHIM) --fetch

# The malformed-input corpus of t6816 plus a cut after every 4th byte and a
# flipped bit every 3rd byte of every base fixture (about 11,500 files),
# through lotsync under ASan+UBSan: no crash, no sanitizer report
# (tests/fault/mkcorpus.py --full; spools on /dev/shm).
torture-corpus: lotsync $(SAN_LOTSYNC)
	@rm -rf build/corpus && mkdir -p build
	@/usr/bin/python3 tests/fault/mkcorpus.py --full tests/fixtures build/corpus >/dev/null
	@w=$$(mktemp -d /dev/shm/lotsync-corpus.XXXXXX); \
		/usr/bin/python3 tests/fault/runcorpus.py --lotsync $(SAN_LOTSYNC) --corpus build/corpus \
		--work $$w; rc=$$?; rm -rf $$w; exit $$rc

# The servers (sshd, vsftpd on 127.0.0.1) live for the whole test run; see scripts/with-servers.sh.
# The build of the three trees (normal, ASan+UBSan, fuzz) is most of a serial
# check's time: it runs on every core. The tests stay one at a time.
JOBS := $(shell nproc 2>/dev/null || echo 1)
check: no-golden-update deps
	@$(MAKE) --no-print-directory -j$(JOBS) all check-headers check-layers checkstyle check-man $(TESTS) $(SAN_TESTS) fuzz \
		$(FAULTSHIM) $(SAN_LOTSYNC)
	@scripts/with-servers.sh $(MAKE) --no-print-directory unit unit-san e2e
	@$(MAKE) --no-print-directory fuzz-run

# The switches that rewrite expected files from lotsync's own output are for
# a human running one test and reviewing the diff, never for the suite.
no-golden-update:
	@if [ -n "$${LOTSYNC_UPDATE_GOLDEN:-}$${UPDATE_EXPECTED:-}" ]; then \
		echo "make check: LOTSYNC_UPDATE_GOLDEN or UPDATE_EXPECTED is set; it would rewrite the" \
			"expected files from the code under test. Unset it (README: The two commands)." >&2; exit 2; fi

# Line coverage of src/ under the whole suite (unit + e2e, servers up), built
# into its own tree so the normal and sanitizer builds stay untouched.
COV        = build/cov
COV_CFLAGS = $(CSTD) $(WARN) -O0 -g -Iinclude $(PKG_CFLAGS) -MMD -MP --coverage -fprofile-update=atomic
COV_OBJS   = $(LIB_SRCS:src/%.c=$(COV)/obj/%.o) $(COV)/obj/builtin_data.o
COV_TESTS  = $(TEST_SRCS:tests/unit/%.c=$(COV)/tests/%)

$(COV)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC-COV  $<")
	$(Q)$(CC) $(COV_CFLAGS) -c -o $@ $<

$(COV)/obj/builtin_data.o: $(GEN_SRC)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(COV)/lotsync: $(COV)/obj/main.o $(COV_OBJS)
	$(Q)$(CC) --coverage -o $@ $^ $(PKG_LIBS)

$(COV)/tests/%: tests/unit/%.c $(COV_OBJS)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  TEST-COV $@")
	$(Q)$(CC) $(COV_CFLAGS) -o $@ $< $(COV_OBJS) $(PKG_LIBS) $(CHECK_LIBS)

# The figures are printed even when a test fails; the exit status says whether all passed.
coverage: no-golden-update deps
	@$(MAKE) --no-print-directory $(COV)/lotsync $(COV_TESTS) man $(FAULTSHIM)
	@find $(COV) -name '*.gcda' -delete
	@rc=0; scripts/with-servers.sh $(MAKE) --no-print-directory coverage-run || rc=$$?; \
		scripts/coverage.sh $(COV)/obj; exit $$rc

coverage-run: $(COV)/lotsync $(COV_TESTS)
	@set -e; for t in $(COV_TESTS); do echo "== $$t"; LOTSYNC_SRCDIR=$(CURDIR) $$t; done
	@LOTSYNC=$(CURDIR)/$(COV)/lotsync tests/run-e2e.sh

check-headers:
	@set -e; for h in include/lotsync/*.h; do \
		echo "#include \"$${h#include/}\"" | $(CC) $(CSTD) $(WARN) -Iinclude $(PKG_CFLAGS) -x c -fsyntax-only -; done

# docs/ARCHITECTURE.md's layers against the objects, every row.
check-layers: all
	@scripts/check-layers.py

checkstyle:
	@scripts/checkstyle.sh

format:
	clang-format -i src/*.c src/*.h include/lotsync/*.h contrib/sqlite/*.c tests/unit/*.c tests/fuzz/*.c tests/bench/*.c tests/shim/*.c

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# `make bench`: every aim as a ratio against a reference of the same run, at
# 1M vehicles (about an hour on 2 cores, most of it generating the inputs
# once); `make bench-quick`: the same aims at 100k in a few minutes.
bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench.sh

bench-quick: deps
	@$(MAKE) --no-print-directory all
	@BENCH_ROWS=100000 scripts/bench.sh

# Profiles and formats are compiled in; the copies under $(SHAREDIR) are
# starting points for local ones (cp to conf/profiles/ and edit).
install: lotsync man build/lotsync_json.so
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/profiles $(DESTDIR)$(SHAREDIR)/formats \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(LIBDIR)
	install -m 0755 lotsync $(DESTDIR)$(BINDIR)/lotsync
	install -m 0644 build/lotsync_json.so $(DESTDIR)$(LIBDIR)/lotsync_json.so
	install -m 0644 build/man/lotsync.1 $(DESTDIR)$(MANDIR)/man1/lotsync.1
	install -m 0644 build/man/lotsync.conf.5 build/man/lotsync-profile.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SHAREDIR)/examples
	for u in $(UNITS); do \
		sed 's|/usr/local/bin/lotsync|$(BINDIR)/lotsync|' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/}.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	sed 's|PATH=/usr/local/bin:|PATH=$(BINDIR):|' contrib/cron/lotsync.cron >$(DESTDIR)$(SHAREDIR)/examples/lotsync.cron
	install -m 0644 conf/lotsync.conf.example $(DESTDIR)$(SHAREDIR)/lotsync.conf.example
	install -m 0644 conf/profiles/*.ini $(DESTDIR)$(SHAREDIR)/profiles/
	if ls conf/formats/*.ini >/dev/null 2>&1; then install -m 0644 conf/formats/*.ini $(DESTDIR)$(SHAREDIR)/formats/; fi

clean:
	rm -rf build lotsync

-include $(wildcard build/obj/*.d build/san/*.d build/tests/*.d build/san-tests/*.d build/fuzz/obj/*.d \
	build/cov/obj/*.d build/cov/tests/*.d)

# The read path without the database, for scripts/bench-parse.sh.
build/readbench: tests/bench/readbench.c build/liblotsync.a
	@mkdir -p $(@D)
	$(if $(V),,@echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/liblotsync.a $(PKG_LIBS)

# libFuzzer targets for the CSV and XML record mappers, the XML exports and the
# .ini parsers (clang; see tests/fuzz/).
FUZZ_CC      = clang
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  = $(CSTD) $(WARN) -g -O1 -Iinclude $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_OBJS    = $(LIB_SRCS:src/%.c=build/fuzz/obj/%.o) build/fuzz/obj/builtin_data.o
FUZZERS      = build/fuzz/fuzz_csv build/fuzz/fuzz_xml build/fuzz/fuzz_export build/fuzz/fuzz_conf
FUZZ_SECONDS ?= 3

.PHONY: fuzz fuzz-run

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_csv: tests/fuzz/fuzz_read.c $(FUZZ_OBJS)
	$(if $(V),,@echo "  FUZZER  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

build/fuzz/fuzz_xml: tests/fuzz/fuzz_read.c $(FUZZ_OBJS)
	$(if $(V),,@echo "  FUZZER  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_XML -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

build/fuzz/fuzz_export: tests/fuzz/fuzz_export.c $(FUZZ_OBJS)
	$(if $(V),,@echo "  FUZZER  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

build/fuzz/fuzz_conf: tests/fuzz/fuzz_conf.c $(FUZZ_OBJS)
	$(if $(V),,@echo "  FUZZER  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

fuzz: $(FUZZERS)

# Each target for FUZZ_SECONDS on a copy of its seed corpus; a crash or leak fails.
fuzz-run: fuzz
	@set -e; for f in csv xml export conf; do \
		d=$$(mktemp -d /tmp/lotsync-fuzz.XXXXXX); cp tests/fuzz/corpus/$$f/* "$$d"/; \
		echo "== fuzz_$$f ($(FUZZ_SECONDS) s)"; \
		LOTSYNC_SRCDIR=$(CURDIR) build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -rss_limit_mb=1024 -max_len=8192 -print_final_stats=0 \
			-artifact_prefix=build/fuzz/ "$$d" >build/fuzz/fuzz_$$f.log 2>&1 || \
			{ tail -n 40 build/fuzz/fuzz_$$f.log; rm -rf "$$d"; exit 1; }; \
		grep -E '^#[0-9]+.*DONE' build/fuzz/fuzz_$$f.log | tail -n 1; rm -rf "$$d"; done
