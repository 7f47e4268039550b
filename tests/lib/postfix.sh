# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# postfix.sh - run a REAL, PRIVATE Postfix instance for the integration tests.
# Source after common.sh (uses t_tmp, t_diag, t_bail, cleanup_add, port_free,
# wait_port_open, wait_port_closed).
#
#   pf_start            starts Postfix on 127.0.0.1:$PF_PORT, sets PF_PORT,
#                       PF_DIR (the instance: etc/ = configuration, queue/,
#                       data/, mail/, maillog), PF_CONF (= $PF_DIR/etc, for
#                       postfix -c / postconf -c), PF_MAILDIR (base of the
#                       virtual mailboxes: $PF_MAILDIR/alice/new/...)
#   pf_stop             stops it and waits until no process of it is left
#   pf_wait_mail BOX STRING [SECONDS]
#                       polls $PF_MAILDIR/BOX/new until a message there
#                       contains STRING (fixed string); 0 found, 1 timeout
#   pf_can_run          0 if a private Postfix can run here (root, binaries)
#
# Extras for TLS, AUTH and PROXY tests (call before pf_start):
#   pf_main_add 'name = value'...
#                       lines appended to main.cf (e.g. smtpd_tls_cert_file)
#   pf_listener NAME [name=value ...]
#                       one more smtpd listener on 127.0.0.1:<free port>
#                       with `-o name=value` overrides (values may contain
#                       spaces and commas); its port is in PF_PORT_<NAME>
#                       (NAME: letters, digits, _). Its log lines say
#                       postfix/NAME/smtpd[PID] (syslog_name=postfix/NAME), so
#                       they never count as sessions of the main listener.
#   pf_listener_at NAME ADDR:PORT [name=value ...]
#                       the same on an address and port the caller chose
#                       (e.g. several loopback addresses sharing one port,
#                       as the MX hosts of a domain do); pf_start does not
#                       wait for it: wait_port_open ADDR PORT after it
#   pf_tls CERT KEY     TLS on every listener (main.cf): the certificate and
#                       key, smtpd_tls_security_level=may (STARTTLS offered)
#   pf_dovecot_start USER PASS
#                       a private Dovecot (SASL only, mechanisms PLAIN LOGIN
#                       CRAM-MD5, one user); sets PF_SASL_SOCKET and adds the
#                       main.cf lines that point Postfix's smtpd at it
#                       (smtpd_sasl_type=dovecot); stopped on exit
#   pf_dovecot_can_run  0 if /usr/sbin/dovecot and its users exist (PF_WHY)
# Logs, for any listener:
#   pf_log_mark_lines   PF_LOG_MARK = lines in the maillog now
#   pf_log_wait ERE [SECONDS]
#                       waits (bounded) until a maillog line after
#                       PF_LOG_MARK matches ERE; PF_LOG_LINE is the first one
#
# How the instance is kept private (nothing under /etc/postfix or
# /var/spool/postfix is read for configuration or written):
#
# * `postfix -c DIR` exports MAIL_CONFIG=DIR to postfix-script, master and
#   every daemon, so all of them read DIR/main.cf and DIR/master.cf.
# * Postfix insists that a non-default config directory be listed in
#   alternate_config_directories of the DEFAULT main.cf only when the caller
#   crosses a privilege boundary: the set-gid commands (postqueue, postdrop)
#   run by an unprivileged user. Checked on Postfix 3.7 here: as nobody,
#   `postqueue -c DIR -p` dies with "open file /etc/postfix/main.cf: No such
#   file or directory", while as root `postfix -c DIR check|start|stop`,
#   postmap -c and postconf -c work, and the daemons trust the MAIL_CONFIG
#   their root-started master gives them. So the tests run Postfix as root
#   and need neither /etc/postfix/main.cf (absent after "No configuration")
#   nor alternate_config_directories nor multi_instance_*/postmulti (which
#   would edit the default main.cf). Mail enters through SMTP only, so the
#   set-gid path is never used.
# * The configuration directory holds only root-owned files: queue, data and
#   mailboxes are its siblings, so `postfix check` has nothing to warn about.
# * queue_directory and data_directory are inside the test's temp dir, so the
#   pid file, master.lock, sockets and queue files are private too.
#   meta_directory (postfix-files, dynamicmaps.cf) and the daemon/shlib
#   directories stay at the package's read-only defaults.
# * Every service is run without chroot (a chroot into the private queue
#   directory would lack etc/ files), and the only inet listener is
#   127.0.0.1:PORT; postlogd writes DIR/maillog (maillog_file_prefixes is
#   widened to DIR because Postfix only allows /var and /dev/stdout by
#   default).
# * No DNS: smtp_dns_support_level=disabled (the client is never used
#   anyway: nothing relays), smtpd_peername_lookup=no, and every domain the
#   tests use is local (virtual) or refused before any lookup.

