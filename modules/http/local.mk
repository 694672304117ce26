# modules/http: the http module (HTTP/1.0 and 1.1: files, listings, CGI),
# its bundled example site, its unit tests, integration tests and fuzz target.
http_module_sources = \
	modules/http/http.c modules/http/http.h \
	modules/http/route.c modules/http/site.c \
	modules/http/parse.c modules/http/chunked.c modules/http/parse.h modules/http/hex.h \
	modules/http/path.c modules/http/path.h \
	modules/http/mime.c modules/http/mime.h \
	modules/http/buf.c \
	modules/http/response.c modules/http/errpage.c \
	modules/http/static.c modules/http/range.c modules/http/range.h \
	modules/http/precomp.c modules/http/filecache.c modules/http/filecache.h \
	modules/http/listing.c modules/http/listing.h modules/http/listing_send.c \
	modules/http/cgi.c modules/http/cgi_env.c modules/http/cgi_head.c \
	modules/http/cgi.h modules/http/spool.c modules/http/spool.h \
	modules/http/accesslog.c
http_module_cppflags = $(module_cppflags) -D_GNU_SOURCE \
	-DSUPERD_VERSION='"$(PACKAGE_VERSION)"'
# Its unit tests also reach the fake host, which is core's.
http_test_cppflags = $(AM_CPPFLAGS) -D_GNU_SOURCE \
	-DSUPERD_VERSION='"$(PACKAGE_VERSION)"'

pkglib_LTLIBRARIES += http.la
EXTRA_DIST += modules/http/README.md
http_la_SOURCES = $(http_module_sources)
http_la_CPPFLAGS = $(http_module_cppflags)
http_la_LDFLAGS = $(superd_module_ldflags)

# The bundled site: a page, a directory to list, a CGI example.
http_site_files = \
	site/index.html \
	site/style.css \
	site/files/README.txt \
	site/files/notes.md \
	site/files/data.csv \
	site/files/sub/hello.txt
nobase_dist_pkgdata_DATA += $(http_site_files)
# the CGI example is installed executable
nobase_dist_pkgdata_SCRIPTS = site/hello.cgi

# Unit tests: pure parts linked directly; the connection tests through the
# fake host.
http_unit_tests = tests/unit/test_http_parse tests/unit/test_http_path \
	tests/unit/test_http_mime tests/unit/test_http_conn \
	tests/unit/test_http_listing
check_PROGRAMS += $(http_unit_tests)
TESTS += $(http_unit_tests)

tests_unit_test_http_parse_SOURCES = tests/unit/test_http_parse.c \
	modules/http/parse.c modules/http/chunked.c modules/http/parse.h modules/http/hex.h
tests_unit_test_http_parse_CPPFLAGS = $(http_test_cppflags)
tests_unit_test_http_parse_CFLAGS = $(unit_cflags)
tests_unit_test_http_parse_LDADD = $(unit_ldadd)

tests_unit_test_http_path_SOURCES = tests/unit/test_http_path.c \
	modules/http/path.c modules/http/path.h
tests_unit_test_http_path_CPPFLAGS = $(http_test_cppflags)
tests_unit_test_http_path_CFLAGS = $(unit_cflags)
tests_unit_test_http_path_LDADD = $(unit_ldadd)

tests_unit_test_http_mime_SOURCES = tests/unit/test_http_mime.c \
	modules/http/mime.c modules/http/mime.h
tests_unit_test_http_mime_CPPFLAGS = $(http_test_cppflags)
tests_unit_test_http_mime_CFLAGS = $(unit_cflags)
tests_unit_test_http_mime_LDADD = $(unit_ldadd)

tests_unit_test_http_listing_SOURCES = tests/unit/test_http_listing.c \
	modules/http/listing.c modules/http/listing.h modules/http/buf.c \
	modules/http/path.c modules/http/path.h modules/http/mime.c modules/http/mime.h
tests_unit_test_http_listing_CPPFLAGS = $(http_module_cppflags)
tests_unit_test_http_listing_CFLAGS = $(unit_cflags)
tests_unit_test_http_listing_LDADD = $(unit_ldadd)

tests_unit_test_http_conn_SOURCES = tests/unit/test_http_conn.c \
	tests/unit/fakehost.c tests/unit/fakehost.h $(http_module_sources)
