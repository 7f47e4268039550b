# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# mtasts.sh - the MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) test bed of
# SPEC §9: one domain per case below sts.test, each with its MX hosts, its
# TXT records and its policy host, all on loopback and all real servers
# from Debian: a private nginx serving the policies over HTTPS on port 443
# with certificates of the test CA, a private dnsmasq answering for
# sts.test (no upstream, no file of the machine read), one private Postfix
# whose listeners are the MX hosts. Source after common.sh, tlsca.sh and
# postfix.sh (uses t_tmp, t_diag, t_diag_stream, cleanup_add, free_port,
# addr_port_free, with_resolv, proc_stop, tlsca_ca, tlsca_server, pf_*).
#
# API
#   mtasts_can_run      0 if the bed can run here: root (port 443 and the
#                       private Postfix), nginx, dnsmasq, openssl, postfix
#                       (else MTASTS_WHY says what lacks)
#   mtasts_start WORKDIR
#                       makes the test CA (tlsca_ca, unless TLSCA_DIR is
#                       set already) and the bed's certificates, starts
#                       Postfix (pf_start: do not call it again; pf_listener
#                       lines a test adds before are kept), nginx, dnsmasq
#                       and the silent listener, waits (bounded) until each
#                       listens, and registers mtasts_stop. Everything it
#                       writes is in WORKDIR (Postfix's instance is
#                       $(t_tmp)/postfix, as pf_start makes it). Returns
#                       non-zero with diag lines when something does not
#                       start. Sets (besides PF_* of postfix.sh):
#     MTASTS_DNS        ADDR:PORT of the dnsmasq (--dns-server)
#     MTASTS_DNS_ADDR MTASTS_DNS_PORT   the same, apart (port 53 as a rule,
#                       so that a resolv.conf can name it)
#     MTASTS_CA         the CA certificate (--ca-file), = $TLSCA_DIR/ca.crt
#     MTASTS_PORT       the SMTP port of every MX host (-p)
#     MTASTS_CASES      the table of cases (below)
#     MTASTS_NET        the bed's /24, 127.61.X (X from the pid, the first
#                       free one: test files running at once do not collide)
#     MTASTS_DIR        WORKDIR
#     MTASTS_START_MS   how long mtasts_start took
#   mtasts_stop         stops nginx, dnsmasq, the silent listener and
#                       Postfix; idempotent (safe from traps and twice)
#   mtasts_domain LABEL     prints LABEL.sts.test
#   mtasts_policy_addr LABEL
#                       prints the address of mta-sts.LABEL.sts.test (for
#                       curl --resolve NAME:443:ADDR)
#   mtasts_policy_file LABEL
#                       prints the path of the policy nginx serves for LABEL
#                       (absent for redirect, notfound and silent)
#   mtasts_resolver_can_run
#                       0 if mta-sts-query (postfix-mta-sts-resolver) can be
#                       pointed at the bed: root, unshare -m, dnsmasq on
#                       port 53 (else MTASTS_WHY)
#   mtasts_resolver DOMAIN...
#                       the second opinion: Debian's postfix-mta-sts-resolver
#                       asked what mta-sts-query asks it (its STSResolver's
#                       resolve(DOMAIN)), for every DOMAIN at once in one
#                       process, in a private mount namespace where
#                       /etc/resolv.conf is the bed's (nameserver
#                       MTASTS_DNS_ADDR) and SSL_CERT_FILE is MTASTS_CA (the
#                       only trust anchor). Prints one line "DOMAIN VERDICT"
#                       per DOMAIN, in order: valid (STSFetchResult.VALID: a
#                       policy it would apply), none (NONE: no usable TXT
#                       record), error (FETCH_ERROR: a TXT record, but the
#                       fetch failed or the policy is invalid), ? (it
#                       raised; its stderr is MTASTS_DIR/resolver/stderr).
#                       Its HTTP timeout is 4 s (the silent case takes that).
#   mtasts_sts_query DOMAIN
#                       the command itself, `mta-sts-query DOMAIN`, in the
#                       same namespace; its output on stdout (last line
#                       "(<STSFetchResult.VALID: 1>, ('ID', {policy}))")
#
# The table $MTASTS_CASES: comment lines start with '#'; every other line
#   DOMAIN STATE KEYWORD sts_resolver=VERDICT
# DOMAIN the domain for -M; STATE the plugin state SPEC §9 asks of
# `-M DOMAIN --mta-sts -p $MTASTS_PORT --dns-server $MTASTS_DNS --ca-file
# $MTASTS_CA` (OK, WARNING, CRITICAL); KEYWORD a word the status line is to
# hold, case-insensitively (the mode, the HTTP status, the faulty key...: the
# SPEC's wording as this bed's author reads it; the check's own wording
# decides); VERDICT what postfix-mta-sts-resolver concludes (valid, none,
# error; mtasts-bed.test asserts it). Where the resolver and the SPEC differ
# a comment line above the case says why.
#
# The cases (LABEL.sts.test; MX hosts on MTASTS_PORT; "mx" names an MX host
# whose certificate names it, "mx-other" one whose certificate names
# another host, "mx-plain" one without STARTTLS). Unless a case says
# otherwise it has one MX host, mx1.LABEL.sts.test (preference 10, an "mx"),
# the TXT record "v=STSv1; id=20261205TN" (N its number below), and the
# policy "version: STSv1", "mode: enforce", an "mx:" line per MX host,
# "max_age: 86400", lines ending in LF, served as text/plain:
#   good        enforce; MX mx1 (10), mx2 (20), both listed; TLS-RPT mailto
#   testing     testing, the policy's lines end in CRLF; TLS-RPT with two
#               URIs (mailto and https)
#   none        mode none, no mx lines
#   wild        MX mx.wild, policy `mx: *.wild.sts.test`
#   deepwild    MX mx.deep.deepwild, policy `mx: *.deepwild.sts.test` (the
#               wildcard is one label: not covered)
#   split       _mta-sts TXT as two strings "v=STS" "v1; id=...", TLS-RPT as
#               "v=TLSRPTv1;" "rua=mailto:...": valid only joined
#   notxt       no _mta-sts TXT (the policy is served all the same)
#   twotxt      two v=STSv1 TXT records
#   badtxt      id with '-'
#   longid      id of 33 letters and digits
#   redirect    nginx answers 301 to good's policy URL
#   notfound    404
#   mediatype   the policy served as text/html
#   oversize    a valid policy followed by unknown-key lines: 70 KiB
#   expired     the policy host's certificate expired yesterday
#   wrongname   the policy host's certificate names the other policy hosts,
#               not this one
#   silent      the policy host accepts TCP and never sends a byte
#               (tests/fake/fakesmtp.py --scenario silent): the handshake
#               waits for the deadline
#   badmaxage   max_age: 99999999999
#   badmode     mode: enforcing
#   mxip        `mx: mx1.mxip.sts.test` and `mx: MTASTS_NET.201` (the MX
#               host's own address): the host is covered, the address line
#               is the fault
#   typo        `nmx:` instead of `mx:` under enforce (no mx left)
#   uncovered   enforce, MX mx1 and mx2, policy lists mx1 only
#   uncovtesting  the same under testing
#   nostarttls  enforce, its one MX host (mx-plain) offers no STARTTLS
#   testnotls   the same under testing
#   mxname      enforce, its one MX host (mx-other) presents a certificate
#               for another name
#   rptbad      good policy, TLS-RPT rua=ftp://...
#   rpttwo      good policy, two TLS-RPT records
#   rptnone     good policy, no TLS-RPT record (with --tlsrpt: WARNING)
# Every other domain has one valid TLS-RPT record, so that only its own
# fault decides its state.
#
# Addresses: MTASTS_NET.N:443 the policy host of the Nth case (in the order
# above), .201 mx (Postfix's main certificate: every good MX name and
# *.wild.sts.test), .202 mx-other (a certificate for
# mail.elsewhere.sts.test), .203 mx-plain (smtpd_tls_security_level=none),
# all three on MTASTS_PORT, .250 dnsmasq. nginx runs
# `daemon off` as a child of the test (its workers as nobody), with its pid
# file, logs and temp files in WORKDIR/nginx.

