/*
 * test_proxy.c - the PROXY protocol parser: v1 and v2 headers that are
 * valid (with payload after them, byte by byte), LOCAL and UNKNOWN, and
 * every malformed form, each refused with a reason.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static struct proxy_result r;
static const char *why;

/* Parse a C string. */
static enum proxy_status parse_s(const char *s)
{
	return proxy_parse((const unsigned char *)s, strlen(s), &r, &why);
}

/* A v2 header: ver_cmd, fam, then body bytes; returns its length. */
static size_t v2(unsigned char *out, unsigned char vc, unsigned char fam,
                 const unsigned char *body, size_t n)
{
	memcpy(out, sig, 12);
	out[12] = vc;
	out[13] = fam;
	out[14] = (unsigned char)(n >> 8);
	out[15] = (unsigned char)n;
	if (n)
		memcpy(out + 16, body, n);
	return 16 + n;
}

/* The text of an IPv4/IPv6 address and its port. */
static const char *ip_of(const struct sockaddr_storage *ss, unsigned *port)
{
	static char buf[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
	}
	*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
	                 buf, sizeof(buf));
}

START_TEST(v1_tcp4)
{
	const char *h = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET /";
	unsigned port;

	ck_assert_int_eq(parse_s(h), PROXY_DONE);
	ck_assert_int_eq(r.version, 1);
	ck_assert_uint_eq(r.len, strlen(h) - 5);
	ck_assert_int_eq(r.has_addr, 1);
	ck_assert_str_eq(ip_of(&r.src, &port), "192.0.2.7");
	ck_assert_uint_eq(port, 56324);
	ck_assert_str_eq(ip_of(&r.dst, &port), "198.51.100.1");
	ck_assert_uint_eq(port, 443);
}
END_TEST

START_TEST(v1_tcp6_and_unknown)
{
	unsigned port;

	ck_assert_int_eq(parse_s("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n"), PROXY_DONE);
	ck_assert_str_eq(ip_of(&r.src, &port), "2001:db8::1");
	ck_assert_uint_eq(port, 0);
	ck_assert_str_eq(ip_of(&r.dst, &port), "::1");
	ck_assert_uint_eq(port, 65535);
	ck_assert_int_eq(parse_s("PROXY UNKNOWN\r\n"), PROXY_DONE);
	ck_assert_int_eq(r.has_addr, 0);
	ck_assert_uint_eq(r.len, 15);
	ck_assert_int_eq(parse_s("PROXY UNKNOWN ffff::1 ::1 1 2\r\n"), PROXY_DONE);
	ck_assert_int_eq(r.has_addr, 0);
}
END_TEST

/* Every prefix of a valid header needs more; none is refused early. */
START_TEST(v1_byte_by_byte)
{
	const char *h = "PROXY TCP4 10.1.2.3 10.0.0.1 1000 80\r\n";

	for (size_t i = 0; i < strlen(h); i++)
		ck_assert_int_eq(proxy_parse((const unsigned char *)h, i, &r, &why),
		                 PROXY_NEED_MORE);
	ck_assert_int_eq(parse_s(h), PROXY_DONE);
}
END_TEST

START_TEST(v1_malformed)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n",
		"PROXZ TCP4 1.2.3.4 1.2.3.4 1 2\r\n",
		"proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n",
		"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n",
		"PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n",
		"PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n",
		"PROXY TCP4 ::1 1.2.3.4 1 2\r\n",
		"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 +1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2x\r\n",
		"PROXY TCP4 1.2.3.4\t1.2.3.4 1 2\r\n",
		"PROXY \r\n",
		"PROXY\r\n",
		"PROXY UNKNOWNX\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\xff\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(parse_s(bad[i]) == PROXY_BAD, "accepted: %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

/* A v1 line without CRLF in 107 bytes is refused, not waited for. */
START_TEST(v1_too_long)
{
	char h[200] = "PROXY UNKNOWN ";

	memset(h + strlen(h), 'a', 150);
	h[164] = '\0';
	ck_assert_int_eq(proxy_parse((const unsigned char *)h, 106, &r, &why),
	                 PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_parse((const unsigned char *)h, 107, &r, &why),
	                 PROXY_BAD);
	/* 107 bytes with the CRLF at the very end are fine. */
	h[105] = '\r';
	h[106] = '\n';
	ck_assert_int_eq(proxy_parse((const unsigned char *)h, 107, &r, &why),
	                 PROXY_DONE);
	ck_assert_uint_eq(r.len, 107);
}
END_TEST

