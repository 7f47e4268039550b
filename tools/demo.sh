#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh - see check_smtp_probe work at once: installs what it needs,
# builds, starts a private Postfix on 127.0.0.1 (its own configuration in a
# temporary directory; the system's mail setup is not touched), runs a few
# checks against it and stops it again. Run as root.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
cd "$(dirname "$0")/.."

sh tools/install-deps.sh >/dev/null
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
[ -f Makefile ] || ./configure >/dev/null
make -j"$(nproc)" >/dev/null

export PLUGIN=$PWD/plugin/check_smtp_probe TESTS_SRCDIR=$PWD/tests
# shellcheck source=../tests/lib/common.sh
. tests/lib/common.sh
# shellcheck source=../tests/lib/postfix.sh
. tests/lib/postfix.sh
t_init
pf_can_run || { echo "demo: $PF_WHY" >&2; exit 1; }
pf_start || { echo "demo: could not start the private Postfix" >&2; exit 1; }

show() {
	printf '\n$ check_smtp_probe %s\n' "$*"
	set +e
	"$PLUGIN" "$@"
	printf '(exit %d)\n' $?
	set -e
}

echo "A private Postfix listens on 127.0.0.1:$PF_PORT (mailboxes: alice@example.test)."
show -H 127.0.0.1 -p "$PF_PORT"
show -H 127.0.0.1 -p "$PF_PORT" -f probe@example.test --rcpt alice@example.test -w 1 -c 5
show -H 127.0.0.1 -p "$PF_PORT" -f probe@example.test --rcpt nobody@example.test
show -H 127.0.0.1 -p "$PF_PORT" -f probe@example.test --rcpt grey@example.test
show -H 127.0.0.1 -p "$PF_PORT" -f probe@example.test --rcpt someone@example.net --expect-reply rcpt=5
show -H 127.0.0.1 -p "$PF_PORT" -f probe@example.test --rcpt alice@example.test --data --subject "smtp-probe demo" -v
show -H 127.0.0.1 -p 1
