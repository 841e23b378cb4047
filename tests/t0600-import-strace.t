#!/bin/sh
# vmatrace import --from strace: usage errors, a hand-made log of every edge
# (unfinished/resumed calls across threads, signals, exits, kills, failures,
# file names, malformed lines), timestamp and prefix variants, a shipped real
# log, and a live capture of tests/import-prog.c under strace.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/lib-import.sh"
DATA=$TESTDIR/data/import

# usage errors: exit 2, one line, nothing written
bad() {
	what=$1; shift
	check_fail 2 "$what exits 2" "$VMATRACE" import "$@"
	if [ "$(wc -l < "$T_TMP/err")" = 1 ] && grep -q "^vmatrace: error: " "$T_TMP/err"; then
		pass "$what: a one-line error"
	else
		fail "$what: a one-line error" "stderr: $(cat "$T_TMP/err")"
	fi
}
check "import --help" "$VMATRACE" import --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace import --from strace\|ftrace\|tracecmd" "--help prints the usage"
bad "no --from" "$DATA/edge-strace.log" -o x.vmt
bad "an unknown format" --from ltrace "$DATA/edge-strace.log" -o x.vmt
like "$(cat "$T_TMP/err")" "unknown format 'ltrace'" "naming it"
bad "no -o" --from strace "$DATA/edge-strace.log"
bad "no input" --from strace -o x.vmt
bad "two inputs" --from strace a b -o x.vmt
bad "an unknown architecture" --from strace --arch mips "$DATA/edge-strace.log" -o x.vmt
bad "an unknown --pids mode" --from strace --pids some "$DATA/edge-strace.log" -o x.vmt
bad "an unknown option" --from strace --frob "$DATA/edge-strace.log" -o x.vmt
bad "-o without a value" --from strace "$DATA/edge-strace.log" -o
[ -e x.vmt ] && fail "no trace after a usage error" || pass "no trace after a usage error"
check_fail 1 "a missing input fails" "$VMATRACE" import --from strace nosuch.log -o x.vmt
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot open 'nosuch.log'" "saying which file"
[ -e x.vmt ] && fail "no trace after a failed import" || pass "no trace after a failed import"

# the hand-made log: every line kind
check "import the edge-case log" "$VMATRACE" import --from strace "$DATA/edge-strace.log" -o e.vmt
err=$(cat "$T_TMP/err")
like "$err" "edge-strace.log:23: not a call: 'this line is garbage'" "a garbage line is warned with its number"
like "$err" "edge-strace.log:24: unknown name 'PROT_FROBNICATE' in mprotect, taken as 0" "an unknown flag name too"
like "$err" "edge-strace.log:25: mprotect: expected 3 arguments, found 1" "a call with the wrong arguments too"
like "$err" "edge-strace.log:26: 'brk' resumed, but no such call is unfinished in pid 100" "a resumed line without its start too"
like "$err" "4 malformed lines, the first at line 23" "the malformed lines are counted at the end"
like "$err" "not kept, outside the memory set: 2 calls or events: ioctl 1, wait4 1" "the calls not kept are counted by name"
like "$(jget e.vmt cmdline)" "32 lines, 4 malformed, 2 calls or events not kept \(ioctl 1, wait4 1\)" \
	"the counts are kept in the trace's command line"
is "$(jget e.vmt source) $(jget e.vmt clock) $(jget e.vmt start_realtime_ns)" \
	"import:strace realtime 1700000000000100000" "source, clock and start time"
