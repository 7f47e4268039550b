#!/bin/sh
# SPDX-License-Identifier: MIT
# smtp_probe.sh - Zabbix external check around check_smtp_probe.
#
# Install it in the ExternalScripts directory of the Zabbix server or proxy
# that polls the host (e.g. /usr/lib/zabbix/externalscripts) and use it
# from an item key; Zabbix passes each key parameter as one argument:
#
#   smtp_probe.sh["-H","{HOST.CONN}","-p","{$SMTP.PROBE.PORT}","--zabbix-opts","{$SMTP.PROBE.OPTIONS}"]
#
# The arguments go to check_smtp_probe unchanged (it judges them), except:
#
#   --zabbix-opts STRING  STRING is split at blanks into more arguments (no
#                         quotes, no globbing; none when it is empty): a
#                         Zabbix macro expands to one key parameter, and
#                         this lets one macro hold several options, e.g.
#                         "-S -D 30,14". A value with blanks belongs in an
#                         --extra-opts ini section.
#   --output FORMAT       taken by this script, the last one counting: "lld"
#                         prints the discovery JSON of -M DOMAIN; any other
#                         value, or none, the check's JSON, so that a Zabbix
#                         item always gets a document it can parse. Spell it
#                         --output: an abbreviation (--out) goes on to the
#                         plugin, where the --output added here, last, wins.
#
# It always exits 0 with the document on stdout: Zabbix stores stdout and
# stderr of an external check and ignores the exit code, and a CRITICAL
# result is a value to store, not an error. When the plugin cannot give JSON
# (bad options, plugin missing), a JSON document in the plugin's own shape
# says UNKNOWN with the plugin's message. Discovery output is passed as it
# is: an error line instead of JSON is then shown as the discovery rule's
# error.
#
# The plugin: /usr/lib/nagios/plugins/check_smtp_probe, or $SMTP_PROBE_PLUGIN.
# Mind Zabbix's Timeout (server/proxy config, 3 s by default): it must be
# longer than the plugin's -t (10 s by default), or the item turns
# unsupported on a slow server instead of reporting the timeout.

plugin=${SMTP_PROBE_PLUGIN:-/usr/lib/nagios/plugins/check_smtp_probe}
mode=json

# q WORD: WORD quoted for eval, so any byte survives the rebuilt list.
q() {
	set -- "$(printf '%s.' "$1" | sed "s/'/'\\\\''/g")"
	printf "'%s'" "${1%.}"
}

# json_str TEXT: TEXT as a JSON string (first line, control bytes dropped).
json_str() {
	printf '"%s"' "$(printf '%s\n' "$1" | head -n 1 | tr '\t' ' ' |
		tr -d '\000-\037\177' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# unknown EXIT TEXT: the plugin's JSON shape for a check that did not run.
unknown() {
	case $1 in
	0) state=OK ;; 1) state=WARNING ;; 2) state=CRITICAL ;; 3) state=UNKNOWN ;;
	*) state=UNKNOWN; set -- 3 "check_smtp_probe ended with status $1: $2" ;;
	esac
	summary=$(printf '%s\n' "$2" | head -n 1 | sed -e 's/^SMTP [A-Z]* - //' -e 's/ | .*//')
	[ -n "$summary" ] || summary="check_smtp_probe printed nothing"
	printf '{"state":"%s","exit_code":%d,"summary":%s,"notes":"","targets":[]}\n' \
		"$state" "$1" "$(json_str "$summary")"
}

args=
output_next=
n=$#
while [ "$n" -gt 0 ]; do
	a=$1
	shift
	n=$((n - 1))
	if [ -n "$output_next" ]; then
		output_next=
		[ "$a" = lld ] && mode=lld || mode=json
		continue
	fi
	case $a in
	--output) output_next=1 ;;
	--output=lld) mode=lld ;;
	--output=*) mode=json ;;
	--zabbix-opts)
		if [ "$n" -gt 0 ]; then
			# The split words go through this loop too (an --output in
			# them counts): put them in front of what is left.
			words=$1
			shift
			n=$((n - 1))
			rest=
			for r in "$@"; do rest="$rest $(q "$r")"; done
			set -f
			# shellcheck disable=SC2086 # splitting is the point
			set -- $words
			set +f
			n=$((n + $#))
			eval "set -- \"\$@\" $rest"
		fi
		;;
	*) args="$args $(q "$a")" ;;
	esac
done
eval "set -- $args"

if [ ! -x "$plugin" ]; then
	msg="smtp_probe.sh: $plugin is not an executable file (set SMTP_PROBE_PLUGIN)"
	if [ "$mode" = lld ]; then printf '%s\n' "$msg"; else unknown 3 "$msg"; fi
	exit 0
fi

out=$("$plugin" "$@" --output "$mode" </dev/null 2>/dev/null)
rc=$?
case $mode:$out in
lld:* | json:'{'*) printf '%s\n' "$out" ;;
*) unknown "$rc" "$out" ;;
esac
exit 0
