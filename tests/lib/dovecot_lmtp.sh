# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# SPDX-License-Identifier: MIT
# dovecot_lmtp.sh - run a REAL, PRIVATE Dovecot LMTP server for the
# integration tests. Source after common.sh (uses t_tmp, t_diag, cleanup_add,
# free_port, wait_port_open, proc_stop).
#
#   lmtp_can_run        0 if a private Dovecot LMTP can run here (root,
#                       dovecot, its lmtp and quota modules, users); else 1
#                       with the reason in LMTP_WHY
#   lmtp_start NAME [tempfail]
#                       starts the instance NAME (letters, digits, _) with
#                       LMTP on 127.0.0.1:<free port>; waits (bounded) until
#                       it accepts connections; registers its stop. Sets
#                       LMTP_PORT, LMTP_DIR (the instance: dovecot.conf,
#                       users, run/, state/, dovecot.log, mail/) and
#                       LMTP_MAILDIR (base of the homes: the Maildir of
#                       USER@probe.test is $LMTP_MAILDIR/USER/Maildir), and
#                       the same per instance: LMTP_PORT_<NAME>,
#                       LMTP_DIR_<NAME>, LMTP_PID_<NAME>.
#                       `tempfail`: quota_full_tempfail = yes, so that an
#                       over-quota delivery is 452 4.2.2 instead of 552 5.2.2.
#   lmtp_stop NAME      stops it (SIGTERM to its master and the master's
#                       children; bounded; whatever is left is killed by pid)
#   lmtp_count NAME USER
#                       prints how many messages USER's Maildir holds (new/
#                       and cur/)
#   lmtp_wait_mail NAME USER STRING [SECONDS]
#                       polls (bounded) USER's Maildir/new until a message
#                       contains STRING (fixed string); sets LMTP_MAIL_FILE.
#                       LMTP answers after saving, so this is normally at
#                       once; the poll only bounds it.
#
# Users (passwd-file, userdb and passdb): probe@probe.test, a@probe.test and
# full@probe.test, all mapped to the system user nobody:nogroup (uid 65534,
# above first_valid_uid, and a uid that exists on every Debian), homes under
# LMTP_MAILDIR owned by nobody. The quota plugin (backend maildir, Maildir++
# maildirsize) is loaded for every user; only full@ has a limit, through its
# userdb field quota_rule=*:storage=1k (1 KiB), and its Maildir is pre-filled
# with a 4 KiB message before the start, so it is over quota whatever the
# next message's size, and quota_grace = 0 allows no last message. With
# lmtp_rcpt_check_quota = no (Dovecot's default) RCPT TO:<full@...> is
# accepted and the refusal comes in the reply to the end of data:
#   552 5.2.2 <full@probe.test> Quota exceeded (mailbox for user is full)
# or, with quota_full_tempfail = yes, 452 4.2.2 ... .
#
# How the instance is kept private: `dovecot -F -c CONF` reads only CONF
# (no !include of /etc/dovecot), base_dir (sockets, master pid), state_dir
# and the logs are in the instance directory, instance_name is unique, the
# only inet listener is 127.0.0.1:PORT (the imap/pop3/submission listeners
# do not exist: protocols = lmtp), and ssl = no. The master runs in the
# foreground as a child of the test, so stopping it is stopping one pid.

LMTP_PORT=
LMTP_DIR=
LMTP_MAILDIR=
LMTP_WHY=
LMTP_UID=nobody
LMTP_GID=nogroup
LMTP_USERS="probe a full"
LMTP_DOMAIN=probe.test

