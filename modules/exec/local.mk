# modules/exec: the exec module (inetd-style programs), its unit suite
# against the fake host, and its integration tests.
pkglib_LTLIBRARIES += exec.la
exec_la_SOURCES = modules/exec/exec.c modules/exec/spawn.c modules/exec/exec.h
exec_la_CPPFLAGS = $(module_cppflags) -DEXEC_VERSION='"$(PACKAGE_VERSION)"'
exec_la_LDFLAGS = $(superd_module_ldflags)

check_PROGRAMS += tests/unit/test_exec
TESTS += tests/unit/test_exec
tests_unit_test_exec_SOURCES = tests/unit/test_exec.c tests/unit/fakehost.c \
	tests/unit/fakehost.h modules/exec/exec.h
tests_unit_test_exec_CFLAGS = $(unit_cflags)
tests_unit_test_exec_LDADD = $(unit_ldadd)

exec_integration_tests = tests/integration/test_exec.py
TESTS += $(exec_integration_tests)
EXTRA_DIST += $(exec_integration_tests)
