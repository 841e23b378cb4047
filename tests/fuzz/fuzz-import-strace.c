// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-import-strace.c - libFuzzer target: vmatrace import --from strace
 */
#define FUZZ_FORMAT "strace"
#include "import-body.h"
