#!/bin/sh
# Adversarial traces: every range of the replayer's own address space (its
# stack, heap, text, vDSO, libraries, thread stacks) mapped over, protected,
# advised away and unmapped; lengths 0, 2^47 and 2^64-1; MAP_FIXED at 0; an
# initial map of more VMAs than vm.max_map_count; a million ops in one thread
# (ten million with VMATRACE_LONG_TESTS=1); 100 000 threads or processes.
# Each ends in a clear error or counted skips, in bounded memory and time,
# and the replayer never touches its own memory: it survives, and what the
# trace did shows at the relocated addresses only.
# (t0720 has the other impossible values, footprints beyond the replay area
# and more VMAs than vm.max_map_count made by the ops themselves.)
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"

[ "$(getconf PAGESIZE)" = 4096 ] || plan_skip_all "the hand-written traces have 4 KiB pages"

# measure NAME CMD...: run CMD; its exit status in $st, the largest RSS of it
# and its children in $rss (KiB) and its wall time in $secs (GNU time)
if /usr/bin/time -f '%M %e' -o /dev/null true 2>/dev/null; then
	have_time=1
else
	have_time=
fi
measure() {
	_name=$1
	shift
	if [ -n "$have_time" ]; then
		/usr/bin/time -f '%M %e' -o "$_name.time" "$@" > "$_name.out" 2> "$_name.err"
		st=$?
		# (the last line: GNU time writes "Command exited with non-zero status N" first)
		read -r rss secs <<-EOF
		$(tail -n 1 "$_name.time")
		EOF
	else
		"$@" > "$_name.out" 2> "$_name.err"
		st=$?
		rss=0 secs=0
	fi
}
# bounded NAME MAX_MIB MAX_SECONDS: the last measure stayed within both
bounded() {
	if [ -z "$have_time" ]; then
		skip "no GNU time (/usr/bin/time) to measure memory and time"
		return
	fi
	if [ "$rss" -lt $(($2 * 1024)) ] && awk "BEGIN { exit !($secs < $3) }"; then
		pass "$1: within $2 MiB and $3 s ($((rss / 1024)) MiB, $secs s)"
	else
		fail "$1: within $2 MiB and $3 s" "max RSS $((rss / 1024)) MiB, $secs s"
	fi
}
# a sanitizer's shadow (and AddressSanitizer's quarantine, up to 256 MiB) come on top
mem=256
[ "$SANITIZER" = address ] && mem=512
[ "$SANITIZER" = thread ] && mem=4096

# ---- the replayer's own address space ----
# With ASLR off (setarch -R) a replay's layout is the same in every run, so
# the trace below names exactly the stack, heap, text and vDSO of the replay
# process that replays it.
"$VMATRACE" workload merge-both --ops 102 -o mb.vmt
same=""
if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
	same="setarch $(uname -m) -R"
fi
$same "$VMATRACE" replay --no-probe -q mb.vmt -o own.json --duration 5 --threads 2 &
pid=$!
kid=$(wait_children $pid 1)
sleep 0.5
cat /proc/$kid/maps > own.maps 2>/dev/null
kill -TERM $pid
wait $pid
# every range below 2^47 and up to 64 GiB (a sanitizer's shadow is not the replayer's
# memory): mapped over PROT_NONE, made readable, advised away, unmapped; the heap
# grown by brk, a page moved onto the stack by mremap; then the stack, heap, text
# and vDSO mapped again, readable, and left so
python3 - own.maps <<'EOF' > self.txt
import sys
ranges = []
for line in open(sys.argv[1]):
    f = line.split()
    s, e = (int(x, 16) for x in f[0].split('-'))
    name = f[5] if len(f) > 5 else ''
    if e <= 1 << 47 and e - s <= 64 << 30:
        ranges.append((s, e, f[1], name))
own = [r for r in ranges
       if r[3] in ('[stack]', '[heap]', '[vdso]', '[vvar]', '[vvar_vclock]')
       or (r[2] == 'r-xp' and r[3].endswith('/vmatrace'))]