PF_PORT=
PF_DIR=
PF_CONF=
PF_MAILDIR=
PF_STARTED=
PF_MAIN_EXTRA=()
PF_LISTENERS=()      # master.cf lines of the extra listeners
PF_SASL_SOCKET=
DC_DIR=
DC_PID=

pf_can_run() {
	if [ "$(id -u)" -ne 0 ]; then
		PF_WHY="not root (a private Postfix needs root)"
		return 1
	fi
	for _b in /usr/sbin/postfix /usr/sbin/postmap /usr/sbin/postconf; do
		if [ ! -x "$_b" ]; then
			PF_WHY="$_b not installed (tools/install-deps.sh)"
			return 1
		fi
	done
	if ! id -u postfix >/dev/null 2>&1 || ! getent group postdrop >/dev/null 2>&1; then
		PF_WHY="user postfix or group postdrop missing"
		return 1
	fi
	return 0
}

# The master.cf to start from: the installed one, else the packaged template.
_pf_master_template() {
	if [ -r /etc/postfix/master.cf ]; then
		echo /etc/postfix/master.cf
	elif [ -r /usr/share/postfix/master.cf.dist ]; then
		echo /usr/share/postfix/master.cf.dist
	else
		return 1
	fi
}

# _pf_write_config INSTANCE_DIR PORT
_pf_write_config() {
	_d=$1 _port=$2 _c=$1/etc
	_tpl=$(_pf_master_template) || { t_diag "no master.cf template found"; return 1; }
	_uid=$(id -u postfix) _gid=$(id -g postfix)

	# master.cf: the smtp inet service becomes 127.0.0.1:PORT without
	# chroot; any other inet service is commented out; chroot is off for
	# every service; a postlog service is ensured.
	awk -v port="$_port" '
		/^[ \t]/ || /^#/ || /^$/ { print; next }
		$2 == "inet" {
			if ($1 == "smtp" && !done) {
				print "127.0.0.1:" port " inet n - n - - smtpd"
				done = 1
			} else {
				print "#" $0
			}
			next
		}
		$1 == "postlog" { haslog = 1 }
		NF >= 8 { $5 = "n"; print; next }
		{ print }
		END {
			if (!done) print "127.0.0.1:" port " inet n - n - - smtpd"
			if (!haslog) print "postlog unix-dgram n - n - 1 postlogd"
		}' "$_tpl" >"$_c/master.cf" || return 1

	cat >"$_c/main.cf" <<MAINCF
# Private Postfix for smtp-probe's integration tests (tests/lib/postfix.sh).
compatibility_level = 3.6
queue_directory = $_d/queue
data_directory = $_d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = probe-test.example
mydomain = example
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 192.0.2.1/32
smtpd_banner = \$myhostname ESMTP
biff = no
# no network: no DNS, no reverse lookups
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_delay_reject = no
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access hash:$_c/rcpt_access
smtpd_sender_restrictions = check_sender_access hash:$_c/sender_access
# mailboxes: maildir delivery by virtual(8)
virtual_mailbox_domains = example.test
virtual_mailbox_base = $_d/mail
virtual_mailbox_maps = hash:$_c/vmailbox
virtual_uid_maps = static:$_uid
virtual_gid_maps = static:$_gid
local_transport = error:no local delivery in the test instance
alias_maps =
alias_database =
# logging into the instance's own file
maillog_file = $_d/maillog
maillog_file_prefixes = $_d
# quick, predictable tests
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_rate_limit = 0
anvil_rate_time_unit = 60s
MAINCF

	if [ ${#PF_MAIN_EXTRA[@]} -gt 0 ]; then
		printf '%s\n' '# added by the test (pf_main_add, pf_tls, pf_dovecot_start)' \
			"${PF_MAIN_EXTRA[@]}" >>"$_c/main.cf"
	fi
	if [ ${#PF_LISTENERS[@]} -gt 0 ]; then
		printf '%s\n' "${PF_LISTENERS[@]}" >>"$_c/master.cf"
	fi

	printf '%s\n' 'grey@example.test 450 4.7.1 greylisted, try again later' >"$_c/rcpt_access"
	printf '%s\n' 'blocked@bad.example REJECT sender blocked by policy' >"$_c/sender_access"
	printf '%s\n' 'alice@example.test alice/' 'grey@example.test grey/' >"$_c/vmailbox"
	for _m in rcpt_access sender_access vmailbox; do
		/usr/sbin/postmap -c "$_c" "hash:$_c/$_m" || return 1
	done

	mkdir -p "$_d/queue" "$_d/data" "$_d/mail" || return 1
	chown postfix:postfix "$_d/data" "$_d/mail" || return 1
	# Daemons run as postfix and must traverse the directory.
	chmod 0755 "$_d" || return 1
	# Postfix waits (about 2.5 s, twice: check and start) for a main.cf
	# written in the last seconds to settle; this one is complete.
	touch -d '-1 hour' "$_c/main.cf" "$_c/master.cf"
}

# pf_start: configure and start a private instance. Sets PF_PORT, PF_DIR,
# PF_MAILDIR. Registers pf_stop for any exit. Returns non-zero (with diag
# lines) when it cannot start.
pf_start() {
	PF_DIR=$(t_tmp)/postfix
	PF_CONF=$PF_DIR/etc
	mkdir -p "$PF_CONF" || return 1
	PF_MAILDIR=$PF_DIR/mail
	# The test tmp dir is 0700 (mktemp -d); postfix must reach PF_DIR.
	chmod 0755 "$(t_tmp)" || return 1
	PF_PORT=$(free_port) || { t_diag "no free port"; return 1; }
	_pf_write_config "$PF_DIR" "$PF_PORT" || { t_diag "writing the Postfix configuration failed"; return 1; }

	if ! _out=$(/usr/sbin/postfix -c "$PF_CONF" check 2>&1); then
		t_diag "postfix check failed:"
		printf '%s\n' "$_out" | t_diag_stream
		return 1
	fi
	[ -z "$_out" ] || printf '%s\n' "$_out" | t_diag_stream

	cleanup_add pf_stop
	PF_STARTED=1
	# `postfix start` would run the same integrity checks again (seconds on
	# a loaded machine); its quick-start file, which `postfix quick-stop`
	# leaves, says they have just been run.
	touch "$PF_DIR/queue/quick-start" || return 1
	if ! _out=$(/usr/sbin/postfix -c "$PF_CONF" start 2>&1); then
		t_diag "postfix start failed:"
		printf '%s\n' "$_out" | t_diag_stream
		return 1
	fi
	if ! wait_port_open 127.0.0.1 "$PF_PORT" 10; then
		t_diag "Postfix did not listen on 127.0.0.1:$PF_PORT within 10 s; its log:"
		tail -n 20 "$PF_DIR/maillog" 2>/dev/null | t_diag_stream
		return 1
	fi
	# The readiness probe was a session too: wait until smtpd logged its end,
	# which also shows that logging works.
	PF_MARK=0
	if ! pf_wait_session 10; then
		t_diag "Postfix did not log the readiness probe's session within 10 s; its log:"
		tail -n 20 "$PF_DIR/maillog" 2>/dev/null | t_diag_stream
		return 1
	fi
	return 0
}

# The pids of this instance: every process whose working directory is the
# private queue directory (master chdirs there; its children inherit it).
_pf_pids() {
	_q=$PF_DIR/queue
	[ -d "$_q" ] || return 0
	# -ef (same device and inode) is a shell test: no process per pid, which
	# on a loaded machine made each scan take seconds
	for _p in /proc/[0-9]*; do
		[ "$_p/cwd" -ef "$_q" ] 2>/dev/null && echo "${_p#/proc/}"
	done
	return 0
}

pf_stop() {
	[ -n "$PF_STARTED" ] || return 0
	PF_STARTED=
	/usr/sbin/postfix -c "$PF_CONF" stop >/dev/null 2>&1
	# master exits on SIGTERM and its children follow; wait (bounded),
	# then kill by pid what is left of this instance only.
	_i=0
	while [ -n "$(_pf_pids)" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	_left=$(_pf_pids)
	if [ -n "$_left" ]; then
		t_diag "Postfix processes left after stop, killing: $_left"
		# shellcheck disable=SC2086
		kill -KILL $_left 2>/dev/null
		_i=0
		while [ -n "$(_pf_pids)" ] && [ $_i -lt 20 ]; do sleep 0.1; _i=$((_i + 1)); done
	fi
	wait_port_closed 127.0.0.1 "$PF_PORT" 5 ||
		t_diag "port $PF_PORT still open after stopping Postfix"
}

# pf_wait_mail BOX STRING [SECONDS]: delivery is asynchronous; poll the
# mailbox's new/ directory (bounded) for a message containing STRING.
pf_wait_mail() {
	_box=$PF_MAILDIR/$1/new _str=$2 _secs=${3:-10}
	_deadline=$(( $(date +%s%N) + _secs * 1000000000 ))
	while :; do
		if [ -d "$_box" ] && grep -rqF -- "$_str" "$_box" 2>/dev/null; then
			PF_MAIL_FILE=$(grep -rlF -- "$_str" "$_box" | head -n 1)
			return 0
		fi
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.1
	done
}

_pf_count() {
	_c=$(grep -c "postfix/smtpd\\[[0-9]*\\]: $1 from" "$PF_DIR/maillog" 2>/dev/null)
	echo "${_c:-0}"
}

# pf_log_mark: remembers how many smtpd sessions have ended so far, so that
# pf_wait_session can find the one the next probe causes. Logging is
# asynchronous (postlogd), so it first waits (bounded) until every session
# that was logged as started has been logged as ended.
pf_log_mark() {
	_deadline=$(( $(date +%s%N) + 5000000000 ))
	while [ "$(_pf_count connect)" -ne "$(_pf_count disconnect)" ] &&
		[ "$(date +%s%N)" -lt "$_deadline" ]; do
		sleep 0.05
	done
	PF_MARK=$(_pf_count disconnect)
}

# pf_wait_session [SECONDS]: waits (bounded; postlogd writes asynchronously)
# until an smtpd session ended after pf_log_mark, and sets PF_SESSION to its
# "disconnect from ... ehlo=1 mail=1 ... commands=N" line, Postfix's own
# count of the commands the client sent.
pf_wait_session() {
	_deadline=$(( $(date +%s%N) + ${1:-5} * 1000000000 ))
	while :; do
		PF_SESSION=$(grep 'postfix/smtpd\[[0-9]*\]: disconnect from' "$PF_DIR/maillog" 2>/dev/null |
			sed -n "$((PF_MARK + 1))p")
		[ -z "$PF_SESSION" ] || return 0
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}

# ------------------------------------------------------------------ extras

pf_main_add() { PF_MAIN_EXTRA+=("$@"); }

# pf_listener NAME [name=value ...]: see the top of this file.
pf_listener() {
	_ln=$1; shift
	_lp=$(free_port) || { t_diag "no free port"; return 1; }
	pf_listener_at "$_ln" "127.0.0.1:$_lp" "$@" || return 1
	printf -v "PF_PORT_$_ln" '%s' "$_lp"
}

# pf_listener_at NAME ADDR:PORT [name=value ...]: see the top of this file.
pf_listener_at() {
	_ln=$1 _la=$2; shift 2
	case $_ln in *[!A-Za-z0-9_]* | '') t_diag "pf_listener: bad name '$_ln'"; return 1 ;; esac
	PF_LISTENERS+=("$_la inet n - n - - smtpd")
	PF_LISTENERS+=("  -o { syslog_name = postfix/$_ln }")
	for _o in "$@"; do
		PF_LISTENERS+=("  -o { ${_o%%=*} = ${_o#*=} }")
	done
}

# pf_tls CERT KEY: see the top of this file.
pf_tls() {
	pf_main_add "smtpd_tls_cert_file = $1" "smtpd_tls_key_file = $2" \
		"smtpd_tls_security_level = may" "smtpd_tls_loglevel = 1" \
		"smtpd_tls_received_header = no" \
		"smtpd_tls_session_cache_database =" "tls_random_source = dev:/dev/urandom"
}

# ------------------------------------------------------------------ dovecot

pf_dovecot_can_run() {
	if [ ! -x /usr/sbin/dovecot ]; then
		PF_WHY="/usr/sbin/dovecot not installed (dovecot-core; tools/install-deps.sh)"
		return 1
	fi
	if ! id -u dovecot >/dev/null 2>&1 || ! id -u dovenull >/dev/null 2>&1; then
		PF_WHY="users dovecot/dovenull missing (dovecot-core not configured)"
		return 1
	fi
	return 0
}

# pf_dovecot_start USER PASS: Dovecot as an authentication server only (no
# protocols, no listeners but its auth socket), entirely inside the test's
# temp dir: base_dir, state_dir, log, configuration and the passwd-file
# (a {PLAIN} password, which CRAM-MD5 needs). It runs in the foreground (-F)
# as a child of the test, so stopping it is stopping one pid.
pf_dovecot_start() {
	DC_DIR=$(t_tmp)/dovecot
	mkdir -p "$DC_DIR/run" "$DC_DIR/state" || return 1
	chmod 0755 "$(t_tmp)" "$DC_DIR" || return 1
	PF_SASL_SOCKET=$DC_DIR/run/auth-postfix
	printf '%s:{PLAIN}%s::::::\n' "$1" "$2" >"$DC_DIR/users"
	chown root:dovecot "$DC_DIR/users" && chmod 0640 "$DC_DIR/users" || return 1
	cat >"$DC_DIR/dovecot.conf" <<DCCONF
# Private Dovecot for smtp-probe's AUTH tests (tests/lib/postfix.sh)
protocols =
base_dir = $DC_DIR/run
state_dir = $DC_DIR/state
instance_name = smtp-probe-test-$$
log_path = $DC_DIR/dovecot.log
info_log_path = $DC_DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5
auth_verbose = yes
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DC_DIR/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
service anvil {
  unix_listener anvil {
    mode = 0600
  }
}
DCCONF
	cleanup_add pf_dovecot_stop
	/usr/sbin/dovecot -F -c "$DC_DIR/dovecot.conf" >"$DC_DIR/stderr" 2>&1 </dev/null &
	DC_PID=$!
	_deadline=$(( $(date +%s%N) + 10 * 1000000000 ))
	until [ -S "$PF_SASL_SOCKET" ]; do
		if ! kill -0 "$DC_PID" 2>/dev/null; then
			t_diag "dovecot exited early:"
			cat "$DC_DIR/stderr" "$DC_DIR/dovecot.log" 2>/dev/null | tail -n 20 | t_diag_stream
			DC_PID=
			return 1
		fi
		if [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "dovecot's auth socket did not appear within 10 s"
			return 1
		fi
		sleep 0.05
	done
	pf_main_add "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = dovecot" \
		"smtpd_sasl_path = $PF_SASL_SOCKET" "smtpd_tls_auth_only = yes" \
		"broken_sasl_auth_clients = no"
}

# The pids of the processes the private Dovecot's master (DC_PID) started.
_dc_kids() {
	[ -n "$DC_PID" ] || return 0
	pgrep -P "$DC_PID" 2>/dev/null
	return 0
}

pf_dovecot_stop() {
	[ -n "$DC_PID" ] || return 0
	_kids=$(_dc_kids)
	proc_stop "$DC_PID"
	# the master stops its children; kill by pid any it left behind
	for _k in $_kids; do
		kill -0 "$_k" 2>/dev/null && proc_stop "$_k"
	done
	DC_PID=
}

# ------------------------------------------------------------------ logs

pf_log_mark_lines() {
	PF_LOG_MARK=$(wc -l <"$PF_DIR/maillog" 2>/dev/null || echo 0)
	PF_LOG_MARK=${PF_LOG_MARK// /}
}

pf_log_wait() {
	_deadline=$(( $(date +%s%N) + ${2:-5} * 1000000000 ))
	while :; do
		PF_LOG_LINE=$(tail -n +"$((PF_LOG_MARK + 1))" "$PF_DIR/maillog" 2>/dev/null |
			grep -E -m 1 -- "$1")
		[ -z "$PF_LOG_LINE" ] || return 0
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}
