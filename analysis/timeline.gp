# SPDX-License-Identifier: GPL-2.0-only
# timeline.gp - writer latency over the run: the mean and the maximum of
# each interval (replay --interval), one series per run shown
#
#   gnuplot -c timeline.gp DATA OUT.png|OUT.svg TITLE
#
# DATA: one block per series, opened by its label in double quotes, then
# "t_s mean_us max_us" rows, one per interval with ops (vmatrace writes them).
if (ARGC < 3) {
	print "usage: gnuplot -c timeline.gp DATA OUT.png|OUT.svg TITLE"
	exit status 2
}
data = ARG1
out = ARG2
set encoding utf8
if (out[strlen(out)-3:] eq ".svg") {
	set terminal svg size 900,720 dynamic font "sans,12" background "#ffffff"
} else {
	set terminal pngcairo size 900,720 font "sans,10"
}
set termoption noenhanced
set output out
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
n = STATS_blocks
set multiplot layout 2,1 title ARG3
set logscale y
set format y "%g"
set grid xtics ytics mytics
set key right top box opaque
set xlabel "time since the replay started (s)"
set ylabel "mean writer latency in the interval (µs)"
plot for [i=0:n-1] data index i using 1:2 with lines title columnheader(1)
# the same series in the same colours: one legend is enough
unset key
set ylabel "maximum writer latency in the interval (µs)"
plot for [i=0:n-1] data index i using 1:3 with lines title columnheader(1)
unset multiplot
