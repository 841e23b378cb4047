#!/bin/sh
# The tearing check on synthetic snapshots (tests/unit-tearing.c).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-tearing"
