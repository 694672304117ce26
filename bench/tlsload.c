/*
 * tlsload.c - new TLS connections per second, for bench/tls.sh.
 *
 * P processes (-c) each loop for -d seconds: connect, TLS handshake
 * (resuming the last session with -r), an HTTP/1.0 GET of -g PATH with
 * Connection: close, read the answer to its end (TLS 1.3 tickets arrive
 * after the handshake, so reading is what brings the next one), close.
 * Certificates are not verified: the cost measured is the server's.
 *
 *   tlsload -p PORT [-h 127.0.0.1] [-d SECS] [-c PROCS] [-r] [-g /100b.txt]
 *           [-V 1.2|1.3]
 *
 * Output, one line: tlsload conns=N secs=S rate=R resumed=M errors=E
 * protocol=P cipher=C (the last connection's).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define PROCS_MAX 64

struct opts {
	struct sockaddr_in addr;
	double secs;
	int procs, reuse, version;
	const char *path;
};

/** What each process adds up (in a shared mapping). */
struct tally {
	unsigned long conns, resumed, errors;
	char protocol[16], cipher[64];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One TCP connection to the server, or -1. */
static int dial(const struct opts *o)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send the request and read the answer to its end.  0 or -1. */
static int exchange(SSL *ssl, const char *path)
{
	char req[512], buf[16384];
	int n, len = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: "
	                      "localhost\r\nConnection: close\r\n\r\n", path);
	long got = 0;

	if (SSL_write(ssl, req, len) != len)
		return -1;
	while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
		got += n;
	n = SSL_get_error(ssl, n);
	return got > 0 && (n == SSL_ERROR_ZERO_RETURN || n == SSL_ERROR_SYSCALL)
	       ? 0 : -1;
}

/* One connection: handshake (resuming *sess), exchange, new *sess. */
static int one_conn(const struct opts *o, SSL_CTX *ctx, SSL_SESSION **sess,
                    struct tally *t)
{
	int fd = dial(o), rc = -1;
	SSL *ssl = NULL;

	if (fd < 0 || !(ssl = SSL_new(ctx)) || SSL_set_fd(ssl, fd) != 1)
		goto out;
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (o->reuse && *sess)
		SSL_set_session(ssl, *sess);
	if (SSL_connect(ssl) != 1 || exchange(ssl, o->path) < 0)
		goto out;
	if (SSL_session_reused(ssl))
		t->resumed++;
	if (o->reuse) {
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(ssl);
	}
	snprintf(t->protocol, sizeof(t->protocol), "%s", SSL_get_version(ssl));
	snprintf(t->cipher, sizeof(t->cipher), "%s", SSL_get_cipher_name(ssl));
	SSL_shutdown(ssl);
	rc = 0;
out:
	ERR_clear_error();
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A process's loop until the deadline. */
static void run(const struct opts *o, struct tally *t, double end)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_SESSION *sess = NULL;

	if (!ctx)
		_exit(1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
	if (o->version) {
		SSL_CTX_set_min_proto_version(ctx, o->version);
		SSL_CTX_set_max_proto_version(ctx, o->version);
	}
	while (now_s() < end) {
		if (one_conn(o, ctx, &sess, t) == 0)
			t->conns++;
		else
			t->errors++;
	}
	SSL_SESSION_free(sess);
	SSL_CTX_free(ctx);
}

/* Parse the command line into o.  0, or -1 (usage). */
static int parse(int argc, char **argv, struct opts *o)
{
	const char *host = "127.0.0.1";
	int c, port = 0;

	while ((c = getopt(argc, argv, "h:p:d:c:rg:V:")) != -1) {
		switch (c) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'd': o->secs = atof(optarg); break;
		case 'c': o->procs = atoi(optarg); break;
		case 'r': o->reuse = 1; break;
		case 'g': o->path = optarg; break;
		case 'V':
			o->version = strcmp(optarg, "1.2") == 0 ? TLS1_2_VERSION
			                                        : TLS1_3_VERSION;
			break;
		default: return -1;
		}
	}
	o->addr.sin_family = AF_INET;
	o->addr.sin_port = htons((unsigned short)port);
	if (port <= 0 || port > 65535 || o->secs <= 0 || o->procs < 1 ||
	    o->procs > PROCS_MAX || inet_pton(AF_INET, host, &o->addr.sin_addr) != 1)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .secs = 5, .procs = 1, .path = "/" };
	struct tally *t, sum = { 0 };
	double t0;

	if (parse(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: tlsload -p PORT [-h IPV4] [-d SECS] "
		        "[-c PROCS] [-r] [-g PATH] [-V 1.2|1.3]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	t = mmap(NULL, sizeof(*t) * (size_t)o.procs, PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(t, 0, sizeof(*t) * (size_t)o.procs);
	t0 = now_s();
	for (int i = 0; i < o.procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			run(&o, &t[i], t0 + o.secs);
			_exit(0);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	for (int i = 0; i < o.procs; i++) {
		sum.conns += t[i].conns;
		sum.resumed += t[i].resumed;
		sum.errors += t[i].errors;
		if (t[i].protocol[0]) {
			memcpy(sum.protocol, t[i].protocol, sizeof(sum.protocol));
			memcpy(sum.cipher, t[i].cipher, sizeof(sum.cipher));
		}
	}
	printf("tlsload conns=%lu secs=%.2f rate=%.0f resumed=%lu errors=%lu "
	       "protocol=%s cipher=%s\n", sum.conns, now_s() - t0,
	       (double)sum.conns / (now_s() - t0), sum.resumed, sum.errors,
	       sum.protocol[0] ? sum.protocol : "-", sum.cipher[0] ? sum.cipher : "-");
	return sum.conns ? 0 : 1;
}
