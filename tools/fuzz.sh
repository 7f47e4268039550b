#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh - builds the libFuzzer harnesses (`make fuzz`) and runs each for a
# bounded time over a copy of its seed corpus (tests/fuzz/corpus/<name>/).
# Any crash, sanitizer report, leak, timeout or out-of-memory fails the run;
# the input that did it is kept and its path printed, ready to become a
# corpus file and a regression test.
#
# Usage: tools/fuzz.sh [HARNESS...]          (default: all of them)
# Environment:
#   FUZZ_SECONDS   time per harness (default 60)
#   FUZZ_BUILDDIR  the configured build directory (default: the source tree)
#   FUZZ_JOBS      harnesses run at once (default 1)
#   FUZZ_OUT       where new corpus inputs and crash artifacts go (default:
#                  a temporary directory, kept only when something failed)
#   FUZZ_NICE      nice level of the fuzzers (default 0; 19 beside other work)
#   FUZZ_SKIP_OK=1 exit 0 when clang/libFuzzer is missing (default: fail)
set -eu
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${FUZZ_BUILDDIR:-$src}" && pwd) # absolute: fuzz_options chdir()s
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
nicelvl=${FUZZ_NICE:-0}
all="reply caps message range options dialog tlsa dnsmsg exporter"
names=${*:-$all}

[ -f "$build/Makefile" ] || { echo "fuzz: $build is not configured (run ./configure)" >&2; exit 1; }

echo "======== fuzz: make fuzz ========"
out=$(make -C "$build" fuzz 2>&1) || { printf '%s\n' "$out"; echo "fuzz: make fuzz failed" >&2; exit 1; }
printf '%s\n' "$out" | grep -v '^make' || true
if printf '%s\n' "$out" | grep -q 'make fuzz: SKIPPED'; then
	[ "${FUZZ_SKIP_OK:-}" = 1 ] && exit 0
	echo "fuzz: FAILED: no clang with libFuzzer (set FUZZ_SKIP_OK=1 to allow)" >&2
	exit 1
fi

if [ -n "${FUZZ_OUT:-}" ]; then
	mkdir -p "$FUZZ_OUT"
	work=$(cd "$FUZZ_OUT" && pwd)
	keep=1
else
	work=$(cd "$(mktemp -d "${TMPDIR:-/tmp}/smtp-probe-fuzz.XXXXXX")" && pwd)
	keep=0
fi

# max_len per harness: the reply parser needs room for lines over 4096
# bytes and for more than 1000 lines; the others take short inputs.
maxlen() {
	case $1 in
	reply) echo 16384 ;;
	dialog) echo 8192 ;;
	tlsa) echo 8192 ;;          # past the 4096-byte data bound
	dnsmsg) echo 16384 ;;       # TLSA RRsets of full certificates
	*) echo 4096 ;;
	esac
}

# run NAME: one harness, its result in $work/NAME.result ("ok EXECS" or "FAIL").
run() {
	_n=$1
	_bin=$build/tests/fuzz/fuzz_$_n
	_seed=$src/tests/fuzz/corpus/$_n
	_dir=$work/$_n
	mkdir -p "$_dir/corpus" "$_dir/artifacts"
	if [ ! -x "$_bin" ]; then
		echo "FAIL (no binary $_bin)" >"$work/$_n.result"
		return 0
	fi
	# -timeout: an input taking 10 s is a hang (a finding, like a crash).
	# The seed corpus is read, new inputs go to $_dir/corpus only.
	if nice -n "$nicelvl" "$_bin" -max_total_time="$secs" -max_len="$(maxlen "$_n")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$_dir/artifacts/" \
		"$_dir/corpus" "$_seed" >"$_dir/log" 2>&1; then
		_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$_dir/log" | tail -n 1)
		_cov=$(grep -E '^#[0-9]+.*(DONE|pulse)' "$_dir/log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
		echo "ok ${_execs:-?} ${_cov:-?}" >"$work/$_n.result"
	else
		echo "FAIL" >"$work/$_n.result"
	fi
}

echo "======== fuzz: $secs s per harness, $jobs at a time ========"
t0=$(date +%s)
running=0
for n in $names; do
	case " $all " in *" $n "*) ;; *) echo "fuzz: unknown harness $n (one of: $all)" >&2; exit 2 ;; esac
	run "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

status=0
for n in $names; do
	set -- $(cat "$work/$n.result")
	if [ "$1" = ok ]; then
		printf 'fuzz: %-8s ok    %12s execs in %s s, coverage %s\n' "$n" "$2" "$secs" "$3"
	else
		status=1
		printf 'fuzz: %-8s FAILED\n' "$n"
		grep -E 'ERROR|SUMMARY|invariant failed|Test unit written|==[0-9]+==' "$work/$n/log" | head -n 20
		for a in "$work/$n/artifacts/"*; do
			[ -f "$a" ] || continue
			echo "  reproducer: $a ($(wc -c <"$a") bytes): $build/tests/fuzz/fuzz_$n $a"
		done
		tail -n 40 "$work/$n/log"
	fi
done
echo "======== fuzz: $( [ $status -eq 0 ] && echo PASSED || echo FAILED ) in $(( $(date +%s) - t0 )) s ========"
if [ $status -ne 0 ] || [ $keep = 1 ]; then
	echo "fuzz: logs, new corpus inputs and artifacts kept in $work"
else
	rm -rf "$work"
fi
exit $status
