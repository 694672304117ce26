# core/guard/: access controls (allow/deny, limits, rates, the UDP
# reflection guard) and privileges (dropping root, RLIMIT_NOFILE), with
# their unit and integration tests.
libsuperdcore_la_SOURCES += core/guard/access.c core/guard/access_dgram.c core/guard/access_shared.c \
	core/guard/access_sem.c \
	core/guard/access_priv.h core/guard/access.h core/guard/privs.c \
	core/guard/counters.c core/guard/counters_report.c core/guard/counters.h \
	core/guard/counters_priv.h \
	core/guard/privs_ids.c core/guard/privs.h \
	core/guard/landlock.c core/guard/landlock.h core/guard/syscalls.c \
	core/guard/syscalls.h core/guard/sandbox.c core/guard/sandbox.h

check_PROGRAMS += tests/unit/test_access tests/unit/test_privs
TESTS += tests/unit/test_access tests/unit/test_privs
tests_unit_test_access_SOURCES = tests/unit/test_access.c
tests_unit_test_access_CFLAGS = $(unit_cflags)
tests_unit_test_access_LDADD = $(unit_ldadd)
tests_unit_test_privs_SOURCES = tests/unit/test_privs.c
tests_unit_test_privs_CFLAGS = $(unit_cflags)
tests_unit_test_privs_LDADD = $(unit_ldadd)

controls_integration_tests = tests/integration/test_controls.py \
	tests/integration/test_controls_privs.py
TESTS += $(controls_integration_tests)
EXTRA_DIST += $(controls_integration_tests)

# Integration: UDP datagram lines and summaries, refusal wording.
TESTS += tests/integration/test_udp_logs.py
EXTRA_DIST += tests/integration/test_udp_logs.py
# The sandbox: per-service limits and Landlock paths for children.
sandbox_integration_tests = tests/integration/test_sandbox.py
TESTS += $(sandbox_integration_tests)
EXTRA_DIST += $(sandbox_integration_tests)

# The per-service counters behind the metrics module.
check_PROGRAMS += tests/unit/test_counters
TESTS += tests/unit/test_counters
tests_unit_test_counters_SOURCES = tests/unit/test_counters.c
tests_unit_test_counters_CFLAGS = $(unit_cflags)
tests_unit_test_counters_LDADD = $(unit_ldadd)
# A module that tries, in a worker, what the sandbox forbids.
check_LTLIBRARIES += tests/unit/tmod_probe.la
tests_unit_tmod_probe_la_SOURCES = tests/unit/tmod_probe.c
tests_unit_tmod_probe_la_CPPFLAGS = $(module_cppflags)
tests_unit_tmod_probe_la_LDFLAGS = $(tmod_ldflags)

# The shipped systemd unit's hardening, rated by systemd-analyze.
TESTS += tests/integration/test_unit_hardening.py
EXTRA_DIST += tests/integration/test_unit_hardening.py
# The spawn helper: declared programs only, restarted when killed,
# orphans reaped, wait-style programs as their own user.
TESTS += tests/integration/test_helper.py
EXTRA_DIST += tests/integration/test_helper.py
