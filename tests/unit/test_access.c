/*
 * test_access.c - allow/deny, limits across fork()ed processes, the
 * per-source table, rates, the reflection guard, refusal log suppression.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "access_priv.h"
#include "log.h"

/* A peer address from text ("1.2.3.4" or "::1"), with port. */
static struct sockaddr_storage peer(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		ck_assert_int_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

/* A service_conf with the given rules (comma-separated CIDR lists). */
struct test_svc {
	struct service_conf conf;
	struct cidr allow[8], deny[8];
};

static void parse_list(const char *list, struct cidr *out, size_t *n)
{
	char buf[256], *tok, *save;

	*n = 0;
	if (!list)
		return;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		ck_assert_int_eq(addr_parse_cidr(tok, &out[(*n)++]), 0);
}

static struct service_conf *svc_conf(struct test_svc *t, const char *name,
                                     const char *allow, const char *deny)
{
	memset(t, 0, sizeof(*t));
	t->conf.name = (char *)name;
	t->conf.enabled = 1;
	parse_list(allow, t->allow, &t->conf.nallow);
	parse_list(deny, t->deny, &t->conf.ndeny);
	t->conf.allow = t->allow;
	t->conf.deny = t->deny;
	return &t->conf;
}

START_TEST(rules_allow_deny)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p;

	ck_assert_ptr_nonnull(sh);
	a = access_svc_new(sh, svc_conf(&t, "r", "127.0.0.0/8,::1", "127.0.0.3"));
	ck_assert_ptr_nonnull(a);
	p = peer("127.0.0.2", 5000);
	ck_assert_int_eq(access_admit(a, SA(p), 1000), ACCESS_OK);
	access_release(a, SA(p));
	p = peer("127.0.0.3", 5000);
	ck_assert_int_eq(access_admit(a, SA(p), 1000), ACCESS_DENIED);
	p = peer("10.0.0.1", 5000);
	ck_assert_int_eq(access_admit(a, SA(p), 1000), ACCESS_DENIED);
	p = peer("::1", 5000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 1);
	p = peer("::2", 5000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 0);
	/* An IPv4 client on a dual-stack socket matches the IPv4 rules. */
	p = peer("::ffff:127.0.0.2", 5000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 1);
	p = peer("::ffff:127.0.0.3", 5000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 0);
	p = peer("::ffff:10.1.1.1", 5000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 0);
	ck_assert_uint_eq(access_count_global(sh), 0);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(rules_empty_allow_is_everyone)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a = access_svc_new(sh, svc_conf(&t, "e", NULL, "10.0.0.0/8"));
	struct sockaddr_storage p = peer("192.0.2.1", 4000);

	ck_assert_int_eq(access_allowed(a, SA(p)), 1);
	p = peer("2001:db8::1", 4000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 1);
	p = peer("10.9.9.9", 4000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 0);
	p = peer("::ffff:10.9.9.9", 4000);
	ck_assert_int_eq(access_allowed(a, SA(p)), 0);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(limits_service_and_global)
{
	struct access_shared *sh = access_shared_new(3);
	struct test_svc t1, t2;
	struct access_svc *a, *b;
	struct sockaddr_storage p = peer("127.0.0.1", 4000);

	svc_conf(&t1, "a", NULL, NULL)->max_connections = 2;
	a = access_svc_new(sh, &t1.conf);
	b = access_svc_new(sh, svc_conf(&t2, "b", NULL, NULL));
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_LIMIT_SERVICE);
	ck_assert_int_eq(access_admit(b, SA(p), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(b, SA(p), 1), ACCESS_LIMIT_GLOBAL);
	ck_assert_uint_eq(access_count_global(sh), 3);
	access_release(a, SA(p));
	ck_assert_int_eq(access_admit(b, SA(p), 1), ACCESS_OK);
	access_shared_set_global(sh, 0);
	ck_assert_int_eq(access_admit(b, SA(p), 1), ACCESS_OK);
	ck_assert_uint_eq(access_count_service(b), 3);
	access_svc_free(a);
	access_svc_free(b);
	access_shared_free(sh);
}
END_TEST

START_TEST(counts_survive_rebind_by_name)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a, *a2;
	struct sockaddr_storage p = peer("127.0.0.1", 4000);

	svc_conf(&t, "kept", NULL, NULL)->max_connections = 2;
	a = access_svc_new(sh, &t.conf);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	/* A reload: the new config's service of the same name shares the count. */
	a2 = access_svc_new(sh, &t.conf);
	access_svc_free(a);
	ck_assert_uint_eq(access_count_service(a2), 2);
	ck_assert_int_eq(access_admit(a2, SA(p), 1), ACCESS_LIMIT_SERVICE);
	access_svc_free(a2);
	access_shared_free(sh);
}
END_TEST

