/*
 * test_tls.c - the TLS layer (core/net/tls.h) against an in-process
 * OpenSSL client over a socketpair: the non-blocking handshake state
 * machine, reads and writes both ways, the end of stream, the facts given
 * to modules, SNI with wildcards, ticket keys shared by copies of a context
 * and rotated (the previous period still resumes, the one before does
 * not) and kept by the same service's next context (a reload), files the
 * process may not read opened by the opener (the spawn helper), garbage and a vanished client, and certificate errors reported at
 * the key's position.  Certificates are made with the openssl command.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "diag.h"
#include "tls.h"

static char dir[] = "/tmp/superd-tls-unit-XXXXXX";
static char last_diag[512];
static unsigned ndiag;

static void capture(const char *line)
{
	snprintf(last_diag, sizeof(last_diag), "%s", line);
	ndiag++;
}

/* Run an openssl command line in dir (before the tests); exit on failure. */
static void openssl_run(const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd %s && openssl %s >/dev/null 2>&1", dir, args);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: openssl %s\n", args);
		exit(99);
	}
}

/* A CA, and certificates for localhost and *.example.org signed by it. */
static void make_pki(void)
{
	static const char *const certs[][2] = {
		{ "server", "localhost" }, { "wild", "wild.example.org" },
	};
	char args[1024];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(99);
	}
	openssl_run("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	            "-keyout ca.key -out ca.pem -days 2 -subj /CN=ca");
	for (size_t i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "req -newkey ec -pkeyopt "
		         "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.csr "
		         "-subj /CN=%s", certs[i][0], certs[i][0], certs[i][1]);
		openssl_run(args);
		snprintf(args, sizeof(args), "x509 -req -in %s.csr -CA ca.pem -CAkey "
		         "ca.key -CAcreateserial -days 2 -out %s.pem", certs[i][0],
		         certs[i][0]);
		openssl_run(args);
	}
}

static void remove_pki(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* A configuration with one tls: block (extra appended inside it). */
static struct config *tls_config(const char *extra)
{
	char yaml[2048];
	struct config *cfg;

	snprintf(yaml, sizeof(yaml),
	         "services:\n  s:\n    module: echo\n    listen: 7\n    tls:\n"
	         "      cert: %s/server.pem\n      key: %s/server.key\n%s",
	         dir, dir, extra);
	cfg = config_parse("t.yaml", yaml, strlen(yaml));
	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_nonnull(cfg->services[0].tls);
	return cfg;
}

/** One server session and an OpenSSL client over a socketpair. */
struct pair {
	int sfd, cfd;
	struct tls_sess *srv;
	SSL_CTX *cctx;
	SSL *cli;
};

static void pair_open(struct pair *p, struct tls_ctx *ctx, const char *sni,
                      SSL_SESSION *resume, int max_version)
{
	int sv[2];
	char ca[512];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p->sfd = sv[0];
	p->cfd = sv[1];
	p->srv = tls_sess_new(ctx, p->sfd);
	ck_assert_ptr_nonnull(p->srv);
	p->cctx = SSL_CTX_new(TLS_client_method());
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(p->cctx, ca, NULL), 1);
	SSL_CTX_set_verify(p->cctx, SSL_VERIFY_PEER, NULL);
	if (max_version)
		SSL_CTX_set_max_proto_version(p->cctx, max_version);
	p->cli = SSL_new(p->cctx);
	SSL_set_fd(p->cli, p->cfd);
	if (sni)
		SSL_set_tlsext_host_name(p->cli, sni);
	if (resume)
		SSL_set_session(p->cli, resume);
	SSL_set_connect_state(p->cli);
}

static void pair_close(struct pair *p)
{
	tls_sess_free(p->srv);
	SSL_free(p->cli);
	SSL_CTX_free(p->cctx);
	if (p->sfd >= 0)
		close(p->sfd);
	if (p->cfd >= 0)
		close(p->cfd);
}

