#!/bin/sh
# The trace reader and writer (tests/unit-trace.c).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-trace"
