#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# bench/reader-pass.sh - the reader's overhead (issue 3): one pass of
# vmatrace's reader_loop against a bare open/read/close loop over the same
# /proc/PID/{maps,smaps,smaps_rollup} of a target with a few hundred VMAs,
# in the same run, interleaved, medians of several rounds.
#
#   bench/reader-pass.sh [reader-pass options]   (run from anywhere in the tree)
#
# Target: a reader pass costs <= 1.05x the bare loop.  Defaults: 300 VMAs,
# 9 rounds of 0.2 s each way, 64 KiB reads, the loops on the last CPU and
# the target on CPU 0.  See build/bench/reader-pass --help.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s all build/bench/reader-pass >/dev/null
echo "== vmatrace reader pass benchmark: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "   command: build/bench/reader-pass $*"
exec "$top/build/bench/reader-pass" "$@"
