/*
 * test_http_parse.c - the http request parser and the chunked decoder:
 * well-formed requests and their fields, and many malformed inputs, each
 * with the status it must get (RFC 9112 / RFC 9110, see
 * research/http-anchors.md §3).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/http/parse.h"

static struct http_limits lim;
static struct http_request req;

static void setup(void)
{
	http_limits_default(&lim);
	lim.max_body = 1000000;
}

static int parse(const char *s)
{
	return http_parse_request(s, strlen(s), &lim, &req);
}

static int slice_is(struct http_slice s, const char *want)
{
	return s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

/* Each case: raw request, expected result. */
static const struct {
	const char *raw;
	int status;
} cases[] = {
	/* fine */
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_PARSE_OK },
	{ "GET / HTTP/1.0\r\n\r\n", HTTP_PARSE_OK },
	{ "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_PARSE_OK },
	{ "GET http://x/index.html HTTP/1.1\r\nHost: y\r\n\r\n", HTTP_PARSE_OK },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_PARSE_OK },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: \x80\xff ok\r\n\r\n", HTTP_PARSE_OK },
	{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", HTTP_PARSE_OK },
	{ "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", HTTP_PARSE_OK },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", HTTP_PARSE_OK },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", HTTP_PARSE_OK },
	/* incomplete */
	{ "", HTTP_PARSE_INCOMPLETE },
	{ "GET / HTTP/1.1\r\nHost: a\r\n", HTTP_PARSE_INCOMPLETE },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r", HTTP_PARSE_INCOMPLETE },
	{ "GET / HTT", HTTP_PARSE_INCOMPLETE },
	{ "\r\n", HTTP_PARSE_INCOMPLETE },
	/* Host (RFC 9112 §3.2) */
	{ "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400 },
	/* an absolute-form target beside a Host of only whitespace */
	{ "GET http://a/ HTTP/1.1\r\nHost: \t \r\n\r\n", 400 },
	{ "GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n", 400 },
	/* two spaces as a separator */
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* target forms (§3.2) */
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* request line shape */
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
	{ "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / \r\nHost: a\r\n\r\n", 400 },
	{ "GET /\r\n\r\n", 400 },
	{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* version (§2.3) */
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/01.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/3.0\r\n\r\n", 505 },
	/* methods (§3, RFC 9110 §9) */
	{ "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "AVERYLONGMETHODNAMEINDEED / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	/* line endings (§2.2) */
	{ "GET / HTTP/1.1\nHost: a\n\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n\rX: y\r\n\r\n", 400 },
	/* fields (§5) */
	{ "GET / HTTP/1.1\r\nHost: a\r\nX-Test : v\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n X: y\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX\x7f: v\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n", 400 },
	/* Content-Length (§6.3) */
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000001\r\n\r\n", 413 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413 },
	/* Transfer-Encoding (§6.1) */
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400 },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
};

START_TEST(test_table)
{
	int got = parse(cases[_i].raw);

	ck_assert_msg(got == cases[_i].status, "case %d (%s): got %d, want %d",
	              _i, cases[_i].raw, got, cases[_i].status);
}
END_TEST

START_TEST(test_fields)
{
	const char *s = "GET /a%20b/c?x=1&y HTTP/1.1\r\nHost: example.test:8080\r\n"
	                "User-Agent: t/1\r\nReferer: http://r/\r\n"
	                "If-None-Match: \"x\"\r\nRange: bytes=0-1\r\n"
	                "Connection: close\r\n\r\nNEXT";

	ck_assert_int_eq(parse(s), HTTP_PARSE_OK);
	ck_assert_int_eq(req.method, HTTP_M_GET);
	ck_assert(slice_is(req.target, "/a%20b/c?x=1&y"));
	ck_assert(slice_is(req.path, "/a%20b/c"));
	ck_assert(slice_is(req.query, "x=1&y"));
	ck_assert_int_eq(req.has_query, 1);
	ck_assert(slice_is(req.host, "example.test:8080"));
	ck_assert(slice_is(req.user_agent, "t/1"));
	ck_assert(slice_is(req.referer, "http://r/"));
	ck_assert(slice_is(req.if_none_match, "\"x\""));
	ck_assert(slice_is(req.range, "bytes=0-1"));
	ck_assert_int_eq(req.keep_alive, 0);
	ck_assert_int_eq(req.minor, 1);
	ck_assert_uint_eq(req.header_len, strlen(s) - 4);
	ck_assert_ptr_nonnull(http_field_get(&req, "user-agent"));
}
END_TEST

START_TEST(test_absolute_form)
{
	ck_assert_int_eq(parse("GET HTTP://Other:81?q HTTP/1.1\r\nHost: y\r\n\r\n"),
	                 HTTP_PARSE_OK);
	ck_assert(slice_is(req.host, "Other:81"));
	ck_assert(slice_is(req.path, "/"));
	ck_assert(slice_is(req.query, "q"));
}
END_TEST

START_TEST(test_keep_alive_rules)
{
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_PARSE_OK);
	ck_assert_int_eq(req.keep_alive, 1);
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_OK);
	ck_assert_int_eq(req.keep_alive, 0);
	ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
	                 HTTP_PARSE_OK);
	ck_assert_int_eq(req.keep_alive, 1);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, close\r\n\r\n"),
	                 HTTP_PARSE_OK);
	ck_assert_int_eq(req.keep_alive, 0);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
	                       "Expect: 100-continue\r\n\r\n"), HTTP_PARSE_OK);
	ck_assert_int_eq(req.chunked, 1);
	ck_assert_int_eq(req.expect_continue, 1);
	ck_assert_int_eq(req.keep_alive, 1);
	ck_assert_int_eq(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"),
	                 HTTP_PARSE_OK);
	ck_assert_int_eq(req.expect_continue, 0);
}
END_TEST

