#!/usr/bin/env bash
# test.sh - the whole test suite, as CI runs it (README's second command).
#
# Installs missing dependencies, then builds and tests every variant:
#   gcc       -Werror, debug checks: unit, stress, fuzz-replay
#   chunk3    gcc with 8-slot XArray nodes (deep trees from few entries): unit, fuzz-replay
#   asan      clang ASan+UBSan (+LeakSanitizer): unit, stress, fuzz-replay
#   tsan      clang TSan: stress programs and the tsan-proof checks (Criterion cannot run there)
#   libfuzzer clang libFuzzer+ASan: each fuzzer runs briefly from its corpus
# UXA_STRESS_SECONDS lengthens every stress program (e.g. 3600 for a soak).
# UXA_TEST_VARIANTS="gcc tsan" runs a subset. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

variants=${UXA_TEST_VARIANTS:-"gcc chunk3 asan tsan libfuzzer"}
fuzz_seconds=${UXA_FUZZ_SECONDS:-30}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
logs=()
failed_variants=()

setup() {	# setup DIR CC [meson options...]
	local dir=$1 cc=$2
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		CC=$cc meson setup "$dir" "$@" >/dev/null
	else
		meson configure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

run() {		# run VARIANT DIR TIMEOUT_MULTIPLIER SUITES...
	local variant=$1 dir=$2 mult=$3
	shift 3
	local suites=()
	for s in "$@"; do suites+=(--suite "$s"); done
	# A soak (UXA_STRESS_SECONDS) outlasts any fixed timeout: 0 disables them.
	[ -n "${UXA_STRESS_SECONDS:-}" ] && mult=0
	echo "=== $variant: meson test ${*}"
	if ! meson test -C "$dir" --print-errorlogs --num-processes 2 \
		--timeout-multiplier "$mult" "${suites[@]}"; then
		failed_variants+=("$variant")
	fi
	logs+=("$dir/meson-logs/testlog.json")
}

for v in $variants; do
	case $v in
	gcc)
		setup build-ci-gcc gcc -Dwerror=true -Dbuildtype=debugoptimized -Dbenchmarks=true
		run gcc build-ci-gcc 1 unit stress fuzz-replay ;;
	chunk3)
		setup build-ci-chunk3 gcc -Dwerror=true -Dxa_chunk_shift=3 -Dbenchmarks=false
		run chunk3 build-ci-chunk3 1 unit fuzz-replay ;;
	asan)
		setup build-ci-asan clang -Dwerror=true -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbenchmarks=false
		run asan build-ci-asan 3 unit stress fuzz-replay ;;
	tsan)
		setup build-ci-tsan clang -Dwerror=true -Db_sanitize=thread -Db_lundef=false \
			-Dbenchmarks=false
		run tsan build-ci-tsan 4 stress tsan-proof ;;
	libfuzzer)
		setup build-ci-fuzz clang -Dfuzzing_engine=libfuzzer -Db_sanitize=address,undefined \
			-Db_lundef=false -Dtests=false -Dbenchmarks=false
		for f in build-ci-fuzz/fuzz/*_ops; do
			[ -x "$f" ] || continue
			name=$(basename "$f")
			echo "=== libfuzzer: $name for ${fuzz_seconds}s from fuzz/corpus/$name"
			work=$(mktemp -d)
			if (cd "$work" && "$OLDPWD/$f" -max_total_time="$fuzz_seconds" \
				-print_final_stats=1 "$work" "$OLDPWD/fuzz/corpus/$name" 2>&1 | tail -5); then
				fuzz_pass=$(( ${fuzz_pass:-0} + 1 ))
			else
				fuzz_fail=$(( ${fuzz_fail:-0} + 1 ))
				failed_variants+=("libfuzzer:$name")
			fi
			rm -rf "$work"
		done ;;
	*)
		echo "unknown variant $v" >&2
		exit 2 ;;
	esac
done

# One closing line over every variant: "N passed, N failed".
python3 - "${fuzz_pass:-0}" "${fuzz_fail:-0}" "${logs[@]}" <<'PY'
import json, sys
passed, failed = int(sys.argv[1]), int(sys.argv[2])
for path in sys.argv[3:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL", "SKIP"):
                passed += r != "SKIP"
            else:
                failed += 1
print(f"{passed} passed, {failed} failed")
PY
if [ ${#failed_variants[@]} -ne 0 ]; then
	echo "failing variants: ${failed_variants[*]}" >&2
	exit 1
fi
