#!/bin/sh
# packaging.sh [BUILDDIR] - build the Debian and RPM packages from the
# release tarball, as a distribution would, and check what they hold.
#
#   1. `make dist` in BUILDDIR (a configured build tree; default _build/check)
#   2. .deb: unpack the tarball, `dpkg-buildpackage -us -uc -b`, then
#      lintian, which must report no error, and a look at the contents.
#      debian/rules runs the suite once (epoll backend, Debian's multiarch
#      libdir and hardening flags) unless DEB_BUILD_OPTIONS has nocheck;
#      this script passes nocheck, because CI has run the suite four times
#      already (every backend with -Werror and under ASan, epoll without
#      OpenSSL, and distcheck's from the same tarball), and the stage took
#      half of its five minutes.  PKG_CHECK=1 runs it here too.
#   3. .rpm: `rpmbuild -ta` on the tarball itself, with --nodeps: rpm is a
#      guest on Debian, its database is empty, so BuildRequires (gcc,
#      pkgconfig(yaml-0.1), ...) can never be satisfied from it; the Debian
#      packages provide them.  --without check for the same reason as above.
#      Then its contents, and its %pre (the superd account, as the .deb's
#      postinst makes it) run in a throwaway root.
#
# Run by CI (bootstrap.sh test), not by make check: it takes minutes.
# Everything happens in a temporary directory, removed at the end unless
# KEEP=1.  Exit 0 when both packages build and pass their checks.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/_build/check}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/superd-pkg.XXXXXX")
# The package's tests run some checks as an unprivileged user (setpriv):
# it must reach the build tree's modules.
chmod 755 "$work"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
step() { echo "== packaging: $*"; }
die() { echo "packaging: FAIL: $*" >&2; exit 1; }

# has_entry LISTING PATTERN: the package listing has a path matching PATTERN.
has_entry() {
	grep -Eq "$2" "$1" || die "$(basename "$1"): nothing matches $2"
}

# safe_config FILE: a packaged superd.yaml drops to superd, listens on
# loopback only.
safe_config() {
	grep -Eq '^  user: superd( |$)' "$1" ||
		die "the packaged superd.yaml does not drop to user superd"
	grep -E '^[[:space:]]*listen:' "$1" >"$work/listen" ||
		die "the packaged superd.yaml has no listen:"
	grep -Ev 'listen:[[:space:]]*"(127\.0\.0\.1|\[::1\]):[0-9]+"' "$work/listen" &&
		die "the packaged superd.yaml listens beyond loopback"
	return 0
}

# check_in_root ROOT: ROOT holds an unpacked package whose account was
# made in ROOT/etc; with the libraries its binary and modules load copied
# in, `superd -t` of its configuration, chrooted, says ok and warns of
# nothing run as root.
check_in_root() {
	find "$1/usr" -type f \( -path '*/sbin/superd' -o -path '*/superd/*.so' \) |
		while read -r f; do
			ldd "$f" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^[[:space:]]*\(/[^ ]*\) .*|\1|p'
		done | sort -u | while read -r lib; do
			mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib"
		done
	chroot "$1" /usr/sbin/superd -t -f /etc/superd/superd.yaml >"$work/t.out" 2>&1 ||
		{ cat "$work/t.out"; die "superd -t on the packaged configuration, in $1"; }
	grep -qx '/etc/superd/superd.yaml: ok' "$work/t.out" || { cat "$work/t.out"; die "-t: no ok"; }
	grep -q 'as root' "$work/t.out" && { cat "$work/t.out"; die "-t: something runs as root"; }
	# The TLS layer is found where the package put it: -t gets as far as
	# the certificate files.
	printf 'services:\n  s:\n    module: echo\n    listen: "127.0.0.1:7"\n    tls: {cert: /no-such.pem, key: /no-such.key}\n' \
		>"$1/tls-probe.yaml"
	chroot "$1" /usr/sbin/superd -t -f /tls-probe.yaml >"$work/tls.out" 2>&1 || true
	grep -q 'cannot read /no-such\.pem' "$work/tls.out" ||
		{ cat "$work/tls.out"; die "-t: the packaged TLS layer (tls-openssl.so) is not found"; }
	rm -f "$1/tls-probe.yaml"
	return 0
}

