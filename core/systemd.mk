# core/systemd.mk: systemd integration without libsystemd: readiness
# notification (NOTIFY_SOCKET) and socket activation (LISTEN_FDS).
libsuperdcore_la_SOURCES += core/sdnotify.c core/sdnotify.h \
	core/sockact.c core/sockact.h

check_PROGRAMS += tests/unit/test_sdnotify tests/unit/test_sockact
TESTS += tests/unit/test_sdnotify tests/unit/test_sockact
tests_unit_test_sdnotify_SOURCES = tests/unit/test_sdnotify.c
tests_unit_test_sdnotify_CFLAGS = $(unit_cflags)
tests_unit_test_sdnotify_LDADD = $(unit_ldadd)
tests_unit_test_sockact_SOURCES = tests/unit/test_sockact.c
tests_unit_test_sockact_CFLAGS = $(unit_cflags)
tests_unit_test_sockact_LDADD = $(unit_ldadd)

# Integration: readiness and socket activation against the real server.
TESTS += tests/integration/test_systemd.py
EXTRA_DIST += tests/integration/test_systemd.py
