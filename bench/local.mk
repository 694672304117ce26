# bench: the side-by-side benchmark (bench/run.sh; see bench/README.md).
# Not run by `make check`.  The load tool is built here too, so CI compiles
# it with the project's warnings; run.sh builds its own copy with $(CC).
noinst_PROGRAMS += bench/sdload
bench_sdload_SOURCES = bench/sdload.c
# The reference server: the classic services on a bare epoll loop.
noinst_PROGRAMS += bench/refsrv
bench_refsrv_SOURCES = bench/refsrv.c

# New TLS connections per second (bench/tls.sh), full or resumed.
if HAVE_OPENSSL
noinst_PROGRAMS += bench/tlsload
bench_tlsload_SOURCES = bench/tlsload.c
bench_tlsload_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_tlsload_LDADD = $(OPENSSL_LIBS)
endif

dist_noinst_SCRIPTS += bench/run.sh bench/report.py bench/balance.sh \
	bench/slowbody.py bench/tls.sh bench/slowclients.py \
	bench/proctree.py
EXTRA_DIST += bench/README.md bench/peers/xinetd.conf bench/peers/lighttpd.conf \
	bench/peers/nginx.conf bench/peers/superd.yaml

# What the metrics counters cost per connection (bench/README.md, "Counters").
noinst_PROGRAMS += bench/counters_cost
bench_counters_cost_SOURCES = bench/counters_cost.c
bench_counters_cost_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
bench_counters_cost_LDADD = libsuperdcore.la $(YAML_LIBS)