print('process P0 t=0 pid=100 ppid=1 parent=- name="self"')
print('thread T0 t=0 process=P0 tid=100 name="self"')
ops = []
for s, e, _, _ in ranges:
    n = e - s
    ops += [f'mmap(0x{s:x}, {n}, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{s:x}',
            f'mprotect(0x{s:x}, {n}, PROT_READ) = 0',
            f'madvise(0x{s:x}, {n}, MADV_DONTNEED) = 0',
            f'munmap(0x{s:x}, {n}) = 0']
# the heap grown by brk over its own range, a page moved onto the stack by mremap
heap = [r for r in own if r[3] == '[heap]']
if heap:
    ops += [f'brk(0x0) = 0x{heap[0][0]:x}', f'brk(0x{heap[0][1]:x}) = 0x{heap[0][1]:x}']
stack = [r for r in own if r[3] == '[stack]'][0]
ops += ['mmap(0x10000000, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x10000000',
        f'mremap(0x10000000, 4096, 4096, MREMAP_MAYMOVE|MREMAP_FIXED, 0x{stack[0]:x}) = 0x{stack[0]:x}']
for s, e, _, _ in own:
    ops.append(f'mmap(0x{s:x}, {e - s}, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{s:x}')
# paced over 1.5 s (--speed 1), so that the replay can be watched meanwhile
step = 1500000000 // len(ops)
for i, op in enumerate(ops):
    print(f'{1000 + i * step} 100 T0 {op}')
with open('self.expected', 'w') as out:
    for s, e, _, _ in sorted(own):
        out.write(f'0x{s:x}-0x{e:x} r--p\n')
with open('self.n', 'w') as out:
    # (the first brk only tells where the break is: the replay issues nothing for it)
    out.write(f'{len(ops) - bool(heap)} {len(ranges)} {" ".join(sorted(set(r[3] for r in own)))}\n')
EOF
trace self
read -r nops nranges names < self.n
like "$names" 'vmatrace .*\[stack\] \[vdso\]' "the replay process's map read: $nranges ranges, of them $names"
# ThreadSanitizer runs a background thread of its own in every process
tsan_threads=0
[ "$SANITIZER" = thread ] && tsan_threads=1
$same "$VMATRACE" replay --no-probe -q self.vmt -o self.json --speed 1 --layout self.lay --readers 1 \
	2> self.err &
pid=$!
kid=$(wait_children $pid 2 | tr ' ' '\n' | while read -r k; do
	[ "$(ls /proc/$k/task 2>/dev/null | wc -l)" -gt $((1 + tsan_threads)) ] && echo $k
done)
sleep 0.7
cat /proc/$kid/maps > during.maps 2>/dev/null
wait $pid
is "$?:$(cat self.err)" "0:" "the replay of them survives, and says nothing"
if [ "$SANITIZER" = thread ]; then
	skip "under ThreadSanitizer the replay area is 320 GiB (replay/replay.h): not room for every range"
else
	is "$(j self.json '[d["counts"][k] for k in ("ops", "conflicts", "outcome_mismatches")] + [d["counts"]["skipped"]["impossible"], d["counts"]["reader_errors"]]')" \
		"[$nops, 0, 0, 0, 0]" "every op replayed where it was relocated: no conflict, mismatch, skip or reader error"
fi
is "$(coalesce self.lay)" "$(coalesce self.expected)" \
	"the layout, in traced addresses: the stack, heap, text and vDSO ranges, readable"
if [ -n "$same" ]; then
	# the same process, while the trace mapped over its addresses: its own are intact
	text=$(grep -E ' r-xp .*/vmatrace$' own.maps | cut -d' ' -f1)
	is "$(grep -E ' r-xp .*/vmatrace$' during.maps | cut -d' ' -f1)" "$text" \
		"the replaying process's text is at the addresses the trace used ($text), still r-x"
	is "$(grep -E '\[(stack|vdso)\]$' during.maps | awk '{ print $1, $2, $6 }' | sed 's/^[0-9a-f]*-//')" \
		"$(grep -E '\[(stack|vdso)\]$' own.maps | awk '{ print $1, $2, $6 }' | sed 's/^[0-9a-f]*-//')" \
		"and so are its stack and vDSO, with their protections"
else
	skip "no setarch -R: the trace has the ranges of an earlier replay, not of this one" 2
fi

