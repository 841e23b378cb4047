#!/bin/sh
# vmatrace replay: help, usage errors, trace errors, atomic results, and the
# shape of the results JSON (docs/results-format.md) field by field.
. "$(dirname "$0")/lib.sh"
. "$TESTDIR/replay-lib.sh"

"$VMATRACE" workload merge-both --ops 102 -o mb.vmt || echo "# workload failed"

# --help: the usage and every option
check "replay --help" "$VMATRACE" replay --help
cp "$T_TMP/out" help.txt
like "$(head -1 help.txt)" "^usage: vmatrace replay TRACE -o R.json" "--help prints the usage"
options=$(sed -n 's/^  *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' help.txt | grep -v '^help$' | tr '\n' ' ')
is "$options" "output pid threads speed loop duration readers reader reader-nice reader-cpu writer-cpu reader-reopen lockstat check-tearing touch interval layout no-probe quiet " \
	"--help lists every option"

# usage errors: exit 2, one line naming the problem, no results
bad() {
	what=$1; msg=$2; shift 2
	check_fail 2 "$what exits 2" "$VMATRACE" replay "$@"
	if [ "$(wc -l < "$T_TMP/err")" = 1 ] && grep -q "^vmatrace: error: .*$msg" "$T_TMP/err"; then
		pass "$what: one line, '$msg'"
	else
		fail "$what: one line, '$msg'" "stderr: $(cat "$T_TMP/err")"
	fi
}
bad "no -o" "-o R.json is required" mb.vmt
bad "no trace" "expected one trace file" -o r.json
bad "two traces" "expected one trace file" mb.vmt mb.vmt -o r.json
bad "an unknown option" "unknown option '--frobnicate'" mb.vmt --frobnicate -o r.json
bad "an unknown short option" "unknown option '-x'" mb.vmt -x -o r.json
bad "-o without a value" "option '-o' needs a value" mb.vmt -o
bad "--layout without a value" "option '--layout' needs a value" mb.vmt -o r.json --layout
for a in "speed 0" "speed -1" "speed fast" "speed nan" "speed inf" "threads -1" "threads 1025" \
	"loop -1" "loop x" "duration -1" "duration soon" "readers 1025" "readers -1" \
	"reader bogus" "reader-nice 20" "reader-nice -21" "reader-cpu -2" "writer-cpu -2" \
	"reader-reopen maybe" "pid abc" "pid 1.5" "interval x"; do
	set -- $a
	bad "--$1 $2" "bad value '$2' for --$1" mb.vmt -o r.json "--$1" "$2"
done
ncpu=$(getconf _NPROCESSORS_CONF)
bad "--reader-cpu $ncpu" "this machine has $ncpu CPUs" mb.vmt -o r.json --reader-cpu "$ncpu"
bad "--writer-cpu $ncpu" "this machine has $ncpu CPUs" mb.vmt -o r.json --writer-cpu "$ncpu"
[ -e r.json ] && fail "no results after a usage error" || pass "no results after a usage error"

# trace errors: exit 1 naming the file (and the offset), an existing results file survives
printf 'keep me\n' > keep.json
check_fail 1 "a missing trace exits 1" "$VMATRACE" replay nosuch.vmt -o keep.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot open 'nosuch.vmt': No such file" "saying why"
printf 'not a trace at all' > junk.vmt
check_fail 1 "a file that is not a trace exits 1" "$VMATRACE" replay junk.vmt -o keep.json
like "$(cat "$T_TMP/err")" "^vmatrace: error: junk.vmt: offset 0: not a vmatrace trace" "naming the offset"
size=$(wc -c < mb.vmt)
for n in 10 100 $((size / 2)) $((size - 1)); do
	head -c "$n" mb.vmt > cut.vmt
	check_fail 1 "a trace cut at $n of $size bytes exits 1" "$VMATRACE" replay cut.vmt -o keep.json --no-probe
	like "$(cat "$T_TMP/err")" "^vmatrace: error: cut.vmt: offset [0-9]+: " "with 'error: cut.vmt: offset N:'"
