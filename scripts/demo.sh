#!/usr/bin/env bash
# demo.sh - the main job (README's first command).
#
# Installs missing dependencies, builds an optimised uxa, and runs the
# fragmentation demo (benchmarks/frag), then the benchmark tables that
# compare uxa with its peers (slab_bench, xa_bench). Arguments are passed
# to frag (e.g. an object count). UXA_DEMO_QUICK=1 shrinks every run.
# The fragmentation plot lands in results/frag.svg (and .png).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

dir=build-release
if [ ! -f "$dir/build.ninja" ]; then
	CC=gcc meson setup "$dir" -Dbuildtype=release -Db_ndebug=true -Ddebug_checks=false \
		-Dtests=false -Dbenchmarks=true >/dev/null
fi
ninja -C "$dir" >/dev/null

quick=()
[ "${UXA_DEMO_QUICK:-0}" = 1 ] && quick=(--quick)

for b in frag slab_bench xa_bench; do
	exe="$dir/benchmarks/$b"
	[ -x "$exe" ] || continue
	echo
	echo "######## $b"
	if [ "$b" = frag ]; then
		# frag writes its plot (frag.svg/.png) and data into the current
		# directory: keep them out of the source tree.
		mkdir -p results
		(cd results && "../$exe" "${quick[@]}" "$@")
	else
		"$exe" "${quick[@]}"
	fi
done
