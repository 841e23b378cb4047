# SPDX-License-Identifier: GPL-2.0-only
# cdf.gp - latency CDF, one curve per series, logarithmic latency axis
#
#   gnuplot -c cdf.gp DATA OUT.png|OUT.svg TITLE [XLABEL]
#
# DATA (written by vmatrace report/compare/bench): one block per series,
# blocks separated by two blank lines, each opened by its label in double
# quotes, then "latency_us fraction_at_or_below" rows.
if (ARGC < 3) {
	print "usage: gnuplot -c cdf.gp DATA OUT.png|OUT.svg TITLE [XLABEL]"
	exit status 2
}
data = ARG1
out = ARG2
xlabel = ARGC >= 4 ? ARG4 : "writer latency (µs)"
set encoding utf8
if (out[strlen(out)-3:] eq ".svg") {
	set terminal svg size 900,560 dynamic font "sans,12" background "#ffffff"
} else {
	set terminal pngcairo size 900,560 font "sans,10"
}
set termoption noenhanced
set output out
# none black, per-VMA kinds blue/teal, mmap_lock kinds red/orange (in vmatrace's series order)
set linetype 1 lc rgb "#222222" lw 2
set linetype 2 lc rgb "#1f77b4" lw 2
set linetype 3 lc rgb "#d62728" lw 2
set linetype 4 lc rgb "#ff7f0e" lw 2
set linetype 5 lc rgb "#17becf" lw 2
set linetype 6 lc rgb "#9467bd" lw 2
set linetype 7 lc rgb "#8c564b" lw 2
set linetype 8 lc rgb "#7f7f7f" lw 2
set linetype cycle 8

stats data using 1 nooutput
set title ARG3
set xlabel xlabel
set ylabel "fraction of operations at or below"
set logscale x
set format x "%g"
set yrange [0:1.02]
set ytics 0.1
set grid xtics ytics mxtics
set key right bottom box opaque
plot for [i=0:STATS_blocks-1] data index i using 1:2 with lines title columnheader(1)
