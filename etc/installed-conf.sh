#!/bin/sh
# installed-conf.sh SRC SITE [USER] - print etc/superd.yaml as installed:
# the web site's `root: ../site` (relative to etc/ in the source tree)
# becomes SITE, and with USER (configure --with-user, the Debian package's
# `superd`) the commented `#user:` line of global: becomes `user: USER`.
# Used by etc/local.mk and by the tests of the shipped configuration.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 SRC SITE [USER]" >&2; exit 2; }
src=$1 site=$2 user=${3:-}
case $user in
*[!A-Za-z0-9_.-]* | -*) echo "$0: bad account name '$user'" >&2; exit 2 ;;
esac
if [ -n "$user" ]; then
	grep -q '^  #user: ' "$src" || { echo "$0: $src has no '  #user:' line" >&2; exit 1; }
	set -- -e "s|^  #user: [^ ]*\\( *\\)|  user: $user\\1|"
else
	set --
fi
sed -e "s|^\\([ 	]*root:[ 	]*\\)\\.\\./site\\b|\\1$site|" "$@" "$src"
