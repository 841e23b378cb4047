#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The lock statistics of replay --lockstat in report, compare and bench:
# the tables per (role, mode), "not recorded" and why, damaged lockstat
# fields, and the writers' mmap_lock wait plot (synthetic results from
# tests/mkresults.c; bench --lockstat for real, as root with tracefs).
. "$(dirname "$0")/lib.sh"
MK=$TESTBIN/mkresults
command -v python3 >/dev/null 2>&1 || plan_skip_all "python3 is needed to edit the results JSON"

png_ok() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(wc -c < "$1")" -gt 2000 ]; }
svg_ok() { head -c 200 "$1" | grep -Eq '^<\?xml|<svg' && grep -q '</svg>' "$1"; }
# edit FILE OUT PYTHON: OUT is FILE's JSON after the statement PYTHON on it, as d
edit() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))' "$1" "$2" "$3"
}
# block TEXT HEADING: the lines of TEXT from the line HEADING to the next empty line
block() { printf '%s\n' "$1" | awk -v h="$2" '$0 == h { on = 1 } on && $0 == "" { exit } on'; }

for i in 1 2 3 4 5; do
	"$MK" -o l$i.json --seed $i --readers 2 --reader smaps --lockstat
	"$MK" -o m$i.json --seed $((i + 10)) --readers 2 --reader maps --lockstat --wait-median 4000
	"$MK" -o r$i.json --seed $((i + 20)) --readers 2 --reader smaps
done

# ---- report ----
check "report of 5 runs with lock statistics" "$VMATRACE" report l1.json l2.json l3.json l4.json l5.json
out=$(cat "$T_TMP/out")
like "$out" "^lock statistics \(--lockstat\): .* in 5 of 5 runs$" "a lock section, over every run"
like "$out" "traced runs: set their latencies beside those of traced runs only" "which says traced latencies are not comparable with untraced ones"
ww=$(block "$out" "mmap_lock writer write")
like "$ww" "^  acquisitions +20,000 \[20,000 \.\. 20,000\] " "writer write: acquisitions, median and interval"
like "$ww" "^  wait p50 +(3[89][0-9]|4[01][0-9]) ns \[[0-9]+ \.\. [0-9]+\] " "wait p50 of a log-normal with a 400 ns median is 400 ns"
for m in "wait p99" "wait max" "hold p50" "hold p99" "hold max"; do
	like "$ww" "^  $m +[0-9.]+ [nu]s \[" "writer write: $m"
done
like "$ww" "^  totals +failed 0, unmatched 0, excluded 0, downgrades 50,000 \(sums over 5 runs\)" "and the totals, with the downgrades"
case "$ww" in *"per pass"*) fail "no per-pass row for the writers" "$ww" ;; *) pass "no per-pass row for the writers" ;; esac
like "$(block "$out" "mmap_lock writer read")" "^  wait p50 +2[45][0-9] ns" "writer read: its own table"
rr=$(block "$out" "mmap_lock reader read")
like "$rr" "^  per pass +50\.0 \[50\.0 \.\. 50\.0\] +50\.0 \.\. 50\.0$" "reader read: acquisitions per pass"
like "$rr" "^  totals +failed 0, unmatched 5, excluded 0 \(sums" "reader read: totals without downgrades"
like "$out" "^mmap_lock reader write: no acquisitions in 5 runs$" "an empty (role, mode) in one line"
"$VMATRACE" report l*.json > a.txt
"$VMATRACE" report l*.json > b.txt
check "the same files give the same lock tables" cmp a.txt b.txt

check "report of runs without --lockstat" "$VMATRACE" report r1.json r2.json
like "$(cat "$T_TMP/out")" "^lock statistics not recorded: replayed without --lockstat$" "says they are not recorded, and why"
for i in 1 2; do "$MK" -o u$i.json --seed $((i + 30)) --readers 2 --reader smaps \
	--lockstat-unavailable "not root: the mmap_lock tracepoints need root and tracefs"; done