MTASTS_ZONE=sts.test
MTASTS_LABELS=(good testing none wild deepwild split notxt twotxt badtxt longid
	redirect notfound mediatype oversize expired wrongname silent badmaxage
	badmode mxip typo uncovered uncovtesting nostarttls testnotls mxname
	rptbad rpttwo rptnone)
MTASTS_DIR=
MTASTS_NET=
MTASTS_DNS=
MTASTS_DNS_ADDR=
MTASTS_DNS_PORT=
MTASTS_CA=
MTASTS_PORT=
MTASTS_CASES=
MTASTS_WHY=
MTASTS_NGINX_PID=
MTASTS_DNSMASQ_PID=
MTASTS_SILENT_PID=
MTASTS_PF=

mtasts_can_run() {
	local _b
	if [ "$(id -u)" -ne 0 ]; then
		MTASTS_WHY="not root (port 443 and a private Postfix need root)"
		return 1
	fi
	for _b in nginx dnsmasq openssl; do
		if ! command -v "$_b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$_b" ]; then
			MTASTS_WHY="$_b not installed (nginx, dnsmasq-base, openssl: tools/install-deps.sh)"
			return 1
		fi
	done
	pf_can_run || { MTASTS_WHY=$PF_WHY; return 1; }
	return 0
}

