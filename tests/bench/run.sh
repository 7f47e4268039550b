#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the benchmark suite of `make bench`: check_smtp_probe
# next to Debian's check_smtp and swaks, and smtp_probe_exporter next to
# Debian's blackbox_exporter (part 5, which starts both daemons). Starts a private Postfix with
# STARTTLS (a test CA's certificate), the delay proxy and the fake servers
# of the scale part, runs tests/bench/bench.py, which prints one table and
# writes BENCHMARKS.md, and stops every server on any exit. Figures, not
# assertions: nothing here passes or fails but a broken test bed.
#
#   make bench                      (TESTS_SRCDIR and PLUGIN set by make)
#   make tests/bench/manysmtp && PLUGIN=$PWD/plugin/check_smtp_probe TESTS_SRCDIR=$PWD/tests bash tests/bench/run.sh
#
# Knobs (environment):
#   RUNS=21           repetitions of parts 1 and 2 (each figure: median, min..max)
#   SCALE_RUNS        repetitions of part 4 (default RUNS/7, at least 3: at
#                     N=1000, xargs alone takes 10-40 s a run)
#   CALLGRIND_RUNS=3  repetitions of part 3 (0: skip it)
#   BENCH_QUICK=1     a quick look: RUNS=3, SCALE_RUNS=1, CALLGRIND_RUNS=1
#   BENCH_DELAY_MS=30, BENCH_DELAY_LO_MS=5
#                     one-way latencies of the two delay proxies (RTT = 2x)
#   BENCH_SCALE_N=1,10,100,1000   target counts of part 4
#   BENCH_OUT=./BENCHMARKS.md     the report (make: the top build directory)
#   BENCH_PARTS=12345 which parts to run (1 per check, 2 round trips,
#                     3 callgrind, 4 scale, 5 exporters)
#   BENCH_EXP_N=1000  probes per measurement of part 5 (BENCH_QUICK: 300)
#   BENCH_EXP_C=10    the client's concurrency in part 5
#   BENCH_EXP_RUNS    repetitions of part 5 (default RUNS/4, at least 3)
#   BLACKBOX=/usr/bin/prometheus-blackbox-exporter
#                     part 5's blackbox_exporter: Debian's package,
#                     installed here when missing (its service stopped and
#                     disabled: the bench runs a private instance)
#   EXPORTER          smtp_probe_exporter (default: beside the plugin)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${PLUGIN:=$PWD/plugin/check_smtp_probe}"
export TESTS_SRCDIR PLUGIN
# shellcheck source=../lib/common.sh
. "$TESTS_SRCDIR/lib/common.sh"
# shellcheck source=../lib/postfix.sh
. "$TESTS_SRCDIR/lib/postfix.sh"
# shellcheck source=../lib/tlsca.sh
. "$TESTS_SRCDIR/lib/tlsca.sh"

# Every tool sees OpenSSL's own defaults for the system trust store, as
# under a monitoring daemon: not a shell's SSL_CERT_FILE (set on some
# machines for other tools), which makes a verifying client parse the whole
# bundle and would measure that, not the check.
unset SSL_CERT_FILE SSL_CERT_DIR

die() { echo "bench: $*" >&2; exit 1; }

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=${RUNS:-3} SCALE_RUNS=${SCALE_RUNS:-1} CALLGRIND_RUNS=${CALLGRIND_RUNS:-1}
fi
RUNS=${RUNS:-21}
EXP_RUNS=${BENCH_EXP_RUNS:-$(( RUNS / 4 > 3 ? RUNS / 4 : 3 ))}
SCALE_RUNS=${SCALE_RUNS:-$(( RUNS / 7 > 3 ? RUNS / 7 : 3 ))}
CALLGRIND_RUNS=${CALLGRIND_RUNS:-3}
DELAY_MS=${BENCH_DELAY_MS:-30}
DELAY_LO_MS=${BENCH_DELAY_LO_MS:-5}
BANNER_DELAY_MS=200
SCALE_N=${BENCH_SCALE_N:-1,10,100,1000}
OUT=${BENCH_OUT:-$PWD/BENCHMARKS.md}
CHECK_SMTP=${CHECK_SMTP:-/usr/lib/nagios/plugins/check_smtp}
SWAKS=${SWAKS:-/usr/bin/swaks}
PY=/usr/bin/python3
MANYSMTP=${MANYSMTP:-$(dirname "$PLUGIN")/../tests/bench/manysmtp}
EXPORTER=${EXPORTER:-$(dirname "$PLUGIN")/smtp_probe_exporter}
BLACKBOX=${BLACKBOX:-/usr/bin/prometheus-blackbox-exporter}
PARTS=${BENCH_PARTS:-12345}
if [ "${BENCH_QUICK:-0}" = 1 ]; then BENCH_EXP_N=${BENCH_EXP_N:-300}; fi
EXP_N=${BENCH_EXP_N:-1000}
EXP_C=${BENCH_EXP_C:-10}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

t_init
pf_can_run || die "$PF_WHY"
tlsca_can_run || die "$TLSCA_WHY"
[ -x "$CHECK_SMTP" ] || die "$CHECK_SMTP missing (package monitoring-plugins-standard)"
[ -x "$SWAKS" ] || die "$SWAKS missing (package swaks)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (package time)"
[ -x "$MANYSMTP" ] || die "$MANYSMTP missing (make tests/bench/manysmtp)"
command -v xargs >/dev/null || die "xargs missing (package findutils)"
if [ "$CALLGRIND_RUNS" -gt 0 ] && ! command -v valgrind >/dev/null; then
	echo "bench: valgrind not installed: part 3 (instructions) skipped" >&2
	CALLGRIND_RUNS=0