check "report of runs whose lock statistics were unavailable" "$VMATRACE" report u1.json u2.json
like "$(cat "$T_TMP/out")" "^lock statistics not recorded: not root: the mmap_lock tracepoints need root and tracefs$" \
	"gives meta.lockstat_unavailable's reason"
check "runs with and without lock statistics (both asked for it)" "$VMATRACE" report l1.json l2.json l3.json u1.json u2.json
out=$(cat "$T_TMP/out")
like "$out" "^lock statistics \(--lockstat\): .* in 3 of 5 runs$" "the lock tables cover the runs that have them"
like "$out" "^warning: lock statistics were recorded in 3 of 5 runs only \(the others: not root: " "with a warning and why"
check_fail 1 "runs with and without --lockstat are not repetitions" "$VMATRACE" report l1.json r1.json
like "$(cat "$T_TMP/err")" "option --lockstat: 'true' vs '\(absent\)' \(--force" "the option is named"
edit r2.json r2f.json 'd["meta"]["options"]["lockstat"] = False'
check "an older file without the option is a repetition of one with --lockstat off" "$VMATRACE" report r1.json r2f.json
"$MK" -o lost.json --seed 6 --readers 2 --reader smaps --lockstat --lock-lost 7
check "report of a run that lost lock events" "$VMATRACE" report l1.json lost.json
like "$(cat "$T_TMP/out")" "^warning: 7 mmap_lock events were lost by --lockstat in 1 of 2 runs" "warns that its lock statistics are incomplete"

# ---- damaged lockstat fields: one line naming the field, exit 1 ----
edit l1.json bad1.json 'd["lockstat"] = {"role": "writer"}'
check_fail 1 "lockstat that is not an array fails" "$VMATRACE" report bad1.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: bad1.json: lockstat: not an array$" "saying so"
edit l1.json bad2.json 'd["lockstat"][0]["wait"]["p99_ns"] = "slow"'
check_fail 1 "a wait percentile that is not a number fails" "$VMATRACE" report bad2.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: bad2.json: lockstat\[0\]\.wait\.p99_ns: not a number$" "naming the field"
edit l1.json bad3.json 'd["lockstat"][2]["role"] = "monitor"'
check_fail 1 "an unknown role fails" "$VMATRACE" report bad3.json
like "$(cat "$T_TMP/err")" "lockstat\[2\]\.role: 'monitor', not writer or reader" "naming it"
edit l1.json bad4.json 'd["lockstat"][0]["wait"]["buckets"].pop()'
check_fail 1 "wait buckets that do not add up fail" "$VMATRACE" report bad4.json
like "$(cat "$T_TMP/err")" "lockstat\[0\]\.wait: the buckets hold" "naming the histogram"
is "$(wc -l < "$T_TMP/err")" 1 "in one line"
edit l1.json bad5.json 'del d["lockstat"][1]["acquisitions"]'
check_fail 1 "a missing acquisitions count fails" "$VMATRACE" report bad5.json
like "$(cat "$T_TMP/err")" "lockstat\[1\]\.acquisitions: missing" "naming it"
edit l1.json null.json 'd["lockstat"] = None'
check "lockstat null without a reason is read" "$VMATRACE" report null.json
like "$(cat "$T_TMP/out")" "^lock statistics not recorded: unavailable, for no recorded reason$" "as not recorded"
edit l1.json pp.json 'd["lockstat"][2]["acquisitions_per_pass"] = None; d["lockstat"][3]["acquisitions_per_pass"] = None'
check "acquisitions_per_pass null (no reader pass) is read" "$VMATRACE" report pp.json
like "$(block "$(cat "$T_TMP/out")" "mmap_lock reader read")" "^  per pass +-$" "as no rate, not a rate of 0"
"$MK" -o nb.json --seed 7 --readers 2 --reader smaps --lockstat --lock-no-buckets
check "lock histograms without buckets are read" "$VMATRACE" report -o nbdir nb.json
like "$(cat "$T_TMP/out")" "^  wait p50 +[0-9]+ ns" "their percentiles are the file's"
check "and no lock-wait plot is drawn from them" test ! -e nbdir/data/lock-wait.dat

