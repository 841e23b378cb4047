# SPDX-License-Identifier: GPL-2.0-only
# tests/lib.sh - TAP helpers for the shell tests (sourced by tests/t*.t)
#
#   plan N | plan_skip_all "reason"
#   ok COND-CMD... "name"        (use: check "name" cmd args...)
#   check "name" cmd...          passes when cmd exits 0
#   check_fail STATUS "name" cmd...   passes when cmd exits with STATUS
#   skip "reason" [N]
#   done_testing
#   $SANITIZER                   thread, address or empty: how $VMATRACE was built
set -u
TESTDIR=$(cd "$(dirname "$0")" && pwd)
VMATRACE=${VMATRACE:-$(cd "$(dirname "$0")/.." && pwd)/vmatrace}
TESTBIN=${TESTBIN:-$(cd "$(dirname "$0")/.." && pwd)/build/tests}
T_COUNT=0
T_FAILED=0
# The sanitizer $VMATRACE was built with (make SANITIZE=...): thread, address or
# empty.  Only for the few checks a sanitizer's runtime distorts (timing, its
# own threads and mappings), each of which says so when it is skipped.
if grep -aq __tsan_init "$VMATRACE" 2>/dev/null; then
	SANITIZER=thread
elif grep -aq __asan_init "$VMATRACE" 2>/dev/null; then
	SANITIZER=address
else
	SANITIZER=
fi
T_TMP=$(mktemp -d /tmp/vmatrace-test.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT
cd "$T_TMP" || exit 1

plan() { echo "1..$1"; }
plan_skip_all() { echo "1..0 # SKIP $1"; exit 0; }

pass() { T_COUNT=$((T_COUNT + 1)); echo "ok $T_COUNT - $1"; }
fail() {
	T_COUNT=$((T_COUNT + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_COUNT - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# check NAME CMD...: CMD must exit 0.  Its output is kept in $T_TMP/out and err.
check() {
	name=$1; shift
	if "$@" >"$T_TMP/out" 2>"$T_TMP/err"; then
		pass "$name"
	else
		fail "$name" "command: $*" "exit status $?" "stderr: $(head -c 600 "$T_TMP/err")"
	fi
}

# check_fail STATUS NAME CMD...: CMD must exit with STATUS.
check_fail() {
	want=$1; name=$2; shift 2
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "command: $*" "exit status $got, wanted $want" "stderr: $(head -c 600 "$T_TMP/err")"
	fi
}

# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:    '$1'" "wanted: '$2'"; fi
}

# like TEXT REGEX NAME (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"; else fail "$3" "text: '$(printf '%s' "$1" | head -c 600)'" "does not match: $2"; fi
}

skip() {
	n=${2:-1}
	while [ "$n" -gt 0 ]; do T_COUNT=$((T_COUNT + 1)); echo "ok $T_COUNT # SKIP $1"; n=$((n - 1)); done
}

# wait_armed PID: until vmatrace record PID has armed its tracefs instance (at
# most 10 s; false if it never does).  A new instance starts with tracing_on 1,
# before record turns it off to set up: armed is tracing on with the events
# enabled.
wait_armed() {
	for _ in $(seq 200); do
		_d=${TRACING:-/sys/kernel/tracing}/instances/vmatrace-record-$1
		[ "$(cat "$_d/tracing_on" 2>/dev/null)" = 1 ] &&
			[ "$(cat "$_d/events/syscalls/sys_exit_mmap/enable" 2>/dev/null)" = 1 ] &&
			return 0
		sleep 0.05
	done
	return 1
}

done_testing() {
	echo "1..$T_COUNT"
	[ "$T_FAILED" = 0 ]
}
