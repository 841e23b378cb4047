# SPDX-License-Identifier: GPL-2.0-only
# tests/lib-import.sh - helpers of the capture tests (t06*.t), sourced after lib.sh
#
#   kinds TRACE TID         "mmap=1 munmap=2 ... failed=1" of one thread: the kinds
#                           with ops, in the format's order, then the failures
#   normops TRACE           every thread's ops, addresses replaced by their order of
#                           appearance in the process: "p0 t1 mmap(A3, 4096, ...) = A3"
#   jget TRACE KEY          a top-level number or string of 'vmatrace info --json'
#   prog_table              what tests/import-prog.c does in each thread (see there)
#   prog_check NAME TRACE OUT   check a capture of import-prog against that table;
#                           OUT is the program's "pid P threads TA TB child C" line
#   tracefs_dir             the tracefs mount point, mounting it if needed; empty if none

PROG=$TESTBIN/import-prog
TRACEFS=

# lib.sh removes $T_TMP at exit; also remove any tracefs instance a capture
# interrupted here left behind
cleanup_instances() {
	[ -n "$TRACEFS" ] || return 0
	for d in "$TRACEFS"/instances/vmatrace-test-$$-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}
trap 'cleanup_instances; rm -rf "$T_TMP"' EXIT
trap 'exit 130' INT TERM

