/*
 * test_http_conn.c - the http module driven through the fake host:
 * files, validators, ranges, directories, listings, errors, keep-alive,
 * pipelining, the header deadline, the keep-alive timeout, request bodies
 * and the access log.  (CGI runs real processes: see the integration
 * tests.)
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakehost.h"
#include "../../modules/http/cgi.h"

extern const struct superd_module superd_module;

static char base[64], root[128], yaml[512];
static struct superd_service *svc;
static void *inst;

static void put_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void put_dir(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void make_tree(void)
{
	char p[256];

	snprintf(base, sizeof(base), "/tmp/test_http_conn.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	put_file("hello.txt", "hello, world\n");
	put_file("page.html", "<p>page</p>\n");
	put_dir("dir");
	put_file("dir/index.html", "index of dir\n");
	put_dir("list");
	put_file("list/b.txt", "bb");
	put_file("list/a&<x>.txt", "a");
	put_file("list/.hidden", "h");
	put_file("list/Z.txt", "zzz");
	put_dir("list/sub");
	put_dir("list/Asub");
	put_dir("empty");
	snprintf(p, sizeof(p), "%s/secret", base);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/escape", root);
	ck_assert_int_eq(symlink("../secret", p), 0);
}

static void configure(const char *extra)
{
	svc = fake_service("web");
	snprintf(yaml, sizeof(yaml), "root: %s\n%s", root, extra ? extra : "");
	ck_assert_int_eq(fake_configure(&superd_module, svc, yaml, &inst), 0);
	ck_assert_int_eq(superd_module.start(inst), 0);
}

static void setup(void)
{
	fake_reset();
	make_tree();
	configure(NULL);
}

static void teardown(void)
{
	char cmd[128];

	superd_module.destroy(inst);
	fake_service_free(svc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

static struct fake_conn *conn(void)
{
	int rc = -1;
	struct fake_conn *c = fake_open(&superd_module, inst, SUPERD_PROTO_TCP,
	                                "127.0.0.1", 40000, &rc);

	ck_assert_int_eq(rc, 0);
	return c;
}

/* Send text; return everything written since the last call (NUL-ended). */
static char *ask(struct fake_conn *c, const char *text)
{
	static char out[65536];
	size_t n;

	c->outlen = 0;
	fake_data(c, text, strlen(text));
	n = c->outlen < sizeof(out) - 1 ? c->outlen : sizeof(out) - 1;
	if (n)
		memcpy(out, c->out, n);
	out[n] = '\0';
	return out;
}

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

START_TEST(test_get_file)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");

	ck_assert_msg(starts(r, "HTTP/1.1 200 OK\r\n"), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\r\nContent-Length: 13\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\nDate: "));
	ck_assert_ptr_nonnull(strstr(r, "\r\nServer: superd/"));
	ck_assert_ptr_nonnull(strstr(r, "\r\nLast-Modified: "));
	ck_assert_ptr_nonnull(strstr(r, "\r\nETag: \""));
	ck_assert_ptr_null(strstr(r, "Connection:"));
	ck_assert(strlen(r) > 13 && !strcmp(r + strlen(r) - 13, "hello, world\n"));
	ck_assert_int_eq(c->closed, 0);
	ck_assert_str_eq(c->note, "http 200");
	fake_close(c);
}
END_TEST

START_TEST(test_head_same_headers)
{
	struct fake_conn *c = conn();
	char get[2048], *r;

	r = ask(c, "GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n");
	*strstr(r, "\r\n\r\n") = '\0';
	snprintf(get, sizeof(get), "%s", strchr(r, '\n'));
	r = ask(c, "HEAD /page.html HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert(!strcmp(r + strlen(r) - 4, "\r\n\r\n"));
	r[strlen(r) - 4] = '\0';
	/* same fields, except Date may have moved on a second */
	ck_assert_str_eq(strstr(strchr(r, '\n'), "Server:"), strstr(get, "Server:"));
	fake_close(c);
}
END_TEST

START_TEST(test_pipelining_in_order)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
	                 "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
	                 "GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n");
	char *a = strstr(r, "HTTP/1.1 200"), *b = strstr(r, "HTTP/1.1 404");
	char *d = strstr(r + 1, "HTTP/1.1 200");

	ck_assert(a == r && b && d && a < b && b < d);
	ck_assert_ptr_nonnull(strstr(d, "<p>page</p>"));
	ck_assert_int_eq(c->closed, 0);
	ck_assert_uint_eq(c->inlen, 0);
	fake_close(c);
}
END_TEST

