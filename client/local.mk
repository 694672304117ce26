# client: superd-client, the checking client for the classic services.
bin_PROGRAMS += superd-client
superd_client_SOURCES = client/superd-client.c client/client.h \
	client/net.c client/checks.c client/udp.c client/pattern.c client/metrics.c

# Unit test of the pattern and time helpers (pure functions).
check_PROGRAMS += tests/unit/test_client_pattern
TESTS += tests/unit/test_client_pattern
tests_unit_test_client_pattern_SOURCES = tests/unit/test_client_pattern.c \
	client/pattern.c client/client.h
tests_unit_test_client_pattern_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
tests_unit_test_client_pattern_CFLAGS = $(unit_cflags)
tests_unit_test_client_pattern_LDADD = $(CHECK_LIBS)

# Integration test: the client against tiny Python servers (no superd).
TESTS += tests/integration/test_client.py
EXTRA_DIST += tests/integration/test_client.py
