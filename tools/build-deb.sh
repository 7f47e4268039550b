#!/bin/sh
# SPDX-License-Identifier: MIT
# build-deb.sh - build smtp-probe's Debian packages (libsmtpprobe0,
# libsmtpprobe-dev, monitoring-plugins-smtp-probe,
# prometheus-smtp-probe-exporter) from this work tree and
# check them with lintian.
#
# The files git knows (tracked, or untracked and not ignored) are copied to a
# temporary directory as smtp-probe-VERSION/, packaging/debian/ becomes
# debian/, an orig tarball is made of the same files, and
# `dpkg-buildpackage -us -uc` builds the source and binary packages there:
# the caller's tree and build are never touched. lintian then runs over the
# .changes and must report no error (warnings accepted on purpose are listed
# in packaging/debian/README).
#
# Usage: tools/build-deb.sh [OUTDIR]     (default /tmp/smtp-probe-deb)
#   OUTDIR is emptied, then receives the .deb, .dsc, .changes, ... files and
#   lintian.txt. tools/test-deb.sh OUTDIR installs and tries the packages.
# Environment:
#   DEB_BUILD_OPTIONS   passed on (nocheck skips the unit tests of the build)
#   BUILD_DEB_KEEP=1    keep the temporary build directory
# Needs: dpkg-dev, debhelper, lintian and the Build-Depends of
# packaging/debian/control (tools/install-deps.sh installs them).
set -eu
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-${TMPDIR:-/tmp}/smtp-probe-deb}

for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "build-deb: $t not found (apt-get install dpkg-dev debhelper lintian)" >&2
		exit 1
	}
done

version=$(sed -n 's/^AC_INIT(\[smtp-probe\], \[\([^]]*\)\].*/\1/p' configure.ac)
debversion=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
[ -n "$version" ] || { echo "build-deb: no version in configure.ac" >&2; exit 1; }
case $debversion in
"$version"-*) ;;
*)
	echo "build-deb: packaging/debian/changelog is at $debversion, configure.ac at $version:" \
		"add a changelog entry (dch -v $version-1)" >&2
	exit 1
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtp-probe-build-deb.XXXXXX")
cleanup() {
	if [ "${BUILD_DEB_KEEP:-}" = 1 ]; then echo "build-deb: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The sources, without the caller's build products.
tree=$tmp/smtp-probe-$version
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z -c -o --exclude-standard |
		(cd "$src" && xargs -0 cp --parents -t "$tree" 2>/dev/null) || true
	# (files git lists but that were deleted in the work tree are skipped)
else
	# a release tarball: its files, less a configured build
	cp -a "$src/." "$tree/"
	[ ! -f "$tree/Makefile" ] || make -C "$tree" distclean >/dev/null 2>&1 || true
fi
rm -rf "$tree/debian"
tar -C "$tmp" -cJf "$tmp/smtp-probe_$version.orig.tar.xz" "smtp-probe-$version"
cp -a "$tree/packaging/debian" "$tree/debian"

echo "build-deb: dpkg-buildpackage -us -uc in $tree"
t0=$(date +%s)
if ! (cd "$tree" && nice dpkg-buildpackage -us -uc -j"$(nproc 2>/dev/null || echo 2)") \
	>"$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log"
	echo "build-deb: dpkg-buildpackage failed (whole log: BUILD_DEB_KEEP=1, $tmp/build.log)" >&2
	exit 1
fi
echo "build-deb: built in $(( $(date +%s) - t0 )) s"
# dpkg-shlibdeps and dpkg-gensymbols have their say in the log
grep -E '^dpkg-(shlibdeps|gensymbols): (warning|error)' "$tmp/build.log" || true

rm -rf "$out"
mkdir -p "$out"
for f in "$tmp"/*.deb "$tmp"/*.dsc "$tmp"/*.changes "$tmp"/*.buildinfo \
	"$tmp"/*.debian.tar.* "$tmp"/*.orig.tar.*; do
	[ -e "$f" ] && cp "$f" "$out/"
done
cp "$tmp/build.log" "$out/build.log"
changes=$(ls "$out"/*.changes)

# lintian: no error; the rest is shown, counted and kept in lintian.txt.
# (--fail-on error: the tags a reviewer must see are errors; warnings we
# accept are listed with their reasons in packaging/debian/README.)
echo "build-deb: lintian $(basename "$changes")"
status=0
lintian --fail-on error --display-info "$changes" >"$out/lintian.txt" 2>&1 || status=$?
cat "$out/lintian.txt"
errors=$(grep -c '^E: ' "$out/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$out/lintian.txt" || true)
infos=$(grep -c '^I: ' "$out/lintian.txt" || true)
echo "build-deb: lintian: $errors errors, $warnings warnings, $infos info"
if [ "$status" -ne 0 ] || [ "$errors" -ne 0 ]; then
	echo "build-deb: lintian reported errors" >&2
	exit 1
fi
ls -1 "$out"/*.deb
echo "build-deb: packages in $out"
