#!/bin/sh
# vmatrace replay: processes and threads, resource ordering between threads,
# outcomes compared with the trace, skipped ops, and bad input that must end
# in a clear error or a counted skip, never in a crash.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"
[ "$(getconf PAGESIZE)" = 4096 ] || plan_skip_all "the hand-written traces have 4 KiB pages"

# ---- two processes, five threads ----
cat > mp.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="alpha"
thread T0 t=0 process=P0 tid=100 name="alpha"
thread T1 t=0 process=P0 tid=101 name="alpha-1"
thread T2 t=0 process=P0 tid=102 name="alpha-2"
process P1 t=0 pid=200 ppid=1 parent=- name="beta"
thread T3 t=0 process=P1 tid=200 name="beta"
thread T4 t=0 process=P1 tid=201 name="beta-1"
process P2 t=0 pid=300 ppid=1 parent=- name="idle"
thread T5 t=0 process=P2 tid=300 name="idle"
1000 100 T0 mmap(0x7f0000000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T3 mmap(0x7f0000000000, 32768, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1200 100 T1 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
1300 100 T2 mprotect(0x7f0000003000, 4096, PROT_NONE) = 0
1400 100 T4 mprotect(0x7f0000002000, 8192, PROT_READ|PROT_WRITE) = 0
1500 100 T0 munmap(0x7f000000c000, 16384) = 0
1600 100 T3 munmap(0x7f0000007000, 4096) = 0
EOF
trace mp
A='0x7f0000000000-0x7f0000001000 rw-p
0x7f0000001000-0x7f0000002000 r--p
0x7f0000002000-0x7f0000003000 rw-p
0x7f0000003000-0x7f0000004000 ---p
0x7f0000004000-0x7f000000c000 rw-p'
B='0x7f0000000000-0x7f0000002000 r--p
0x7f0000002000-0x7f0000004000 rw-p
0x7f0000004000-0x7f0000007000 r--p'
check "two processes" replay mp.vmt -o mp.json --layout mp.lay
is "$(j mp.json '[(p["traced_pid"], p["name"], p["threads"], p["ops"]) for p in d["processes"]]')" \
	'[[100, "alpha", 3, 4], [200, "beta", 2, 3]]' \
	"processes: one per traced process with ops, its threads, its ops counted"
is "$(j mp.json 'd["counts"]["ops"]')" 7 "counts.ops adds them up"
is "$(j mp.json 'len(set(p["pid"] for p in d["processes"]))')" 2 "each replayed by a process of its own"
is "$(cat mp.lay.100)" "$A" "--layout FILE.100: process 100's layout, in its own address space"
is "$(cat mp.lay.200)" "$B" "--layout FILE.200: process 200's, the same addresses"
[ -e mp.lay ] && fail "no FILE without a pid" || pass "no FILE without a pid"
check "--pid 200" replay mp.vmt -o p200.json --pid 200 --layout p200.lay
is "$(j p200.json '[(p["traced_pid"], p["ops"]) for p in d["processes"]] + [d["counts"]["ops"]]')" '[[200, 3], 3]' \
	"--pid 200: that process only"
is "$(cat p200.lay)" "$B" "--pid 200 --layout FILE: its layout in FILE"
check_fail 1 "--pid 999 exits 1" replay mp.vmt -o p999.json --pid 999
like "$(cat "$T_TMP/err")" "^vmatrace: error: mp.vmt: no process with pid 999 in the trace" "naming the pid"
for t in 1 2 4; do
	check "--threads $t" replay mp.vmt -o t$t.json --threads $t --layout t$t.lay
	is "$(j t$t.json '[p["threads"] for p in d["processes"]]')" "[$t, $t]" "--threads $t: $t replay threads in each process"
	is "$(cat t$t.lay.100; cat t$t.lay.200)" "$A
$B" "--threads $t: the same layouts"
done

# ---- resource ordering: three threads take turns on eight regions ----
# round r, region g (64 KiB each): thread (r+g)%3 maps it with MAP_FIXED_NOREPLACE
# (fails if still mapped), the next thread mprotects two pages inside it and
# drops it with MADV_DONTNEED (fail if unmapped), the third unmaps it.  Rounds
# interleave the regions, so every op waits for another thread's op.
# ordering.py ORDER: ORDER is the order of the steps in each round
cat > ordering.py <<'EOF'
import sys
order = sys.argv[1]
print('process P0 t=0 pid=100 ppid=1 parent=- name="order"')
for k in range(3):
    print(f'thread T{k} t=0 process=P0 tid={100 + k} name="t{k}"')
t = 1000
base = 0x7f0000000000
for r in range(400):
    for step in order:
        for g in range(8):
            a = base + g * 0x10000
            th = (r + g + "mpdu".index(step)) % 3
            t += 100
            if step == "m":
                op = f"mmap(0x{a:x}, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0x0) = 0x{a:x}"
            elif step == "p":
                op = f"mprotect(0x{a + 0x4000:x}, 8192, PROT_READ) = 0"
            elif step == "d":
                op = f"madvise(0x{a:x}, 65536, MADV_DONTNEED) = 0"
            else:
                op = f"munmap(0x{a:x}, 65536) = 0"
            print(f"{t} 50 T{th} {op}")
EOF
python3 ordering.py mpdu > order.txt && trace order
python3 ordering.py pmdu > disorder.txt && trace disorder
bad=""
for i in 1 2 3 4 5; do
	replay order.vmt -o order$i.json --loop 4 || bad="$bad exit:$?"
	bad="$bad$(j order$i.json '"" if d["counts"]["ops"] == 4 * 12800 and d["counts"]["conflicts"] == d["counts"]["outcome_mismatches"] == 0 else " run:%d ops, %d conflicts, %d mismatches" % (d["counts"]["ops"], d["counts"]["conflicts"], d["counts"]["outcome_mismatches"])')"
done
is "$bad" "" "ordering: 5 runs x 4 loops x 12800 ops in 3 threads, every op sees what it saw in the trace"
check "ordering: with --threads 2" replay order.vmt -o order-t2.json --threads 2
is "$(j order-t2.json '[d["counts"]["conflicts"], d["counts"]["outcome_mismatches"]]')" "[0, 0]" "folded: still in order"
# the counter-test: each mprotect comes before its mmap in the trace, which says it
# succeeded; ordering keeps it before, so each one finds its range unmapped, has it
# mapped first (an inferred mapping), and the mmap that follows finds its place taken
# (a conflict) and the madvise after it a part unmapped (a mismatch), in every pass
replay disorder.vmt -o disorder.json --loop 2
is "$(j disorder.json '[d["counts"][k] for k in ("inferred_mappings", "conflicts", "outcome_mismatches")]')" "[6400, 6400, 6400]" \
	"counter-test: an mprotect ordered before the mmap it needs precedes it every time (2 x 3200)"
is "$(j order1.json 'd["counts"]["inferred_mappings"]')" 0 "in order: nothing inferred"

# ---- outcomes ----
# (MADV_HWPOISON and MADV_SOFT_OFFLINE name a range that is never mapped: were they
# ever issued, as root, the kernel would find no page to poison)
cat > outcome.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="outcome"
thread T0 t=0 process=P0 tid=100 name="outcome"
thread T1 t=0 process=P0 tid=101 name="outcome-1"
1000 100 T0 mmap(0x7f0000000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T0 mprotect(0x7f0000100000, 4096, PROT_READ) = -ENOMEM
1200 100 T0 munmap(0x7f0000000800, 4096) = -EINVAL
1300 100 T0 mmap(0x7f0000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0x0) = -EEXIST
1400 100 T0 mprotect(0x7f0000000000, 4096, 0x10000000) = -EINVAL
1500 100 T1 madvise(0x7f0000400000, 4096, MADV_HWPOISON) = 0
1600 100 T1 madvise(0x7f0000400000, 4096, MADV_SOFT_OFFLINE) = 0
1700 100 T1 madvise(0x7f0000003000, 4096, MADV_DONTNEED) = 0
1800 100 T1 membarrier#324(0x0, 0x0) = 0
1900 100 T1 process_madvise(3, 0x7ffc00000000, 1, MADV_COLD, 0x0) = 4096
2000 - T0 munmap(0x7f0000004000, 4096) = ?
2100 - T1 mprotect(0x7f0000005000, 4096, PROT_READ) = ?
2200 100 T0 mprotect(0x7f0000001000, 4096, 0x10000000) = 0
2300 100 T0 mprotect(0x7f0000008000, 4096, PROT_READ) = -ENOMEM
2400 100 T0 mprotect(0x7f0000300000, 4096, PROT_READ) = -EINVAL
2500 100 T0 mmap(0x0, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = -ENOMEM
EOF
trace outcome
check "outcomes" replay outcome.vmt -o outcome.json --layout outcome.lay
is "$(j outcome.json '[d["counts"][k] for k in ("ops", "conflicts", "outcome_mismatches")]')" "[10, 0, 4]" \
	"failures that fail again match; success claimed for a failure, failure for a success, another errno, a failed mmap that succeeds: 4 mismatches"
is "$(j outcome.json 'd["counts"]["skipped"]')" '{"dangerous_advice": 2, "unsupported": 2, "impossible": 0, "no_exit": 2}' \
	"HWPOISON and SOFT_OFFLINE, other and process_madvise, ops without exit: skipped and counted"
is "$(cat outcome.lay)" "0x7f0000000000-0x7f0000008000 rw-p
0x7f0000008000-0x7f0000009000 r--p
0x7f0000009000-0x7f0000010000 rw-p" "the layout: only what succeeded changed it (the kernel-chosen mmap is undone)"
if command -v strace >/dev/null 2>&1; then
	# a file per thread (-ff): no call split in two by another thread's (a sanitizer's runtime
	# makes many); LeakSanitizer cannot work under ptrace, and says so unless told not to run
	ASAN_OPTIONS=detect_leaks=0 strace -f -ff -qq -e trace=madvise -o strace.txt \
		"$VMATRACE" replay --no-probe -q outcome.vmt -o st.json
	like "$(cat strace.txt.*)" "madvise\\(0x[0-9a-f]+, 4096, MADV_DONTNEED\\) = 0" "strace sees the replayed MADV_DONTNEED"
	if cat strace.txt.* | grep -Eq 'MADV_HWPOISON|MADV_SOFT_OFFLINE|, 10[01]\)'; then
		fail "MADV_HWPOISON and MADV_SOFT_OFFLINE are never issued" "$(cat strace.txt.* | grep -E 'HWPOISON|SOFT_OFFLINE|10[01]\)')"
	else
		pass "MADV_HWPOISON and MADV_SOFT_OFFLINE are never issued"
	fi
else
	skip "no strace: cannot watch the madvise calls" 2
fi

# ---- bad input: counted, never a crash, never outside the replay's ranges ----
cat > impossible.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="impossible"
thread T0 t=0 process=P0 tid=100 name="impossible"
1000 100 T0 mmap(0x7f0000000000, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
1100 100 T0 mmap(0x7f0000100000, 0, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -EINVAL
1200 100 T0 munmap(0x7f0000000000, 0) = -EINVAL
1300 100 T0 mprotect(0x7f0000000000, 0, PROT_READ) = 0
1400 100 T0 munmap(0x7f0000000000, 0xfffffffffffff000) = -EINVAL
1500 100 T0 mprotect(0x7f0000000000, 0x1000000000000000, PROT_READ) = -ENOMEM
1600 100 T0 mmap(0xffff800000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -ENOMEM
1700 100 T0 munmap(0xffff888000000000, 4096) = -EINVAL
1800 100 T0 mprotect(0xffffffffff600000, 4096, PROT_READ) = -ENOMEM
1900 100 T0 madvise(0xffff888000000000, 4096, MADV_DONTNEED) = -EINVAL
2000 100 T0 mremap(0x7f0000000000, 4096, 0xfffffffffffff000, MREMAP_MAYMOVE, 0x0) = -EINVAL
2100 100 T0 mremap(0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0xffff800000000000) = -EINVAL
2200 100 T0 mmap(0xfffffffffffff000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -EINVAL
2300 100 T0 munmap(0xfffffffffffff000, 8192) = -EINVAL
2400 100 T0 mmap(0x7f0000200000, 0xffffffffffff0000, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = -ENOMEM
2500 100 T0 brk(0x0) = 0x555555559000
2600 100 T0 brk(0xffff800000000000) = 0xffff800000000000
2700 100 T0 brk(0x0) = -ENOMEM
2800 100 T0 frobnicate#999(0x1, 0x2) = -ENOSYS
2900 100 T0 mmap(0x0, 0xfffffffffffff000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = -ENOMEM
3000 100 T0 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
EOF
trace impossible
check "impossible values: the replay completes" replay impossible.vmt -o impossible.json --layout impossible.lay
is "$(j impossible.json 'd["counts"]["skipped"]')" '{"dangerous_advice": 0, "unsupported": 1, "impossible": 16, "no_exit": 0}' \
	"length 0, beyond the address space, the kernel half, a brk that cannot be: 16 impossible; an unknown op: unsupported"
is "$(j impossible.json '[d["counts"][k] for k in ("ops", "conflicts", "outcome_mismatches")]')" "[3, 0, 0]" \
	"the possible ops are replayed"
is "$(cat impossible.lay)" "0x7f0000000000-0x7f0000001000 rw-p
0x7f0000001000-0x7f0000002000 r--p
0x7f0000002000-0x7f0000004000 rw-p" "and leave their layout"

# ranges the replay cannot place: the replayer's own memory is never the target
cat > huge.txt <<'EOF'
process P0 t=0 pid=100 ppid=1 parent=- name="huge"
thread T0 t=0 process=P0 tid=100 name="huge"
1000 100 T0 munmap(0x1000, 0x7fffffffe000) = 0
1100 100 T0 mprotect(0x400000, 0x7ffff7000000, PROT_NONE) = 0
1200 100 T0 mmap(0x10000, 0x7fff00000000, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x10000
1300 100 T0 mmap(0x7f0000000000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
EOF
trace huge
check "a footprint larger than the replay area: the replay completes" replay huge.vmt -o huge.json --layout huge.lay
is "$(j huge.json '[d["counts"]["conflicts"], d["counts"]["skipped"]["impossible"], d["counts"]["ops"], d["processes"][0]["clusters_placed"]]')" \
	"[1, 4, 0, 0]" "the one cluster that spans it all is a conflict; every op in it is skipped"
is "$(cat huge.lay)" "" "nothing was mapped"
# tens of thousands of pieces: more clusters than the replay area holds
python3 - <<'EOF' > many.txt
print('process P0 t=0 pid=100 ppid=1 parent=- name="many"')
print('thread T0 t=0 process=P0 tid=100 name="many"')
for i in range(60000):
    a = 0x100000000 + i * 0x2000
    print(f'{1000 + i * 100} 50 T0 mmap(0x{a:x}, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{a:x}')
EOF
trace many
check "60000 separate pieces: the replay completes" replay many.vmt -o many.json
is "$(j many.json 'd["counts"]["conflicts"] == d["counts"]["skipped"]["impossible"] == 60000 - d["processes"][0]["clusters_placed"] > 0 and d["counts"]["ops"] == d["processes"][0]["clusters_placed"]')" \
	"true" "the pieces that do not fit are conflicts, their ops skipped; the others replayed"

# more VMAs than vm.max_map_count
max=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)
if [ "$SANITIZER" = thread ]; then
	# (its allocator dies, out of memory, when the replay process has no VMA left for it)
	skip "under ThreadSanitizer: its runtime needs new VMAs of its own after the replay used them all" 3
elif [ "$max" -gt 0 ] && [ "$max" -le 200000 ]; then
	python3 - "$max" <<'EOF' > mmc.txt
import sys
n = int(sys.argv[1]) + 5000
base = 0x7f0000000000
print('process P0 t=0 pid=100 ppid=1 parent=- name="maxmap"')
print('thread T0 t=0 process=P0 tid=100 name="maxmap"')
print('thread T1 t=0 process=P0 tid=101 name="maxmap-1"')
print(f'1000 100 T0 mmap(0x{base:x}, {2 * n * 4096}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x{base:x}')
for i in range(n):
    print(f'{2000 + i * 100} 50 T{i % 2} mprotect(0x{base + (2 * i + 1) * 4096:x}, 4096, PROT_READ) = 0')
EOF
	trace mmc
	check "more VMAs than vm.max_map_count ($max): the replay completes" replay mmc.vmt -o mmc.json --readers 1 --layout mmc.lay
	is "$(j mmc.json 'd["counts"]["outcome_mismatches"] > 2000 and d["counts"]["ops"] == '"$max"' + 5001 and "error" not in d["processes"][0]')" \
		"true" "the mprotects that would pass the limit fail and are counted as mismatches"
	n=$(wc -l < mmc.lay)
	[ "$n" -gt $((max - 1000)) ] && [ "$n" -le "$max" ] && pass "the layout stops at the limit ($n VMAs)" ||
		fail "the layout stops at the limit" "$n VMAs, limit $max"
else
	skip "vm.max_map_count is $max: too large to reach in a test" 3
fi
done_testing
