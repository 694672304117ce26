#!/bin/sh
# etc-install.sh - the files `make install` puts under etc/ and the systemd
# directory name installed paths, not source-tree ones.
set -u
b=${top_builddir:-.}
conf=$b/etc/installed/superd.yaml
unit=$b/etc/superd.service
fail() { echo "FAIL: $*"; exit 1; }

[ -r "$conf" ] || fail "$conf not built"
[ -r "$unit" ] || fail "$unit not built"

# The web root is rewritten to the installed site; nothing else changes.
grep -q '\.\./site' "$conf" && fail "$conf still names ../site"
grep -Eq '^[[:space:]]*root:[[:space:]]*/[^[:space:]]*/site([[:space:]]|$)' "$conf" ||
	fail "$conf: no absolute root: .../site"
[ "$(grep -vc 'root:' "$conf")" = "$(grep -vc 'root:' "${top_srcdir:-.}/etc/superd.yaml")" ] ||
	fail "$conf differs from etc/superd.yaml beyond root:"

# The unit: every @variable@ substituted, the documented commands present.
grep -qE '@[A-Za-z_]+@' "$unit" && fail "$unit has an unsubstituted @variable@"
grep -Eq '^Type=notify$' "$unit" || fail "$unit: not Type=notify"
grep -Eq '^ExecStart=/[^ ]*/superd -f /[^ ]*/superd/superd\.yaml$' "$unit" ||
	fail "$unit: ExecStart is not 'superd -f .../superd/superd.yaml'"
grep -Eq '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" ||
	fail "$unit: ExecReload does not send SIGHUP"

# systemd's own checker, where it runs (it wants the binary to exist: point
# ExecStart at the built one).
if command -v systemd-analyze >/dev/null 2>&1 && [ -n "${SUPERD_BIN:-}" ]; then
	tmp=$(mktemp -d) || fail mktemp
	trap 'rm -rf "$tmp"' EXIT
	sed -e "s|=/[^ ]*/superd |=$SUPERD_BIN |" "$unit" >"$tmp/superd.service"
	out=$(systemd-analyze verify "$tmp/superd.service" 2>&1 |
		grep -v "Command 'man ")  # the man pages are not installed yet
	if echo "$out" | grep -Eqi 'Failed to (connect|initialize|setup)|not been booted'; then
		echo "note: systemd-analyze cannot run here: $out"
	elif [ -n "$out" ]; then
		fail "systemd-analyze verify: $out"
	fi
fi
echo "PASS etc-install"