kinds() {
	"$VMATRACE" dump "$1" | perl -ne '
		BEGIN { $want = shift; @k = qw(mmap munmap mprotect pkey_mprotect mremap brk madvise
			process_madvise mseal other); }
		$tid{$1} = $2 if /^thread T(\d+) .* tid=(\d+) /;
		if (/^\d+ (?:\d+|-) T(\d+) (\w+?)(?:#\d+)?\(.*\) = (\S+)$/ && $tid{$1} == $want) {
			my ($kind, $ret) = ($2, $3);
			$kind = "other" unless grep { $_ eq $kind } @k;
			$n{$kind}++;
			$failed++ if $ret =~ /^-(E[A-Z0-9]+|\d+)$/;
		}
		END { print join(" ", (map { "$_=$n{$_}" } grep { $n{$_} } @k), "failed=" . ($failed // 0)), "\n"; }
	' "$2"
}

normops() {
	"$VMATRACE" dump "$1" | perl -ne '
		# threads are numbered in their process by their first op, processes by theirs
		if (/^thread T(\d+) .* process=P(\d+) tid=(\d+) /) { $proc{$1} = $2; next; }
		next unless /^\d+ (?:\d+|-) T(\d+) (\w+)(?:#\d+)?\((.*)\) = (\S+)$/;
		my ($t, $kind, $args, $ret) = ($1, $2, $3, $4);
		my $p = $proc{$t};
		$pn{$p} //= $np++;
		$tn{$t} //= $nt{$p}++;
		my @a = split /, /, $args;
		# strace leaves mremap'\''s new_addr out unless MREMAP_FIXED: compare what both have
		splice(@a, 4) if $kind eq "mremap" && $a[3] !~ /MREMAP_FIXED/;
		for (@a, $ret) {
			if (/^\d+<F\d+>$/) { $_ = "fd"; next; }
			$_ = "-1" if $_ eq "4294967295";
			if (/^0x([0-9a-f]+)$/ && hex($1) >= 0x10000) {
				$addr{$p}{$_} //= "A" . $na{$p}++;
				$_ = $addr{$p}{$_};
			}
		}
		push @{$ops{"p$pn{$p} t$tn{$t}"}}, "$kind(" . join(", ", @a) . ") = $ret";
		END {
			for my $k (sort keys %ops) { print "$k $_\n" for @{$ops{$k}}; }
		}
	'
}

jget() {
	"$VMATRACE" info --json "$1" | KEY=$2 perl -MJSON::PP -0777 -ne '
		my $j = decode_json($_); print $j->{$ENV{KEY}} // "", "\n";'
}

# The calls of each actor of tests/import-prog.c (its main thread also runs
# the dynamic loader, so only its own failures and mappings are checked).
PROG_A="mmap=1 munmap=2 mprotect=2 madvise=1 failed=1"
PROG_B="mmap=1 munmap=1 pkey_mprotect=1 mremap=1 failed=0"
PROG_CHILD="mmap=1 munmap=1 mprotect=1 failed=0"

prog_check() {
	name=$1 trace=$2
	set -- $3
	pid=$2 ta=$4 tb=$5 child=$7
	is "$(kinds "$trace" "$ta")" "$PROG_A" "$name: thread A's ops"
	is "$(kinds "$trace" "$tb")" "$PROG_B" "$name: thread B's ops"
	is "$(kinds "$trace" "$child")" "$PROG_CHILD" "$name: the child's ops"
	like "$(kinds "$trace" "$pid")" "mremap=1 brk=[0-9]+ madvise=1 failed=3$" "$name: the main thread's ops"
	is "$(jget "$trace" processes) $(jget "$trace" threads)" "2 4" "$name: 2 processes, 4 threads"
	"$VMATRACE" dump "$trace" > "$T_TMP/prog.txt"
	if grep -q "^process P1 .* pid=$child ppid=$pid parent=P0 " "$T_TMP/prog.txt"; then
		pass "$name: the child is a process of its own, child of the program"
	else
		fail "$name: the child is a process of its own, child of the program" \
			"$(grep '^process' "$T_TMP/prog.txt")"
	fi
	like "$(grep -c ' mmap(0x0, 12288, PROT_READ, MAP_SHARED, [0-9]*<F[0-9]*>, 0x0) = 0x' "$T_TMP/prog.txt")" \
		"^1$" "$name: the file mapping names its file"
}

tracefs_dir() {
	for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		if [ -d "$d/instances" ]; then echo "$d"; return; fi
	done
	if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ] &&
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && [ -d /sys/kernel/tracing/instances ]; then
		echo /sys/kernel/tracing
	fi
}

# ftrace_capture MODE OUTPUT: run import-prog in a private tracefs instance
# (never the global buffer) with the events of MODE (named, raw or both, plus
# task_newtask and sched_process_exec/exit), following it and its children
# with set_event_pid and event-fork.  OUTPUT.txt gets the text of the
# instance's trace, OUTPUT.cpuN.raw each CPU's raw buffer when MODE ends in
# "-raw", OUTPUT.out the program's output.  The instance is removed at the end.
ftrace_capture() {
	mode=$1 out=$2
	inst=vmatrace-test-$$-$mode
	dir=$TRACEFS/instances/$inst
	mkdir "$dir" || return 1
	(
		set -e
		echo 1 > "$dir/options/event-fork"
		mkfifo "$T_TMP/go.$mode"
		# the shell opens the fifo before exec: the program starts once tracing is on
		"$PROG" --wait "$T_TMP" < "$T_TMP/go.$mode" > "$out.out" &
		p=$!
		echo "$p" > "$dir/set_event_pid"
		case $mode in raw*) ;; *)
			for e in mmap munmap mprotect pkey_mprotect mremap brk madvise; do
				echo 1 > "$dir/events/syscalls/sys_enter_$e/enable"
				echo 1 > "$dir/events/syscalls/sys_exit_$e/enable"
			done ;;
		esac
		case $mode in named*) ;; *) echo 1 > "$dir/events/raw_syscalls/enable" ;; esac
		echo 1 > "$dir/events/task/task_newtask/enable"
		echo 1 > "$dir/events/sched/sched_process_exec/enable"
		echo 1 > "$dir/events/sched/sched_process_exit/enable"
		echo go > "$T_TMP/go.$mode"
		wait "$p"
		echo 0 > "$dir/tracing_on"
		cat "$dir/trace" > "$out.txt"
		case $mode in *-raw)
			for c in $(ls "$dir/per_cpu" | sed 's/cpu//' | sort -n); do
				# nonblocking: dd stops at the end of the buffer instead of waiting
				dd if="$dir/per_cpu/cpu$c/trace_pipe_raw" of="$out.cpu$c.raw" bs=4096 \
					iflag=nonblock 2>/dev/null || true
			done ;;
		esac
	)
	rc=$?
	rm -f "$T_TMP/go.$mode"
	rmdir "$dir" || rc=1
	return $rc
}

# make_tracedat OUT CPUFILE...: a trace.dat from raw per-CPU buffers, made by
# 'trace-cmd restore' (trace-cmd record and extract need the global buffer or
# /proc/sys/kernel/ftrace_enabled, which this must not touch).  restore reads
# the event formats from tracefs and saves and restores kptr_restrict while it
# reads kallsyms: it runs in a mount namespace of its own where that file is a
# scratch copy, so the machine's setting is never written.
make_tracedat() {
	out=$1
	shift
	cp /proc/sys/kernel/kptr_restrict "$T_TMP/kptr_restrict" && : > "$T_TMP/kallsyms" &&
	unshare -m sh -c '
		mount --bind "$1/kptr_restrict" /proc/sys/kernel/kptr_restrict || exit 1
		out=$2
		shift 2
		trace-cmd restore -c -k "$T_TMP/kallsyms" -o "$out.head" &&
		trace-cmd restore -i "$out.head" -o "$out" "$@"' sh "$T_TMP" "$out" "$@" \
		> "$T_TMP/restore.log" 2>&1
}
