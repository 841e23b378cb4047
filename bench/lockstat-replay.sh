#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# bench/lockstat-replay.sh - what replay --lockstat costs the replay itself
#
# The mapper trace (random 4 KiB mmap/munmap in 128 MiB, the kernel
# review's benchmark) replayed --speed asap for a fixed --loop count, the
# writer on CPU 0, with and without --lockstat, in two configurations: no
# readers (LOOPS passes), and 2 smaps readers at nice 15 on CPU 1 (one pass:
# the readers hold the writer back, so a pass takes far longer).  Each round
# runs the four replays, traced and untraced in an order that alternates
# round by round, so a drifting machine hits both alike.  The figures are
# the medians over the rounds of the writer's mean latency (all ops) and of
# the wall time of the timed replay, the medians of the per-round ratios
# traced/untraced, and the events the tracing lost.  Needs root and tracefs.
#
#   bench/lockstat-replay.sh [ROUNDS] [OPS] [LOOPS]   (defaults 5, 20000, 5)
set -eu
rounds=${1:-5}
ops=${2:-20000}
loops=${3:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
vmatrace=$top/vmatrace
[ "$(id -u)" = 0 ] || { echo "lockstat-replay.sh: needs root (replay --lockstat)" >&2; exit 1; }
make -C "$top" -s all >/dev/null
tmp=$(mktemp -d /tmp/vmatrace-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
if [ "$(nproc)" -ge 2 ]; then
	wcpu="--writer-cpu 0"
	rcpu="--reader-cpu 1"
else
	wcpu=""
	rcpu=""
fi

# run CONFIG TRACED ROUND: one replay; its figures appended to $tmp/CONFIG.TRACED
run() {
	case $1 in
	none) args="--loop $loops --readers 0" ;;
	smaps) args="--loop 1 --readers 2 --reader smaps --reader-nice 15 $rcpu" ;;
	esac
	[ "$2" = traced ] && args="$args --lockstat"
	# shellcheck disable=SC2086 # the options are words
	"$vmatrace" replay "$tmp/mapper.vmt" -q --no-probe --speed asap $wcpu $args -o "$tmp/r.json"
	field "$tmp/r.json" '"%d %.1f %.4f %d %s" % ([o for o in r["ops"] if o["role"] == "writer" and o["op"] == "all"][0]["mean_ns"], r["counts"]["wall_ns"] / 1e6, r["counts"]["ops"] / 1e6, r["counts"]["reader_passes"], max(x["lost_events"] for x in r["lockstat"]) if r.get("lockstat") else "-")' \
		>> "$tmp/$1.$2"
	echo "round $3: $1 $2: $(tail -n 1 "$tmp/$1.$2")" | awk '{ printf "%s %s %s %s mean %.1f us, wall %.0f ms, %.3f M ops, %d reader passes, lost %s\n", $1, $2, $3, $4, $5 / 1e3, $6, $7, $8, $9 }'
}

echo "== replay --lockstat overhead: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$vmatrace" workload mapper --ops "$ops" -o "$tmp/mapper.vmt"
echo "mapper trace of $ops ops; no readers: --loop $loops; 2 smaps readers: --loop 1; $rounds rounds"
r=1
while [ $r -le "$rounds" ]; do
	for c in none smaps; do
		if [ $((r % 2)) = 1 ]; then
			run $c untraced $r
			run $c traced $r
		else
			run $c traced $r
			run $c untraced $r
		fi
	done
	r=$((r + 1))
done

echo
echo "-- medians of $rounds rounds (load now $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-22s %14s %14s %10s %12s %12s %10s %8s\n' "configuration" "mean untraced" "mean traced" "ratio" \
	"wall untr." "wall traced" "ratio" "lost"
for c in none smaps; do
	mu=$(cut -d' ' -f1 "$tmp/$c.untraced" | median)
	mt=$(cut -d' ' -f1 "$tmp/$c.traced" | median)
	wu=$(cut -d' ' -f2 "$tmp/$c.untraced" | median)
	wt=$(cut -d' ' -f2 "$tmp/$c.traced" | median)
	# the ratios of each round (both runs of a round met the same machine), then their median
	mr=$(paste -d' ' "$tmp/$c.traced" "$tmp/$c.untraced" | awk '{ print $1 / $6 }' | median)
	wr=$(paste -d' ' "$tmp/$c.traced" "$tmp/$c.untraced" | awk '{ print $2 / $7 }' | median)
	lost=$(cut -d' ' -f5 "$tmp/$c.traced" | sort -g | tail -n 1)
	[ $c = none ] && name="no readers, --loop $loops" || name="2 smaps, --loop 1"
	printf '%-22s %11.1f us %11.1f us %9.3fx %9.0f ms %9.0f ms %9.3fx %8s\n' "$name" \
		"$(echo "$mu" | awk '{ print $1 / 1e3 }')" "$(echo "$mt" | awk '{ print $1 / 1e3 }')" "$mr" "$wu" "$wt" "$wr" "$lost"
done
echo "(ratio: median over the rounds of traced / untraced; lost: the most events a traced run lost)"