START_TEST(test_http10_close_and_keepalive)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");

	ck_assert_ptr_nonnull(strstr(r, "\r\nConnection: keep-alive\r\n"));
	ck_assert_int_eq(c->closed, 0);
	r = ask(c, "GET /hello.txt HTTP/1.0\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "\r\nConnection: close\r\n"));
	ck_assert_int_eq(c->closed, 1);
	fake_close(c);
	c = conn();
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
	           "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "\r\nConnection: close\r\n"));
	ck_assert_ptr_null(strstr(r + 10, "HTTP/1.1 200"));
	ck_assert_int_eq(c->closed, 1);
	fake_close(c);
}
END_TEST

/* The ETag of /hello.txt. */
static void etag_of(struct fake_conn *c, char *out, size_t n)
{
	char *r = ask(c, "HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	char *e = strstr(r, "ETag: ") + 6;

	snprintf(out, n, "%.*s", (int)(strchr(e, '\r') - e), e);
}

START_TEST(test_conditional)
{
	struct fake_conn *c = conn();
	char etag[64], req[256], *r;

	etag_of(c, etag, sizeof(etag));
	snprintf(req, sizeof(req), "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	         "If-None-Match: \"nope\", W/%s\r\n\r\n", etag);
	r = ask(c, req);
	ck_assert_msg(starts(r, "HTTP/1.1 304 "), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, etag));
	ck_assert(!strcmp(r + strlen(r) - 4, "\r\n\r\n")); /* no body */
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 304 "));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n"
	           "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 ")); /* INM wins over IMS */
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	           "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 304 "));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	           "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 "));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	           "If-Modified-Since: Fri Jan  1 00:00:00 2100\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 304 "));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	           "If-Modified-Since: garbage\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 "));
	fake_close(c);
}
END_TEST

START_TEST(test_ranges)
{
	struct fake_conn *c = conn();
	char etag[64], req[256], *r;

	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-4\r\n\r\n");
	ck_assert_msg(starts(r, "HTTP/1.1 206 "), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\r\nContent-Range: bytes 0-4/13\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\nContent-Length: 5\r\n"));
	ck_assert(!strcmp(r + strlen(r) - 9, "\r\n\r\nhello"));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=-6\r\n\r\n");
	ck_assert(!strcmp(r + strlen(r) - 6, "world\n"));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=7-\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "bytes 7-12/13"));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=5-100\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "bytes 5-12/13"));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=13-20\r\n\r\n");
	ck_assert_msg(starts(r, "HTTP/1.1 416 "), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\r\nContent-Range: bytes */13\r\n"));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=4-2\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 ")); /* invalid: ignored */
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: items=0-1\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 "));
	r = ask(c, "HEAD /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 ")); /* Range is for GET only */
	etag_of(c, etag, sizeof(etag));
	snprintf(req, sizeof(req), "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	         "Range: bytes=0-1\r\nIf-Range: %s\r\n\r\n", etag);
	ck_assert(starts(ask(c, req), "HTTP/1.1 206 "));
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
	           "If-Range: \"old\"\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 "));
	fake_close(c);
}
END_TEST

