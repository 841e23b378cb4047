#!/bin/sh
# The range map (tests/unit-rangemap.c).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-rangemap"
