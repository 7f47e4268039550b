#!/bin/sh
# SPDX-License-Identifier: MIT
# build-rpm.sh - build smtp-probe's RPM packages (smtp-probe-libs,
# smtp-probe-devel, nagios-plugins-smtp-probe, smtp-probe-exporter) from `make dist`'s tarball
# with packaging/rpm/smtp-probe.spec, using Debian's rpm package, and try
# them: each package holds what it should, and the plugin, the exporter and
# the library unpacked from them run.
#
# The files git knows are copied to a temporary directory, configured there
# and `make dist` makes the tarball; rpmbuild -bb builds in its own _topdir
# under the same temporary directory. The caller's tree is not touched.
#
# Usage: tools/build-rpm.sh [OUTDIR]     (default /tmp/smtp-probe-rpm)
# Environment: BUILD_RPM_KEEP=1 keeps the temporary directory.
#
# rpmbuild runs with --nodeps: on Debian the BuildRequires are installed as
# .debs, which the (empty) RPM database does not know about.
set -eu
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-${TMPDIR:-/tmp}/smtp-probe-rpm}
spec=packaging/rpm/smtp-probe.spec

command -v rpmbuild >/dev/null 2>&1 || { echo "build-rpm: rpmbuild not found (apt-get install rpm)" >&2; exit 1; }

version=$(sed -n 's/^AC_INIT(\[smtp-probe\], \[\([^]]*\)\].*/\1/p' configure.ac)
specversion=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
if [ "$version" != "$specversion" ]; then
	echo "build-rpm: $spec is at $specversion, configure.ac at $version" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtp-probe-build-rpm.XXXXXX")
cleanup() {
	if [ "${BUILD_RPM_KEEP:-}" = 1 ]; then echo "build-rpm: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the tarball, as a release would make it
mkdir -p "$tmp/src" "$tmp/dist"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z -c -o --exclude-standard |
		(cd "$src" && xargs -0 cp --parents -t "$tmp/src" 2>/dev/null) || true
else
	cp -a "$src/." "$tmp/src/"
	[ ! -f "$tmp/src/Makefile" ] || make -C "$tmp/src" distclean >/dev/null 2>&1 || true
fi
t0=$(date +%s)
if ! (cd "$tmp/src" && autoreconf -fi && cd "$tmp/dist" && "$tmp/src/configure" &&
	make dist-gzip) >"$tmp/dist.log" 2>&1; then
	tail -n 40 "$tmp/dist.log"
	echo "build-rpm: make dist failed" >&2
	exit 1
fi
tarball=$tmp/dist/smtp-probe-$version.tar.gz
[ -f "$tarball" ] || { echo "build-rpm: no $tarball" >&2; exit 1; }
echo "build-rpm: $(basename "$tarball") in $(( $(date +%s) - t0 )) s"

# ---- rpmbuild
top=$tmp/rpmbuild
mkdir -p "$top/SOURCES" "$top/SPECS"
cp "$tarball" "$top/SOURCES/"
cp "$spec" "$top/SPECS/"
t0=$(date +%s)
if ! nice rpmbuild -bb --nodeps \
	--define "_topdir $top" \
	--define "debug_package %{nil}" \
	--define "_smp_mflags -j$(nproc 2>/dev/null || echo 2)" \
	"$top/SPECS/smtp-probe.spec" >"$tmp/rpmbuild.log" 2>&1; then
	tail -n 60 "$tmp/rpmbuild.log"
	echo "build-rpm: rpmbuild failed" >&2
	exit 1
fi
echo "build-rpm: rpmbuild in $(( $(date +%s) - t0 )) s"

rm -rf "$out"
mkdir -p "$out"
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
cp "$tmp/rpmbuild.log" "$out/"

# ---- what is in them, and does it run
failed=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; failed=$((failed + 1)); }
# has PACKAGE PATTERN: the package exists and lists a path matching PATTERN
has() {
	_rpm=$(ls "$out/$1"-[0-9]*.rpm 2>/dev/null | head -n 1)
	if [ -n "$_rpm" ] && rpm -qlp "$_rpm" 2>/dev/null | grep -Eq "$2"; then
		ok "$1: $2"
	else
		no "$1: $2"
	fi
}
has smtp-probe-libs '/libsmtpprobe\.so\.0$'
has smtp-probe-libs '/smtp-probe/smtpprobe-tls\.so$'
has smtp-probe-devel '/include/smtpprobe\.h$'
has smtp-probe-devel '/libsmtpprobe\.so$'
has smtp-probe-devel '/pkgconfig/smtpprobe\.pc$'
has smtp-probe-devel '/man3/smtpprobe\.3'
has nagios-plugins-smtp-probe '/nagios/plugins/check_smtp_probe$'
has nagios-plugins-smtp-probe '/man1/check_smtp_probe\.1'
has smtp-probe-exporter '^/usr/bin/smtp_probe_exporter$'
has smtp-probe-exporter '/systemd/system/smtp-probe-exporter\.service$'
has smtp-probe-exporter '^/etc/smtp-probe/exporter\.ini$'
has smtp-probe-exporter '^/etc/sysconfig/smtp-probe-exporter$'
has smtp-probe-exporter '/man1/smtp_probe_exporter\.1'
if rpm -qp --configfiles "$out"/smtp-probe-exporter-[0-9]*.rpm 2>/dev/null | grep -q '^/etc/smtp-probe/exporter\.ini$'; then
	ok "smtp-probe-exporter: /etc/smtp-probe/exporter.ini is %config"