START_TEST(test_directories)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "GET /dir?x=1&y HTTP/1.1\r\nHost: a\r\n\r\n");

	ck_assert_msg(starts(r, "HTTP/1.1 301 "), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\r\nLocation: /dir/?x=1&y\r\n"));
	r = ask(c, "GET /dir/ HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 "));
	ck_assert_ptr_nonnull(strstr(r, "index of dir"));
	r = ask(c, "GET /list HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "\r\nLocation: /list/\r\n"));
	r = ask(c, "GET /li%73t HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "\r\nLocation: /list/\r\n"));
	fake_close(c);
}
END_TEST

START_TEST(test_listing)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "GET /list/ HTTP/1.1\r\nHost: a\r\n\r\n");
	char *up = strstr(r, "href=\"../\""), *asub = strstr(r, "href=\"./Asub/\"");
	char *sub = strstr(r, "href=\"./sub/\""), *z = strstr(r, "href=\"./Z.txt\"");
	char *a = strstr(r, "href=\"./a%26%3Cx%3E.txt\">a&amp;&lt;x&gt;.txt</a>");
	char *b = strstr(r, "href=\"./b.txt\"");

	ck_assert_msg(starts(r, "HTTP/1.1 200 "), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/html"));
	ck_assert_msg(up && asub && sub && z && a && b, "%s", r);
	/* directories first, then case-insensitive order */
	ck_assert(up < asub && asub < sub && sub < a && a < b && b < z);
	ck_assert_ptr_null(strstr(r, "hidden"));
	ck_assert_ptr_nonnull(strstr(r, "<td title=\"3 bytes\">3 B</td>")); /* Z.txt */
	ck_assert_ptr_nonnull(strstr(r, "<meta name=\"viewport\""));
	r = ask(c, "GET /list/?C=N&O=D HTTP/1.1\r\nHost: a\r\n\r\n");
	up = strstr(r, "href=\"../\"");
	asub = strstr(r, "href=\"./Asub/\"");
	sub = strstr(r, "href=\"./sub/\"");
	z = strstr(r, "href=\"./Z.txt\"");
	b = strstr(r, "href=\"./b.txt\"");
	ck_assert_msg(up && asub && sub && z && b, "%s", r);
	ck_assert(up < sub && sub < asub && asub < z && z < b);
	ck_assert_ptr_nonnull(strstr(r, "aria-sort=\"descending\""));
	r = ask(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_ptr_null(strstr(r, "href=\"../\"")); /* none at the root */
	r = ask(c, "GET /empty/ HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 ")); /* no entries: still a page */
	ck_assert_ptr_nonnull(strstr(r, "href=\"../\""));
	r = ask(c, "HEAD /list/ HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert(!strcmp(r + strlen(r) - 4, "\r\n\r\n"));
	fake_close(c);
}
END_TEST

START_TEST(test_listing_off)
{
	struct fake_conn *c;

	superd_module.destroy(inst);
	fake_service_free(svc);
	configure("listing: false\n");
	c = conn();
	ck_assert(starts(ask(c, "GET /list/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	                 "HTTP/1.1 403 "));
	fake_close(c);
}
END_TEST

static const struct {
	const char *req;
	const char *status;
	int closes;
} error_cases[] = {
	{ "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", "404", 0 },
	{ "GET /../secret HTTP/1.1\r\nHost: a\r\n\r\n", "400", 0 },
	{ "GET /%2e%2e/secret HTTP/1.1\r\nHost: a\r\n\r\n", "400", 0 },
	{ "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", "400", 0 },
	{ "GET /escape HTTP/1.1\r\nHost: a\r\n\r\n", "403", 0 },
	{ "GET /hello.txt/ HTTP/1.1\r\nHost: a\r\n\r\n", "404", 0 },
	{ "POST /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", "405", 0 },
	{ "DELETE /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", "405", 0 },
	{ "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", "405", 0 },
	{ "BREW /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", "501", 1 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", "505", 1 },
	{ "GET / HTTP/1.1\r\n\r\n", "400", 1 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", "400", 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n", "400", 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", "400", 1 },
};

START_TEST(test_errors)
{
	struct fake_conn *c = conn();
	char *r = ask(c, error_cases[_i].req), want[32];

	snprintf(want, sizeof(want), "HTTP/1.1 %s ", error_cases[_i].status);
	ck_assert_msg(starts(r, want), "case %d: %s", _i, r);
	ck_assert_ptr_nonnull(strstr(r, "<!DOCTYPE html>"));
	ck_assert_int_eq(c->closed, error_cases[_i].closes);
	if (error_cases[_i].closes)
		ck_assert_ptr_nonnull(strstr(r, "\r\nConnection: close\r\n"));
	if (!strcmp(error_cases[_i].status, "405"))
		ck_assert_ptr_nonnull(strstr(r, "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
	fake_close(c);
}
END_TEST

START_TEST(test_options)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");

	ck_assert(starts(r, "HTTP/1.1 200 "));
	ck_assert_ptr_nonnull(strstr(r, "Allow: "));
	r = ask(c, "OPTIONS /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 200 "));
	ck_assert_ptr_nonnull(strstr(r, "Allow: GET, HEAD, OPTIONS"));
	fake_close(c);
}
END_TEST

START_TEST(test_absolute_form)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "GET http://x/hello.txt HTTP/1.1\r\nHost: y\r\n\r\n");

	ck_assert(starts(r, "HTTP/1.1 200 "));
	ck_assert_ptr_nonnull(strstr(r, "hello, world"));
	fake_close(c);
}
END_TEST

START_TEST(test_body_dropped)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
	                 "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");

	/* the 5 body bytes "GET /" were dropped: "x HTTP/1.1" is garbage */
	ck_assert(starts(r, "HTTP/1.1 405 "));
	ck_assert_ptr_nonnull(strstr(r + 10, "HTTP/1.1 400 "));
	fake_close(c);
	c = conn();
	r = ask(c, "POST /hello.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	           "3\r\nabc\r\n0\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert(starts(r, "HTTP/1.1 405 "));
	ck_assert_ptr_nonnull(strstr(r, "hello, world"));
	fake_close(c);
}
END_TEST

/* Much output queued: later pipelined requests wait for the drain. */
START_TEST(test_pipelining_backpressure)
{
	struct fake_conn *c = conn();
	char *r;

	c->pending = 200 * 1024;
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
	           "GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_str_eq(r, ""); /* nothing more while 200 KiB wait */
	ck_assert_int_eq(c->paused, 1);
	ck_assert_uint_gt(c->inlen, 0);
	c->pending = 0;
	c->outlen = 0;
	fake_drain(c);
	ck_assert_int_eq(c->paused, 0);
	fake_data(c, NULL, 0);
	ck_assert_msg(c->outlen > 13 && !memcmp(c->out, "HTTP/1.1 200 ", 13) &&
	              memmem(c->out, c->outlen, "hello, world", 12) &&
	              memmem(c->out, c->outlen, "<p>page</p>", 11), "%.*s",
	              (int)c->outlen, c->out);
	ck_assert_uint_eq(c->inlen, 0);
	fake_close(c);
}
END_TEST

/* Expect: 100-continue on a request answered at once: close after it. */
START_TEST(test_expect_continue_static)
{
	struct fake_conn *c = conn();
	char *r = ask(c, "POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	                 "Expect: 100-continue\r\n\r\n");

	ck_assert(starts(r, "HTTP/1.1 405 "));
	ck_assert_ptr_nonnull(strstr(r, "\r\nConnection: close\r\n"));
	ck_assert_int_eq(c->closed, 1);
	fake_close(c);
}
END_TEST

/* The client hangs up: what is queued goes out, then the close. */
START_TEST(test_eof)
{
	struct fake_conn *c = conn();

	ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_int_eq(c->closed, 0);
	fake_eof(c);
	ck_assert_int_eq(c->closed, 1);
	fake_close(c);
}
END_TEST

START_TEST(test_header_deadline)
{
	struct fake_conn *c = conn();

	/* a trickle keeps the connection busy but not the header deadline */
	for (int i = 0; i < 9; i++) {
		fake_data(c, "G", 1);
		fake_advance(1000);
		ck_assert_int_eq(c->closed, 0);
	}
	fake_advance(1000);
	ck_assert_int_eq(c->closed, 1);
	ck_assert_msg(c->outlen > 12 && !memcmp(c->out, "HTTP/1.1 408 ", 13),
	              "%.*s", (int)c->outlen, c->out);
	fake_close(c);
}
END_TEST

START_TEST(test_keepalive_timeout)
{
	struct fake_conn *c = conn();

	ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	c->outlen = 0;
	fake_advance(4000);
	ck_assert_int_eq(c->closed, 0);
	ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	fake_advance(4000);
	ck_assert_int_eq(c->closed, 0);
	c->outlen = 0;
	fake_advance(1100);
	ck_assert_int_eq(c->closed, 1);
	ck_assert_uint_eq(c->outlen, 0); /* silent: no 408 on an idle connection */
	fake_close(c);
}
END_TEST

/* A draining worker (a reload retired it): the next response says
 * Connection: close and the connection goes; one idle between requests
 * closes at on_retire, at once; a fresh one too. */
START_TEST(test_draining_worker)
{
	struct fake_conn *idle = conn(), *busy = conn(), *fresh = conn();
	char *r;

	ask(idle, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ask(busy, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /hel");
	ck_assert_int_eq(idle->closed, 0);
	ck_assert_int_eq(busy->closed, 0);
	fake_set_draining(1);
	superd_module.on_retire((superd_conn *)idle, inst, idle->state);
	superd_module.on_retire((superd_conn *)busy, inst, busy->state);
	superd_module.on_retire((superd_conn *)fresh, inst, fresh->state);
	ck_assert_int_eq(idle->closed, 1);
	ck_assert_int_eq(fresh->closed, 1);
	ck_assert_int_eq(busy->closed, 0); /* mid-request: answered first */
	r = ask(busy, "lo.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 200 "));
	ck_assert_ptr_nonnull(strstr(r, "\r\nConnection: close\r\n"));
	ck_assert_int_eq(busy->closed, 1);
	fake_close(idle);
	fake_close(busy);
	fake_close(fresh);
}
END_TEST

START_TEST(test_fresh_idle_connection)
{
	struct fake_conn *c = conn();

	fake_advance(10000);
	ck_assert_int_eq(c->closed, 1);
	ck_assert_uint_eq(c->outlen, 0);
	fake_close(c);
}
END_TEST

START_TEST(test_access_log)
{
	char path[256], line[512], opts[300];
	struct fake_conn *c;
	FILE *f;

	superd_module.destroy(inst);
	fake_service_free(svc);
	snprintf(path, sizeof(path), "%s/access.log", base);
	snprintf(opts, sizeof(opts), "access_log: %s\n", path);
	configure(opts);
	c = conn();
	ask(c, "GET /hello.txt?q=\"x\" HTTP/1.1\r\nHost: a\r\nReferer: http://r/\r\n"
	       "User-Agent: t/1\r\n\r\n");
	ask(c, "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n");
	fake_close(c);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_msg(starts(line, "127.0.0.1 - - ["), "%s", line);
	ck_assert_msg(strstr(line, " +0000] \"GET /hello.txt?q=\\x22x\\x22 HTTP/1.1\" 200 13 "
	                     "\"http://r/\" \"t/1\"\n"), "%s", line);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_msg(strstr(line, "\"GET /missing HTTP/1.1\" 404 "), "%s", line);
	ck_assert_msg(strstr(line, " \"-\" \"-\"\n"), "%s", line);
	fclose(f);
}
END_TEST

/* A cached file changes: the next second's request sees it. */
START_TEST(test_cache_one_second)
{
	struct fake_conn *c = conn();
	char *r;

	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "hello, world"));
	put_file("hello.txt", "changed!\n");
	usleep(1100 * 1000);
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_msg(strstr(r, "\r\n\r\nchanged!\n"), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "Content-Length: 9\r\n"));
	/* removed: 404 after at most a second */
	r = ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	snprintf(yaml, sizeof(yaml), "%s/hello.txt", root);
	ck_assert_int_eq(unlink(yaml), 0);
	usleep(1100 * 1000);
	ck_assert(starts(ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"),
	                 "HTTP/1.1 404 "));
	fake_close(c);
}
END_TEST

/* With cache: false every request reads the disk. */
START_TEST(test_cache_off)
{
	struct fake_conn *c;

	superd_module.destroy(inst);
	fake_service_free(svc);
	configure("cache: false\n");
	c = conn();
	ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	put_file("hello.txt", "new\n");
	ck_assert_ptr_nonnull(strstr(ask(c, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"),
	                             "\r\n\r\nnew\n"));
	ask(c, "GET /list/ HTTP/1.1\r\nHost: a\r\n\r\n");
	put_file("list/new.txt", "n");
	ck_assert_ptr_nonnull(strstr(ask(c, "GET /list/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	                             "./new.txt"));
	fake_close(c);
}
END_TEST

/* The CGI header section: statuses, framing, malformed and partial. */
START_TEST(test_cgi_head)
{
	struct fake_conn *c = conn();
	struct http_conn *st = c->state;
	struct http_reqinfo ri = { .minor = 1, .keep_alive = 1 };
	struct cgi_head hd;
	const char *o;

	o = "Status: 404 Nope\nX-A: b\nContent-Type: text/x\n\nbody";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 1);
	ck_assert_int_eq(hd.status, 404);
	ck_assert_int_eq(hd.mode, CGI_OUT_CHUNKED);
	ck_assert_uint_eq(hd.header_len, strlen(o) - 4);
	ck_assert(st->out->len > 0 && memmem(st->out->p, st->out->len, "X-A: b\r\n", 8));
	o = "Location: http://x/\r\n\r\n";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 1);
	ck_assert_int_eq(hd.status, 302);
	o = "Content-Length: 3\nConnection: keep-alive\nTransfer-Encoding: x\n\nabc";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 1);
	ck_assert_int_eq(hd.mode, CGI_OUT_LENGTH);
	ck_assert_uint_eq(hd.length, 3);
	ck_assert_ptr_null(memmem(st->out->p, st->out->len, "Transfer-Encoding: x", 20));
	o = "Content-Type: text/plain\n";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 0);
	o = "not a header\n\n";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), -1);
	o = "Status: 2xx\n\n";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), -1);
	o = "HTTP/1.1 299 Raw\r\n\r\nx";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 1);
	ck_assert_int_eq(hd.mode, CGI_OUT_NPH);
	ck_assert_int_eq(hd.status, 299);
	ck_assert_int_eq(ri.keep_alive, 0);
	ri.keep_alive = 1;
	ri.head = 1;
	o = "Content-Type: text/plain\n\nbody";
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 1);
	ck_assert_int_eq(hd.mode, CGI_OUT_NONE);
	ri.head = 0;
	ri.minor = 0;
	ck_assert_int_eq(cgi_head_parse(st, &ri, o, strlen(o), &hd), 1);
	ck_assert_int_eq(hd.mode, CGI_OUT_CLOSE);
	ck_assert_int_eq(ri.keep_alive, 0);
	fake_close(c);
}
END_TEST

