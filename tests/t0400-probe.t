#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vmatrace probe: which lock each reader kind takes on this kernel, measured
# with the mmap_lock tracepoints in a private tracefs instance (root), or
# inferred from the kernel version (unprivileged); no tracefs instance is left
# behind, after a normal run or a signal, and the stale instance of a killed
# run is removed by the next one.
. "$(dirname "$0")/lib.sh"
INST=/sys/kernel/tracing/instances

# jget FILE KEY.KEY...: a value of a JSON file; booleans as true/false, null as null
jget() {
	perl -MJSON::PP -e '
		local $/; open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!\n";
		my $v = JSON::PP->new->decode(<$f>);
		$v = $v->{$_} for split /\./, $ARGV[1];
		print !defined($v) ? "null" : JSON::PP::is_bool($v) ? ($v ? "true" : "false") : $v;
	' "$1" "$2"
}

# num_ge A B / num_lt A B: numeric comparisons of decimals
num_ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
num_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# What the inference must say here: per-VMA maps and PROCMAP_QUERY from 6.17
# with CONFIG_PER_VMA_LOCK (unknown config counts as set).
rel=$(uname -r)
major=${rel%%.*}
minor=${rel#*.}
minor=${minor%%[!0-9]*}
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 17 ]; }; then
	per_vma_expected=true
else
	per_vma_expected=false
fi
if [ -r /proc/config.gz ] && zcat /proc/config.gz 2>/dev/null | grep -q '^# CONFIG_PER_VMA_LOCK is not set'; then
	per_vma_expected=false
fi
if [ "$per_vma_expected" = true ]; then maps_takes=false; else maps_takes=true; fi

check "vmatrace probe --help" "$VMATRACE" probe --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace probe" "probe --help prints its usage"
check_fail 2 "vmatrace probe --bogus exits 2" "$VMATRACE" probe --bogus
like "$(cat "$T_TMP/err")" "^vmatrace: error: unknown option '--bogus'" "and says so"
check_fail 2 "--passes 0 exits 2" "$VMATRACE" probe --passes 0
check_fail 2 "--passes without a value exits 2" "$VMATRACE" probe --passes

# --- the inferred path, as an unprivileged user ---------------------------
unpriv=""
if [ "$(id -u)" != 0 ]; then
	unpriv="env"
elif command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$VMATRACE" 2>/dev/null; then
	unpriv="setpriv --reuid=65534 --regid=65534 --clear-groups"
elif su nobody -s /bin/sh -c "test -x '$VMATRACE'" 2>/dev/null; then
	unpriv="su_nobody"
fi
su_nobody() { su nobody -s /bin/sh -c "$(printf "'%s' " "$@")"; }

if [ -z "$unpriv" ]; then
	skip "cannot run as an unprivileged user here (no setpriv, su nobody fails, or nobody cannot run $VMATRACE)" 9
else
	# nobody cannot enter the test's private directory: run from /
	(cd / && $unpriv "$VMATRACE" probe --json) >inferred.json 2>"$T_TMP/err"
	is "$?" 0 "unprivileged probe --json exits 0"
	is "$(jget inferred.json measured)" false "unprivileged: measured is false"
	like "$(jget inferred.json method)" "^inferred from kernel [0-9]+\.[0-9]+$" "the method says inferred from kernel X.Y"
	like "$(jget inferred.json reason)" "root" "the reason says root is needed"
	is "$(jget inferred.json kinds.smaps.takes_mmap_lock) $(jget inferred.json kinds.smaps_rollup.takes_mmap_lock)" \
		"true true" "inferred: smaps and smaps_rollup take mmap_lock"
	is "$(jget inferred.json kinds.maps.takes_mmap_lock) $(jget inferred.json kinds.procmap_query.takes_mmap_lock)" \
		"$maps_takes $maps_takes" "inferred: maps and procmap_query as the kernel version says ($rel)"
	is "$(jget inferred.json kinds.maps.per_pass)" null "inferred: no per-pass figure"
	(cd / && $unpriv "$VMATRACE" probe) >inferred.txt 2>"$T_TMP/err"
	is "$(grep -c '(inferred: not root' inferred.txt)" 4 "the text form says inferred, and why, on all 4 lines"
	like "$(grep '^smaps ' inferred.txt)" " - per pass  mmap_lock " "the text form shows no figure and the lock"
fi

# --- the measured path, as root with tracefs ------------------------------
NROOT=27
if [ "$(id -u)" != 0 ]; then
	skip "not root: the mmap_lock tracepoints need root" $NROOT
	done_testing
	exit
fi
if [ ! -d "$INST" ] && ! mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
	skip "tracefs is not mounted at /sys/kernel/tracing and cannot be" $NROOT
	done_testing
	exit
fi
if [ ! -d /sys/kernel/tracing/events/mmap_lock/mmap_lock_acquire_returned ]; then
	skip "this kernel has no mmap_lock tracepoints" $NROOT
	done_testing
	exit
fi

