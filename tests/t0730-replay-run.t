#!/bin/sh
# vmatrace replay while it runs: readers of every kind, pacing (--speed),
# repetition (--loop, --duration), the progress line, and Ctrl-C/SIGTERM:
# results marked partial, every child reaped, the stand-in files removed.
# Timing bounds are loose: the test machine is shared and noisy.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"

"$VMATRACE" workload merge-both --ops 102 -o mb.vmt
"$VMATRACE" workload merge-both --duration 0.4 -o d04.vmt
dur=$("$VMATRACE" info --json d04.vmt | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_ns"])')

# ---- readers ----
kernel=$(uname -r)
maj=${kernel%%.*}; min=${kernel#*.}; min=${min%%[!0-9]*}
for k in maps smaps smaps_rollup procmap_query; do
	if [ "$k" = procmap_query ] && { [ "$maj" -lt 6 ] || { [ "$maj" = 6 ] && [ "$min" -lt 11 ]; }; }; then
		skip "Linux $kernel has no PROCMAP_QUERY (6.11+)" 4
		continue
	fi
	check "--readers 2 --reader $k" replay mb.vmt -o r-$k.json --readers 2 --reader $k --loop 50
	is "$(j r-$k.json '[d["counts"]["reader_passes"] > 2, d["counts"]["reader_errors"], d["meta"]["options"]["reader"]]')" \
		"[true, 0, \"$k\"]" "$k: reader passes, no reader errors"
	is "$(j r-$k.json '[(o["op"], o["count"] == d["counts"]["reader_passes"]) for o in d["ops"] if o["role"] == "reader"]')" \
		"[[\"$k\", true]]" "$k: an ops entry {role: reader, op: $k} counts the passes"
	if [ $k = procmap_query ]; then
		is "$(j r-$k.json 'd["counts"]["reader_bytes"]')" 0 "$k: reads no bytes"
	else
		is "$(j r-$k.json 'd["counts"]["reader_bytes"] > 100 * d["counts"]["reader_passes"]')" true "$k: reads the file"
	fi
done
for k in maps smaps_rollup; do
	check "--reader $k --reader-reopen no" replay mb.vmt -o ro-$k.json --readers 2 --reader $k --reader-reopen no --loop 50
	is "$(j ro-$k.json '[d["counts"]["reader_passes"] > 2, d["counts"]["reader_errors"], d["meta"]["options"]["reader-reopen"]]')" \
		"[true, 0, false]" "--reader-reopen no, $k: passes, no errors"
done
check "--reader-nice 10 --reader-cpu 0 --writer-cpu 0" replay mb.vmt -o nice.json --readers 2 --reader-nice 10 --reader-cpu 0 --writer-cpu 0 --loop 50
is "$(j nice.json '[d["counts"]["reader_passes"] > 2, d["counts"]["reader_errors"]] + [d["meta"]["options"][k] for k in ("reader-nice", "reader-cpu", "writer-cpu")]')" \
	"[true, 0, 10, 0, 0]" "--reader-nice 10 --reader-cpu 0 --writer-cpu 0: passes, no errors, recorded"
if [ "$(getconf PAGESIZE)" = 4096 ]; then
	cat > mp.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="alpha"
thread T0 t=0 process=P0 tid=100 name="alpha"
process P1 t=0 pid=200 ppid=1 parent=- name="beta"
thread T1 t=0 process=P1 tid=200 name="beta"
1000 100 T0 mmap(0x7f0000000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T1 mmap(0x7f0000000000, 32768, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1200 100 T0 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
1300 100 T1 munmap(0x7f0000001000, 4096) = 0
EOF
	trace mp
	check "readers of two replay processes" replay mp.vmt -o two.json --readers 2 --loop 50
	is "$(j two.json '[len(d["processes"]), d["counts"]["reader_passes"] > 2, d["counts"]["reader_errors"]]')" "[2, true, 0]" \
		"readers read the replay processes in turn, none of them gone"
else
	skip "the hand-written traces have 4 KiB pages" 2
fi
# a reader that cannot start is an error, not a run without readers; --writer-cpu
# pins the replay without touching its nice level (both run unprivileged, under nice 5)
if [ "$(id -u)" != 0 ]; then
	unpriv="env"
elif command -v setpriv >/dev/null 2>&1; then
	unpriv="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	unpriv=""
fi
if [ -n "$unpriv" ] && [ "$(nice)" = 0 ]; then
	mkdir -m 777 np && cp mb.vmt np/ && chmod 644 np/mb.vmt
	(cd np && $unpriv nice -n 5 "$VMATRACE" replay --no-probe -q mb.vmt -o r.json --readers 2 > ../np.out 2>&1)
	is "$?" 1 "unprivileged at nice 5, --reader-nice 0: exit 1"
	like "$(cat np.out)" "^vmatrace: error: reader [01] could not start \\(nice 0, CPU -1, maps\\): Permission denied" \
		"the reader's error, with why"
	[ -e np/r.json ] && fail "and no results" || pass "and no results"
	(cd np && $unpriv nice -n 5 "$VMATRACE" replay --no-probe -q mb.vmt -o w.json --writer-cpu 0 --readers 1 --reader-nice 7 > ../np.out 2>&1)
	is "$?:$(cat np.out)" "0:" "unprivileged at nice 5, --writer-cpu 0 --reader-nice 7: the replay runs"
	is "$(j np/w.json '[d["counts"]["reader_passes"] > 0, d["counts"]["reader_errors"]]')" "[true, 0]" "with its reader"
else
	skip "cannot run unprivileged here (or already niced)" 5
fi
if [ "$(id -u)" = 0 ]; then
	check "a replay with the probe" "$VMATRACE" replay -q mb.vmt -o probe.json
	is "$(j probe.json 'd["meta"]["probe"]["kernel"] == d["meta"]["kernel"] and len(d["meta"]["probe"]["kinds"]) == 4')" true \
		"meta.probe: this kernel, every reader kind"
else
	skip "not root: the probe only infers" 2
fi

# ---- pacing ----
check "--speed 1" replay d04.vmt -o s1.json --speed 1
check "--speed 2" replay d04.vmt -o s2.json --speed 2
w1=$(j s1.json 'd["counts"]["wall_ns"]')
w2=$(j s2.json 'd["counts"]["wall_ns"]')
is "$(j s1.json 'd["counts"]["lateness"]["count"] == d["counts"]["ops"] and d["counts"]["lateness"]["p99_ns"] > 0 and d["meta"]["options"]["speed"] == 1')" \
	true "--speed 1: a lateness for every op, p99 recorded ($(j s1.json 'd["counts"]["lateness"]["p99_ns"]') ns)"
# ThreadSanitizer makes every op and every pacing step several times slower
if [ "$SANITIZER" = thread ]; then
	skip "under ThreadSanitizer: the instrumented replay cannot keep these pacing bounds" 2
else
	[ "$w1" -ge $((dur - 2000000)) ] && [ "$w1" -le $((dur * 2)) ] && pass "--speed 1 takes the trace's time ($w1 ns for $dur)" ||
		fail "--speed 1 takes the trace's time" "wall $w1 ns, trace $dur ns"
	[ "$w2" -ge $((dur / 2 - 2000000)) ] && [ "$w2" -le $((dur * 3 / 4)) ] && pass "--speed 2 takes half of it ($w2 ns)" ||
		fail "--speed 2 takes half of it" "wall $w2 ns, trace $dur ns"
fi
check "--speed 1 --loop 3" replay d04.vmt -o s1l3.json --speed 1 --loop 3
w3=$(j s1l3.json 'd["counts"]["wall_ns"]')
if [ "$SANITIZER" = thread ]; then
	skip "under ThreadSanitizer: the instrumented replay cannot keep these pacing bounds" 2
else
	[ "$w3" -ge $((3 * dur - 2000000)) ] && [ "$w3" -le $((6 * dur)) ] && pass "--speed 1 --loop 3: every pass keeps the pace ($w3 ns)" ||
		fail "--speed 1 --loop 3: every pass keeps the pace" "wall $w3 ns, trace $dur ns"
	is "$(j s1l3.json 'd["counts"]["lateness"]["p50_ns"] < 1000000')" true \
		"--speed 1 --loop 3: median lateness under 1 ms ($(j s1l3.json 'd["counts"]["lateness"]["p50_ns"]') ns)"
fi
is "$(j s1l3.json '[d["counts"]["loops"], d["counts"]["ops"] + d["counts"]["setup_ops"] == 3 * d["meta"]["trace"]["ops"]]')" \
	"[3, true]" "--loop 3: three passes, three times the ops"
check "--loop 3" replay mb.vmt -o l3.json --loop 3
is "$(j l3.json '[d["counts"][k] for k in ("loops", "ops", "setup_ops", "conflicts", "outcome_mismatches")]')" "[3, 300, 6, 0, 0]" \
	"--loop 3: counts.loops 3, ops 3 x 100, setup 3 x 2"
t0=$(date +%s%N)
check "--duration 1" replay mb.vmt -o d1.json --duration 1
t1=$(date +%s%N)
wd=$(j d1.json 'd["counts"]["wall_ns"]')
[ "$wd" -ge 950000000 ] && [ "$wd" -le 1500000000 ] && pass "--duration 1 stops after about 1 s ($wd ns)" ||
	fail "--duration 1 stops after about 1 s" "wall_ns $wd"
[ $((t1 - t0)) -le 4000000000 ] && pass "and the command ends soon after ($(((t1 - t0) / 1000000)) ms)" ||
	fail "and the command ends soon after" "$(((t1 - t0) / 1000000)) ms"
is "$(j d1.json 'd["counts"]["loops"] > 10 and d["counts"]["outcome_mismatches"] == 0')" true \
	"--duration 1 repeats the trace ($(j d1.json 'd["counts"]["loops"]') passes)"
check "--speed 1 --duration 1" replay d04.vmt -o sd.json --speed 1 --duration 1
is "$(j sd.json '[d["counts"]["loops"] in (2, 3), 950000000 <= d["counts"]["wall_ns"] < 1500000000]')" "[true, true]" \
	"--speed 1 --duration 1 of a 0.4 s trace: about 1 s, the last pass cut short ($(j sd.json 'd["counts"]["loops"]') passes)"

# several processes repeat the trace together: one whose ops end early (a
# short-lived helper) waits for the next pass instead of repeating alone, and
# ops scheduled after --duration are not waited for
python3 - > helper.txt <<'EOF'
print('process P0 t=0 pid=100 ppid=1 parent=- name="main"')
print('thread T0 t=0 process=P0 tid=100 name="main"')
print('process P1 t=0 pid=101 ppid=100 parent=P0 name="helper"')
print('thread T1 t=0 process=P1 tid=101 name="helper"')
ops = []
for i in range(20):  # main: an mmap and munmap every 10 ms for 200 ms
    t = 1000000000 + i * 10000000
    a = 0x7f0000000000 + i * 0x10000
    ops.append((t, f"100 T0 mmap(0x{a:x}, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{a:x}"))
    ops.append((t + 5000000, f"100 T0 munmap(0x{a:x}, 4096) = 0"))
ops.append((1000000000, "100 T1 mmap(0x7e0000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7e0000000000"))
ops.append((1001000000, "100 T1 munmap(0x7e0000000000, 4096) = 0"))
for t, o in sorted(ops):
    print(t, o)
EOF
trace helper
check "two processes, --speed 1 --duration 0.5 of a 0.2 s trace" replay helper.vmt -o helper.json --speed 1 --duration 0.5
is "$(j helper.json '[p["loops"] for p in d["processes"]] + [d["processes"][1]["ops"]]')" "[3, 3, 6]" \
	"passes start together every 0.2 s: the helper's 2 ops replay 3 times, not once per millisecond"
is "$(j helper.json '0.45e9 <= d["counts"]["wall_ns"] < 0.9e9 and 90 <= d["processes"][0]["ops"] <= 110')" "true" \
	"and the third pass is cut at 0.5 s ($(j helper.json 'd["counts"]["wall_ns"]') ns, $(j helper.json 'd["processes"][0]["ops"]') ops of main)"
check "--speed 1 --duration 0.1 of it" replay helper.vmt -o short.json --speed 1 --duration 0.1
is "$(j short.json '[d["counts"]["wall_ns"] < 0.18e9, [p["loops"] for p in d["processes"]]]')" "[true, [1, 1]]" \
	"--duration 0.1: the ops after 0.1 s are not waited for ($(j short.json 'd["counts"]["wall_ns"]') ns)"

# ---- the progress line: only on a terminal ----
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "$VMATRACE replay --no-probe $T_TMP/mb.vmt -o $T_TMP/tty.json --loop 20" /dev/null > tty.txt 2>&1
	like "$(tr '\r' '\n' < tty.txt)" '^replay: [0-9]+ ops, [0-9]+ ops/s, [0-9]+ reader passes, [0-9.]+ s' \
		"on a terminal, a progress line: ops, rate, passes, elapsed"
	script -qec "$VMATRACE replay --no-probe -q $T_TMP/mb.vmt -o $T_TMP/tty.json --loop 20" /dev/null > tty.txt 2>&1
	is "$(cat tty.txt)" "" "-q: none"
else
	skip "no script(1) for a terminal" 2
fi
replay mb.vmt -o notty.json --loop 20 2> notty.txt
is "$(cat notty.txt)" "" "not on a terminal: none"

# ---- Ctrl-C and SIGTERM: partial results, nothing left behind ----
# interrupt SIG STATUS KIND: a 30 s replay with two readers of KIND, stopped by SIG after it started
interrupt() {
	sig=$1 want=$2 kind=$3
	mkdir -p tmp.$sig
	TMPDIR=$T_TMP/tmp.$sig "$VMATRACE" replay -q mb.vmt -o int.$sig.json --duration 30 --threads 3 \
		--readers 2 --reader $kind --reader-nice 10 --reader-cpu 0 --reader-reopen no 2>int.$sig.err &
	pid=$!
	# started: one replay process and two readers, the readers past their first pass
	kids=$(wait_children $pid 3)
	sleep 1
	is "$(echo $kids | wc -w)" 3 "$sig: the controller has three children (replay and two readers)"
	like "$(ls tmp.$sig)" '^vmatrace-replay-[0-9]+\.' "$sig: the stand-in files are in \$TMPDIR meanwhile"
	threads="" readers=0 nice="" cpus="" fds=""
	for k in $kids; do
		n=$(($(ls /proc/$k/task 2>/dev/null | wc -l) - tsan_threads))
		if [ "$n" -gt 1 ]; then
			threads=$n
		else
			readers=$((readers + 1))
			nice="$nice $(cut -d' ' -f19 /proc/$k/stat)"
			cpus="$cpus $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$k/status)"
			n=0
			for fd in /proc/$k/fd/*; do
				case $(readlink "$fd" 2>/dev/null) in /proc/*/maps) n=$((n + 1)) ;; esac
			done
			fds="$fds $n"
		fi
	done
	if [ "$SANITIZER" = thread ]; then
		# (its runtime starts threads of its own, one or two a process)
		[ "${threads:-0}" -ge 4 ] && pass "$sig: --threads 3: a dispatcher, three replay threads and ThreadSanitizer's ($threads)" ||
			fail "$sig: --threads 3: a dispatcher, three replay threads and ThreadSanitizer's" "$threads threads"
	else
		is "$threads" 4 "$sig: --threads 3: the replay process runs a dispatcher and three replay threads"
	fi
	is "$readers:$nice:$cpus" "2: 10 10: 0 0" "$sig: two readers at nice 10 on CPU 0"
	is "$fds" " 1 1" "$sig: --reader-reopen no: each reader keeps its target's maps open"
	kill -$sig $pid
	wait $pid
	is "$?" "$want" "$sig: exit status $want"
	left=""
	for k in $kids; do alive $k && left="$left $k"; done
	is "$left" "" "$sig: no replay or reader process is left"
	is "$(ls tmp.$sig)" "" "$sig: the stand-in files are removed"
	is "$(j int.$sig.json '[d["meta"]["partial"], d["counts"]["ops"] > 0, d["counts"]["reader_passes"] > 0, d["counts"]["reader_errors"]]')" \
		"[true, true, true, 0]" "$sig: results written, meta.partial true, with what ran"
	is "$(cat int.$sig.err)" "" "$sig: nothing on stderr"
}
# ThreadSanitizer runs a background thread of its own in every process
tsan_threads=0
[ "$SANITIZER" = thread ] && tsan_threads=1
if command -v pgrep >/dev/null 2>&1; then
	interrupt INT 130 maps
	interrupt TERM 143 procmap_query
	# killed: the children die with the controller (the stand-in files stay: nobody is left to remove them)
	mkdir -p tmp.kill
	TMPDIR=$T_TMP/tmp.kill "$VMATRACE" replay --no-probe -q mb.vmt -o kill.json --duration 30 --readers 2 &
	pid=$!
	kids=$(wait_children $pid 3)
	kill -KILL $pid
	wait $pid 2>/dev/null
	sleep 0.5
	left=""
	for k in $kids; do alive $k && left="$left $k"; done
	is "$left" "" "KILL: the replay process and the readers die with the controller"
	[ -e kill.json ] && fail "KILL: no results" || pass "KILL: no results"
else
	skip "no pgrep to find the children" 24
fi
# interrupted before the replay started: no results, the signal's exit status
if [ "$(id -u)" = 0 ]; then
	mkdir -p tmp.early
	TMPDIR=$T_TMP/tmp.early "$VMATRACE" replay -q mb.vmt -o early.json --readers 2 2>early.err &
	pid=$!
	sleep 0.05
	kill -INT $pid
	wait $pid
	st=$?
	if [ -e early.json ]; then
		skip "the replay ended before the signal (probe too fast)" 3
	else
		is "$st" 130 "INT during the probe: exit status 130"
		like "$(cat early.err)" "^vmatrace: error: interrupted before the replay started" "saying so"
		is "$(ls tmp.early)" "" "and nothing left in \$TMPDIR"
	fi
else
	skip "not root: no probe to interrupt" 3
fi
# ---- a stand-in directory left by a killed run is removed by the next ----
mkdir -p tmp.stale
# a pid that cannot be running: above pid_max
stale=tmp.stale/vmatrace-replay-$(( $(cat /proc/sys/kernel/pid_max) + 1 )).AbCdEf
mkdir "$stale" && : > "$stale/F0"
mkdir tmp.stale/vmatrace-replay-$$.live
TMPDIR=$PWD/tmp.stale "$VMATRACE" replay mb.vmt -q --no-probe -o stale.json
[ -e "$stale" ] && fail "a dead run's stand-in directory is removed" || pass "a dead run's stand-in directory is removed"
[ -d tmp.stale/vmatrace-replay-$$.live ] && pass "a running owner's directory is kept" || fail "a running owner's directory is kept"
done_testing
