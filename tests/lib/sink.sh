# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# SPDX-License-Identifier: MIT
# sink.sh - run Postfix's REAL smtp-sink(1) (/usr/sbin/smtp-sink, from the
# postfix package) on 127.0.0.1 for the integration tests, with the fault
# options the test asks for. Source after common.sh (uses t_tmp, t_diag,
# cleanup_add, free_port, port_open, proc_stop, wait_port_closed).
#
#   sink_can_run        0 if smtp-sink can run here; else 1, reason in SINK_WHY
#   sink_start NAME [SMTP-SINK OPTIONS...]
#                       starts one smtp-sink named NAME (letters, digits, _)
#                       on 127.0.0.1:<free port> with the options given
#                       (e.g. -r RCPT, -f MAIL, -q DATA, -Q RCPT, -w 1, -L,
#                       -e, -p: see `man smtp-sink`), waits (bounded) until
#                       it accepts connections, registers its stop. Sets
#                       SINK_PORT, SINK_PID, SINK_LOG (its -v conversation
#                       log), and per sink SINK_PORT_<NAME>, SINK_PID_<NAME>,
#                       SINK_LOG_<NAME>. Several sinks may run at once.
#   sink_stop NAME      stops it (its one process; bounded)
#
# smtp-sink stays in the foreground (a child of the test: stopping it is
# stopping one pid). As root it must drop privileges after binding (-u):
# the user is nobody. It always runs with -v (every command it received,
# one per line, on stderr: SINK_LOG), -4, a 10 s command timeout (-t 10),
# and listens on 127.0.0.1 only. The readiness probe (a connection opened and
# closed) is one session for the sink; nothing counts sessions here.
#
# What smtp-sink (Postfix 3.7) really answers, as seen on the wire:
#   banner            220 smtp-sink ESMTP        (-e: 220 smtp-sink)
#   EHLO/LHLO         250-smtp-sink ... 250-DSN, and a LAST LINE "250 " with
#                     no text (-p: no PIPELINING; -E: no ENHANCEDSTATUSCODES)
#   EHLO with -e      500 5.5.1 Error: unknown command; HELO: 250 smtp-sink
#   MAIL, RCPT        250 2.1.0 Ok, 250 2.1.5 Ok
#   DATA              354 End data with <CR><LF>.<CR><LF>
#   end of data       250 2.0.0 Ok; with -L one "250 2.2.0 Ok" per recipient
#   QUIT              221 Bye
#   -r CMD            450 4.3.0 Error: command failed
#   -f CMD            500 5.3.0 Error: command failed
#   -Q CMD            421 4.0.0 Server closing connection, then closes
#   -q CMD            closes without a reply
#   PROXY v1 header   500 5.5.1 Error: unknown command (a command to it)
#   PROXY v2 header   500 5.5.2 Error: unknown command to the empty lines of
#                     its signature, then it drops the connection at the
#                     signature's "QUIT" line (its -v log: "QUIT?!?")

SINK_BIN=/usr/sbin/smtp-sink
SINK_PORT=
SINK_PID=
SINK_LOG=
SINK_WHY=

sink_can_run() {
	if [ ! -x "$SINK_BIN" ]; then
		SINK_WHY="$SINK_BIN not installed (postfix package; tools/install-deps.sh)"
		return 1
	fi
	if [ "$(id -u)" -eq 0 ] && ! id -u nobody >/dev/null 2>&1; then
		SINK_WHY="running as root and no user nobody for smtp-sink -u"
		return 1
	fi
	return 0
}

# sink_start NAME [OPTIONS...]: see the top of this file.
sink_start() {
	local _n=$1 _port _pid _log _deadline _user=()
	shift
	case $_n in *[!A-Za-z0-9_]* | '') t_diag "sink_start: bad name '$_n'"; return 1 ;; esac
	_port=$(free_port) || { t_diag "no free port"; return 1; }
	_log=$(t_tmp)/sink-$_n.log
	[ "$(id -u)" -ne 0 ] || _user=(-u nobody)
	"$SINK_BIN" "${_user[@]}" -4 -v -t 10 "$@" "inet:127.0.0.1:$_port" 64 \
		>"$_log" 2>&1 </dev/null &
	_pid=$!
	printf -v "SINK_PID_$_n" '%s' "$_pid"
	printf -v "SINK_PORT_$_n" '%s' "$_port"
	printf -v "SINK_LOG_$_n" '%s' "$_log"
	SINK_PORT=$_port SINK_PID=$_pid SINK_LOG=$_log
	cleanup_add "sink_stop $_n"
	_deadline=$(( $(date +%s%N) + 10 * 1000000000 ))
	until port_open 127.0.0.1 "$_port"; do
		if ! kill -0 "$_pid" 2>/dev/null; then
			t_diag "smtp-sink $_n ($*) exited early:"
			tail -n 20 "$_log" | t_diag_stream
			return 1
		fi
		if [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "smtp-sink $_n ($*) did not listen on 127.0.0.1:$_port within 10 s"
			tail -n 20 "$_log" | t_diag_stream
			return 1
		fi
		sleep 0.02
	done
	return 0
}

sink_stop() {
	local _pidv=SINK_PID_$1 _portv=SINK_PORT_$1
	[ -n "${!_pidv:-}" ] || return 0
	proc_stop "${!_pidv}"
	printf -v "$_pidv" '%s' ''
	wait_port_closed 127.0.0.1 "${!_portv}" 5 ||
		t_diag "port ${!_portv} still open after stopping smtp-sink $1"
}
