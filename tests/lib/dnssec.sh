# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing tests
# dnssec.sh - a real DNSSEC chain on loopback for the DANE tests (SPEC §8):
# an authoritative NSD serving zones signed with ldns-signzone, and a
# validating Unbound that trusts only the key of the test parent zone
# probe.test. Built and started once per test file, inside the test's temp
# dir, stopped on exit. Source after common.sh (uses t_tmp, t_diag,
# t_diag_stream, cleanup_add, free_port, proc_stop); dnssec_dane_zones also
# needs tlsca.sh (tlsca_make first).
#
# Zones: the parent `probe.test.` (always there, always signed; its KSK's DS
# is Unbound's only trust anchor, so it plays the root) and children one
# label below it, each of a KIND:
#   secure     signed (KSK + ZSK, ECDSAP256SHA256, NSEC), DS in the parent
#   insecure   unsigned, no DS in the parent (a proven insecure delegation)
#   bogus      signed, but the parent's DS is of a key that signs nothing
#              there: every answer from the zone is bogus -> SERVFAIL
#   expired    signed with signatures that expired ten days ago -> SERVFAIL
#   badsig[:TYPE]  signed and delegated like secure, then the signature bytes
#              of every RRSIG over TYPE (default TLSA) are altered in the
#              signed file: those RRsets are bogus (SERVFAIL), the rest of the
#              zone (MX, A) validates
#
# API
#   dnssec_can_run      0 if nsd, unbound, ldns-keygen, ldns-signzone, dig and
#                       openssl are installed (else DNSSEC_WHY says what lacks)
#   dnssec_zone NAME KIND [RR...]
#                       declares a zone (NAME: probe.test or LABEL.probe.test,
#                       with or without the final dot). Each RR argument is a
#                       zone-file line; owner names are relative to NAME
#                       unless they end in a dot ("@" is NAME). SOA and NS are
#                       made here. Calling it again for NAME adds lines (KIND
#                       must not change); the parent is `secure` only.
#   dnssec_rr NAME RR...  more lines for a declared zone
#   dnssec_start        signs every zone, starts NSD and Unbound and waits
#                       (bounded) until Unbound answers probe.test SOA with
#                       the AD bit; registers dnssec_stop. Sets:
#     DNSSEC_RESOLVER   Unbound's address. As root 127.53.X.Y (X.Y from the
#                       pid, the first free one), port 53, so that a
#                       resolv.conf can name it; otherwise 127.0.0.1
#     DNSSEC_PORT       Unbound's port (53 as root, else a free port)
#     DNSSEC_SERVER     "$DNSSEC_RESOLVER:$DNSSEC_PORT" (for --dns-server)
#     DNSSEC_NSD_ADDR DNSSEC_NSD_PORT   the authoritative server (no RD, no
#                       validation: what the zones hold, signatures and all)
#     DNSSEC_ANCHOR     the trust anchor file (the parent's DS)
#     DNSSEC_DIR        everything: zones/ (NAME.zone unsigned, NAME.signed,
#                       K* keys), nsd/, unbound/ (unbound.log has the
#                       validator's reasons, val-log-level 2), certs/
#   dnssec_stop         stops both (registered by dnssec_start; idempotent)
#   dnssec_dig ARGS...  dig @DNSSEC_RESOLVER -p DNSSEC_PORT +dnssec, short
#                       timeouts, one try; prints dig's output
#   dnssec_query NAME TYPE [DIG-OPTIONS...]
#                       one query to Unbound; sets DQ_STATUS (NOERROR,
#                       NXDOMAIN, SERVFAIL...), DQ_FLAGS (" qr rd ra ad ",
#                       spaces around each), DQ_ANSWER (the answer section's
#                       RDATA of TYPE, one record a line), DQ_COUNT (their
#                       number), DQ_SIZE ("MSG SIZE rcvd"), DQ_OUT (dig's
#                       whole output). Returns 1 only when dig got no reply.
#                       Options: +tcp, +ignore (do not retry a TC reply over
#                       TCP), +cd (checking disabled) ...
#   dq_flag FLAG        0 if the last dnssec_query's reply had FLAG (ad, tc)
#   tlsa_rdata CERT USAGE SELECTOR MTYPE
#                       prints the TLSA RDATA "U S M HEX" for the PEM
#                       certificate CERT. Selector 0 = the whole certificate
#                       (DER), 1 = its SubjectPublicKeyInfo (DER); matching
#                       type 0 = the data itself, 1 = SHA-256, 2 = SHA-512.
#                       Other numbers are printed as given with the data of
#                       selector 1 / SHA-256, for unusable records.
#   dnssec_selfsigned NAME CN
#                       a self-signed EC P-256 certificate (SAN DNS:CN),
#                       DNSSEC_DIR/certs/NAME.{crt,key,pem}; prints the .crt
#   dnssec_dane_zones GOOD SELF PLAIN
#                       declares the standard DANE zones below (each argument
#                       ADDR:PORT, where a server runs: GOOD presents
#                       $DNSSEC_CERT_GOOD, a certificate of the test CA
#                       naming mail.probe.test, with STARTTLS; SELF presents
#                       $DNSSEC_CERT_SELF with STARTTLS; PLAIN offers no
#                       STARTTLS). A host's TLSA records are at
#                       _PORT._tcp.HOST with its own PORT. Call before
#                       dnssec_start; more zones or lines may be added.
#     Certificates (defaults from tlsca.sh; set before the call to change):
#     DNSSEC_CERT_GOOD  $TLSCA_DIR/good.crt
#     DNSSEC_CERT_CA    $TLSCA_DIR/ca.crt
#     DNSSEC_CERT_SELF  $TLSCA_DIR/selfsigned.crt
#     DNSSEC_CERT_SPARE a self-signed certificate made here that no server
#                       presents (mismatch, the old key of the rollover)
#     DANE-TA (2 0 1) matches only a CA certificate the server sends: the
#     GOOD server's certificate file is to hold good.crt followed by ca.crt
#     (RFC 7671 §5.2.2). With good.crt alone posttls-finger (and OpenSSL's
#     DANE in general) finds "no matching DANE TLSA records" for ta.
#   dnssec_posttls_can_run  0 if posttls-finger can use the bed: root,
#                       unshare, posttls-finger, Unbound on port 53 (else
#                       DNSSEC_WHY)
#   dnssec_posttls_finger ARGS...
#                       runs Postfix's posttls-finger (bounded by timeout)
#                       with its DNS going to the bed's Unbound:
#                       -t 10 -T 10 -l dane -a ipv4 -P /etc/ssl/certs, then
#                       ARGS (more options, e.g. -c for no SMTP chat, and the
#                       destination: ee.sec.probe.test:PORT looks up the MX,
#                       [mx-ee.sec.probe.test]:PORT does not). Its verdict
#                       lines: "Verified TLS connection established to ...",
#                       "Untrusted ..." (with "no matching DANE TLSA records"
#                       or "hostname mismatch"), "all TLSA records unusable",
#                       "TLSA lookup error for HOST:PORT"; it exits 0 for all
#                       of them.
#                       It runs in a private mount namespace (unshare -m) in
#                       which DNSSEC_DIR/resolv.conf ("nameserver
#                       $DNSSEC_RESOLVER", "options trust-ad edns0") is bind
#                       mounted over /etc/resolv.conf; the machine's own file
#                       is never changed. MAIL_CONFIG is DNSSEC_DIR/postfix
#                       (a main.cf with dnssec_probe = ns:probe.test, because
#                       the default probe, "ns:.", is refused by the bed).
#                       Output on stdout, status posttls-finger's.
#
# The standard zones of dnssec_dane_zones (host NAME, TLSA at _PORT._tcp.NAME;
# "good" = DNSSEC_CERT_GOOD, "spare" = DNSSEC_CERT_SPARE):
#   probe.test (the anchored parent):
#     mail.probe.test       A GOOD; TLSA 2 0 1 of the CA (DANE-TA; the GOOD
#                           certificate names mail.probe.test, so name checks
#                           pass)
#   sec.probe.test (secure); each DOMAIN.sec.probe.test has one MX, 10:
#     ee        -> mx-ee        A GOOD;  TLSA 3 1 1 good
#     ta        -> mail.probe.test (above)
#     taname    -> mx-taname    A GOOD;  TLSA 2 0 1 CA, but the certificate
#                                        does not name mx-taname (DANE-TA name
#                                        check fails)
#     mismatch  -> mx-mismatch  A GOOD;  TLSA 3 1 1 spare
#     rollover  -> mx-rollover  A GOOD;  TLSA 3 1 1 spare (old) + 3 1 1 good (new)
#     unusable  -> mx-unusable  A GOOD;  TLSA 0 0 1 CA, 1 1 1 good, 3 2 1 good
#                                        (selector 2), 3 1 9 good (matching type
#                                        9), 3 1 1 with 16 bytes of the good
#                                        digest (wrong length): all unusable
#     notlsa    -> mx-notlsa    A GOOD;  a TXT at the TLSA name: TLSA is a
#                                        secure NODATA
#     nxtlsa    -> mx-nxtlsa    A GOOD;  nothing below: TLSA is a secure
#                                        NXDOMAIN
#     mxins     -> mx.ins.probe.test (secure MX, host in the insecure zone)
#     plain     -> mx-plain     A PLAIN; TLSA 3 1 1 good (no STARTTLS there)
#     self      -> mx-self      A SELF;  TLSA 3 1 1 of DNSSEC_CERT_SELF
#     big       -> mx-big       A GOOD;  TLSA 3 0 0 of spare, CA, self and
#                                        good: the RRset is over 1232 bytes,
#                                        so Unbound answers it over UDP with
#                                        TC=1 (max-udp-size 1232) and in full
#                                        over TCP
#   ins.probe.test (insecure): apex MX 10 mx; mx A GOOD; TLSA 3 1 1 good
#   bogus.probe.test (bogus):  the same records, every answer SERVFAIL
#   badsig.probe.test (badsig): the same records; MX and A validate, the
#                              TLSA signature is broken: TLSA SERVFAIL
#   expired.probe.test (expired): the same records, every answer SERVFAIL
#
# How: keys by ldns-keygen, zones signed by ldns-signzone (NSEC, signatures
# valid from an hour ago for 30 days), DS by ldns-keygen's .ds file (SHA-256).
# NSD (nsd -d) serves every zone on 127.0.0.1:<free port> (UDP and TCP);
# Unbound (unbound -d, module-config "validator iterator") has a stub-zone
# for each zone pointing at NSD (so no referral is ever followed to a glue
# address), a stub for "." pointing at NSD too (a stray root query stays on
# loopback and is refused there: no remote root hints), local-zone "."
# refuse with probe.test transparent (no name outside the bed is resolved),
# do-not-query-localhost: no, edns-buffer-size and max-udp-size 1232,
# aggressive-nsec off, ede on (a SERVFAIL carries the validator's reason as
# an Extended DNS Error), val-log-level 2. Both run as root without chroot
# or privilege drop (or as the calling user when not root), with files only
# in DNSSEC_DIR. A system nsd or unbound service that is running (the
# packages enable theirs) is stopped first, with a diag line: a system NSD
# listens on *:53 by default, where it would keep Unbound from binding
# 127.53.X.Y:53. The parent's NS is ns.probe.test, A 127.0.0.1 (NSD's
# address; its port is only in the stubs). If a server exits before it
# answers (its port taken between the check and the bind), it is started
# again on another port/address, three tries.
#
# Zones are fixed once dnssec_start has run (Unbound caches for 300 s).
# A host's TLSA owner is _PORT._tcp.HOST with the port its server listens on
# (as Postfix looks them up for a non-default port), so a check with -p PORT
# finds them.
#
# Typical use (tests/integration/dnssec-bed.test does this):
#   tlsca_make; cat good.crt ca.crt >goodchain.crt; pf_tls goodchain.crt good.key
#   pf_listener self ...; pf_listener plain smtpd_tls_security_level=none
#   pf_start
#   dnssec_dane_zones 127.0.0.1:$PF_PORT 127.0.0.1:$PF_PORT_self 127.0.0.1:$PF_PORT_plain
#   dnssec_start || bail_out "the DNSSEC bed did not start"
#   run_plugin -M ee.sec.probe.test -p "$PF_PORT" --dane --dns-server "$DNSSEC_SERVER"
#   dnssec_posttls_finger -c "ee.sec.probe.test:$PF_PORT"   # the second opinion

