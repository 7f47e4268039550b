#!/bin/sh
# SPDX-License-Identifier: MIT
# test-deb.sh - install the packages tools/build-deb.sh built, try them as a
# user would, and purge them again.
#
#   * apt-get installs the three .debs (their dependencies from the archive);
#   * the plugin at /usr/lib/nagios/plugins/check_smtp_probe prints its
#     version (exit 3) and finds a closed 127.0.0.1 port CRITICAL (exit 2);
#   * man finds check_smtp_probe(1) and smtpprobe(3);
#   * a program builds with `pkg-config --cflags --libs smtpprobe` against
#     the installed -dev package and runs against the installed library;
#   * smtp_probe_exporter --version runs; its unit, its module file (a
#     conffile), its defaults file and its man page are in place, and it
#     starts with the installed module file, which admits no target (403);
#   * apt-get purge removes them, leaving none of their files.
#
# Usage: tools/test-deb.sh [DIR]      (default /tmp/smtp-probe-deb)
# Run as root on a machine where no other smtp-probe package is wanted: any
# installed one is purged first and at the end.
set -eu
dir=${1:-${TMPDIR:-/tmp}/smtp-probe-deb}
PKGS="libsmtpprobe0 libsmtpprobe-dev monitoring-plugins-smtp-probe prometheus-smtp-probe-exporter"
PLUGIN=/usr/lib/nagios/plugins/check_smtp_probe
EXPORTER=/usr/bin/smtp_probe_exporter
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" -eq 0 ] || { echo "test-deb: must run as root" >&2; exit 1; }
debs=
for p in $PKGS; do
	f=$(ls "$dir"/"${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "test-deb: no ${p}_*.deb in $dir (run tools/build-deb.sh)" >&2; exit 1; }
	debs="$debs $f"
done

failed=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; failed=$((failed + 1)); }

purge() {
	# shellcheck disable=SC2086
	apt-get purge -y -q $PKGS >/dev/null 2>&1 || true
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtp-probe-test-deb.XXXXXX")
trap 'purge; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

purge
# shellcheck disable=SC2086
if apt-get install -y -q --no-install-recommends $debs >"$tmp/apt.log" 2>&1; then
	ok "apt-get install$(for d in $debs; do printf ' %s' "$(basename "$d")"; done)"
else
	tail -n 30 "$tmp/apt.log"
	no "apt-get install"
	exit 1
fi

v=$("$PLUGIN" -V 2>&1) && rc=0 || rc=$?
if [ "$rc" -eq 3 ] && printf '%s\n' "$v" | grep -q '^check_smtp_probe [0-9.]* (libsmtpprobe [0-9.]*)'; then
	ok "$PLUGIN -V: $v (exit 3)"
else
	no "$PLUGIN -V: '$v' (exit $rc)"
fi

# A closed port: one the kernel just handed out and released.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
line=$("$PLUGIN" -H 127.0.0.1 -p "$port" -t 5 2>&1) && rc=0 || rc=$?
if [ "$rc" -eq 2 ] && printf '%s\n' "$line" | grep -q '^SMTP CRITICAL - 127\.0\.0\.1:'"$port"' connect failed'; then
	ok "closed port: exit 2, ${line%% |*}"
else
	no "closed port: expected CRITICAL, exit 2; got exit $rc: $line"
fi

# -S loads the packaged TLS module (libsmtpprobe0) before it connects.
line=$("$PLUGIN" -H 127.0.0.1 -p "$port" -S -t 5 2>&1) && rc=0 || rc=$?
if [ "$rc" -eq 2 ] && printf '%s\n' "$line" | grep -q '^SMTP CRITICAL - 127\.0\.0\.1:'"$port"' connect failed'; then
	ok "-S: the TLS module loads (exit 2, ${line%% |*})"
else
	no "-S: expected CRITICAL from the connect, exit 2; got exit $rc: $line"
fi

# The monitoring systems' definitions: Nagios's where Debian's nagios4 reads
# the plugins' commands, the others as examples.
doc=/usr/share/doc/monitoring-plugins-smtp-probe/examples
for f in /etc/nagios-plugins/config/smtp-probe.cfg "$doc/icinga2/smtp-probe.conf" \
	"$doc/zabbix/template_smtp_probe.yaml" "$doc/zabbix/smtp_probe.sh" "$doc/services-example.cfg"; do
	if [ -f "$f" ]; then ok "installed: $f"; else no "not installed: $f"; fi
done

for m in check_smtp_probe.1 smtpprobe.3 smtp_probe_exporter.1; do
	if man -w "${m%.*}" 2>/dev/null | grep -q "${m}"; then ok "man ${m%.*}($(echo "$m" | sed 's/.*\.//'))"; else no "man page $m"; fi
done

cat >"$tmp/v.c" <<'EOF'
#include <smtpprobe.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	printf("%s\n", smtpprobe_version());
	return strcmp(smtpprobe_stage_name(SMTPPROBE_STAGE_RCPT), "rcpt") != 0;
}
EOF
# shellcheck disable=SC2046
if cc -o "$tmp/v" "$tmp/v.c" $(pkg-config --cflags --libs smtpprobe) 2>"$tmp/cc.log" &&
	libv=$("$tmp/v") && ldd "$tmp/v" | grep -Eq 'libsmtpprobe.so.0 => /(usr/)?lib/'; then
	ok "a program built with pkg-config smtpprobe runs against the system's library: $libv"
