/*
 * addr.c - listen addresses and allow/deny prefixes.
 *
 * Listen forms: `PORT` (every address, IPv4 and IPv6), `*:PORT` (the same),
 * `HOST:PORT`, `[IPV6]:PORT` and `unix:/path`.  PORT is 1..65535 or a name
 * from /etc/services; HOST is a numeric address or a name resolved once,
 * here, with getaddrinfo (every distinct address it gives, up to 16).
 * Each address is expanded once per protocol.
 * Errors are reported at the entry's position and say what was wrong.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "diag.h"

/* One resolved host address, before a port and protocol are added. */
struct host_addr {
	int family;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int wildcard_dual; /* bare PORT: [::] serving IPv4 too */
};

/* Report at node with the context's prefix. */
static void addr_error(const struct addr_ctx *ctx, const struct superd_opt *at,
                       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void addr_error(const struct addr_ctx *ctx, const struct superd_opt *at,
                       const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_at(at, "%s%s", ctx->prefix ? ctx->prefix : "", msg);
}

/*
 * A port: 1..65535 in decimal, or a service name looked up for proto
 * ("tcp" or "udp").  Host byte order in *port.  0 or -1 (reported).
 */
static int parse_port(struct addr_ctx *ctx, const struct superd_opt *at,
                      const char *text, const char *proto, unsigned *port)
{
	struct servent *se;
	unsigned long v = 0;
	size_t i;

	if (!*text) {
		addr_error(ctx, at, "missing port in '%.100s'", at->str);
		return -1;
	}
	for (i = 0; isdigit((unsigned char)text[i]); i++)
		if (v <= 65535)
			v = v * 10 + (unsigned)(text[i] - '0');
	if (text[i] == '\0') {
		if (v < 1 || v > 65535) {
			addr_error(ctx, at, "port %.20s out of range (1..65535)", text);
			return -1;
		}
		*port = (unsigned)v;
		return 0;
	}
	for (i = 0; text[i]; i++)
		if (!isalnum((unsigned char)text[i]) && !strchr("-_.+", text[i]))
			break;
	if (text[i] || !isalpha((unsigned char)text[0])) {
		addr_error(ctx, at, "bad port '%.100s'", text);
		return -1;
	}
	se = getservbyname(text, proto);
	if (!se) {
		addr_error(ctx, at, "unknown %s service '%.100s' (not in /etc/services)",
		           proto, text);
		return -1;
	}
	*port = ntohs((unsigned short)se->s_port);
	return 0;
}

/* Set the port of an IPv4 or IPv6 address. */
static void set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
}

/* Canonical text of an inet listen address: "1.2.3.4:7/tcp". */
static void inet_text(struct listen_addr *la)
{
	const char *proto = la->socktype == SOCK_DGRAM ? "udp" : "tcp";
	char host[INET6_ADDRSTRLEN + 20] = "?"; /* address and %scope */
	unsigned port;

	if (la->family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&la->ss)->sin_port);
	else
		port = ntohs(((struct sockaddr_in6 *)&la->ss)->sin6_port);
	if (la->dual) {
		snprintf(la->text, sizeof(la->text), "*:%u/%s", port, proto);
		return;
	}
	getnameinfo((struct sockaddr *)&la->ss, la->sslen, host, sizeof(host),
	            NULL, 0, NI_NUMERICHOST);
	if (la->family == AF_INET6)
		snprintf(la->text, sizeof(la->text), "[%s]:%u/%s", host, port, proto);
	else
		snprintf(la->text, sizeof(la->text), "%s:%u/%s", host, port, proto);
}

/*
 * Append la to *out unless an equal address was already appended by this
 * entry (a name listed twice in /etc/hosts).  0 or -1 (reported).
 */
static int append_listen(struct addr_ctx *ctx, const struct listen_addr *la,
                         struct listen_addr **out, size_t *n, size_t first)
{
	struct listen_addr *bigger;