/* Whether the NUL-separated block env holds exactly the string var. */
static int env_has(const struct hbuf *env, const char *var)
{
	for (size_t k = 0; k < env->len; k += strlen(env->p + k) + 1)
		if (!strcmp(env->p + k, var))
			return 1;
	return 0;
}

/* Whether any variable in env starts with prefix. */
static int env_has_prefix(const struct hbuf *env, const char *prefix)
{
	for (size_t k = 0; k < env->len; k += strlen(env->p + k) + 1)
		if (!strncmp(env->p + k, prefix, strlen(prefix)))
			return 1;
	return 0;
}

/* The CGI/1.1 environment of a request. */
START_TEST(test_cgi_env)
{
	struct fake_conn *c = conn();
	const char *raw = "POST /d/t.cgi/x?a=b%20c HTTP/1.0\r\nHost: ex.test:81\r\n"
	                  "X-Foo: 1\r\nx-foo: 2\r\nProxy: evil\r\nAuthorization: b\r\n"
	                  "X_Sneaky: 1\r\nContent-Type: text/y\r\n\r\n";
	struct http_limits lim;
	struct http_request req;
	struct http_reqinfo ri = { 0 };
	struct cgi_request cr = { .req = &req, .ri = &ri, .script_name = "/d/t.cgi",
	                          .script_name_len = 8, .path_info = "/x",
	                          .script_rel = "d/t.cgi" };
	struct hbuf env = { 0 };
	char want[300];

	http_limits_default(&lim);
	ck_assert_int_eq(http_parse_request(raw, strlen(raw), &lim, &req), HTTP_PARSE_OK);
	cr.root = ((struct http_instance *)inst)->site.root_real;
	cgi_env_build(&env, inst, fake_host()->peer((superd_conn *)c), &cr);
	ck_assert(env_has(&env, "GATEWAY_INTERFACE=CGI/1.1"));
	ck_assert(env_has(&env, "SERVER_PROTOCOL=HTTP/1.0"));
	ck_assert(env_has(&env, "SERVER_NAME=ex.test"));
	ck_assert(env_has(&env, "REQUEST_METHOD=POST"));
	ck_assert(env_has(&env, "SCRIPT_NAME=/d/t.cgi"));
	ck_assert(env_has(&env, "PATH_INFO=/x"));
	ck_assert(env_has(&env, "QUERY_STRING=a=b%20c"));
	ck_assert(env_has(&env, "REQUEST_URI=/d/t.cgi/x?a=b%20c"));
	ck_assert(env_has(&env, "REMOTE_ADDR=127.0.0.1"));
	ck_assert(env_has(&env, "REMOTE_PORT=40000"));
	ck_assert(env_has(&env, "CONTENT_TYPE=text/y"));
	ck_assert(env_has(&env, "HTTP_X_FOO=1, 2"));
	snprintf(want, sizeof(want), "PATH_TRANSLATED=%s/x", cr.root);
	ck_assert(env_has(&env, want));
	ck_assert(!env_has_prefix(&env, "HTTP_PROXY="));
	ck_assert(!env_has_prefix(&env, "HTTP_AUTHORIZATION="));
	ck_assert(!env_has_prefix(&env, "HTTP_X_SNEAKY="));
	ck_assert(!env_has_prefix(&env, "HTTP_CONTENT_TYPE="));
	ck_assert(!env_has_prefix(&env, "CONTENT_LENGTH="));
	hbuf_free(&env);
	fake_close(c);
}
END_TEST

