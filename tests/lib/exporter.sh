# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# exporter.sh - run smtp_probe_exporter privately for a test, and speak HTTP
# to it (and to Prometheus) with curl. Source after common.sh.
#
#   exp_can_run          0 if $EXPORTER (set by make check) and curl are
#                        there; else EXP_WHY says what is missing
#   exp_start FILE [ARGS...]
#                        starts the exporter with the module file FILE on
#                        127.0.0.1:<free port>, --log.level=debug, stderr in
#                        EXP_LOG; waits (bounded) until /-/healthy answers
#                        200; registers its stop. Sets EXP_PORT, EXP_PID,
#                        EXP_URL (http://127.0.0.1:EXP_PORT). Non-zero, with
#                        its log as diag lines, when it cannot start.
#   exp_stop             SIGTERM, bounded wait; EXP_RC is its exit code
#   http_get URL [CURL ARGS...]
#                        GET (30 s at most): HTTP_CODE (000: no answer) and
#                        HTTP_BODY (a file of the test's temp dir)
#   http_diag            the last request and its answer as diag lines

EXP_PORT=
EXP_PID=
EXP_URL=
EXP_LOG=
EXP_RC=
HTTP_N=0

exp_can_run() {
	if [ -z "${EXPORTER:-}" ] || [ ! -x "$EXPORTER" ]; then
		EXP_WHY="smtp_probe_exporter not built (${EXPORTER:-EXPORTER unset})"
		return 1
	fi
	if ! command -v curl >/dev/null 2>&1; then
		EXP_WHY="curl not installed (tools/install-deps.sh)"
		return 1
	fi
	return 0
}

exp_start() {
	local _cfg=$1 _deadline
	shift
	EXP_PORT=$(free_port) || { t_diag "no free port"; return 1; }
	EXP_URL=http://127.0.0.1:$EXP_PORT
	EXP_LOG=$(t_tmp)/exporter.$EXP_PORT.log
	"$EXPORTER" --config.file="$_cfg" --web.listen-address="127.0.0.1:$EXP_PORT" \
		--log.level=debug "$@" >"$EXP_LOG" 2>&1 </dev/null &
	EXP_PID=$!
	cleanup_add "proc_stop $EXP_PID"
	_deadline=$(( $(date +%s%N) + 10 * 1000000000 ))
	while :; do
		http_get "$EXP_URL/-/healthy"
		[ "$HTTP_CODE" != 200 ] || return 0
		if ! kill -0 "$EXP_PID" 2>/dev/null || [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "smtp_probe_exporter did not answer /-/healthy on 127.0.0.1:$EXP_PORT within 10 s; its log:"
			tail -n 20 "$EXP_LOG" | t_diag_stream
			return 1
		fi
		sleep 0.05
	done
}

exp_stop() {
	local _i=0
	EXP_RC=
	[ -n "$EXP_PID" ] || return 0
	kill -TERM "$EXP_PID" 2>/dev/null
	while kill -0 "$EXP_PID" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	if kill -0 "$EXP_PID" 2>/dev/null; then
		EXP_RC=timeout
		proc_stop "$EXP_PID"
	else
		wait "$EXP_PID" 2>/dev/null
		EXP_RC=$?
		T_STOPPED="$T_STOPPED$EXP_PID "
	fi
	EXP_PID=
}

http_get() {
	local _url=$1
	shift
	HTTP_N=$((HTTP_N + 1))
	HTTP_BODY=$(t_tmp)/http$HTTP_N.body
	HTTP_URL=$_url
	HTTP_CODE=$(curl -s -o "$HTTP_BODY" -w '%{http_code}' --max-time 30 "$@" -- "$_url" 2>/dev/null)
	[ -n "$HTTP_CODE" ] || HTTP_CODE=000
}

http_diag() {
	t_diag "GET $HTTP_URL: HTTP $HTTP_CODE; body:"
	head -c 2000 "$HTTP_BODY" 2>/dev/null | head -n 30 | t_diag_stream
}