# ---- report -o: Markdown and the plot ----
check "report -o DIR" "$VMATRACE" report -o rep l1.json l2.json l3.json l4.json l5.json
md=$(cat rep/report.md)
like "$md" "^## Lock statistics$" "report.md has a lock section"
like "$md" "^### mmap_lock writer write$" "a table per (role, mode)"
like "$md" "^\| wait p99 \| [0-9.]+ µs \[" "with the wait rows"
like "$md" "^\| per pass \| 50\.0 \[50\.0 \.\. 50\.0\] \|" "and the readers' acquisitions per pass"
like "$md" "set their latencies beside those of traced runs only" "and says traced latencies stand apart"
check "writes data/lock-wait.dat" test -s rep/data/lock-wait.dat
like "$(cat rep/data/lock-wait.dat)" '^"2 smaps readers \(mmap_lock\), run 1 \(l1\.json\)"$' "its legend names the reader kind, its lock and the run"
is "$(grep -c '^"' rep/data/lock-wait.dat)" 5 "one series per run"
check "report -o of runs without lock statistics" "$VMATRACE" report -o norep r1.json r2.json
check "draws no lock-wait plot" test ! -e norep/data/lock-wait.dat
like "$(cat norep/report.md)" "^Lock statistics not recorded: replayed without --lockstat\.$" "and its Markdown says why"

# ---- compare ----
check "compare A -- B with lock statistics" "$VMATRACE" compare m1.json m2.json m3.json m4.json m5.json -- l1.json l2.json l3.json l4.json l5.json
out=$(cat "$T_TMP/out")
ww=$(block "$out" "mmap_lock writer write")
like "$ww" "^  metric +A median \[95%\] +B median \[95%\] +B/A \[95%\] +verdict$" "the lock rows side by side"
like "$ww" "^  wait p50 +3\.9[0-9] us \[.*\] +(3[89][0-9]|4[01][0-9]) ns \[.*\] +0\.(09[5-9]|10[0-5])x \[[0-9.]+ \.\. [0-9.]+\] +shorter$" \
	"B's tenfold shorter wait is 0.1x, shorter"
like "$ww" "^  acquisitions .* 1\.00x \[1\.00 \.\. 1\.00\] +no significant difference$" "equal counts: no difference"
rr=$(block "$out" "mmap_lock reader read")
like "$rr" "^  per pass +0\.0200 \[0\.0200 \.\. 0\.0200\] +50\.0 \[50\.0 \.\. 50\.0\] +2500x \[2500 \.\. 2500\] +more$" \
	"per pass: the per-VMA kind's fallbacks against the mmap_lock kind's acquisitions, more"
like "$out" "^mmap_lock reader write: no acquisitions on either side$" "an empty (role, mode) in one line"
check "compare -o DIR" "$VMATRACE" compare -o cmp m1.json m2.json m3.json -- l1.json l2.json l3.json
like "$(cat cmp/compare.md)" "^## mmap_lock writer write$" "compare.md has the lock tables"
like "$(cat cmp/compare.md)" "^\| wait p50 \| .* \| \*\*shorter\*\* \|$" "with the verdicts"
like "$(cat cmp/data/lock-wait.dat)" '^"A: 2 maps readers \(per-VMA lock\)"$' "the plot's legend names A's reader kind and lock"
like "$(cat cmp/data/lock-wait.dat)" '^"B: 2 smaps readers \(mmap_lock\)"$' "and B's"
check "compare of one side with lock statistics" "$VMATRACE" compare l1.json l2.json -- r1.json r2.json
out=$(cat "$T_TMP/out")
like "$out" "^not compared: lock statistics: only in A \(B: replayed without --lockstat\)$" "says they are on one side only"
like "$out" "^warning: side A was traced with --lockstat and side B was not" "and warns that A's latencies carry the tracing"
check "compare without lock statistics" "$VMATRACE" compare r1.json r2.json -- r3.json r4.json
like "$(cat "$T_TMP/out")" "^lock statistics not recorded: replayed without --lockstat$" "says they are not recorded"
check "compare with unavailable lock statistics on one side" "$VMATRACE" compare r1.json r2.json -- u1.json u2.json --force
like "$(cat "$T_TMP/out")" "^lock statistics not recorded: A: replayed without --lockstat; B: not root: " "says why for each side"