	for (size_t i = first; i < *n; i++)
		if (addr_listen_equal(&(*out)[i], la))
			return 0;
	if (ctx->total >= ADDR_MAX_LISTEN) {
		addr_error(ctx, la->at, "too many listen addresses (more than %d)",
		           ADDR_MAX_LISTEN);
		return -1;
	}
	bigger = realloc(*out, (*n + 1) * sizeof(**out));
	if (!bigger) {
		addr_error(ctx, la->at, "out of memory");
		return -1;
	}
	*out = bigger;
	(*out)[(*n)++] = *la;
	ctx->total++;
	return 0;
}

/* `unix:PATH`: stream only; a relative path starts at the config dir. */
static int parse_unix(struct addr_ctx *ctx, const struct superd_opt *at,
                      const char *path, unsigned protocols,
                      struct listen_addr **out, size_t *n)
{
	struct listen_addr la = { .family = AF_UNIX, .socktype = SOCK_STREAM,
	                          .proto = SUPERD_PROTO_UNIX, .at = at };
	struct sockaddr_un *sun = (struct sockaddr_un *)&la.ss;
	char full[PATH_MAX + sizeof(sun->sun_path)];

	if (protocols & SUPERD_PROTO_UDP) {
		addr_error(ctx, at, "unix sockets are stream only: protocol udp "
		           "cannot be used with '%.100s'", at->str);
		return -1;
	}
	if (!*path) {
		addr_error(ctx, at, "missing path after 'unix:'");
		return -1;
	}
	if (path[0] == '/' || !ctx->dir)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", ctx->dir, path);
	if (strlen(full) >= sizeof(sun->sun_path)) {
		addr_error(ctx, at, "unix socket path too long (%zu bytes, max %zu): %.100s",
		           strlen(full), sizeof(sun->sun_path) - 1, full);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, full, strlen(full) + 1);
	la.sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(full) + 1);
	snprintf(la.text, sizeof(la.text), "unix:%.*s",
	         (int)sizeof(sun->sun_path), full);
	return append_listen(ctx, &la, out, n, *n);
}

/* Does text look like a dotted IPv4 address (digits and dots only)? */
static int looks_like_ipv4(const char *text)
{
	return *text && strspn(text, "0123456789.") == strlen(text);
}

/*
 * Resolve host into hosts[] (at most max): numeric IPv4/IPv6 first, then a
 * name through getaddrinfo (counted against the lookup budget).
 * Returns how many, or -1 (reported).
 */
static int resolve_host(struct addr_ctx *ctx, const struct superd_opt *at,
                        const char *host, int v6_only_literal,
                        struct host_addr *hosts, int max)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int rc, count = 0;

	hints.ai_family = v6_only_literal ? AF_INET6 : AF_UNSPEC;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 && (v6_only_literal || looks_like_ipv4(host))) {
		addr_error(ctx, at, "bad %s address '%.100s'",
		           v6_only_literal ? "IPv6" : "IPv4", host);
		return -1;
	}
	if (rc != 0) {
		if (ctx->lookups >= ADDR_MAX_LOOKUPS) {
			addr_error(ctx, at, "too many host names to resolve (more than %d);"
			           " write addresses instead", ADDR_MAX_LOOKUPS);
			return -1;
		}
		ctx->lookups++;
		hints.ai_flags = 0;
		rc = getaddrinfo(host, NULL, &hints, &res);
	}
	if (rc != 0) {
		addr_error(ctx, at, "cannot resolve host '%.100s': %s", host,
		           gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && count < max; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(hosts[0].ss))
			continue;
		hosts[count] = (struct host_addr){ .family = ai->ai_family,
		                                   .sslen = ai->ai_addrlen };
		memcpy(&hosts[count].ss, ai->ai_addr, ai->ai_addrlen);
		count++;
	}
	freeaddrinfo(res);
	if (count == 0) {
		addr_error(ctx, at, "host '%.100s' has no IPv4 or IPv6 address", host);
		return -1;
	}
	return count;
}

