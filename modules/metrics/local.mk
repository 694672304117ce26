# modules/metrics: /metrics (Prometheus text, OpenMetrics), /ready, /live,
# built against the public header only; its integration tests (promtool,
# a real Prometheus server).
pkglib_LTLIBRARIES += metrics.la
metrics_la_SOURCES = modules/metrics/metrics.c modules/metrics/text.c \
	modules/metrics/metrics.h
metrics_la_CPPFLAGS = $(module_cppflags) -DMETRICS_VERSION='"$(PACKAGE_VERSION)"'
metrics_la_LDFLAGS = $(superd_module_ldflags)

metrics_integration_tests = tests/integration/test_metrics.py
TESTS += $(metrics_integration_tests)
EXTRA_DIST += $(metrics_integration_tests)
