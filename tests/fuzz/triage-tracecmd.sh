#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# triage-tracecmd.sh ARTIFACT...: where each input fuzz-import-tracecmd
# collected (-ignore_crashes) goes wrong, and what vmatrace makes of it.
#
# For each input: the first stack frame that is not ASan's or libFuzzer's own
# (from build-fuzz/fuzz-import-tracecmd run on it in-process: the first in a
# library or in a source file of ours), its module (libtraceevent,
# libtracecmd, or vmatrace), and the exit status and first line of
# './vmatrace import --from tracecmd' on it.  The last line counts the inputs
# whose fault is in vmatrace's own code, and those on which vmatrace did not
# end cleanly (a trace, exit 0, or an error, exit 1): both should be 0.
top=$(cd "$(dirname "$0")/../.." && pwd)
fuzz=$top/build-fuzz/fuzz-import-tracecmd
vmt=$top/vmatrace
ours=0 unclean=0 n=0
for f in "$@"; do
	n=$((n + 1))
	frame=$(ASAN_OPTIONS=allocator_may_return_null=1:replace_str=0 \
		LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp \
		"$fuzz" -malloc_limit_mb=16384 "$f" 2>&1 |
		grep -E '^ +#[0-9]+ ' | grep -E '\.so|\.c:[0-9]+' | head -n 1)
	case $frame in
	*libtraceevent.so*) where=libtraceevent ;;
	*libtracecmd.so*) where=libtracecmd ;;
	"") where="no fault in-process" ;;
	*) where=vmatrace; ours=$((ours + 1)) ;;
	esac
	out=$("$vmt" import --from tracecmd "$f" -o /dev/null 2>&1)
	st=$?
	# clean: imported (0), or one error line (1); never a crash
	case $st:$out in
	0:*) ;;
	1:*"error: "*) ;;
	*) unclean=$((unclean + 1)) ;;
	esac
	echo "$(basename "$f"): $where; vmatrace exit $st: $(echo "$out" | grep -m1 -E 'error|imported' || echo "$out" | head -n 1)"
done
echo "$n inputs: $ours with the fault in vmatrace's code, $unclean on which vmatrace did not end cleanly"
