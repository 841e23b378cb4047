// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-import-tracecmd.c - libFuzzer target: vmatrace import --from tracecmd
 */
#define FUZZ_FORMAT "tracecmd"
#include "import-body.h"