lmtp_can_run() {
	if [ "$(id -u)" -ne 0 ]; then
		LMTP_WHY="not root (Dovecot's LMTP switches to the mail user)"
		return 1
	fi
	if [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/lmtp ]; then
		LMTP_WHY="dovecot or its lmtp not installed (dovecot-core, dovecot-lmtpd; tools/install-deps.sh)"
		return 1
	fi
	if ! ls /usr/lib/dovecot/modules/lib*_quota_plugin.so >/dev/null 2>&1; then
		LMTP_WHY="Dovecot's quota plugin is missing (dovecot-core)"
		return 1
	fi
	if ! id -u dovecot >/dev/null 2>&1 || ! id -u dovenull >/dev/null 2>&1; then
		LMTP_WHY="users dovecot/dovenull missing (dovecot-core not configured)"
		return 1
	fi
	if ! id -u "$LMTP_UID" >/dev/null 2>&1 || ! getent group "$LMTP_GID" >/dev/null 2>&1; then
		LMTP_WHY="user $LMTP_UID or group $LMTP_GID missing"
		return 1
	fi
	return 0
}

# _lmtp_write_config DIR PORT TEMPFAIL(yes|no)
_lmtp_write_config() {
	local _d=$1 _port=$2 _tf=$3 _uid _gid _u _extra
	_uid=$(id -u "$LMTP_UID") _gid=$(getent group "$LMTP_GID" | cut -d: -f3)
	mkdir -p "$_d/run" "$_d/state" "$_d/mail" || return 1
	# The mail user must traverse to its home: the test's temp dir is 0700.
	chmod 0755 "$(t_tmp)" "$_d" "$_d/mail" || return 1
	: >"$_d/users"
	for _u in $LMTP_USERS; do
		_extra=
		[ "$_u" != full ] || _extra='userdb_quota_rule=*:storage=1k'
		printf '%s@%s:{PLAIN}secret:%s:%s::%s/%s::%s\n' "$_u" "$LMTP_DOMAIN" \
			"$_uid" "$_gid" "$_d/mail" "$_u" "$_extra" >>"$_d/users"
		mkdir -p "$_d/mail/$_u/Maildir/new" "$_d/mail/$_u/Maildir/cur" \
			"$_d/mail/$_u/Maildir/tmp" || return 1
	done
	# full@ is over quota before anything is delivered: a 4 KiB message
	# against a 1 KiB limit (Maildir++ quota recalculates from the files;
	# ",S=" gives the size as the maildir backend reads it).
	"$T_PY" - "$_d/mail/full/Maildir/cur" <<'PY' || return 1
import sys
body = ("From: filler@probe.test\nTo: full@probe.test\nSubject: quota filler\n\n"
        + ("x" * 75 + "\n") * 54)
body = body.encode()
name = "%s/1000000000.M1P1.filler,S=%d:2,S" % (sys.argv[1], len(body))
with open(name, "wb") as f:
    f.write(body)
PY
	chown -R "$_uid:$_gid" "$_d/mail" || return 1
	chown "root:dovecot" "$_d/users" && chmod 0640 "$_d/users" || return 1

	cat >"$_d/dovecot.conf" <<DCCONF
# Private Dovecot LMTP for smtp-probe's integration tests
# (tests/lib/dovecot_lmtp.sh). Nothing of /etc/dovecot is read.
protocols = lmtp
listen = 127.0.0.1
base_dir = $_d/run
state_dir = $_d/state
instance_name = smtp-probe-lmtp-$$-$(basename "$_d")
log_path = $_d/dovecot.log
info_log_path = $_d/dovecot.log
ssl = no
hostname = lmtp.$LMTP_DOMAIN
postmaster_address = postmaster@$LMTP_DOMAIN
disable_plaintext_auth = no
auth_mechanisms = plain
auth_verbose = yes
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_plugins = quota
lmtp_rcpt_check_quota = no
quota_full_tempfail = $_tf
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $_d/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $_d/users
}
plugin {
  quota = maildir:User quota
  quota_grace = 0
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $_port
  }
}
service anvil {
  unix_listener anvil {
    mode = 0600
  }
}
DCCONF
}

