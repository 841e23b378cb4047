#!/bin/sh
# vmatrace bench: a tiny real sweep (mapper, 0 and 1 reader of two kinds,
# 2 short repetitions), and an interrupted one that keeps what finished.
. "$(dirname "$0")/lib.sh"

check "a tiny bench runs" "$VMATRACE" bench -q --workloads mapper --readers 0,1 --kinds maps,smaps \
	--repetitions 2 --duration 0.2s --headline-readers 1 -o b
out=$(cat "$T_TMP/out")
like "$out" "^mapper: writer latency, all ops; medians of 2 runs of 0.2 s" "prints the headline table"
like "$out" "^  1 smaps  " "with a row per reader kind"
like "$out" "^report: b/index.md \(6 of 6 runs" "and where the report is"
is "$(ls b/runs/mapper/*.json | wc -l)" 6 "every run's results file is kept"
for f in index.md headline.txt report.md report.txt compare.md compare.txt traces/mapper.vmt data/mapper-cdf.dat data/mapper-readers-p99.dat; do
	check "writes $f" test -s "b/$f"
done
like "$(cat b/index.md)" "^## Headline" "index.md has the headline"
like "$(cat b/index.md)" "^\| 1 × smaps \| (mmap_lock|per-VMA lock|unknown)" "with the lock each kind took"
like "$(cat b/index.md)" "^## What was run" "and what was run"
check "the runs are a valid input to report" "$VMATRACE" report b/runs/mapper/readers1-maps.*.json
check "and to compare" "$VMATRACE" compare b/runs/mapper/readers1-maps.*.json -- b/runs/mapper/readers1-smaps.*.json
check_fail 2 "an unknown reader kind is a usage error" "$VMATRACE" bench --kinds maps,nope -o x
check_fail 2 "a bad reader count is a usage error" "$VMATRACE" bench --readers 0,x -o x
check "bench --help" "$VMATRACE" bench --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace bench" "prints the usage"

# Ctrl-C: the running replay stops, its partial file goes, the report covers what finished
"$VMATRACE" bench -q --workloads mapper --readers 0,1 --kinds maps --repetitions 50 --duration 0.3s \
	--no-plots -o c > c.out 2> c.err &
pid=$!
n=0
# (up to 60 s: each run takes about a second, several under a sanitizer on a busy machine)
while [ "$(ls c/runs/mapper/*.json 2>/dev/null | wc -l)" -lt 3 ] && [ $n -lt 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
# then until the next run replays, so that the signal meets a running replay and not
# the moment between two runs (t0960 has that case)
running() {
	for k in $(pgrep -P $pid 2>/dev/null); do
		[ "$(cut -d' ' -f3 /proc/$k/stat 2>/dev/null)" = S ] || [ "$(cut -d' ' -f3 /proc/$k/stat 2>/dev/null)" = R ] &&
			[ -n "$(pgrep -P $k 2>/dev/null)" ] && return 0
	done
	return 1
}
n=0
while ! running && [ $n -lt 300 ]; do
	sleep 0.05
	n=$((n + 1))
done
sleep 0.1
kill -INT $pid
wait $pid
st=$?
is "$st" 130 "an interrupted bench exits 130"
[ "$st" = 130 ] || { sed 's/^/# /' c.err; cat c/runs/mapper/*.log 2>/dev/null | head -20 | sed 's/^/# /'; }
check "index.md is written" test -s c/index.md
like "$(cat c/index.md)" "interrupted" "and says the sweep was interrupted"
runs=$(ls c/runs/mapper/*.json | wc -l)
check "it kept the runs that finished ($runs)" test "$runs" -ge 3
check "no partial results file is left" sh -c '! grep -l "\"partial\": *true" c/runs/mapper/*.json'
check "no temporary file is left" sh -c '! find c -name "*.tmp.*" | grep -q .'
like "$(cat c.out)" "^report: c/index.md \($runs of 100 runs" "the report counts what finished"
done_testing
