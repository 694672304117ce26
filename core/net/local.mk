# core/net/: addresses (parsing, resolving, overlap checks), listening
# sockets shared across reloads, and systemd socket activation (LISTEN_FDS),
# with their unit and integration tests.
libsuperdcore_la_SOURCES += core/net/addr.c core/net/addr_unique.c \
	core/net/listener.c core/net/listener.h core/net/sockact.c core/net/sockact.h \
	core/net/portcheck.c core/net/portcheck.h \
	core/net/tcpinfo.c core/net/tcpinfo.h

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

# The PROXY protocol header parser, its unit test and its fuzz target.
libsuperdcore_la_SOURCES += core/net/proxy.c core/net/proxy.h
check_PROGRAMS += tests/unit/test_proxy
TESTS += tests/unit/test_proxy
tests_unit_test_proxy_SOURCES = tests/unit/test_proxy.c
tests_unit_test_proxy_CFLAGS = $(unit_cflags)
tests_unit_test_proxy_LDADD = $(unit_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_proxy_parse.c
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_proxy_parse
tests_fuzz_fuzz_proxy_parse_SOURCES = tests/fuzz/fuzz_proxy_parse.c \
	core/net/proxy.c core/net/proxy.h
tests_fuzz_fuzz_proxy_parse_CFLAGS = $(AM_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
tests_fuzz_fuzz_proxy_parse_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
if ENABLE_FUZZ
# `make fuzz` runs this one too (FUZZ_PROXY_SECONDS, default 20).
fuzz: fuzz-proxy
fuzz-proxy: tests/fuzz/fuzz_proxy_parse
	$(SHELL) $(srcdir)/tests/fuzz/run.sh ./tests/fuzz/fuzz_proxy_parse \
		$${FUZZ_PROXY_SECONDS:-20}
endif
.PHONY: fuzz-proxy
# TLS: the interface (core/net/tls.h), served by core/run/tls_load.c from
# a backend on OpenSSL 3 that is a shared object of its own, tls-openssl.so
# beside the modules, loaded only when a service has tls: (tls_backend.h).
# Only its entry point is exported.  Without OpenSSL there is no backend
# and tls: is refused.
libsuperdcore_la_SOURCES += core/net/tls.h core/net/tls_backend.h
if HAVE_OPENSSL
pkglib_LTLIBRARIES += tls-openssl.la
tls_openssl_la_SOURCES = core/net/tls_openssl.c core/net/tls_hold.c \
	core/net/tls_hold.h core/net/tls_backend.h core/net/tls.h
tls_openssl_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -fvisibility=hidden
tls_openssl_la_LDFLAGS = $(superd_module_ldflags)
tls_openssl_la_LIBADD = $(OPENSSL_LIBS)
# The unit test drives the backend through the core, which loads it from
# $SUPERD_MODULE_PATH (the build's .libs); its client side is OpenSSL's.
check_PROGRAMS += tests/unit/test_tls
TESTS += tests/unit/test_tls
tests_unit_test_tls_SOURCES = tests/unit/test_tls.c
tests_unit_test_tls_CFLAGS = $(unit_cflags) $(OPENSSL_CFLAGS)
tests_unit_test_tls_LDADD = $(unit_ldadd) $(OPENSSL_LIBS)
endif
EXTRA_DIST += core/net/tls_openssl.c core/net/tls_hold.c \
	core/net/tls_hold.h tests/unit/test_tls.c

# Integration: TLS with real clients (certificates made by tlskit.py) and
# testssl.  In a build without TLS they skip, saying why, except the test
# that `tls:` is then a configuration error at its position.
TESTS += tests/integration/test_tls.py tests/integration/test_testssl.py
EXTRA_DIST += tests/integration/test_tls.py tests/integration/tlskit.py \
	tests/integration/test_testssl.py
