#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make-tracecmd-seed.sh OUT.dat: a small trace.dat for fuzz-import-tracecmd.
#
# tests/import-prog (build/tests/import-prog) runs in a private tracefs
# instance with the syscall events of the memory ops, task_newtask and
# sched_process_exec/exit; its per-CPU raw buffers become a trace.dat by
# 'trace-cmd restore', as in tests/lib-import.sh (make_tracedat).  Unlike
# there, restore sees a tracefs of only those events: in a mount namespace of
# its own, a scratch directory with their formats (and the header files,
# printk_formats and saved_cmdlines) is mounted over the tracefs mount, so the
# file holds a few dozen event formats instead of every event of the kernel,
# and a fuzzer's mutations reach the records instead of spending themselves
# on megabytes of formats.  Root, tracefs and trace-cmd needed; nothing of
# the machine's tracefs state is changed but the instance, removed at the end.
set -eu
out=${1:?usage: make-tracecmd-seed.sh OUT.dat}
top=$(cd "$(dirname "$0")/../.." && pwd)
prog=$top/build/tests/import-prog
T=/sys/kernel/tracing
[ -x "$prog" ] || { echo "make-tracecmd-seed.sh: build $prog first (make)" >&2; exit 1; }
[ -d "$T/instances" ] || { echo "make-tracecmd-seed.sh: no tracefs at $T" >&2; exit 1; }
tmp=$(mktemp -d)
inst=$T/instances/vmatrace-seed-$$
trap 'rmdir "$inst" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir "$inst"
events="syscalls/sys_enter_mmap syscalls/sys_exit_mmap syscalls/sys_enter_munmap syscalls/sys_exit_munmap
	syscalls/sys_enter_mprotect syscalls/sys_exit_mprotect syscalls/sys_enter_pkey_mprotect
	syscalls/sys_exit_pkey_mprotect syscalls/sys_enter_mremap syscalls/sys_exit_mremap
	syscalls/sys_enter_brk syscalls/sys_exit_brk syscalls/sys_enter_madvise syscalls/sys_exit_madvise
	raw_syscalls/sys_enter raw_syscalls/sys_exit
	task/task_newtask sched/sched_process_exec sched/sched_process_exit"
echo 1 > "$inst/options/event-fork"
mkfifo "$tmp/go"
"$prog" --wait "$tmp" < "$tmp/go" > "$tmp/prog.out" &
p=$!
echo "$p" > "$inst/set_event_pid"
for e in $events; do
	echo 1 > "$inst/events/$e/enable"
done
echo go > "$tmp/go"
wait "$p"
echo 0 > "$inst/tracing_on"
for c in $(ls "$inst/per_cpu" | sed 's/cpu//' | sort -n); do
	dd if="$inst/per_cpu/cpu$c/trace_pipe_raw" of="$tmp/cpu$c.raw" bs=4096 iflag=nonblock 2>/dev/null || true
	# restore wants one file per CPU, in order, even an empty one
done
# the scratch tracefs: only these events
mkdir -p "$tmp/fs/events"
cp "$T/events/header_page" "$T/events/header_event" "$tmp/fs/events/"
for e in $events; do
	mkdir -p "$tmp/fs/events/$e"
	cp "$T/events/$e/format" "$tmp/fs/events/$e/format"
	[ -e "$T/events/$e/id" ] && cp "$T/events/$e/id" "$tmp/fs/events/$e/id"
done
# restore also wants the formats of the ftrace "system" (function, print, ...)
for f in "$T"/events/ftrace/*/format; do
	e=${f#"$T/events/"}
	mkdir -p "$tmp/fs/events/${e%/format}"
	cp "$f" "$tmp/fs/events/$e"
done
cp "$T/printk_formats" "$tmp/fs/"
# the command names of the program's tasks only, not every task the machine ran
pids=$(sed 's/[^0-9 ]//g' "$tmp/prog.out")
for q in $pids; do
	grep "^$q " "$T/saved_cmdlines" || true
done > "$tmp/fs/saved_cmdlines"
: > "$tmp/fs/available_events"
for e in $events; do echo "$e" | tr / : >> "$tmp/fs/available_events"; done
cp /proc/sys/kernel/kptr_restrict "$tmp/kptr_restrict"
: > "$tmp/kallsyms"
unshare -m sh -c '
	tmp=$1 T=$2
	mount --make-rprivate / &&
	mount --bind "$tmp/kptr_restrict" /proc/sys/kernel/kptr_restrict &&
	mount --bind "$tmp/fs" "$T" || exit 1
	trace-cmd restore -c -k "$tmp/kallsyms" -o "$tmp/head.dat" &&
	trace-cmd restore -i "$tmp/head.dat" -o "$tmp/seed.dat" $(ls "$tmp"/cpu*.raw | sort -V)' \
	sh "$tmp" "$T" > "$tmp/restore.log" 2>&1 || { cat "$tmp/restore.log" >&2; exit 1; }
mv "$tmp/seed.dat" "$out"
echo "make-tracecmd-seed.sh: $out, $(wc -c < "$out") bytes; import-prog said: $(cat "$tmp/prog.out")"