/* The wildcard a bare PORT means: [::] with IPv4 served too. */
static int dual_host(struct host_addr *hosts)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&hosts[0].ss;

	hosts[0] = (struct host_addr){ .family = AF_INET6,
	                               .sslen = sizeof(*sin6),
	                               .wildcard_dual = 1 };
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_any;
	return 1;
}

/* The socket protocols a listen entry expands to. */
static const struct {
	unsigned bit;
	int socktype;
	const char *name;
} listen_protos[2] = {
	{ SUPERD_PROTO_TCP, SOCK_STREAM, "tcp" },
	{ SUPERD_PROTO_UDP, SOCK_DGRAM, "udp" },
};

/* The port for each requested protocol (checked before any DNS). */
static int parse_ports(struct addr_ctx *ctx, const struct superd_opt *at,
                       const char *port_text, unsigned protocols,
                       unsigned ports[2])
{
	for (size_t p = 0; p < 2; p++)
		if ((protocols & listen_protos[p].bit) &&
		    parse_port(ctx, at, port_text, listen_protos[p].name,
		               &ports[p]) < 0)
			return -1;
	return 0;
}

/* Append every host x every requested protocol, each with its port. */
static int expand_listen(struct addr_ctx *ctx, const struct superd_opt *at,
                         const struct host_addr *hosts, int nhosts,
                         const unsigned ports[2], unsigned protocols,
                         struct listen_addr **out, size_t *n)
{
	size_t first = *n;

	for (size_t p = 0; p < 2; p++) {
		if (!(protocols & listen_protos[p].bit))
			continue;
		for (int h = 0; h < nhosts; h++) {
			struct listen_addr la = {
				.family = hosts[h].family,
				.socktype = listen_protos[p].socktype,
				.proto = listen_protos[p].bit, .ss = hosts[h].ss,
				.sslen = hosts[h].sslen, .dual = hosts[h].wildcard_dual,
				.at = at,
			};

			set_port(&la.ss, ports[p]);
			inet_text(&la);
			if (append_listen(ctx, &la, out, n, first) < 0)
				return -1;
		}
	}
	return 0;
}

/* Split "HOST:PORT" / "[V6]:PORT" / "PORT"; resolve; expand. */
static int parse_inet(struct addr_ctx *ctx, const struct superd_opt *at,
                      unsigned protocols, struct listen_addr **out, size_t *n)
{
	struct host_addr hosts[16];
	unsigned ports[2] = { 0, 0 };
	char host[256];
	const char *text = at->str, *port, *colon;
	int nhosts, v6 = 0;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			addr_error(ctx, at, "bad address '%.100s' (expected [IPV6]:PORT)", text);
			return -1;
		}
		if ((size_t)(close - text - 1) >= sizeof(host)) {
			addr_error(ctx, at, "bad IPv6 address in '%.100s'", text);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - text - 1), text + 1);
		port = close + 2;
		v6 = 1;
	} else if ((colon = strrchr(text, ':')) != NULL) {
		if (strchr(text, ':') != colon) {
			addr_error(ctx, at, "an IPv6 address needs brackets: "
			           "[ADDRESS]:PORT, not '%.100s'", text);
			return -1;
		}
		if (colon == text) {
			addr_error(ctx, at, "missing host before ':' in '%.100s'", text);
			return -1;
		}
		if ((size_t)(colon - text) >= sizeof(host)) {
			addr_error(ctx, at, "host name too long in '%.100s'", text);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
		port = colon + 1;
	} else {
		snprintf(host, sizeof(host), "*");
		port = text;
	}
	if (parse_ports(ctx, at, port, protocols, ports) < 0)
		return -1;
	if (strcmp(host, "*") == 0)
		nhosts = dual_host(hosts);
	else
		nhosts = resolve_host(ctx, at, host, v6, hosts,
		                      (int)(sizeof(hosts) / sizeof(hosts[0])));
	if (nhosts < 0)
		return -1;
	return expand_listen(ctx, at, hosts, nhosts, ports, protocols, out, n);
}

