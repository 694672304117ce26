# core/run/: the runtime (loader, host table, loaded configurations, master,
# workers, connections, datagrams, children, daemon mode, readiness
# notification) and its unit tests.
EXTRA_DIST += core/RUNTIME.md
libsuperdcore_la_SOURCES += core/run/loader.c core/run/loader.h \
	core/run/host.c core/run/host.h core/run/runconf.c \
	core/run/conn.c core/run/conn_out.c core/run/conn.h core/run/conn_priv.h \
	core/run/conn_tls.c core/run/conn_relay.c core/run/conn_reflect.c \
	core/run/tls_load.c \
	core/run/refusals.c core/run/refusals.h \
	core/run/dgram.c core/run/dgram.h core/run/proc.c core/run/proc.h \
	core/run/child.c core/run/child_exec.c core/run/child.h \
	core/run/spawn_spec.c core/run/spawn_spec.h \
	core/run/helper.c core/run/helper_client.c core/run/helper.h \
	core/run/helper_files.c \
	core/run/helper_msg.c core/run/helper_msg.h \
	core/run/worker.c core/run/worker.h core/run/master.c core/run/master.h \
	core/run/daemon.c core/run/daemon.h core/run/sdnotify.c core/run/sdnotify.h \
	core/run/watch.c core/run/watch.h \
	core/run/proxy_wait.c core/run/proxy_wait.h \
	core/run/wnote.c core/run/wnote.h \
	core/run/rootcheck.c core/run/rootcheck.h

# Loader tests: tiny modules, good and broken, built as real shared objects.
tmod_ldflags = -module -avoid-version -shared -no-undefined \
	-rpath $(abs_builddir)/tests/unit
check_LTLIBRARIES += tests/unit/tmod_good.la tests/unit/tmod_badmagic.la \
	tests/unit/tmod_abi2.la tests/unit/tmod_newminor.la \
	tests/unit/tmod_nosym.la tests/unit/tmod_tcponly.la tests/unit/tmod_v10.la \
	tests/unit/tmod_v11.la tests/unit/tmod_serve.la tests/unit/tmod_crash.la \
	tests/unit/tmod_upper.la
tests_unit_tmod_good_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_GOOD
tests_unit_tmod_good_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_badmagic_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_badmagic_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_BADMAGIC
tests_unit_tmod_badmagic_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_abi2_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_abi2_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_ABI2
tests_unit_tmod_abi2_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_newminor_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_newminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_NEWMINOR
tests_unit_tmod_newminor_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_nosym_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_nosym_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_NOSYM
tests_unit_tmod_nosym_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_tcponly_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_tcponly_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_TCPONLY
tests_unit_tmod_tcponly_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_v10_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_v10_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_V10
tests_unit_tmod_v10_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_v11_la_SOURCES = tests/unit/tmod.c
tests_unit_tmod_v11_la_CPPFLAGS = $(AM_CPPFLAGS) -DTMOD_V11
tests_unit_tmod_v11_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_serve_la_SOURCES = tests/unit/tmod_serve.c
tests_unit_tmod_serve_la_LDFLAGS = $(tmod_ldflags)
tests_unit_tmod_crash_la_SOURCES = tests/unit/tmod_crash.c
tests_unit_tmod_crash_la_LDFLAGS = $(tmod_ldflags)
# A blocking-style (serve) module for the TLS relay tests: upper case, "bye".
tests_unit_tmod_upper_la_SOURCES = tests/unit/tmod_upper.c
tests_unit_tmod_upper_la_LDFLAGS = $(tmod_ldflags)

check_PROGRAMS += tests/unit/test_loader tests/unit/test_conn tests/unit/test_proc \
	tests/unit/test_sdnotify tests/unit/test_child
TESTS += tests/unit/test_loader tests/unit/test_conn tests/unit/test_proc \
	tests/unit/test_sdnotify tests/unit/test_child
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTMOD_DIR='"$(abs_top_builddir)/tests/unit/.libs"'
tests_unit_test_loader_CFLAGS = $(unit_cflags)
tests_unit_test_loader_LDADD = $(unit_ldadd)
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c
tests_unit_test_conn_CFLAGS = $(unit_cflags)
tests_unit_test_conn_LDADD = $(unit_ldadd)
tests_unit_test_proc_SOURCES = tests/unit/test_proc.c
tests_unit_test_proc_CFLAGS = $(unit_cflags)
tests_unit_test_proc_LDADD = $(unit_ldadd)
tests_unit_test_sdnotify_SOURCES = tests/unit/test_sdnotify.c
tests_unit_test_sdnotify_CFLAGS = $(unit_cflags)
tests_unit_test_sdnotify_LDADD = $(unit_ldadd)
tests_unit_test_child_SOURCES = tests/unit/test_child.c
tests_unit_test_child_CFLAGS = $(unit_cflags)
tests_unit_test_child_LDADD = $(unit_ldadd)

# PROXY protocol against the real server (raw headers, HAProxy in front).
TESTS += tests/integration/test_proxy.py
EXTRA_DIST += tests/integration/test_proxy.py

# Refused TLS handshakes summed up per burst; tls files through the helper.
check_PROGRAMS += tests/unit/test_refusals tests/unit/test_helper_files
TESTS += tests/unit/test_refusals tests/unit/test_helper_files
tests_unit_test_helper_files_SOURCES = tests/unit/test_helper_files.c
tests_unit_test_helper_files_CFLAGS = $(unit_cflags)
tests_unit_test_helper_files_LDADD = $(unit_ldadd)
tests_unit_test_refusals_SOURCES = tests/unit/test_refusals.c
tests_unit_test_refusals_CFLAGS = $(unit_cflags)
tests_unit_test_refusals_LDADD = $(unit_ldadd)
