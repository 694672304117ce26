/*
 * proxy.c - parse a PROXY protocol v1 or v2 header (HAProxy's
 * doc/proxy-protocol.txt).  Strict: a v1 line has exactly one space
 * between fields, numeric addresses of the family it names, decimal ports
 * without leading zeros; a v2 header has version 2, a known command and
 * family, an address block that fits its length, and TLVs that fit the
 * rest exactly (their contents are skipped, never interpreted).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy.h"

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1_sig[] = "PROXY ";

#define V2_FIXED 16        /* signature, ver/cmd, family, length */
#define V2_INET_LEN 12     /* two IPv4 addresses and two ports */
#define V2_INET6_LEN 36
#define V2_UNIX_LEN 216

/* Set *why and say BAD. */
static enum proxy_status bad(const char **why, const char *text)
{
	*why = text;
	return PROXY_BAD;
}

/*
 * One v1 field: the text up to the next space (or to end), at most
 * size - 1 bytes, copied as a C string.  Returns the byte after it, or NULL.
 */
static const char *v1_field(const char *p, const char *end, char *out,
                            size_t size)
{
	size_t n = 0;

	while (p + n < end && p[n] != ' ')
		n++;
	if (n == 0 || n >= size)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return p + n;
}

/* A decimal port, 0..65535, no sign, no leading zero.  0 or -1. */
static int v1_port(const char *s, unsigned short *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = htons((unsigned short)v);
	return 0;
}

/* Fill one address of family fam from text ip and port text. 0 or -1. */
static int v1_addr(int fam, const char *ip, const char *port,
                   struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		in->sin_family = AF_INET;
		if (inet_pton(AF_INET, ip, &in->sin_addr) != 1)
			return -1;
		return v1_port(port, &in->sin_port);
	}
	in6->sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) != 1)
		return -1;
	return v1_port(port, &in6->sin6_port);
}

/*
 * The fields of a v1 line after "PROXY " (line: up to, not including,
 * the CR).  "UNKNOWN" with anything after it keeps the real addresses.
 */
static enum proxy_status v1_fields(const char *p, const char *end,
                                   struct proxy_result *r, const char **why)
{
	char f[4][INET6_ADDRSTRLEN];
	int fam;

	if ((size_t)(end - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (p + 7 == end || p[7] == ' ')) {
		r->has_addr = 0;
		return PROXY_DONE;
	}
	if ((size_t)(end - p) > 5 && memcmp(p, "TCP4 ", 5) == 0)
		fam = AF_INET;
	else if ((size_t)(end - p) > 5 && memcmp(p, "TCP6 ", 5) == 0)
		fam = AF_INET6;
	else
		return bad(why, "v1: unknown protocol (TCP4, TCP6 or UNKNOWN)");
	p += 5;
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (p >= end || *p != ' ')
				return bad(why, "v1: missing field");
			p++;
		}
		p = v1_field(p, end, f[i], sizeof(f[i]));
		if (!p)
			return bad(why, "v1: empty or overlong field");
	}
	if (p != end)
		return bad(why, "v1: extra fields");
	if (v1_addr(fam, f[0], f[2], &r->src) < 0 ||
	    v1_addr(fam, f[1], f[3], &r->dst) < 0)
		return bad(why, "v1: bad address or port");
	r->has_addr = 1;
	r->addr_len = fam == AF_INET ? sizeof(struct sockaddr_in)
	                             : sizeof(struct sockaddr_in6);
	return PROXY_DONE;
}

/* A v1 header: "PROXY " ... CRLF within PROXY_V1_MAX bytes. */
static enum proxy_status parse_v1(const unsigned char *buf, size_t len,
                                  struct proxy_result *r, const char **why)
{
	const unsigned char *lf = memchr(buf, '\n', len < PROXY_V1_MAX ? len : PROXY_V1_MAX);

	if (!lf)
		return len >= PROXY_V1_MAX ? bad(why, "v1: line longer than 107 bytes")
		                           : PROXY_NEED_MORE;
	if (lf == buf || lf[-1] != '\r')
		return bad(why, "v1: line does not end with CRLF");
	for (const unsigned char *p = buf; p < lf - 1; p++)
		if (*p < 0x20 || *p > 0x7e)
			return bad(why, "v1: control or non-ASCII byte");
	r->version = 1;
	r->len = (size_t)(lf - buf) + 1;
	return v1_fields((const char *)buf + 6, (const char *)lf - 1, r, why);
}