START_TEST(v2_inet_with_tlvs)
{
	unsigned char body[12 + 3 + 4 + 3] = {
		203, 0, 113, 9, 127, 0, 0, 1, 0xc3, 0x50, 0x01, 0xbb,
		0x04, 0x00, 0x04, 'n', 'o', 'o', 'p', /* NOOP TLV */
		0x01, 0x00, 0x00,                      /* empty ALPN TLV */
	};
	unsigned char h[64 + 8];
	size_t n = v2(h, 0x21, 0x11, body, sizeof(body));
	unsigned port;

	memcpy(h + n, "DATA", 4);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(proxy_parse(h, i, &r, &why), PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_parse(h, n + 4, &r, &why), PROXY_DONE);
	ck_assert_int_eq(r.version, 2);
	ck_assert_uint_eq(r.len, n);
	ck_assert_int_eq(r.has_addr, 1);
	ck_assert_str_eq(ip_of(&r.src, &port), "203.0.113.9");
	ck_assert_uint_eq(port, 50000);
	ck_assert_str_eq(ip_of(&r.dst, &port), "127.0.0.1");
	ck_assert_uint_eq(port, 443);
}
END_TEST

START_TEST(v2_inet6)
{
	unsigned char body[36] = { 0x20, 0x01, 0x0d, 0xb8 };
	unsigned char h[64];
	unsigned port;

	body[15] = 5;
	body[31] = 1; /* ::1 */
	body[32] = 0x12;
	body[33] = 0x34;
	body[35] = 80;
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x21, body, 36), &r, &why),
	                 PROXY_DONE);
	ck_assert_str_eq(ip_of(&r.src, &port), "2001:db8::5");
	ck_assert_uint_eq(port, 0x1234);
	ck_assert_str_eq(ip_of(&r.dst, &port), "::1");
	ck_assert_uint_eq(port, 80);
}
END_TEST

/* LOCAL, UNSPEC and UNIX keep the connection's own addresses. */
START_TEST(v2_local_unspec_unix)
{
	unsigned char body[216] = { 0 };
	unsigned char h[256];

	ck_assert_int_eq(proxy_parse(h, v2(h, 0x20, 0x00, NULL, 0), &r, &why),
	                 PROXY_DONE);
	ck_assert_int_eq(r.has_addr, 0);
	ck_assert_uint_eq(r.len, 16);
	/* LOCAL ignores whatever block it carries. */
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x20, 0x11, body, 5), &r, &why),
	                 PROXY_DONE);
	ck_assert_int_eq(r.has_addr, 0);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x00, NULL, 0), &r, &why),
	                 PROXY_DONE);
	ck_assert_int_eq(r.has_addr, 0);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x31, body, 216), &r, &why),
	                 PROXY_DONE);
	ck_assert_int_eq(r.has_addr, 0);
}
END_TEST

START_TEST(v2_malformed)
{
	unsigned char body[64] = { 0 };
	unsigned char h[128];

	ck_assert_int_eq(proxy_parse(h, v2(h, 0x11, 0x11, body, 12), &r, &why), PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x22, 0x11, body, 12), &r, &why), PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x41, body, 12), &r, &why), PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x13, body, 12), &r, &why), PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x12, body, 12), &r, &why), PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x11, body, 11), &r, &why), PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x21, body, 35), &r, &why), PROXY_BAD);
	/* A TLV that runs past the header, and one cut in its own header. */
	body[12] = 0x04;
	body[14] = 9;
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x11, body, 12 + 3 + 8), &r, &why),
	                 PROXY_BAD);
	ck_assert_int_eq(proxy_parse(h, v2(h, 0x21, 0x11, body, 14), &r, &why), PROXY_BAD);
	/* The version byte is judged as soon as it arrives. */
	v2(h, 0x31, 0x11, body, 12);
	ck_assert_int_eq(proxy_parse(h, 13, &r, &why), PROXY_BAD);
	/* A broken signature, at any byte. */
	for (size_t i = 0; i < 12; i++) {
		v2(h, 0x21, 0x11, body, 12);
		h[i] ^= 0x40;
		ck_assert_int_eq(proxy_parse(h, i + 1, &r, &why), PROXY_BAD);
	}
}
END_TEST

/* Longer than PROXY_HEADER_MAX: refused from the length field alone. */
START_TEST(v2_too_long)
{
	unsigned char h[16];

	memcpy(h, sig, 12);
	h[12] = 0x21;
	h[13] = 0x11;
	h[14] = 0xff;
	h[15] = 0xff;
	ck_assert_int_eq(proxy_parse(h, 16, &r, &why), PROXY_BAD);
	h[14] = (PROXY_HEADER_MAX - 16) >> 8;
	h[15] = (PROXY_HEADER_MAX - 16) & 0xff;
	ck_assert_int_eq(proxy_parse(h, 16, &r, &why), PROXY_NEED_MORE);
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, v1_tcp4);
	tcase_add_test(tc, v1_tcp6_and_unknown);
	tcase_add_test(tc, v1_byte_by_byte);
	tcase_add_test(tc, v1_malformed);
	tcase_add_test(tc, v1_too_long);
	tcase_add_test(tc, v2_inet_with_tlvs);
	tcase_add_test(tc, v2_inet6);
	tcase_add_test(tc, v2_local_unspec_unix);
	tcase_add_test(tc, v2_malformed);
	tcase_add_test(tc, v2_too_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proxy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
