#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vmatrace record: live capture through a private tracefs instance.  A known
# program (tests/record-prog.c: two threads, a child process, a file
# mapping) is recorded and the trace compared with what it says it did:
# op counts per kind and thread, file identity, exit status, NO_EXIT, -p
# attach with the initial maps; no tracefs instance is left behind after a
# normal run, SIGINT, SIGTERM or the target's crash, and a stale one is
# removed.  Needs root and tracefs; skips otherwise.
. "$(dirname "$0")/lib.sh"

TRACING=/sys/kernel/tracing
PROG=$TESTBIN/record-prog
MPROT=$TESTBIN/../bench/record-mprotect

[ "$(id -u)" = 0 ] || plan_skip_all "vmatrace record needs root"
if ! [ -d "$TRACING/instances" ]; then
	mount -t tracefs nodev "$TRACING" 2>/dev/null ||
		plan_skip_all "no tracefs at $TRACING and it cannot be mounted"
fi
[ -d "$TRACING/events/syscalls/sys_enter_mprotect" ] ||
	plan_skip_all "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)"
[ -x "$PROG" ] || plan_skip_all "$PROG is not built (make check builds it)"

# instances VMATRACE_PID: our instances still present (none expected)
# The vmatrace-record instances named by pid $1, or (no $1) those whose owner is gone:
# a record running elsewhere on the machine owns its instance and is not ours to judge.
instances() {
	for i in $(ls "$TRACING/instances" 2>/dev/null | grep "^vmatrace-record-${1:-[0-9]*}\$"); do
		[ -n "${1:-}" ] || ! kill -0 "${i##*-}" 2>/dev/null && echo "$i"
	done
}
no_instance() {
	left=$(instances "$1")
	is "$left" "" "$2: no vmatrace-record instance left"
}

# jget FILE KEY.KEY...: a value of a JSON file
jget() {
	perl -MJSON::PP -e '
		local $/; open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!\n";
		my $v = JSON::PP->new->decode(<$f>);
		$v = $v->{$_} for split /\./, $ARGV[1];
		print defined($v) ? $v : "null";
	' "$1" "$2"
}