/* The scheme, HTTPS=on and the SSL_* variables on a TLS connection. */
START_TEST(test_cgi_env_tls)
{
	const struct superd_tls t = { "TLSv1.3", "TLS_AES_128_GCM_SHA256",
	                              "www.example.org", "SUCCESS", "CN=alice" };
	struct hbuf env = { 0 };

	cgi_env_tls(&env, NULL);
	ck_assert(env_has(&env, "REQUEST_SCHEME=http"));
	ck_assert(!env_has_prefix(&env, "HTTPS="));
	ck_assert(!env_has_prefix(&env, "SSL_"));
	hbuf_free(&env);
	memset(&env, 0, sizeof(env));
	cgi_env_tls(&env, &t);
	ck_assert(env_has(&env, "REQUEST_SCHEME=https"));
	ck_assert(env_has(&env, "HTTPS=on"));
	ck_assert(env_has(&env, "SSL_PROTOCOL=TLSv1.3"));
	ck_assert(env_has(&env, "SSL_CIPHER=TLS_AES_128_GCM_SHA256"));
	ck_assert(env_has(&env, "SSL_SERVER_NAME=www.example.org"));
	ck_assert(env_has(&env, "SSL_CLIENT_VERIFY=SUCCESS"));
	ck_assert(env_has(&env, "SSL_CLIENT_S_DN=CN=alice"));
	hbuf_free(&env);
}
END_TEST