is "$(jget e.vmt processes) $(jget e.vmt threads) $(jget e.vmt files)" "2 3 1" "2 processes, 3 threads, 1 file"
is "$(jget e.vmt op_count) $(jget e.vmt failed) $(jget e.vmt no_exit)" "15 2 2" "15 ops, 2 failed, 2 without exit"
is "$(kinds e.vmt 100)" "mmap=2 mprotect=2 brk=1 process_madvise=1 other=1 failed=0" "the main thread's ops"
is "$(kinds e.vmt 101)" "mmap=2 munmap=1 mprotect=1 mremap=1 madvise=1 failed=2" "the clone3 thread's ops (resumed across threads)"
is "$(kinds e.vmt 102)" "mmap=1 munmap=1 failed=0" "the forked child's ops"
"$VMATRACE" dump e.vmt > e.txt
want() {
	if grep -qF -- "$1" e.txt; then pass "$2"; else fail "$2" "no line: $1"; fi
}
want 'thread T1 t=1700000000000600000 process=P0 tid=101 name="app"' "clone3 with CLONE_THREAD makes a thread, named after its parent"
want 'process P1 t=1700000000001500000 pid=102 ppid=100 parent=P0 name="app"' "clone without it makes a child process"
want 'exec T0 t=1700000000000300000 "/usr/bin/app"' "execve is an EXEC at its return"
want '1700000000000700000 100000 T1 mmap(0x0, 134217728, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = 0x7ef000000000' \
	"an unfinished call is timed from its start to the end -T gives"
want '1700000000000910000 90000 T1 munmap(0x7ef000000000, 67108864) = 0' "and so is one cut by another thread's line"
want 'mprotect(0x1000, 4096, PROT_READ|PROT_WRITE) = -ENOMEM' "a failure keeps its errno"
want 'MAP_PRIVATE|MAP_HUGETLB|MAP_FIXED_NOREPLACE|0x54000000, -1, 0x0) = -EEXIST' "21<<MAP_HUGE_SHIFT is read"
want 'mremap(0x7f0000000000, 8192, 16384, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f2000000000) = 0x7f2000000000' "mremap with its new address"
want 'file F0 dev=0x0 ino=0 size=0 flags=unresolved path="/data/my file <(1)>,x.bin"' "an fd's escaped path names an unresolved file"
want 'mmap(0x0, 4096, PROT_READ, MAP_SHARED, 3<F0>, 0x2000) = 0x7f3000000000' "the mmap refers to it"
want '1700000000001700000 - T2 munmap(0x7f3000000000, 4096) = ?' "a call cut by the task's death has no exit"
want 'exit T2 t=1700000000001800000 code=137' "killed by SIGKILL is code 128+9"
want 'exit T1 t=1700000000001950000 code=0' "exited with 0"
want '1700000000002200000 - T0 mmap(0x0, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = ?' "a call unfinished at exit has no exit"
want 'exit T0 t=1700000000002400000 code=1' "exited with 1"
want 'mlock#149(0x7f0000000000, 0x1000) = 0' "a memory call that is not an op is kept as 'other'"
want 'process_madvise(3, 0x0, 1, MADV_COLD, 0x0) = 4096' "process_madvise's decoded iovec is 0"
# --strict: the same log fails, and leaves an existing trace alone
cp e.vmt keep.vmt
check_fail 1 "--strict fails on malformed lines" "$VMATRACE" import --from strace --strict "$DATA/edge-strace.log" -o keep.vmt
like "$(cat "$T_TMP/err")" "^vmatrace: error: .*4 malformed lines, the first at line 23 \(--strict\)" "saying how many"
check "and leaves the old trace in place" cmp e.vmt keep.vmt
check "--max-warnings 1" "$VMATRACE" import --from strace --max-warnings 1 "$DATA/edge-strace.log" -o m.vmt
is "$(grep -c ':2[3-6]: ' "$T_TMP/err")" 1 "shows one malformed line"
like "$(cat "$T_TMP/err")" "further malformed lines are counted, not shown" "and says the rest are counted"
check "dump | convert of an import gives the identical file" sh -c \
	"'$VMATRACE' dump e.vmt | '$VMATRACE' convert - -o rt.vmt && cmp e.vmt rt.vmt"

# variants: [pid N] prefixes, -tt time of day across midnight, no timestamps, gzip, stdin
cat > v1.log <<'EOF'
[pid   300] 23:59:59.999000 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000 <0.000500>
[pid   301] 00:00:00.000100 munmap(0x7f0000000000, 4096) = 0 <0.000010>
EOF
check "[pid N] prefixes and -tt" "$VMATRACE" import --from strace v1.log -o v1.vmt
like "$(cat "$T_TMP/err")" "time-of-day timestamps" "says the times are times of day"
is "$(jget v1.vmt threads) $(jget v1.vmt processes) $(jget v1.vmt duration_ns)" "2 1 1110000" \
	"the day wraps at midnight; unexplained pids are threads of the first"
