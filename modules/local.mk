# modules: the five RFC services (echo, discard, chargen, daytime, time),
# each a libtool module, and their Check unit suites against the fake host.
classic_module_cppflags = $(module_cppflags) \
	-DCLASSIC_VERSION='"$(PACKAGE_VERSION)"'

pkglib_LTLIBRARIES += echo.la discard.la chargen.la daytime.la time.la

echo_la_SOURCES = modules/echo.c modules/classic.h
echo_la_CPPFLAGS = $(classic_module_cppflags)
echo_la_LDFLAGS = $(superd_module_ldflags)

discard_la_SOURCES = modules/discard.c modules/classic.h
discard_la_CPPFLAGS = $(classic_module_cppflags)
discard_la_LDFLAGS = $(superd_module_ldflags)

chargen_la_SOURCES = modules/chargen.c modules/classic.h
chargen_la_CPPFLAGS = $(classic_module_cppflags)
chargen_la_LDFLAGS = $(superd_module_ldflags)

daytime_la_SOURCES = modules/daytime.c modules/classic.h
daytime_la_CPPFLAGS = $(classic_module_cppflags)
daytime_la_LDFLAGS = $(superd_module_ldflags)

time_la_SOURCES = modules/time.c modules/classic.h
time_la_CPPFLAGS = $(classic_module_cppflags)
time_la_LDFLAGS = $(superd_module_ldflags)

# Unit tests: each #includes its module's .c (to reach the pure helpers)
# and drives it through the fake host.
classic_unit_tests = tests/unit/test_fakehost tests/unit/test_echo tests/unit/test_discard \
	tests/unit/test_chargen tests/unit/test_daytime tests/unit/test_time
check_PROGRAMS += $(classic_unit_tests)
TESTS += $(classic_unit_tests)

tests_unit_test_echo_SOURCES = tests/unit/test_echo.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_echo_CFLAGS = $(unit_cflags)
tests_unit_test_echo_LDADD = $(unit_ldadd)

tests_unit_test_discard_SOURCES = tests/unit/test_discard.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_discard_CFLAGS = $(unit_cflags)
tests_unit_test_discard_LDADD = $(unit_ldadd)

tests_unit_test_chargen_SOURCES = tests/unit/test_chargen.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_chargen_CFLAGS = $(unit_cflags)
tests_unit_test_chargen_LDADD = $(unit_ldadd)

tests_unit_test_daytime_SOURCES = tests/unit/test_daytime.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_daytime_CFLAGS = $(unit_cflags)
tests_unit_test_daytime_LDADD = $(unit_ldadd)

tests_unit_test_time_SOURCES = tests/unit/test_time.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_time_CFLAGS = $(unit_cflags)
tests_unit_test_time_LDADD = $(unit_ldadd)

tests_unit_test_fakehost_SOURCES = tests/unit/test_fakehost.c \
	tests/unit/fakehost.c tests/unit/fakehost.h
tests_unit_test_fakehost_CFLAGS = $(unit_cflags)
tests_unit_test_fakehost_LDADD = $(unit_ldadd)
