#!/bin/sh
# Fidelity: tests/import-prog.c (two threads and a child process, a known
# sequence of calls) captured by 'vmatrace record' and by 'strace -f' then
# imported gives the same ops, per kind and per thread, and the same
# sequence of ops in every thread once addresses are numbered by first
# appearance (ASLR and the capture's own pids differ between runs).
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/lib-import.sh"

# "p0 t1 mmap 3": ops per process, thread (numbered by first op) and kind
per_kind() {
	awk '{ k = $3; sub(/\(.*/, "", k); n[$1 " " $2 " " k]++ } END { for (x in n) print x, n[x] }' "$1" | sort
}

# the command docs/importers.md gives
STRACE="strace -f -ttt -T -y -e trace=%memory,%process,process_madvise"
if ! command -v strace >/dev/null 2>&1; then
	plan_skip_all "strace is not installed"
fi
# shellcheck disable=SC2086
if ! $STRACE -o s1.log "$PROG" "$T_TMP" > s1.out 2> s1.err; then
	plan_skip_all "strace cannot trace here: $(head -c 200 s1.err)"
fi

# the program is deterministic: two strace captures agree
check "import a strace capture" "$VMATRACE" import --from strace s1.log -o s1.vmt
# shellcheck disable=SC2086
$STRACE -o s2.log "$PROG" "$T_TMP" > s2.out
check "import a second one" "$VMATRACE" import --from strace s2.log -o s2.vmt
normops s1.vmt > s1.norm
normops s2.vmt > s2.norm
like "$(wc -l < s1.norm)" "^ *[1-9][0-9]+$" "the normalised ops are there"
check "two strace captures give the same normalised ops" diff -u s1.norm s2.norm

# vmatrace record against strace
if ! "$VMATRACE" record --help > /dev/null 2>&1; then
	skip "vmatrace record does not exist yet ('vmatrace record --help' fails)" 4
elif [ "$(id -u)" != 0 ]; then
	skip "vmatrace record needs root" 4
elif [ -z "$(tracefs_dir)" ]; then
	skip "no tracefs (mount -t tracefs nodev /sys/kernel/tracing)" 4
else
	"$VMATRACE" record -o r.vmt -- "$PROG" "$T_TMP" > r.out 2> r.err
	rc=$?
	if [ $rc = 0 ]; then
		pass "vmatrace record captures the program, losing nothing"
	else
		fail "vmatrace record captures the program, losing nothing" "exit status $rc" \
			"stderr: $(head -c 600 r.err)"
	fi
	if [ -s r.vmt ]; then
		normops r.vmt > r.norm
		per_kind r.norm > r.kinds
		per_kind s1.norm > s1.kinds
		check "the same ops per kind and per thread" diff -u s1.kinds r.kinds
		check "the same normalised sequence in every thread" diff -u s1.norm r.norm
		is "$(jget r.vmt processes) $(jget r.vmt threads)" "$(jget s1.vmt processes) $(jget s1.vmt threads)" \
			"the same processes and threads"
	else
		skip "no trace from vmatrace record" 3
	fi
fi
done_testing
