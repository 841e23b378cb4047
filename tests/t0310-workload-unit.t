#!/bin/sh
# The scenario table, the generated traces and the verifier (tests/unit-workload.c).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-workload"