int addr_parse_listen_in(struct addr_ctx *ctx, const struct superd_opt *at,
                         unsigned protocols, struct listen_addr **out,
                         size_t *n)
{
	char what[64];

	if (!at || at->kind != SUPERD_OPT_SCALAR || conftree_is_null(at)) {
		addr_error(ctx, at, "expected an address (PORT, HOST:PORT, "
		           "[IPV6]:PORT or unix:/path), got %s",
		           conftree_what(at, what, sizeof(what)));
		return -1;
	}
	if (!(protocols & (SUPERD_PROTO_TCP | SUPERD_PROTO_UDP)))
		protocols |= SUPERD_PROTO_TCP;
	if (strncmp(at->str, "unix:", 5) == 0)
		return parse_unix(ctx, at, at->str + 5, protocols, out, n);
	return parse_inet(ctx, at, protocols, out, n);
}

/* The public form: relative unix paths start at the node's file's dir. */
int addr_parse_listen(const struct superd_opt *at, unsigned protocols,
                      struct listen_addr **out, size_t *n)
{
	struct addr_ctx ctx = { 0 };
	char *copy = at && at->file ? strdup(at->file) : NULL;
	char *dir = copy ? realpath(dirname(copy), NULL) : NULL;
	int rc;

	ctx.dir = dir;
	rc = addr_parse_listen_in(&ctx, at, protocols, out, n);
	free(dir);
	free(copy);
	return rc;
}

int addr_listen_equal(const struct listen_addr *a, const struct listen_addr *b)
{
	if (a->family != b->family || a->socktype != b->socktype)
		return 0;
	if (a->family == AF_UNIX)
		return strcmp(((const struct sockaddr_un *)&a->ss)->sun_path,
		              ((const struct sockaddr_un *)&b->ss)->sun_path) == 0;
	if (a->family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;

		return x->sin6_port == y->sin6_port &&
		       x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/* Keep the first prefix bits of addr (len bytes), zero the rest. */
static void mask_bits(unsigned char *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		addr[i] &= (unsigned char)(0xff << (8 - prefix));
		prefix = 0;
	}
}

/*
 * "A.B.C.D/N", "X::/N" or a bare address (a /32 or /128).  Host bits are
 * cleared; an IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/96+) becomes the IPv4
 * prefix it means, so it matches IPv4 and mapped peers alike.
 */
int addr_parse_cidr_why(const char *text, struct cidr *c, const char **why)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = text ? strchr(text, '/') : NULL;
	unsigned long prefix = 0;
	unsigned max;

	*why = "not an IPv4 or IPv6 address";
	if (!text || strlen(text) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash ? slash - text : (long)strlen(text)), text);
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else
		return -1;
	max = c->family == AF_INET ? 32 : 128;
	if (slash) {
		const char *p = slash + 1;

		*why = "the prefix length after '/' must be a number";
		if (!*p || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p))
			return -1;
		prefix = strtoul(p, NULL, 10);
		*why = c->family == AF_INET ? "prefix length too long for IPv4 (max 32)"
		                            : "prefix length too long for IPv6 (max 128)";
		if (prefix > max)
			return -1;
	} else {
		prefix = max;
	}
	c->prefix = (unsigned)prefix;
	mask_bits(c->addr, max / 8, c->prefix);
	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    memcmp(c->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix -= 96;
	}
	*why = NULL;
	return 0;
}

int addr_parse_cidr(const char *text, struct cidr *c)
{
	const char *why;

	return addr_parse_cidr_why(text, c, &why);
}

int addr_cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	const unsigned char *a;
	int family;
	unsigned full, rest;

	if (!c || !sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		a = in6->s6_addr;
		family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return 0;
	}
	if (family != c->family)
		return 0;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(a, c->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ c->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}