else
	no "smtp-probe-exporter: /etc/smtp-probe/exporter.ini is %config"
fi
if rpm -qp --requires "$out"/nagios-plugins-smtp-probe-[0-9]*.rpm 2>/dev/null | grep -q '^libsmtpprobe\.so\.0'; then
	ok "nagios-plugins-smtp-probe requires libsmtpprobe.so.0"
else
	no "nagios-plugins-smtp-probe requires libsmtpprobe.so.0"
fi

root=$tmp/root
mkdir -p "$root"
for r in "$out"/*.rpm; do
	(cd "$root" && rpm2cpio "$r" | cpio -idm --quiet)
done
plugin=$(find "$root" -path '*/nagios/plugins/check_smtp_probe' | head -n 1)
libdir=$(dirname "$(find "$root" -name 'libsmtpprobe.so.0' | head -n 1)")
v=$(LD_LIBRARY_PATH=$libdir "$plugin" -V 2>&1) && rc=0 || rc=$?
if [ "$rc" -eq 3 ] && printf '%s\n' "$v" | grep -q "^check_smtp_probe $version (libsmtpprobe $version)"; then
	ok "the unpacked plugin runs: $v"
else
	no "the unpacked plugin runs: '$v' (exit $rc)"
fi

exporter=$(find "$root" -path '*/bin/smtp_probe_exporter' | head -n 1)
v=$(LD_LIBRARY_PATH=$libdir "$exporter" --version 2>&1) && rc=0 || rc=$?
if [ "$rc" -eq 0 ] && printf '%s\n' "$v" | grep -q "^smtp_probe_exporter $version (libsmtpprobe $version)"; then
	ok "the unpacked exporter runs: $v"
else
	no "the unpacked exporter runs: '$v' (exit $rc)"
fi
unit=$(find "$root" -name smtp-probe-exporter.service | head -n 1)
if grep -qx 'EnvironmentFile=-/etc/sysconfig/smtp-probe-exporter' "$unit" 2>/dev/null; then
	ok "the RPM's unit reads /etc/sysconfig/smtp-probe-exporter"
else
	no "the RPM's unit reads /etc/sysconfig/smtp-probe-exporter"
fi

[ "$failed" -eq 0 ] || { echo "build-rpm: $failed failed" >&2; exit 1; }
ls -1 "$out"/*.rpm
echo "build-rpm: packages in $out"