fi

# Part 5 compares with Debian's blackbox_exporter: installed when missing,
# and never left running as a service (the bench starts its own).
if [[ $PARTS == *5* ]] && [ ! -x "$BLACKBOX" ]; then
	echo "bench: installing prometheus-blackbox-exporter (part 5)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		prometheus-blackbox-exporter >&2 || die "could not install prometheus-blackbox-exporter"
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable prometheus-blackbox-exporter.service >/dev/null 2>&1
		[ ! -d /run/systemd/system ] || systemctl stop prometheus-blackbox-exporter.service >/dev/null 2>&1
	fi
	if [ -e /etc/init.d/prometheus-blackbox-exporter ]; then
		/etc/init.d/prometheus-blackbox-exporter stop >/dev/null 2>&1
		update-rc.d prometheus-blackbox-exporter disable >/dev/null 2>&1
	fi
fi
if [[ $PARTS == *5* ]] && [ ! -x "$EXPORTER" ]; then
	echo "bench: $EXPORTER not built: part 5 runs without it" >&2
fi

# The plugin binary itself, not libtool's wrapper script (a shell script
# that would be in every figure).
BIN=$PLUGIN LIBS=
if head -c 4096 "$PLUGIN" | grep -q libtool; then
	BIN=$(dirname "$PLUGIN")/.libs/$(basename "$PLUGIN")
	LIBS=$(cd "$(dirname "$PLUGIN")/../lib/.libs" && pwd) || die "no lib/.libs beside $PLUGIN"
	[ -x "$BIN" ] || die "no binary behind the libtool wrapper: $BIN"
fi
EXP_BIN=$EXPORTER
if [ -x "$EXPORTER" ] && head -c 4096 "$EXPORTER" | grep -q libtool; then
	EXP_BIN=$(dirname "$EXPORTER")/.libs/$(basename "$EXPORTER")
fi

# The scale part holds 1000 sockets in one process (and the fake servers
# 2000): the soft limit goes up to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NMAX=$(tr ',' '\n' <<<"$SCALE_N" | sort -n | tail -n 1)
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((2 * NMAX + 64)) ] ||
	die "open files limit $(ulimit -n) too low for N=$NMAX (ulimit -Hn)"

# wait_ready FILE PID WHAT: polls (bounded) until FILE exists.
wait_ready() {
	_deadline=$(( $(date +%s%N) + 20 * 1000000000 ))
	until [ -s "$1" ]; do
		kill -0 "$2" 2>/dev/null || die "$3 exited early"
		[ "$(date +%s%N)" -lt "$_deadline" ] || die "$3 not ready within 20 s"
		sleep 0.05
	done
}

echo "bench: starting Postfix, the delay proxy and $NMAX fake servers" >&2
tlsca_make "$(t_tmp)/ca" >&2 || die "could not make the test CA"
pf_tls "$TLSCA_DIR/good.crt" "$TLSCA_DIR/good.key"
pf_start >&2 || die "could not start a private Postfix"

TMP=$(t_tmp)
"$PY" "$TESTS_SRCDIR/bench/delayproxy.py" --upstream "127.0.0.1:$PF_PORT" \
	--delay "$DELAY_MS" --delay "$DELAY_LO_MS" --ready-file "$TMP/proxy.ready" \
	</dev/null >"$TMP/proxy.log" 2>&1 &
PROXY_PID=$!
cleanup_add "proc_stop $PROXY_PID"
wait_ready "$TMP/proxy.ready" "$PROXY_PID" "delayproxy.py"

"$MANYSMTP" --count "$NMAX" \
	--banner-delay "$BANNER_DELAY_MS" --ready-file "$TMP/many.ready" \
	</dev/null >"$TMP/many.log" 2>&1 &
MANY_PID=$!
cleanup_add "proc_stop $MANY_PID"
wait_ready "$TMP/many.ready" "$MANY_PID" "manysmtp"

rc=0
LC_ALL=C "$PY" "$TESTS_SRCDIR/bench/bench.py" \
	--plugin "$BIN" --ld-library-path "$LIBS" \
	--check-smtp "$CHECK_SMTP" --swaks "$SWAKS" --ca "$TLSCA_DIR/ca.crt" \
	--pf-port "$PF_PORT" --proxy-ready "$TMP/proxy.ready" --delay-ms "$DELAY_MS" \
	--delay-lo-ms "$DELAY_LO_MS" \
	--many-ready "$TMP/many.ready" --many-pid "$MANY_PID" --banner-delay-ms "$BANNER_DELAY_MS" \
	--scale-n "$SCALE_N" --runs "$RUNS" --rtt-runs "$RUNS" \
	--callgrind-runs "$CALLGRIND_RUNS" --scale-runs "$SCALE_RUNS" \
	--exporter "$EXP_BIN" --blackbox "$BLACKBOX" --exp-n "$EXP_N" --exp-c "$EXP_C" \
	--exp-runs "$EXP_RUNS" \
	--parts "$PARTS" --tmp "$TMP" --out "$OUT" --srcdir "$TESTS_SRCDIR/.." --load-start "$LOAD_START" || rc=$?
echo "bench: ${SECONDS} s in all, servers' start included" >&2
exit "$rc"