mtasts_domain() { echo "$1.$MTASTS_ZONE"; }

# _mtasts_index LABEL: the case's number (1...), its policy host's last octet.
_mtasts_index() {
	local _i
	for _i in "${!MTASTS_LABELS[@]}"; do
		[ "${MTASTS_LABELS[$_i]}" != "$1" ] || { echo $((_i + 1)); return 0; }
	done
	return 1
}

mtasts_policy_addr() {
	local _n
	_n=$(_mtasts_index "$1") || return 1
	echo "$MTASTS_NET.$_n"
}

mtasts_policy_file() { echo "$MTASTS_DIR/www/$1/.well-known/mta-sts.txt"; }

# ------------------------------------------------------------------ cases

# _mtasts_case LABEL N: the case's facts (N its number), in C_* variables.
#   C_STATE C_KEY C_RES   the table's columns; C_NOTE a comment line for it
#   C_MX      the MX hosts, "NAME=KIND" (KIND mx, mx-other, mx-plain), by
#             preference 10, 20...
#   C_MODE C_MAXAGE C_EOL (LF or CRLF) C_MXKEY (the key of the mx lines)
#   C_PMX     the policy's mx values (default: the MX names)
#   C_PAD     bytes of unknown-key lines after the policy
#   C_HTTP    ok, redirect, notfound, html or silent
#   C_CERT    the policy host's certificate: sts or stsexpired; C_NAMED 1
#             when the sts certificate is to name the policy host
#   C_TXT C_RPT  arrays of TXT records for _mta-sts and _smtp._tls, each
#             the dnsmasq txt-record strings ("a","b" for one record of two)
_mtasts_case() {
	local _l=$1 _d=$1.$MTASTS_ZONE
	C_STATE=OK C_KEY=enforce C_RES=valid C_NOTE=
	C_MX=("mx1.$_d=mx")
	C_MODE=enforce C_MAXAGE=86400 C_EOL=LF C_MXKEY=mx C_PMX=() C_PAD=0
	C_HTTP=ok C_CERT=sts C_NAMED=1
	C_TXT=("\"v=STSv1; id=20261205T$2\"")
	C_RPT=("\"v=TLSRPTv1; rua=mailto:tlsrpt@$_d\"")
	case $_l in
	good) C_MX=("mx1.$_d=mx" "mx2.$_d=mx") ;;
	testing)
		C_MODE=testing C_KEY=testing C_EOL=CRLF
		C_RPT=("\"v=TLSRPTv1; rua=mailto:tlsrpt@$_d,https://report.$_d/tlsrpt\"") ;;
	none) C_MODE=none C_KEY=none C_PMX=(-) ;;
	wild) C_MX=("mx.$_d=mx") C_PMX=("*.$_d") ;;
	deepwild)
		C_MX=("mx.deep.$_d=mx") C_PMX=("*.$_d")
		C_STATE=CRITICAL C_KEY=covered ;;
	split)
		C_TXT=('"v=STS","v1; id=20261205split"')
		C_RPT=("\"v=TLSRPTv1;\",\"rua=mailto:tlsrpt@$_d\"") ;;
	notxt) C_TXT=() C_STATE=CRITICAL C_KEY=TXT C_RES=none ;;
	twotxt)
		C_TXT=('"v=STSv1; id=20261205a"' '"v=STSv1; id=20261205b"')
		C_STATE=CRITICAL C_KEY=TXT C_RES=none ;;
	badtxt)
		C_TXT=('"v=STSv1; id=2026-12-05"')
		C_STATE=CRITICAL C_KEY=id
		C_NOTE="sts-resolver takes any id (it only asks that id= be there); SPEC 9.1: 1-32 letters and digits" ;;
	longid)
		C_TXT=('"v=STSv1; id=20261205abcdefghijklmnopqrstuvwxy"')
		C_STATE=CRITICAL C_KEY=id
		C_NOTE="sts-resolver takes an id of any length; SPEC 9.1: at most 32 (this one has 33)" ;;
	redirect) C_HTTP=redirect C_STATE=CRITICAL C_KEY=301 C_RES=error ;;
	notfound) C_HTTP=notfound C_STATE=CRITICAL C_KEY=404 C_RES=error ;;
	mediatype) C_HTTP=html C_STATE=CRITICAL C_KEY=text/html C_RES=error ;;
	oversize) C_PAD=71680 C_STATE=CRITICAL C_KEY=64 C_RES=error ;;
	expired) C_CERT=stsexpired C_STATE=CRITICAL C_KEY=expired C_RES=error ;;
	wrongname) C_NAMED=0 C_STATE=CRITICAL C_KEY=certificate C_RES=error ;;
	silent)
		C_HTTP=silent C_STATE=CRITICAL C_KEY=timeout C_RES=error
		C_NOTE="the check's deadline (-t) decides: CRITICAL is its default state on expiry" ;;
	badmaxage) C_MAXAGE=99999999999 C_STATE=CRITICAL C_KEY=max_age C_RES=error ;;
	badmode) C_MODE=enforcing C_STATE=CRITICAL C_KEY=mode C_RES=error ;;
	mxip)
		C_PMX=("mx1.$_d" "$MTASTS_NET.201") C_STATE=CRITICAL C_KEY=mx
		C_NOTE="sts-resolver does not look at the mx values; SPEC 9.3: an mx pattern is never an IP address" ;;
	typo) C_MXKEY=nmx C_STATE=CRITICAL C_KEY=mx C_RES=error ;;
	uncovered | uncovtesting)
		C_MX=("mx1.$_d=mx" "mx2.$_d=mx") C_PMX=("mx1.$_d") C_KEY=covered
		if [ "$_l" = uncovered ]; then C_STATE=CRITICAL; else C_STATE=WARNING C_MODE=testing; fi ;;
	nostarttls | testnotls)
		C_MX=("mx1.$_d=mx-plain") C_KEY=STARTTLS
		if [ "$_l" = nostarttls ]; then C_STATE=CRITICAL; else C_STATE=WARNING C_MODE=testing; fi ;;
	mxname) C_MX=("mx1.$_d=mx-other") C_STATE=CRITICAL C_KEY=certificate ;;
	rptbad) C_RPT=("\"v=TLSRPTv1; rua=ftp://report.$_d/tlsrpt\"") C_STATE=WARNING C_KEY=TLS-RPT ;;
	rpttwo)
		C_RPT=("\"v=TLSRPTv1; rua=mailto:tlsrpt@$_d\"" "\"v=TLSRPTv1; rua=mailto:other@$_d\"")
		C_STATE=WARNING C_KEY=TLS-RPT ;;
	rptnone) C_RPT=() C_NOTE="no TLS-RPT record: a note only; with --tlsrpt WARNING" ;;
	*) t_diag "mtasts: no case $_l"; return 1 ;;
	esac
	[ ${#C_PMX[@]} -gt 0 ] || C_PMX=("${C_MX[@]%%=*}")
	[ "${C_PMX[0]}" != - ] || C_PMX=()
}

# The last octet of each kind of MX host.
declare -gA MTASTS_MX_OCTET=([mx]=201 [mx-other]=202 [mx-plain]=203)

# _mtasts_policy: the policy text of the current case (C_*), on stdout.
_mtasts_policy() {
	local _m _eol=$'\n'
	[ "$C_EOL" = LF ] || _eol=$'\r\n'
	printf 'version: STSv1%smode: %s%s' "$_eol" "$C_MODE" "$_eol"
	for _m in "${C_PMX[@]}"; do printf '%s: %s%s' "$C_MXKEY" "$_m" "$_eol"; done
	printf 'max_age: %s%s' "$C_MAXAGE" "$_eol"
	# Unknown keys are to be ignored (RFC 8461 3.2): the padding is a
	# valid policy's, only its size is wrong.
	[ "$C_PAD" -eq 0 ] || awk -v n="$C_PAD" 'BEGIN {
		l = "x-padding: "; for (i = 0; i < 100; i++) l = l "x"
		for (s = 0; s < n; s += length(l) + 1) print l }'
}

