#!/bin/sh
# vmatrace workload: the list, usage errors, the traces of every workload
# (op counts, threads, limits, determinism, round trip) and --verify against
# the running kernel.
. "$(dirname "$0")/lib.sh"

# counts FILE: "mmap munmap mprotect threads" of a trace, from info --json
counts() {
	"$VMATRACE" info --json "$1" | perl -MJSON::PP -0777 -ne '
		my $j = decode_json($_);
		print join(" ", @{$j->{ops}}{qw(mmap munmap mprotect)}, $j->{threads}), "\n"'
}

# --list and --help
check "workload --list" "$VMATRACE" workload --list
list=$(cat "$T_TMP/out")
is "$(printf '%s\n' "$list" | wc -l)" 15 "--list prints one line per workload"
for w in merge-both merge-left-full merge-left-partial merge-right-full merge-right-partial \
	new-merge-both new-merge-left new-merge-right split-new-below split-new-above \
	selftest-split selftest-resize selftest-remap mapper all-scenarios; do
	like "$list" "^  $w +[a-z]" "--list names $w"
done
check "workload --list merge-both" "$VMATRACE" workload --list merge-both
like "$(cat "$T_TMP/out")" '\|-------\*\*\*\*\*\*\*\*-------\|' "it shows the seed email's diagram"
like "$(cat "$T_TMP/out")" 'start +\[0,2\)rw- \[2,4\)r-- \[4,6\)rw-' "and the start layout"
like "$(cat "$T_TMP/out")" '1\. mprotect \[2,4\) rw- +merge-both +-> \[0,6\)rw-' "and the cycle"
check "workload --list all" "$VMATRACE" workload --list all
is "$(grep -c '^  cycle' "$T_TMP/out")" 13 "--list all describes the ten scenarios and the three selftest patterns"
check "workload --help" "$VMATRACE" workload --help
like "$(cat "$T_TMP/out")" "^usage: vmatrace workload NAME" "--help prints the usage"
like "$(cat "$T_TMP/out")" "^  split-new-above " "and the workloads"

# usage errors: one line, exit 2, nothing written
bad() {
	what=$1; shift
	check_fail 2 "$what exits 2" "$VMATRACE" workload "$@"
	if [ "$(wc -l < "$T_TMP/err")" = 1 ] && grep -q "^vmatrace: error: " "$T_TMP/err"; then
		pass "$what: a one-line error"
	else
		fail "$what: a one-line error" "stderr: $(cat "$T_TMP/err")"
	fi
}
bad "an unknown workload" merge-sideways -o x.vmt
like "$(cat "$T_TMP/err")" "unknown workload 'merge-sideways'" "naming it"
bad "an unknown option" merge-both --frobnicate -o x.vmt
like "$(cat "$T_TMP/err")" "unknown option '--frobnicate'" "naming it"
bad "an unknown short option" -lq
bad "--ops with --duration" mapper --ops 10 --duration 1 -o x.vmt
bad "--threads 0" mapper --threads 0 -o x.vmt
bad "--threads 1025" mapper --threads 1025 -o x.vmt
bad "--ops 0" mapper --ops 0 -o x.vmt
bad "--ops abc" mapper --ops abc -o x.vmt
bad "--duration 0" mapper --duration 0 -o x.vmt
bad "--duration soon" mapper --duration soon -o x.vmt
bad "--seed -1" mapper --seed -1 -o x.vmt
bad "no -o" mapper
bad "-o without a file" mapper -o
bad "no workload" -o x.vmt
bad "two workloads" mapper merge-both -o x.vmt
bad "--verify of mapper" --verify mapper
bad "--verify of nothing" --verify
bad "--verify with -o" --verify all -o x.vmt
bad "--method without --verify" mapper --method maps -o x.vmt
bad "--method bogus" --verify --method bogus all
bad "--list of an unknown name" --list nosuch
[ -e x.vmt ] && fail "no trace is written after a usage error" || pass "no trace is written after a usage error"

# every scenario: the setup ops, then the cycle; 102 ops in all
# (expected counts from the table: mmaps, munmaps, mprotects)
while read -r w want; do
	check "$w --ops 102" "$VMATRACE" workload "$w" --ops 102 -o "$w.vmt"
	is "$(counts "$w.vmt")" "$want 1" "$w: mmap munmap mprotect threads"
done <<EOF
merge-both 1 0 101
merge-left-full 1 0 101
merge-left-partial 1 0 101
merge-right-full 1 0 101
merge-right-partial 1 0 101
new-merge-both 52 50 0
new-merge-left 52 50 0
new-merge-right 52 50 0
split-new-below 1 0 101
split-new-above 1 0 101
EOF
check "all-scenarios" "$VMATRACE" workload all-scenarios --ops 1000 -o all.vmt
is "$(counts all.vmt | cut -d' ' -f4)" 10 "all-scenarios: ten threads"
is "$(counts all.vmt | awk '{print $1 + $2 + $3}')" 1000 "all-scenarios: 1000 ops"
"$VMATRACE" dump all.vmt | grep '^thread' | sed 's/.*name="\(.*\)"/\1/' > names.txt
is "$(tr '\n' ' ' < names.txt)" "merge-both merge-left-full merge-left-partial merge-right-full merge-right-partial new-merge-both new-merge-left new-merge-right split-new-below split-new-above " \
	"all-scenarios: one thread per scenario, named after it"