START_TEST(per_source_exact)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p1 = peer("127.0.0.2", 4000), p2 = peer("127.0.0.3", 4000);
	struct sockaddr_storage p1m = peer("::ffff:127.0.0.2", 4001);

	svc_conf(&t, "ps", NULL, NULL)->per_source = 2;
	a = access_svc_new(sh, &t.conf);
	ck_assert_int_eq(access_admit(a, SA(p1), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p1m), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p1), 1), ACCESS_LIMIT_SOURCE);
	ck_assert_int_eq(access_admit(a, SA(p2), 1), ACCESS_OK);
	ck_assert_uint_eq(access_count_service(a), 3);
	access_release(a, SA(p1m));
	ck_assert_int_eq(access_admit(a, SA(p1), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p1), 1), ACCESS_LIMIT_SOURCE);
	access_release(a, SA(p1));
	access_release(a, SA(p1));
	access_release(a, SA(p2));
	ck_assert_uint_eq(access_count_service(a), 0);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/* Many distinct sources come and go: entries are reused, never lost. */
START_TEST(per_source_table_reuse)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	char ip[64];
	unsigned round, i;

	svc_conf(&t, "many", NULL, NULL)->per_source = 1;
	a = access_svc_new(sh, &t.conf);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 20000; i++) {
			struct sockaddr_storage p;

			snprintf(ip, sizeof(ip), "10.%u.%u.%u", round, i >> 8, i & 255);
			p = peer(ip, 5000);
			ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
			ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_LIMIT_SOURCE);
		}
		for (i = 0; i < 20000; i++) {
			struct sockaddr_storage p;

			snprintf(ip, sizeof(ip), "10.%u.%u.%u", round, i >> 8, i & 255);
			p = peer(ip, 5000);
			access_release(a, SA(p));
		}
		ck_assert_uint_eq(access_count_service(a), 0);
	}
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/*
 * Limits across processes: 4 children race to admit 2000 times each with
 * max_connections 10 and per_source 3; a shared array records the highest
 * counts ever seen; they must never pass the limits.
 */
struct race_seen {
	int over_service;
	int over_source;
	int admitted;
};

static void race_child(struct access_svc *a, struct race_seen *seen, int id)
{
	struct sockaddr_storage p;
	char ip[32];
	int i;

	for (i = 0; i < 2000; i++) {
		snprintf(ip, sizeof(ip), "127.0.0.%d", 1 + (i % 2));
		p = peer(ip, 1024 + (unsigned)id);
		if (access_admit(a, SA(p), (uint64_t)i) != ACCESS_OK)
			continue;
		__atomic_add_fetch(&seen->admitted, 1, __ATOMIC_SEQ_CST);
		if (access_count_service(a) > 10)
			__atomic_store_n(&seen->over_service, 1, __ATOMIC_SEQ_CST);
		usleep(10);
		access_release(a, SA(p));
	}
	_exit(0);
}

