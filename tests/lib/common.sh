# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# common.sh - a small TAP library for smtp-probe's shell tests (bash).
#
# Environment (set by `make check` through AM_TESTS_ENVIRONMENT):
#   PLUGIN        absolute path of check_smtp_probe
#   TESTS_SRCDIR  absolute path of tests/ in the (possibly read-only) srcdir
# Optional:
#   TEST_KEEP_TMP=1  keep the temp dir (its path is printed as a diag line)
#
# TAP:     plan N | done_testing, pass DESC, fail DESC, ok_if DESC CMD...,
#          skip REASON [COUNT], skip_all REASON, bail_out REASON,
#          t_diag MSG, t_diag_stream (stdin -> diag lines)
# Plugin:  run_plugin ARGS...  -> RUN_RC, RUN_MS, RUN_LINE1, RUN_OUT, RUN_ERR
#          (RUN_OUT/RUN_ERR are files), assert_exit N DESC,
#          assert_line1 ERE DESC, assert_time_below SECONDS DESC,
#          assert_out ERE DESC (any line of stdout), assert_status N ERE DESC,
#          assert_json PYEXPR DESC (stdout is JSON; PYEXPR over d is true)
# Servers: free_port, wait_port_open HOST PORT SECS, wait_port_closed ...,
#          addr_port_free ADDR PORT (UDP and TCP),
#          dns_start DNSMASQ-RECORD-OPTIONS... -> DNS_PORT DNS_PID (a private
#          dnsmasq on 127.0.0.1, stopped on exit),
#          fake_start SCENARIO [ARGS...] -> FAKE_PORT FAKE_PID FAKE_LOG,
#          fake_stop/proc_stop PID (any process the test started; once),
#          cleanup_add CMD (run in reverse order on any exit)
# resolv:  with_resolv_can_run PROGRAM DNS_PORT, with_resolv RESOLV_CONF CMD...
#          (a program that asks the system's resolver, pointed at the test's
#          DNS server in a private mount namespace)
# Files:   t_tmp (the test's private temp dir; the only place written to)
# Valgrind: SP_VALGRIND=1 [SP_VALGRIND_LOGDIR=DIR] [SP_TIME_FACTOR=N]: see
#          run_plugin below (used by tools/sanitize.sh)

set -u

T_N=0            # tests emitted so far
T_FAILED=0
T_PLANNED=       # number from plan, if any
T_TMPDIR=
T_CLEANUPS=()
T_NAME=$(basename "$0")
T_PY=/usr/bin/python3

# ------------------------------------------------------------------ TAP

plan() { T_PLANNED=$1; echo "1..$1"; }

t_diag() { printf '# %s\n' "$*"; }
# awk, not sed: the last line gets its newline even when it lacks one (a
# JSON document cut at 2000 bytes by run_diag), else the next TAP line would
# be glued to it and lost to the TAP driver.
t_diag_stream() { awk '{ print "#   " $0 }'; }

pass() { T_N=$((T_N + 1)); printf 'ok %d - %s\n' "$T_N" "$1"; }

fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	printf 'not ok %d - %s\n' "$T_N" "$1"
}

# ok_if DESC CMD [ARGS...]: passes when CMD exits 0.
ok_if() {
	_desc=$1; shift
	if "$@"; then pass "$_desc"; else fail "$_desc"; return 1; fi
}

# skip REASON [COUNT]: COUNT tests reported as skipped (not as passes).
skip() {
	_n=${2:-1}
	while [ "$_n" -gt 0 ]; do
		T_N=$((T_N + 1))
		printf 'ok %d # SKIP %s\n' "$T_N" "$1"
		_n=$((_n - 1))
	done
}

# skip_all REASON: the whole script is skipped (only before any test ran).
skip_all() {
	echo "1..0 # SKIP $1"
	T_PLANNED=0
	exit 0
}

bail_out() {
	echo "Bail out! $*"
	exit 99
}