DNSSEC_PARENT=probe.test
DNSSEC_DIR=
DNSSEC_ZONES=()          # declared zones, parent first
DNSSEC_RESOLVER=
DNSSEC_PORT=
DNSSEC_SERVER=
DNSSEC_NSD_ADDR=127.0.0.1
DNSSEC_NSD_PORT=
DNSSEC_ANCHOR=
DNSSEC_NSD_PID=
DNSSEC_UNBOUND_PID=
DNSSEC_WHY=
DNSSEC_CERT_GOOD=
DNSSEC_CERT_CA=
DNSSEC_CERT_SELF=
DNSSEC_CERT_SPARE=
DNSSEC_TTL=300

dnssec_can_run() {
	local _b
	for _b in nsd nsd-checkconf unbound unbound-checkconf ldns-keygen ldns-signzone dig openssl; do
		if ! command -v "$_b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$_b" ]; then
			DNSSEC_WHY="$_b not installed (nsd, unbound, ldnsutils, bind9-dnsutils: tools/install-deps.sh)"
			return 1
		fi
	done
	return 0
}

# _dnssec_bin NAME: the path of a program that may live in /usr/sbin only.
_dnssec_bin() {
	if [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"; else command -v "$1"; fi
}

_dnssec_init() {
	[ -z "$DNSSEC_DIR" ] || return 0
	DNSSEC_DIR=$(t_tmp)/dnssec
	mkdir -p "$DNSSEC_DIR/zones" "$DNSSEC_DIR/nsd" "$DNSSEC_DIR/unbound" \
		"$DNSSEC_DIR/certs" "$DNSSEC_DIR/postfix" || return 1
	DNSSEC_ZONES=("$DNSSEC_PARENT")
	echo secure >"$DNSSEC_DIR/zones/$DNSSEC_PARENT.kind"
	: >"$DNSSEC_DIR/zones/$DNSSEC_PARENT.rr"
}

# _dnssec_run CMD...: runs a command quietly; its output as diag lines on
# failure.
_dnssec_run() {
	local _o
	if ! _o=$("$@" 2>&1); then
		t_diag "failed: $*"
		printf '%s\n' "$_o" | t_diag_stream
		return 1
	fi
}

# dnssec_zone NAME KIND [RR...]: see the top of this file.
dnssec_zone() {
	local _z=${1%.} _k=$2 _f
	shift 2
	_dnssec_init || return 1
	case $_k in
	secure | insecure | bogus | expired | badsig | badsig:[A-Z]*) ;;
	*) t_diag "dnssec_zone: unknown kind '$_k'"; return 1 ;;
	esac
	case $_z in
	"$DNSSEC_PARENT")
		[ "$_k" = secure ] || { t_diag "dnssec_zone: the parent $DNSSEC_PARENT is always secure"; return 1; } ;;
	*.*.*.* | [!a-z0-9]* | *[!a-z0-9.-]*)
		t_diag "dnssec_zone: $_z is not one label below $DNSSEC_PARENT"; return 1 ;;
	*."$DNSSEC_PARENT") ;;
	*) t_diag "dnssec_zone: $_z is not below $DNSSEC_PARENT"; return 1 ;;
	esac
	_f=$DNSSEC_DIR/zones/$_z
	if [ -e "$_f.kind" ]; then
		if [ "$(cat "$_f.kind")" != "$_k" ]; then
			t_diag "dnssec_zone: $_z already declared as $(cat "$_f.kind")"
			return 1
		fi
	else
		echo "$_k" >"$_f.kind"
		: >"$_f.rr"
		DNSSEC_ZONES+=("$_z")
	fi
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$_f.rr"
}