# A stale instance of a killed run: its owner pid is dead.
sh -c 'exit 0' &
dead=$!
wait "$dead"
while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 100000)); done
mkdir "$INST/vmatrace-probe-$dead" "$INST/vmatrace-record-$dead"
check "a stale instance vmatrace-probe-$dead is in place" test -d "$INST/vmatrace-probe-$dead"

"$VMATRACE" probe --json >probe.json 2>"$T_TMP/err" &
pid=$!
wait "$pid"
is "$?" 0 "probe --json exits 0"
is "$(jget probe.json measured)" true "measured is true"
is "$(jget probe.json method)" "tracefs mmap_lock events" "the method is the tracepoints"
for k in maps procmap_query; do
	pp=$(jget probe.json "kinds.$k.per_pass")
	if num_lt "$pp" 0.5 && [ "$(jget probe.json "kinds.$k.takes_mmap_lock")" = false ] &&
		[ "$(jget probe.json "kinds.$k.measured")" = true ]; then
		pass "$k: per-VMA lock, $pp mmap_lock acquisitions per pass"
	else
		fail "$k: per-VMA lock" "per_pass $pp, takes_mmap_lock $(jget probe.json "kinds.$k.takes_mmap_lock")"
	fi
done
for k in smaps smaps_rollup; do
	pp=$(jget probe.json "kinds.$k.per_pass")
	if num_ge "$pp" 1 && [ "$(jget probe.json "kinds.$k.takes_mmap_lock")" = true ] &&
		[ "$(jget probe.json "kinds.$k.measured")" = true ]; then
		pass "$k: mmap_lock, $pp acquisitions per pass"
	else
		fail "$k: mmap_lock" "per_pass $pp, takes_mmap_lock $(jget probe.json "kinds.$k.takes_mmap_lock")"
	fi
done
p=$(jget probe.json kinds.smaps.passes)
a=$(jget probe.json kinds.smaps.acquisitions)
check "passes >= 100 (the default) and per_pass = acquisitions / passes" \
	awk -v p="$p" -v a="$a" -v pp="$(jget probe.json kinds.smaps.per_pass)" \
	'BEGIN { d = a / p - pp; exit !(p >= 100 && d < 1e-6 && d > -1e-6) }'
check "its own instance vmatrace-probe-$pid is gone" test ! -e "$INST/vmatrace-probe-$pid"
check "the stale vmatrace-probe-$dead was removed" test ! -e "$INST/vmatrace-probe-$dead"
check "and the stale vmatrace-record-$dead too" test ! -e "$INST/vmatrace-record-$dead"
left=""
for d in "$INST"/vmatrace-*; do
	[ -d "$d" ] || continue
	owner=${d##*-}
	kill -0 "$owner" 2>/dev/null || left="$left ${d##*/}"
done
is "$left" "" "no vmatrace-* instance of a dead process is left"

"$VMATRACE" probe --passes 20 >probe.txt 2>"$T_TMP/err"
is "$?" 0 "probe (text) exits 0"
is "$(grep -c '(measured)$' probe.txt)" 4 "four lines, each measured"
like "$(grep '^maps ' probe.txt)" "^maps +[0-9.]+ per pass  per-VMA lock  \(measured\)$" "maps: per-VMA lock"
like "$(grep '^smaps ' probe.txt)" "^smaps +[0-9.]+ per pass  mmap_lock +\(measured\)$" "smaps: mmap_lock"

# A signal mid-run removes the instance and the children.
for sig in TERM INT; do
	"$VMATRACE" probe --passes 100000 >/dev/null 2>"$T_TMP/err.$sig" &
	pid=$!
	n=0
	while [ ! -d "$INST/vmatrace-probe-$pid" ] && [ "$n" -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
	sleep 0.2
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	if [ "$sig" = TERM ]; then want=143; else want="1 or 130"; fi
	case "$sig:$rc" in
	TERM:143 | INT:1 | INT:130) pass "SIG$sig: the probe exits with $rc" ;;
	*) fail "SIG$sig: the probe exits with $want" "got $rc; stderr: $(cat "$T_TMP/err.$sig")" ;;
	esac
	check "SIG$sig: its instance vmatrace-probe-$pid is gone" test ! -e "$INST/vmatrace-probe-$pid"
	sleep 0.1
	is "$(ps -eo args= | grep -c '^[^ ]*vmatrace probe --passes 100000')" 0 "SIG$sig: no child process is left"
done

# SIGKILL cannot be caught: the instance stays, the children die with the
# probe (PR_SET_PDEATHSIG), and the next run removes the instance.
"$VMATRACE" probe --passes 100000 >/dev/null 2>&1 &
pid=$!
n=0
while [ ! -d "$INST/vmatrace-probe-$pid" ] && [ "$n" -lt 500 ]; do sleep 0.01; n=$((n + 1)); done
sleep 0.2
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "SIGKILL: the instance vmatrace-probe-$pid is left behind" test -d "$INST/vmatrace-probe-$pid"
sleep 0.1
is "$(ps -eo args= | grep -c '^[^ ]*vmatrace probe --passes 100000')" 0 "SIGKILL: the children died with it"
check "the next probe runs" "$VMATRACE" probe --passes 5
check "and removes the killed run's instance" test ! -e "$INST/vmatrace-probe-$pid"
done_testing
