# core/loop/: the event loop and the log (sources and unit tests).
libsuperdcore_la_SOURCES += core/loop/loop.c core/loop/loop_select.c \
	core/loop/loop_poll.c core/loop/loop_epoll.c core/loop/log.c \
	core/loop/log_json.c core/loop/log_priv.h

check_PROGRAMS += tests/unit/test_loop tests/unit/test_log
TESTS += tests/unit/test_loop tests/unit/test_log
tests_unit_test_loop_SOURCES = tests/unit/test_loop.c
tests_unit_test_loop_CFLAGS = $(unit_cflags)
tests_unit_test_loop_LDADD = $(unit_ldadd)
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(unit_cflags)
tests_unit_test_log_LDADD = $(unit_ldadd)
