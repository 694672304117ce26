# etc: the default configuration and the systemd units.
#
# The default configuration is installed as $(sysconfdir)/superd/superd.yaml,
# with the web site's `root: ../site` (relative to etc/ in the source tree)
# rewritten to the installed site, $(pkgdatadir)/site, and, with
# `configure --with-user=NAME`, its `#user:` line made `user: NAME`
# (etc/installed-conf.sh).  The systemd unit goes
# to $(systemdunitdir), by default $(prefix)/lib/systemd/system: inside the
# prefix (so `make distcheck` and DESTDIR staging work) and a directory
# systemd searches for /usr and /usr/local alike.  Packagers override it:
# `make install systemdunitdir=/lib/systemd/system`.
superdconfdir = $(sysconfdir)/superd
superdconf_DATA = etc/installed/superd.yaml

systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/superd.service

etc_edit = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g'

etc/installed/superd.yaml: etc/superd.yaml etc/installed-conf.sh Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/installed && \
	$(SHELL) $(srcdir)/etc/installed-conf.sh $(srcdir)/etc/superd.yaml \
	    '$(pkgdatadir)/site' '$(SUPERD_USER)' >$@.tmp && mv $@.tmp $@

etc/superd.service: etc/superd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && \
	$(etc_edit) $(srcdir)/etc/superd.service.in >$@.tmp && mv $@.tmp $@

CLEANFILES += etc/installed/superd.yaml etc/superd.service
EXTRA_DIST += etc/superd.yaml etc/superd.service.in etc/superd.socket \
	etc/superd.logrotate etc/installed-conf.sh

# The default configuration includes conf.d/*.yaml: the directory is made,
# empty, so an admin (or superd-convert's output) drops files into it.
install-data-local: install-superd-confd
install-superd-confd:
	$(MKDIR_P) "$(DESTDIR)$(superdconfdir)/conf.d"
.PHONY: install-superd-confd

# The logrotate file (packages install it as /etc/logrotate.d/superd):
# rotate, SIGUSR1, and superd writes to the new files.
TESTS += tests/integration/test_logrotate.py
EXTRA_DIST += tests/integration/test_logrotate.py

# The installed configuration must name the installed site, and the unit the
# installed binary and file.
TESTS += tests/etc-install.sh
EXTRA_DIST += tests/etc-install.sh

# The configuration packages ship: loopback only, the account given to
# configure --with-user (the Debian package's `superd`, from its sysusers
# file) or, from source, none (superd -t warns as root).
TESTS += tests/integration/test_shipped_config.py
EXTRA_DIST += tests/integration/test_shipped_config.py
