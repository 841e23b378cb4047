#!/bin/sh
# vmatrace import --from tracecmd: a shipped trace.dat of tests/import-prog.c,
# errors, and a live one made from a private tracefs instance (see
# make_tracedat in lib-import.sh for why not 'trace-cmd record').
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/lib-import.sh"
DATA=$TESTDIR/data/import

gunzip -c "$DATA/prog.dat.gz" > prog.dat
check "import a shipped trace.dat" "$VMATRACE" import --from tracecmd prog.dat -o p.vmt
like "$(jget p.vmt cmdline)" "'prog.dat': 562 records, 0 malformed," "every record read, none malformed"
is "$(jget p.vmt source) $(jget p.vmt clock)" "import:tracecmd local" "the source, and the clock the file names"
prog_check "shipped trace.dat" p.vmt "$(cat "$DATA/prog-trace.out")"
# the same capture as text gives the same records, but for the header and the
# times, which the text has to the microsecond only
untimed() {
	"$VMATRACE" dump "$1" | grep -v '^vmatrace-trace' | sed -E 's/^[0-9]+ ([0-9]+|-) //; s/ t=[0-9]+//'
}
check "import the text of the same capture" "$VMATRACE" import --from ftrace "$DATA/prog-trace.txt.gz" -o t.vmt
untimed p.vmt > p.txt
untimed t.vmt > t.txt
check "trace.dat and its text give the same records" diff -u t.txt p.txt

check_fail 1 "a file that is not a trace.dat fails" "$VMATRACE" import --from tracecmd "$DATA/report-x86_64.txt" -o x.vmt
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot read '.*report-x86_64.txt' as a trace-cmd trace.dat file" "saying so"
[ -e x.vmt ] && fail "and writes no trace" || pass "and writes no trace"
check_fail 2 "standard input is a usage error" "$VMATRACE" import --from tracecmd - -o x.vmt

# live: events into a private instance, its raw buffers, trace-cmd restore
TRACEFS=$(tracefs_dir)
if [ "$(id -u)" != 0 ]; then
	skip "live capture needs root" 10
elif [ -z "$TRACEFS" ]; then
	skip "no tracefs (mount -t tracefs nodev /sys/kernel/tracing)" 10
elif ! command -v trace-cmd >/dev/null 2>&1; then
	skip "trace-cmd is not installed (apt-get install trace-cmd)" 10
elif ! command -v unshare >/dev/null 2>&1; then
	skip "unshare is not installed" 10
elif [ ! -d "$TRACEFS/events/syscalls/sys_enter_mmap" ]; then
	skip "the kernel has no syscall events (CONFIG_FTRACE_SYSCALLS)" 10
elif ! ftrace_capture both-raw live; then
	fail "capture in a private instance"
	skip "no capture" 9
else
	pass "capture in a private instance"
	if ! make_tracedat live.dat live.cpu*.raw; then
		fail "trace-cmd restore makes a trace.dat" "$(tail -5 "$T_TMP/restore.log")"
		skip "no trace.dat" 8
	else
		pass "trace-cmd restore makes a trace.dat"
		check "import it" "$VMATRACE" import --from tracecmd live.dat -o live.vmt
		prog_check "live trace.dat" live.vmt "$(cat live.out)"
	fi
fi
done_testing
