#!/bin/sh
# test.sh - the whole test suite on a fresh Debian 12 machine: installs what
# it needs, builds with warnings as errors, runs `make check` (unit tests and
# integration tests against a private Postfix and scripted fake servers) and
# `make distcheck`. Run as root (the private Postfix needs it).
set -eu
cd "$(dirname "$0")/.."

sh tools/install-deps.sh
autoreconf -fi
./configure --enable-werror
make -j"$(nproc)"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
make -j"$(nproc)" check 2>&1 | tee "$log" || status=1
[ "$status" -eq 0 ] || cat test-suite.log

if [ "$status" -eq 0 ]; then
	make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >"$log.dist" 2>&1 || {
		tail -n 80 "$log.dist"
		status=1
	}
	rm -f "$log.dist"
fi

# One closing line that any CI reads: counts of assertions, not of files.
pass=$(sed -n 's/^# PASS: *//p' "$log" | tail -n 1)
fail=$(sed -n 's/^# FAIL: *//p' "$log" | tail -n 1)
xpass=$(sed -n 's/^# XPASS: *//p' "$log" | tail -n 1)
err=$(sed -n 's/^# ERROR: *//p' "$log" | tail -n 1)
skip=$(sed -n 's/^# SKIP: *//p' "$log" | tail -n 1)
fail=$(( ${fail:-0} + ${xpass:-0} + ${err:-0} ))
echo "${pass:-0} passed, $fail failed, ${skip:-0} skipped"
[ "$fail" -eq 0 ] || status=1
exit "$status"