# dnssec_rr NAME RR...: see the top of this file.
dnssec_rr() {
	local _z=${1%.}
	shift
	_dnssec_init || return 1
	[ -e "$DNSSEC_DIR/zones/$_z.kind" ] || { t_diag "dnssec_rr: zone $_z not declared"; return 1; }
	printf '%s\n' "$@" >>"$DNSSEC_DIR/zones/$_z.rr"
}

# ------------------------------------------------------------------ TLSA

# tlsa_rdata CERT USAGE SELECTOR MTYPE: see the top of this file.
tlsa_rdata() {
	local _cert=$1 _u=$2 _s=$3 _m=$4 _hex
	_hex=$(
		set -o pipefail
		if [ "$_s" = 0 ]; then
			openssl x509 -in "$_cert" -outform DER
		else
			openssl x509 -in "$_cert" -noout -pubkey | openssl pkey -pubin -outform DER
		fi | case $_m in
			0) od -An -v -tx1 ;;
			2) openssl dgst -sha512 -binary | od -An -v -tx1 ;;
			*) openssl dgst -sha256 -binary | od -An -v -tx1 ;;
		esac | tr -d ' \n'
	) || { t_diag "tlsa_rdata: cannot read $_cert"; return 1; }
	[ -n "$_hex" ] || { t_diag "tlsa_rdata: no data from $_cert"; return 1; }
	printf '%s %s %s %s\n' "$_u" "$_s" "$_m" "$_hex"
}