# _mtasts_write_case LABEL N: the case's DNS lines (appended to the dnsmasq
# configuration), its policy file and nginx server block, its table line.
# (No command substitution here: a fork per line costs seconds on a loaded
# machine.)
_mtasts_write_case() {
	local _l=$1 _n=$2 _d=$1.$MTASTS_ZONE _i _h _t _dir=$MTASTS_DIR
	_mtasts_case "$_l" "$_n" || return 1
	{
		printf 'host-record=mta-sts.%s,%s.%s\n' "$_d" "$MTASTS_NET" "$_n"
		for _i in "${!C_MX[@]}"; do
			_h=${C_MX[$_i]}
			printf 'mx-host=%s,%s,%d\n' "$_d" "${_h%%=*}" $(((_i + 1) * 10))
			printf 'host-record=%s,%s.%s\n' "${_h%%=*}" "$MTASTS_NET" "${MTASTS_MX_OCTET[${_h#*=}]}"
			[ "${_h#*=}" != mx ] || printf '%s\n' "${_h%%=*}" >>"$_dir/mx-names"
		done
		for _t in "${C_TXT[@]}"; do printf 'txt-record=_mta-sts.%s,%s\n' "$_d" "$_t"; done
		for _t in "${C_RPT[@]}"; do printf 'txt-record=_smtp._tls.%s,%s\n' "$_d" "$_t"; done
	} >>"$_dir/dnsmasq.conf"
	[ -z "$C_NOTE" ] || printf '# %s: %s\n' "$_l" "$C_NOTE" >>"$MTASTS_CASES"
	printf '%s %s %s sts_resolver=%s\n' "$_d" "$C_STATE" "$C_KEY" "$C_RES" >>"$MTASTS_CASES"
	[ "$C_CERT$C_NAMED" != sts1 ] || printf 'mta-sts.%s\n' "$_d" >>"$_dir/sts-names"

	[ "$C_HTTP" != silent ] || return 0
	mkdir -p "$_dir/www/$_l/.well-known" || return 1
	[ "$C_HTTP" = notfound ] || [ "$C_HTTP" = redirect ] ||
		_mtasts_policy >"$_dir/www/$_l/.well-known/mta-sts.txt" || return 1
	{
		printf '\tserver {\n\t\tlisten %s.%s:443 ssl;\n\t\tserver_name mta-sts.%s;\n' \
			"$MTASTS_NET" "$_n" "$_d"
		printf '\t\tssl_certificate %s/%s.crt;\n\t\tssl_certificate_key %s/%s.key;\n' \
			"$TLSCA_DIR" "$C_CERT" "$TLSCA_DIR" "$C_CERT"
		printf '\t\troot %s/www/%s;\n\t\tlocation = /.well-known/mta-sts.txt {\n' "$_dir" "$_l"
		case $C_HTTP in
		redirect) printf '\t\t\treturn 301 https://mta-sts.good.%s/.well-known/mta-sts.txt;\n' \
			"$MTASTS_ZONE" ;;
		html) printf '\t\t\tdefault_type text/html;\n' ;;
		esac
		printf '\t\t}\n\t}\n'
	} >>"$_dir/nginx/servers.conf"
}

