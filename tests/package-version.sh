#!/bin/sh
# package-version.sh - the version comes from one place, configure.ac's
# AC_INIT: debian/changelog's upstream version, the RPM spec and superd.pc
# must all say the same.
set -u
src=${top_srcdir:-.}
b=${top_builddir:-.}
fail() { echo "FAIL: $*"; exit 1; }

want=$(sed -n 's/^AC_INIT(\[superd\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
[ -n "$want" ] || fail "no version in configure.ac's AC_INIT"

deb=$(sed -n '1s/^superd (\([^)]*\)).*/\1/p' "$src/debian/changelog")
[ "${deb%-*}" = "$want" ] ||
	fail "debian/changelog says $deb, configure.ac says $want"

if [ -r "$b/superd.spec" ]; then
	spec=$(sed -n 's/^Version: *//p' "$b/superd.spec")
	[ "$spec" = "$want" ] || fail "superd.spec says $spec, configure.ac says $want"
else
	fail "superd.spec was not generated"
fi
pc=$(sed -n 's/^Version: *//p' "$b/superd.pc")
[ "$pc" = "$want" ] || fail "superd.pc says $pc, configure.ac says $want"
echo "PASS package versions: $want"
