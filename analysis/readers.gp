# SPDX-License-Identifier: GPL-2.0-only
# readers.gp - latency against the number of reader processes, one series
# per reader kind: the median of the runs with its 95% interval
#
#   gnuplot -c readers.gp DATA OUT.png|OUT.svg TITLE [YLABEL]
#
# DATA: one block per series, opened by its label in double quotes, then
# "readers median_us low_us high_us" rows (vmatrace writes them).
if (ARGC < 3) {
	print "usage: gnuplot -c readers.gp DATA OUT.png|OUT.svg TITLE [YLABEL]"
	exit status 2
}
data = ARG1
out = ARG2
ylabel = ARGC >= 4 ? ARG4 : "writer p99 latency (µs), median of runs, 95% interval"
set encoding utf8
if (out[strlen(out)-3:] eq ".svg") {
	set terminal svg size 900,560 dynamic font "sans,12" background "#ffffff"
} else {
	set terminal pngcairo size 900,560 font "sans,10"
}
set termoption noenhanced
set output out
# the series are the reader kinds in vmatrace's order: maps, smaps, smaps_rollup, procmap_query
set linetype 1 lc rgb "#1f77b4" lw 2 pt 5
set linetype 2 lc rgb "#d62728" lw 2 pt 9
set linetype 3 lc rgb "#ff7f0e" lw 2 pt 11
set linetype 4 lc rgb "#17becf" lw 2 pt 13
set linetype 5 lc rgb "#9467bd" lw 2 pt 7
set linetype 6 lc rgb "#8c564b" lw 2 pt 5
set linetype cycle 6

stats data using 1 nooutput
set title ARG3
set xlabel "reader processes"
set ylabel ylabel
set logscale y
set format y "%g"
set xrange [STATS_min - 0.3:STATS_max + 0.3]
set xtics 1
set grid ytics mytics
set key left top box opaque
plot for [i=0:STATS_blocks-1] data index i using 1:2:3:4 with yerrorlines title columnheader(1)
