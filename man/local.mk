# man: the manual pages.  Each is written as NAME.in with @VARIABLE@s for the
# version and the installed paths, substituted at build time so the pages name
# the paths this build installs to.
superd_man_pages = man/superd.8 man/superd.yaml.5 man/superd-module.3 \
	man/superd-client.1 man/superd-convert.1
man_MANS += $(superd_man_pages)
EXTRA_DIST += $(superd_man_pages:=.in)
CLEANFILES += $(superd_man_pages)

man_edit = sed \
	-e 's|@VERSION[@]|$(VERSION)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@pkglibdir[@]|$(pkglibdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@includedir[@]|$(includedir)|g' \
	-e 's|@systemdunitdir[@]|$(systemdunitdir)|g'

man_generate = $(AM_V_GEN)$(MKDIR_P) man && \
	$(man_edit) $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@

man/superd.8: man/superd.8.in Makefile
	$(man_generate)
man/superd.yaml.5: man/superd.yaml.5.in Makefile
	$(man_generate)
man/superd-module.3: man/superd-module.3.in Makefile
	$(man_generate)
man/superd-client.1: man/superd-client.1.in Makefile
	$(man_generate)
man/superd-convert.1: man/superd-convert.1.in Makefile
	$(man_generate)

# Every page renders without a warning (groff -ww, mandoc -T lint).
TESTS += tests/man-lint.sh
EXTRA_DIST += tests/man-lint.sh

# The documentation matches the code: example configurations pass
# `superd -t`, every configuration key and every superd flag is documented.
TESTS += tests/integration/test_docs.py
EXTRA_DIST += tests/integration/test_docs.py