done
# a damaged byte in the middle: the chunk's CRC
cp mb.vmt dmg.vmt
printf 'X' | dd of=dmg.vmt bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
check_fail 1 "a damaged trace exits 1" "$VMATRACE" replay dmg.vmt -o keep.json --no-probe
like "$(cat "$T_TMP/err")" "^vmatrace: error: dmg.vmt: offset [0-9]+: " "with 'error: dmg.vmt: offset N:'"
# found only in the replay process: a page size this machine does not have
sed "s/page_size=4096/page_size=65536/" > ps.txt <<EOF
$HEADER
process P0 t=0 pid=100 ppid=1 parent=- name="app"
thread T0 t=0 process=P0 tid=100 name="app"
1000 100 T0 mmap(0x7f0000000000, 65536, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
EOF
"$VMATRACE" convert ps.txt -o ps.vmt
if [ "$(getconf PAGESIZE)" = 65536 ]; then
	skip "this machine has 64 KiB pages" 2
else
	check_fail 1 "a trace of another page size exits 1" "$VMATRACE" replay ps.vmt -o keep.json --no-probe
	like "$(cat "$T_TMP/err")" "^vmatrace: error: .*the trace has 65536-byte pages, this machine $(getconf PAGESIZE)" \
		"saying why"
fi
echo "$HEADER" > noops.txt
echo 'process P0 t=0 pid=100 ppid=1 parent=- name="idle"' >> noops.txt
"$VMATRACE" convert noops.txt -o noops.vmt
check_fail 1 "a trace without operations exits 1" "$VMATRACE" replay noops.vmt -o keep.json --no-probe
like "$(cat "$T_TMP/err")" "noops.vmt: no process with operations to replay" "saying so"
is "$(cat keep.json)" "keep me" "the existing results file survives every failed run"
ls keep.json.tmp.* >/dev/null 2>&1 && fail "no temporary file is left behind" || pass "no temporary file is left behind"
check_fail 1 "results into a missing directory exit 1" "$VMATRACE" replay mb.vmt -o nodir/r.json --no-probe
like "$(cat "$T_TMP/err")" "^vmatrace: error: cannot create 'nodir/r.json'" "naming the file"

# results are replaced by a rename: a new inode, never a half-written file
printf 'old\n' > r.json
ino0=$(ls -i r.json | cut -d' ' -f1)
check "a replay" replay mb.vmt -o r.json
ino1=$(ls -i r.json | cut -d' ' -f1)
[ "$ino0" != "$ino1" ] && pass "the results file is a new file renamed into place" ||
	fail "the results file is a new file renamed into place" "inode $ino0 both times"
is "$(j r.json 'd["format"]')" "vmatrace-results" "and it is complete JSON"
ls r.json.tmp.* >/dev/null 2>&1 && fail "no temporary file after success" || pass "no temporary file after success"
check "--quiet and -q are accepted" "$VMATRACE" replay mb.vmt -o r2.json --no-probe --quiet
is "$(cat "$T_TMP/err")" "" "and nothing is printed on stderr"

# ---- the JSON, field by field ----
"$VMATRACE" workload all-scenarios --duration 0.05 -o sh.vmt
check "a paced replay with a reader and the probe" "$VMATRACE" replay sh.vmt -o full.json -q \
	--speed 2 --readers 1 --reader smaps_rollup --interval 10ms --layout full.lay
cp "$T_TMP/err" full.err
is "$(j full.json '[d["format"], d["format_version"]]')" '["vmatrace-results", 1]' "format and format_version"
is "$(j full.json 'sorted(d)')" '["counts", "format", "format_version", "meta", "ops", "processes", "series", "tears"]' \
	"top level: format, format_version, meta, ops, counts, processes, series, tears"
is "$(j full.json 'sorted(d["meta"])')" \
	'["arch", "cpu_model", "cpus", "date", "hostname", "kernel", "kernel_version", "options", "page_size", "partial", "probe", "trace", "vmatrace_version"]' \
	"meta has every field"
is "$(j full.json 'd["meta"]["vmatrace_version"]')" "$("$VMATRACE" --version | sed 's/^vmatrace //')" "meta.vmatrace_version is the program's"
like "$(j full.json 'd["meta"]["date"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "meta.date is ISO 8601 UTC"
is "$(j full.json 'd["meta"]["hostname"]')" "$(uname -n)" "meta.hostname"
is "$(j full.json 'd["meta"]["kernel"]')" "$(uname -r)" "meta.kernel is uname -r"
is "$(j full.json 'd["meta"]["arch"]')" "$(uname -m)" "meta.arch is uname -m"
is "$(j full.json 'd["meta"]["cpus"]')" "$(getconf _NPROCESSORS_ONLN)" "meta.cpus"
is "$(j full.json 'd["meta"]["page_size"]')" "$(getconf PAGESIZE)" "meta.page_size"
like "$(j full.json 'd["meta"]["cpu_model"]')" '.' "meta.cpu_model is not empty"
is "$(j full.json 'sorted(d["meta"]["trace"])')" \
	'["capture_arch", "capture_kernel", "duration_ns", "lost_events", "ops", "path", "processes", "sha256", "source", "threads"]' \
	"meta.trace has every field"
is "$(j full.json 'd["meta"]["trace"]["path"]')" "sh.vmt" "meta.trace.path is the path as given"
is "$(j full.json 'd["meta"]["trace"]["sha256"]')" "$(sha256sum sh.vmt | cut -d' ' -f1)" "meta.trace.sha256 is the file's sha256"
# what the trace holds, from its text form
"$VMATRACE" dump sh.vmt > sh.txt
is "$(j full.json '[d["meta"]["trace"][k] for k in ("source", "ops", "processes", "threads", "duration_ns")]')" \
	"$(awk '/^vmatrace-trace/ { match($0, /source="[^"]*"/); src = substr($0, RSTART + 8, RLENGTH - 9) }
		/^process / { p++ } /^thread / { t++ }
		/^[0-9]/ { if (!n++) first = $1; last = $1 }
		END { printf "[\"%s\", %d, %d, %d, %d]\n", src, n, p, t, last - first }' sh.txt)" \
	"meta.trace: source, ops, processes, threads, and duration_ns from the first op's entry to the last's"
