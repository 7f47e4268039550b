#!/bin/sh
# SPDX-License-Identifier: MIT
# sanitize.sh - the whole `make check` under AddressSanitizer and
# UndefinedBehaviorSanitizer (leak detection on), then the plugin's
# integration tests under valgrind memcheck. Fails on any report.
#
# The source tree is copied to a temporary directory (the files git knows,
# tracked or not ignored; or the whole tree cleaned with `make distclean`
# when there is no git) and built out of tree there, so this never touches
# the caller's build and runs beside it.
#
# Usage: tools/sanitize.sh [asan|valgrind|all]      (default: all)
# Environment:
#   SANITIZE_CC        compiler (default gcc, the compiler of the normal
#                      build, so --enable-werror means the same warnings)
#   SANITIZE_KEEP=1    keep the temporary directory (its path is printed)
#   SP_TIME_FACTOR     valgrind's wall-time scale for timing assertions
#                      (default 1.5, plus the measured valgrind start-up
#                      cost; see tests/lib/common.sh)
set -eu
cd "$(dirname "$0")/.."
src=$PWD
what=${1:-all}
case $what in asan|valgrind|all) ;; *) echo "usage: $0 [asan|valgrind|all]" >&2; exit 2 ;; esac

jobs=$(nproc 2>/dev/null || echo 2)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtp-probe-sanitize.XXXXXX")
cleanup() {
	if [ "${SANITIZE_KEEP:-}" = 1 ]; then
		echo "sanitize: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

header() { printf '\n======== %s ========\n' "$*"; }

# A clean copy of the sources (no build products of the caller's build).
copy_sources() {
	mkdir -p "$tmp/src"
	if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$src" ls-files -z -c -o --exclude-standard |
			(cd "$src" && xargs -0 cp --parents -t "$tmp/src" 2>/dev/null) || true
		# files git lists but that were deleted in the work tree are skipped
	else
		cp -a "$src/." "$tmp/src/"
		if [ -f "$tmp/src/Makefile" ]; then
			make -C "$tmp/src" distclean >/dev/null 2>&1 || true
		fi
	fi
	(cd "$tmp/src" && autoreconf -fi >"$tmp/autoreconf.log" 2>&1) || {
		cat "$tmp/autoreconf.log"
		echo "sanitize: autoreconf failed" >&2
		exit 1
	}
}

# build DIR CC CFLAGS: out-of-tree configure + make in $tmp/DIR.
build() {
	_dir=$tmp/$1
	mkdir -p "$_dir"
	(cd "$_dir" && "$tmp/src/configure" --enable-werror CC="$2" CFLAGS="$3" \
		LDFLAGS="$4" >configure.out 2>&1) || {
		tail -n 40 "$_dir/configure.out"; tail -n 40 "$_dir/config.log"
		echo "sanitize: configure failed ($1)" >&2
		return 1
	}
	make -C "$_dir" -j"$jobs" >"$_dir/make.out" 2>&1 || {
		tail -n 60 "$_dir/make.out"
		echo "sanitize: build failed ($1)" >&2
		return 1
	}
}

# check DIR [make args...]: make check, the suite log shown on failure.
check() {
	_dir=$tmp/$1; shift
	_rc=0
	make -C "$_dir" -j"$jobs" check "$@" >"$_dir/check.out" 2>&1 || _rc=1
	grep -E '^(# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):|(FAIL|ERROR|XPASS):)' "$_dir/check.out" || true
	if [ $_rc -ne 0 ]; then
		[ -f "$_dir/test-suite.log" ] && tail -n 200 "$_dir/test-suite.log"
		[ -f "$_dir/test-suite.log" ] || tail -n 60 "$_dir/check.out"
	fi
	return $_rc
}

# reports DIR WHAT: prints every non-empty report file in DIR; 1 if any.
reports() {
	_found=0
	for _f in "$1"/*; do
		[ -s "$_f" ] || continue
		_found=1
		echo "---- $2 report: $(basename "$_f")"
		head -n 80 "$_f"
	done
	return $_found
}

choose_cc() {
	echo "${SANITIZE_CC:-gcc}"
}

status=0
t0=$(date +%s)
header "sanitize: copying sources to $tmp"
copy_sources

if [ "$what" != valgrind ]; then
	cc=$(choose_cc)
	san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
	header "ASan+UBSan build ($cc $san -O1 -g)"
	if build asan "$cc" "$san -O1 -g" "$san"; then
		logs=$tmp/asan-logs
		mkdir -p "$logs"
		# log_path: a report lands in a file even when a test ignores the
		# exit code or stderr of what crashed; any such file fails the run.
		export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$logs/asan"
		export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
		export LSAN_OPTIONS="log_path=$logs/lsan"
		header "ASan+UBSan: make check"
		export SP_SANITIZER=1
		check asan || status=1
		unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS SP_SANITIZER
		if ! reports "$logs" "sanitizer"; then
			echo "sanitize: ASan/UBSan/LSan reported errors (above)"
			status=1
		else
			echo "sanitize: no ASan/UBSan/LSan report"
		fi
	else
		status=1
	fi
fi

if [ "$what" != asan ]; then
	header "valgrind memcheck: plugin integration tests"
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "sanitize: valgrind not installed"
		status=1
	elif build vg gcc "-O1 -g" ""; then
		logs=$tmp/vg-logs
		mkdir -p "$logs"
		# tests/lib/common.sh runs the plugin under valgrind with these;
		# one log per plugin run, errors and definite leaks only.
		export SP_VALGRIND=1 SP_VALGRIND_LOGDIR="$logs"
		check vg TESTS="$(cd "$tmp/src" && ls tests/integration/*.test | tr '\n' ' ')" || status=1
		unset SP_VALGRIND SP_VALGRIND_LOGDIR
		runs=$(find "$logs" -name 'vg.*' | wc -l)
		echo "sanitize: valgrind ran the plugin $runs times"
		if [ "$runs" -eq 0 ]; then
			echo "sanitize: valgrind never ran: SP_VALGRIND not honoured?"
			status=1
		elif ! reports "$logs" "valgrind"; then
			echo "sanitize: valgrind reported errors or definite leaks (above)"
			status=1
		else
			echo "sanitize: valgrind: 0 errors, 0 definite leaks in $runs runs"
		fi
	else
		status=1
	fi
fi

header "sanitize: $( [ $status -eq 0 ] && echo PASSED || echo FAILED ) in $(( $(date +%s) - t0 )) s"
exit $status