# ---- lengths 0, 2^47 and 2^64-1; MAP_FIXED at 0 ----
# one process each: each is relocated on its own
cat > len.txt <<'EOF'
process P0 t=0 pid=200 ppid=1 parent=- name="zero"
thread T0 t=0 process=P0 tid=200 name="zero"
process P1 t=0 pid=201 ppid=1 parent=- name="two47"
thread T1 t=0 process=P1 tid=201 name="two47"
process P2 t=0 pid=202 ppid=1 parent=- name="two64"
thread T2 t=0 process=P2 tid=202 name="two64"
process P3 t=0 pid=203 ppid=1 parent=- name="fixed0"
thread T3 t=0 process=P3 tid=203 name="fixed0"
process P4 t=0 pid=204 ppid=1 parent=- name="wipe"
thread T4 t=0 process=P4 tid=204 name="wipe"
1000 100 T0 mmap(0x7f0000000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T0 mmap(0x7f0000000000, 0, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -EINVAL
1200 100 T0 munmap(0x7f0000000000, 0) = -EINVAL
1300 100 T0 mprotect(0x7f0000000000, 0, PROT_NONE) = 0
1400 100 T0 madvise(0x7f0000000000, 0, MADV_DONTNEED) = 0
1500 100 T0 mremap(0x7f0000000000, 4096, 0, MREMAP_MAYMOVE, 0x0) = -EINVAL
1600 100 T0 mseal(0x7f0000000000, 0, 0x0) = 0
2000 100 T1 mmap(0x0, 140737488355328, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = -ENOMEM
2100 100 T1 munmap(0x0, 140737488355328) = 0
2200 100 T1 mprotect(0x0, 140737488355328, PROT_NONE) = -ENOMEM
2300 100 T1 madvise(0x0, 140737488355328, MADV_DONTNEED) = -ENOMEM
2400 100 T1 mmap(0x0, 140737488355328, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = -ENOMEM
2500 100 T1 mremap(0x7f0000000000, 4096, 140737488355328, MREMAP_MAYMOVE, 0x0) = -ENOMEM
3000 100 T2 mmap(0x7f0000000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
3100 100 T2 mmap(0x7f0000000000, 18446744073709551615, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -ENOMEM
3200 100 T2 munmap(0x7f0000000000, 18446744073709551615) = -EINVAL
3300 100 T2 mprotect(0x7f0000000000, 18446744073709551615, PROT_READ) = -ENOMEM
3400 100 T2 madvise(0x7f0000000000, 18446744073709551615, MADV_DONTNEED) = -EINVAL
3500 100 T2 mremap(0x7f0000000000, 18446744073709551615, 8192, MREMAP_MAYMOVE, 0x0) = -EINVAL
3600 100 T2 mmap(0x0, 18446744073709551615, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = -ENOMEM
3700 100 T2 mremap(0x7f0000000000, 4096, 18446744073709551615, MREMAP_MAYMOVE, 0x0) = -EINVAL
3800 100 T2 munmap(0x7f0000001000, 4096) = 0
4000 100 T3 mmap(0x0, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -EPERM
4100 100 T3 mmap(0x0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x0
4200 100 T3 mprotect(0x0, 4096, PROT_READ) = 0
4300 100 T3 munmap(0x1000, 4096) = 0
5000 100 T4 mmap(0x0, 140737488351232, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = -ENOMEM
EOF
trace len
measure len "$VMATRACE" replay --no-probe -q len.vmt -o len.json --layout len.lay
is "$st:$(cat len.err)" "0:" "lengths 0, 2^47, 2^64-1 and MAP_FIXED at 0: the replay completes"
bounded "and" "$mem" 30
p() { j len.json "[[p[k] for k in ('ops', 'conflicts', 'outcome_mismatches')] for p in d['processes'] if p['traced_pid'] == $1][0]"; }
is "$(j len.json 'd["counts"]["skipped"]')" '{"dangerous_advice": 0, "unsupported": 0, "impossible": 18, "no_exit": 0}' \
	"18 ops are impossible: 6 of length 0, 5 over 2^47, 6 of 2^64-1 bytes, 1 over all of the address space"
is "$(p 200)" "[1, 0, 0]" "length 0: every op skipped, the mapping beside them made"
is "$(cat len.lay.200)" "0x7f0000000000-0x7f0000004000 rw-p" "and nothing else changed"
is "$(p 201)" "[1, 1, 0]" "2^47: a range larger than the replay area is a conflict, its ops skipped; the kernel's choice fails again"
is "$(cat len.lay.201)" "" "and nothing is mapped (nor unmapped: the replayer lives)"
is "$(p 202)" "[3, 0, 0]" "2^64-1: skipped, but for an mremap to that length, which fails as it did"
is "$(cat len.lay.202)" "0x7f0000000000-0x7f0000001000 rw-p
0x7f0000002000-0x7f0000004000 rw-p" "and the layout is the one the trace implies"
is "$(p 203)" "[4, 0, 1]" "MAP_FIXED at 0: relocated; the mmap that failed there (EPERM) succeeds, a counted mismatch"
is "$(cat len.lay.203)" "0x0-0x1000 r--p" "page 0 of the trace is in the replay area, changed as the trace says"
# (issued unrelocated, this one replaced every mapping of the replay process, which died of it)
is "$(p 204)" "[0, 1, 0]" "MAP_FIXED at 0 over the whole address space: a conflict, skipped"

# ---- an initial map with more VMAs than vm.max_map_count ----
max=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)
if [ "$SANITIZER" = thread ]; then
	skip "under ThreadSanitizer: its runtime needs new VMAs of its own after the replay used them all" 4
elif [ "$max" -gt 0 ] && [ "$max" -le 200000 ]; then
	python3 - "$max" <<'EOF' > snap.txt
import sys
n = int(sys.argv[1]) + 5000
base = 0x7f0000000000
print('process P0 t=0 pid=100 ppid=1 parent=- name="snap"')
print('thread T0 t=0 process=P0 tid=100 name="snap"')
for i in range(n):
    print(f'map P0 0x{base + i * 4096:x}-0x{base + (i + 1) * 4096:x} {"r--p" if i % 2 else "rw-p"} 0x0 - ""')
print(f'1000 100 T0 mprotect(0x{base:x}, 4096, PROT_READ) = 0')
EOF
	trace snap
	measure snap "$VMATRACE" replay --no-probe -q snap.vmt -o snap.json --layout snap.lay --readers 1
	is "$st:$(cat snap.err)" "0:" "an initial map of $max + 5000 VMAs: the replay completes"
	bounded "and" "$mem" 60
	is "$(j snap.json '[d["counts"]["ops"], d["counts"]["conflicts"] >= 5000, d["counts"]["reader_errors"]]')" "[1, true, 0]" \
		"the snapshot's lines past the limit are counted conflicts ($(j snap.json 'd["counts"]["conflicts"]')), the op replayed"
	n=$(wc -l < snap.lay)
	[ "$n" -gt $((max - 1000)) ] && [ "$n" -le "$max" ] && pass "the layout stops at the limit ($n VMAs)" ||
		fail "the layout stops at the limit" "$n VMAs, limit $max"
else
	skip "vm.max_map_count is $max: too large to reach in a test" 4
fi

# ---- millions of ops in one thread: bounded memory ----
if [ "${VMATRACE_LONG_TESTS:-0}" = 1 ]; then
	nops=10000000 limit=1200
else
	nops=1000000 limit=120
fi
"$VMATRACE" workload merge-both --ops $nops -o big.vmt
measure big "$VMATRACE" replay --no-probe -q big.vmt -o big.json
is "$st:$(cat big.err)" "0:" "$nops ops in one thread: the replay completes"
bounded "and streams the trace" "$mem" $limit
is "$(j big.json '[d["counts"]["ops"] + d["counts"]["setup_ops"], d["processes"][0]["threads"], d["counts"]["outcome_mismatches"]]')" \
	"[$nops, 1, 0]" "every op, in one replay thread, as the trace says"

# ---- 100 000 threads or processes ----
python3 - <<'EOF'
n = 100000
base = 0x7f0000000000
with open('threads.txt', 'w') as f:
    print('process P0 t=0 pid=100 ppid=1 parent=- name="threads"', file=f)
    for i in range(n):
        print(f'thread T{i} t={i} process=P0 tid={100 + i} name="t{i}"', file=f)
    for i in range(n):
        print(f'{n + i * 10} 5 T{i} mmap(0x{base + i * 4096:x}, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{base + i * 4096:x}', file=f)
with open('idle.txt', 'w') as f:
    print('process P0 t=0 pid=100 ppid=1 parent=- name="idle"', file=f)
    for i in range(n):
        print(f'thread T{i} t={i} process=P0 tid={100 + i} name="t{i}"', file=f)
    print(f'{n} 5 T7 mmap(0x{base:x}, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{base:x}', file=f)
    print(f'{n + 10} 5 T99999 munmap(0x{base:x}, 4096) = 0', file=f)
with open('procs.txt', 'w') as f:
    for i in range(n):
        print(f'process P{i} t={i} pid={1000 + i} ppid=1 parent=- name="p{i}"', file=f)
        print(f'thread T{i} t={i} process=P{i} tid={1000 + i} name="p{i}"', file=f)
    for i in range(n):
        print(f'{n + i * 10} 5 T{i} mmap(0x{base:x}, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{base:x}', file=f)
EOF
trace threads
trace idle
trace procs
measure th "$VMATRACE" replay --no-probe -q threads.vmt -o th.json
is "$st" 1 "100 000 threads with ops: exit 1"
like "$(cat th.err)" "^vmatrace: error: threads.vmt: 100000 threads to replay, more than 4096; fold them onto fewer with --threads N" \
	"a clear error, with the way out"
bounded "at once, in bounded memory" "$mem" 20
[ -e th.json ] && fail "and no results" || pass "and no results"
measure th4 "$VMATRACE" replay --no-probe -q threads.vmt -o th4.json --threads 4
is "$st:$(cat th4.err)" "0:" "folded with --threads 4: the replay runs"
bounded "folded" "$mem" 60
is "$(j th4.json '[d["counts"]["ops"], d["processes"][0]["threads"], d["counts"]["outcome_mismatches"], d["meta"]["trace"]["threads"]]')" \
	"[100000, 4, 0, 100000]" "every op of the 100 000 threads, on 4 replay threads"
measure idle "$VMATRACE" replay --no-probe -q idle.vmt -o idle.json
is "$st:$(j idle.json '[d["counts"]["ops"], d["processes"][0]["threads"]]')" "0:[2, 2]" \
	"100 000 threads, two of them with ops: two replay threads"
bounded "idle threads cost nothing" "$mem" 20
measure pr "$VMATRACE" replay --no-probe -q procs.vmt -o pr.json
is "$st" 1 "100 000 processes with ops: exit 1"
like "$(cat pr.err)" "^vmatrace: error: procs.vmt: 100000 processes to replay, more than 1024 at once; choose one with --pid" \
	"a clear error, with the way out"
bounded "at once, in bounded memory" "$mem" 20
measure pr1 "$VMATRACE" replay --no-probe -q procs.vmt -o pr1.json --pid 51234
is "$st:$(j pr1.json '[len(d["processes"]), d["processes"][0]["traced_pid"], d["counts"]["ops"], d["counts"]["outcome_mismatches"]]')" \
	"0:[1, 51234, 1, 0]" "--pid picks one of them, which replays"
bounded "picked" "$mem" 20
# ---- population: an 8 GiB mapping made with MAP_POPULATE|MAP_LOCKED and an
# 8 GiB MADV_POPULATE_WRITE, from a machine with more memory than this one ----
cat > populate.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="populate"
thread T0 t=0 process=P0 tid=100 name="populate"
1000 100 T0 mmap(0x7f0000000000, 8589934592, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_POPULATE|MAP_LOCKED, -1, 0x0) = 0x7f0000000000
2000 100 T0 mmap(0x7f1000000000, 8589934592, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f1000000000
3000 100 T0 madvise(0x7f1000000000, 8589934592, MADV_POPULATE_WRITE) = 0
4000 100 T0 mmap(0x7f2000000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_POPULATE, -1, 0x0) = 0x7f2000000000
EOF
trace populate
measure pop "$VMATRACE" replay --no-probe -q populate.vmt -o pop.json
is "$st:$(j pop.json '[d["counts"][k] for k in ("ops", "bounded_population", "outcome_mismatches", "conflicts")]')" "0:[4, 2, 0, 0]" \
	"16 GiB to populate: both bounded and counted, the small MAP_POPULATE kept; every outcome as traced"
bounded "populated at most 1 GiB of each" $((mem + 2048 + 256)) 30
done_testing
