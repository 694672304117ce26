#!/bin/sh
# man-lint.sh - every manual page renders without a warning: groff -ww -z
# and, where installed, mandoc -T lint.  Also: no @VARIABLE@ was left.
set -u
b=${top_builddir:-.}
status=0
pages="superd.8 superd.yaml.5 superd-module.3 superd-client.1 superd-convert.1"

if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff is not installed"
	exit 77
fi
for p in $pages; do
	f=$b/man/$p
	if [ ! -r "$f" ]; then
		echo "FAIL $p: $f was not built"
		status=1
		continue
	fi
	out=$(LC_ALL=C.UTF-8 groff -ww -z -man "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL $p: groff -ww -z -man:"
		echo "$out"
		status=1
	fi
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -T lint "$f" 2>&1)
		if [ -n "$out" ]; then
			echo "FAIL $p: mandoc -T lint:"
			echo "$out"
			status=1
		fi
	fi
	if grep -n '@[A-Za-z_]*@' "$f"; then
		echo "FAIL $p: an @VARIABLE@ was not substituted"
		status=1
	fi
	[ $status -eq 0 ] && echo "PASS $p"
done

# The C examples of superd-module(3) compile against the tree's header.
cc=${CC:-cc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
awk -v dir="$tmp" '
	/^\.EX/ { n++; body = ""; inside = 1; next }
	/^\.EE/ { inside = 0; if (body ~ /superd_module =/) print body > (dir "/ex" n ".c"); next }
	inside { gsub(/\\-/, "-"); gsub(/\\e/, "\\"); body = body $0 "\n" }
' "$b/man/superd-module.3"
count=0
for c in "$tmp"/ex*.c; do
	[ -r "$c" ] || continue
	count=$((count + 1))
	if ! $cc -Wall -Wextra -Wno-unused-parameter -Werror -fsyntax-only \
		-I"${top_srcdir:-.}/include" "$c"; then
		echo "FAIL superd-module.3: example $count does not compile"
		status=1
	fi
done
if [ $count -lt 2 ]; then
	echo "FAIL superd-module.3: expected 2 C examples, found $count"
	status=1
fi
[ $status -eq 0 ] && echo "PASS superd-module.3 examples ($count)"
exit $status