# ---- the plot ----
if command -v gnuplot >/dev/null 2>&1; then
	for f in rep/plots/lock-wait cmp/plots/lock-wait; do
		check "$f.png is a PNG" png_ok $f.png
		check "$f.svg is an SVG" svg_ok $f.svg
	done
	check "the SVG's legend names the lock" grep -q "2 smaps readers (mmap_lock), run 1" rep/plots/lock-wait.svg
	check "and says the runs were traced" grep -q "traced runs (replay --lockstat)" rep/plots/lock-wait.svg
	GP=$(cd "$TESTDIR/../analysis" && pwd)
	check_fail 2 "lockwait.gp without arguments exits 2" gnuplot -c "$GP/lockwait.gp"
	like "$(cat "$T_TMP/out" "$T_TMP/err")" "usage: gnuplot -c lockwait.gp DATA" "and prints its usage"
	check "lockwait.gp draws from the .dat alone" gnuplot -c "$GP/lockwait.gp" cmp/data/lock-wait.dat mine.png "redrawn"
	check "a valid PNG" png_ok mine.png
else
	skip "gnuplot is not installed" 10
fi

# ---- bench --lockstat, for real ----
check "bench --help has --lockstat" "$VMATRACE" bench --help
like "$(cat "$T_TMP/out")" "^  +--lockstat +run every replay with --lockstat" "with its help"
check "a bench without --lockstat" "$VMATRACE" bench -q --workloads mapper --readers 0 --kinds maps --repetitions 1 \
	--duration 0.2s --no-plots -o b0
is "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("lockstat" in d, d["meta"]["options"]["lockstat"])' \
	b0/runs/mapper/readers0.1.json)" "False False" "runs its replays without --lockstat (the default)"
if [ "$(id -u)" != 0 ] || [ ! -d /sys/kernel/tracing/events/mmap_lock ]; then
	skip "bench --lockstat needs root and the mmap_lock tracepoints" 9
else
	check "a tiny bench --lockstat" "$VMATRACE" bench -q --workloads mapper --readers 0,1 --kinds maps,smaps \
		--repetitions 2 --duration 0.2s --headline-readers 1 --lockstat -o bl
	is "$(python3 -c 'import json, sys; print(sum(isinstance(json.load(open(f)).get("lockstat"), list) for f in sys.argv[1:]))' \
		bl/runs/mapper/*.json)" 6 "every run has lock statistics"
	like "$(cat bl/index.md)" "^## Lock statistics$" "index.md has a lock section"
	like "$(cat bl/index.md)" "^\| 1 × smaps \| mmap_lock \| [0-9,]+ \| [0-9.]+ [nµm]?s \| " "with the writers' waits per reader kind"
	like "$(cat bl/index.md)" "every run traced the mmap_lock \(--lockstat\)" "and a warning that every run was traced"
	like "$(cat bl/report.md)" "^### mmap_lock writer write$" "report.md has the lock tables"
	check "writes data/mapper-lock-wait.dat" test -s bl/data/mapper-lock-wait.dat
	like "$(cat bl/data/mapper-lock-wait.dat)" '^"1 smaps reader \(mmap_lock\)"$' "one series per reader kind, with its lock"
	if command -v gnuplot >/dev/null 2>&1; then
		check "and draws plots/mapper-lock-wait.png" png_ok bl/plots/mapper-lock-wait.png
	else
		skip "gnuplot is not installed"
	fi
fi
done_testing