START_TEST(limits_across_fork)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct race_seen *seen;
	struct sockaddr_storage p1 = peer("127.0.0.1", 2000), p2 = peer("127.0.0.2", 2000);
	int i, status, held;

	svc_conf(&t, "race", NULL, NULL)->max_connections = 10;
	t.conf.per_source = 3;
	a = access_svc_new(sh, &t.conf);
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
	            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(seen, MAP_FAILED);
	memset(seen, 0, sizeof(*seen));
	for (i = 0; i < 4; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			race_child(a, seen, i);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_gt(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(seen->over_service, 0);
	ck_assert_int_gt(seen->admitted, 100);
	ck_assert_uint_eq(access_count_service(a), 0);
	ck_assert_uint_eq(access_count_global(sh), 0);
	/* Every slot came back: per_source still admits exactly 3 each. */
	for (held = 0; access_admit(a, SA(p1), 1) == ACCESS_OK; held++)
		;
	ck_assert_int_eq(held, 3);
	for (held = 0; access_admit(a, SA(p2), 1) == ACCESS_OK; held++)
		;
	ck_assert_int_eq(held, 3);
	munmap(seen, sizeof(*seen));
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/*
 * The per-source table under concurrency: 4 processes admit and release,
 * half the time one of 64 hot addresses, else one of 30000 cold ones (so
 * entries are re-keyed all the time), with per_source 2; a shared array
 * of per-address holders (kept by the test) must never pass 2.
 */
#define RACE_KEYS 30064 /* 64 hot addresses, 30000 cold ones */

struct source_race {
	int held[RACE_KEYS];
	int over;
	int admitted;
};

static void source_race_child(struct access_svc *a, struct source_race *r, int id)
{
	struct sockaddr_storage p;
	unsigned seed = (unsigned)id * 7919u + 1;
	char ip[32];
	int i;

	for (i = 0; i < 20000; i++) {
		unsigned x = (seed = seed * 1103515245u + 12345u) >> 8;
		int k = x & 1 ? (int)(x >> 1) % 64 : 64 + (int)(x >> 1) % 30000;

		snprintf(ip, sizeof(ip), "10.%d.%d.%d", k >> 16, (k >> 8) & 255, k & 255);
		p = peer(ip, 2000);
		if (access_admit(a, SA(p), (uint64_t)i) != ACCESS_OK)
			continue;
		if (__atomic_add_fetch(&r->held[k], 1, __ATOMIC_SEQ_CST) > 2)
			__atomic_store_n(&r->over, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&r->admitted, 1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&r->held[k], 1, __ATOMIC_SEQ_CST);
		access_release(a, SA(p));
	}
	_exit(0);
}

START_TEST(per_source_concurrent_rekeying)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct source_race *r;
	int i, status;

	svc_conf(&t, "srcrace", NULL, NULL)->per_source = 2;
	a = access_svc_new(sh, &t.conf);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(r, MAP_FAILED);
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 4; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			source_race_child(a, r, i);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_gt(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(r->over, 0);
	ck_assert_int_gt(r->admitted, 40000);
	ck_assert_uint_eq(access_count_service(a), 0);
	/* Every entry's count came back to 0: each address admits 2 again. */
	for (i = 0; i < 64; i++) {
		struct sockaddr_storage p;
		char ip[32];

		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		p = peer(ip, 2000);
		ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
		ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
		ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_LIMIT_SOURCE);
	}
	munmap(r, sizeof(*r));
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/* A child admits and dies without releasing (a crashed worker). */
static pid_t crash_holding(struct access_svc *a, const char *ip, int n)
{
	struct sockaddr_storage p = peer(ip, 3000);
	int status, i;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (access_admit(a, SA(p), 1) != ACCESS_OK)
				_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return pid;
}

START_TEST(dead_process_slots_come_back)
{
	struct access_shared *sh = access_shared_new(10);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p = peer("127.0.0.5", 3000);
	pid_t pid;

	svc_conf(&t, "crashy", NULL, NULL)->max_connections = 4;
	t.conf.per_source = 3;
	a = access_svc_new(sh, &t.conf);
	/* The parent has no ledger yet: its first admit settles the dead. */
	crash_holding(a, "127.0.0.5", 3);
	ck_assert_uint_eq(access_count_service(a), 3);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	ck_assert_uint_eq(access_count_service(a), 1);
	ck_assert_uint_eq(access_count_global(sh), 1);
	/* Now it has one: the master's access_reap does it at once. */
	pid = crash_holding(a, "127.0.0.5", 2);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_LIMIT_SOURCE);
	access_reap(sh, pid);
	ck_assert_uint_eq(access_count_service(a), 1);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_LIMIT_SOURCE);
	access_release(a, SA(p));
	access_release(a, SA(p));
	access_release(a, SA(p));
	ck_assert_uint_eq(access_count_global(sh), 0);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/*
 * A worker SIGKILLed while it holds one of the shared locks must not leave
 * every other process spinning for ever: once it is reaped, the next
 * process to want the lock takes it over (without the fix this hangs until
 * Check's timeout).
 */
START_TEST(lock_left_by_dead_process_is_taken_over)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p = peer("127.0.0.6", 3000);
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		spin_lock(&sh->ledgers_lock);
		spin_lock(&sh->slots_lock);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	access_reap(sh, pid);                          /* ledgers_lock */
	a = access_svc_new(sh, svc_conf(&t, "locked", NULL, NULL)); /* slots_lock */
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(access_admit(a, SA(p), 1), ACCESS_OK);
	access_release(a, SA(p));
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(rate_sheds_then_recovers)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p = peer("127.0.0.1", 4000);
	uint64_t now = 100000;
	int ok = 0, i;

	svc_conf(&t, "rate", NULL, NULL)->rate = 10;
	a = access_svc_new(sh, &t.conf);
	for (i = 0; i < 50; i++) {
		enum access_verdict v = access_admit(a, SA(p), now);

		if (v == ACCESS_OK) {
			ok++;
			access_release(a, SA(p));
		} else {
			ck_assert_int_eq(v, ACCESS_RATE);
		}
	}
	ck_assert_int_eq(ok, 10); /* a burst of one second's worth */
	/* 100 ms later, one more token; 2 s later a full burst again. */
	ck_assert_int_eq(access_admit(a, SA(p), now + 100), ACCESS_OK);
	access_release(a, SA(p));
	ck_assert_int_eq(access_admit(a, SA(p), now + 100), ACCESS_RATE);
	for (ok = 0, i = 0; i < 50; i++)
		if (access_admit(a, SA(p), now + 3000) == ACCESS_OK) {
			ok++;
			access_release(a, SA(p));
		}
	ck_assert_int_eq(ok, 10);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(rate_per_source)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p1 = peer("127.0.0.2", 4000), p2 = peer("127.0.0.3", 4000);
	int i;

	svc_conf(&t, "rps", NULL, NULL)->rate_per_source = 5;
	a = access_svc_new(sh, &t.conf);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(access_admit(a, SA(p1), 5000), ACCESS_OK);
		access_release(a, SA(p1));
	}
	ck_assert_int_eq(access_admit(a, SA(p1), 5000), ACCESS_RATE_SOURCE);
	ck_assert_int_eq(access_admit(a, SA(p2), 5000), ACCESS_OK);
	access_release(a, SA(p2));
	ck_assert_int_eq(access_admit(a, SA(p1), 5200), ACCESS_OK);
	access_release(a, SA(p1));
	ck_assert_uint_eq(access_count_global(sh), 0);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(reflection_guard)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a = access_svc_new(sh, svc_conf(&t, "udp", NULL, NULL));
	static const struct {
		const char *ip;
		unsigned port;
		enum access_verdict want;
	} cases[] = {
		{ "127.0.0.1", 40000, ACCESS_OK },
		{ "127.0.0.1", 1023, ACCESS_REFLECTION },
		{ "127.0.0.1", 0, ACCESS_REFLECTION },
		{ "127.0.0.1", 7, ACCESS_REFLECTION },
		{ "127.0.0.1", 1024, ACCESS_OK },
		{ "255.255.255.255", 40000, ACCESS_REFLECTION },
		{ "192.168.1.255", 40000, ACCESS_OK }, /* not reliably broadcast */
		{ "0.0.0.0", 40000, ACCESS_REFLECTION },
		{ "0.1.2.3", 40000, ACCESS_REFLECTION },
		{ "224.0.0.1", 40000, ACCESS_REFLECTION },
		{ "239.255.255.250", 40000, ACCESS_REFLECTION },
		{ "::1", 40000, ACCESS_OK },
		{ "::1", 53, ACCESS_REFLECTION },
		{ "ff02::1", 40000, ACCESS_REFLECTION },
		{ "::", 40000, ACCESS_REFLECTION },
		{ "::ffff:224.0.0.5", 40000, ACCESS_REFLECTION },
		{ "::ffff:255.255.255.255", 40000, ACCESS_REFLECTION },
		{ "::ffff:127.0.0.1", 40000, ACCESS_OK },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage p = peer(cases[i].ip, cases[i].port);

		ck_assert_msg(access_datagram(a, SA(p), 1000 + i) == cases[i].want,
		              "%s port %u", cases[i].ip, cases[i].port);
	}
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(datagram_rules_and_rate)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a;
	struct sockaddr_storage p = peer("127.0.0.2", 40000), q = peer("127.0.0.9", 40000);
	int ok = 0, i;

	svc_conf(&t, "udp2", "127.0.0.0/29", NULL)->rate_per_source = 20;
	a = access_svc_new(sh, &t.conf);
	ck_assert_int_eq(access_datagram(a, SA(q), 1000), ACCESS_DENIED);
	for (i = 0; i < 100; i++)
		ok += access_datagram(a, SA(p), 1000) == ACCESS_OK;
	ck_assert_int_eq(ok, 20);
	ck_assert_int_eq(access_datagram(a, SA(p), 1000), ACCESS_RATE_SOURCE);
	ck_assert_int_eq(access_datagram(a, SA(p), 2100), ACCESS_OK);
	access_svc_free(a);

	/* Without rate_per_source, one busy client is never throttled
	 * (a benchmark or a local client can send far more than 1000/s). */
	a = access_svc_new(sh, svc_conf(&t, "udp3", NULL, NULL));
	for (ok = 0, i = 0; i < 5000; i++)
		ok += access_datagram(a, SA(p), 9000) == ACCESS_OK;
	ck_assert_int_eq(ok, 5000);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