# counts TRACE: "tid kind count" for every thread and op kind of the trace
counts() {
	"$VMATRACE" dump "$1" | awk '
		$1 == "thread" { for (i = 3; i <= NF; i++) if ($i ~ /^tid=/) tid[$2] = substr($i, 5) }
		$1 ~ /^[0-9]+$/ { k = $4; sub(/\(.*/, "", k); n[tid[$3] " " k]++ }
		END { for (x in n) print x, n[x] }'
}

# check_counts NAME TID "kind n kind n ..." COUNTS-FILE
check_counts() {
	name=$1 tid=$2 want=$3 file=$4 bad=""
	set -- $want
	while [ $# -ge 2 ]; do
		got=$(awk -v t="$tid" -v k="$1" '$1 == t && $2 == k { print $3 }' "$file")
		[ "${got:-0}" = "$2" ] || bad="$bad $1: trace ${got:-0}, program $2;"
		shift 2
	done
	is "$bad" "" "$name (tid $tid): every op kind counted as the program made them"
}


head -c 20000 /dev/urandom >data.bin
ino=$(stat -c %i data.bin)
dev=$(stat -c %d data.bin)

# --- the command line -------------------------------------------------------
check "record --help" "$VMATRACE" record --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace record" "--help prints the usage"
check_fail 2 "no command and no -p is a usage error" "$VMATRACE" record -o x.vmt
check_fail 2 "a command and -p together is a usage error" "$VMATRACE" record -p 1 -- true
check_fail 2 "an unknown option is a usage error" "$VMATRACE" record --bogus -- true
like "$(cat "$T_TMP/err")" "^vmatrace: error: unknown option '--bogus'" "and says which"
check_fail 2 "a bad -p list is a usage error" "$VMATRACE" record -p 12,x -- true
check_fail 2 "--buffer-kb 0 is a usage error" "$VMATRACE" record --buffer-kb 0 -- true
check_fail 2 "--duration without a value is a usage error" "$VMATRACE" record --duration

# --- a deterministic program: counts, files, exit status -----------------------
"$VMATRACE" record -o prog.vmt -- "$PROG" --exit 5 prog.manifest data.bin >rec.out 2>rec.err
is "$?" 0 "record of the test program exits 0 (complete trace)"
like "$(cat rec.err)" "exited with status 5" "the command's exit status is reported"
like "$(cat rec.err)" "record: 0 lost events" "no events lost"
no_instance "" "after a normal run"
"$VMATRACE" info --json prog.vmt >info.json 2>/dev/null
is "$(jget info.json processes)" 2 "two processes: the program and its child"
is "$(jget info.json threads)" 4 "four threads: main, rp-a, rp-b, the child"
is "$(jget info.json lost_events)" 0 "header: 0 lost events"
is "$(jget info.json clock)" monotonic "the clock is CLOCK_MONOTONIC"
is "$(jget info.json source)" record "the source is record"
counts prog.vmt >counts
for actor in rp-a rp-b; do
	line=$(grep "^thread $actor " prog.manifest)
	tid=$(echo "$line" | cut -d' ' -f3)
	check_counts "thread $actor" "$tid" "$(echo "$line" | cut -d' ' -f4-)" counts
done
line=$(grep '^child ' prog.manifest)
ctid=$(echo "$line" | cut -d' ' -f2)
check_counts "child process" "$ctid" "$(echo "$line" | cut -d' ' -f3- | sed 's/ exit 3//')" counts
"$VMATRACE" dump prog.vmt >prog.txt
like "$(grep "^process P1 " prog.txt)" "pid=$ctid .*parent=P0" "the child is a process whose parent is P0"
like "$(grep -c '^comm T[0-9]* .*"rp-[ab]"' prog.txt)" "^2$" "both thread names (prctl) are COMM records"
# file identity: main's mapping and rp-b's, one FILE record for the file
set -- $(grep '^file ' prog.manifest)
maddr=$4 baddr=$5
fref=$(grep -E " T0 mmap\(.*\) = $maddr\$" prog.txt | sed -n 's/.*, [0-9]*<\(F[0-9]*\)>, .*/\1/p')
like "$fref" "^F[0-9]+$" "main's file mmap refers to a FILE record"
fline=$(grep "^file $fref " prog.txt)
like "$fline" "ino=$ino " "its inode is the file's (stat)"
like "$fline" "dev=$(printf '0x%x' "$dev") " "its device is the file's (stat)"
like "$fline" "size=20000 flags=0 path=\".*/data.bin\"" "size and path are the file's, resolved"
btid=$(grep "^thread rp-b " prog.manifest | cut -d' ' -f3)
bt=$(awk -v t="$btid" '$1 == "thread" && $5 == "tid=" t { print $2 }' prog.txt)
bref=$(grep -E " $bt mmap\(.*\) = $baddr\$" prog.txt | sed -n 's/.*, [0-9]*<\(F[0-9]*\)>, .*/\1/p')
is "$bref" "$fref" "rp-b's mapping of the same file at offset 4096 names the same FILE record"
is "$(grep -c "^file F[0-9]* .* ino=$ino " prog.txt)" 1 "one FILE record per (dev, ino)"
like "$(grep '^exit T0 ' prog.txt)" "code=5$" "the main thread's EXIT record holds the exit status"
# the binary round trip still holds for a recorded trace
"$VMATRACE" convert prog.txt -o again.vmt 2>/dev/null
check "dump | convert gives back the same bytes" cmp prog.vmt again.vmt

# --- --no-children: threads only -------------------------------------------------
"$VMATRACE" record --no-children -o nochild.vmt -- "$PROG" nochild.manifest data.bin >rec.out 2>rec.err
is "$?" 0 "record --no-children exits 0"
"$VMATRACE" info --json nochild.vmt >nochild.json 2>/dev/null
is "$(jget nochild.json processes) $(jget nochild.json threads)" "1 3" \
	"--no-children: the program's three threads, not its child process"
like "$(cat rec.err)" "record: 7 events of child processes dropped" \
	"--no-children: the child's events (3 ops and its exit) are counted as dropped"
counts nochild.vmt >ncounts
line=$(grep "^thread rp-b " nochild.manifest)
check_counts "--no-children, thread rp-b" "$(echo "$line" | cut -d' ' -f3)" \
	"$(echo "$line" | cut -d' ' -f4-)" ncounts

# --- NO_EXIT: a syscall still blocked when the capture ends ----------------------
"$VMATRACE" record --duration 1.5 -o block.vmt -- "$PROG" --block block.manifest data.bin >rec.out 2>rec.err
is "$?" 0 "a capture ended by --duration exits 0"
if grep -q '^block none' block.manifest 2>/dev/null; then
	skip "userfaultfd is not available here: $(cat block.manifest | tail -1)" 3
else
	set -- $(grep '^block ' block.manifest)
	btid=$2 baddr=$3
	"$VMATRACE" dump block.vmt >block.txt
	bt=$(awk -v t="$btid" '$1 == "thread" && $5 == "tid=" t { print $2 }' block.txt)
	like "$(grep -E "^[0-9]+ - $bt madvise\($baddr, " block.txt)" "MADV_POPULATE_READ\) = \?$" \
		"the blocked madvise is written NO_EXIT (no duration, no return value)"
	"$VMATRACE" info --json block.vmt >block.json
	is "$(jget block.json no_exit)" 1 "info counts exactly one op without exit"
	like "$(cat rec.err)" "killed by signal 15" "the command still running at the end was sent SIGTERM"
fi
no_instance "" "after --duration"

# --- the target crashes ------------------------------------------------------------
"$VMATRACE" record -o crash.vmt -- "$PROG" --crash crash.manifest data.bin >rec.out 2>rec.err
is "$?" 0 "record of a crashing program still writes its trace"
like "$(cat rec.err)" "killed by signal 11" "the crash is reported"
like "$("$VMATRACE" dump crash.vmt | grep '^exit T0 ')" "code=139$" \
	"the EXIT record says 128 + SIGSEGV"
no_instance "" "after the target's crash"

# --- SIGINT and SIGTERM of record itself ------------------------------------------------
for sig in INT TERM; do
	"$VMATRACE" record -o sig$sig.vmt -- sleep 30 >rec.out 2>rec.err &
	rec=$!
	if wait_armed $rec; then
		kill -$sig $rec
		wait $rec
		is "$?" 0 "SIG$sig to record: it writes the trace and exits 0"
		check "SIG$sig: the trace is complete" "$VMATRACE" info sig$sig.vmt
		like "$(cat rec.err)" "'sleep' was killed by signal 15" "SIG$sig: the command is sent SIGTERM"
	else
		kill $rec
		wait $rec
		fail "SIG$sig: record did not arm its instance" ; skip "not armed" 2
	fi
	no_instance $rec "after SIG$sig"
done

# --- a stale instance of a dead vmatrace is removed ----------------------------------------
dead=$(sh -c 'echo $$')
while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 1)); done
mkdir "$TRACING/instances/vmatrace-record-$dead"
"$VMATRACE" record -o true.vmt -- true >rec.out 2>rec.err
is "$?" 0 "record of true"
no_instance "$dead" "a stale instance whose owner $dead is gone"

# --- -p: attach to a running process ----------------------------------------------------
mkfifo go
"$PROG" --wait attach.manifest data.bin <go >ready &
prog=$!
exec 7>go
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.05; done
"$VMATRACE" record -p $prog -o attach.vmt >rec.out 2>rec.err 7>&- &
rec=$!
if wait_armed $rec; then
	# the line record prints once it has the threads made while it listed them
	for _ in $(seq 200); do grep -q "^record: attached to 1 process, " rec.err && break; sleep 0.05; done
	like "$(cat rec.err)" "^record: attached to 1 process, [0-9]+ tasks?$" "record -p says when it is attached"
	exec 7>&-
	wait $rec
	is "$?" 0 "record -p exits 0 when the process has exited"
	"$VMATRACE" dump attach.vmt >attach.txt
	like "$(grep "^map P0 " attach.txt | grep data.bin)" "^map P0 0x[0-9a-f]+-0x[0-9a-f]+ r--p 0x0 F[0-9]+ \"" \
		"the initial maps hold the file mapped before attaching"
	aref=$(grep "^map P0 " attach.txt | grep data.bin | cut -d' ' -f6)
	like "$(grep "^file $aref " attach.txt)" "ino=$ino " "with the file's inode"
	counts attach.vmt >acounts
	for actor in rp-a rp-b; do
		line=$(grep "^thread $actor " attach.manifest)
		tid=$(echo "$line" | cut -d' ' -f3)
		check_counts "attached, thread $actor" "$tid" "$(echo "$line" | cut -d' ' -f4-)" acounts
	done
else
	exec 7>&-
	kill $rec $prog
	wait $rec
	fail "record -p did not arm its instance"
	skip "not armed" 4
fi
wait $prog 2>/dev/null
no_instance $rec "after -p"

# --- failures leave nothing behind ----------------------------------------------------------
check_fail 1 "a command that does not exist is a failure" "$VMATRACE" record -o nocmd.vmt -- ./no-such-command
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot run './no-such-command': No such file" "and says so"
is "$(ls nocmd.vmt* 2>/dev/null)" "" "nothing is left at the output path"
check_fail 1 "an output in a missing directory is a failure" "$VMATRACE" record -o no/dir/x.vmt -- true
check_fail 1 "-p of a process that does not exist is a failure" "$VMATRACE" record -p "$dead" -o nop.vmt
is "$(ls nop.vmt* 2>/dev/null)" "" "nothing is left at the output path"
no_instance "" "after the failures"

# --- not root ---------------------------------------------------------------------------------
if command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$VMATRACE" 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VMATRACE" record -o /tmp/x.vmt -- true \
		>rec.out 2>rec.err
	is "$?" 1 "as nobody: exit 1"
	like "$(cat rec.err)" "^vmatrace: error: record needs root" "as nobody: one line saying root is needed"
else
	skip "cannot run vmatrace as an unprivileged user here" 2
fi

# --- lost events: a tiny buffer under a fast mprotect loop ------------------------------------
if [ -x "$MPROT" ]; then
	"$VMATRACE" record --buffer-kb 4 -o lost.vmt -- "$MPROT" -n 400000 >rec.out 2>rec.err
	st=$?
	if [ $st = 3 ]; then
		pass "events lost: exit status 3"
		like "$(cat rec.err)" "^vmatrace: warning: [0-9]+ events were lost \(cpu" "the loss is reported per CPU"
		"$VMATRACE" info --json lost.vmt >lost.json
		lost=$(jget lost.json lost_events)
		like "$lost" "^[1-9][0-9]*$" "the header holds the lost-event count"
		sum=$("$VMATRACE" dump lost.vmt | awk '$1 == "lost" { sub("count=", "", $4); s += $4 } END { print s + 0 }')
		is "$sum" "$lost" "LOST records sum to the header's count"
	else
		skip "a 4 KiB buffer lost no events here (exit $st)" 4
	fi
else
	skip "$MPROT is not built" 4
fi
no_instance "" "at the end"

done_testing
