#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - install everything smtp-probe needs to build and test on
# Debian (12 "bookworm" and later).
#
# Idempotent and non-interactive: packages already installed are left alone,
# and `apt-get update` runs only when something is missing, so a repeat run
# costs a few dpkg-query calls. Postfix is preseeded to "No configuration":
# the test suite runs its own private Postfix instance (tests/lib/postfix.sh)
# and the machine's mail setup is never configured or started by this script.
# dovecot-lmtpd and python3-aiosmtpd, with Haraka from npm (below), are the
# real servers of tests/integration/servers-*.test besides Postfix and its
# smtp-sink; each test runs its own private copy on loopback.
# dovecot-core is there for its SASL server only: tests/lib/postfix.sh runs a
# private Dovecot from the test's temp dir (pf_dovecot_start) for auth.test.
# icinga2, nagios4-core and zabbix-agent are for `make check-integration`
# (tests/systems/), which runs each privately; their system services are
# kept from starting while the packages are installed (a policy-rc.d of our
# own, when the machine has none).
# nsd, unbound, ldnsutils and bind9-dnsutils are the DNSSEC test bed of the
# DANE tests (tests/lib/dnssec.sh: a private NSD serving zones signed with
# ldns-signzone, a private validating Unbound, dig); posttls-finger, from
# postfix, is the second opinion on DANE. NSD and Unbound run only as the
# tests' own instances: when this script installs them, their system
# services (and unbound-resolvconf, which would point the machine's
# resolv.conf at Unbound) are disabled as well as kept from starting.
# prometheus is there for promtool (`promtool check metrics`, which
# tests/integration/prometheus.test runs on --output prometheus; `check
# config`, `check rules` and `test rules` over packaging/prometheus/ in
# exporter-packaging.test) and for the Prometheus server that
# exporter-prometheus.test runs privately to scrape smtp_probe_exporter; its
# system service is disabled the same way. (make bench installs Debian's
# prometheus-blackbox-exporter itself when it is missing: only the bench
# uses it.)
# nginx and postfix-mta-sts-resolver are the MTA-STS test bed
# (tests/lib/mtasts.sh: a private nginx serving the policies over HTTPS;
# the resolver's mta-sts-query is the second opinion on them); neither runs
# as a system service: both are disabled the same way.
#
# Usage: tools/install-deps.sh        (as root, or as a user with sudo)
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
libevent-dev libssl-dev libudns-dev libcmocka-dev
postfix dnsmasq-base monitoring-plugins-standard swaks valgrind
python3 openssl time iproute2 dovecot-core
clang libclang-rt-14-dev
dpkg-dev debhelper lintian rpm mandoc
icinga2 nagios4-core zabbix-agent curl python3-yaml
dovecot-lmtpd python3-aiosmtpd
nsd unbound ldnsutils bind9-dnsutils
prometheus nginx postfix-mta-sts-resolver"

export DEBIAN_FRONTEND=noninteractive

die() { echo "install-deps: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	# -E keeps DEBIAN_FRONTEND; sudo may still reset it, so it is passed
	# explicitly on every apt-get command line below as well.
	SUDO="sudo -E"
else
	die "must run as root (or with sudo available) to install packages"
fi

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script is for Debian"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian"

installed() {
	# "install ok installed" is the only state that counts; "deinstall",
	# "half-configured", "config-files" and unknown packages do not.
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=
for p in $PACKAGES; do
	installed "$p" || missing="$missing $p"
done

# Haraka, a real SMTP server the tests run (tests/lib/haraka.sh), is not in
# Debian: it comes from npm, pinned, into a directory of its own (never a
# system-wide install). Node.js from Debian when the machine has none.
HARAKA_DIR=${HARAKA_DIR:-/opt/smtp-probe-test/haraka}
HARAKA_VERSION=3.1.1
if ! command -v npm >/dev/null 2>&1; then
	installed nodejs || missing="$missing nodejs"
	installed npm || missing="$missing npm"
fi

install_haraka() {
	[ -x "$HARAKA_DIR/node_modules/.bin/haraka" ] &&
		grep -q "\"version\": *\"$HARAKA_VERSION\"" "$HARAKA_DIR/node_modules/Haraka/package.json" 2>/dev/null &&
		return 0
	echo "install-deps: Haraka $HARAKA_VERSION from npm into $HARAKA_DIR"
	$SUDO mkdir -p "$HARAKA_DIR"
	(cd "$HARAKA_DIR" && $SUDO npm install --no-audit --no-fund --loglevel=error \
		"Haraka@$HARAKA_VERSION" >/dev/null) || die "npm could not install Haraka $HARAKA_VERSION"
}

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	install_haraka
	exit 0
fi
echo "install-deps: installing:$missing"

# Postfix: "No configuration" leaves /etc/postfix/main.cf absent and the
# system's mail service unconfigured. Preseeding is harmless when postfix
# is already installed.
case " $missing " in
*" postfix "*)
	printf '%s\n' \
		'postfix postfix/main_mailer_type select No configuration' \
		'postfix postfix/mailname string probe-test.example' |
		$SUDO debconf-set-selections
	;;
esac

# Daemons the tests run privately are not to be started as system services.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# install-deps.sh of smtp-probe: no service starts while it installs\nexit 101\n' |
		$SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	trap '$SUDO rm -f "$policy"' EXIT
fi

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$missing

# DNS servers and nginx the tests run privately, Prometheus (the tests run
# their own) and the MTA-STS resolver daemon (only mta-sts-query is used):
# not system services (a system NSD
# listens on *:53; Unbound's service rewrites resolv.conf). Only for the
# packages installed now: a service the machine already had is left alone.
services=
case " $missing " in *" nsd "*) services="$services nsd" ;; esac
case " $missing " in *" unbound "*) services="$services unbound unbound-resolvconf" ;; esac
case " $missing " in *" prometheus "*) services="$services prometheus" ;; esac
case " $missing " in *" nginx "*) services="$services nginx" ;; esac
case " $missing " in *" postfix-mta-sts-resolver "*) services="$services postfix-mta-sts-resolver" ;; esac
for s in $services; do
	if command -v systemctl >/dev/null 2>&1 && [ -e "/lib/systemd/system/$s.service" ]; then
		# works without a running systemd too (it edits the unit links)
		$SUDO systemctl disable "$s.service" >/dev/null 2>&1 || true
		[ ! -d /run/systemd/system ] || $SUDO systemctl stop "$s.service" >/dev/null 2>&1 || true
	fi
	if [ -e "/etc/init.d/$s" ] && command -v update-rc.d >/dev/null 2>&1; then
		$SUDO update-rc.d "$s" disable >/dev/null 2>&1 || true
	fi
done

still=
for p in $missing; do
	installed "$p" || still="$still $p"
done
[ -z "$still" ] || die "still missing after apt-get install:$still"
install_haraka
echo "install-deps: done"