check "--pids processes" "$VMATRACE" import --from strace --pids processes v1.log -o v1p.vmt
is "$(jget v1p.vmt processes)" 2 "makes them processes"
printf '%s\n' 'brk(NULL) = 0x555555559000' 'brk(0x55555557a000) = 0x55555557a000' > v2.log
check "no timestamps, no pids" "$VMATRACE" import --from strace v2.log -o v2.vmt
like "$(cat "$T_TMP/err")" "no timestamps: ops are timed by their line number" "says how it times them"
is "$(kinds v2.vmt 0)" "brk=2 failed=0" "both calls, in pid 0"
gzip -c "$DATA/edge-strace.log" > e.log.gz
check "a gzip-compressed log" "$VMATRACE" import --from strace e.log.gz -o gz.vmt
is "$(jget gz.vmt op_count)" 15 "reads the same ops"
check "a log on standard input" sh -c "'$VMATRACE' import --from strace - -o in.vmt < '$DATA/edge-strace.log'"
is "$(jget in.vmt op_count)" 15 "reads the same ops"

# a child that runs and exits before strace shows its parent's clone returning
cat > race.log <<'EOF'
1 1.000000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>
2 1.000100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000 <0.000001>
2 1.000200 +++ exited with 0 +++
1 1.000300 <... clone resumed>, child_tidptr=0x7f5243cf8890) = 2 <0.000300>
1 1.000400 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000 <0.000001>
EOF
check "a child that exits before the clone returns" "$VMATRACE" import --from strace race.log -o race.vmt
like "$("$VMATRACE" dump race.vmt | grep '^process P1')" "pid=2 ppid=1 parent=P0" "is still the clone's child process"

# --resolve-files: a path that exists here gets its inode; one that does not stays unresolved
printf '%s\n' "1 1.000000 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3<$DATA/edge-strace.log>, 0) = 0x7f0000000000 <0.000001>" \
	'1 1.000010 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 4</nonexistent/file>, 0) = 0x7f0000001000 <0.000001>' > r.log
check "--resolve-files" "$VMATRACE" import --from strace --resolve-files r.log -o r.vmt
ino=$(stat -c %i "$DATA/edge-strace.log")
like "$("$VMATRACE" dump r.vmt | grep '^file F0')" "ino=$ino size=[1-9][0-9]* flags=0 path=" "an existing file gets its inode and size"
like "$("$VMATRACE" dump r.vmt | grep '^file F1')" "dev=0x0 ino=0 size=0 flags=unresolved" "a missing one stays unresolved"
check "without it" "$VMATRACE" import --from strace r.log -o r2.vmt
like "$("$VMATRACE" dump r2.vmt | grep '^file F0')" "ino=0 size=0 flags=unresolved" "nothing is resolved"

# a real log of tests/import-prog.c, shipped (strace -f -ttt -T -y -e trace=%memory,%process)
check "import the shipped log" "$VMATRACE" import --from strace "$DATA/prog-strace.log" -o p.vmt
is "$(jget p.vmt cmdline)" "vmatrace import --from strace '$DATA/prog-strace.log': 97 lines, 0 malformed, 1 calls or events not kept (wait4 1)" \
	"no malformed line"
prog_check "shipped log" p.vmt "$(cat "$DATA/prog-strace.out")"

# a live capture, with the command docs/importers.md gives
if ! command -v strace >/dev/null 2>&1; then
	skip "strace is not installed" 9
else
	strace -f -ttt -T -y -e trace=%memory,%process,process_madvise -o live.log "$PROG" "$T_TMP" \
		> live.out 2> live.err
	if [ $? != 0 ]; then
		skip "strace cannot trace here: $(head -c 200 live.err)" 9
	else
		check "import a live strace log" "$VMATRACE" import --from strace live.log -o live.vmt
		is "$(jget live.vmt cmdline | sed 's/.*: [0-9]* lines, //')" "0 malformed, 1 calls or events not kept (wait4 1)" \
			"no malformed line"
		prog_check "live" live.vmt "$(cat live.out)"
	fi
fi
done_testing