# dnssec_selfsigned NAME CN: see the top of this file.
dnssec_selfsigned() {
	local _c
	_dnssec_init || return 1
	_c=$DNSSEC_DIR/certs/$1
	_dnssec_run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$_c.key" -out "$_c.crt" -days 90 -subj "/CN=$2" \
		-addext "subjectAltName=DNS:$2" -addext "basicConstraints=CA:FALSE" || return 1
	cat "$_c.key" "$_c.crt" >"$_c.pem" && chmod 0600 "$_c.key" "$_c.pem" || return 1
	echo "$_c.crt"
}

# ------------------------------------------------------------------ the standard zones

# dnssec_dane_zones GOOD SELF PLAIN (each ADDR:PORT): see the top of this file.
dnssec_dane_zones() {
	local _ga=${1%:*} _gp=${1##*:} _sa=${2%:*} _sp=${2##*:} _pa=${3%:*} _pp=${3##*:}
	local _good _ca _self _spare _d _short
	_dnssec_init || return 1
	: "${DNSSEC_CERT_GOOD:=${TLSCA_DIR:-}/good.crt}"
	: "${DNSSEC_CERT_CA:=${TLSCA_DIR:-}/ca.crt}"
	: "${DNSSEC_CERT_SELF:=${TLSCA_DIR:-}/selfsigned.crt}"
	if [ -z "$DNSSEC_CERT_SPARE" ]; then
		DNSSEC_CERT_SPARE=$(dnssec_selfsigned spare spare.probe.test) || return 1
	fi
	for _d in "$DNSSEC_CERT_GOOD" "$DNSSEC_CERT_CA" "$DNSSEC_CERT_SELF"; do
		[ -r "$_d" ] || { t_diag "dnssec_dane_zones: no certificate $_d (tlsca_make first)"; return 1; }
	done
	_good=$(tlsa_rdata "$DNSSEC_CERT_GOOD" 3 1 1) || return 1
	_ca=$(tlsa_rdata "$DNSSEC_CERT_CA" 2 0 1) || return 1
	_self=$(tlsa_rdata "$DNSSEC_CERT_SELF" 3 1 1) || return 1
	_spare=$(tlsa_rdata "$DNSSEC_CERT_SPARE" 3 1 1) || return 1
	_short=${_good:0:6}${_good:6:32}     # "3 1 1 " + 16 bytes

	dnssec_rr "$DNSSEC_PARENT" \
		"mail A $_ga" "_$_gp._tcp.mail TLSA $_ca" || return 1

	dnssec_zone "sec.$DNSSEC_PARENT" secure \
		"ee MX 10 mx-ee" "mx-ee A $_ga" "_$_gp._tcp.mx-ee TLSA $_good" \
		"ta MX 10 mail.$DNSSEC_PARENT." \
		"taname MX 10 mx-taname" "mx-taname A $_ga" "_$_gp._tcp.mx-taname TLSA $_ca" \
		"mismatch MX 10 mx-mismatch" "mx-mismatch A $_ga" \
		"_$_gp._tcp.mx-mismatch TLSA $_spare" \
		"rollover MX 10 mx-rollover" "mx-rollover A $_ga" \
		"_$_gp._tcp.mx-rollover TLSA $_spare" "_$_gp._tcp.mx-rollover TLSA $_good" \
		"unusable MX 10 mx-unusable" "mx-unusable A $_ga" \
		"_$_gp._tcp.mx-unusable TLSA $(tlsa_rdata "$DNSSEC_CERT_CA" 0 0 1)" \
		"_$_gp._tcp.mx-unusable TLSA $(tlsa_rdata "$DNSSEC_CERT_GOOD" 1 1 1)" \
		"_$_gp._tcp.mx-unusable TLSA $(tlsa_rdata "$DNSSEC_CERT_GOOD" 3 2 1)" \
		"_$_gp._tcp.mx-unusable TLSA $(tlsa_rdata "$DNSSEC_CERT_GOOD" 3 1 9)" \
		"_$_gp._tcp.mx-unusable TLSA $_short" \
		"notlsa MX 10 mx-notlsa" "mx-notlsa A $_ga" \
		"_$_gp._tcp.mx-notlsa TXT \"a name without TLSA records\"" \
		"nxtlsa MX 10 mx-nxtlsa" "mx-nxtlsa A $_ga" \
		"mxins MX 10 mx.ins.$DNSSEC_PARENT." \
		"plain MX 10 mx-plain" "mx-plain A $_pa" "_$_pp._tcp.mx-plain TLSA $_good" \
		"self MX 10 mx-self" "mx-self A $_sa" "_$_sp._tcp.mx-self TLSA $_self" \
		"big MX 10 mx-big" "mx-big A $_ga" \
		"_$_gp._tcp.mx-big TLSA $(tlsa_rdata "$DNSSEC_CERT_SPARE" 3 0 0)" \
		"_$_gp._tcp.mx-big TLSA $(tlsa_rdata "$DNSSEC_CERT_CA" 3 0 0)" \
		"_$_gp._tcp.mx-big TLSA $(tlsa_rdata "$DNSSEC_CERT_SELF" 3 0 0)" \
		"_$_gp._tcp.mx-big TLSA $(tlsa_rdata "$DNSSEC_CERT_GOOD" 3 0 0)" || return 1

	for _d in ins:insecure bogus:bogus badsig:badsig expired:expired; do
		dnssec_zone "${_d%%:*}.$DNSSEC_PARENT" "${_d#*:}" \
			"@ MX 10 mx" "mx A $_ga" "_$_gp._tcp.mx TLSA $_good" || return 1
	done
}

# ------------------------------------------------------------------ signing

# _dnssec_key ZONE KSK|ZSK: makes a key in zones/, prints its base name.
_dnssec_key() {
	local _o
	if [ "$2" = KSK ]; then
		_o=$(cd "$DNSSEC_DIR/zones" && ldns-keygen -a ECDSAP256SHA256 -k "$1." 2>&1)
	else
		_o=$(cd "$DNSSEC_DIR/zones" && ldns-keygen -a ECDSAP256SHA256 "$1." 2>&1)
	fi || { t_diag "ldns-keygen failed for $1:"; printf '%s\n' "$_o" | t_diag_stream; return 1; }
	_o=$(printf '%s\n' "$_o" | tail -n 1)
	[ -s "$DNSSEC_DIR/zones/$_o.key" ] || { t_diag "ldns-keygen made no key for $1 ($_o)"; return 1; }
	echo "$_o"
}

# _dnssec_zonefile ZONE: the unsigned zone file (SOA, NS, the caller's
# lines, and for the parent the delegations in zones/PARENT.deleg).
_dnssec_zonefile() {
	local _z=$1 _f=$DNSSEC_DIR/zones/$1
	{
		# shellcheck disable=SC2016 # $ORIGIN and $TTL are zone-file words
		printf '$ORIGIN %s.\n$TTL %s\n' "$_z" "$DNSSEC_TTL"
		printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 %s\n' \
			"$DNSSEC_PARENT" "$DNSSEC_PARENT" "$DNSSEC_TTL"
		printf '@ IN NS ns.%s.\n' "$DNSSEC_PARENT"
		if [ "$_z" = "$DNSSEC_PARENT" ]; then
			printf 'ns IN A %s\n' "$DNSSEC_NSD_ADDR"
			cat "$_f.deleg" 2>/dev/null
		fi
		cat "$_f.rr"
	} >"$_f.zone"
}

# _dnssec_sign ZONE KIND: signs zones/ZONE.zone into zones/ZONE.signed and,
# unless insecure, writes the DS the parent is to publish in zones/ZONE.ds.
_dnssec_sign() {
	local _z=$1 _k=$2 _f=$DNSSEC_DIR/zones/$1 _ksk _zsk _now _inc _exp _type
	_dnssec_zonefile "$_z" || return 1
	if [ "$_k" = insecure ]; then
		cp "$_f.zone" "$_f.signed"
		return 0
	fi
	_ksk=$(_dnssec_key "$_z" KSK) || return 1
	_zsk=$(_dnssec_key "$_z" ZSK) || return 1
	_now=$(date +%s)
	_inc=$((_now - 3600)) _exp=$((_now + 30 * 86400))
	# Expired well beyond a validator's clock skew allowance (Unbound's
	# val-sig-skew-max is a day): a signature a day old sits on its edge.
	[ "$_k" != expired ] || { _inc=$((_now - 40 * 86400)); _exp=$((_now - 10 * 86400)); }
	_dnssec_run ldns-signzone -i "$_inc" -e "$_exp" -f "$_f.signed" \
		"$_f.zone" "$DNSSEC_DIR/zones/$_zsk" "$DNSSEC_DIR/zones/$_ksk" || return 1
	cp "$DNSSEC_DIR/zones/$_ksk.ds" "$_f.ds" || return 1
	case $_k in
	bogus)
		# the parent vouches for a key the zone neither holds nor uses
		_ksk=$(_dnssec_key "$_z" KSK) || return 1
		cp "$DNSSEC_DIR/zones/$_ksk.ds" "$_f.ds" || return 1
		;;
	badsig*)
		_type=${_k#badsig}; _type=${_type#:}; _type=${_type:-TLSA}
		# ldns-signzone writes one RR a line: owner TTL IN RRSIG TYPE ...
		# signature (base64, last field). Change its 11th character.
		awk -v t="$_type" 'BEGIN { OFS = "\t"; n = 0 }
			$4 == "RRSIG" && $5 == t {
				s = $NF; c = substr(s, 11, 1)
				$NF = substr(s, 1, 10) (c == "A" ? "B" : "A") substr(s, 12)
				n++
			}
			{ print }
			END { if (n == 0) exit 3 }' "$_f.signed" >"$_f.signed.tmp" ||
			{ t_diag "badsig: no RRSIG over $_type in $_z"; return 1; }
		mv "$_f.signed.tmp" "$_f.signed"
		;;
	esac
}

