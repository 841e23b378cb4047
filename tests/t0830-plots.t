#!/bin/sh
# The gnuplot scripts (analysis/*.gp) on small hand-made data: each draws a
# valid, non-empty PNG and a well-formed SVG, and says how to call it.
. "$(dirname "$0")/lib.sh"
GP=$(cd "$TESTDIR/../analysis" && pwd)
command -v gnuplot >/dev/null 2>&1 || plan_skip_all "gnuplot is not installed (apt-get install gnuplot-nox)"

png_ok() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(wc -c < "$1")" -gt 2000 ]; }
svg_ok() { head -c 200 "$1" | grep -Eq '^<\?xml|<svg' && grep -q '</svg>' "$1"; }

cat > cdf.dat <<'DAT'
# vmatrace latency CDF: latency_us fraction_at_or_below
"no readers"
1 0
2 0.5
10 0.99
50 1


"2 smaps_rollup readers (mmap_lock)"
1 0
20 0.5
900 0.99
4000 1
DAT
cat > spectrum.dat <<'DAT'
"no readers"
1 1
2 2
10 8
100 10
1000 50


"2 maps readers (per-VMA lock)"
1 1.5
2 2.5
10 9
100 30
500 200
DAT
cat > maxlat.dat <<'DAT'
"no readers"
1 50
2 55
3 70


"2 smaps readers (mmap_lock)"
1 900
2 1500
3 4000
DAT
cat > readers.dat <<'DAT'
"maps (per-VMA lock)"
0 30 28 33
1 31 29 35
2 33 30 36
4 40 35 44


"smaps (mmap_lock)"
0 30 28 33
1 900 700 1200
2 1500 1300 1900
4 3000 2500 3500
DAT
cat > timeline.dat <<'DAT'
"no readers"
0 10 50
0.1 11 60
0.2 9 40


"2 smaps readers (mmap_lock)"
0 100 5000
0.1 300 9000
0.2 200 7000
DAT
for s in cdf spectrum maxlat readers timeline; do
	check "$s.gp draws a PNG" gnuplot -c "$GP/$s.gp" $s.dat $s.png "test: $s"
	check "which is a valid, non-empty PNG" png_ok $s.png
	check "$s.gp draws an SVG" gnuplot -c "$GP/$s.gp" $s.dat $s.svg "test: $s"
	check "which is well-formed SVG" svg_ok $s.svg
	check_fail 2 "$s.gp without arguments exits 2" gnuplot -c "$GP/$s.gp"
	like "$(cat "$T_TMP/out" "$T_TMP/err")" "usage: gnuplot -c $s.gp DATA" "and prints its usage"
done
check "an optional axis label is accepted" gnuplot -c "$GP/cdf.gp" cdf.dat label.png "t" "reader pass latency (µs)"
check "the legend uses the block's label (an underscore stays an underscore)" grep -q "smaps_rollup readers" cdf.svg
done_testing
