#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The mmap_lock statistics (tests/unit-lockstat.c): a writer and a reader
# traced through a private tracefs instance as root, and the refusal without
# root (run as nobody through setpriv).
exec "${TESTBIN:-$(dirname "$0")/../build/tests}/unit-lockstat"
