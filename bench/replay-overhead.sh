#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# bench/replay-overhead.sh - what the replay machinery costs (issue 3 targets)
#
#  1. --speed asap replay of a 1 M-op mprotect trace against a minimal C loop
#     issuing the same syscalls (bench/mprotect-loop.c), interleaved, medians
#     of ROUNDS (target <= 1.10x);
#  2. paced replay (--speed 1) lateness: how late ops start against their
#     schedule, p50/p99/max (target p99 <= 50 us on an idle machine).
#
#   bench/replay-overhead.sh [OPS] [ROUNDS]     (defaults 1000000, 5)
set -eu
ops=${1:-1000000}
rounds=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
vmatrace=$top/vmatrace
make -C "$top" -s all build/bench/mprotect-loop >/dev/null
tmp=$(mktemp -d /tmp/vmatrace-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

echo "== replay overhead: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
# split-new-below: one setup mmap, then mprotect after mprotect on the same VMA
"$vmatrace" workload split-new-below --ops $((ops + 1)) -o "$tmp/mprotect.vmt"
i=0
while [ $i -lt "$rounds" ]; do
	"$top/build/bench/mprotect-loop" "$ops" >> "$tmp/loop.ns"
	"$vmatrace" replay "$tmp/mprotect.vmt" -q --no-probe --writer-cpu 0 -o "$tmp/r.json"
	field "$tmp/r.json" 'r["counts"]["wall_ns"]' >> "$tmp/replay.ns"
	i=$((i + 1))
done
loop=$(median < "$tmp/loop.ns")
rep=$(median < "$tmp/replay.ns")
echo
echo "-- 1. asap replay of $ops mprotect ops (median of $rounds, interleaved)"
echo "minimal C loop   $(awk -v n="$loop" 'BEGIN { printf "%.3f s", n / 1e9 }')"
echo "vmatrace replay  $(awk -v n="$rep" 'BEGIN { printf "%.3f s", n / 1e9 }')"
echo "ratio            $(awk -v a="$rep" -v b="$loop" 'BEGIN { printf "%.3fx (target <= 1.10x)", a / b }')"

echo
echo "-- 2. paced replay (--speed 1) of the mapper trace, 10 s, no readers"
"$vmatrace" workload mapper --duration 10 -o "$tmp/mapper.vmt"
"$vmatrace" replay "$tmp/mapper.vmt" -q --no-probe --speed 1 --writer-cpu 0 -o "$tmp/p.json"
field "$tmp/p.json" '"ops %d\nlateness (start - schedule)       p50 %.1f us, p99 %.1f us, max %.1f us (target p99 <= 50 us)\npacing error (start - max(schedule, previous op end)) p50 %.1f us, p99 %.1f us, max %.1f us\nservice time of the ops           p50 %.1f us, p99 %.1f us" % (r["counts"]["ops"], r["counts"]["lateness"]["p50_ns"]/1e3, r["counts"]["lateness"]["p99_ns"]/1e3, r["counts"]["lateness"]["max_ns"]/1e3, r["counts"]["pacing_error"]["p50_ns"]/1e3, r["counts"]["pacing_error"]["p99_ns"]/1e3, r["counts"]["pacing_error"]["max_ns"]/1e3, [o for o in r["ops"] if o["op"] == "all"][0]["p50_ns"]/1e3, [o for o in r["ops"] if o["op"] == "all"][0]["p99_ns"]/1e3)'
