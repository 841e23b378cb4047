#!/bin/sh
# vmatrace report: tables over repetitions, the lock, warnings, refusals,
# damaged files and the plots, on synthetic results (tests/mkresults.c).
. "$(dirname "$0")/lib.sh"
MK=$TESTBIN/mkresults

png_ok() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(wc -c < "$1")" -gt 2000 ]; }
svg_ok() { head -c 200 "$1" | grep -Eq '^<\?xml|<svg' && grep -q '</svg>' "$1"; }

for i in 1 2 3 4 5; do
	"$MK" -o r$i.json --seed $i --readers 2 --reader smaps || exit 1
done
check "report on 5 repetitions" "$VMATRACE" report r1.json r2.json r3.json r4.json r5.json
out=$(cat "$T_TMP/out")
like "$out" "^writer all" "a table for the writer's ops together"
like "$out" "^writer munmap" "and for each op"
like "$out" "^reader smaps" "and for the readers"
for m in count p50 p90 p99 p99.9 max mean; do
	like "$out" "^  $m " "with a $m row"
done
like "$out" "^  p50 +(9\.[89][0-9]|10\.[01][0-9]) us \[" "p50 of a log-normal with a 10 us median is 10 us, with an interval"
like "$out" "smaps: mmap_lock" "the lock each reader kind took, from the probe"
like "$out" "10000 resamples" "the number of bootstrap resamples is stated"
"$VMATRACE" report r*.json > a.txt
"$VMATRACE" report r*.json > b.txt
check "the same files give the same report, digit for digit" cmp a.txt b.txt

# warnings
"$MK" -o p.json --seed 9 --readers 2 --reader smaps --partial
check "report with a partial run" "$VMATRACE" report r1.json r2.json p.json
like "$(cat "$T_TMP/out")" "^warning: 1 of 3 runs are partial" "warns of the partial run"
like "$(cat "$T_TMP/out")" "^warning: only 3 repetitions" "and of too few repetitions for the interval"
"$MK" -o w.json --seed 10 --readers 2 --reader smaps --lost 5 --conflicts 3 --mismatches 2
check "report with lost events, conflicts, mismatches" "$VMATRACE" report r1.json w.json
out=$(cat "$T_TMP/out")
like "$out" "^warning: 5 events were lost" "warns of lost events"
like "$out" "^warning: 3 conflicts" "of conflicts"
like "$out" "^warning: 2 outcome mismatches" "of outcome mismatches"
"$MK" -o slow.json --seed 11 --readers 2 --reader smaps --median 40000
check "report with an outlying repetition" "$VMATRACE" report r1.json r2.json r3.json r4.json slow.json
like "$(cat "$T_TMP/out")" "^warning: noisy repetitions: .*writer all [0-9]+%" "warns of noisy repetitions"
"$MK" -o np.json --seed 12 --readers 2 --reader smaps --no-probe
check "report without a probe" "$VMATRACE" report np.json r1.json
like "$(cat "$T_TMP/out")" "lock of the reader kind was not probed" "says the lock is unknown"

# other configurations are refused unless --force
"$MK" -o maps.json --seed 13 --readers 2 --reader maps
check_fail 1 "runs of another reader kind are refused" "$VMATRACE" report r1.json maps.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: maps.json is not a repetition of r1.json: option --reader: 'smaps' vs 'maps' \(--force" "with the reason"
check "--force reports them together" "$VMATRACE" report --force r1.json maps.json
like "$(cat "$T_TMP/out")" "^warning: mixed configurations" "with a warning"

# damaged files: one line, exit 1
printf '{"format": "vmatrace-results", "meta": {' > cut.json
check_fail 1 "a truncated results file fails" "$VMATRACE" report r1.json cut.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: cut.json: truncated" "saying so"
is "$(wc -l < "$T_TMP/err")" 1 "in one line"
echo 'hello' > junk.json
check_fail 1 "a file that is not JSON fails" "$VMATRACE" report junk.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: junk.json: not valid JSON" "saying so"
is "$(wc -l < "$T_TMP/err")" 1 "in one line"
echo '{"format": "something-else"}' > other.json
check_fail 1 "another JSON format fails" "$VMATRACE" report other.json
like "$(cat "$T_TMP/err")" "not a vmatrace results file" "saying so"
check_fail 1 "a missing file fails" "$VMATRACE" report nonexistent.json
check_fail 2 "no files is a usage error" "$VMATRACE" report
check_fail 2 "an unknown option is a usage error" "$VMATRACE" report --bogus r1.json
check "report --help" "$VMATRACE" report --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace report" "prints the usage"

# -o DIR: text, Markdown, data and plots
check "report -o DIR" "$VMATRACE" report -o rep r1.json r2.json r3.json r4.json r5.json
for f in report.txt report.md data/cdf.dat data/spectrum.dat data/maxlat.dat data/timeline.dat data/reader-cdf.dat; do
	check "writes $f" test -s "rep/$f"
done
like "$(cat rep/report.md)" "^\| p99\.9 \| " "the Markdown has the table rows"
if command -v gnuplot >/dev/null 2>&1; then
	for p in cdf spectrum maxlat timeline reader-cdf; do
		check "plots/$p.png is a PNG" png_ok "rep/plots/$p.png"
		check "plots/$p.svg is an SVG" svg_ok "rep/plots/$p.svg"
	done
	like "$(cat rep/data/cdf.dat)" '^"run 1: r1.json"' "the CDF's legend names the run"
else
	skip "gnuplot is not installed" 11
fi
check "no temporary files are left" sh -c '! ls rep rep/* | grep -q "\.tmp\."'
check "without gnuplot, report -o still works" env PATH=/nonexistent "$VMATRACE" report -o nogp r1.json r2.json
like "$(cat "$T_TMP/out")" "^warning: gnuplot is not installed" "says the plots are missing, and why"
check "and writes the plots' data" test -s nogp/data/cdf.dat
check "--no-plots writes the data only" "$VMATRACE" report --no-plots -o np r1.json r2.json
check "and no plot" test ! -e np/plots/cdf.png
done_testing