else
	cat "$tmp/cc.log"
	no "a program built with pkg-config smtpprobe"
fi

# ---- the exporter
v=$("$EXPORTER" --version 2>&1) && rc=0 || rc=$?
if [ "$rc" -eq 0 ] && printf '%s\n' "$v" | grep -q '^smtp_probe_exporter [0-9.]* (libsmtpprobe [0-9.]*)'; then
	ok "$EXPORTER --version: $v"
else
	no "$EXPORTER --version: '$v' (exit $rc)"
fi
for f in /lib/systemd/system/smtp-probe-exporter.service /etc/default/prometheus-smtp-probe-exporter \
	/usr/share/doc/prometheus-smtp-probe-exporter/examples/prometheus.yml \
	/usr/share/doc/prometheus-smtp-probe-exporter/examples/smtp-probe.rules.yml; do
	if [ -f "$f" ]; then ok "installed: $f"; else no "not installed: $f"; fi
done
if dpkg-query -W -f='${Conffiles}\n' prometheus-smtp-probe-exporter | grep -q '^ /etc/smtp-probe/exporter.ini '; then
	ok "/etc/smtp-probe/exporter.ini is a conffile"
else
	no "/etc/smtp-probe/exporter.ini is not a conffile"
fi
# As the unit would run it (its ARGS from the defaults file), on a free port.
# shellcheck disable=SC1091
ARGS=$(. /etc/default/prometheus-smtp-probe-exporter && echo "$ARGS")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
"$EXPORTER" $ARGS --web.listen-address="127.0.0.1:$port" 2>"$tmp/exporter.log" &
exp_pid=$!
code=000 i=0
while [ "$code" != 200 ] && [ $i -lt 100 ] && kill -0 "$exp_pid" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/-/healthy") || code=000
done
probe=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/probe?module=smtp_banner&target=127.0.0.1") || probe=000
kill -TERM "$exp_pid" 2>/dev/null
wait "$exp_pid" && erc=0 || erc=$?
if [ "$code" = 200 ] && [ "$probe" = 403 ] && [ "$erc" -eq 0 ]; then
	ok "the installed exporter with the installed module file: healthy, a target refused (403), exit 0 on SIGTERM"
else
	cat "$tmp/exporter.log"
	no "the installed exporter: /-/healthy $code, /probe $probe (403 expected), exit $erc on SIGTERM"
fi

files=$(for p in $PKGS; do dpkg -L "$p"; done | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
purge
left=
for f in $files /etc/smtp-probe; do [ -e "$f" ] && left="$left $f"; done
# shellcheck disable=SC2086
if [ -z "$left" ] && ! dpkg -l $PKGS 2>/dev/null | grep -q '^[ir]i'; then
	ok "apt-get purge leaves none of their files"
else
	no "apt-get purge left:$left"
fi

[ "$failed" -eq 0 ] || { echo "test-deb: $failed failed" >&2; exit 1; }
echo "test-deb: all passed"
