#!/bin/sh
# Output files appear complete or not at all (lib/afile.c): every writer —
# the trace writer (convert, workload, import, record), dump -o, replay's
# results and --layout, report and compare — killed mid-write, out of space
# or facing a read-only directory leaves an existing file as it was and no
# temporary or partial file beside it; a complete file replaces it in one step.
. "$(dirname "$0")/lib.sh"

OUT=$T_TMP/dest
mkdir "$OUT"
"$VMATRACE" workload merge-both --ops 300000 -o big.vmt
"$VMATRACE" dump -o big.txt big.vmt
"$VMATRACE" workload merge-both --ops 102 -o mb.vmt
printf 'old\n' > old

# writing PID MIN: wait (up to 10 s) until PID writes a file in $OUT and it has MIN bytes
writing() {
	for _ in $(seq 200); do
		for fd in /proc/$1/fd/*; do
			case $(readlink "$fd" 2>/dev/null) in
			"$OUT"/*) [ "$(stat -L -c %s "$fd" 2>/dev/null || echo 0)" -ge "$2" ] && return 0 ;;
			esac
		done
		sleep 0.05
	done
	return 1
}
# kill_writing PID BYTES NAME ERRFILE: SIGKILL PID once it has written BYTES, a test
kill_writing() {
	if writing "$1" "$2"; then
		kill -KILL "$1"
		wait "$1" 2>/dev/null
		pass "$3"
	else
		kill -KILL "$1"
		wait "$1" 2>/dev/null
		fail "$3" "it wrote nothing in 10 s: $(cat "$4")"
	fi
}
# intact NAME FILE: FILE still holds "old", and is all there is in $OUT
intact() {
	is "$(cat "$OUT/$2"):$(ls -A "$OUT" | tr '\n' ' ')" "old:$2 " "$1: the old $2 is intact, nothing beside it"
	rm -f "$OUT/$2"
}

# ---- killed mid-write ----
# fed through a FIFO that stays open, the writer is sure to be mid-way when killed
mkfifo in.fifo
# (a background job of a script ignores SIGINT: env gives convert the default back, as a terminal would)
dflt=""
env --default-signal=INT true 2>/dev/null && dflt="env --default-signal=INT"
for sig in KILL TERM INT; do
	if [ $sig = INT ] && [ -z "$dflt" ]; then
		skip "no env --default-signal to undo the SIGINT a background job ignores" 2
		continue
	fi
	cp old "$OUT/conv.vmt"
	$dflt "$VMATRACE" convert in.fifo -o "$OUT/conv.vmt" 2> conv.err &
	pid=$!
	exec 3> in.fifo
	cat big.txt >&3
	if writing $pid 1048576; then
		kill -$sig $pid
		wait $pid 2>/dev/null
		st=$?
		case $sig in KILL) num=9 ;; TERM) num=15 ;; INT) num=2 ;; esac
		is "$st" $((128 + num)) "convert killed by SIG$sig while it writes"
	else
		kill -KILL $pid
		wait $pid 2>/dev/null
		fail "convert killed by SIG$sig while it writes" "it wrote nothing in 10 s: $(cat conv.err)"
	fi
	exec 3>&-
	intact "convert, SIG$sig" conv.vmt
done

cp old "$OUT/dump.txt"
"$VMATRACE" dump -o "$OUT/dump.txt" in.fifo 2> dump.err &
pid=$!
exec 3> in.fifo
head -c $(($(wc -c < big.vmt) - 1000)) big.vmt >&3
kill_writing $pid 1048576 "dump -o killed while it writes" dump.err
exec 3>&-
intact "dump -o, SIGKILL" dump.txt

cp old "$OUT/wl.vmt"
"$VMATRACE" workload merge-both --ops 50000000 -o "$OUT/wl.vmt" 2> wl.err &
pid=$!
kill_writing $pid 4194304 "workload killed while it writes" wl.err
intact "workload, SIGKILL" wl.vmt

# ---- failures ----
# a damaged trace: dump -o leaves the old file (it used to be truncated at the start)
head -c 100000 big.vmt > cut.vmt
cp old "$OUT/dump.txt"
check_fail 1 "dump -o of a cut trace fails" "$VMATRACE" dump -o "$OUT/dump.txt" cut.vmt
like "$(cat "$T_TMP/err")" "^vmatrace: error: cut.vmt: " "naming the trace"
intact "dump -o of a cut trace" dump.txt

# ---- complete files replace old ones whole ----
for w in convert dump; do
	cp old "$OUT/new"
	ino0=$(stat -c %i "$OUT/new")
	if [ $w = convert ]; then
		"$VMATRACE" convert big.txt -o "$OUT/new"
		check "convert over an existing file: the new trace is complete" cmp "$OUT/new" big.vmt
	else
		"$VMATRACE" dump -o "$OUT/new" big.vmt
		check "dump -o over an existing file: the new text is complete" cmp "$OUT/new" big.txt
	fi
	[ "$(stat -c %i "$OUT/new")" != "$ino0" ] && pass "$w: a new file, renamed over the old one" ||
		fail "$w: a new file, renamed over the old one" "inode $ino0 both times"
	is "$(stat -c %a "$OUT/new")" "$(printf '%o' $((0666 & ~$(umask))))" \
		"$w: with the mode a plain create gives (0666 less the umask)"
	rm -f "$OUT/new"
	is "$(ls -A "$OUT")" "" "$w: no temporary file left"
done

# ---- out of space, a read-only directory: in a mount namespace of their own ----
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	skip "unshare -m needs root: no private tmpfs to fill or make read-only" 24
	done_testing
	exit
fi
"$VMATRACE" replay --no-probe -q mb.vmt -o r1.json
"$VMATRACE" replay --no-probe -q mb.vmt -o r2.json
STRACE_LOG=$TESTDIR/data/import/prog-strace.log
# in_ns full|ro CMD...: CMD with $T_TMP/fs a 256 KiB tmpfs holding an old file
# 'out' and an old rep/report.md, then filled to the last block (full) or
# made read-only (ro); prints "STATUS|FILES|OLD" of what it left
mkdir fs
in_ns() {
	unshare -m sh -c '
		fs=$1 how=$2
		shift 2
		mount -t tmpfs -o size=256k tmpfs "$fs" || exit 99
		printf "old\n" > "$fs/out"
		mkdir "$fs/rep" && printf "old\n" > "$fs/rep/report.md"
		if [ "$how" = full ]; then
			dd if=/dev/zero of="$fs/filler" bs=4k 2>/dev/null
		else
			mount --bind "$fs" "$fs" && mount -o remount,bind,ro "$fs" || exit 98
		fi
		"$@" > ns.out 2> ns.err
		st=$?
		rm -f "$fs/filler"
		echo "$st|$(cd "$fs" && find . | sort | tr "\n" " ")|$(cat "$fs/out") $(cat "$fs/rep/report.md")"
	' sh "$T_TMP/fs" "$@"
}
left=". ./out ./rep ./rep/report.md |old old"
for how in full ro; do
	if [ $how = full ]; then
		why="No space left on device"
	else
		why="Read-only file system"
	fi
	is "$(in_ns $how "$VMATRACE" convert big.txt -o fs/out)" "1|$left" "$how: convert fails, the old trace intact"
	like "$(cat ns.err)" "^vmatrace: error: (big.txt: line [0-9]+: )?cannot (create|write) 'fs/out': $why" \
		"$how: saying why"
	is "$(in_ns $how "$VMATRACE" workload merge-both --ops 30000 -o fs/out)" "1|$left" "$how: workload: the same"
	is "$(in_ns $how "$VMATRACE" import --from strace "$STRACE_LOG" -o fs/out)" "1|$left" "$how: import: the same"
	like "$(cat ns.err)" "cannot (create|write) 'fs/out': $why" "$how: import says why"
	is "$(in_ns $how "$VMATRACE" dump -o fs/out big.vmt)" "1|$left" "$how: dump -o: the same"
	is "$(in_ns $how "$VMATRACE" replay --no-probe -q mb.vmt -o fs/out)" "1|$left" "$how: replay's results: the same"
	like "$(cat ns.err)" "^vmatrace: error: cannot (create|write) 'fs/out': $why" "$how: replay says why"
	is "$(in_ns $how "$VMATRACE" replay --no-probe -q mb.vmt -o fs/ok.json --layout fs/out)" "1|$left" \
		"$how: replay --layout: a layout not written fails the run, no results"
	like "$(cat ns.err)" "cannot write the layout to 'fs/out': $why" "$how: saying why"
	if [ $how = full ]; then
		# report writes its files one by one, each atomically; the directories it made may stay
		got=$(in_ns $how "$VMATRACE" report r1.json r2.json --no-plots -o fs/rep)
		like "$got" "^1\\|\\. \\./out \\./rep (\\./rep/data )?\\./rep/report\\.md \\|old old$" \
			"$how: report fails, the old report intact, no partial or temporary file"
	else
		is "$(in_ns $how "$VMATRACE" report r1.json r2.json --no-plots -o fs/rep)" "1|$left" \
			"$how: report fails, the old report intact"
	fi
	if "$VMATRACE" record --help >/dev/null 2>&1 && [ -d /sys/kernel/tracing/instances ]; then
		is "$(in_ns $how "$VMATRACE" record -o fs/out -- true)" "1|$left" "$how: record: the same"
	else
		skip "no vmatrace record or no tracefs"
	fi
done
done_testing
