#!/bin/sh
# Signals, where t0500 (record: SIGINT, SIGTERM, a crashing target), t0730
# (replay: SIGINT, SIGTERM, SIGKILL of the controller) and t0840 (bench:
# SIGINT) stop:
#   record   SIGHUP too; SIGKILL, whose stale instance the next run removes;
#            the recorded command killed by SIGINT, SIGTERM or SIGKILL from
#            outside: record ends cleanly, the trace has the death
#   replay   Ctrl-C to the whole process group; SIGKILL of a replay process
#            or of a reader; what a SIGKILL of the controller leaves, and the
#            next run cleaning it up
#   bench    SIGTERM and SIGKILL
# Every time: no process left running, no temporary file, no partial output
# under the final name.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"

command -v pgrep >/dev/null 2>&1 || plan_skip_all "no pgrep to find the children"

# kids PID: PID's children, one line
kids() { pgrep -P "$1" | tr '\n' ' '; }
# none_alive PIDS...: which of PIDS still run (none expected)
none_alive() {
	_left=""
	for _k in "$@"; do alive "$_k" && _left="$_left $_k"; done
	echo "$_left"
}

# ---- record ----
TRACING=/sys/kernel/tracing
instances() { ls "$TRACING/instances" 2>/dev/null | grep "^vmatrace-record-${1:-[0-9]*}\$"; }
why=""
if ! "$VMATRACE" record --help >/dev/null 2>&1; then
	why="this vmatrace has no record command"
elif [ "$(id -u)" != 0 ]; then
	why="vmatrace record needs root"
elif ! [ -d "$TRACING/instances" ]; then
	why="no tracefs at $TRACING"
elif ! [ -d "$TRACING/events/syscalls/sys_enter_mprotect" ]; then
	why="this kernel has no syscall tracepoints"
fi
if [ -n "$why" ]; then
	skip "$why" 23
else
	# SIGHUP of record (SIGINT and SIGTERM are in t0500): the trace, the command told to end
	"$VMATRACE" record -o hup.vmt -- sleep 30 > rec.out 2> rec.err &
	rec=$!
	if wait_armed $rec; then
		cmd=$(kids $rec)
		kill -HUP $rec
		wait $rec 2>/dev/null
		is "$?" 0 "SIGHUP to record: exit 0"
		check "the trace is complete" "$VMATRACE" info hup.vmt
		is "$(none_alive $cmd)" "" "the command is gone too"
	else
		kill $rec; wait $rec 2>/dev/null
		fail "record did not arm its instance"; skip "not armed" 2
	fi
	is "$(instances $rec)" "" "no instance left after SIGHUP"
	is "$(ls hup.vmt.* 2>/dev/null)" "" "no temporary file"

	# SIGKILL of record: its instance stays, nothing is at the output path; the next run cleans up
	"$VMATRACE" record -o kill.vmt -- sleep 30 > rec.out 2> rec.err &
	rec=$!
	if wait_armed $rec; then
		cmd=$(kids $rec)
		kill -KILL $rec
		wait $rec 2>/dev/null
		is "$?" 137 "SIGKILL of record"
		is "$(instances $rec)" "vmatrace-record-$rec" "leaves its instance (nobody is left to remove it)"
		is "$(ls kill.vmt* 2>/dev/null)" "" "and no file at all at the output path, not even a temporary one"
		[ -n "$cmd" ] && kill $cmd 2>/dev/null
		"$VMATRACE" record -o next.vmt -- true > rec.out 2> rec.err
		is "$?" 0 "the next record runs"
		is "$(instances $rec)" "" "and removes the stale instance"
	else
		kill $rec; wait $rec 2>/dev/null
		fail "record did not arm its instance"; skip "not armed" 4
	fi

	# the recorded command killed from outside: record ends cleanly with the death in the trace
	for sig in INT TERM KILL; do
		case $sig in INT) num=2 ;; TERM) num=15 ;; KILL) num=9 ;; esac
		"$VMATRACE" record -o t$sig.vmt -- sleep 30 > rec.out 2> rec.err &
		rec=$!
		if wait_armed $rec; then
			cmd=$(kids $rec)
			sleep 0.2
			kill -$sig $cmd
			wait $rec 2>/dev/null
			is "$?" 0 "the command killed by SIG$sig: record exits 0"
			like "$(cat rec.err)" "'sleep' was killed by signal $num" "SIG$sig: record says so"
			check "SIG$sig: the trace is complete" "$VMATRACE" dump -o t$sig.txt t$sig.vmt
			like "$(grep '^exit T0 ' t$sig.txt)" "code=$((128 + num))\$" \
				"SIG$sig: its EXIT record says 128 + $num"
		else
			kill $rec; wait $rec 2>/dev/null
			fail "SIG$sig: record did not arm its instance"; skip "not armed" 3
		fi
		is "$(instances $rec)" "" "SIG$sig: no instance left"
	done
fi

