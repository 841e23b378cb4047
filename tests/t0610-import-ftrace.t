#!/bin/sh
# vmatrace import --from ftrace: a shipped tracefs capture of tests/import-prog.c,
# hand-made systrace (TGID column, arm64 raw_syscalls) and trace-cmd report
# (several buffers, dropped events, key=value fields) samples, malformed lines,
# and a live capture from a private tracefs instance in each event mode.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/lib-import.sh"
DATA=$TESTDIR/data/import

# the shipped capture: syscalls:* and raw_syscalls events both, task and sched events
check "import a tracefs capture" "$VMATRACE" import --from ftrace "$DATA/prog-trace.txt.gz" -o p.vmt
like "$(cat "$T_TMP/err")" "raw duplicates of syscalls:\* events [1-9]" "raw events of named calls are used once"
like "$(jget p.vmt cmdline)" ": 574 lines, 0 malformed," "no malformed line"
is "$(jget p.vmt source) $(jget p.vmt arch)" "import:ftrace x86_64" "source and architecture"
prog_check "tracefs capture" p.vmt "$(cat "$DATA/prog-trace.out")"
"$VMATRACE" dump p.vmt > p.txt
like "$(grep -c '^exec ' p.txt) $(grep -c '^exit ' p.txt)" "^1 4$" "sched_process_exec and _exit give EXEC and EXIT records"
like "$(grep '^exit ' p.txt | grep -c 'code=3')" "^1$" "the child's exit code comes from its exit_group"

# systrace with a TGID column and arm64 numbers, as atrace or traceconv print it
check "import a systrace sample as arm64" "$VMATRACE" import --from ftrace --arch arm64 "$DATA/systrace-arm64.txt" -o s.vmt
err=$(cat "$T_TMP/err")
like "$err" "systrace-arm64.txt:37: not an event line: 'this is not a trace line'" "a foreign line is warned with its number"
like "$err" "systrace-arm64.txt:38: cannot parse event 'sys_enter: NR 222 \(0, 4000, 3, 22'" "a cut line too"
like "$err" "2 malformed lines, the first at line 37" "and counted"
like "$err" "not kept, outside the memory set: 2 calls or events: read 1, sched_switch 1" "other calls and events are counted"
like "$err" "syscall exits without their enter 1" "an exit without its enter is counted"
is "$(jget s.vmt arch) $(jget s.vmt lost_events)" "aarch64 7" "arm64, and the lost events of 'CPU:3 [LOST 7 EVENTS]'"
is "$(jget s.vmt processes) $(jget s.vmt threads)" "3 5" "3 processes, 5 threads"
is "$(kinds s.vmt 1200)" "mmap=1 munmap=1 failed=0" "the main thread (munmap in perfetto's key=value form)"
is "$(kinds s.vmt 1240)" "mmap=2 mprotect=1 madvise=1 failed=1" "RenderThread, with a call that never returned"
is "$(kinds s.vmt 1260)" "mmap=1 failed=0" "a thread placed by task_newtask despite (-----)"
is "$(kinds s.vmt 1300)" "mremap=1 brk=1 failed=0" "another process, by its TGID"
"$VMATRACE" dump s.vmt > s.txt
like "$(grep ' tid=1240 ' s.txt)" "process=P0 .*name=\"RenderThread\"" "the TGID column puts RenderThread in the app"
like "$(grep ' tid=1260 ' s.txt)" "process=P0 " "task_newtask's CLONE_THREAD puts the binder thread there too"
like "$(grep 'comm T' s.txt)" "\"Binder:1200_1\"" "its later name is a COMM record"
like "$(grep ' tid=1250 ' s.txt)" "process=P2 " "an unknown TGID makes a process of its own"
like "$(grep 'lost ' s.txt)" "cpu=3 count=7" "a LOST record"
like "$(grep ' T1 mmap(' s.txt | tail -1)" " - T1 mmap\(0x0, 20480, .*\) = \?$" "an enter without exit is a NO_EXIT op"
like "$(grep ' T4 mmap(' s.txt)" "7<F0>" "an mmap of an fd gets an unresolved file"
check "the same without --arch" "$VMATRACE" import --from ftrace "$DATA/systrace-arm64.txt" -o s2.vmt
like "$(cat "$T_TMP/err")" "raw_syscalls numbers read as x86_64's \(nothing in the input says; see --arch\)" \
	"says which numbers it assumed"