# ------------------------------------------------------------------ servers

# _mtasts_pick_net: MTASTS_NET = 127.61.X, X from the pid, the first where
# port 443 of .1 is free (dnsmasq falls back to another port of .250 when
# something holds port 53 of every address).
_mtasts_pick_net() {
	local _i _x
	for _i in 0 1 2 3 4 5 6 7 8 9; do
		_x=$(( ($$ + _i * 97) % 250 + 1 ))
		MTASTS_NET=127.61.$_x
		addr_port_free "$MTASTS_NET.1" 443 && return 0
	done
	t_diag "mtasts: no 127.61.x.0/24 with port 443 free (a web server listening on *:443?)"
	return 1
}

# _mtasts_certs (after the cases are written): the policy hosts'
# certificate (every mta-sts name but wrongname's and expired's), the
# expired one, the MX hosts' (every name of an "mx" host and
# *.wild.sts.test) and the one for a name no MX host has.
_mtasts_certs() {
	local _names
	mapfile -t _names <"$MTASTS_DIR/sts-names"
	tlsca_server sts valid "${_names[@]}" || return 1
	tlsca_server stsexpired expired "mta-sts.expired.$MTASTS_ZONE" || return 1
	mapfile -t _names <"$MTASTS_DIR/mx-names"
	tlsca_server stsmx valid "${_names[@]}" "*.wild.$MTASTS_ZONE" || return 1
	tlsca_server stsother valid "mail.elsewhere.$MTASTS_ZONE" || return 1
	MTASTS_CA=$TLSCA_DIR/ca.crt
}

