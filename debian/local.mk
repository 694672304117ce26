# debian: the Debian packaging and the RPM spec, shipped in the tarball so
# that `dpkg-buildpackage -b` and `rpmbuild -ta superd-VERSION.tar.gz` work
# from it.  tests/packaging.sh builds both (run by CI, not by make check,
# for it takes minutes); tests/package-version.sh checks in make check that
# every version matches configure.ac.
EXTRA_DIST += \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/rules \
	debian/source/format \
	debian/superd.docs \
	debian/superd.dirs \
	debian/clean \
	debian/superd.examples \
	debian/superd.install \
	debian/superd.postrm \
	debian/superd.sysusers \
	debian/superd-dev.examples \
	debian/superd-dev.install \
	superd.spec.in \
	superd.spec

dist_noinst_SCRIPTS += tests/packaging.sh
TESTS += tests/package-version.sh
EXTRA_DIST += tests/package-version.sh

# The spec takes its version from configure.ac (through $(PACKAGE_VERSION))
# and, for its %pre, the account lines of debian/superd.sysusers (comments
# left out); made here rather than by config.status so this fragment is
# self-contained.
superd.spec: superd.spec.in debian/superd.sysusers Makefile
	$(AM_V_GEN)grep -v '^#' $(srcdir)/debian/superd.sysusers >$@.users && \
	sed -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    -e '/^@SUPERD_SYSUSERS[@]$$/{' -e 'r $@.users' -e 'd' -e '}' \
	    $(srcdir)/superd.spec.in >$@.tmp && mv $@.tmp $@ && rm -f $@.users
DISTCLEANFILES += superd.spec
noinst_DATA = superd.spec
