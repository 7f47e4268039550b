#!/bin/sh
# SPDX-License-Identifier: MIT
# test.sh - the whole test suite on a fresh Debian 12 machine: installs what
# it needs, builds with warnings as errors, runs `make check` (unit tests and
# integration tests against a private Postfix and scripted fake servers) and
# `make distcheck`. Run as root (the private Postfix needs it).
set -eu
cd "$(dirname "$0")/.."

sh tools/install-deps.sh
autoreconf -fi
./configure --enable-werror
# The scale bench's fake servers too: not run here, but kept compiling.
make -j"$(nproc)" all tests/bench/manysmtp

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# (sh has no pipefail: make's own exit code comes through a file)
{ make -j"$(nproc)" check 2>&1; echo $? >"$log.rc"; } | tee "$log"
[ "$(cat "$log.rc")" = 0 ] || status=1
rm -f "$log.rc"
[ "$status" -eq 0 ] || cat test-suite.log

# ---- monitoring systems -----------------------------------------------------
# Icinga 2, Nagios 4 and the Zabbix agent, each run privately by its test
# against a private Postfix (make check-integration, tests/systems/). About
# 1 minute each on 2 cores; SKIP_SYSTEMS=1 leaves them out.
if [ "$status" -eq 0 ] && [ "${SKIP_SYSTEMS:-0}" != 1 ]; then
	printf '\n######## monitoring systems: Icinga 2, Nagios 4, Zabbix agent ########\n'
	sys_t0=$(date +%s)
	make check-integration >"$log.sys" 2>&1 || status=1
	cat "$log.sys"
	[ "$status" -eq 0 ] || cat test-suite.log
	echo "monitoring systems: $([ "$status" -eq 0 ] && echo ok || echo FAILED) ($(( $(date +%s) - sys_t0 )) s)"
fi

# ---- hostile servers and long-running use --------------------------------
# After make check, before distcheck: the whole suite under ASan+UBSan and
# the plugin's integration tests under valgrind (tools/sanitize.sh), each
# libFuzzer harness for FUZZ_SECONDS (default 60; two
# at a time on two cores), and the soak at its full 100,000 sessions, 8 % of
# them TLS (30-45 s), and the exporter's soak: as many probes through its HTTP
# server (tests/soak/exporter_soak.py, ~40 s). Measured on 2 cores: sanitizers ~5 min, fuzzing ~3 min, soak
# ~0.5 min. SKIP_HEAVY=1 leaves them out (a quick local run).
heavy() {
	heavy_title=$1; shift
	printf '\n######## %s ########\n' "$heavy_title"
	heavy_t0=$(date +%s)
	if "$@"; then
		heavy_summary="$heavy_summary${heavy_title%%:*} ok ($(( $(date +%s) - heavy_t0 )) s); "
	else
		heavy_summary="$heavy_summary${heavy_title%%:*} FAILED; "
		status=1
	fi
}
heavy_summary=
if [ "$status" -eq 0 ] && [ "${SKIP_HEAVY:-0}" != 1 ]; then
	heavy "sanitizers: ASan+UBSan make check, valgrind integration tests" \
		sh tools/sanitize.sh all
	heavy "fuzzing: ${FUZZ_SECONDS:-60} s per harness" \
		env FUZZ_SECONDS="${FUZZ_SECONDS:-60}" FUZZ_JOBS="${FUZZ_JOBS:-$(nproc)}" sh tools/fuzz.sh
	heavy "soak: ${SOAK_SESSIONS:-100000} sessions, resident memory" \
		sh -c 'make -s soak >/dev/null && tests/soak/soak "${SOAK_SESSIONS:-100000}"'
	heavy "exporter soak: ${SOAK_SESSIONS:-100000} probes over HTTP, resident memory" \
		sh -c 'make -s tests/bench/manysmtp >/dev/null &&
			/usr/bin/python3 tests/soak/exporter_soak.py plugin/smtp_probe_exporter \
				tests/bench/manysmtp "${SOAK_SESSIONS:-100000}"'
	echo "hostile-input checks: $heavy_summary"
fi

if [ "$status" -eq 0 ]; then
	make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >"$log.dist" 2>&1 || {
		tail -n 80 "$log.dist"
		status=1
	}
	rm -f "$log.dist"
fi

# ---- packages -------------------------------------------------------------
# Only once make check and distcheck have passed: build the Debian packages
# and check them with lintian (tools/build-deb.sh), install, run and purge
# them (tools/test-deb.sh), then the RPMs from make dist's tarball
# (tools/build-rpm.sh). Measured on 2 cores at load 8: 4 minutes in all
# (deb build and lintian 2 min, install/try/purge 0.5 min, rpm 1.5 min).
# SKIP_PACKAGES=1 leaves them out.
if [ "$status" -eq 0 ] && [ "${SKIP_PACKAGES:-0}" != 1 ]; then
	printf '\n######## packages: .deb (lintian, install, run, purge), .rpm ########\n'
	pkg_t0=$(date +%s)
	sh tools/build-deb.sh && sh tools/test-deb.sh && sh tools/build-rpm.sh || status=1
	echo "packages: $([ "$status" -eq 0 ] && echo ok || echo FAILED) ($(( $(date +%s) - pkg_t0 )) s)"
fi

# One closing line that any CI reads: counts of assertions, not of files,
# make check's and make check-integration's together.
count() { sed -n "s/^# $1: *//p" "$log" "$log.sys" 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }
pass=$(count PASS)
skip=$(count SKIP)
fail=$(( $(count FAIL) + $(count XPASS) + $(count ERROR) ))
rm -f "$log.sys"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || status=1
exit "$status"