/* Step both sides until the server's handshake ends: its last result. */
static int pair_handshake(struct pair *p)
{
	int srv = TLS_WANT_READ, cli = 0;

	for (int i = 0; i < 100; i++) {
		if (cli != 1) {
			cli = SSL_do_handshake(p->cli);
			ERR_clear_error();
		}
		srv = tls_handshake(p->srv);
		if (srv == 0 && cli == 1)
			return 0;
		if (srv == TLS_ERR)
			return srv;
	}
	return srv;
}

START_TEST(handshake_and_data)
{
	struct config *cfg = tls_config("");
	struct tls_ctx *ctx = tls_ctx_new(cfg->services[0].tls, "s", "http/1.1");
	struct superd_tls info;
	char buf[64], ibuf[1024];
	struct pair p;
	ssize_t n;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_uint_eq(tls_ctx_handshake_ms(ctx), 10000);
	pair_open(&p, ctx, "localhost", NULL, 0);
	ck_assert_int_eq(tls_sess_info(p.srv, &info, ibuf, sizeof(ibuf)), -1);
	ck_assert_int_eq(tls_read(p.srv, buf, sizeof(buf)), TLS_WANT_READ);
	ck_assert_int_eq(pair_handshake(&p), 0);
	ck_assert_int_eq(tls_read(p.srv, buf, sizeof(buf)), TLS_WANT_READ);
	ck_assert_int_eq(SSL_write(p.cli, "hello", 5), 5);
	n = tls_read(p.srv, buf, sizeof(buf));
	ck_assert_int_eq(n, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(tls_write(p.srv, "world!", 6), 6);
	ck_assert_int_eq(SSL_read(p.cli, buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "world!", 6);
	ck_assert_int_eq(tls_sess_info(p.srv, &info, ibuf, sizeof(ibuf)), 0);
	ck_assert_str_eq(info.protocol, "TLSv1.3");
	ck_assert_str_eq(info.server_name, "localhost");
	ck_assert_str_eq(info.client_verify, "NONE");
	ck_assert_str_eq(info.client_s_dn, "");
	ck_assert(strlen(info.cipher) > 0);
	ck_assert_int_eq(tls_sendfile(p.srv, 0, 0, 1), TLS_NOTSUP);
	/* the client's close_notify is the end of the stream */
	SSL_shutdown(p.cli);
	ck_assert_int_eq(tls_read(p.srv, buf, sizeof(buf)), 0);
	tls_close_notify(p.srv);
	pair_close(&p);
	tls_ctx_free(ctx);
	config_free(cfg);
}
END_TEST

/* The server's socket full: a write says so, then finishes when drained. */
START_TEST(write_back_pressure)
{
	struct config *cfg = tls_config("");
	struct tls_ctx *ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	static char big[1 << 16], sink[1 << 16];
	size_t total = 0, got = 0;
	struct pair p;
	ssize_t n;

	pair_open(&p, ctx, NULL, NULL, 0);
	ck_assert_int_eq(pair_handshake(&p), 0);
	memset(big, 'b', sizeof(big));
	while ((n = tls_write(p.srv, big, sizeof(big))) > 0)
		total += (size_t)n;
	ck_assert_int_eq(n, TLS_WANT_WRITE);
	ck_assert_uint_gt(total, 0);
	while (got < total) {
		int r = SSL_read(p.cli, sink, sizeof(sink));

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		/* room again: the retried write (same bytes) goes on */
		n = tls_write(p.srv, big, sizeof(big));
		if (n > 0)
			total += (size_t)n;
	}
	ck_assert_uint_eq(got, total);
	pair_close(&p);
	tls_ctx_free(ctx);
	config_free(cfg);
}
END_TEST

/* Bytes waiting on the client's socket, without taking them. */
static ssize_t client_waiting(struct pair *p)
{
	char peek[1 << 16];

	return recv(p->cfd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
}

/* Read from the client until want bytes of plaintext came (or no more). */
static size_t client_take(struct pair *p, char *out, size_t want)
{
	size_t got = 0;

	while (got < want) {
		int r = SSL_read(p->cli, out + got, (int)(want - got));

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Corked: records wait until tls_flush, then leave together, in order. */
START_TEST(corked_writes_wait_for_the_flush)
{
	struct config *cfg = tls_config("");
	struct tls_ctx *ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	char buf[64];
	struct pair p;

	pair_open(&p, ctx, NULL, NULL, 0);
	ck_assert_int_eq(pair_handshake(&p), 0);
	/* the session ticket went out at once (not corked) */
	ck_assert_int_eq(SSL_read(p.cli, buf, sizeof(buf)), -1);
	ck_assert_int_eq(client_waiting(&p), -1);
	tls_cork(p.srv);
	ck_assert_int_eq(tls_write(p.srv, "one ", 4), 4);
	ck_assert_int_eq(tls_write(p.srv, "two", 3), 3);
	ck_assert_int_eq(client_waiting(&p), -1); /* nothing sent yet */
	ck_assert_uint_gt(tls_held(p.srv), 7);
	ck_assert_int_eq(tls_flush(p.srv), 0);
	ck_assert_uint_eq(tls_held(p.srv), 0);
	ck_assert_int_gt(client_waiting(&p), 7);
	ck_assert_uint_eq(client_take(&p, buf, 7), 7);
	ck_assert_mem_eq(buf, "one two", 7);
	/* uncorked, a write goes out at once */
	ck_assert_int_eq(tls_write(p.srv, "three", 5), 5);
	ck_assert_uint_eq(tls_held(p.srv), 0);
	ck_assert_uint_eq(client_take(&p, buf, 5), 5);
	ck_assert_mem_eq(buf, "three", 5);
	pair_close(&p);
	tls_ctx_free(ctx);
	config_free(cfg);
}
END_TEST

/*
 * Corked with the socket full: what it does not take stays held (the flush
 * says so), then goes out first once the client reads; nothing is lost or
 * reordered.
 */
START_TEST(held_bytes_survive_a_full_socket)
{
	struct config *cfg = tls_config("");
	struct tls_ctx *ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	static char rec[1000], got[1 << 22];
	size_t total = 0, taken = 0;
	unsigned char tag = 0;
	struct pair p;
	ssize_t n;

	pair_open(&p, ctx, NULL, NULL, 0);
	ck_assert_int_eq(pair_handshake(&p), 0);
	tls_cork(p.srv);
	for (;;) {
		memset(rec, 'a' + tag % 26, sizeof(rec));
		n = tls_write(p.srv, rec, sizeof(rec));
		if (n <= 0)
			break;
		ck_assert_int_eq(n, sizeof(rec));
		total += (size_t)n;
		tag++;
		ck_assert_uint_lt(total, sizeof(got) / 2);
	}
	ck_assert_int_eq(n, TLS_WANT_WRITE);
	ck_assert_int_eq(tls_flush(p.srv), 1);
	ck_assert_uint_gt(tls_held(p.srv), 0);
	while (taken < total || tls_held(p.srv) || n <= 0) {
		int r = SSL_read(p.cli, got + taken, (int)(sizeof(got) - taken));

		if (r > 0) {
			taken += (size_t)r;
			continue;
		}
		if (tls_held(p.srv))
			ck_assert_int_ge(tls_flush(p.srv), 0);
		else if (n <= 0) {
			/* the refused record, retried with the same bytes */
			n = tls_write(p.srv, rec, sizeof(rec));
			if (n > 0)
				total += (size_t)n;
		}
	}
	ck_assert_uint_eq(taken, total);
	for (size_t i = 0; i < total; i += sizeof(rec))
		ck_assert_int_eq(got[i], 'a' + (i / sizeof(rec)) % 26);
	pair_close(&p);
	tls_ctx_free(ctx);
	config_free(cfg);
}
END_TEST

START_TEST(sni_wildcard)
{
	char extra[512];
	struct config *cfg;
	struct tls_ctx *ctx;
	static const char *const cases[][2] = {
		{ "a.example.org", "wild.example.org" },
		{ "A.Example.Org", "wild.example.org" },
		{ "x.a.example.org", "localhost" },
		{ "example.org", "localhost" },
		{ "other", "localhost" },
	};

	snprintf(extra, sizeof(extra), "      sni:\n        - names: [\"*.example.org\"]\n"
	         "          cert: %s/wild.pem\n          key: %s/wild.key\n", dir, dir);
	cfg = tls_config(extra);
	ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	ck_assert_ptr_nonnull(ctx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair p;
		char cn[128] = "";

		pair_open(&p, ctx, cases[i][0], NULL, 0);
		ck_assert_int_eq(pair_handshake(&p), 0);
		X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_get0_peer_certificate(p.cli)),
		                          NID_commonName, cn, sizeof(cn));
		ck_assert_msg(strcmp(cn, cases[i][1]) == 0, "%s got %s", cases[i][0], cn);
		pair_close(&p);
	}
	tls_ctx_free(ctx);
	config_free(cfg);
}
END_TEST

/* A full handshake over TLS 1.2 that hands the client a ticket. */
static SSL_SESSION *first_session(struct tls_ctx *ctx)
{
	struct pair p;
	SSL_SESSION *s;

	pair_open(&p, ctx, NULL, NULL, TLS1_2_VERSION);
	ck_assert_int_eq(pair_handshake(&p), 0);
	ck_assert_int_eq(SSL_session_reused(p.cli), 0);
	s = SSL_get1_session(p.cli);
	ck_assert(SSL_SESSION_has_ticket(s));
	SSL_shutdown(p.cli); /* else OpenSSL marks the session not resumable */
	pair_close(&p);
	return s;
}

/* Does the client resume with s on ctx? */
static int resumes(struct tls_ctx *ctx, SSL_SESSION *s)
{
	struct pair p;
	int reused;

	pair_open(&p, ctx, NULL, s, TLS1_2_VERSION);
	ck_assert_int_eq(pair_handshake(&p), 0);
	reused = SSL_session_reused(p.cli);
	SSL_shutdown(p.cli); /* else OpenSSL marks the session not resumable */
	pair_close(&p);
	return reused;
}

START_TEST(tickets_shared_and_rotated)
{
	struct config *cfg = tls_config("");
	struct tls_ctx *ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	struct tls_ctx *other = tls_ctx_new(cfg->services[0].tls, "t", NULL);
	struct tls_ctx *again = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	SSL_SESSION *s = first_session(ctx);
	pid_t pid;
	int status;

	ck_assert_int_eq(resumes(ctx, s), 1);
	/* another service's context (another secret) does not take it */
	ck_assert_int_eq(resumes(other, s), 0);
	/* the same service's next context (a reload) does */
	ck_assert_int_eq(resumes(again, s), 1);
	/* a forked copy (a worker) takes it: the keys come from the master */
	pid = fork();
	if (pid == 0)
		_exit(resumes(ctx, s) == 1 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* next period: still accepted (and renewed); two periods on: not */
	tls_ctx_clock_skew(ctx, TLS_TICKET_PERIOD);
	ck_assert_int_eq(resumes(ctx, s), 1);
	tls_ctx_clock_skew(ctx, 2 * TLS_TICKET_PERIOD);
	ck_assert_int_eq(resumes(ctx, s), 0);
	SSL_SESSION_free(s);
	tls_ctx_free(ctx);
	tls_ctx_free(other);
	tls_ctx_free(again);
	config_free(cfg);
}
END_TEST

/* The opener of the test below: the descriptors opened before the drop. */
static int opened_fd[2] = { -1, -1 };
static int open_saved(const char *path)
{
	return dup(opened_fd[strstr(path, ".key") ? 1 : 0]);
}

/* In a child that dropped root: can it build the context of cfg? */
static int child_builds(const struct config *cfg, int with_opener)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct tls_ctx *ctx;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		diag_set_sink(capture);
		tls_set_opener(with_opener ? open_saved : NULL);
		ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
		if (!ctx && !strstr(last_diag, "Permission denied"))
			_exit(4);
		_exit(ctx ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(files_through_the_opener)
{
	struct config *cfg = tls_config("");
	char path[256];

	if (geteuid() != 0) {
		fprintf(stderr, "files_through_the_opener: skipped (needs root)\n");
		config_free(cfg);
		return;
	}
	snprintf(path, sizeof(path), "%s/server.pem", dir);
	opened_fd[0] = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/server.key", dir);
	opened_fd[1] = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert(opened_fd[0] >= 0 && opened_fd[1] >= 0);
	/* the test's directory is 0700: nobody cannot read the files... */
	ck_assert_int_eq(child_builds(cfg, 0), 1);
	/* ...but gets them through the opener (superd: the spawn helper) */
	ck_assert_int_eq(child_builds(cfg, 1), 0);
	close(opened_fd[0]);
	close(opened_fd[1]);
	config_free(cfg);
}
END_TEST

START_TEST(garbage_and_vanished_clients)
{
	struct config *cfg = tls_config("");
	struct tls_ctx *ctx = tls_ctx_new(cfg->services[0].tls, "s", NULL);
	struct pair p;
	char buf[16];

	pair_open(&p, ctx, NULL, NULL, 0);
	ck_assert_int_eq(write(p.cfd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	ck_assert_int_eq(tls_handshake(p.srv), TLS_ERR);
	ck_assert_str_ne(tls_sess_reason(p.srv), "unknown");
	pair_close(&p);
	/* a client that sends its hello and goes */
	pair_open(&p, ctx, NULL, NULL, 0);
	ck_assert_int_eq(SSL_do_handshake(p.cli), -1);
	ERR_clear_error();
	close(p.cfd);
	p.cfd = -1;
	ck_assert_int_eq(tls_handshake(p.srv), TLS_ERR);
	pair_close(&p);
	/* truncated: half a record, then nothing yet */
	pair_open(&p, ctx, NULL, NULL, 0);
	ck_assert_int_eq(write(p.cfd, "\x16\x03\x01\x02\x00\x01", 6), 6);
	ck_assert_int_eq(tls_handshake(p.srv), TLS_WANT_READ);
	ck_assert_int_eq(tls_read(p.srv, buf, sizeof(buf)), TLS_WANT_READ);
	pair_close(&p);
	tls_ctx_free(ctx);
	config_free(cfg);
}
END_TEST

START_TEST(file_errors_at_positions)
{
	char yaml[1024];
	struct config *cfg;

	diag_set_sink(capture);
	snprintf(yaml, sizeof(yaml), "services:\n  s:\n    module: echo\n    listen: 7\n"
	         "    tls:\n      cert: %s/server.pem\n      key: %s/wild.key\n", dir, dir);
	cfg = config_parse("t.yaml", yaml, strlen(yaml));
	ck_assert_ptr_nonnull(cfg);
	ndiag = 0;
	ck_assert_ptr_null(tls_ctx_new(cfg->services[0].tls, "s", NULL));
	ck_assert_uint_eq(ndiag, 1);
	ck_assert_msg(strstr(last_diag, "t.yaml:7:12: service 's': tls: key: ") &&
	              strstr(last_diag, "does not match the certificate"), "%s", last_diag);
	config_free(cfg);
	snprintf(yaml, sizeof(yaml), "services:\n  s:\n    module: echo\n    listen: 7\n"
	         "    tls:\n      cert: %s/none.pem\n      key: %s/ca.pem\n", dir, dir);
	cfg = config_parse("t.yaml", yaml, strlen(yaml));
	ndiag = 0;
	ck_assert_ptr_null(tls_ctx_new(cfg->services[0].tls, "s", NULL));
	ck_assert_uint_eq(ndiag, 2);
	config_free(cfg);
	diag_set_sink(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("openssl");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN); /* as superd: a peer's close is an error, not death */
	make_pki();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, handshake_and_data);
	tcase_add_test(tc, write_back_pressure);
	tcase_add_test(tc, corked_writes_wait_for_the_flush);
	tcase_add_test(tc, held_bytes_survive_a_full_socket);
	tcase_add_test(tc, sni_wildcard);
	tcase_add_test(tc, tickets_shared_and_rotated);
	tcase_add_test(tc, files_through_the_opener);
	tcase_add_test(tc, garbage_and_vanished_clients);
	tcase_add_test(tc, file_errors_at_positions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_pki();
	return failed ? 1 : 0;
}
