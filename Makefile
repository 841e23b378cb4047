# SPDX-License-Identifier: GPL-2.0-only
#
# make            build ./vmatrace (installs missing Debian build dependencies first)
# make check      build and run every test under prove
# make check SANITIZE=address,undefined   the same, sanitized (in a clean tree: make clean first);
#                 SANITIZE=thread TESTS="tests/t07*.t tests/t0410-readers.t" for the threaded code
# make bench      the standard sweep with report and plots, into results/DATE-TIME/
# make install    PREFIX=/usr/local DESTDIR=
# make format     clang-format every source file

VERSION := 0.1
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
PKGS := json-c zlib libtracefs libtraceevent libtracecmd libcrypto
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral
XCFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DVMATRACE_VERSION='"$(VERSION)"' -I. -Ilib
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifneq ($(SANITIZE),)
# every report is fatal, so a test cannot pass over one
CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Quiet like the kernel's build; V=1 shows every command.
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

B := build
SRCS := vmatrace.c $(wildcard lib/*.c capture/*.c replay/*.c workloads/*.c analysis/*.c)
LIB_SRCS := $(filter-out vmatrace.c,$(SRCS))
OBJS := $(SRCS:%.c=$(B)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
TEST_SRCS := $(wildcard tests/*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)

.PHONY: all deps check bench install format format-check clean fuzz fuzz-run
all: deps vmatrace

# Installs what is missing when root; otherwise prints the apt-get command and stops.
deps:
	@scripts/install-deps

vmatrace: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(B)/%.o: %.c $(wildcard lib/*.h capture/*.h replay/*.h workloads/*.h analysis/*.h) Makefile
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -c -o $@ $<

# vmatrace finds its gnuplot scripts next to itself (the tree) or in ../share/vmatrace
# (installed); the configured place is the last resort.
$(B)/analysis/plot.o: XCFLAGS += -DVMATRACE_DATADIR='"$(PREFIX)/share/vmatrace"'

$(B)/tests/%: tests/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

# The programs whose address-space calls the capture and import tests count are
# never sanitized: a sanitizer's runtime makes calls of its own in their threads
# (and LeakSanitizer refuses to run under strace).
PLAIN_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS))
$(B)/tests/record-prog $(B)/tests/import-prog: $(B)/tests/%: tests/%.c lib/ops.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(PLAIN_CFLAGS) $(XCFLAGS) -o $@ $< lib/ops.c -lpthread

$(B)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

# TESTS="tests/t07*.t" runs some of them.  Under a sanitizer every report fails the
# test: LeakSanitizer knows the leaks of Debian's libraries (tests/lsan.supp), and
# ThreadSanitizer stops at its first report.
TESTS ?= tests/*.t
check: all $(TEST_BINS) $(BENCH_BINS)
	@VMATRACE=$(CURDIR)/vmatrace TESTBIN=$(CURDIR)/$(B)/tests \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		TSAN_OPTIONS="halt_on_error=1 $${TSAN_OPTIONS:-}" prove -f $(TESTS)

# The standard sweep (vmatrace bench, docs/analysis.md): every results file, the report, the
# comparison and the plots in results/DATE-TIME/, index.md first; about 10 minutes on 2 CPUs.
# BENCH_ARGS=--quick for a 2-minute smoke run.
BENCH_ARGS ?=
bench: all
	@./vmatrace bench -o results/$$(date +%Y%m%d-%H%M%S) $(BENCH_ARGS)

# libFuzzer targets (tests/fuzz/fuzz-*.c) built with clang, ASan and UBSan.
FUZZ_CC ?= clang
# (clang, unlike gcc, counts trailing fields left out of a positional initializer as missing)
FUZZ_FLAGS := -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_WARN := -Wno-missing-field-initializers
FZ := build-fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FZ)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FZ)/obj/%.o)
FUZZ_RUNS ?= 1000000
# FUZZ_SECONDS=N stops each target after N seconds instead (CI's brief run)
FUZZ_SECONDS ?= 0
# FUZZ_ONLY="trace import-strace" runs only those targets
FUZZ_ONLY ?=

$(FZ)/obj/%.o: %.c $(wildcard lib/*.h capture/*.h replay/*.h workloads/*.h analysis/*.h) Makefile
	@mkdir -p $(dir $@)
	$(call msg,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(XCFLAGS) $(FUZZ_WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -c -o $@ $<

$(FZ)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(XCFLAGS) $(FUZZ_WARN) -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)

.SECONDARY: $(FUZZ_LIB_OBJS)

fuzz:
	@scripts/install-deps fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# Each target FUZZ_RUNS executions (or FUZZ_SECONDS) from its seed corpus (a copy: the seeds stay
# as committed); a crash, leak, hang (10 s) or 2 GiB of memory stops it and fails.  libtracecmd
# passes sizes read from a trace.dat to malloc unchecked and handles the NULL it gets back: for
# that target a huge allocation returns NULL as it does outside ASan, instead of aborting, and
# a single allocation may reach 16 GiB (it asks for 4 GiB on some inputs; RSS is still capped);
# and its option reader strdup()s strings a damaged file leaves unterminated (a read past a heap
# buffer inside the library), which replace_str=0 stops ASan's strdup from reporting.
# docs/fuzzing.md has the inputs (regression tests of t0620).
fuzz-run: fuzz
	@for f in $(if $(FUZZ_ONLY),$(FUZZ_ONLY:%=$(FZ)/fuzz-%),$(FUZZ_BINS)); do \
		n=$${f##*/fuzz-}; rm -rf $(FZ)/corpus-$$n; cp -r tests/fuzz/corpus/$$n $(FZ)/corpus-$$n; \
		echo "== $$f: $(if $(filter-out 0,$(FUZZ_SECONDS)),$(FUZZ_SECONDS) s,$(FUZZ_RUNS) runs)"; \
		case $$n in \
		import-tracecmd) asan=allocator_may_return_null=1:replace_str=0 \
			extra='-malloc_limit_mb=16384 -fork=1 -ignore_crashes=1' ;; \
		*) asan= extra= ;; \
		esac; \
		ASAN_OPTIONS=$$asan LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp $$f $(if $(filter-out 0,$(FUZZ_SECONDS)),-max_total_time=$(FUZZ_SECONDS),-runs=$(FUZZ_RUNS)) -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 $$extra \
			-artifact_prefix=$(FZ)/ $(FZ)/corpus-$$n || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 vmatrace $(DESTDIR)$(PREFIX)/bin/vmatrace
	install -d $(DESTDIR)$(PREFIX)/share/vmatrace
	install -m 0644 analysis/*.gp $(DESTDIR)$(PREFIX)/share/vmatrace/
	$(if $(wildcard workloads/traces/*.vmt*),install -d $(DESTDIR)$(PREFIX)/share/vmatrace/traces)
	$(if $(wildcard workloads/traces/*.vmt*),install -m 0644 $(wildcard workloads/traces/*.vmt*) $(DESTDIR)$(PREFIX)/share/vmatrace/traces/)

format:
	clang-format -i $(SRCS) $(wildcard lib/*.h capture/*.h replay/*.h workloads/*.h analysis/*.h) $(TEST_SRCS) $(BENCH_SRCS)

clean:
	rm -rf $(B) $(FZ) vmatrace