check "merge-both --threads 4" "$VMATRACE" workload merge-both --threads 4 --ops 400 -o t4.vmt
is "$(counts t4.vmt)" "4 0 396 4" "four threads, each with its own setup"
check "all-scenarios --threads 2" "$VMATRACE" workload all-scenarios --threads 2 --ops 100 -o a2.vmt
is "$(counts a2.vmt | cut -d' ' -f4)" 20 "all-scenarios --threads 2: twenty threads"

# the mapper: the region, then a coin per op
check "mapper --ops 1001" "$VMATRACE" workload mapper --ops 1001 -o m.vmt
set -- $(counts m.vmt)
[ $(($1 + $2)) = 1001 ] && [ "$1" -gt 400 ] && [ "$2" -gt 400 ] && pass "mapper: maps and unmaps, half and half ($1/$2)" ||
	fail "mapper: maps and unmaps, half and half" "got $*"
"$VMATRACE" dump m.vmt > m.txt
like "$(head -1 m.txt)" 'source="workload:mapper" .*clock=synthetic .*cmdline="vmatrace workload mapper --threads 1 --ops 1001 --seed 1"' \
	"the header names the workload, the synthetic clock and the command line"
like "$(grep -m1 ' T0 mmap' m.txt)" 'mmap\(0x4000000000, 134217728, PROT_WRITE, MAP_PRIVATE\|MAP_FIXED\|MAP_ANONYMOUS\|MAP_POPULATE, -1, 0x0\) = 0x4000000000' \
	"the region is mapped first, 128 MiB, populated"
like "$(sed -n 5p m.txt)" ' (mmap\(0x40[0-9a-f]+, 4096, PROT_WRITE, MAP_PRIVATE\|MAP_FIXED\|MAP_ANONYMOUS\|MAP_POPULATE, -1, 0x0\) = 0x|munmap\(0x40[0-9a-f]+, 4096\) = 0$)' \
	"then single pages"

# --duration is trace time
check "mapper --duration 1" "$VMATRACE" workload mapper --duration 1 -o d.vmt
dur=$("$VMATRACE" info --json d.vmt | perl -MJSON::PP -0777 -ne 'print decode_json($_)->{duration_ns}')
[ "$dur" -gt 900000000 ] && [ "$dur" -lt 1000000000 ] && pass "--duration 1: the ops span just under 1 s ($dur ns)" ||
	fail "--duration 1: the ops span just under 1 s" "duration_ns $dur"
"$VMATRACE" dump d.vmt | "$VMATRACE" convert - -o d2.vmt
check "dump | convert gives the identical mapper trace" cmp d.vmt d2.vmt

# the same options, the same bytes; another seed, another trace
"$VMATRACE" workload mapper --seed 7 --ops 5000 -o s7a.vmt
"$VMATRACE" workload mapper --seed 7 --ops 5000 -o s7b.vmt
"$VMATRACE" workload mapper --seed 8 --ops 5000 -o s8.vmt
check "mapper: the same seed gives the identical trace" cmp s7a.vmt s7b.vmt
check_fail 1 "mapper: another seed gives another trace" cmp -s s7a.vmt s8.vmt
"$VMATRACE" workload all-scenarios --seed 3 --ops 2000 -o a3a.vmt
"$VMATRACE" workload all-scenarios --seed 3 --ops 2000 -o a3b.vmt
"$VMATRACE" workload all-scenarios --seed 4 --ops 2000 -o a4.vmt
check "all-scenarios: the same seed gives the identical trace" cmp a3a.vmt a3b.vmt
check_fail 1 "all-scenarios: another seed gives another trace" cmp -s a3a.vmt a4.vmt

# --verify against the running kernel
check "--verify all passes on this kernel" "$VMATRACE" workload --verify all
cp "$T_TMP/out" verify.txt
is "$(grep -c ' PASS$' verify.txt)" 50 "50 steps PASS"
is "$(grep -c ' FAIL$' verify.txt)" 0 "none FAILs"
like "$(head -1 verify.txt)" "^# method: (procmap_query|maps);" "it says how it read the VMAs"
like "$(grep '^merge-both  *1.1 ' verify.txt)" 'mprotect \[2,4\) rw- +merge-both +\[0,6\)rw- +\[0,6\)rw- +PASS' \
	"merge-both turns prev, middle and next into one VMA"
like "$(grep '^split-new-below  *1.1 ' verify.txt)" '\[0,2\)rw- \[2,4\)r-- +\[0,2\)rw- \[2,4\)r-- +PASS' \
	"split-new-below splits the VMA in two at addr"
check "--verify --method maps all passes too" "$VMATRACE" workload --verify --method maps all
like "$(head -1 "$T_TMP/out")" "^# method: maps;" "reading /proc/self/maps"
if grep -q '^# method: procmap_query' verify.txt; then
	check "--verify --method procmap_query all" "$VMATRACE" workload --verify --method procmap_query all
else
	skip "this kernel has no PROCMAP_QUERY ioctl"
fi
check "--verify of two scenarios" "$VMATRACE" workload --verify new-merge-left split-new-above
is "$(grep -c ' PASS$' "$T_TMP/out")" 10 "five steps each"
done_testing