check "--arch x86_64 explicitly" "$VMATRACE" import --from ftrace --arch x86_64 "$DATA/systrace-arm64.txt" -o s3.vmt
is "$(jget s3.vmt arch) $(jget s3.vmt op_count)" "x86_64 1" "reads them as x86_64 numbers"
check_fail 1 "--strict fails on the malformed lines" "$VMATRACE" import --from ftrace --strict --arch arm64 \
	"$DATA/systrace-arm64.txt" -o s4.vmt
[ -e s4.vmt ] && fail "and writes no trace" || pass "and writes no trace"

# trace-cmd report of an instance buffer: named and raw events, x86_64 found from them
check "import a trace-cmd report sample" "$VMATRACE" import --from ftrace "$DATA/report-x86_64.txt" -o r.vmt
like "$(cat "$T_TMP/err")" "report-x86_64.txt:32: cannot parse event 'sys_enter_mmap: +addr: 0x00000000, len: oops'" \
	"a damaged field is warned with its line"
is "$(jget r.vmt arch) $(jget r.vmt lost_events)" "x86_64 12" "x86_64 from named+raw pairs; '[12 EVENTS DROPPED]'"
is "$(jget r.vmt processes) $(jget r.vmt threads)" "3 4" "3 processes, 4 threads"
is "$(kinds r.vmt 2001)" "mmap=4 mprotect=1 failed=1" "mmap told twice is one op"
is "$(kinds r.vmt 2003)" "munmap=1 other=1 failed=0" "a raw clone with CLONE_THREAD makes a thread; msync is 'other'"
is "$(kinds r.vmt 2002)" "madvise=1 failed=0" "trace-cmd report -R's key=value fields"
"$VMATRACE" dump r.vmt > r.txt
like "$(grep ' tid=2003 ' r.txt)" "process=P1 " "the thread is in its creator's process"
like "$(grep '^process P2' r.txt)" "pid=2004 ppid=2002 parent=P1" "fork makes a child process"
like "$(grep '^exit ' r.txt)" "code=2" "exit_group's code is the EXIT's"
is "$(grep -c '^file ' r.txt)" 2 "close(fd) ends the file an fd names: two files"
like "$(grep -- '-EACCES' r.txt)" "4, 0x0\) = -EACCES$" "a failed file mmap has no file"

# live: a private tracefs instance, each event mode
TRACEFS=$(tracefs_dir)
if [ "$(id -u)" != 0 ]; then
	skip "live capture needs root" 24
elif [ -z "$TRACEFS" ]; then
	skip "no tracefs (mount -t tracefs nodev /sys/kernel/tracing)" 24
elif [ ! -d "$TRACEFS/events/syscalls/sys_enter_mmap" ] || [ ! -d "$TRACEFS/events/raw_syscalls" ]; then
	skip "the kernel has no syscall events (CONFIG_FTRACE_SYSCALLS)" 24
else
	for mode in named raw both; do
		if ftrace_capture $mode live-$mode; then
			pass "$mode: captured in a private instance, which is gone"
			check "$mode: import" "$VMATRACE" import --from ftrace live-$mode.txt -o live-$mode.vmt
			prog_check "$mode" live-$mode.vmt "$(cat live-$mode.out)"
		else
			fail "$mode: captured in a private instance, which is gone"
			skip "no capture" 7
		fi
	done
	ls "$TRACEFS/instances" | grep -q "^vmatrace-test-$$-" &&
		fail "no test instance is left" || pass "no test instance is left"
fi
done_testing
