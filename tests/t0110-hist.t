#!/bin/sh
# The latency histogram (tests/unit-hist.c).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-hist"