is "$(j full.json 'sorted(d["meta"]["options"])')" \
	"$(printf '%s' "$options" | python3 -c 'import json,sys; print(json.dumps(sorted(sys.stdin.read().split())))')" \
	"meta.options has every option of --help"
is "$(j full.json '[d["meta"]["options"][k] for k in ("output", "pid", "threads", "speed", "loop", "duration", "readers", "reader", "reader-nice", "reader-cpu", "writer-cpu", "reader-reopen", "touch", "interval", "layout", "no-probe", "quiet")]')" \
	'["full.json", -1, 0, 2.0, 0, 0.0, 1, "smaps_rollup", 0, -1, -1, true, false, 0.01, "full.lay", false, true]' \
	"meta.options: each value as given or defaulted (durations in seconds)"
is "$(j r.json '[d["meta"]["options"][k] for k in ("speed", "layout", "no-probe")]')" '["asap", null, true]' \
	"speed asap is \"asap\", an unset string null"
is "$(j r.json 'd["meta"]["probe"]')" "null" "meta.probe is null with --no-probe"
is "$(j full.json 'd["meta"]["partial"]')" "false" "meta.partial is false for a complete run"
if [ "$(id -u)" = 0 ]; then
	is "$(j full.json 'sorted(d["meta"]["probe"])')" '["kernel", "kinds", "measured", "method", "reason"]' "meta.probe has every field"
	is "$(j full.json 'sorted(d["meta"]["probe"]["kinds"])')" '["maps", "procmap_query", "smaps", "smaps_rollup"]' "meta.probe.kinds: every reader kind"
	is "$(j full.json 'sorted(set(tuple(sorted(k)) for k in d["meta"]["probe"]["kinds"].values()))')" \
		'[["acquisitions", "lock", "measured", "passes", "per_pass", "takes_mmap_lock"]]' "each kind has every field"
	is "$(j full.json 'all(k["lock"] == ("mmap_lock" if k["takes_mmap_lock"] else "per-VMA lock") for k in d["meta"]["probe"]["kinds"].values())')" \
		"true" "lock names what takes_mmap_lock says"
	if [ "$(j full.json 'd["meta"]["probe"]["measured"]')" = true ]; then
		pass "the probe measured (root, tracefs)"
		is "$(j full.json 'all(k["measured"] and k["passes"] >= 10 and k["per_pass"] == k["acquisitions"] / k["passes"] for k in d["meta"]["probe"]["kinds"].values())')" \
			"true" "each kind: measured over at least 10 passes, per_pass = acquisitions / passes"
		is "$(j full.json '[d["meta"]["probe"]["kinds"][k]["takes_mmap_lock"] for k in ("smaps", "smaps_rollup")]')" "[true, true]" \
			"smaps and smaps_rollup take mmap_lock"
	else
		skip "the probe could not measure here: $(j full.json 'd["meta"]["probe"]["reason"]')" 3
	fi