# ---- replay ----
"$VMATRACE" workload merge-both --ops 102 -o mb.vmt
# start NAME [ARGS]: a 30 s replay with two readers, its stand-ins in tmp.NAME; sets $pid and $kids
start() {
	name=$1
	shift
	mkdir -p tmp.$name
	TMPDIR=$T_TMP/tmp.$name "$@" "$VMATRACE" replay --no-probe -q mb.vmt -o $name.json --duration 30 \
		--readers 2 > $name.out 2> $name.err &
	pid=$!
	kids=$(wait_children $pid 3)
	sleep 0.5
}
# the replay process is the one with threads (ThreadSanitizer adds one everywhere)
tsan_threads=0
[ "$SANITIZER" = thread ] && tsan_threads=1
replayer() {
	for _k in $kids; do
		[ "$(ls /proc/$_k/task 2>/dev/null | wc -l)" -gt $((1 + tsan_threads)) ] && echo $_k
	done
}

# Ctrl-C at a terminal signals the whole process group, replay processes and readers too
if command -v setsid >/dev/null 2>&1; then
	start pgrp setsid
	is "$(echo $kids | wc -w)" 3 "Ctrl-C: the replay runs (a replay process and two readers)"
	kill -INT -$pid
	wait $pid 2>/dev/null
	is "$?" 130 "Ctrl-C to the process group: exit 130"
	is "$(none_alive $kids)" "" "every child reaped"
	is "$(j pgrp.json '[d["meta"]["partial"], d["counts"]["ops"] > 0, d["counts"]["reader_errors"]]'):$(cat pgrp.err)" \
		"[true, true, 0]:" "results with meta.partial true, nothing on stderr"
	is "$(ls tmp.pgrp) $(ls pgrp.json.* 2>/dev/null)" " " "no stand-in or temporary file left"
else
	skip "no setsid to make a process group" 5
fi

# SIGKILL of the replay process: a failure, said; the readers reaped; no results
start rkill
victim=$(replayer)
kill -KILL $victim
wait $pid 2>/dev/null
is "$?" 1 "SIGKILL of the replay process: exit 1"
like "$(cat rkill.err)" "^vmatrace: error: replay process 0 died: Killed" "saying so"
is "$(none_alive $kids)" "" "every child reaped"
is "$(ls rkill.json* 2>/dev/null)$(ls tmp.rkill)" "" "no results, no stand-in or temporary file"

# SIGKILL of a reader: the same
start dkill
victim=$(for k in $kids; do [ "$k" != "$(replayer)" ] && echo $k; done | head -n 1)
kill -KILL $victim
wait $pid 2>/dev/null
is "$?" 1 "SIGKILL of a reader: exit 1"
like "$(cat dkill.err)" "^vmatrace: error: reader [01] died: Killed" "saying so"
is "$(none_alive $kids)" "" "every child reaped"
is "$(ls dkill.json* 2>/dev/null)$(ls tmp.dkill)" "" "no results, no stand-in or temporary file"

# SIGKILL of the controller (t0730: its children die with it): what is left, and who removes it
start ckill
kill -KILL $pid
wait $pid 2>/dev/null
sleep 0.5
is "$(none_alive $kids)" "" "SIGKILL of the controller: its children die with it"
is "$(ls ckill.json* 2>/dev/null)" "" "no results, not even a temporary file"
like "$(ls tmp.ckill)" "^vmatrace-replay-$pid\\." "its stand-in directory stays (nobody is left to remove it)"
TMPDIR=$T_TMP/tmp.ckill "$VMATRACE" replay --no-probe -q mb.vmt -o after.json
is "$?:$(ls tmp.ckill)" "0:" "the next replay removes it"

# ---- bench (SIGINT is in t0840) ----
# bench_run NAME [SECONDS]: a sweep of 3 s runs, signalled while its first run replays; sets $pid, $run
bench_run() {
	"$VMATRACE" bench -q --workloads mapper --readers 1 --kinds maps --repetitions 5 \
		--duration ${2:-3}s --no-plots -o $1 > $1.out 2> $1.err &
	pid=$!
	run=""
	for _ in $(seq 200); do
		run=$(kids $pid)
		[ -n "$run" ] && [ -n "$(kids $run)" ] && break
		sleep 0.1
	done
	sleep 0.5
}
bench_run bterm
kill -TERM $pid
wait $pid 2>/dev/null
is "$?" 143 "SIGTERM of bench: exit 143"
is "$(none_alive $run)" "" "the replay it ran is stopped and reaped"
like "$(cat bterm/index.md 2>/dev/null)" "interrupted" "index.md says the sweep was interrupted"
is "$(ls bterm/runs/mapper/*.json bterm/runs/mapper/*.tmp.* 2>/dev/null)" "" \
	"the interrupted run leaves no results, no temporary file"
# the signal comes just after a run ended (bench stopped meanwhile, as a busy machine can
# make it): that run is complete, a repetition like any other
bench_run brace 1
kill -STOP $pid
for _ in $(seq 100); do alive $run || break; sleep 0.1; done
kill -INT $pid
kill -CONT $pid
wait $pid 2>/dev/null
is "$?" 130 "SIGINT of bench just after a run ended: exit 130"
is "$(ls brace/runs/mapper/*.json 2>/dev/null | wc -l)" 1 "the run that ended before the signal is kept"
bench_run bkill
kill -KILL $pid
wait $pid 2>/dev/null
is "$?" 137 "SIGKILL of bench"
sleep 0.3
left=$(none_alive $run)
is "$left" "" "the replay it ran dies with it"
[ -n "$left" ] && kill -INT $left 2>/dev/null
for _ in $(seq 50); do [ -z "$(none_alive $run)" ] && break; sleep 0.1; done
done_testing