# ------------------------------------------------------------------ servers


# _dnssec_system_services: a running system nsd/unbound service is stopped
# (by systemctl, or by the pid in its packaged pid file), with a diag line.
_dnssec_system_services() {
	local _s _pf _pid
	for _s in nsd unbound; do
		if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
			if systemctl is-active --quiet "$_s.service" 2>/dev/null; then
				t_diag "the system's $_s service is running: stopping it (tools/install-deps.sh disables it)"
				systemctl stop "$_s.service" >/dev/null 2>&1
			fi
			continue
		fi
		case $_s in nsd) _pf=/run/nsd/nsd.pid ;; *) _pf=/run/unbound.pid ;; esac
		[ -s "$_pf" ] || continue
		_pid=$(cat "$_pf" 2>/dev/null)
		case $_pid in '' | *[!0-9]*) continue ;; esac
		[ "$(readlink "/proc/$_pid/exe" 2>/dev/null)" = "/usr/sbin/$_s" ] || continue
		t_diag "the system's $_s (pid $_pid, $_pf) is running: stopping it"
		kill -TERM "$_pid" 2>/dev/null
		local _i=0
		while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	done
	return 0
}

# _dnssec_wait_answer ADDR PORT PID NAME SECONDS [FLAG]: polls (bounded)
# until the server at ADDR:PORT answers NAME SOA with NOERROR (and, given
# FLAG, with that flag), while process PID lives.
_dnssec_wait_answer() {
	local _addr=$1 _port=$2 _pid=$3 _name=$4 _secs=$5 _flag=${6:-} _deadline _o _rec=+norec
	[ -z "$_flag" ] || _rec=+rec
	_deadline=$(( $(date +%s%N) + _secs * 1000000000 ))
	while :; do
		_o=$(dig @"$_addr" -p "$_port" +dnssec "$_rec" +time=1 +tries=1 "$_name" SOA 2>/dev/null)
		if printf '%s\n' "$_o" | grep -q 'status: NOERROR'; then
			[ -z "$_flag" ] && return 0
			printf '%s\n' "$_o" | grep -Eq "^;; flags:[a-z ]* ${_flag}[ ;]" && return 0
		fi
		kill -0 "$_pid" 2>/dev/null || return 1
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}