_mtasts_nginx_conf() {
	local _d=$MTASTS_DIR/nginx _user=
	[ "$(id -u)" -ne 0 ] || _user="user nobody nogroup;"
	mkdir -p "$_d/tmp" || return 1
	cat >"$_d/nginx.conf" <<NGINX
# Private nginx of smtp-probe's MTA-STS test bed (tests/lib/mtasts.sh)
daemon off;
master_process on;
worker_processes 1;
$_user
pid $_d/nginx.pid;
error_log $_d/error.log warn;
events { worker_connections 128; }
http {
	access_log $_d/access.log;
	client_body_temp_path $_d/tmp/body;
	proxy_temp_path $_d/tmp/proxy;
	fastcgi_temp_path $_d/tmp/fastcgi;
	uwsgi_temp_path $_d/tmp/uwsgi;
	scgi_temp_path $_d/tmp/scgi;
	server_tokens off;
	# no mime.types: every file is default_type unless a case says otherwise
	types { }
	default_type text/plain;
	ssl_protocols TLSv1.2 TLSv1.3;
	include $_d/servers.conf;
}
NGINX
}

# _mtasts_wait_listen PID PROTO ADDR PORT WHAT LOG: bounded wait until
# something listens on ADDR:PORT (ss -l, PROTO t or u), while PID lives.
_mtasts_wait_listen() {
	local _deadline
	_deadline=$(( $(date +%s%N) + 10000000000 ))
	until ss -Hl"$2"n "src $3 and sport = :$4" 2>/dev/null | grep -q .; do
		if ! kill -0 "$1" 2>/dev/null || [ "$(date +%s%N)" -ge "$_deadline" ]; then
			t_diag "mtasts: $5 did not listen on $3:$4; its log:"
			tail -n 20 "$6" 2>/dev/null | t_diag_stream
			return 1
		fi
		sleep 0.02
	done
}

