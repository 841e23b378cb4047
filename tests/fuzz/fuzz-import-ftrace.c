// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-import-ftrace.c - libFuzzer target: vmatrace import --from ftrace
 */
#define FUZZ_FORMAT "ftrace"
#include "import-body.h"
