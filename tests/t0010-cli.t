#!/bin/sh
# The vmatrace program: help, version, dispatch, usage errors, dump/convert and
# what every command does with a damaged or truncated trace.
. "$(dirname "$0")/lib.sh"
DATA=$TESTDIR/data

check "vmatrace --help" "$VMATRACE" --help
like "$(cat "$T_TMP/out")" "^   dump " "--help lists the subcommands"
check "vmatrace --version" "$VMATRACE" --version
like "$(cat "$T_TMP/out")" "^vmatrace [0-9]" "--version prints the version"
check_fail 2 "no command is a usage error" "$VMATRACE"
check_fail 2 "an unknown command exits 2" "$VMATRACE" frobnicate
like "$(cat "$T_TMP/err")" "^vmatrace: error: unknown command 'frobnicate'" "and says so in one line"
is "$(wc -l < "$T_TMP/err")" 1 "the error is one line"
check_fail 2 "an unknown global option exits 2" "$VMATRACE" --frob
for cmd in dump convert info workload; do
	check "vmatrace $cmd --help" "$VMATRACE" $cmd --help
	like "$(cat "$T_TMP/out")" "^usage: vmatrace $cmd" "$cmd --help prints its usage"
	check_fail 2 "vmatrace $cmd --bogus exits 2" "$VMATRACE" $cmd --bogus
done

# text -> binary -> text -> binary is the identity
check "convert a hand-written trace" "$VMATRACE" convert "$DATA/small.txt" -o a.vmt
check "dump it" "$VMATRACE" dump a.vmt -o a.txt
"$VMATRACE" dump a.vmt | "$VMATRACE" convert - -o b.vmt
check "dump | convert gives the identical file" cmp a.vmt b.vmt
grep -v '^#' "$DATA/small.txt" > want.txt
grep -v '^#' a.txt > got.txt
check "the dump of a canonical text trace is that text" diff -u want.txt got.txt
check "the loose hand-written form converts too" "$VMATRACE" convert "$DATA/handwritten.txt" -o c.vmt
check "to the same trace" cmp a.vmt c.vmt

# convert: errors name the file and line; an existing output survives
printf 'keep me\n' > keep.vmt
sed 's/munmap(/munmapp(/' "$DATA/small.txt" > bad.txt
check_fail 1 "an unknown op is an error" "$VMATRACE" convert bad.txt -o keep.vmt
like "$(cat "$T_TMP/err")" "^vmatrace: error: bad.txt: line 10: unknown operation 'munmapp'" "which names the file and line"
is "$(cat keep.vmt)" "keep me" "the existing output is untouched"
sed 's/^3100 10 T0/3100 10 T7/' "$DATA/small.txt" > bad2.txt
check_fail 1 "an undefined thread is an error" "$VMATRACE" convert bad2.txt -o keep.vmt
like "$(cat "$T_TMP/err")" "bad2.txt: line 13: thread: T7 is not defined" "naming the line"
sed 's/^3300 10 T0/1 10 T0/' "$DATA/small.txt" > bad3.txt
check_fail 1 "time going backwards is an error" "$VMATRACE" convert bad3.txt -o keep.vmt
like "$(cat "$T_TMP/err")" "bad3.txt: line 15: .*time order" "naming the line"
is "$(cat keep.vmt)" "keep me" "the existing output is still untouched"
ls keep.vmt.tmp.* >/dev/null 2>&1 && fail "no temporary file is left behind" || pass "no temporary file is left behind"

# every truncation of a trace is a clean error for every reading command
size=$(wc -c < a.vmt)
bad=0
n=0
while [ "$n" -lt "$size" ]; do
	head -c "$n" a.vmt > cut.vmt
	for cmd in dump info; do
		"$VMATRACE" $cmd cut.vmt >/dev/null 2>err.txt
		rc=$?
		if [ "$rc" != 1 ] || ! grep -Eq "^vmatrace: error: cut.vmt: offset [0-9]+: " err.txt || [ "$(wc -l < err.txt)" != 1 ]; then
			[ "$bad" -lt 3 ] && echo "# $cmd at $n bytes: exit $rc: $(cat err.txt)"
			bad=$((bad + 1))
		fi
	done
	n=$((n + 1))
done
is "$bad" 0 "dump and info refuse all $size truncations with 'error: FILE: offset N: ...' and exit 1"
check_fail 1 "a missing file is an error" "$VMATRACE" info nosuch.vmt
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot open 'nosuch.vmt': No such file" "saying why"
printf 'not a trace at all' > junk.vmt
check_fail 1 "a file that is not a trace is an error" "$VMATRACE" dump junk.vmt
like "$(cat "$T_TMP/err")" "junk.vmt: offset 0: not a vmatrace trace" "naming the offset"
done_testing
