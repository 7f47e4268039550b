#!/bin/bash
# vs_check_smtp.sh - wall time and peak RSS of check_smtp_probe next to
# Debian's check_smtp, both against the same private Postfix on loopback.
# Prints medians (with min and max) of RUNS runs of each, interleaved so
# that drift on the machine hits both alike.
#
#   PLUGIN=plugin/check_smtp_probe RUNS=31 bash tests/bench/vs_check_smtp.sh
set -eu
: "${PLUGIN:=$PWD/plugin/check_smtp_probe}"
: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
RUNS=${RUNS:-31}
CHECK_SMTP=${CHECK_SMTP:-/usr/lib/nagios/plugins/check_smtp}
export PLUGIN TESTS_SRCDIR

. "$TESTS_SRCDIR/lib/common.sh"
. "$TESTS_SRCDIR/lib/postfix.sh"
t_init
pf_can_run || { echo "bench: $PF_WHY" >&2; exit 1; }
pf_start || { echo "bench: could not start Postfix" >&2; exit 1; }
[ -x "$CHECK_SMTP" ] || { echo "bench: $CHECK_SMTP missing (monitoring-plugins-standard)" >&2; exit 1; }

# The plugin binary itself, not libtool's wrapper script.
bin=$PLUGIN
libs=$(dirname "$PLUGIN")/.libs
if [ -x "$libs/$(basename "$PLUGIN")" ]; then
	bin=$libs/$(basename "$PLUGIN")
	LD_LIBRARY_PATH=$(cd "$(dirname "$PLUGIN")/../lib/.libs" && pwd)
	export LD_LIBRARY_PATH
fi

c="-H 127.0.0.1 -p $PF_PORT"
r="-f probe@example.test"
/usr/bin/python3 "$TESTS_SRCDIR/bench/runmany.py" "$RUNS" \
	"check_smtp_probe: banner EHLO QUIT=$bin $c" \
	"check_smtp: banner EHLO QUIT=$CHECK_SMTP $c" \
	"check_smtp_probe: + MAIL RCPT RSET=$bin $c $r --rcpt alice@example.test" \
	"check_smtp: + MAIL RCPT (-C/-R)=$CHECK_SMTP $c $r -C 'RCPT TO:<alice@example.test>' -R 250"