tests_unit_test_http_conn_CPPFLAGS = $(http_test_cppflags)
tests_unit_test_http_conn_CFLAGS = $(unit_cflags)
tests_unit_test_http_conn_LDADD = $(unit_ldadd)

# Integration tests (real superd on loopback, every event backend).
http_integration_tests = \
	tests/integration/test_http_basic.py \
	tests/integration/test_http_errors.py \
	tests/integration/test_http_files.py \
	tests/integration/test_http_listing.py \
	tests/integration/test_http_sites.py \
	tests/integration/test_http_browser.py \
	tests/integration/test_http_cgi.py \
	tests/integration/test_http_hardening.py
TESTS += $(http_integration_tests)
# screenshots test_http_browser.py leaves in the build directory
CLEANFILES += browser-site-400.png browser-site-1200.png \
	browser-listing-400.png browser-listing-1200.png \
	browser-sorted-400.png browser-sorted-1200.png \
	browser-error-400.png browser-error-1200.png \
	browser-cgi-400.png browser-cgi-1200.png
EXTRA_DIST += $(http_integration_tests) tests/integration/httpkit.py

# libFuzzer targets: ./configure --enable-fuzz CC=clang; `make fuzz` runs
# each for its share of FUZZ_SECONDS (default 60 in all).
http_fuzz_targets = tests/fuzz/fuzz_http_parse tests/fuzz/fuzz_http_cgihead \
	tests/fuzz/fuzz_http_range tests/fuzz/fuzz_http_date
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/fuzz_http_parse.c \
	tests/fuzz/fuzz_http_cgihead.c tests/fuzz/fuzz_http_range.c \
	tests/fuzz/fuzz_http_date.c
if ENABLE_FUZZ
http_fuzz_cflags = $(AM_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
http_fuzz_ldflags = -fsanitize=fuzzer,address,undefined
noinst_PROGRAMS += $(http_fuzz_targets)
tests_fuzz_fuzz_http_parse_SOURCES = tests/fuzz/fuzz_http_parse.c \
	modules/http/parse.c modules/http/chunked.c modules/http/parse.h modules/http/hex.h \
	modules/http/path.c modules/http/path.h
tests_fuzz_fuzz_http_parse_CPPFLAGS = $(http_module_cppflags)
tests_fuzz_fuzz_http_parse_CFLAGS = $(http_fuzz_cflags)
tests_fuzz_fuzz_http_parse_LDFLAGS = $(http_fuzz_ldflags)
# the other three reach into the module: linked with all of it
tests_fuzz_fuzz_http_cgihead_SOURCES = tests/fuzz/fuzz_http_cgihead.c $(http_module_sources)
tests_fuzz_fuzz_http_cgihead_CPPFLAGS = $(http_module_cppflags)
tests_fuzz_fuzz_http_cgihead_CFLAGS = $(http_fuzz_cflags)
tests_fuzz_fuzz_http_cgihead_LDFLAGS = $(http_fuzz_ldflags)
tests_fuzz_fuzz_http_range_SOURCES = tests/fuzz/fuzz_http_range.c $(http_module_sources)
tests_fuzz_fuzz_http_range_CPPFLAGS = $(http_module_cppflags)
tests_fuzz_fuzz_http_range_CFLAGS = $(http_fuzz_cflags)
tests_fuzz_fuzz_http_range_LDFLAGS = $(http_fuzz_ldflags)
tests_fuzz_fuzz_http_date_SOURCES = tests/fuzz/fuzz_http_date.c $(http_module_sources)
tests_fuzz_fuzz_http_date_CPPFLAGS = $(http_module_cppflags)
tests_fuzz_fuzz_http_date_CFLAGS = $(http_fuzz_cflags)
tests_fuzz_fuzz_http_date_LDFLAGS = $(http_fuzz_ldflags)
fuzz: $(http_fuzz_targets)
	@secs=$$(( $${FUZZ_SECONDS:-60} / 4 )); [ $$secs -ge 1 ] || secs=1; \
	for t in $(http_fuzz_targets); do \
		echo "== $$t ($$secs s)"; \
		$(SHELL) $(srcdir)/tests/fuzz/run.sh ./$$t $$secs || exit 1; \
	done
else
fuzz:
	@echo "fuzz: configure with --enable-fuzz CC=clang first" >&2; exit 1
endif
.PHONY: fuzz