_dnssec_nsd_conf() {
	local _z _d=$DNSSEC_DIR/nsd
	{
		cat <<NSDCONF
# Private NSD of smtp-probe's DNSSEC test bed (tests/lib/dnssec.sh)
server:
	ip-address: $DNSSEC_NSD_ADDR@$DNSSEC_NSD_PORT
	do-ip4: yes
	do-ip6: no
	reuseport: no
	server-count: 1
	tcp-count: 32
	username: ""
	chroot: ""
	zonesdir: "$DNSSEC_DIR/zones"
	database: ""
	zonelistfile: "$_d/zone.list"
	xfrdfile: "$_d/xfrd.state"
	xfrdir: "$_d"
	pidfile: "$_d/nsd.pid"
	cookie-secret-file: "$_d/cookiesecrets.txt"
	logfile: "$_d/nsd.log"
	verbosity: 1
	hide-version: yes
	zonefiles-write: 0
	ipv4-edns-size: 1232
remote-control:
	control-enable: no
NSDCONF
		for _z in "${DNSSEC_ZONES[@]}"; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$_z" "$DNSSEC_DIR/zones/$_z.signed"
		done
	} >"$_d/nsd.conf"
}

_dnssec_unbound_conf() {
	local _z _d=$DNSSEC_DIR/unbound _stub=$DNSSEC_NSD_ADDR@$DNSSEC_NSD_PORT
	{
		cat <<UBCONF
# Private Unbound of smtp-probe's DNSSEC test bed (tests/lib/dnssec.sh)
server:
	verbosity: 1
	interface: $DNSSEC_RESOLVER
	port: $DNSSEC_PORT
	interface-automatic: no
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "$_d"
	pidfile: ""
	use-syslog: no
	logfile: "$_d/unbound.log"
	log-servfail: yes
	val-log-level: 2
	module-config: "validator iterator"
	trust-anchor-file: "$DNSSEC_ANCHOR"
	trust-anchor-signaling: no
	root-key-sentinel: no
	do-not-query-localhost: no
	num-threads: 1
	so-reuseport: no
	outgoing-range: 64
	num-queries-per-thread: 32
	msg-cache-size: 1m
	rrset-cache-size: 1m
	key-cache-size: 1m
	neg-cache-size: 1m
	edns-buffer-size: 1232
	max-udp-size: 1232
	aggressive-nsec: no
	prefetch: no
	ede: yes
	harden-dnssec-stripped: yes
	local-zone: "." refuse
	local-zone: "$DNSSEC_PARENT." transparent
remote-control:
	control-enable: no
stub-zone:
	name: "."
	stub-addr: $_stub
UBCONF
		for _z in "${DNSSEC_ZONES[@]}"; do
			printf 'stub-zone:\n\tname: "%s."\n\tstub-addr: %s\n' "$_z" "$_stub"
		done
	} >"$_d/unbound.conf"
}

