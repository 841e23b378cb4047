# SPDX-License-Identifier: GPL-2.0-only
# lockwait.gp - how long the writers waited for mmap_lock in write mode
# (replay --lockstat), as a percentile spectrum: one series per reader kind
# or run, the lock the kind took in its legend.  Most waits find the lock
# free and take a few hundred nanoseconds; a reader holding it shows as the
# tail, so the axis of 1/(1-p) spreads 99%, 99.9%... apart.
#
#   gnuplot -c lockwait.gp DATA OUT.png|OUT.svg TITLE [YLABEL]
#
# DATA: one block per series, opened by its label in double quotes, then
# "one_over_1_minus_p wait_us" rows (vmatrace writes them as
# data/lock-wait.dat or data/WORKLOAD-lock-wait.dat).
if (ARGC < 3) {
	print "usage: gnuplot -c lockwait.gp DATA OUT.png|OUT.svg TITLE [YLABEL]"
	exit status 2
}
data = ARG1
out = ARG2
ylabel = ARGC >= 4 ? ARG4 : "writers' mmap_lock wait, write mode (µs)"
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
set xlabel "percentile of the writers' write-lock acquisitions"
set ylabel ylabel
set logscale xy
set format y "%g"
set xrange [1:*]
# tic labels are formats: %% is a percent sign
set xtics ("0%%" 1, "50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 1e4, \
	"99.999%%" 1e5, "99.9999%%" 1e6, "99.99999%%" 1e7, "99.999999%%" 1e8)
set grid xtics ytics mytics
set key left top box opaque
# tracing is what measures the wait, and it slows the writer too
set label 1 "traced runs (replay --lockstat): set beside traced runs only" \
	at screen 0.99, screen 0.02 right font ",9" textcolor rgb "#555555"
set bmargin 5
plot for [i=0:STATS_blocks-1] data index i using 1:2 with lines title columnheader(1)
