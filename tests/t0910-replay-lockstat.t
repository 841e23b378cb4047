#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vmatrace replay --lockstat: the mmap_lock waits and holds of a real replay
# as root with tracefs (smaps readers take mmap_lock every pass, maps readers
# on a per-VMA kernel hardly ever), its tracefs instance removed after a run
# and after Ctrl-C; and without root the replay runs anyway, saying why it
# has no lock statistics.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"
INST=/sys/kernel/tracing/instances

"$VMATRACE" workload mapper --duration 1 -o m.vmt || exit 1
# the kernel review's setup where there are CPUs for it
if [ "$(nproc)" -ge 2 ]; then pin="--reader-cpu 1 --writer-cpu 0"; else pin=""; fi

# lsv FILE ROLE MODE EXPR: EXPR over the lockstat object of (ROLE, MODE), as x
lsv() {
	j "$1" "(lambda x: $4)(next(x for x in d['lockstat'] if x['role'] == '$2' and x['mode'] == '$3'))"
}
# hist_ok FILE ROLE MODE NAME: a filled histogram whose buckets add up to its count
hist_ok() {
	lsv "$1" "$2" "$3" "x['$4']['count'] > 0 and 0 < x['$4']['min_ns'] <= x['$4']['p50_ns'] <= x['$4']['p99_ns'] <= x['$4']['max_ns'] and sum(b[2] for b in x['$4']['buckets']) == x['$4']['count']"
}
# run_bg OUT ARGS...: replay in the background, its pid in $pid, its exit status in $st
run_bg() {
	_out=$1
	shift
	"$VMATRACE" replay --no-probe -q m.vmt "$@" -o "$_out" > "$_out.out" 2> "$_out.err" &
	pid=$!
	wait $pid
	st=$?
}

if [ "$(id -u)" != 0 ]; then
	skip "not root: --lockstat needs root (the unprivileged path is tested below)" 27
elif [ ! -d /sys/kernel/tracing/events/mmap_lock ] && [ ! -d /sys/kernel/debug/tracing/events/mmap_lock ]; then
	skip "no tracefs with the mmap_lock tracepoints here" 27
