# core/config/: the configuration layer (YAML tree, diagnostics, module
# option accessors, checked configuration) and its unit tests.
libsuperdcore_la_SOURCES += core/config/conftree.c core/config/diag.c \
	core/config/options.c core/config/config.c core/config/config_global.c \
	core/config/suggest.c core/config/suggest.h core/config/config_include.c \
	core/config/config_sandbox.c \
	core/config/config_tls.c \
	core/config/config_check.h core/config/values.c core/config/values.h

config_unit_tests = tests/unit/test_conftree tests/unit/test_options \
	tests/unit/test_config
check_PROGRAMS += $(config_unit_tests)
TESTS += $(config_unit_tests)
tests_unit_test_conftree_SOURCES = tests/unit/test_conftree.c
tests_unit_test_conftree_CFLAGS = $(unit_cflags)
tests_unit_test_conftree_LDADD = $(unit_ldadd)
tests_unit_test_options_SOURCES = tests/unit/test_options.c
tests_unit_test_options_CFLAGS = $(unit_cflags)
tests_unit_test_options_LDADD = $(unit_ldadd)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(unit_cflags)
tests_unit_test_config_LDADD = $(unit_ldadd)

# Integration: what -t tells beyond errors (suggestions, port warnings).
TESTS += tests/integration/test_check_hints.py
EXTRA_DIST += tests/integration/test_check_hints.py
TESTS += tests/integration/test_include.py
EXTRA_DIST += tests/integration/test_include.py
