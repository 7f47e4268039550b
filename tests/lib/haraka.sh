# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# haraka.sh - a private, real Haraka (the Node.js SMTP server, from npm; see
# tools/install-deps.sh) for smtp-probe's integration tests. Source after
# common.sh (uses t_tmp, free_port, wait_port_open, cleanup_add, proc_stop).
#
#   hk_can_run          0 if Haraka and node are there (else HK_WHY says why)
#   hk_tls CERT KEY     before hk_start: offer STARTTLS with this certificate
#                       (Haraka's tls plugin; the files are copied into the
#                       instance's config dir as tls_cert.pem / tls_key.pem,
#                       with dhparams.pem made by openssl; needs openssl)
#   hk_start            configures and starts the instance; sets HK_PORT,
#                       HK_PID, HK_DIR, HK_LOG, HK_QUEUE; registers hk_stop
#   hk_stop             stops it (once; also run on any exit)
#   hk_log_mark         HK_LOG_MARK = lines in HK_LOG now
#   hk_log_wait ERE [SECONDS]
#                       waits (bounded) until a log line after HK_LOG_MARK
#                       matches ERE; HK_LOG_LINE is the first such line
#   hk_log_since        the log lines after HK_LOG_MARK (stdout)
#
# The instance:
# * `haraka -i DIR` makes a fresh config dir inside the test's temp dir;
#   `haraka -c DIR` runs it in the foreground (no daemonize, no pid or log
#   file under /var), as ONE process (smtp.ini nodes=0: no cluster workers),
#   a child of the test, so stopping it is stopping one pid. Haraka's own
#   queue directory (outbound) is DIR/queue, unused: nothing relays.
# * It listens on 127.0.0.1:HK_PORT only (smtp.ini listen=).
# * Plugins: rcpt_to.in_host_list (accepts recipients in HK_DOMAIN, listed
#   in config/host_list; any other domain is refused by Haraka's default
#   with a 550), queue/test (writes each message to $TMPDIR/mail_UUID.eml
#   and answers `250 Message Queued (UUID)`; TMPDIR is set to
#   HK_QUEUE, a directory of the instance), and tls when hk_tls was used.
#   No DNS-using plugin (mail_from.is_resolvable is dropped).
# * Its log (stdout and stderr) is HK_LOG, at level "protocol": every line
#   the server sent (`S: ...`) and received (`C: ...`) is in it.

HK_DIR=
HK_PORT=
HK_PID=
HK_LOG=
HK_QUEUE=
HK_TLS_CERT=
HK_TLS_KEY=
HK_HOME=${HARAKA_DIR:-/opt/smtp-probe-test/haraka}
HK_BIN=$HK_HOME/node_modules/.bin/haraka
HK_DOMAIN=probe.test
HK_ME=haraka.probe.test

hk_can_run() {
	if ! command -v node >/dev/null 2>&1; then
		HK_WHY="node not installed (tools/install-deps.sh)"
		return 1
	fi
	if [ ! -x "$HK_BIN" ]; then
		HK_WHY="Haraka not installed at $HK_HOME (tools/install-deps.sh)"
		return 1
	fi
	return 0
}

hk_tls() { HK_TLS_CERT=$1 HK_TLS_KEY=$2; }

hk_start() {
	local _c _deadline _out
	HK_DIR=$(t_tmp)/haraka
	HK_LOG=$HK_DIR/haraka.log
	HK_QUEUE=$HK_DIR/messages
	if ! _out=$("$HK_BIN" -i "$HK_DIR" 2>&1); then
		t_diag "haraka -i $HK_DIR failed:"
		printf '%s\n' "$_out" | t_diag_stream
		return 1
	fi
	_c=$HK_DIR/config
	mkdir -p "$HK_QUEUE" || return 1
	HK_PORT=$(free_port) || { t_diag "no free port"; return 1; }
	printf '%s\n' "$HK_ME" >"$_c/me"
	printf '%s\n' "$HK_DOMAIN" >"$_c/host_list"
	cat >"$_c/smtp.ini" <<SMTPINI
; Private Haraka for smtp-probe's integration tests (tests/lib/haraka.sh)
[main]
listen=127.0.0.1:$HK_PORT
; one process, no cluster workers
nodes=0
daemonize=false
inactivity_timeout=30
force_shutdown_timeout=2
SMTPINI
	cat >"$_c/log.ini" <<LOGINI
[main]
level=protocol
timestamps=true
format=default
LOGINI
	{
		echo rcpt_to.in_host_list
		[ -z "$HK_TLS_CERT" ] || echo tls
		echo queue/test
	} >"$_c/plugins"
	if [ -n "$HK_TLS_CERT" ]; then
		cp "$HK_TLS_CERT" "$_c/tls_cert.pem" && cp "$HK_TLS_KEY" "$_c/tls_key.pem" || return 1
		chmod 0600 "$_c/tls_key.pem"
		# Without a dhparams.pem the tls plugin spawns `openssl dhparam 2048`
		# (minutes, and a process outliving the server): give it RFC 7919's
		# ffdhe2048 group, written at once.
		openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 \
			-out "$_c/dhparams.pem" >/dev/null 2>&1 || {
			t_diag "openssl could not write the DH parameters"; return 1; }
	fi

	TMPDIR=$HK_QUEUE "$HK_BIN" -c "$HK_DIR" >"$HK_LOG" 2>&1 </dev/null &
	HK_PID=$!
	cleanup_add hk_stop
	_deadline=$(( $(date +%s%N) + 30 * 1000000000 ))
	until grep -q "Listening on 127\\.0\\.0\\.1:$HK_PORT" "$HK_LOG" 2>/dev/null &&
		port_open 127.0.0.1 "$HK_PORT"; do
		if ! kill -0 "$HK_PID" 2>/dev/null; then
			t_diag "Haraka exited early; its log:"
			tail -n 30 "$HK_LOG" | t_diag_stream
			HK_PID=
			return 1
		fi
		if [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "Haraka did not listen on 127.0.0.1:$HK_PORT within 30 s; its log:"
			tail -n 30 "$HK_LOG" | t_diag_stream
			return 1
		fi
		sleep 0.05
	done
	if [ -n "$HK_TLS_CERT" ] && grep -q 'could not be loaded' "$HK_LOG"; then
		t_diag "Haraka could not load its TLS certificate:"
		grep 'could not be loaded' "$HK_LOG" | t_diag_stream
		return 1
	fi
	return 0
}

hk_stop() {
	[ -n "$HK_PID" ] || return 0
	proc_stop "$HK_PID"
	HK_PID=
	wait_port_closed 127.0.0.1 "$HK_PORT" 5 ||
		t_diag "port $HK_PORT still open after stopping Haraka"
}

hk_log_mark() {
	HK_LOG_MARK=$(wc -l <"$HK_LOG" 2>/dev/null || echo 0)
	HK_LOG_MARK=${HK_LOG_MARK// /}
}

hk_log_since() { tail -n +"$((HK_LOG_MARK + 1))" "$HK_LOG" 2>/dev/null; }

hk_log_wait() {
	local _deadline
	_deadline=$(( $(date +%s%N) + ${2:-5} * 1000000000 ))
	while :; do
		HK_LOG_LINE=$(hk_log_since | grep -E -m 1 -- "$1")
		[ -z "$HK_LOG_LINE" ] || return 0
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}