START_TEST(test_limits)
{
	char *big = malloc(40000);

	/* a request line longer than max_line: 414, even before its end */
	strcpy(big, "GET /");
	memset(big + 5, 'a', 9000);
	big[9005] = '\0';
	ck_assert_int_eq(parse(big), 414);
	strcpy(big + 9005, " HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_int_eq(parse(big), 414);
	/* a header block larger than max_header: 431 */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + strlen(big), 'b', 17000);
	big[28 + 17000] = '\0';
	ck_assert_int_eq(parse(big), 431);
	strcat(big, "\r\n\r\n");
	ck_assert_int_eq(parse(big), 431);
	/* too many fields: 431 */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 120; i++)
		strcat(big, "X: y\r\n");
	strcat(big, "\r\n");
	ck_assert_int_eq(parse(big), 431);
	free(big);
}
END_TEST

START_TEST(test_pipelined)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";

	ck_assert_int_eq(parse(s), HTTP_PARSE_OK);
	ck_assert(slice_is(req.path, "/1"));
	ck_assert_int_eq(http_parse_request(s + req.header_len, strlen(s) - req.header_len,
	                                    &lim, &req), HTTP_PARSE_OK);
	ck_assert(slice_is(req.path, "/2"));
}
END_TEST

/* --- chunked --- */

static int dechunk(const char *in, size_t max, char *out, size_t *outlen,
                   size_t *used)
{
	struct http_chunked ck;
	char *buf = strdup(in);
	int rc;

	http_chunked_init(&ck, max);
	rc = http_chunked_decode(&ck, buf, strlen(in), buf, outlen, used);
	memcpy(out, buf, *outlen);
	out[*outlen] = '\0';
	free(buf);
	return rc;
}

START_TEST(test_chunked_ok)
{
	char out[256];
	size_t n, used;

	ck_assert_int_eq(dechunk("5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\nNEXT",
	                         1000, out, &n, &used), 1);
	ck_assert_str_eq(out, "hello, world");
	ck_assert_uint_eq(used, strlen("5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"));
	ck_assert_int_eq(dechunk("A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", 1000,
	                         out, &n, &used), 1);
	ck_assert_str_eq(out, "0123456789");
	ck_assert_int_eq(dechunk("5 \t; a=b\r\nhello\r\n0\r\n\r\n", 1000, out, &n,
	                         &used), 1);
	ck_assert_str_eq(out, "hello");
	/* leading zeros do not count as digits (HTTPWookiee 2030) */
	ck_assert_int_eq(dechunk("0000000000000000000000000000000005\r\nhello\r\n"
	                         "00000000000000000000\r\n\r\n", 1000, out, &n, &used), 1);
	ck_assert_str_eq(out, "hello");
	ck_assert_int_eq(dechunk("5 \t; a=b\r\nhello\r\n0\r\n\r\n", 1000, out, &n,
	                         &used), 1);
	ck_assert_str_eq(out, "hello");
	ck_assert_int_eq(dechunk("5\r\nhel", 1000, out, &n, &used), 0);
	ck_assert_str_eq(out, "hel");
}
END_TEST

START_TEST(test_chunked_bytewise)
{
	const char *in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
	struct http_chunked ck;
	char got[32] = "", c;
	size_t len = 0, out, used;
	int rc = 0;

	http_chunked_init(&ck, 100);
	for (size_t i = 0; in[i] && rc == 0; i++) {
		c = in[i];
		rc = http_chunked_decode(&ck, &c, 1, &c, &out, &used);
		ck_assert_uint_eq(used, 1);
		if (out)
			got[len++] = c;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(got, "abcde");
}
END_TEST

static const struct {
	const char *raw;
	int status;
} chunk_errors[] = {
	{ "0x5\r\nhello\r\n0\r\n\r\n", 400 },
	{ "-1\r\n", 400 },
	{ " 5\r\nhello\r\n0\r\n\r\n", 400 },
	{ "\r\n", 400 },
	{ "5\r\nhelloXX0\r\n\r\n", 400 },
	{ "5\nhello\r\n0\r\n\r\n", 400 },
	{ "1234567890123456\r\n", 400 },
	{ "fffffffffffffff\r\n", 413 },
	{ "3e9\r\n", 413 },
	{ "5\r\nhello\r\n0\r\nbad\x01\r\n\r\n", 400 },
	{ "5;\x01\r\n", 400 },
	{ "5 x\r\nhello\r\n0\r\n\r\n", 400 },
	{ "5 \r\nhello\r\n0\r\n\r\n", 400 },
};

START_TEST(test_chunked_errors)
{
	char out[256];
	size_t n, used;

	ck_assert_msg(dechunk(chunk_errors[_i].raw, 1000, out, &n, &used) ==
	              chunk_errors[_i].status, "chunk case %d", _i);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_absolute_form);
	tcase_add_test(tc, test_keep_alive_rules);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_pipelined);
	suite_add_tcase(s, tc);
	tc = tcase_create("chunked");
	tcase_add_test(tc, test_chunked_ok);
	tcase_add_test(tc, test_chunked_bytewise);
	tcase_add_loop_test(tc, test_chunked_errors, 0,
	                    sizeof(chunk_errors) / sizeof(chunk_errors[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
