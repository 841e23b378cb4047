#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# bench/headline.sh - the kernel review's setup: the mapper workload replayed
# for S seconds at its original pacing (10 us between ops) with 2 readers at
# nice 15 on CPU 1 and the writer on CPU 0, once per reader kind and once
# without readers.  Prints writer latency per configuration and the ratio of
# each kind's mean to the maps readers' mean.
#
#   bench/headline.sh [SECONDS] [OUTDIR]     (defaults: 10, a temporary directory)
set -eu
secs=${1:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
vmatrace=$top/vmatrace
out=${2:-}
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/vmatrace-headline.XXXXXX)
	trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
make -C "$top" -s all >/dev/null
"$vmatrace" workload mapper --duration "$secs" -o "$out/mapper.vmt"
# the lock each kind takes, measured once (replays below skip their own probe)
probe=--no-probe
"$vmatrace" probe --json > "$out/probe.json" || probe=""
cpus=$(nproc)
pin="--writer-cpu 0"
rpin="--reader-cpu 1"
[ "$cpus" -lt 2 ] && { pin=""; rpin=""; }

echo "== mapper, ${secs} s at original pacing, 2 readers at nice 15 $rpin $pin; $(uname -r), $cpus CPUs"
for cfg in none maps procmap_query smaps smaps_rollup; do
	if [ "$cfg" = none ]; then
		set -- --readers 0
	else
		set -- --readers 2 --reader "$cfg" --reader-nice 15 $rpin
	fi
	"$vmatrace" replay "$out/mapper.vmt" -q $probe --speed 1 --duration "$secs" $pin "$@" \
		-o "$out/$cfg.json"
done
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = []
for cfg in ["none", "maps", "procmap_query", "smaps", "smaps_rollup"]:
    r = json.load(open(os.path.join(out, cfg + ".json")))
    w = next(o for o in r["ops"] if o["role"] == "writer" and o["op"] == "all")
    rd = next((o for o in r["ops"] if o["role"] == "reader"), None)
    pj = r["meta"].get("probe")
    if not pj and os.path.exists(os.path.join(out, "probe.json")):
        pj = json.load(open(os.path.join(out, "probe.json")))
    probe = (pj or {}).get("kinds", {}).get(cfg, {})
    lock = "-" if cfg == "none" else ("mmap_lock" if probe.get("takes_mmap_lock") else "per-VMA") if probe else "?"
    rows.append((cfg, lock, w, rd, r["counts"]))
base = next(w for c, l, w, rd, n in rows if c == "maps")["mean_ns"]
print("%-14s %-10s %10s %10s %10s %12s %12s %10s %8s" % ("readers", "lock", "ops", "mean us", "p50 us",
      "p99 us", "max us", "passes", "x maps"))
for cfg, lock, w, rd, n in rows:
    print("%-14s %-10s %10d %10.1f %10.1f %12.1f %12.1f %10d %8.1f" % (cfg, lock, w["count"],
          w["mean_ns"] / 1e3, w["p50_ns"] / 1e3, w["p99_ns"] / 1e3, w["max_ns"] / 1e3,
          n["reader_passes"], w["mean_ns"] / base))
PY
