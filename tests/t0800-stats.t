#!/bin/sh
# The analysis statistics (tests/unit-stats.c): percentiles of known
# histograms, damaged results files, bootstrap coverage, configurations.
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-stats"
