# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# tlsca.sh - a throw-away test CA and server certificates, made with the
# openssl command line at test time, inside the test's temp dir. Source after
# common.sh (uses t_tmp, t_diag).
#
#   tlsca_make [DIR]    creates DIR (default $(t_tmp)/ca) holding:
#     ca.crt                 the CA ("smtp-probe Test CA"): --ca-file for the
#                            plugin; also hashed into DIR/capath/ (--ca-path)
#     NAME.crt NAME.key      server certificates signed by the CA (EC P-256),
#                            NAME.pem = key + certificate, for each NAME:
#       good      CN=mail.probe.test, SAN DNS:mail.probe.test IP:127.0.0.1,
#                 valid 90 days
#       d20       the same, valid 20 days from now
#       d10       the same, valid 10 days from now
#       expired   the same, valid from 30 days ago until 1 day ago
#       other     CN=other.probe.test, SAN DNS:other.probe.test only (no IP
#                 SAN): a name mismatch for 127.0.0.1 and mail.probe.test
#       selfsigned  CN=mail.probe.test with the good SANs, self-signed
#   Sets TLSCA_DIR. Returns non-zero (with diag lines) on failure.
#   tlsca_ca [DIR]      the CA alone (ca.crt, capath/), no server
#                       certificate: for tlsca_server's own set
#   tlsca_can_run       0 if the openssl command line is there (TLSCA_WHY)
#   tlsca_days_left NAME  whole days until NAME.crt expires (floor)
#   tlsca_server NAME valid|expired DNSNAME...
#                       one more server certificate signed by the CA (after
#                       tlsca_make or tlsca_ca), DIR/NAME.{crt,key,pem}:
#                       CN = the first DNSNAME, a SAN DNS: entry for each
#                       (wildcards as given, e.g. '*.wild.example'); `valid`
#                       from an hour ago for 90 days, `expired` from 30 days
#                       ago until 1 day ago
#
# Dates for the short-lived and expired certificates are set with
# `openssl ca -startdate/-enddate` (OpenSSL 3.0's `x509 -req` has no way to
# set a notBefore in the past), with a minimal private CA configuration.

TLSCA_DIR=
TLSCA_CN=mail.probe.test
TLSCA_OTHER_CN=other.probe.test

tlsca_can_run() {
	if ! command -v openssl >/dev/null 2>&1; then
		TLSCA_WHY="openssl command not installed"
		return 1
	fi
	return 0
}

# _tlsca_date OFFSET: a GeneralizedTime (YYYYMMDDHHMMSSZ) for `date -d` OFFSET
_tlsca_date() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# _tlsca_run CMD...: runs an openssl command quietly, its output shown as
# diag lines only on failure.
_tlsca_run() {
	local _o
	if ! _o=$("$@" 2>&1); then
		t_diag "failed: $*"
		printf '%s\n' "$_o" | t_diag_stream
		return 1
	fi
}

# _tlsca_issue NAME CN SAN START END: key + CSR + certificate by the CA.
_tlsca_issue() {
	local _n=$1 _cn=$2 _san=$3 _start=$4 _end=$5 _d=$TLSCA_DIR
	_tlsca_run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$_d/$_n.key" -out "$_d/$_n.csr" -subj "/CN=$_cn" || return 1
	printf 'subjectAltName = %s\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n' \
		"$_san" >"$_d/$_n.ext"
	_tlsca_run openssl ca -batch -config "$_d/ca.cnf" -notext \
		-startdate "$_start" -enddate "$_end" -extfile "$_d/$_n.ext" \
		-in "$_d/$_n.csr" -out "$_d/$_n.crt" || return 1
	cat "$_d/$_n.key" "$_d/$_n.crt" >"$_d/$_n.pem"
}