# _dnssec_pick_resolver TRY: as root, the first of 127.53.X.Y (X.Y from the
# pid and TRY) where port 53 is free for UDP and TCP; otherwise
# 127.0.0.1:<free port>.
_dnssec_pick_resolver() {
	local _i _n _p
	if [ "$(id -u)" -eq 0 ]; then
		_n=$(( ($$ + $1 * 104729) % 60000 ))
		for _i in 0 1 2 3 4 5 6 7 8 9; do
			_p=$(( (_n + _i * 7919) % 60000 ))
			DNSSEC_RESOLVER=127.53.$(( _p / 240 )).$(( _p % 240 + 2 ))
			DNSSEC_PORT=53
			addr_port_free "$DNSSEC_RESOLVER" 53 && return 0
		done
		t_diag "no 127.53.x.y with port 53 free; Unbound on a free port (no posttls-finger)"
	fi
	DNSSEC_RESOLVER=127.0.0.1
	_dnssec_pick_port DNSSEC_PORT "$DNSSEC_RESOLVER"
}

# _dnssec_pick_port VAR ADDR: a free port (UDP and TCP) on ADDR into VAR.
_dnssec_pick_port() {
	local _i _p
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_p=$(free_port) || return 1
		if addr_port_free "$2" "$_p"; then
			printf -v "$1" '%s' "$_p"
			return 0
		fi
	done
	return 1
}

_dnssec_log_diag() {
	t_diag "$1"
	tail -n "${3:-20}" "$2" 2>/dev/null | t_diag_stream
}

# _dnssec_run_server WHAT TRY: picks the address/port of NSD or Unbound,
# writes its configuration, checks it, starts the server in the foreground
# and waits (bounded) until it answers (Unbound: with AD). Returns 2 when
# the server exited before answering (another process may have taken the
# port between the check and the bind: the caller tries again), 1 on any
# other failure.
_dnssec_run_server() {
	local _what=$1 _try=$2 _d _conf _out _bin _check _addr _port _flag='' _pid
	case $_what in
	nsd)
		_d=$DNSSEC_DIR/nsd _bin=nsd _check=nsd-checkconf
		_dnssec_pick_port DNSSEC_NSD_PORT "$DNSSEC_NSD_ADDR" || { t_diag "no free port for NSD"; return 1; }
		_dnssec_nsd_conf || return 1
		_addr=$DNSSEC_NSD_ADDR _port=$DNSSEC_NSD_PORT _conf=$_d/nsd.conf
		;;
	unbound)
		_d=$DNSSEC_DIR/unbound _bin=unbound _check=unbound-checkconf _flag=ad
		_dnssec_pick_resolver "$_try" || { t_diag "no address/port for Unbound"; return 1; }
		DNSSEC_SERVER=$DNSSEC_RESOLVER:$DNSSEC_PORT
		_dnssec_unbound_conf || return 1
		_addr=$DNSSEC_RESOLVER _port=$DNSSEC_PORT _conf=$_d/unbound.conf
		;;
	esac
	if ! _out=$("$(_dnssec_bin "$_check")" "$_conf" 2>&1); then
		t_diag "$_check failed:"; printf '%s\n' "$_out" | t_diag_stream
		return 1
	fi
	"$(_dnssec_bin "$_bin")" -d -c "$_conf" >"$_d/stderr" 2>&1 </dev/null &
	_pid=$!
	if [ "$_what" = nsd ]; then DNSSEC_NSD_PID=$_pid; else DNSSEC_UNBOUND_PID=$_pid; fi
	_dnssec_wait_answer "$_addr" "$_port" "$_pid" "$DNSSEC_PARENT" 10 $_flag && return 0
	if ! kill -0 "$_pid" 2>/dev/null; then
		wait "$_pid" 2>/dev/null
		_dnssec_log_diag "$_bin exited before answering on $_addr:$_port (try $_try):" "$_d/$_bin.log" 5
		t_diag_stream <"$_d/stderr"
		return 2
	fi
	_dnssec_log_diag "$_bin did not answer $DNSSEC_PARENT SOA${_flag:+ with AD} on $_addr:$_port within 10 s:" \
		"$_d/$_bin.log"
	t_diag_stream <"$_d/stderr"
	return 1
}

