#!/usr/bin/env bash
# install-deps.sh - install uxa's build, test and benchmark dependencies from Debian's packages.
#
# Idempotent: installs only what is missing, so the README commands can call it every time.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	liburcu-dev libck-dev libcriterion-dev
	libjudy-dev libjemalloc-dev libmimalloc-dev gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
