#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# workloads/traces/capture.sh - capture the sample traces of this directory
# again, on this machine (README.md says how the shipped ones were made)
#
#   workloads/traces/capture.sh [-o DIR] chromium|git-repack GIT_REPO|all GIT_REPO
#
# chromium     headless Debian chromium loading chromium-page.html from a
#              temporary directory (file://): about 4 s of JavaScript on the
#              page's thread and two workers (objects, typed arrays, DOM churn)
# git-repack   git repack -a -d -f --window=250 --depth=50 with pack.threads=2
#              of a fresh clone of GIT_REPO (the shipped trace used libtraceevent
#              at bd47bd544c9e, "libtraceevent: 1.8.4")
#
# Needs root, chromium and git.  Writes DIR/NAME.vmt.gz (default: this
# directory) and prints `vmatrace info` of each.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vmt=$top/vmatrace
out=$here
if [ "${1:-}" = "-o" ]; then out=$2; shift 2; mkdir -p "$out"; fi
what=${1:-}
[ -n "$what" ] || { sed -n '5,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ -x "$vmt" ] || make -C "$top" -s
tmp=$(mktemp -d /tmp/vmatrace-capture.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# record exits 3 when it wrote the trace but lost events: keep it, say so
lost() {
	[ "$1" = 3 ] || exit "$1"
	echo "capture.sh: events were lost (see above); the trace is kept, marked" >&2
}

chromium_trace() {
	command -v chromium >/dev/null || { echo "capture.sh: apt-get install chromium" >&2; exit 1; }
	cp "$here/chromium-page.html" "$tmp/page.html"
	mkdir "$tmp/profile"
	# --buffer-kb 65536: start-up bursts of several processes at once
	"$vmt" record --buffer-kb 65536 -o "$tmp/chromium.vmt" -- \
		chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" --dump-dom "file://$tmp/page.html" >"$tmp/dom.html" ||
		lost "$?"
	grep -o 'rounds [0-9]* sink [0-9]*' "$tmp/dom.html" || true
	gzip -9 -n -c "$tmp/chromium.vmt" >"$out/chromium.vmt.gz"
	"$vmt" info "$out/chromium.vmt.gz"
}

git_trace() {
	repo=$1
	git clone -q --no-local "$repo" "$tmp/repo"
	(cd "$tmp/repo" && "$vmt" record -o "$tmp/git-repack.vmt" -- \
		git -c pack.threads=2 repack -a -d -f -q --window=250 --depth=50) || lost "$?"
	gzip -9 -n -c "$tmp/git-repack.vmt" >"$out/git-repack.vmt.gz"
	"$vmt" info "$out/git-repack.vmt.gz"
}

case $what in
chromium) chromium_trace ;;
git-repack) git_trace "${2:?git-repack needs a git repository to clone}" ;;
all) chromium_trace; git_trace "${2:?all needs a git repository to clone}" ;;
*) echo "capture.sh: unknown trace '$what'" >&2; exit 2 ;;
esac
