# core: the superd binary and the core library it (and the unit tests) link.
# Each part of the core keeps its sources and unit tests in its own fragment.
noinst_LTLIBRARIES += libsuperdcore.la
libsuperdcore_la_SOURCES = include/superd/module.h core/config/conftree.h \
	core/config/diag.h core/config/conf.h core/net/addr.h core/loop/loop.h core/loop/log.h \
	core/config/options.h core/run/runconf.h
libsuperdcore_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SECCOMP_CFLAGS)
libsuperdcore_la_LIBADD = $(YAML_LIBS) $(SECCOMP_LIBS)

sbin_PROGRAMS += superd
superd_SOURCES = core/main.c
superd_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
superd_LDADD = libsuperdcore.la $(YAML_LIBS)

# Unit tests link the core library and Check.
unit_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) $(YAML_CFLAGS)
unit_ldadd = libsuperdcore.la $(CHECK_LIBS) $(YAML_LIBS)

include core/config/local.mk
include core/loop/local.mk
include core/net/local.mk
include core/run/local.mk
include core/guard/local.mk