/* v2 TLVs: type, 16-bit length, value; each must fit, none is read. */
static enum proxy_status v2_tlvs(const unsigned char *p, size_t n,
                                 const char **why)
{
	while (n > 0) {
		size_t vlen;

		if (n < 3)
			return bad(why, "v2: truncated TLV");
		vlen = (size_t)p[1] << 8 | p[2];
		if (vlen > n - 3)
			return bad(why, "v2: TLV longer than the header");
		p += 3 + vlen;
		n -= 3 + vlen;
	}
	return PROXY_DONE;
}

/* The address block of a v2 PROXY command for an IPv4 or IPv6 family. */
static void v2_addrs(int fam, const unsigned char *a, struct proxy_result *r)
{
	memset(&r->src, 0, sizeof(r->src));
	memset(&r->dst, 0, sizeof(r->dst));
	if (fam == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&r->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&r->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		memcpy(&d->sin_addr, a + 4, 4);
		memcpy(&s->sin_port, a + 8, 2);
		memcpy(&d->sin_port, a + 10, 2);
		r->addr_len = sizeof(struct sockaddr_in);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&r->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&r->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		memcpy(&d->sin6_addr, a + 16, 16);
		memcpy(&s->sin6_port, a + 32, 2);
		memcpy(&d->sin6_port, a + 34, 2);
		r->addr_len = sizeof(struct sockaddr_in6);
	}
	r->has_addr = 1;
}

/* The fixed part of a v2 header, as far as it has arrived. */
static enum proxy_status v2_fixed(const unsigned char *buf, size_t len,
                                  size_t *body, const char **why)
{
	if (len > 12 && (buf[12] >> 4) != 2)
		return bad(why, "v2: version is not 2");
	if (len > 12 && (buf[12] & 0x0f) > 1)
		return bad(why, "v2: unknown command");
	if (len > 13 && buf[12] == 0x21 && ((buf[13] >> 4) > 3 || (buf[13] & 0x0f) > 2))
		return bad(why, "v2: unknown family or transport");
	if (len < V2_FIXED)
		return PROXY_NEED_MORE;
	*body = (size_t)buf[14] << 8 | buf[15];
	if (*body > PROXY_HEADER_MAX - V2_FIXED)
		return bad(why, "v2: header longer than 4096 bytes");
	return PROXY_DONE;
}

/* A v2 header: fixed part, address block, TLVs. */
static enum proxy_status parse_v2(const unsigned char *buf, size_t len,
                                  struct proxy_result *r, const char **why)
{
	static const size_t alen[4] = { 0, V2_INET_LEN, V2_INET6_LEN, V2_UNIX_LEN };
	enum proxy_status st;
	size_t body = 0, need;
	unsigned fam, transport;

	st = v2_fixed(buf, len, &body, why);
	if (st != PROXY_DONE)
		return st;
	if (len < V2_FIXED + body)
		return PROXY_NEED_MORE;
	r->version = 2;
	r->len = V2_FIXED + body;
	r->has_addr = 0;
	if ((buf[12] & 0x0f) == 0)
		return PROXY_DONE; /* LOCAL: the block is ignored */
	fam = buf[13] >> 4;
	transport = buf[13] & 0x0f;
	if (transport == 2)
		return bad(why, "v2: a datagram header on a stream");
	need = alen[fam];
	if (body < need)
		return bad(why, "v2: address block shorter than its family needs");
	if (fam == 1 || fam == 2)
		v2_addrs(fam == 1 ? AF_INET : AF_INET6, buf + V2_FIXED, r);
	/* UNSPEC and UNIX senders keep the connection's own addresses. */
	return v2_tlvs(buf + V2_FIXED + need, body - need, why);
}

/* See proxy.h. */
enum proxy_status proxy_parse(const unsigned char *buf, size_t len,
                              struct proxy_result *r, const char **why)
{
	size_t n;

	*why = NULL;
	memset(r, 0, sizeof(*r));
	if (len == 0)
		return PROXY_NEED_MORE;
	if (buf[0] == v1_sig[0]) {
		n = len < 6 ? len : 6;
		if (memcmp(buf, v1_sig, n) != 0)
			return bad(why, "not a PROXY header");
		return len < 6 ? PROXY_NEED_MORE : parse_v1(buf, len, r, why);
	}
	n = len < 12 ? len : 12;
	if (memcmp(buf, v2_sig, n) != 0)
		return bad(why, "not a PROXY header");
	return len < 12 ? PROXY_NEED_MORE : parse_v2(buf, len, r, why);
}