else
	# ---- smaps readers: mmap_lock every pass ----
	run_bg s.json --speed 1 --duration 1 --readers 2 --reader smaps --reader-nice 15 $pin --lockstat
	is "$st" 0 "--lockstat with 2 smaps readers: exit 0"
	is "$(cat s.json.err)" "" "no warning"
	is "$(j s.json '[(x["role"], x["mode"]) for x in d["lockstat"]]')" \
		'[["writer", "write"], ["writer", "read"], ["reader", "read"], ["reader", "write"]]' \
		"one object per (role, mode), in the documented order"
	is "$(lsv s.json writer write 'x["acquisitions"] > 0 and x["tasks"] >= 1')" true "writer write: acquisitions ($(lsv s.json writer write 'x["acquisitions"]'))"
	is "$(hist_ok s.json writer write wait)" true "writer write: the wait histogram is filled (p99 $(lsv s.json writer write 'x["wait"]["p99_ns"]') ns)"
	is "$(hist_ok s.json writer write hold)" true "writer write: the hold histogram is filled"
	is "$(lsv s.json writer write '"downgrades" in x and "downgraded_hold" in x')" true "writer write: downgrades and their shared hold"
	is "$(lsv s.json reader read 'x["tasks"] == 2 and x["acquisitions_per_pass"] >= 1')" true \
		"reader read: smaps takes mmap_lock at least once a pass ($(lsv s.json reader read 'round(x["acquisitions_per_pass"], 1)') a pass)"
	is "$(hist_ok s.json reader read wait)" true "reader read: the wait histogram is filled"
	is "$(j s.json '[x["lost_events"] for x in d["lockstat"]]')" "[0, 0, 0, 0]" "no event lost"
	is "$(j s.json '[x["excluded_acquisitions"] for x in d["lockstat"] if x["role"] == "writer"]')" "[0, 0]" \
		"the writer locks no mm but its own"
	is "$(j s.json '[d["meta"]["options"]["lockstat"], "lockstat_unavailable" in d["meta"]]')" "[true, false]" \
		"meta.options.lockstat is true, and nothing is unavailable"
	check "the instance is gone afterwards" test ! -e "$INST/vmatrace-lockstat-$pid"
	check "vmatrace report reads it" "$VMATRACE" report s.json
	like "$(cat "$T_TMP/out")" "^mmap_lock writer write$" "and shows the lock tables"

	# ---- maps readers: per-VMA locks, mmap_lock only on a fallback ----
	maps_lock=$("$VMATRACE" probe --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["kinds"]["maps"]["takes_mmap_lock"])' 2>/dev/null)
	if [ "$maps_lock" = False ]; then
		run_bg p.json --speed 1 --duration 1 --readers 2 --reader maps --reader-nice 15 $pin --lockstat
		is "$st" 0 "--lockstat with 2 maps readers: exit 0"
		is "$(lsv p.json reader read 'x["acquisitions_per_pass"] is not None and x["acquisitions_per_pass"] < 0.5')" true \
			"reader read: maps falls back to mmap_lock in under half its passes ($(lsv p.json reader read 'round(x["acquisitions_per_pass"], 4)') a pass)"
		is "$(lsv p.json writer write 'x["acquisitions"] > 0 and x["lost_events"] == 0')" true "writer write: acquisitions, no event lost"
		check "the instance is gone afterwards" test ! -e "$INST/vmatrace-lockstat-$pid"
	else
		skip "the probe says maps takes mmap_lock on Linux $(uname -r): no per-VMA reader to check" 4
	fi

	# ---- no readers: the reader rows are there, without a rate ----
	run_bg n.json --duration 0.3 --readers 0 --lockstat
	is "$st:$(lsv n.json reader read '[x["tasks"], x["acquisitions"], x["acquisitions_per_pass"]]')" "0:[0, 0, null]" \
		"--readers 0: reader read has no task, no acquisition and no rate"

	# ---- Ctrl-C: partial results, the instance removed ----
	"$VMATRACE" replay --no-probe -q m.vmt --speed 1 --duration 20 --readers 2 --reader smaps --reader-nice 15 $pin \
		--lockstat -o i.json > i.out 2> i.err &
	pid=$!
	n=0
	while [ ! -d "$INST/vmatrace-lockstat-$pid" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "the instance is vmatrace-lockstat-PID while the replay runs" test -d "$INST/vmatrace-lockstat-$pid"
	sleep 0.5
	t0=$(date +%s%N)
	kill -INT $pid
	wait $pid
	st=$?
	t1=$(date +%s%N)
	is "$st" 130 "SIGINT during a --lockstat replay: exit 130"
	[ "$st" = 130 ] || sed 's/^/# /' i.err
	[ $((t1 - t0)) -le 5000000000 ] && pass "and it ends soon ($(((t1 - t0) / 1000000)) ms)" ||
		fail "and it ends soon" "$(((t1 - t0) / 1000000)) ms"
	is "$(j i.json '[d["meta"]["partial"], len(d["lockstat"])]')" "[true, 4]" "the results are partial, with the lock statistics of what ran"
	is "$(lsv i.json writer write 'x["acquisitions"] > 0')" true "which has the writer's acquisitions"
	check "no instance is left" test ! -e "$INST/vmatrace-lockstat-$pid"
	check "no replay process or reader is left" sh -c "! pgrep -P $pid"
fi

# ---- without root: the replay runs, without lock statistics ----
if [ "$(id -u)" != 0 ]; then
	unpriv="env"
elif command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$VMATRACE" 2>/dev/null; then
	unpriv="setpriv --reuid=nobody --regid=nogroup --clear-groups"
else
	unpriv=""
fi
if [ -z "$unpriv" ]; then
	skip "cannot run as an unprivileged user here (no setpriv, or nobody cannot run $VMATRACE)" 7
else
	# nobody can write here (the trace, the results and the stand-in files); the test's own
	# directory is closed to it, so it works from inside this one
	mkdir -m 777 np && cp m.vmt np/ && chmod 644 np/m.vmt
	(cd np && $unpriv env TMPDIR=. "$VMATRACE" replay --no-probe -q m.vmt --duration 0.5 \
		--readers 2 --reader smaps --reader-nice 19 --lockstat -o r.json > ../np.out 2> ../np.err)
	is "$?" 0 "unprivileged --lockstat: exit 0"
	check "the results are written" test -s np/r.json
	is "$(j np/r.json '[d["lockstat"], d["meta"]["options"]["lockstat"], d["meta"]["partial"]]')" "[null, true, false]" \
		'"lockstat": null, the option recorded, a complete run'
	like "$(j np/r.json 'd["meta"]["lockstat_unavailable"]')" "root" "meta.lockstat_unavailable says root is needed"
	like "$(j np/r.json 'd["meta"]["lockstat_unavailable"]')" "tracefs" "and tracefs"
	like "$(cat np.err)" "^vmatrace: warning: --lockstat: not root: .*; replaying without lock statistics$" "a warning on stderr says so"
	is "$(j np/r.json '[d["counts"]["ops"] > 0, d["counts"]["reader_passes"] > 0]')" "[true, true]" "and the replay ran, with its readers"
fi
done_testing