/* Lines of the log file that contain needle. */
static int log_lines_with(const char *path, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

START_TEST(refusal_log_suppressed)
{
	char path[] = "/tmp/test_access_log.XXXXXX";
	int fd = mkstemp(path);
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a = access_svc_new(sh, svc_conf(&t, "logsvc", NULL, NULL));
	struct sockaddr_storage p = peer("127.0.0.7", 4000);
	uint64_t now = 50000;
	int i;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_DEBUG), 0);
	for (i = 0; i < 1000; i++)
		access_log_refusal(a, ACCESS_DENIED, SA(p), now + (uint64_t)i / 100);
	ck_assert_int_eq(log_lines_with(path, "refused 127.0.0.7"), 1);
	ck_assert_int_eq(log_lines_with(path, "more connections refused"), 0);
	/* A different reason is its own burst. */
	access_log_refusal(a, ACCESS_LIMIT_SOURCE, SA(p), now + 20);
	ck_assert_int_eq(log_lines_with(path, "per_source"), 1);
	/* The burst ends: one summary with the count. */
	access_log_flush(a, now + 500);
	ck_assert_int_eq(log_lines_with(path, "more connections refused"), 0);
	access_log_flush(a, now + 2000);
	ck_assert_int_eq(log_lines_with(path, "999 more connections refused"), 1);
	access_log_flush(a, now + 5000);
	ck_assert_int_eq(log_lines_with(path, "more connections refused"), 1);
	/* A long burst: a summary every 10 s, not a line per refusal. */
	for (i = 0; i < 25000; i++)
		access_log_refusal(a, ACCESS_RATE, SA(p), now + 10000 + (uint64_t)i);
	ck_assert_int_eq(log_lines_with(path, "rate limit (further"), 1);
	ck_assert_int_eq(log_lines_with(path, "in the last 10 s"), 2);
	log_close();
	unlink(path);
	access_svc_free(a);
	access_shared_free(sh);
}
END_TEST