else
	skip "not root: the probe only infers" 6
fi

# ops: one entry per (role, op), then writer/all, then the reader
is "$(j full.json '[(o["role"], o["op"]) for o in d["ops"]]')" \
	'[["writer", "mmap"], ["writer", "munmap"], ["writer", "mprotect"], ["writer", "all"], ["reader", "smaps_rollup"]]' \
	"ops: writer mmap, munmap, mprotect (the kinds replayed), all, then the reader kind"
is "$(j full.json 'sorted(set(tuple(sorted(o)) for o in d["ops"]))')" \
	'[["buckets", "count", "max_ns", "mean_ns", "min_ns", "op", "p50_ns", "p90_ns", "p999_ns", "p99_ns", "role"]]' \
	"every ops entry has role, op, count, mean_ns, min_ns, p50..p999_ns, max_ns, buckets"
is "$(j full.json 'sum(o["count"] for o in d["ops"] if o["role"] == "writer" and o["op"] != "all") == [o for o in d["ops"] if o["op"] == "all"][0]["count"] == d["counts"]["ops"]')" \
	"true" "the kinds add up to all, which is counts.ops"
is "$(j full.json '[o for o in d["ops"] if o["role"] == "reader"][0]["count"] == d["counts"]["reader_passes"] > 0')" \
	"true" "the reader entry counts every reader pass"
# the histogram: [low, high, count] triples, ascending, disjoint, adding up
hcheck='all(
	all(len(b) == 3 and b[0] <= b[1] and b[2] > 0 for b in o["buckets"]) and
	all(o["buckets"][i][1] < o["buckets"][i + 1][0] for i in range(len(o["buckets"]) - 1)) and
	sum(b[2] for b in o["buckets"]) == o["count"] and
	o["buckets"][0][0] <= o["min_ns"] <= o["buckets"][0][1] and
	o["buckets"][-1][0] <= o["max_ns"] <= o["buckets"][-1][1] and
	o["min_ns"] <= o["p50_ns"] <= o["p90_ns"] <= o["p99_ns"] <= o["p999_ns"] <= o["max_ns"] and
	o["min_ns"] <= o["mean_ns"] <= o["max_ns"]
	for o in d["ops"] if o["count"])'
is "$(j full.json "$hcheck")" "true" \
	"buckets: [low, high, count], ascending and disjoint, counts add up, min/max inside the end buckets, percentiles ordered"
