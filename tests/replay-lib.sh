# SPDX-License-Identifier: GPL-2.0-only
# tests/replay-lib.sh - helpers for the replay tests (sourced by tests/t07*.t after lib.sh)
#
#   j FILE EXPR           print a Python expression over the results JSON, as `d`
#                         (dicts, lists, booleans and null as JSON; numbers and strings bare)
#   replay ARGS...        vmatrace replay --no-probe -q ARGS (the probe is tested on its own)
#   trace NAME            convert $T_TMP/NAME.txt (header added) into $T_TMP/NAME.vmt
#   coalesce FILE         a --layout file with adjacent runs of equal protection joined
#   children PID          the pids of PID's children, one per line (pgrep)
#   wait_children PID N   PID's children, once there are N (up to 10 s)
#   alive PID             PID exists and is not a zombie
#   todo_is GOT WANT NAME REASON   is, for a known bug (TAP TODO)
command -v python3 >/dev/null 2>&1 || plan_skip_all "python3 is needed to read the results JSON"

# the layout oracle (tests/replay-layout.c)
export LAYOUT="$TESTBIN/replay-layout"

j() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}

replay() {
	"$VMATRACE" replay --no-probe -q "$@"
}

# The header of every hand-written trace: 4 KiB pages, like the test machine.
HEADER='vmatrace-trace 1 source="hand" kernel="6.18.0" arch="x86_64" hostname="box" page_size=4096 clock=monotonic lost_events=0 start_realtime_ns=0 cmdline="test"'

# trace NAME: NAME.txt holds the records; NAME.vmt is written
trace() {
	{ echo "$HEADER"; cat "$1.txt"; } > "$1.full.txt"
	"$VMATRACE" convert "$1.full.txt" -o "$1.vmt" || echo "# convert $1.txt failed"
}

coalesce() {
	awk '{
		split($1, a, "-")
		if (n && a[1] == e && $2 == p) { e = a[2]; next }
		if (n) print s "-" e " " p
		s = a[1]; e = a[2]; p = $2; n = 1
	} END { if (n) print s "-" e " " p }' "$1"
}

children() {
	pgrep -P "$1"
}

# wait_children PID N: PID's children once it has N of them (up to 10 s), on one line
wait_children() {
	_n=0
	while [ $_n -lt 100 ]; do
		_kids=$(children "$1" | tr '\n' ' ')
		[ "$(echo $_kids | wc -w)" = "$2" ] && break
		sleep 0.1
		_n=$((_n + 1))
	done
	echo $_kids
}

# alive PID: the process exists and is not a zombie waiting for its reaper
alive() {
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# todo_is GOT WANT NAME REASON: like is, for a known bug: TAP "# TODO", so a failure
# is reported but does not fail the suite (and prove says when it starts passing)
todo_is() {
	T_COUNT=$((T_COUNT + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $T_COUNT - $3 # TODO $4"
	else
		echo "not ok $T_COUNT - $3 # TODO $4"
		echo "#   got:    '$1'"
		echo "#   wanted: '$2'"
	fi
}