START_TEST(udp_summary_once_a_minute)
{
	char path[] = "/tmp/test_access_udp.XXXXXX";
	int fd = mkstemp(path);
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t;
	struct access_svc *a = access_svc_new(sh, svc_conf(&t, "udpsvc", NULL, NULL));
	struct access_svc *b = access_svc_new(sh, svc_conf(&t, "udpsvc", NULL, NULL));
	uint64_t now = 100000;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	access_dgram_summary(a, now, 0); /* the period begins */
	access_dgram_count(a, ACCESS_OK, 1);
	access_dgram_count(b, ACCESS_OK, 2); /* another worker, same service */
	access_dgram_count(a, ACCESS_OK, 0);
	access_dgram_count(b, ACCESS_DENIED, 0);
	access_dgram_count(a, ACCESS_REFLECTION, 0);
	access_dgram_count(a, ACCESS_RATE_SOURCE, 0);
	access_dgram_count(b, ACCESS_RATE, 0);
	access_dgram_summary(a, now + 59000, 0);
	access_dgram_summary(b, now + 59999, 0);
	ck_assert_int_eq(log_lines_with(path, "udp:"), 0);
	access_dgram_summary(b, now + 60000, 0);
	access_dgram_summary(a, now + 60001, 0); /* the same period: no line */
	ck_assert_int_eq(log_lines_with(path, "udpsvc: udp: 7 datagrams, 3 replies, "
	                 "4 dropped (acl 1, guard 1, rate 2) in the last 60 s"), 1);
	ck_assert_int_eq(log_lines_with(path, "udp:"), 1);
	/* nothing received: no line; at stop, what is left comes out at once */
	access_dgram_summary(a, now + 120000, 0);
	ck_assert_int_eq(log_lines_with(path, "udp:"), 1);
	access_dgram_count(a, ACCESS_OK, 1);
	access_dgram_summary(a, now + 130000, 1);
	access_dgram_summary(b, now + 130001, 1);
	ck_assert_int_eq(log_lines_with(path, "1 datagrams, 1 replies, 0 dropped"), 1);
	ck_assert_int_eq(log_lines_with(path, "udp:"), 2);
	log_close();
	unlink(path);
	access_svc_free(a);
	access_svc_free(b);
	access_shared_free(sh);
}
END_TEST

