#!/bin/sh
# The reader loop (tests/unit-readers.c): every reader kind against live,
# dying and dead target processes.
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-readers"