# The servers are started in the background first and waited for after
# Postfix (the slowest), so that their start-up times overlap.
_mtasts_launch() {
	local _d=$MTASTS_DIR/nginx _bin
	_bin=$(command -v nginx || echo /usr/sbin/nginx)
	_mtasts_nginx_conf || return 1
	# -e: nginx opens its error log before reading the configuration
	"$_bin" -e "$_d/error.log" -c "$_d/nginx.conf" -p "$_d" >"$_d/stderr" 2>&1 </dev/null &
	MTASTS_NGINX_PID=$!

	MTASTS_DNS_ADDR=$MTASTS_NET.250 MTASTS_DNS_PORT=53
	addr_port_free "$MTASTS_DNS_ADDR" 53 || MTASTS_DNS_PORT=$(free_port) || return 1
	MTASTS_DNS=$MTASTS_DNS_ADDR:$MTASTS_DNS_PORT
	dnsmasq --keep-in-foreground --conf-file="$MTASTS_DIR/dnsmasq.conf" --no-resolv \
		--no-hosts --no-dhcp-interface= --bind-interfaces \
		--listen-address="$MTASTS_DNS_ADDR" --port="$MTASTS_DNS_PORT" --pid-file= \
		--log-facility="$MTASTS_DIR/dnsmasq.log" >"$MTASTS_DIR/dnsmasq.stderr" 2>&1 </dev/null &
	MTASTS_DNSMASQ_PID=$!

	# The silent policy host: accepts, reads, never writes.
	"$T_PY" "$TESTS_SRCDIR/fake/fakesmtp.py" --listen "$MTASTS_NET.$MTASTS_SILENT_N" --port 443 \
		--scenario silent >"$MTASTS_DIR/silent.err" 2>&1 </dev/null &
	MTASTS_SILENT_PID=$!
}

_mtasts_wait_launched() {
	_mtasts_wait_listen "$MTASTS_NGINX_PID" t "$MTASTS_NET.1" 443 nginx \
		"$MTASTS_DIR/nginx/stderr" || { tail -n 5 "$MTASTS_DIR/nginx/error.log" | t_diag_stream; return 1; }
	_mtasts_wait_listen "$MTASTS_DNSMASQ_PID" u "$MTASTS_DNS_ADDR" "$MTASTS_DNS_PORT" \
		dnsmasq "$MTASTS_DIR/dnsmasq.stderr" || return 1
	_mtasts_wait_listen "$MTASTS_SILENT_PID" t "$MTASTS_NET.$MTASTS_SILENT_N" 443 \
		"the silent listener" "$MTASTS_DIR/silent.err"
}

# One Postfix: the main certificate names every good MX host; .202 presents
# one for another name, .203 offers no STARTTLS.
_mtasts_start_postfix() {
	local _a
	MTASTS_PORT=$(free_port) || return 1
	pf_tls "$TLSCA_DIR/stsmx.crt" "$TLSCA_DIR/stsmx.key"
	pf_listener_at stsmx "$MTASTS_NET.201:$MTASTS_PORT"
	pf_listener_at stsother "$MTASTS_NET.202:$MTASTS_PORT" \
		"smtpd_tls_cert_file=$TLSCA_DIR/stsother.crt" "smtpd_tls_key_file=$TLSCA_DIR/stsother.key"
	pf_listener_at stsplain "$MTASTS_NET.203:$MTASTS_PORT" "smtpd_tls_security_level=none"
	MTASTS_PF=1
	pf_start || return 1
	for _a in 201 202 203; do
		_mtasts_wait_listen "$$" t "$MTASTS_NET.$_a" "$MTASTS_PORT" Postfix "$PF_DIR/maillog" ||
			return 1
	done
}

# mtasts_start WORKDIR: see the top of this file.
mtasts_start() {
	local _i _t0
	_t0=$(date +%s%N)
	MTASTS_DIR=$1
	mkdir -p "$MTASTS_DIR/nginx" "$MTASTS_DIR/www" || return 1
	# nginx's workers (nobody) read the policies: every directory on the
	# way is to be searchable
	chmod 0755 "$(t_tmp)" "$MTASTS_DIR" || return 1
	cleanup_add mtasts_stop
	_mtasts_pick_net || return 1
	# the CA first: the nginx server blocks name its directory
	[ -n "$TLSCA_DIR" ] || tlsca_ca "$MTASTS_DIR/ca" ||
		{ t_diag "mtasts: the test CA could not be made"; return 1; }
	MTASTS_CASES=$MTASTS_DIR/cases
	cat >"$MTASTS_CASES" <<HEAD
# MTA-STS test bed cases (tests/lib/mtasts.sh): DOMAIN STATE KEYWORD sts_resolver=VERDICT
# STATE: SPEC 9 for -M DOMAIN --mta-sts -p PORT --dns-server DNS --ca-file CA
# KEYWORD: a word the status line is to hold (case-insensitive)
# VERDICT: Debian's postfix-mta-sts-resolver (mta-sts-query): valid, none, error
HEAD
	printf '# Private dnsmasq of the MTA-STS test bed (tests/lib/mtasts.sh)\nlocal=/%s/\n' \
		"$MTASTS_ZONE" >"$MTASTS_DIR/dnsmasq.conf"
	: >"$MTASTS_DIR/nginx/servers.conf"
	: >"$MTASTS_DIR/sts-names"
	: >"$MTASTS_DIR/mx-names"
	for _i in "${!MTASTS_LABELS[@]}"; do
		[ "${MTASTS_LABELS[$_i]}" != silent ] || MTASTS_SILENT_N=$((_i + 1))
		_mtasts_write_case "${MTASTS_LABELS[$_i]}" $((_i + 1)) ||
			{ t_diag "mtasts: case ${MTASTS_LABELS[$_i]} could not be written"; return 1; }
	done
	chmod -R a+rX "$MTASTS_DIR/www" || return 1
	_mtasts_certs || { t_diag "mtasts: certificates could not be made"; return 1; }
	_mtasts_launch || return 1
	_mtasts_start_postfix || return 1
	_mtasts_wait_launched || return 1
	MTASTS_START_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
}

