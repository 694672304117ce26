# core/config.mk: the configuration layer (YAML tree, diagnostics, module
# option accessors, checked configuration, addresses) and its unit tests.
libsuperdcore_la_SOURCES += core/conftree.c core/diag.c core/options.c
libsuperdcore_la_SOURCES += core/addr.c core/addr_unique.c core/config.c \
	core/config_global.c core/config_check.h

config_unit_tests = tests/unit/test_conftree tests/unit/test_options \
	tests/unit/test_addr tests/unit/test_config
check_PROGRAMS += $(config_unit_tests)
TESTS += $(config_unit_tests)
tests_unit_test_conftree_SOURCES = tests/unit/test_conftree.c
tests_unit_test_conftree_CFLAGS = $(unit_cflags)
tests_unit_test_conftree_LDADD = $(unit_ldadd)
tests_unit_test_options_SOURCES = tests/unit/test_options.c
tests_unit_test_options_CFLAGS = $(unit_cflags)
tests_unit_test_options_LDADD = $(unit_ldadd)
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_CFLAGS = $(unit_cflags)
tests_unit_test_addr_LDADD = $(unit_ldadd)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(unit_cflags)
tests_unit_test_config_LDADD = $(unit_ldadd)
