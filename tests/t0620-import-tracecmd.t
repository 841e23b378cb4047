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
# inputs found by fuzz-import-tracecmd (tests/data/import/README) that crash or
# overrun libtracecmd itself: the import reads them in a child process and fails
# with one line.  Under ASan the library's fault is ASan's report in that child
# (still exit 1, nothing written): the message is checked without it.
library_fault() {
	lf_file=$1 lf_what=$3
	gunzip -c "$DATA/$2.gz" > "$lf_file"
	check_fail 1 "fuzzer's find, $lf_what: fails" "$VMATRACE" import --from tracecmd "$lf_file" -o x.vmt
	if [ "$SANITIZER" = address ]; then
		skip "under ASan the library's fault is reported by ASan" 1
	else
		like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot read '$lf_file'" "fuzzer's find, $lf_what: one line naming the file"
	fi
	[ -e x.vmt ] && fail "fuzzer's find, $lf_what: writes no trace" || pass "fuzzer's find, $lf_what: writes no trace"
}
library_fault huge.dat fuzz-tracecmd-huge-alloc.dat "an event format asking for 8 EiB"
library_fault unterminated.dat fuzz-tracecmd-strdup.dat "an unterminated option string"
library_fault segv.dat fuzz-tracecmd-segv.dat "a buffer page that crashes kbuffer_load_subbuffer"
library_fault close.dat fuzz-tracecmd-close.dat "a header on which tracecmd_open_fd's cleanup dereferences NULL"
like "$(cat "$T_TMP/err")" "libtracecmd crashed on it \\(Segmentation fault\\)|ERROR: AddressSanitizer" "the crash is named as the library's"
# a damaged file's descriptor is closed (libtracecmd leaves it open): watch the calls
if command -v strace >/dev/null 2>&1; then
	cp "$DATA/report-x86_64.txt" notdat.txt
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=openat,close -o fds.txt "$VMATRACE" import --from tracecmd notdat.txt -o x.vmt 2>/dev/null
	fd=$(sed -nE 's/.*openat\(AT_FDCWD, "notdat.txt", [^)]*\) = ([0-9]+).*/\1/p' fds.txt)
	is "$(sed -n "/\"notdat.txt\"/,\$p" fds.txt | grep -c "close($fd)")" 1 "a file that is not a trace.dat is closed once"
else
	skip "no strace: cannot watch the descriptor" 1
fi

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