# mtasts_stop: see the top of this file.
mtasts_stop() {
	local _p
	for _p in "$MTASTS_NGINX_PID" "$MTASTS_DNSMASQ_PID" "$MTASTS_SILENT_PID"; do
		[ -z "$_p" ] || proc_stop "$_p"
	done
	MTASTS_NGINX_PID='' MTASTS_DNSMASQ_PID='' MTASTS_SILENT_PID=''
	if [ -n "$MTASTS_PF" ]; then
		MTASTS_PF=
		pf_stop
	fi
	return 0
}

# ------------------------------------------------------------------ second opinion

mtasts_resolver_can_run() {
	with_resolv_can_run /usr/bin/mta-sts-query "$MTASTS_DNS_PORT" || { MTASTS_WHY=$WITH_RESOLV_WHY; return 1; }
}

# _mtasts_in_ns CMD...: CMD in a private mount namespace whose
# /etc/resolv.conf names the bed's dnsmasq (the machine's file is never
# changed), trusting the test CA alone (SSL_CERT_FILE), without proxies,
# bounded by timeout.
_mtasts_in_ns() {
	mkdir -p "$MTASTS_DIR/resolver" || return 1
	printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$MTASTS_DNS_ADDR" \
		>"$MTASTS_DIR/resolver/resolv.conf"
	with_resolv "$MTASTS_DIR/resolver/resolv.conf" \
		env -u https_proxy -u HTTPS_PROXY -u http_proxy -u HTTP_PROXY \
		SSL_CERT_FILE="$MTASTS_CA" SSL_CERT_DIR=/nonexistent \
		timeout -k 2 30 "$@" </dev/null
}

# mtasts_sts_query DOMAIN: Debian's `mta-sts-query DOMAIN` itself, in the
# namespace above; its output (the last line is its verdict,
# "(<STSFetchResult.VALID: 1>, ...)") on stdout.
mtasts_sts_query() { _mtasts_in_ns /usr/bin/mta-sts-query "$1" 2>&1; }

# mtasts_resolver DOMAIN...: see the top of this file.
mtasts_resolver() {
	# What mta-sts-query does for one domain (STSResolver(loop=...).resolve),
	# for all of them at once in one process: each interpreter start-up
	# costs a loaded machine seconds.
	mkdir -p "$MTASTS_DIR/resolver" || return 1
	_mtasts_in_ns /usr/bin/python3 -c '
import asyncio, sys
from postfix_mta_sts_resolver.resolver import STSResolver
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
res = STSResolver(loop=loop)
names = {"VALID": "valid", "NONE": "none", "FETCH_ERROR": "error"}
async def one(d):
    try:
        status, _ = await res.resolve(d)
        return names.get(status.name, "?")
    except Exception:
        return "?"
verdicts = loop.run_until_complete(asyncio.gather(*(one(d) for d in sys.argv[1:])))
for d, v in zip(sys.argv[1:], verdicts):
    print(d, v)
' "$@" 2>"$MTASTS_DIR/resolver/stderr"
}
