#!/bin/sh
# The VMA walk: PROCMAP_QUERY and /proc/PID/maps (tests/unit-procmap.c).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-procmap"
