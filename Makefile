# SPDX-License-Identifier: GPL-2.0-only
#
# make            build ./vmatrace (installs missing Debian build dependencies first)
# make check      build and run every test under prove
# make bench      the standard comparison (arrives with the analysis stage)
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

$(B)/tests/%: tests/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

$(B)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

check: all $(TEST_BINS) $(BENCH_BINS)
	@VMATRACE=$(CURDIR)/vmatrace TESTBIN=$(CURDIR)/$(B)/tests prove -f tests/*.t

# The standard comparison so far: the kernel review's mapper setup, every reader kind.
# (The full sweep with plots arrives with the analysis stage.)
BENCH_SECONDS ?= 10
bench: all $(BENCH_BINS)
	@d=results/$$(date +%Y%m%d-%H%M%S); mkdir -p $$d; \
	bench/headline.sh $(BENCH_SECONDS) $$d | tee $$d/report.txt; \
	echo "results and report: $$d"

# libFuzzer targets (tests/fuzz/fuzz-*.c) built with clang, ASan and UBSan.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FZ := build-fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FZ)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FZ)/obj/%.o)
FUZZ_RUNS ?= 1000000

$(FZ)/obj/%.o: %.c $(wildcard lib/*.h capture/*.h replay/*.h workloads/*.h analysis/*.h) Makefile
	@mkdir -p $(dir $@)
	$(call msg,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(XCFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -c -o $@ $<

$(FZ)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(XCFLAGS) -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)

fuzz:
	@scripts/install-deps fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# Each target FUZZ_RUNS executions from its seed corpus (a copy: the seeds stay as committed).
fuzz-run: fuzz
	@for f in $(FUZZ_BINS); do \
		n=$${f##*/fuzz-}; rm -rf $(FZ)/corpus-$$n; cp -r tests/fuzz/corpus/$$n $(FZ)/corpus-$$n; \
		echo "== $$f: $(FUZZ_RUNS) runs"; \
		$$f -runs=$(FUZZ_RUNS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(FZ)/corpus-$$n || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 vmatrace $(DESTDIR)$(PREFIX)/bin/vmatrace

format:
	clang-format -i $(SRCS) $(wildcard lib/*.h capture/*.h replay/*.h workloads/*.h analysis/*.h) $(TEST_SRCS) $(BENCH_SRCS)

clean:
	rm -rf $(B) $(FZ) vmatrace