step "make dist"
make -C "$build" dist >"$work/dist.log" 2>&1 || { tail -40 "$work/dist.log"; die "make dist"; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$build/Makefile")
tarball=$build/superd-$version.tar.gz
[ -r "$tarball" ] || die "no $tarball"
deb_version=$(sed -n '1s/^superd (\([^)]*\)).*/\1/p' "$top/debian/changelog")
[ "${deb_version%-*}" = "$version" ] ||
	die "debian/changelog is at $deb_version, configure.ac at $version"

step "dpkg-buildpackage -us -uc -b (superd $deb_version)"
mkdir "$work/deb"
cp "$tarball" "$work/deb/superd_$version.orig.tar.gz"
tar -C "$work/deb" -xzf "$tarball"
(
	cd "$work/deb/superd-$version"
	opts="parallel=2"
	[ "${PKG_CHECK:-0}" = 1 ] || opts="$opts nocheck"
	DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b
) >"$work/deb.log" 2>&1 || { tail -60 "$work/deb.log"; die "dpkg-buildpackage"; }
arch=$(dpkg --print-architecture)
changes=$work/deb/superd_${deb_version}_$arch.changes
[ -r "$changes" ] || die "no $changes"

step "lintian (errors fail)"
lintian --fail-on error --no-tag-display-limit "$changes" | tee "$work/lintian.log" ||
	die "lintian reports errors"

step "contents of the .deb files"
dpkg-deb -c "$work/deb/superd_${deb_version}_$arch.deb" >"$work/superd.list"
dpkg-deb -c "$work/deb/superd-dev_${deb_version}_$arch.deb" >"$work/superd-dev.list"
has_entry "$work/superd.list" '\./usr/sbin/superd$'
has_entry "$work/superd.list" '\./usr/bin/superd-client$'
has_entry "$work/superd.list" '\./usr/bin/superd-convert$'
has_entry "$work/superd.list" '\./usr/share/man/man1/superd-convert\.1\.gz$'
for m in echo discard chargen daytime time http exec tls-openssl; do
	has_entry "$work/superd.list" "\./usr/lib/[^ ]*/superd/$m\.so$"
done
has_entry "$work/superd.list" '\./etc/superd/superd\.yaml$'
has_entry "$work/superd.list" '\./etc/superd/conf\.d/$'
has_entry "$work/superd.list" '\./etc/logrotate\.d/superd$'
has_entry "$work/superd.list" '\./lib/systemd/system/superd\.service$'
has_entry "$work/superd.list" '\./usr/share/man/man8/superd\.8\.gz$'
has_entry "$work/superd.list" '\./usr/share/man/man5/superd\.yaml\.5\.gz$'
has_entry "$work/superd.list" '\./usr/share/man/man1/superd-client\.1\.gz$'
has_entry "$work/superd-dev.list" '\./usr/include/superd/module\.h$'
has_entry "$work/superd-dev.list" '\./usr/lib/[^ ]*/pkgconfig/superd\.pc$'
has_entry "$work/superd-dev.list" '\./usr/share/man/man3/superd-module\.3\.gz$'
dpkg-deb -I "$work/deb/superd_${deb_version}_$arch.deb" conffiles >"$work/conffiles"
grep -qx /etc/superd/superd.yaml "$work/conffiles" || die "superd.yaml is not a conffile"
grep -qx /etc/logrotate.d/superd "$work/conffiles" || die "the logrotate file is not a conffile"
grep -q 'dh_auto_test\|make.*check' "$work/deb.log" || die "the .deb was built without its tests"
dpkg-deb -I "$work/deb/superd_${deb_version}_$arch.deb" postinst | grep -q 'superd\.service' ||
	die "postinst does not enable superd.service (dh_installsystemd)"
# The unit names the packaged paths.
dpkg-deb --fsys-tarfile "$work/deb/superd_${deb_version}_$arch.deb" |
	tar -xO ./lib/systemd/system/superd.service >"$work/superd.service"
grep -qx 'ExecStart=/usr/sbin/superd -f /etc/superd/superd.yaml' "$work/superd.service" ||
	die "the packaged unit does not run /usr/sbin/superd -f /etc/superd/superd.yaml"
# The packaged configuration names the packaged site.
dpkg-deb --fsys-tarfile "$work/deb/superd_${deb_version}_$arch.deb" |
	tar -xO ./etc/superd/superd.yaml >"$work/superd.yaml"
grep -q 'root: /usr/share/superd/site' "$work/superd.yaml" ||
	die "the packaged superd.yaml does not serve /usr/share/superd/site"
grep -q 'include: \["conf\.d/\*\.yaml"\]' "$work/superd.yaml" ||
	die "the packaged superd.yaml does not include conf.d/*.yaml"

step "safe defaults: the superd account, loopback only, superd -t in a throwaway root"
deb=$work/deb/superd_${deb_version}_$arch.deb
has_entry "$work/superd.list" '\./usr/lib/sysusers\.d/superd\.conf$'
dpkg-deb -I "$deb" postinst | grep -q 'systemd-sysusers .*superd\.conf' ||
	die "postinst does not make the superd account (systemd-sysusers superd.conf)"
dpkg-deb -f "$deb" Depends | grep -q 'systemd-sysusers' ||
	die "Depends does not name a systemd-sysusers provider"
dpkg-deb -I "$deb" postrm | grep -v '^[[:space:]]*#' | grep -Eq 'deluser|userdel' &&
	die "postrm removes the account (Debian leaves system accounts in place)"
safe_config "$work/superd.yaml"
root=$work/root
dpkg-deb -x "$deb" "$root"
mkdir -p "$root/etc"
cp /etc/passwd /etc/group "$root/etc/"
# What postinst does (systemd-sysusers superd.conf), on install and upgrade.
systemd-sysusers --root="$root" superd.conf && systemd-sysusers --root="$root" superd.conf ||
	die "systemd-sysusers --root with the packaged superd.conf"
[ "$(grep -c '^superd:' "$root/etc/passwd")" = 1 ] || die "no single superd account made"
check_in_root "$root"

step "the packaged example module builds against superd-dev only"
dpkg-deb -x "$work/deb/superd-dev_${deb_version}_$arch.deb" "$work/devroot"
pcdir=$(dirname "$(find "$work/devroot" -name superd.pc | head -1)")
cp -r "$work/devroot/usr/share/doc/superd-dev/examples/hello" "$work/hello"
find "$work/hello" -name '*.gz' -exec gunzip {} +
PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$work/devroot \
	make -C "$work/hello" CFLAGS="-O2 -Wall -Wextra -Werror" >"$work/hello.log" 2>&1 ||
	{ cat "$work/hello.log"; die "examples/hello does not build against superd-dev"; }
PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$work/devroot pkg-config --cflags superd |
	grep -q -- "-I$work/devroot/usr/include" ||
	die "pkg-config --cflags superd does not name the packaged header"
case $(PKG_CONFIG_LIBDIR=$pcdir pkg-config --variable=moduledir superd) in
/usr/lib/*/superd) ;;
*) die "superd.pc's moduledir is not the packaged module directory" ;;
esac

step "rpmbuild -ta --nodeps --without check"
mkdir -p "$work/rpm"
rpmbuild -ta --nodeps --without check \
	--define "_topdir $work/rpm" \
	--define "_tmppath $work/rpm/tmp" \
	"$tarball" >"$work/rpm.log" 2>&1 || { tail -60 "$work/rpm.log"; die "rpmbuild"; }
rpm_main=$(find "$work/rpm/RPMS" -name "superd-$version-*.rpm" ! -name '*devel*' | head -1)
rpm_devel=$(find "$work/rpm/RPMS" -name "superd-devel-$version-*.rpm" | head -1)
[ -n "$rpm_main" ] && [ -n "$rpm_devel" ] || die "rpmbuild made no superd/superd-devel rpm"
rpm -qlp "$rpm_main" >"$work/rpm.list" 2>/dev/null
rpm -qlp "$rpm_devel" >"$work/rpm-devel.list" 2>/dev/null
has_entry "$work/rpm.list" '^/usr/sbin/superd$'
has_entry "$work/rpm.list" '/superd/echo\.so$'
has_entry "$work/rpm.list" '/superd/tls-openssl\.so$'
has_entry "$work/rpm.list" '^/usr/lib/systemd/system/superd\.service$'
has_entry "$work/rpm.list" '^/etc/superd/superd\.yaml$'
has_entry "$work/rpm.list" '^/etc/superd/conf\.d$'
has_entry "$work/rpm.list" '^/etc/logrotate\.d/superd$'
has_entry "$work/rpm-devel.list" '^/usr/include/superd/module\.h$'
has_entry "$work/rpm-devel.list" '/pkgconfig/superd\.pc$'
rpm -qcp "$rpm_main" 2>/dev/null | grep -qx /etc/superd/superd.yaml ||
	die "superd.yaml is not %config in the rpm"

step "the rpm's safe defaults: the superd account made by %pre, superd -t in a throwaway root"
has_entry "$work/rpm.list" '^/usr/lib/sysusers\.d/superd\.conf$'
rpm -qp --scripts "$rpm_main" >"$work/rpm.scripts" 2>/dev/null
rpm -qp --qf '%{PREIN}\n' "$rpm_main" >"$work/rpm-pre.sh" 2>/dev/null
grep -q '^systemd-sysusers --replace=/usr/lib/sysusers\.d/superd\.conf -' "$work/rpm-pre.sh" ||
	{ cat "$work/rpm.scripts"; die "%pre does not make the superd account (systemd-sysusers)"; }
rpm -qp --requires "$rpm_main" 2>/dev/null | grep -qx '/usr/bin/systemd-sysusers' ||
	die "the rpm does not require systemd-sysusers"
grep -v '^[[:space:]]*#' "$work/rpm.scripts" | grep -Eq 'deluser|userdel' &&
	die "an rpm scriptlet removes the account (left in place, as Fedora does)"
rroot=$work/rpmroot
mkdir -p "$rroot"
rpm2archive - <"$rpm_main" | tar -C "$rroot" -xzf - || die "rpm2archive: cannot unpack the rpm"
safe_config "$rroot/etc/superd/superd.yaml"
# %pre's lines are the packaged sysusers file's, so the two cannot differ.
sed -n "/<<'SUPERD_SYSUSERS_EOF'\$/,/^SUPERD_SYSUSERS_EOF\$/p" "$work/rpm-pre.sh" |
	sed '1d;$d' >"$work/rpm-pre.users"
grep -v '^#' "$rroot/usr/lib/sysusers.d/superd.conf" | cmp -s - "$work/rpm-pre.users" ||
	die "%pre's account lines differ from /usr/lib/sysusers.d/superd.conf"
# %pre itself, on install and upgrade, with systemd-sysusers pointed at the root.
mkdir -p "$rroot/etc" "$work/shim"
cp /etc/passwd /etc/group "$rroot/etc/"
printf '#!/bin/sh\nexec %s --root="%s" "$@"\n' "$(command -v systemd-sysusers)" "$rroot" \
	>"$work/shim/systemd-sysusers"
chmod 755 "$work/shim/systemd-sysusers"
for run in install upgrade; do
	PATH=$work/shim:$PATH sh -e "$work/rpm-pre.sh" || die "the rpm's %pre ($run) fails"
done
[ "$(grep -c '^superd:' "$rroot/etc/passwd")" = 1 ] || die "the rpm's %pre made no single superd account"
check_in_root "$rroot"

step "ok: $(basename "$changes"), $(basename "$rpm_main"), $(basename "$rpm_devel")"
