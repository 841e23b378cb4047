#!/bin/sh
# vmatrace replay --layout: after the replay, the relocated VMAs (given back
# in traced addresses) are the layout the trace implies.
#
#   every seed scenario, ending after whole cycles and inside a cycle: the
#     scenario table's layout (tests/replay-layout.c scenario)
#   all-scenarios and merge-both --threads 4, replayed in as many threads,
#     folded, and spread: the same
#   mapper: the kernel's own layout for the same ops issued one by one
#     (replay-layout direct), and the pages and protections of a page model
#     (replay-layout model)
#   hand-written traces: brk emulation, file-backed merges, mremap, the
#     initial snapshot (with --loop) and exec
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"

# same FILE-A FILE-B NAME: the two layouts are identical (and not empty)
same() {
	if [ -s "$1" ] && cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3" "$1 ($(wc -l < "$1") lines) and $2 ($(wc -l < "$2") lines) differ:" \
			"$(diff "$1" "$2" | head -8 | tr '\n' '|')"
	fi
}

# clean FILE NAME: the replay in FILE had no conflict, mismatch or skip
clean() {
	is "$(j "$1" '[d["counts"][k] for k in ("conflicts", "outcome_mismatches")] + [sum(d["counts"]["skipped"].values())]')" \
		"[0, 0, 0]" "$2: no conflict, mismatch or skipped op"
}

# ---- the ten scenarios: 102 and 103 ops end after whole cycles for one
# kind of setup (one or two ops) and inside a cycle for the other ----
for w in merge-both merge-left-full merge-left-partial merge-right-full merge-right-partial \
	new-merge-both new-merge-left new-merge-right split-new-below split-new-above; do
	for n in 102 103; do
		"$VMATRACE" workload "$w" --ops $n -o "$w.$n.vmt"
		"$LAYOUT" scenario "$w.$n.vmt" > "$w.$n.want"
		replay "$w.$n.vmt" -o "$w.$n.json" --layout "$w.$n.lay"
		same "$w.$n.lay" "$w.$n.want" "$w, $n ops: the layout of the scenario table ($(tr '\n' ' ' < "$w.$n.want"))"
	done
	cmp -s "$w.102.want" "$w.103.want" && fail "$w: whole and partial cycles end in different layouts" ||
		pass "$w: whole and partial cycles end in different layouts"
	clean "$w.103.json" "$w"
done

# ---- several threads: all-scenarios (ten threads) and merge-both --threads 4 ----
"$VMATRACE" workload all-scenarios --ops 2003 -o all.vmt
"$LAYOUT" scenario all.vmt > all.want
is "$(sed 's/.....-.*//' all.want | sort -u | wc -l)" 10 "all-scenarios: ten windows expected"
for t in 0 4 1 16; do
	replay all.vmt -o all.$t.json --layout all.$t.lay --threads $t
	same all.$t.lay all.want "all-scenarios --threads $t: every window has its scenario's layout"
	clean all.$t.json "all-scenarios --threads $t"
done
is "$(j all.0.json 'd["processes"][0]["threads"]')" 10 "one replay thread per traced thread by default"
is "$(j all.4.json 'd["processes"][0]["threads"]')" 4 "--threads 4: four"
"$VMATRACE" workload merge-both --threads 4 --ops 403 -o mb4.vmt
"$LAYOUT" scenario mb4.vmt > mb4.want
for t in 0 2; do
	replay mb4.vmt -o mb4.$t.json --layout mb4.$t.lay --threads $t
	same mb4.$t.lay mb4.want "merge-both --threads 4, replayed with --threads $t"
	clean mb4.$t.json "merge-both --threads 4, --threads $t"
done
# a layout that repeats: --loop starts each pass from the start state
replay all.vmt -o loop.json --layout loop.lay --loop 3 --threads 4
same loop.lay all.want "all-scenarios --loop 3 --threads 4: the same final layout"
clean loop.json "all-scenarios --loop 3"

# ---- mapper: the kernel's own layout and the page model ----
for t in 1 2; do
	"$VMATRACE" workload mapper --threads $t --ops 20000 -o map$t.vmt
	if "$LAYOUT" direct map$t.vmt > map$t.direct 2> map$t.err; then
		pass "mapper --threads $t: issued directly, every op returns what the trace says"
	else
		fail "mapper --threads $t: issued directly, every op returns what the trace says" "$(cat map$t.err)"
	fi
	"$LAYOUT" model map$t.vmt > map$t.model
	n=$(wc -l < map$t.direct)
	[ "$n" -gt $((1000 * t)) ] && pass "mapper --threads $t: $n VMAs" || fail "mapper --threads $t: more than $((1000 * t)) VMAs" "$n"
	for rt in 0 1; do
		replay map$t.vmt -o map$t.$rt.json --layout map$t.$rt.lay --threads $rt
		same map$t.$rt.lay map$t.direct "mapper --threads $t replayed with --threads $rt: the kernel's layout for those ops"
		coalesce map$t.$rt.lay > map$t.$rt.coal
		same map$t.$rt.coal map$t.model "mapper --threads $t replayed with --threads $rt: the model's pages and protections"
		clean map$t.$rt.json "mapper --threads $t, --threads $rt"
	done
