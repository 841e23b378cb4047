#!/bin/sh
# vmatrace compare: B/A with intervals and verdicts; refuses other traces
# and machines unless --force; reports another kernel (synthetic results).
. "$(dirname "$0")/lib.sh"
MK=$TESTBIN/mkresults

for i in 1 2 3 4 5; do
	"$MK" -o a$i.json --seed $i --readers 2 --reader maps
	"$MK" -o b$i.json --seed $((i + 10)) --readers 2 --reader smaps --median 20000
done
check "compare A -- B" "$VMATRACE" compare a1.json a2.json a3.json a4.json a5.json -- b1.json b2.json b3.json b4.json b5.json
out=$(cat "$T_TMP/out")
like "$out" "^writer all" "a table for the writer"
like "$out" "^  p50 .* (1\.9[89]|2\.0[012])x \[[0-9.]+ \.\. [0-9.]+\] +slower$" "B's doubled median is 2x, slower"
like "$out" "^options   --reader maps -> smaps" "the option that differs is shown"
like "$out" "^not compared: reader maps: only in A" "rows of one side are named"
check "compare A -- A" "$VMATRACE" compare a1.json a2.json a3.json a4.json a5.json -- a1.json a2.json a3.json a4.json a5.json
like "$(cat "$T_TMP/out")" "^  p99 .* no significant difference$" "the same runs: no significant difference"
check "options may follow the --" "$VMATRACE" compare a1.json a2.json -- b1.json b2.json --no-plots -o cmpdir
check "and -o wrote the comparison" test -s cmpdir/compare.md

"$MK" -o sha.json --seed 21 --sha ffff000000000000000000000000000000000000000000000000000000000000
check_fail 1 "another trace is refused" "$VMATRACE" compare a1.json -- sha.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot compare sha.json with a1.json: different traces \(sha256 0123456789ab\.\.\. vs ffff00000000\.\.\.\) \(--force" "with the reason"
is "$(wc -l < "$T_TMP/err")" 1 "in one line"
check "--force compares them" "$VMATRACE" compare --force a1.json -- sha.json
like "$(cat "$T_TMP/out")" "^warning: compared with --force although the sides have different traces" "with a warning"
"$MK" -o host.json --seed 22 --host otherhost
check_fail 1 "another machine (hostname) is refused" "$VMATRACE" compare a1.json -- host.json
like "$(cat "$T_TMP/err")" "different machines \(hostname 'testhost' vs 'otherhost'\)" "with the reason"
"$MK" -o cpu.json --seed 23 --cpus 4
check_fail 1 "another machine (CPU count) is refused" "$VMATRACE" compare a1.json -- cpu.json
like "$(cat "$T_TMP/err")" "different machines \(2 x 'Test CPU' vs 4 x 'Test CPU'\)" "with the reason"
"$MK" -o model.json --seed 24 --cpu-model "Other CPU"
check_fail 1 "another machine (CPU model) is refused" "$VMATRACE" compare a1.json -- model.json
check "--force compares another machine" "$VMATRACE" compare --force a1.json -- host.json

for i in 1 2 3; do "$MK" -o k$i.json --seed $((i + 30)) --readers 2 --reader maps --kernel 6.19.0-test; done
check "another kernel of the same machine is the documented use" "$VMATRACE" compare a1.json a2.json a3.json -- k1.json k2.json k3.json
out=$(cat "$T_TMP/out")
like "$out" "^kernels   A: Linux 6.18.0-test, B: Linux 6.19.0-test" "and the kernels are reported"
like "$out" "^A  3 runs: synthetic, 2 maps readers \(per-VMA lock\), Linux 6.18.0-test$" "the sides are named by their kernel"
like "$out" "^B  3 runs: synthetic, 2 maps readers \(per-VMA lock\), Linux 6.19.0-test$" "each"

check_fail 1 "a side that mixes configurations is refused" "$VMATRACE" compare a1.json b1.json -- k1.json
like "$(cat "$T_TMP/err")" "side A mixes configurations" "with the reason"
printf '{"format": "vmatrace-results", "format_version": 1, "meta": {"hostname": ' > cut.json
check_fail 1 "a truncated file fails" "$VMATRACE" compare a1.json -- cut.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: cut.json: truncated" "saying so"
is "$(wc -l < "$T_TMP/err")" 1 "in one line"
check_fail 2 "without -- is a usage error" "$VMATRACE" compare a1.json b1.json
check_fail 2 "an empty side is a usage error" "$VMATRACE" compare a1.json --
check "compare --help" "$VMATRACE" compare --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace compare" "prints the usage"
done_testing