START_TEST(test_bad_options)
{
	void *i2 = NULL;
	struct superd_service *s2 = fake_service("bad");

	ck_assert_int_eq(fake_configure(&superd_module, s2, "listing: true\n", &i2), -1);
	ck_assert_int_eq(fake_configure(&superd_module, s2, "root: /nonexistent\n", &i2), -1);
	ck_assert_int_eq(fake_configure(&superd_module, s2, "root: /\nbogus: 1\n", &i2), -1);
	ck_assert_int_eq(fake_configure(&superd_module, s2,
	                                "root: /\nmax_request_size: 10X\n", &i2), -1);
	ck_assert_int_eq(fake_configure(&superd_module, s2, "root: /\nindex: a/b\n", &i2), -1);
	ck_assert_int_eq(fake_configure(&superd_module, s2,
	                                "root: /\nmax_request_size: 10M\ncgi: []\n"
	                                "index: [index.htm, index.html]\n", &i2), 0);
	superd_module.destroy(i2);
	fake_service_free(s2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_conn");
	TCase *tc = tcase_create("conn");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_get_file);
	tcase_add_test(tc, test_head_same_headers);
	tcase_add_test(tc, test_pipelining_in_order);
	tcase_add_test(tc, test_http10_close_and_keepalive);
	tcase_add_test(tc, test_conditional);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_directories);
	tcase_add_test(tc, test_listing);
	tcase_add_test(tc, test_listing_off);
	tcase_add_loop_test(tc, test_errors, 0,
	                    sizeof(error_cases) / sizeof(error_cases[0]));
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_absolute_form);
	tcase_add_test(tc, test_body_dropped);
	tcase_add_test(tc, test_pipelining_backpressure);
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_expect_continue_static);
	tcase_add_test(tc, test_header_deadline);
	tcase_add_test(tc, test_keepalive_timeout);
	tcase_add_test(tc, test_fresh_idle_connection);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_cache_one_second);
	tcase_add_test(tc, test_cache_off);
	tcase_add_test(tc, test_cgi_head);
	tcase_add_test(tc, test_draining_worker);
	tcase_add_test(tc, test_cgi_env);
	tcase_add_test(tc, test_cgi_env_tls);
	tcase_add_test(tc, test_bad_options);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