done_testing() {
	[ -n "$T_PLANNED" ] || { echo "1..$T_N"; T_PLANNED=$T_N; }
}

_t_on_exit() {
	_rc=$?
	set +e
	# A name no cleanup uses: they are shell functions sharing globals.
	_t_exit_i=${#T_CLEANUPS[@]}
	while [ "$_t_exit_i" -gt 0 ]; do
		_t_exit_i=$((_t_exit_i - 1))
		eval "${T_CLEANUPS[$_t_exit_i]}" >/dev/null 2>&1 </dev/null || true
	done
	T_CLEANUPS=()
	if [ -n "$T_TMPDIR" ] && [ -d "$T_TMPDIR" ]; then
		if [ "${TEST_KEEP_TMP:-}" = 1 ]; then
			t_diag "temp dir kept: $T_TMPDIR"
		else
			rm -rf "$T_TMPDIR"
		fi
	fi
	if [ "$_rc" -eq 0 ] && [ -n "$T_PLANNED" ] && [ "$T_PLANNED" -ne "$T_N" ] && [ "$T_PLANNED" -ne 0 ]; then
		t_diag "planned $T_PLANNED tests but ran $T_N"
		_rc=1
	fi
	# Failed tests are reported by their "not ok" lines, which make check
	# counts; the exit status stays 0 for them, so that the TAP driver does
	# not count a script's failures twice (as FAIL and as ERROR). A non-zero
	# status means the script itself broke: bail out, signal, plan mismatch.
	if [ "$T_FAILED" -gt 0 ]; then
		t_diag "$T_FAILED of $T_N tests failed"
	fi
	exit "$_rc"
}
# A signal runs the EXIT trap too (exit from inside the handler).
trap _t_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# cleanup_add CMD: CMD (a string, eval'ed) runs on any exit, last added first.
cleanup_add() { T_CLEANUPS+=("$1"); }

# ------------------------------------------------------------------ files

t_tmp() {
	[ -n "$T_TMPDIR" ] || bail_out "t_tmp before t_init"
	echo "$T_TMPDIR"
}

# t_init: checks PLUGIN and TESTS_SRCDIR and creates the test's temp dir.
# Call it first, in the main shell (not in $(...)).
t_init() {
	: "${PLUGIN:?PLUGIN must be set to the plugin binary}"
	: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
	[ -x "$PLUGIN" ] || bail_out "plugin not found or not executable: $PLUGIN"
	T_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/smtp-probe-${T_NAME%.test}.XXXXXX") ||
		bail_out "mktemp -d failed"
	T_RUNS=0
}

# ------------------------------------------------------------------ plugin

# ---- valgrind (tools/sanitize.sh) ----------------------------------------
# SP_VALGRIND=1 runs the plugin under valgrind memcheck: any memory error or
# definite leak makes it exit 99 (which no assert_exit accepts). Each run's
# report goes to its own file, $SP_VALGRIND_LOGDIR/vg.<test>.<run>.<pid>
# (default: the test's temp dir), so the plugin's own stderr stays what the
# tests expect; tools/sanitize.sh fails on any non-empty one.
#
# Wall-time bounds under valgrind: valgrind's cost is mostly a constant
# (loading and instrumenting the libraries, the leak check at exit: 1-5 s
# here, depending on load), on top of a slower run. So a bound of S seconds
# becomes S x SP_TIME_FACTOR (default 1.5) + the start-up cost measured at
# the first timing assertion (the plugin's -V under valgrind, twice, the
# slower counted). A plugin that waited for its deadline still fails a
# "judged at once" bound, and assert_time_below says what it allowed.
T_VG_LOGDIR=
T_VG_OVERHEAD_MS=
sp_valgrind_on() { [ "${SP_VALGRIND:-0}" = 1 ]; }
# SP_SANITIZER=1 (tools/sanitize.sh's ASan+UBSan build): every allocation
# checked and a leak scan at exit; heavy many-target runs get the same 1.5.
if sp_valgrind_on || [ "${SP_SANITIZER:-0}" = 1 ]; then
	T_TIME_FACTOR=${SP_TIME_FACTOR:-1.5}
else
	T_TIME_FACTOR=${SP_TIME_FACTOR:-1}
fi

# _t_vg_overhead: sets T_VG_OVERHEAD_MS (0 without valgrind).
_t_vg_overhead() {
	[ -z "$T_VG_OVERHEAD_MS" ] || return 0
	T_VG_OVERHEAD_MS=0
	sp_valgrind_on || return 0
	_t_vg_cmd
	# -V loads no OpenSSL; a TLS check to a closed port loads the TLS module
	# and its context, which under valgrind costs seconds more.
	_closed=$(free_port)
	for _i in 1 2; do
		for _args in "-V" "-H 127.0.0.1 -p $_closed -s -t 30"; do
			_a=$(date +%s%N)
			# shellcheck disable=SC2086 # the arguments are words
			"${T_VG_CMD[@]}" --log-file=/dev/null "$T_VG_BIN" $_args >/dev/null 2>&1 </dev/null
			_b=$(( ($(date +%s%N) - _a) / 1000000 ))
			[ "$_b" -le "$T_VG_OVERHEAD_MS" ] || T_VG_OVERHEAD_MS=$_b
		done
	done
	t_diag "valgrind start-up cost measured: ${T_VG_OVERHEAD_MS} ms (plugin -V, and -s to a closed port)"
}

# The valgrind command that runs the plugin: valgrind on the real
# executable behind libtool's wrapper script (plugin/.libs/NAME, with the
# uninstalled library on LD_LIBRARY_PATH). Not `libtool --mode=execute`:
# it splits arguments at newlines, and tests pass LF inside arguments.
T_VG_CMD=()
_t_vg_cmd() {
	[ ${#T_VG_CMD[@]} -eq 0 ] || return 0
	command -v valgrind >/dev/null 2>&1 || bail_out "SP_VALGRIND=1 but valgrind is not installed"
	T_VG_LOGDIR=${SP_VALGRIND_LOGDIR:-$T_TMPDIR}
	mkdir -p "$T_VG_LOGDIR" || bail_out "cannot create $T_VG_LOGDIR"
	_pdir=$(dirname "$PLUGIN")
	T_VG_BIN=$PLUGIN
	T_VG_CMD=(env)
	if head -c 4096 "$PLUGIN" | grep -q 'libtool'; then
		T_VG_BIN=$_pdir/.libs/$(basename "$PLUGIN")
		[ -x "$T_VG_BIN" ] || bail_out "no real binary behind the libtool wrapper: $T_VG_BIN"
		T_VG_CMD=(env "LD_LIBRARY_PATH=$(cd "$_pdir/../lib/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
	fi
	T_VG_CMD+=(valgrind --tool=memcheck --error-exitcode=99
		--leak-check=full --errors-for-leak-kinds=definite
		--show-leak-kinds=definite -q)
	t_diag "plugin runs under valgrind memcheck; wall-time bounds x$T_TIME_FACTOR + start-up cost"
}

# run_plugin ARGS...: runs $PLUGIN (bounded by `timeout 60` so a hung plugin
# fails the test instead of hanging it). Sets RUN_RC, RUN_MS (wall time, ms),
# RUN_LINE1 (first line of stdout), RUN_OUT and RUN_ERR (files), RUN_CMD.
run_plugin() {
	T_RUNS=$((T_RUNS + 1))
	RUN_OUT=$T_TMPDIR/run$T_RUNS.out
	RUN_ERR=$T_TMPDIR/run$T_RUNS.err
	RUN_CMD="$PLUGIN $*"
	RUN_VG=
	_t0=$(date +%s%N)
	if sp_valgrind_on; then
		_t_vg_cmd
		RUN_VG=$T_VG_LOGDIR/vg.${T_NAME%.test}.$T_RUNS
		timeout -k 5 180 "${T_VG_CMD[@]}" --log-file="$RUN_VG.%p" \
			"$T_VG_BIN" "$@" >"$RUN_OUT" 2>"$RUN_ERR" </dev/null
	else
		timeout -k 5 60 "$PLUGIN" "$@" >"$RUN_OUT" 2>"$RUN_ERR" </dev/null
	fi
	RUN_RC=$?
	_t1=$(date +%s%N)
	RUN_MS=$(( (_t1 - _t0) / 1000000 ))
	RUN_LINE1=$(head -n 1 "$RUN_OUT")
}

# Diagnostics about the last run, printed under a failed assertion.
run_diag() {
	t_diag "command: $RUN_CMD"
	t_diag "exit code: $RUN_RC, wall time: ${RUN_MS} ms"
	t_diag "stdout:"
	head -c 2000 "$RUN_OUT" | head -n 30 | t_diag_stream
	if [ -s "$RUN_ERR" ]; then
		t_diag "stderr:"
		head -c 2000 "$RUN_ERR" | head -n 30 | t_diag_stream
	fi
	if [ -n "${RUN_VG:-}" ]; then
		for _f in "$RUN_VG".*; do
			[ -s "$_f" ] || continue
			t_diag "valgrind ($_f):"
			head -n 40 "$_f" | t_diag_stream
		done
	fi
}

assert_exit() {
	if [ "$RUN_RC" -eq "$1" ]; then
		pass "$2 (exit $1)"
	else
		fail "$2 (exit $1)"
		t_diag "expected exit code $1, got $RUN_RC"
		run_diag
		return 1
	fi
}

# assert_line1 ERE DESC: the status line (first line of stdout) matches ERE.
assert_line1() {
	if printf '%s\n' "$RUN_LINE1" | grep -Eq -- "$1"; then
		pass "$2"
	else
		fail "$2"
		t_diag "status line does not match: $1"
		run_diag
		return 1
	fi
}

# assert_out ERE DESC: some line of stdout matches ERE.
assert_out() {
	if grep -Eq -- "$1" "$RUN_OUT"; then
		pass "$2"
	else
		fail "$2"
		t_diag "no line of stdout matches: $1"
		run_diag
		return 1
	fi
}

# assert_status CODE ERE DESC: exit code and status line, two tests.
assert_status() {
	assert_exit "$1" "$3"
	assert_line1 "$2" "$3: status line"
}

# assert_time_below SECONDS DESC: wall time of the last run < SECONDS
# (under valgrind: x T_TIME_FACTOR + its start-up cost; the description
# says so).
assert_time_below() {
	_t_vg_overhead
	_lim_ms=$(awk -v s="$1" -v f="$T_TIME_FACTOR" -v o="$T_VG_OVERHEAD_MS" \
		'BEGIN { printf "%d", s * f * 1000 + o }')
	_scaled=
	if [ "$T_TIME_FACTOR" != 1 ] || [ "$T_VG_OVERHEAD_MS" != 0 ]; then
		_scaled=", bound ${1}s x$T_TIME_FACTOR + ${T_VG_OVERHEAD_MS} ms valgrind start-up"
	fi
	if [ "$RUN_MS" -lt "$_lim_ms" ]; then
		pass "$2 (${RUN_MS} ms < ${_lim_ms} ms$_scaled)"
	else
		fail "$2 (${RUN_MS} ms < ${_lim_ms} ms$_scaled)"
		run_diag
		return 1
	fi
}

# assert_json PYEXPR DESC: stdout of the last run is one JSON document and
# the Python expression PYEXPR (over `d`, the document) is true.
assert_json() {
	if "$T_PY" - "$RUN_OUT" "$1" <<'PY' >"$T_TMPDIR/json.diag" 2>&1
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
if not eval(sys.argv[2], {"d": d, "json": json}):
    print("false: " + sys.argv[2])
    sys.exit(1)
PY
	then
		pass "$2"
	else
		fail "$2"
		t_diag_stream <"$T_TMPDIR/json.diag"
		run_diag
		return 1
	fi
}

# ------------------------------------------------------------------ ports

# port_free PORT: nothing listens on 127.0.0.1:PORT and it can be bound.
port_free() {
	"$T_PY" - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# free_port: a free TCP port on 127.0.0.1, searched from a base derived
# from $$ so concurrent test scripts do not start on the same port. Ports
# handed out by this process are not handed out again. They lie below the
# kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768 up on
# Debian): a client socket of a test running beside (hostile.test opens
# 10,000) must not take the port a server is about to bind.
T_NEXT_PORT_FILE=
T_PORT_LO=20000
T_PORT_HI=$(awk '{ print $1 - 1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ "${T_PORT_HI:-0}" -gt $((T_PORT_LO + 1000)) ] 2>/dev/null || T_PORT_HI=32767
free_port() {
	# Called in $(...) subshells too: keep the counter in a file.
	[ -n "$T_TMPDIR" ] || bail_out "free_port before t_init"
	T_NEXT_PORT_FILE=$T_TMPDIR/.next_port
	if [ -s "$T_NEXT_PORT_FILE" ]; then
		_p=$(cat "$T_NEXT_PORT_FILE")
	else
		_p=$(( T_PORT_LO + ($$ * 37) % (T_PORT_HI - T_PORT_LO) ))
	fi
	_tries=0
	while [ $_tries -lt 500 ]; do
		[ "$_p" -le "$T_PORT_HI" ] || _p=$T_PORT_LO
		if port_free "$_p"; then
			echo $((_p + 1)) >"$T_NEXT_PORT_FILE"
			echo "$_p"
			return 0
		fi
		_p=$((_p + 1)); _tries=$((_tries + 1))
	done
	return 1
}

# addr_port_free ADDR PORT: ADDR:PORT can be bound, UDP and TCP (where a
# private DNS server is to listen).
addr_port_free() {
	"$T_PY" - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((sys.argv[1], int(sys.argv[2])))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

# port_open HOST PORT: something accepts connections there.
port_open() {
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# wait_port_open HOST PORT SECONDS (polling, bounded)
wait_port_open() {
	_deadline=$(( $(date +%s%N) + $3 * 1000000000 ))
	until port_open "$1" "$2"; do
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}

# wait_port_closed HOST PORT SECONDS (polling, bounded)
wait_port_closed() {
	_deadline=$(( $(date +%s%N) + $3 * 1000000000 ))
	while port_open "$1" "$2"; do
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}

# ------------------------------------------------------------------ resolv.conf

# For a second opinion from a program that can only ask the system's
# resolver (posttls-finger, postfix-mta-sts-resolver): it runs in a private
# mount namespace where a resolv.conf of the test's own is bound over
# /etc/resolv.conf; the machine's file is never changed.
#
# with_resolv_can_run PROGRAM DNS_PORT: 0 if PROGRAM can be run so: root,
# PROGRAM and unshare installed, unshare -m permitted, the test's DNS server
# on port 53 (resolv.conf takes no port). Else WITH_RESOLV_WHY says why.
with_resolv_can_run() {
	if [ "$(id -u)" -ne 0 ]; then
		WITH_RESOLV_WHY="not root ($1 needs a private mount namespace)"
		return 1
	fi
	if [ ! -x "$1" ] || ! command -v unshare >/dev/null 2>&1; then
		WITH_RESOLV_WHY="$1 or unshare (util-linux) not installed"
		return 1
	fi
	if [ "$2" != 53 ]; then
		WITH_RESOLV_WHY="the test's DNS server is not on port 53 (resolv.conf takes no port)"
		return 1
	fi
	if ! unshare -m true 2>/dev/null; then
		WITH_RESOLV_WHY="unshare -m not permitted here"
		return 1
	fi
	return 0
}

# with_resolv RESOLV_CONF CMD...: CMD with RESOLV_CONF as its
# /etc/resolv.conf (exit 111 when the bind mount fails).
with_resolv() {
	# shellcheck disable=SC2016 # $1 is sh's
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf || exit 111; shift; exec "$@"' sh "$@"
}

# ------------------------------------------------------------------ fake server

# dns_start [DNSMASQ OPTIONS...]: a private dnsmasq on 127.0.0.1:<free
# port> answering from the records given (--host-record, --mx-host,
# --local=/zone/ ...), with no upstream and no file of the machine read.
# Waits (bounded) until it listens; registers its stop. Sets DNS_PORT,
# DNS_PID. Returns non-zero (with its log as diag lines) when it cannot start.
dns_start() {
	local _log _deadline
	_log=$T_TMPDIR/dnsmasq.$RANDOM.log
	DNS_PORT=$(free_port) || { t_diag "no free port"; return 1; }
	dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--no-dhcp-interface= --bind-interfaces --listen-address=127.0.0.1 \
		--port="$DNS_PORT" --pid-file= "$@" >"$_log" 2>&1 </dev/null &
	DNS_PID=$!
	cleanup_add "proc_stop $DNS_PID"
	_deadline=$(( $(date +%s%N) + 5000000000 ))
	until ss -Hlun "sport = :$DNS_PORT" 2>/dev/null | grep -q .; do
		if ! kill -0 "$DNS_PID" 2>/dev/null || [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "dnsmasq did not listen on 127.0.0.1:$DNS_PORT:"
			t_diag_stream <"$_log"
			return 1
		fi
		sleep 0.02
	done
}

# fake_start SCENARIO [ARGS...]: starts tests/fake/fakesmtp.py on an
# ephemeral port of 127.0.0.1 (--port 0: the server picks the port, no race)
# with --log $FAKE_LOG, waits (bounded) for its ready file, and registers
# its stop. Sets FAKE_PORT, FAKE_PID, FAKE_LOG.
T_FAKES=0
T_STOPPED=" "     # pids already stopped by fake_stop/proc_stop
fake_start() {
	_scn=$1; shift
	T_FAKES=$((T_FAKES + 1))
	_ready=$T_TMPDIR/fake$T_FAKES.ready
	FAKE_LOG=$T_TMPDIR/fake$T_FAKES.log
	: >"$FAKE_LOG"
	"$T_PY" "$TESTS_SRCDIR/fake/fakesmtp.py" --listen 127.0.0.1 --port 0 \
		--scenario "$_scn" --ready-file "$_ready" --log "$FAKE_LOG" "$@" \
		>"$T_TMPDIR/fake$T_FAKES.stderr" 2>&1 </dev/null &
	FAKE_PID=$!
	cleanup_add "fake_stop $FAKE_PID"
	_deadline=$(( $(date +%s%N) + 10 * 1000000000 ))
	until [ -s "$_ready" ]; do
		if ! kill -0 "$FAKE_PID" 2>/dev/null; then
			t_diag "fakesmtp.py ($_scn) exited early:"
			t_diag_stream <"$T_TMPDIR/fake$T_FAKES.stderr"
			return 1
		fi
		if [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "fakesmtp.py ($_scn) not ready within 10 s"
			return 1
		fi
		sleep 0.02
	done
	FAKE_PORT=$(cat "$_ready")
}

# fake_stop PID (alias proc_stop): stops a background process this test
# started: SIGTERM, bounded wait, then SIGKILL. A pid is signalled at most
# once (once stopped, the number may come to belong to another process), so
# an explicit stop followed by the registered cleanup is safe.
proc_stop() { fake_stop "$@"; }
fake_stop() {
	local _i
	case $T_STOPPED in *" $1 "*) return 0 ;; esac
	T_STOPPED="$T_STOPPED$1 "
	kill -TERM "$1" 2>/dev/null || return 0
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
