# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# aiosmtpd.sh - private instances of a REAL SMTP server, Debian's aiosmtpd
# (python3-aiosmtpd), configured by tests/servers/aiosmtpd_server.py (see its
# options) and run by /usr/bin/python3. Source after common.sh.
#
#   ai_can_run              0 if /usr/bin/python3 imports aiosmtpd (AI_WHY)
#   ai_start NAME [OPTIONS...]
#                           starts one instance on 127.0.0.1, any free port
#                           (--port 0: the server picks it, no race), waits
#                           (bounded) for its ready file, registers its stop.
#                           Sets AI_PORT_<NAME>, AI_PID_<NAME>, AI_LOG_<NAME>
#                           (the server's own log: connections and every
#                           command line it received) and AI_PORT, AI_PID,
#                           AI_LOG (the last one started). Returns non-zero
#                           (with its stderr as diag lines) when it cannot.
#   ai_log_mark NAME        AI_MARK = lines in NAME's log now
#   ai_log_since NAME       NAME's log lines after AI_MARK (stdout)
#   ai_wait_closed NAME [SECONDS]
#                           waits (bounded) until NAME's log, after AI_MARK,
#                           has as many connection ends as connections: the
#                           server has handled everything the client sent

AI_PY=/usr/bin/python3

ai_can_run() {
	if [ ! -x "$AI_PY" ]; then
		AI_WHY="$AI_PY not installed"
		return 1
	fi
	if ! "$AI_PY" -c 'import aiosmtpd.smtp' >/dev/null 2>&1; then
		AI_WHY="$AI_PY cannot import aiosmtpd (python3-aiosmtpd; tools/install-deps.sh)"
		return 1
	fi
	return 0
}

ai_start() {
	local _name=$1 _dir _ready _log _pid _deadline
	shift
	case $_name in *[!A-Za-z0-9_]* | '') t_diag "ai_start: bad name '$_name'"; return 1 ;; esac
	_dir=$(t_tmp)/aiosmtpd
	mkdir -p "$_dir" || return 1
	_ready=$_dir/$_name.ready
	_log=$_dir/$_name.log
	: >"$_log"
	"$AI_PY" "$TESTS_SRCDIR/servers/aiosmtpd_server.py" --listen 127.0.0.1 --port 0 \
		--ready-file "$_ready" --log "$_log" "$@" \
		>"$_dir/$_name.stderr" 2>&1 </dev/null &
	_pid=$!
	cleanup_add "proc_stop $_pid"
	_deadline=$(( $(date +%s%N) + 10 * 1000000000 ))
	until [ -s "$_ready" ]; do
		if ! kill -0 "$_pid" 2>/dev/null; then
			t_diag "aiosmtpd_server.py ($_name) exited early:"
			t_diag_stream <"$_dir/$_name.stderr"
			return 1
		fi
		if [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "aiosmtpd_server.py ($_name) not ready within 10 s"
			return 1
		fi
		sleep 0.02
	done
	AI_PORT=$(cat "$_ready") AI_PID=$_pid AI_LOG=$_log
	printf -v "AI_PORT_$_name" '%s' "$AI_PORT"
	printf -v "AI_PID_$_name" '%s' "$AI_PID"
	printf -v "AI_LOG_$_name" '%s' "$AI_LOG"
}

_ai_log() { local _v="AI_LOG_$1"; echo "${!_v}"; }

ai_log_mark() {
	AI_MARK=$(wc -l <"$(_ai_log "$1")" 2>/dev/null || echo 0)
	AI_MARK=${AI_MARK// /}
}

ai_log_since() { tail -n +"$((AI_MARK + 1))" "$(_ai_log "$1")" 2>/dev/null; }

ai_wait_closed() {
	local _deadline _open _closed
	_deadline=$(( $(date +%s%N) + ${2:-5} * 1000000000 ))
	while :; do
		_open=$(ai_log_since "$1" | grep -c 'handling connection')
		_closed=$(ai_log_since "$1" | grep -c 'connection lost')
		[ "$_open" -gt "$_closed" ] || return 0
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}
