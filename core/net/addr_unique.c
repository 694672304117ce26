/*
 * addr_unique.c - no two services may listen on the same address.
 *
 * The same address (family, address, port and socket type, or unix path)
 * twice is an error at the second, naming the first.  So is a wildcard
 * next to a specific address on the same port and type (a bare PORT, which
 * is [::] serving IPv4 too, next to 127.0.0.1:PORT): Linux refuses to bind
 * the second.  Sorting keeps the check O(n log n) on a hostile file.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf.h"
#include "diag.h"

/* One listen address in the whole file, for the uniqueness check. */
struct listen_ref {
	const struct listen_addr *la;
	const struct service_conf *svc;
	size_t order;                  /* position in the file's order */
	const struct listen_ref *clash; /* earlier address in the way, or NULL */
	int exact;                     /* clash is the very same address */
};

/* Kinds of inet address, for wildcard overlap. */
enum addr_kind { V4_ONE, V4_ANY, V6_ONE, V6_ANY, DUAL_ANY, ADDR_KINDS };

static enum addr_kind listen_kind(const struct listen_addr *la)
{
	if (la->family == AF_INET)
		return ((const struct sockaddr_in *)&la->ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY) ? V4_ANY : V4_ONE;
	if (la->dual)
		return DUAL_ANY;
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&la->ss)->sin6_addr)
	       ? V6_ANY : V6_ONE;
}

/* Port of an inet address, host order. */
static unsigned listen_port(const struct listen_addr *la)
{
	if (la->family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&la->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&la->ss)->sin6_port);
}

/* Sort: unix after inet; inet by socktype, port, then address; then order. */
static int listen_ref_cmp(const void *pa, const void *pb)
{
	const struct listen_ref *x = pa, *y = pb;
	const struct listen_addr *a = x->la, *b = y->la;
	int c = (a->family == AF_UNIX) - (b->family == AF_UNIX);

	if (c)
		return c;
	if (a->family == AF_UNIX) {
		c = strcmp(((const struct sockaddr_un *)&a->ss)->sun_path,
		           ((const struct sockaddr_un *)&b->ss)->sun_path);
	} else {
		c = a->socktype - b->socktype;
		if (!c)
			c = (int)listen_port(a) - (int)listen_port(b);
		if (!c)
			c = a->family - b->family;
		if (!c && a->family == AF_INET)
			c = memcmp(&((const struct sockaddr_in *)&a->ss)->sin_addr,
			           &((const struct sockaddr_in *)&b->ss)->sin_addr, 4);
		if (!c && a->family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)&a->ss, *t = (const void *)&b->ss;

			c = memcmp(&s->sin6_addr, &t->sin6_addr, 16);
			if (!c)
				c = (s->sin6_scope_id > t->sin6_scope_id) -
				    (s->sin6_scope_id < t->sin6_scope_id);
		}
	}
	if (c)
		return c;
	return (x->order > y->order) - (x->order < y->order);
}

/* The earlier of two candidates (NULL counts as never). */
static const struct listen_ref *earliest(const struct listen_ref *a,
                                         const struct listen_ref *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a->order < b->order ? a : b;
}

/*
 * In one group (same socktype and port), find for each address the first
 * earlier one it cannot coexist with: the same address, or a wildcard
 * covering it (or, for a wildcard, a specific address it covers).
 */
static void check_inet_group(struct listen_ref *g, size_t n)
{
	const struct listen_ref *first[ADDR_KINDS] = { 0 };
	const struct listen_ref *run = g;

	for (size_t i = 0; i < n; i++) {
		enum addr_kind k = listen_kind(g[i].la);

		first[k] = earliest(first[k], &g[i]);
		if (i > 0 && addr_listen_equal(run->la, g[i].la)) {
			g[i].clash = run;
			g[i].exact = 1;
		} else {
			run = &g[i];
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct listen_ref *c = NULL;

		if (g[i].clash)
			continue;
		switch (listen_kind(g[i].la)) {
		case V4_ONE: c = earliest(first[V4_ANY], first[DUAL_ANY]); break;
		case V6_ONE: c = earliest(first[V6_ANY], first[DUAL_ANY]); break;
		case V4_ANY: c = earliest(first[V4_ONE], first[DUAL_ANY]); break;
		case V6_ANY: c = first[V6_ONE]; break;
		case DUAL_ANY:
			c = earliest(earliest(first[V4_ONE], first[V4_ANY]), first[V6_ONE]);
			break;
		default: break;
		}
		if (c && c->order < g[i].order)
			g[i].clash = c;
	}
}

/* Same unix path: every later one is the same address as the first. */
static void check_unix_group(struct listen_ref *g, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		g[i].clash = &g[0];
		g[i].exact = 1;
	}
}

/* Do a and b belong to the same group (socktype+port, or unix path)? */
static int same_group(const struct listen_addr *a, const struct listen_addr *b)
{
	if ((a->family == AF_UNIX) != (b->family == AF_UNIX))
		return 0;
	if (a->family == AF_UNIX)
		return addr_listen_equal(a, b);
	return a->socktype == b->socktype && listen_port(a) == listen_port(b);
}

/* Order refs back by position in the file, for reporting. */
static int listen_ref_order_cmp(const void *pa, const void *pb)
{
	const struct listen_ref *const *x = pa, *const *y = pb;

	return ((*x)->order > (*y)->order) - ((*x)->order < (*y)->order);
}

/* Report each clash at the later address, in file order. */
static unsigned report_clashes(struct listen_ref *refs, size_t n)
{
	struct listen_ref **bad = calloc(n ? n : 1, sizeof(*bad));
	size_t nbad = 0;

	if (!bad) {
		diag_pos(NULL, 0, 0, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (refs[i].clash)
			bad[nbad++] = &refs[i];
	qsort(bad, nbad, sizeof(*bad), listen_ref_order_cmp);
	for (size_t i = 0; i < nbad; i++) {
		const struct listen_ref *r = bad[i], *c = r->clash;

		if (r->exact)
			diag_at(r->la->at, "service '%s': listen: %s is already used "
			        "by service '%s' at %s:%u", r->svc->name, r->la->text,
			        c->svc->name, c->la->at->file, c->la->at->line);
		else
			diag_at(r->la->at, "service '%s': listen: %s overlaps %s of "
			        "service '%s' at %s:%u (a wildcard and a specific "
			        "address cannot share a port)", r->svc->name,
			        r->la->text, c->la->text, c->svc->name,
			        c->la->at->file, c->la->at->line);
	}
	free(bad);
	return (unsigned)nbad;
}

unsigned addr_check_unique(const struct service_conf *svcs, size_t n)
{
	struct listen_ref *refs;
	size_t total = 0, k = 0;
	unsigned problems;

	for (size_t s = 0; s < n; s++)
		total += svcs[s].nlisten;
	if (total < 2)
		return 0;
	refs = calloc(total, sizeof(*refs));
	if (!refs) {
		diag_pos(NULL, 0, 0, "out of memory");
		return 1;
	}
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < svcs[s].nlisten; i++, k++)
			refs[k] = (struct listen_ref){ .la = &svcs[s].listen[i],
			                               .svc = &svcs[s], .order = k };
	qsort(refs, total, sizeof(*refs), listen_ref_cmp);
	for (size_t start = 0, end; start < total; start = end) {
		for (end = start + 1; end < total; end++)
			if (!same_group(refs[start].la, refs[end].la))
				break;
		if (refs[start].la->family == AF_UNIX)
			check_unix_group(refs + start, end - start);
		else
			check_inet_group(refs + start, end - start);
	}
	problems = report_clashes(refs, total);
	free(refs);
	return problems;
}