# lmtp_start NAME [tempfail]: see the top of this file.
lmtp_start() {
	local _n=$1 _mode=${2:-} _d _port _pid _tf=no _deadline
	case $_n in *[!A-Za-z0-9_]* | '') t_diag "lmtp_start: bad name '$_n'"; return 1 ;; esac
	case $_mode in
	'') ;;
	tempfail) _tf=yes ;;
	*) t_diag "lmtp_start: unknown mode '$_mode'"; return 1 ;;
	esac
	_d=$(t_tmp)/lmtp-$_n
	_port=$(free_port) || { t_diag "no free port"; return 1; }
	_lmtp_write_config "$_d" "$_port" "$_tf" ||
		{ t_diag "writing the Dovecot LMTP configuration failed"; return 1; }
	if ! _out=$(/usr/sbin/dovecot -c "$_d/dovecot.conf" -n 2>&1 >/dev/null); then
		t_diag "dovecot -n rejects the configuration:"
		printf '%s\n' "$_out" | t_diag_stream
		return 1
	fi
	/usr/sbin/dovecot -F -c "$_d/dovecot.conf" >"$_d/stderr" 2>&1 </dev/null &
	_pid=$!
	printf -v "LMTP_PID_$_n" '%s' "$_pid"
	printf -v "LMTP_PORT_$_n" '%s' "$_port"
	printf -v "LMTP_DIR_$_n" '%s' "$_d"
	cleanup_add "lmtp_stop $_n"
	LMTP_PORT=$_port LMTP_DIR=$_d LMTP_MAILDIR=$_d/mail
	# Readiness: the master is alive and the listener accepts connections
	# (the probe connection is an LMTP session Dovecot simply ends).
	_deadline=$(( $(date +%s%N) + 10 * 1000000000 ))
	until port_open 127.0.0.1 "$_port"; do
		if ! kill -0 "$_pid" 2>/dev/null; then
			t_diag "dovecot ($_n) exited early:"
			cat "$_d/stderr" "$_d/dovecot.log" 2>/dev/null | tail -n 20 | t_diag_stream
			return 1
		fi
		if [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "dovecot ($_n) did not listen on 127.0.0.1:$_port within 10 s; its log:"
			tail -n 20 "$_d/dovecot.log" 2>/dev/null | t_diag_stream
			return 1
		fi
		sleep 0.05
	done
	return 0
}

lmtp_stop() {
	local _n=$1 _pidv _pid _kids _k _portv
	_pidv=LMTP_PID_$_n _portv=LMTP_PORT_$_n
	_pid=${!_pidv:-}
	[ -n "$_pid" ] || return 0
	# The master's children (anvil, log, config, auth, lmtp ...: the master
	# starts every process). SIGTERM to the master alone makes it wait about
	# a second for them; to all at once, it is gone in milliseconds. Then
	# each is waited for (bounded) and killed if still there.
	_kids=$(pgrep -P "$_pid" 2>/dev/null)
	# shellcheck disable=SC2086 # a list of pids
	kill -TERM "$_pid" $_kids 2>/dev/null
	proc_stop "$_pid"
	for _k in $_kids; do
		proc_stop "$_k"
	done
	printf -v "$_pidv" '%s' ''
	wait_port_closed 127.0.0.1 "${!_portv}" 5 ||
		t_diag "port ${!_portv} still open after stopping Dovecot ($_n)"
}

_lmtp_box() {
	local _dv=LMTP_DIR_$1
	echo "${!_dv}/mail/$2/Maildir"
}

lmtp_count() {
	local _b
	_b=$(_lmtp_box "$1" "$2")
	find "$_b/new" "$_b/cur" -type f 2>/dev/null | wc -l
}

lmtp_wait_mail() {
	local _b _deadline
	_b=$(_lmtp_box "$1" "$2")/new
	_deadline=$(( $(date +%s%N) + ${4:-5} * 1000000000 ))
	while :; do
		if [ -d "$_b" ] && grep -rqF -- "$3" "$_b" 2>/dev/null; then
			LMTP_MAIL_FILE=$(grep -rlF -- "$3" "$_b" | head -n 1)
			return 0
		fi
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}
