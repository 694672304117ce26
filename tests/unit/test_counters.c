/*
 * test_counters.c - the per-service counters in the shared mapping: every
 * family reported, sums over processes (a forked child counts into its
 * own slot; its counts stay after it exits and is reaped), buckets and
 * HTTP codes, a service kept by name across a rebind, a slot taken by a
 * new name starting from zero, label escaping.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/config/conf.h"
#include "access.h"
#include "counters.h"

/* The samples of one report, as "name{labels} value" lines. */
static char report[65536];

static void collect(void *arg, const struct superd_metric *m)
{
	size_t n = strlen(report);

	(void)arg;
	snprintf(report + n, sizeof(report) - n, "%s%s{%s} %.6g\n", m->family,
	         m->suffix, m->labels, m->value);
}

static const char *run_report(struct access_svc *a)
{
	report[0] = '\0';
	counters_report(a, collect, NULL);
	return report;
}

static struct service_conf conf_named(const char *name)
{
	struct service_conf c;

	memset(&c, 0, sizeof(c));
	c.name = (char *)name;
	c.enabled = 1;
	return c;
}

#define HAS(line) ck_assert_msg(strstr(run_report(a), line), "missing %s in\n%s", line, report)

START_TEST(counts_and_families)
{
	struct access_shared *sh = access_shared_new(0);
	struct service_conf conf = conf_named("web");
	struct access_svc *a = access_svc_new(sh, &conf);

	ck_assert_ptr_nonnull(a);
	counters_accepted(a);
	counters_accepted(a);
	counters_refused(a, ACCESS_DENIED);
	counters_refused(a, ACCESS_LIMIT_GLOBAL);
	counters_refused(a, ACCESS_PROXY);
	counters_refused_reason(a, REFUSED_TLS);
	counters_closed(a, 3000, 10, 20);        /* 3 ms: first bucket */
	counters_closed(a, 400000000, 1, 2);     /* 400 s: past the last */
	counters_http(a, 200);
	counters_http(a, 200);
	counters_http(a, 599);
	counters_datagram(a, ACCESS_OK);
	counters_datagram(a, ACCESS_REFLECTION);
	counters_workers(sh, 2);
	counters_reload(sh, 0);
	HAS("superd_connections_accepted_total{service=\"web\"} 2\n");
	HAS("superd_connections_refused_total{service=\"web\",reason=\"acl\"} 1\n");
	HAS("superd_connections_refused_total{service=\"web\",reason=\"max_connections\"} 1\n");
	HAS("superd_connections_refused_total{service=\"web\",reason=\"proxy\"} 1\n");
	HAS("superd_connections_refused_total{service=\"web\",reason=\"tls\"} 1\n");
	HAS("superd_received_bytes_total{service=\"web\"} 11\n");
	HAS("superd_sent_bytes_total{service=\"web\"} 22\n");
	HAS("superd_connection_duration_seconds_bucket{service=\"web\",le=\"0.005\"} 1\n");
	HAS("superd_connection_duration_seconds_bucket{service=\"web\",le=\"300\"} 1\n");
	HAS("superd_connection_duration_seconds_bucket{service=\"web\",le=\"+Inf\"} 2\n");
	HAS("superd_connection_duration_seconds_count{service=\"web\"} 2\n");
	HAS("superd_connection_duration_seconds_sum{service=\"web\"} 400.003\n");
	HAS("superd_http_responses_total{service=\"web\",code=\"200\"} 2\n");
	HAS("superd_http_responses_total{service=\"web\",code=\"other\"} 1\n");
	HAS("superd_datagrams_received_total{service=\"web\"} 2\n");
	HAS("superd_datagrams_dropped_total{service=\"web\",reason=\"guard\"} 1\n");
	HAS("superd_workers{} 2\n");
	HAS("superd_reloads_total{result=\"failed\"} 1\n");
	HAS("superd_build_info{version=");
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/* A child's counts land in its own slot and stay after it is gone. */
START_TEST(dead_process_counts_stay)
{
	struct access_shared *sh = access_shared_new(0);
	struct service_conf conf = conf_named("echo");
	struct access_svc *a = access_svc_new(sh, &conf);
	int status;
	pid_t pid;

	counters_accepted(a);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (int i = 0; i < 5; i++)
			counters_accepted(a);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	access_reap(sh, pid);
	HAS("superd_connections_accepted_total{service=\"echo\"} 6\n");
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/* Rebinding the same name keeps the counts; a new name starts at 0. */
START_TEST(kept_by_name_cleared_on_reuse)
{
	struct access_shared *sh = access_shared_new(0);
	struct service_conf c1 = conf_named("keep"), c2 = conf_named("new\"name");
	struct access_svc *a = access_svc_new(sh, &c1), *b;

	counters_accepted(a);
	b = access_svc_new(sh, &c1); /* the reload binds it again */
	access_svc_free(a);
	a = b;
	counters_accepted(a);
	HAS("superd_connections_accepted_total{service=\"keep\"} 2\n");
	access_svc_free(a);
	/* Fill every never-used slot, so the next new name reuses "keep"'s. */
	struct access_svc *fill[1023];
	for (int i = 0; i < 1023; i++) {
		char name[16];
		struct service_conf c;

		snprintf(name, sizeof(name), "s%d", i);
		c = conf_named(name);
		fill[i] = access_svc_new(sh, &c);
		ck_assert_ptr_nonnull(fill[i]);
	}
	a = access_svc_new(sh, &c2);
	ck_assert_ptr_nonnull(a);
	HAS("superd_connections_accepted_total{service=\"new\\\"name\"} 0\n");
	ck_assert_ptr_null(strstr(report, "service=\"keep\""));
	access_svc_free(a);
	for (int i = 0; i < 1023; i++)
		access_svc_free(fill[i]);
	access_shared_free(sh);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("counters");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, counts_and_families);
	tcase_add_test(tc, dead_process_counts_stay);
	tcase_add_test(tc, kept_by_name_cleared_on_reuse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
