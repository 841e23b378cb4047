#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# bench/format.sh - the trace format's figures (issue 2): read rate, bytes per
# op on disk, and the time of 'vmatrace info' on a 10 M-op trace.
#
#   bench/format.sh [OPS]        (default 10000000; run from the top of the tree)
#
# Targets: reading >= 20 M ops/s; <= 64 bytes per op; info of 10 M ops <= 2 s.
# Timings on a shared machine are noisy: each figure is the median of 5 runs.
set -eu
ops=${1:-10000000}
top=$(cd "$(dirname "$0")/.." && pwd)
vmatrace=$top/vmatrace
make -C "$top" -s all build/bench/read-trace >/dev/null
tmp=$(mktemp -d /tmp/vmatrace-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== vmatrace trace format benchmark: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for w in mapper all-scenarios; do
	t0=$(date +%s%N)
	"$vmatrace" workload "$w" --ops "$ops" -o "$tmp/$w.vmt"
	t1=$(date +%s%N)
	size=$(stat -c %s "$tmp/$w.vmt")
	echo
	echo "-- workload $w, $ops ops: written in $(( (t1 - t0) / 1000000 )) ms"
	"$top/build/bench/read-trace" "$tmp/$w.vmt" 5
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$vmatrace" info "$tmp/$w.vmt" >/dev/null
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000000 ))
	done | median > "$tmp/info.ms"
	echo "info (median of 5) $(cat "$tmp/info.ms") ms"
	echo "bytes per op     $(awk -v s="$size" -v n="$ops" 'BEGIN { printf "%.1f", s / n }')"
	rm -f "$tmp/$w.vmt"
done
