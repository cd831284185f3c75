#!/bin/sh
# expect_report.sh PROGRAM MODE [FUNCTION]
# Runs PROGRAM MODE under TSan. With FUNCTION: passes only if TSan reported
# a race whose report names FUNCTION. Without: passes only if TSan reported
# nothing and the program succeeded.
prog=$1 mode=$2 func=$3
out=$(TSAN_OPTIONS="exitcode=0 halt_on_error=0" "$prog" "$mode" 2>&1)
rc=$?
if [ -n "$func" ]; then
	if printf '%s\n' "$out" | grep -q "WARNING: ThreadSanitizer" &&
	   printf '%s\n' "$out" | grep -q "$func"; then
		echo "$mode: TSan reported the planted race in $func, as it must"
		exit 0
	fi
	printf '%s\n' "$out"
	echo "$mode: TSan did NOT report the planted race in $func" >&2
	exit 1
fi
if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -q "WARNING: ThreadSanitizer"; then
	printf '%s\n' "$out"
	echo "$mode: correct program reported or failed (rc=$rc)" >&2
	exit 1
fi
echo "$mode: clean"