# tlsca_ca [DIR]: see the top of this file.
tlsca_ca() {
	TLSCA_DIR=${1:-$(t_tmp)/ca}
	local _d=$TLSCA_DIR _h
	mkdir -p "$_d/newcerts" "$_d/capath" || return 1
	: >"$_d/index.txt"
	echo 1000 >"$_d/serial"
	cat >"$_d/ca.cnf" <<CACNF
[ ca ]
default_ca = testca
[ testca ]
dir = $_d
database = $_d/index.txt
new_certs_dir = $_d/newcerts
serial = $_d/serial
certificate = $_d/ca.crt
private_key = $_d/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
CACNF
	_tlsca_run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$_d/ca.key" -out "$_d/ca.crt" -days 400 \
		-subj "/CN=smtp-probe Test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
	# --ca-path wants the c_rehash layout: HASH.0 -> the certificate
	_h=$(openssl x509 -noout -hash -in "$_d/ca.crt") || return 1
	cp "$_d/ca.crt" "$_d/capath/$_h.0" || return 1
	chmod 0600 "$_d/ca.key"
}

tlsca_make() {
	local _san _ago _d
	tlsca_ca "$@" || return 1
	_d=$TLSCA_DIR
	_san="DNS:$TLSCA_CN,IP:127.0.0.1"
	_ago=$(_tlsca_date "-1 hour")
	_tlsca_issue good "$TLSCA_CN" "$_san" "$_ago" "$(_tlsca_date '+90 days')" || return 1
	_tlsca_issue d20 "$TLSCA_CN" "$_san" "$_ago" "$(_tlsca_date '+20 days')" || return 1
	_tlsca_issue d10 "$TLSCA_CN" "$_san" "$_ago" "$(_tlsca_date '+10 days')" || return 1
	_tlsca_issue expired "$TLSCA_CN" "$_san" "$(_tlsca_date '-30 days')" "$(_tlsca_date '-1 day')" || return 1
	_tlsca_issue other "$TLSCA_OTHER_CN" "DNS:$TLSCA_OTHER_CN" "$_ago" "$(_tlsca_date '+90 days')" || return 1

	printf 'subjectAltName = %s\nbasicConstraints = CA:FALSE\n' "$_san" >"$_d/selfsigned.ext"
	_tlsca_run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$_d/selfsigned.key" -out "$_d/selfsigned.crt" -days 90 \
		-subj "/CN=$TLSCA_CN" -addext "subjectAltName=$_san" \
		-addext "basicConstraints=CA:FALSE" || return 1
	cat "$_d/selfsigned.key" "$_d/selfsigned.crt" >"$_d/selfsigned.pem"
	# Keys are secrets even in a test: readable by their owner only (Postfix
	# reads them as root before dropping privileges).
	chmod 0600 "$_d"/*.key "$_d"/*.pem
	chmod 0644 "$_d"/*.crt
	return 0
}

# tlsca_server NAME valid|expired DNSNAME...: see the top of this file.
tlsca_server() {
	local _n=$1 _v=$2 _san="" _h _start _end
	shift 2
	if [ $# -eq 0 ] || [ -z "$TLSCA_DIR" ]; then
		t_diag "tlsca_server: no names, or no CA yet"
		return 1
	fi
	case $_v in
	valid) _start=$(_tlsca_date "-1 hour") _end=$(_tlsca_date '+90 days') ;;
	expired) _start=$(_tlsca_date "-30 days") _end=$(_tlsca_date '-1 day') ;;
	*) t_diag "tlsca_server: validity is valid or expired, not '$_v'"; return 1 ;;
	esac
	for _h in "$@"; do _san="$_san${_san:+,}DNS:$_h"; done
	_tlsca_issue "$_n" "$1" "$_san" "$_start" "$_end" || return 1
	chmod 0600 "$TLSCA_DIR/$_n.key" "$TLSCA_DIR/$_n.pem"
	chmod 0644 "$TLSCA_DIR/$_n.crt"
}

# tlsca_days_left NAME: whole days (rounded down) until NAME.crt expires.
tlsca_days_left() {
	_end=$(openssl x509 -noout -enddate -in "$TLSCA_DIR/$1.crt" | sed 's/^notAfter=//')
	echo $(( ($(date -u -d "$_end" +%s) - $(date -u +%s)) / 86400 ))
}