done
# the model is not the kernel: anon_vmas keep some equal neighbours apart
if [ "$(wc -l < map1.model)" -lt "$(wc -l < map1.direct)" ]; then
	pass "mapper: some adjacent VMAs of equal protection stay apart (different anon_vma)"
else
	skip "mapper: every run of pages is one VMA on this kernel"
fi

# ---- hand-written traces (4 KiB pages) ----
if [ "$(getconf PAGESIZE)" != 4096 ]; then
	skip "the hand-written traces have 4 KiB pages" 1
	done_testing
	exit
fi
cat > brk.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="heap"
thread T0 t=0 process=P0 tid=100 name="heap"
1000 100 T0 brk(0x0) = 0x555555559000
1100 100 T0 brk(0x55555557a000) = 0x55555557a000
1200 100 T0 brk(0x55555559b000) = 0x55555559b000
1300 100 T0 brk(0x555555580800) = 0x555555580800
1400 100 T0 brk(0x555555580900) = 0x555555580900
1500 100 T0 mmap(0x0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000010000
EOF
trace brk
replay brk.vmt -o brk.json --layout brk.lay
is "$(cat brk.lay)" "0x555555559000-0x555555581000 rw-p
0x7f0000010000-0x7f0000012000 rw-p" "brk: the heap grows and merges left, shrinks to the page of the break"
clean brk.json brk
is "$(j brk.json '[(o["op"], o["count"]) for o in d["ops"]]')" '[["mmap", 1], ["brk", 3], ["all", 4]]' \
	"brk: the three calls that moved the break over a page boundary are replayed"

cat > files.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="files"
thread T0 t=0 process=P0 tid=100 name="files"
file F0 dev=0x803 ino=1 size=16384 flags=0 path="/usr/lib/liba.so"
file F1 dev=0x803 ino=2 size=16384 flags=0 path="/usr/lib/libb.so"
1000 100 T0 mmap(0x7f0000000000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3<F0>, 0x0) = 0x7f0000000000
1100 100 T0 mmap(0x7f0000002000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3<F0>, 0x2000) = 0x7f0000002000
1200 100 T0 mmap(0x7f0000004000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3<F0>, 0x0) = 0x7f0000004000
1300 100 T0 mmap(0x7f0000006000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 4<F1>, 0x2000) = 0x7f0000006000
1400 100 T0 mmap(0x7f0000008000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 4<F1>, 0x4000) = 0x7f0000008000
1500 100 T0 mmap(0x0, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3<F0>, 0x40000) = 0x7f0000100000
1600 100 T0 mmap(0x7f0000102000, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, 3<F0>, 0x42000) = 0x7f0000102000
1700 100 T0 mmap(0x7f0000200000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED, 5, 0x0) = 0x7f0000200000
EOF
trace files
replay files.vmt -o files.json --layout files.lay
is "$(cat files.lay)" "0x7f0000000000-0x7f0000004000 r--p
0x7f0000004000-0x7f0000006000 r--p
0x7f0000006000-0x7f000000a000 r--p
0x7f0000100000-0x7f0000103000 rw-s
0x7f0000200000-0x7f0000201000 r--p" \
	"files: stand-ins merge where the file and offsets continue, not elsewhere; shared beyond the traced size"
clean files.json files

cat > mremap.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="mremap"
thread T0 t=0 process=P0 tid=100 name="mremap"
1000 100 T0 mmap(0x7f0000100000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000100000
1100 100 T0 mremap(0x7f0000100000, 16384, 32768, 0, 0x0) = 0x7f0000100000
1200 100 T0 mmap(0x7f0000200000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000200000
1300 100 T0 mremap(0x7f0000200000, 8192, 16384, MREMAP_MAYMOVE, 0x0) = 0x7f0000300000
1400 100 T0 mmap(0x0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000304000
1500 100 T0 mremap(0x7f0000100000, 8192, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f0000400000) = 0x7f0000400000
1600 100 T0 mremap(0x7f0000500000, 4096, 8192, MREMAP_MAYMOVE, 0x0) = -EFAULT
EOF
trace mremap
replay mremap.vmt -o mremap.json --layout mremap.lay
"$LAYOUT" direct mremap.vmt > mremap.direct
same mremap.lay mremap.direct "mremap: the kernel's layout for the same calls"
is "$(coalesce mremap.lay)" "0x7f0000102000-0x7f0000108000 rw-p
0x7f0000300000-0x7f0000306000 rw-p
0x7f0000400000-0x7f0000402000 rw-p" \
	"mremap: grown in place, moved where the kernel moved it (next to a new neighbour), moved to a fixed place"
clean mremap.json mremap

# the initial snapshot is rebuilt before every pass
cat > snap.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="snap"
thread T0 t=0 process=P0 tid=100 name="snap"
map P0 0x7f0000000000-0x7f0000004000 rw-p 0x0 - ""
map P0 0x7f0000010000-0x7f0000011000 r--p 0x0 - ""
map P0 0xffffffffff600000-0xffffffffff601000 --xp 0x0 - "[vsyscall]"
1000 100 T0 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
2000 100 T0 mprotect(0x7f0000001000, 4096, PROT_READ|PROT_WRITE) = 0
3000 100 T0 mprotect(0x7f0000003000, 4096, PROT_READ) = 0
4000 100 T0 mprotect(0x7f0000010000, 4096, PROT_NONE) = 0
EOF
trace snap
for l in 1 3; do
	replay snap.vmt -o snap$l.json --layout snap$l.lay --loop $l
	is "$(cat snap$l.lay)" "0x7f0000000000-0x7f0000003000 rw-p
0x7f0000003000-0x7f0000004000 r--p
0x7f0000010000-0x7f0000011000 ---p" "snapshot, --loop $l: the snapshot's VMAs, changed by the ops"
	clean snap$l.json "snapshot, --loop $l"
done
is "$(j snap3.json '[d["counts"]["ops"], d["counts"]["loops"]]')" "[12, 3]" "--loop 3: every op of every pass"

# exec empties the address space: a mapping made before it is gone, its place free again
cat > exec.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="exec"
thread T0 t=0 process=P0 tid=100 name="exec"
1000 100 T0 mmap(0x7f0000000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T0 mmap(0x7f0000008000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000008000
exec T0 t=2000 "/bin/true"
3000 100 T0 mmap(0x7f0000000000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
3100 100 T0 mprotect(0x7f0000008000, 4096, PROT_NONE) = -ENOMEM
EOF
trace exec
replay exec.vmt -o exec.json --layout exec.lay
is "$(cat exec.lay)" "0x7f0000000000-0x7f0000002000 r--p" "exec: only what was mapped after it"
clean exec.json exec
is "$(j exec.json 'd["processes"][0]["execs"]')" 1 "processes[].execs counts it"
# memory the trace uses but never mapped (mapped at exec, inherited at fork, or
# hidden by lost events) is mapped first, once, when an op succeeded on it
cat > infer.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="infer"
thread T0 t=0 process=P0 tid=100 name="infer"
1000 100 T0 mmap(0x7f0000004000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000004000
1100 100 T0 mprotect(0x7f0000000000, 16384, PROT_READ) = 0
1200 100 T0 mprotect(0x7f0000010000, 4096, PROT_READ) = -ENOMEM
1300 100 T0 madvise(0x7f0000020000, 8192, MADV_DONTNEED) = 0
1400 100 T0 mprotect(0x7f0000020000, 4096, PROT_NONE) = 0
1500 100 T0 munmap(0x7f0000030000, 4096) = -EINVAL
EOF
trace infer
replay infer.vmt -o infer.json --layout infer.lay
is "$(cat infer.lay)" "0x7f0000000000-0x7f0000006000 r--p
0x7f0000020000-0x7f0000021000 ---p
0x7f0000021000-0x7f0000022000 rw-p" \
	"inferred: the unmapped part of a successful mprotect and madvise is mapped first; a failed op maps nothing"
is "$(j infer.json '[d["counts"][k] for k in ("inferred_mappings", "setup_ops", "ops", "conflicts", "outcome_mismatches")]')" \
	"[2, 0, 6, 0, 1]" "inferred: two mappings, counted apart from the ops; one real mismatch"
is "$(j infer.json 'd["processes"][0]["mismatch_examples"]')" \
	'[{"t": 500, "tid": 100, "op": "munmap", "traced": "-EINVAL", "replayed": "0"}]' \
	"mismatch_examples names the op: its time in the trace, thread, kind, traced and replayed outcome"
is "$(j exec.json '"mismatch_examples" in d["processes"][0]')" "false" "no mismatch_examples without a mismatch"

# mseal: a sealed range cannot be unmapped, so a pass cannot reset it for the next
cat > seal.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="seal"
thread T0 t=0 process=P0 tid=100 name="seal"
1000 100 T0 mmap(0x7f0000000000, 16384, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T0 mseal(0x7f0000000000, 16384, 0x0) = 0
EOF
trace seal
replay seal.vmt -o seal1.json --layout seal1.lay
if [ "$(j seal1.json 'd["counts"]["outcome_mismatches"]')" != 0 ]; then
	skip "this kernel has no mseal (6.10+)" 3
else
	is "$(cat seal1.lay)" "0x7f0000000000-0x7f0000004000 r--p" "mseal: replayed"
	replay seal.vmt -o seal3.json --loop 3
	todo_is "$(j seal3.json '[d["counts"][k] for k in ("ops", "conflicts", "outcome_mismatches")]')" "[6, 0, 0]" \
		"mseal --loop 3: every pass starts from an empty range" \
		"reset_clusters() cannot unmap a sealed range; passes 2 and 3 meet EEXIST (engine.c)"
	is "$(j seal3.json 'd["counts"]["ops"]')" 6 "mseal --loop 3: every op is issued"
fi
done_testing