START_TEST(too_many_services)
{
	struct access_shared *sh = access_shared_new(0);
	struct access_svc *list[1100];
	struct test_svc t;
	char name[32];
	int i, n;

	for (n = 0; n < 1100; n++) {
		snprintf(name, sizeof(name), "s%d", n);
		list[n] = access_svc_new(sh, svc_conf(&t, name, NULL, NULL));
		if (!list[n])
			break;
	}
	ck_assert_int_ge(n, 256);
	ck_assert_int_lt(n, 1100);
	/* Freed slots with no connections are reused by new names. */
	access_svc_free(list[0]);
	list[0] = access_svc_new(sh, svc_conf(&t, "fresh", NULL, NULL));
	ck_assert_ptr_nonnull(list[0]);
	for (i = 0; i < n; i++)
		access_svc_free(list[i]);
	access_shared_free(sh);
}
END_TEST

/* A child takes n units of the semaphore and dies holding them. */
static pid_t crash_holding_sem(struct access_svc *a, const char *name, int n)
{
	int status, i;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		access_sem_release(a, name); /* holds none: must change nothing */
		for (i = 0; i < n; i++)
			if (access_sem_acquire(a, name, 3) != 1)
				_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return pid;
}

START_TEST(semaphore_exact_and_dead_units_come_back)
{
	struct access_shared *sh = access_shared_new(0);
	struct test_svc t, t2;
	struct access_svc *a = access_svc_new(sh, svc_conf(&t, "cgisvc", NULL, NULL));
	struct access_svc *b = access_svc_new(sh, svc_conf(&t2, "other", NULL, NULL));
	pid_t pid;

	ck_assert_int_eq(access_sem_acquire(a, "cgi", 3), 1);
	ck_assert_int_eq(access_sem_acquire(b, "cgi", 3), 1); /* its own */
	pid = crash_holding_sem(a, "cgi", 2);
	ck_assert_uint_eq(access_sem_count(a, "cgi"), 3);
	ck_assert_int_eq(access_sem_acquire(a, "cgi", 3), 0); /* exact */
	ck_assert_int_eq(access_sem_acquire(a, "cgi", 4), 1);
	access_sem_release(a, "cgi");
	access_reap(sh, pid);                 /* the dead child's two units */
	ck_assert_uint_eq(access_sem_count(a, "cgi"), 1);
	ck_assert_uint_eq(access_sem_count(b, "cgi"), 1);
	ck_assert_int_eq(access_sem_acquire(a, "cgi", 3), 1);
	access_sem_release(a, "cgi");
	access_sem_release(a, "cgi");
	access_sem_release(a, "cgi");         /* one too many: ignored */
	ck_assert_uint_eq(access_sem_count(a, "cgi"), 0);
	/* Names: 1 to 31 bytes, at most SVC_SEMS per service. */
	errno = 0;
	ck_assert_int_eq(access_sem_acquire(a, "", 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(access_sem_acquire(a, "0123456789abcdef0123456789abcdef", 1), -1);
	ck_assert_int_eq(access_sem_acquire(a, "s2", 1), 1);
	ck_assert_int_eq(access_sem_acquire(a, "s3", 1), 1);
	ck_assert_int_eq(access_sem_acquire(a, "s4", 1), 1);
	ck_assert_int_eq(access_sem_acquire(a, "s5", 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	access_svc_free(a);
	access_svc_free(b);
	access_shared_free(sh);
}
END_TEST

static Suite *access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, rules_allow_deny);
	tcase_add_test(tc, udp_summary_once_a_minute);
	tcase_add_test(tc, rules_empty_allow_is_everyone);
	tcase_add_test(tc, limits_service_and_global);
	tcase_add_test(tc, counts_survive_rebind_by_name);
	tcase_add_test(tc, per_source_exact);
	tcase_add_test(tc, per_source_table_reuse);
	tcase_add_test(tc, limits_across_fork);
	tcase_add_test(tc, dead_process_slots_come_back);
	tcase_add_test(tc, semaphore_exact_and_dead_units_come_back);
	tcase_add_test(tc, lock_left_by_dead_process_is_taken_over);
	tcase_add_test(tc, per_source_concurrent_rekeying);
	tcase_add_test(tc, rate_sheds_then_recovers);
	tcase_add_test(tc, rate_per_source);
	tcase_add_test(tc, reflection_guard);
	tcase_add_test(tc, datagram_rules_and_rate);
	tcase_add_test(tc, refusal_log_suppressed);
	tcase_add_test(tc, too_many_services);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(access_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