# dnssec_start: see the top of this file.
dnssec_start() {
	local _z _k _t0 _s _try _rc
	_t0=$(date +%s%N)
	dnssec_can_run || { t_diag "$DNSSEC_WHY"; return 1; }
	_dnssec_init || return 1
	_dnssec_system_services

	# children first: their DS records go into the parent
	: >"$DNSSEC_DIR/zones/$DNSSEC_PARENT.deleg"
	for _z in "${DNSSEC_ZONES[@]:1}"; do
		_k=$(cat "$DNSSEC_DIR/zones/$_z.kind")
		_dnssec_sign "$_z" "$_k" || { t_diag "signing $_z ($_k) failed"; return 1; }
		printf '%s. IN NS ns.%s.\n' "$_z" "$DNSSEC_PARENT" >>"$DNSSEC_DIR/zones/$DNSSEC_PARENT.deleg"
		[ "$_k" = insecure ] || cat "$DNSSEC_DIR/zones/$_z.ds" >>"$DNSSEC_DIR/zones/$DNSSEC_PARENT.deleg"
	done
	_dnssec_sign "$DNSSEC_PARENT" secure || { t_diag "signing $DNSSEC_PARENT failed"; return 1; }
	DNSSEC_ANCHOR=$DNSSEC_DIR/anchor.ds
	cp "$DNSSEC_DIR/zones/$DNSSEC_PARENT.ds" "$DNSSEC_ANCHOR" || return 1

	cleanup_add dnssec_stop
	for _s in nsd unbound; do
		for _try in 1 2 3; do
			_dnssec_run_server "$_s" "$_try"
			_rc=$?
			[ "$_rc" -eq 2 ] || break
		done
		[ "$_rc" -eq 0 ] || return 1
	done

	# for posttls-finger (dnssec_posttls_finger)
	printf 'nameserver %s\noptions trust-ad edns0 attempts:1 timeout:3\n' \
		"$DNSSEC_RESOLVER" >"$DNSSEC_DIR/resolv.conf"
	cat >"$DNSSEC_DIR/postfix/main.cf" <<PFCONF
# posttls-finger of smtp-probe's DNSSEC test bed (tests/lib/dnssec.sh)
compatibility_level = 3.6
myhostname = client.$DNSSEC_PARENT
mydomain = $DNSSEC_PARENT
inet_protocols = ipv4
dnssec_probe = ns:$DNSSEC_PARENT
PFCONF
	# Postfix waits (300 ms at a time, up to 2 s) while a configuration file
	# is younger than a second or two ("being edited"): date it back.
	touch -d '-1 hour' "$DNSSEC_DIR/postfix/main.cf"
	DNSSEC_START_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
	return 0
}

# dnssec_stop: stops Unbound and NSD (and any child either left behind).
dnssec_stop() {
	local _p _kids _k
	for _p in "$DNSSEC_UNBOUND_PID" "$DNSSEC_NSD_PID"; do
		[ -n "$_p" ] || continue
		_kids=$(pgrep -P "$_p" 2>/dev/null)
		proc_stop "$_p"
		for _k in $_kids; do
			kill -0 "$_k" 2>/dev/null && proc_stop "$_k"
		done
	done
	DNSSEC_UNBOUND_PID='' DNSSEC_NSD_PID=''
	return 0
}

# ------------------------------------------------------------------ queries

# dnssec_dig ARGS...: see the top of this file.
dnssec_dig() {
	dig @"$DNSSEC_RESOLVER" -p "$DNSSEC_PORT" +dnssec +nosplit +time=3 +tries=1 "$@"
}

# dnssec_query NAME TYPE [DIG-OPTIONS...]: see the top of this file.
DQ_N=0
dnssec_query() {
	local _name=$1 _type=$2 _head
	shift 2
	DQ_N=$((DQ_N + 1))
	DQ_OUT=$DNSSEC_DIR/query$DQ_N.out
	dnssec_dig "$@" "$_name" "$_type" >"$DQ_OUT" 2>&1
	# one awk: "STATUS|FLAGS|SIZE|COUNT", then the answer's RDATA lines
	_head=$(awk -v t="$_type" '
		/^;; ->>HEADER<<-/ && st == "" { st = $6; sub(/,$/, "", st) }
		/^;; flags:/ && fl == "" { fl = $0; sub(/^;; flags: */, "", fl); sub(/;.*/, "", fl) }
		/^;; MSG SIZE/ { sz = $NF }
		/^;; ANSWER SECTION:/ { a = 1; next }
		/^$/ { a = 0 }
		a && $4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); ans[++n] = $0 }
		END {
			printf "%s|%s|%s|%d\n", st, fl, sz, n
			for (i = 1; i <= n; i++) print ans[i]
		}' "$DQ_OUT")
	IFS='|' read -r DQ_STATUS DQ_FLAGS DQ_SIZE DQ_COUNT <<<"${_head%%$'\n'*}"
	DQ_FLAGS=" $DQ_FLAGS "
	DQ_ANSWER=
	[ "$DQ_COUNT" -eq 0 ] || DQ_ANSWER=${_head#*$'\n'}
	[ -n "$DQ_STATUS" ]
}

# dq_flag FLAG: the last reply had FLAG.
dq_flag() { case $DQ_FLAGS in *" $1 "*) return 0 ;; esac; return 1; }

# ------------------------------------------------------------------ posttls-finger

dnssec_posttls_can_run() {
	with_resolv_can_run /usr/sbin/posttls-finger "$DNSSEC_PORT" || { DNSSEC_WHY=$WITH_RESOLV_WHY; return 1; }
}

# dnssec_posttls_finger ARGS...: see the top of this file.
dnssec_posttls_finger() {
	local _ca=
	[ ! -d /etc/ssl/certs ] || _ca="-P /etc/ssl/certs"
	# shellcheck disable=SC2086 # _ca is two words or none
	with_resolv "$DNSSEC_DIR/resolv.conf" \
		env MAIL_CONFIG="$DNSSEC_DIR/postfix" timeout -k 5 40 \
		/usr/sbin/posttls-finger -t 10 -T 10 -l dane -a ipv4 $_ca "$@" </dev/null 2>&1
}
