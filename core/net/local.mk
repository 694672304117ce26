# core/net/: addresses (parsing, resolving, overlap checks), listening
# sockets shared across reloads, and systemd socket activation (LISTEN_FDS),
# with their unit and integration tests.
libsuperdcore_la_SOURCES += core/net/addr.c core/net/addr_unique.c \
	core/net/listener.c core/net/listener.h core/net/sockact.c core/net/sockact.h \
	core/net/portcheck.c core/net/portcheck.h

check_PROGRAMS += tests/unit/test_addr tests/unit/test_listener tests/unit/test_sockact
TESTS += tests/unit/test_addr tests/unit/test_listener tests/unit/test_sockact
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_CFLAGS = $(unit_cflags)
tests_unit_test_addr_LDADD = $(unit_ldadd)
tests_unit_test_listener_SOURCES = tests/unit/test_listener.c
tests_unit_test_listener_CFLAGS = $(unit_cflags)
tests_unit_test_listener_LDADD = $(unit_ldadd)
tests_unit_test_sockact_SOURCES = tests/unit/test_sockact.c
tests_unit_test_sockact_CFLAGS = $(unit_cflags)
tests_unit_test_sockact_LDADD = $(unit_ldadd)

# Integration: readiness and socket activation against the real server.
TESTS += tests/integration/test_systemd.py
EXTRA_DIST += tests/integration/test_systemd.py