is "$(j full.json 'all(b[1] - b[0] + 1 <= max(1, b[0] // 128) for o in d["ops"] for b in o["buckets"][:-1])')" "true" \
	"each bucket is at most 1/128 of its low bound wide (<= 0.4% error at its middle)"
is "$(j full.json 'all(abs(o[p] - b[0]) <= (b[1] - b[0]) / 2 + 1 for o in d["ops"] for p in ("p50_ns",) for b in o["buckets"] if b[0] <= o[p] <= b[1])')" \
	"true" "p50_ns is within half a bucket of the bucket that holds it"

# counts
is "$(j full.json 'sorted(d["counts"])')" \
	'["bounded_population", "conflicts", "inferred_mappings", "lateness", "loops", "lost_events", "ops", "outcome_mismatches", "pacing_error", "reader_bytes", "reader_errors", "reader_passes", "schedule_delay", "setup_ops", "skipped", "tears", "wall_ns"]' \
	"counts has every field, lateness, schedule_delay and pacing_error when paced"
is "$(j full.json 'sorted(d["counts"]["skipped"])')" '["dangerous_advice", "impossible", "no_exit", "unsupported"]' \
	"counts.skipped has every reason"
is "$(j full.json 'd["counts"]["ops"] + d["counts"]["setup_ops"] == d["meta"]["trace"]["ops"]')" "true" \
	"ops + setup_ops is every op of the trace"
is "$(j full.json '[d["counts"][k] for k in ("conflicts", "outcome_mismatches", "reader_errors", "loops")]')" "[0, 0, 0, 1]" \
	"no conflicts, mismatches or reader errors; one loop"
is "$(j full.json 'd["counts"]["reader_bytes"] > 0 and d["counts"]["wall_ns"] > 0')" "true" "reader_bytes and wall_ns"
is "$(j full.json 'sorted(d["counts"]["lateness"])')" '["count", "max_ns", "mean_ns", "min_ns", "p50_ns", "p90_ns", "p999_ns", "p99_ns"]' \
	"counts.lateness is a summary without buckets"
is "$(j full.json 'd["counts"]["lateness"]["count"] == d["counts"]["schedule_delay"]["count"] == d["counts"]["pacing_error"]["count"] == d["counts"]["ops"]')" \
	"true" "every timed op has a lateness, a schedule delay and a pacing error"
is "$(j r.json '[k for k in ("lateness", "schedule_delay", "pacing_error") if k in d["counts"]]')" "[]" \
	"no lateness without pacing"

# processes and series
is "$(j full.json 'sorted(d["processes"][0])')" \
	'["clusters_placed", "conflicts", "execs", "inferred_mappings", "loops", "name", "ops", "outcome_mismatches", "pid", "setup_ops", "threads", "traced_pid"]' \
	"processes[] has every field"
is "$(j full.json '[d["processes"][0][k] for k in ("traced_pid", "name", "threads", "clusters_placed", "execs")]')" \
	'[1000, "all-scenarios", 10, 10, 0]' "processes[]: the traced pid and name, ten threads, ten clusters"
is "$(j full.json 'd["processes"][0]["ops"] == d["counts"]["ops"] and d["processes"][0]["pid"] > 0')" "true" \
	"processes[]: ops, and the replay process's own pid"
is "$(j full.json 'all(sorted(p) == ["count", "max_ns", "mean_ns", "t_s"] for p in d["series"]) and len(d["series"]) >= 2')" "true" \
	"series: t_s, count, mean_ns, max_ns per interval"
is "$(j full.json '[round(p["t_s"], 6) for p in d["series"][:3]]')" "[0.0, 0.01, 0.02]" "series.t_s steps by --interval"
is "$(j full.json 'sum(p["count"] for p in d["series"]) == d["counts"]["ops"]')" "true" "series counts add up to counts.ops"
done_testing
