/*
 * fakehost.c - a fake superd_host for module unit tests (see fakehost.h).
 *
 * Test code: the recorded state lives in file-scope variables, which is
 * fine here (Check forks each test) and never acceptable in a module.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conftree.h"
#include "diag.h"
#include "fakehost.h"
#include "options.h"
#include "sandbox.h"
#include "spawn_spec.h"

/* A timer, watch or child watch, kept in singly linked lists. */
struct superd_timer {
	struct superd_timer *next;
	uint64_t due;
	unsigned long seq; /* insertion order, for equal due times */
	superd_timer_cb *cb;
	void *arg;
};

struct superd_watch {
	struct superd_watch *next;
	int fd;
	unsigned events;
	superd_watch_cb *cb;
	void *arg;
};

struct fake_child {
	struct fake_child *next;
	const superd_service *svc; /* spawned: whose stderr */
	int err_fd;               /* spawned with SUPERD_SPAWN_LOG: read at exit */
	char *tag;
	pid_t pid;
	superd_child_cb *cb;
	void *arg;
};

/* What fake_service keeps in svc->rt: the service's position node and
 * every options tree configured on it (freed with the service). */
struct fake_svc_private {
	struct superd_opt at;
	struct superd_opt *trees[16];
	size_t ntrees;
};

/* One recorded datagram reply. */
struct fake_reply_rec {
	unsigned char *data;
	size_t len;
};

#define FAKE_LOG_MAX 64

static uint64_t clock_ms = 1000;
static unsigned long timer_seq;
static struct superd_timer *timers;
static struct superd_watch *watches;
static struct fake_child *children;
static struct fake_reply_rec *replies;
static size_t nreplies;
static char *log_lines[FAKE_LOG_MAX]; /* ring of the latest lines */
static unsigned log_count;
static int log_level_last = -1;
static int next_fd = -1;
static int reflect_refused;

/* Abort the test binary on an impossible condition (out of memory, or a
 * module breaking the ABI's rules). */
static void fake_fail(const char *what)
{
	fprintf(stderr, "fakehost: %s\n", what);
	abort();
}

/* Remember one log or diagnostic line. */
static void record_line(const char *line)
{
	size_t len = strlen(line);
	char *copy;

	while (len > 0 && line[len - 1] == '\n')
		len--;
	copy = strndup(line, len);
	if (!copy)
		fake_fail("out of memory");
	free(log_lines[log_count % FAKE_LOG_MAX]);
	log_lines[log_count % FAKE_LOG_MAX] = copy;
	log_count++;
}

/* diag sink: option errors become log lines the tests can read. */
static void diag_to_log(const char *line)
{
	record_line(line);
}

const char *fake_last_log(void)
{
	if (log_count == 0)
		return NULL;
	return log_lines[(log_count - 1) % FAKE_LOG_MAX];
}

unsigned fake_log_count(void)
{
	return log_count;
}

int fake_last_log_level(void)
{
	return log_level_last;
}

int fake_log_contains(const char *needle)
{
	for (size_t i = 0; i < FAKE_LOG_MAX; i++)
		if (log_lines[i] && strstr(log_lines[i], needle))
			return 1;
	return 0;
}

/* host->log: "SERVICE: message". */
static void fake_log(const superd_service *svc, int level, const char *fmt, ...)
    SUPERD_PRINTF(3, 4);
static void fake_log(const superd_service *svc, int level, const char *fmt, ...)
{
	char msg[1024], line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (svc)
		snprintf(line, sizeof(line), "%s: %s", svc->name, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);
	log_level_last = level;
	record_line(line);
}

static const char *fake_service_name(const superd_service *svc)
{
	return svc->name;
}

static const char *fake_config_dir(const superd_service *svc)
{
	return svc->config_dir;
}

/* Append len bytes to a growing buffer. */
static void buf_append(unsigned char **buf, size_t *used, const void *data,
                       size_t len)
{
	unsigned char *grown;

	if (len == 0)
		return;
	grown = realloc(*buf, *used + len);
	if (!grown)
		fake_fail("out of memory");
	memcpy(grown + *used, data, len);
	*buf = grown;
	*used += len;
}

/* host->write: everything is "sent" at once into c->out. */
static int fake_write(superd_conn *conn, const void *buf, size_t len)
{
	struct fake_conn *c = (struct fake_conn *)conn;

	if (c->closed == 2)
		return -1;
	buf_append(&c->out, &c->outlen, buf, len);
	return 0;
}

/* host->reflect: from now on the host sends input back itself. */
static int fake_reflect(superd_conn *conn)
{
	struct fake_conn *c = (struct fake_conn *)conn;

	if (reflect_refused) {
		errno = EINVAL;
		return -1;
	}
	c->reflected = 1;
	return 0;
}

/* host->sendfile: read the range into c->out, close fd either way. */
static int fake_sendfile(superd_conn *conn, int fd, off_t off, size_t len)
{
	struct fake_conn *c = (struct fake_conn *)conn;
	unsigned char chunk[8192];
	int rc = 0;

	while (len > 0 && c->closed != 2) {
		size_t want = len < sizeof(chunk) ? len : sizeof(chunk);
		ssize_t got = pread(fd, chunk, want, off);

		if (got <= 0) {
			rc = -1;
			break;
		}
		buf_append(&c->out, &c->outlen, chunk, (size_t)got);
		off += got;
		len -= (size_t)got;
	}
	if (c->closed == 2)
		rc = -1;
	close(fd);
	return rc;
}

static size_t fake_pending(const superd_conn *conn)
{
	return ((const struct fake_conn *)conn)->pending;
}

static void fake_host_close(superd_conn *conn)
{
	struct fake_conn *c = (struct fake_conn *)conn;

	if (c->closed == 0)
		c->closed = 1;
}

static void fake_host_abort(superd_conn *conn)
{
	((struct fake_conn *)conn)->closed = 2;
}

static void fake_pause_read(superd_conn *conn, int paused)
{
	((struct fake_conn *)conn)->paused = paused;
}

static void fake_set_timeout(superd_conn *conn, unsigned ms)
{
	((struct fake_conn *)conn)->timeout_ms = ms;
}

static const struct superd_peer *fake_peer(const superd_conn *conn)
{
	return &((const struct fake_conn *)conn)->peer;
}

static superd_service *fake_conn_service(const superd_conn *conn)
{
	return ((const struct fake_conn *)conn)->svc;
}

static int fake_conn_fd(const superd_conn *conn)
{
	return ((const struct fake_conn *)conn)->fd;
}

static const struct superd_tls *fake_conn_tls(const superd_conn *conn)
{
	return ((const struct fake_conn *)conn)->tls;
}

static void fake_conn_note(superd_conn *conn, const char *outcome)
{
	struct fake_conn *c = (struct fake_conn *)conn;

	snprintf(c->note, sizeof(c->note), "%s", outcome);
}

/* host->reply: record the payload. */
static int fake_host_reply(const struct superd_datagram *d, const void *buf,
                           size_t len)
{
	struct fake_reply_rec *grown;
	unsigned char *copy;

	if (!d || d->reserved != (void *)&replies)
		fake_fail("reply() with a datagram the host did not hand out");
	grown = realloc(replies, (nreplies + 1) * sizeof(*replies));
	copy = malloc(len ? len : 1);
	if (!grown || !copy)
		fake_fail("out of memory");
	memcpy(copy, buf, len);
	replies = grown;
	replies[nreplies].data = copy;
	replies[nreplies].len = len;
	nreplies++;
	return 0;
}

const unsigned char *fake_reply(size_t i, size_t *len)
{
	if (i >= nreplies)
		return NULL;
	if (len)
		*len = replies[i].len;
	return replies[i].data;
}

size_t fake_reply_count(void)
{
	return nreplies;
}

/* host->timer_add on the fake clock. */
static superd_timer *fake_timer_add(unsigned ms, superd_timer_cb *cb, void *arg)
{
	struct superd_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->due = clock_ms + ms;
	t->seq = timer_seq++;
	t->cb = cb;
	t->arg = arg;
	t->next = timers;
	timers = t;
	return t;
}

static void fake_timer_cancel(superd_timer *t)
{
	for (struct superd_timer **p = &timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			free(t);
			return;
		}
	}
	fake_fail("timer_cancel on a timer that is not active");
}

size_t fake_timer_count(void)
{
	size_t n = 0;

	for (struct superd_timer *t = timers; t; t = t->next)
		n++;
	return n;
}

/* The earliest timer due at or before now, unlinked; NULL if none. */
static struct superd_timer *timer_take_due(uint64_t now)
{
	struct superd_timer **best = NULL;

	for (struct superd_timer **p = &timers; *p; p = &(*p)->next) {
		struct superd_timer *t = *p;

		if (t->due > now)
			continue;
		if (!best || t->due < (*best)->due ||
		    (t->due == (*best)->due && t->seq < (*best)->seq))
			best = p;
	}
	if (best) {
		struct superd_timer *t = *best;

		*best = t->next;
		return t;
	}
	return NULL;
}

void fake_advance(uint64_t ms)
{
	uint64_t until = clock_ms + ms;
	struct superd_timer *t;

	while ((t = timer_take_due(until)) != NULL) {
		if (t->due > clock_ms)
			clock_ms = t->due;
		t->cb(t->arg);
		free(t);
	}
	clock_ms = until;
}

uint64_t fake_now(void)
{
	return clock_ms;
}

static uint64_t fake_now_ms(void)
{
	return clock_ms;
}

static superd_watch *fake_watch_add(int fd, unsigned events,
                                    superd_watch_cb *cb, void *arg)
{
	struct superd_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->arg = arg;
	w->next = watches;
	watches = w;
	return w;
}

static int fake_watch_set(superd_watch *w, unsigned events)
{
	w->events = events;
	return 0;
}

static void fake_watch_del(superd_watch *w)
{
	for (struct superd_watch **p = &watches; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			free(w);
			return;
		}
	}
	fake_fail("watch_del on a watch that is not active");
}

size_t fake_watch_count(void)
{
	size_t n = 0;

	for (struct superd_watch *w = watches; w; w = w->next)
		n++;
	return n;
}

static struct superd_watch *watch_find(int fd)
{
	for (struct superd_watch *w = watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int fake_watch_fire(int fd, unsigned events)
{
	struct superd_watch *w = watch_find(fd);

	if (!w)
		return 0;
	w->cb(fd, events, w->arg);
	return 1;
}

int fake_watch_events(int fd)
{
	struct superd_watch *w = watch_find(fd);

	return w ? (int)w->events : -1;
}

static int fake_child_watch(pid_t pid, superd_child_cb *cb, void *arg)
{
	struct fake_child *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return -1;
	ch->pid = pid;
	ch->cb = cb;
	ch->arg = arg;
	ch->err_fd = -1;
	ch->next = children;
	children = ch;
	return 0;
}

/* Log what a spawned child wrote to stderr, line by line, as the host. */
static void child_stderr_log(struct fake_child *ch)
{
	char buf[4096];
	ssize_t n;
	size_t len = 0;

	if (ch->err_fd < 0)
		return;
	while (len < sizeof(buf) - 1 &&
	       (n = read(ch->err_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (ch->tag)
			fake_log(ch->svc, SUPERD_LOG_WARN, "%s: %s", ch->tag, line);
		else
			fake_log(ch->svc, SUPERD_LOG_WARN, "pid %ld: %s", (long)ch->pid, line);
	}
	close(ch->err_fd);
	ch->err_fd = -1;
}

/* host->spawn: the real child setup (child_fork); stderr kept in a pipe
 * that fake_child_exit logs; the exit comes from fake_child_exit. */
static pid_t fake_spawn(superd_service *svc, const struct superd_spawn *spec)
{
	struct child_spec cs;
	int pfd[2] = { -1, -1 }, err;
	pid_t pid;

	if (spawn_spec_make(svc, spec, &cs) < 0)
		return -1;
	if (spec->fd[2] == SUPERD_SPAWN_LOG) {
		if (pipe2(pfd, O_CLOEXEC) < 0)
			return -1;
		cs.fd[2] = pfd[1];
	}
	pid = child_fork(&cs);
	err = errno;
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid < 0 || fake_child_watch(pid, spec->on_exit, spec->arg) < 0) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		errno = err;
		return -1;
	}
	children->svc = svc;
	children->err_fd = pfd[0];
	children->tag = spec->log_tag ? strdup(spec->log_tag) : NULL;
	return pid;
}

static unsigned fake_stops;

/* host->spawn_stop: SIGTERM to the group (or the child); counted. */
static void fake_spawn_stop(pid_t pid)
{
	fake_stops++;
	if (kill(-pid, SIGTERM) < 0)
		kill(pid, SIGTERM);
}

unsigned fake_spawn_stops(void)
{
	return fake_stops;
}

int fake_child_exit(pid_t pid, int status)
{
	for (struct fake_child **p = &children; *p; p = &(*p)->next) {
		struct fake_child *ch = *p;

		if (ch->pid == pid) {
			*p = ch->next;
			child_stderr_log(ch);
			if (ch->cb)
				ch->cb(pid, status, ch->arg);
			free(ch->tag);
			free(ch);
			return 1;
		}
	}
	return 0;
}

size_t fake_child_count(void)
{
	size_t n = 0;

	for (struct fake_child *ch = children; ch; ch = ch->next)
		n++;
	return n;
}

static void fake_service_set_wait(superd_service *svc, int wait)
{
	svc->wait = wait;
}

static int draining_now;

/* host->draining: what fake_set_draining said. */
static int fake_draining(void)
{
	return draining_now;
}

void fake_set_draining(int on)
{
	draining_now = on;
}

/* host->sem_*: one process, so a plain count per name (at most 4). */
static struct {
	char name[32];
	unsigned long held;
} fake_sems[4];

/* The index of semaphore name, claimed on first use; -1 when full. */
static int fake_sem_find(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (!fake_sems[i].name[0])
			snprintf(fake_sems[i].name, sizeof(fake_sems[i].name), "%s", name);
		if (strcmp(fake_sems[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* host->sem_acquire: 1 taken, 0 at the limit. */
static int fake_sem_acquire(superd_service *svc, const char *name,
                            unsigned long limit)
{
	int i = fake_sem_find(name);

	(void)svc;
	if (i < 0) {
		errno = ENOSPC;
		return -1;
	}
	if (fake_sems[i].held >= limit)
		return 0;
	fake_sems[i].held++;
	return 1;
}

/* host->sem_release: one unit back. */
static void fake_sem_release(superd_service *svc, const char *name)
{
	int i = fake_sem_find(name);

	(void)svc;
	if (i >= 0 && fake_sems[i].held)
		fake_sems[i].held--;
}

static const struct superd_host host_table = {
	.size = sizeof(struct superd_host),
	.abi_major = SUPERD_ABI_MAJOR,
	.abi_minor = SUPERD_ABI_MINOR,
	.opt_kind = opt_kind,
	.opt_get = opt_get,
	.opt_count = opt_count,
	.opt_at = opt_at,
	.opt_key_at = opt_key_at,
	.opt_str = opt_str,
	.opt_error = opt_error,
	.opt_check_keys = opt_check_keys,
	.opt_bool = opt_bool,
	.opt_uint = opt_uint,
	.opt_string = opt_string,
	.log = fake_log,
	.service_name = fake_service_name,
	.config_dir = fake_config_dir,
	.write = fake_write,
	.reflect = fake_reflect,
	.sendfile = fake_sendfile,
	.pending = fake_pending,
	.close = fake_host_close,
	.abort = fake_host_abort,
	.pause_read = fake_pause_read,
	.set_timeout = fake_set_timeout,
	.peer = fake_peer,
	.conn_service = fake_conn_service,
	.conn_fd = fake_conn_fd,
	.conn_note = fake_conn_note,
	.reply = fake_host_reply,
	.timer_add = fake_timer_add,
	.timer_cancel = fake_timer_cancel,
	.watch_add = fake_watch_add,
	.watch_set = fake_watch_set,
	.watch_del = fake_watch_del,
	.child_watch = fake_child_watch,
	.now_ms = fake_now_ms,
	.service_set_wait = fake_service_set_wait,
	.spawn = fake_spawn,
	.spawn_stop = fake_spawn_stop,
	.spawn_exec = spawn_exec,
	.service_user = spawn_service_user,
	.service_protocols = spawn_service_protocols,
	.draining = fake_draining,
	.tls = fake_conn_tls,
	.sandbox_path = sandbox_service_path,
	.sem_acquire = fake_sem_acquire,
	.sem_release = fake_sem_release,
	.service_spawns = spawn_service_spawns,
	.sandbox_syscall = sandbox_service_syscall,
	.sandbox_option = sandbox_service_option,
};

const struct superd_host *fake_host(void)
{
	diag_set_sink(diag_to_log);
	return &host_table;
}

/* Fill a peer from a numeric address; local is the loopback of the same
 * family, port 0. */
static void peer_fill(struct superd_peer *peer, unsigned proto, const char *ip,
                      unsigned port)
{
	memset(peer, 0, sizeof(*peer));
	peer->proto = proto;
	if (proto == SUPERD_PROTO_UNIX) {
		peer->remote.ss_family = AF_UNIX;
		peer->remote_len = sizeof(sa_family_t);
		peer->local = peer->remote;
		peer->local_len = peer->remote_len;
		return;
	}
	if (!ip)
		ip = "127.0.0.1";
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *r = (struct sockaddr_in6 *)&peer->remote;
		struct sockaddr_in6 *l = (struct sockaddr_in6 *)&peer->local;

		r->sin6_family = AF_INET6;
		r->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, ip, &r->sin6_addr) != 1)
			fake_fail("bad IPv6 address in a test");
		l->sin6_family = AF_INET6;
		l->sin6_addr = in6addr_loopback;
		peer->remote_len = peer->local_len = sizeof(*r);
		snprintf(peer->local_ip, sizeof(peer->local_ip), "::1");
	} else {
		struct sockaddr_in *r = (struct sockaddr_in *)&peer->remote;
		struct sockaddr_in *l = (struct sockaddr_in *)&peer->local;

		r->sin_family = AF_INET;
		r->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, ip, &r->sin_addr) != 1)
			fake_fail("bad IPv4 address in a test");
		l->sin_family = AF_INET;
		l->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		peer->remote_len = peer->local_len = sizeof(*r);
		snprintf(peer->local_ip, sizeof(peer->local_ip), "127.0.0.1");
	}
	snprintf(peer->remote_ip, sizeof(peer->remote_ip), "%s", ip);
	peer->remote_port = (unsigned short)port;
}

struct superd_service *fake_service(const char *name)
{
	struct superd_service *svc = calloc(1, sizeof(*svc));
	struct fake_svc_private *priv = calloc(1, sizeof(*priv));

	if (!svc || !priv)
		fake_fail("out of memory");
	svc->name = strdup(name);
	if (!svc->name)
		fake_fail("out of memory");
	priv->at.kind = SUPERD_OPT_MAP;
	priv->at.file = "test.yaml";
	priv->at.line = 1;
	priv->at.col = 1;
	svc->at = &priv->at;
	svc->config_dir = "/tmp";
	svc->rt = priv;
	fake_host();
	return svc;
}

void fake_service_free(struct superd_service *svc)
{
	struct fake_svc_private *priv;

	if (!svc)
		return;
	priv = svc->rt;
	for (size_t i = 0; i < priv->ntrees; i++)
		conftree_free(priv->trees[i]);
	free(priv);
	spawn_service_free(svc);
	sandbox_service_free(svc);
	free((char *)svc->name);
	free(svc);
}

superd_opt *fake_opts(const char *yaml)
{
	fake_host();
	return conftree_parse("test.yaml", yaml, strlen(yaml));
}

void fake_opts_free(superd_opt *o)
{
	if (o)
		conftree_free(o);
}

/*
 * configure() as the loader does it.  The options tree lives as long as the
 * service (fake_service_free frees it), since modules may keep pointers
 * into it until destroy.
 */
int fake_configure(const struct superd_module *m, struct superd_service *svc,
                   const char *yaml, void **instance)
{
	struct fake_svc_private *priv = svc->rt;
	superd_opt *opts = NULL;
	int rc;

	*instance = NULL;
	if (yaml) {
		if (priv->ntrees == sizeof(priv->trees) / sizeof(priv->trees[0]))
			fake_fail("too many fake_configure calls on one service");
		opts = fake_opts(yaml);
		if (!opts)
			return -1;
		priv->trees[priv->ntrees++] = opts;
	}
	svc->module = m;
	if (!m->configure) {
		if (opts) {
			opt_error(svc, opts, "module %s takes no options", m->name);
			return -1;
		}
		return 0;
	}
	rc = m->configure(fake_host(), svc, opts, instance);
	if (rc == 0)
		svc->instance = *instance;
	return rc;
}

void fake_refuse_reflect(int refuse)
{
	reflect_refused = refuse;
}

void fake_set_next_fd(int fd)
{
	next_fd = fd;
}

struct fake_conn *fake_open(const struct superd_module *m, void *instance,
                            unsigned proto, const char *ip, unsigned port,
                            int *rc)
{
	struct fake_conn *c = calloc(1, sizeof(*c));
	int opened = 0;

	if (!c)
		fake_fail("out of memory");
	peer_fill(&c->peer, proto, ip, port);
	c->mod = m;
	c->instance = instance;
	c->fd = next_fd;
	next_fd = -1;
	if (m->conn_size) {
		c->state = calloc(1, m->conn_size);
		if (!c->state)
			fake_fail("out of memory");
	}
	if (m->on_open)
		opened = m->on_open((superd_conn *)c, instance, c->state);
	if (opened != 0) {
		if (opened != -1)
			fake_fail("on_open returned neither 0 nor -1");
		c->closed = 2;
	} else {
		c->opened = 1;
	}
	if (rc)
		*rc = opened;
	return c;
}

/* Hand the kept input to on_data once, as the host's read path does. */
static void conn_deliver(struct fake_conn *c)
{
	size_t used;

	if (!c->mod->on_data) {
		c->inlen = 0;
		return;
	}
	used = c->mod->on_data((superd_conn *)c, c->instance, c->state, c->in,
	                       c->inlen);
	if (used == SUPERD_DATA_CLOSE) {
		fake_host_close((superd_conn *)c);
		c->inlen = 0;
	} else if (used == SUPERD_DATA_ABORT) {
		c->closed = 2;
		c->inlen = 0;
	} else if (used > c->inlen) {
		fake_fail("on_data consumed more bytes than it was given");
	} else {
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
}

void fake_data(struct fake_conn *c, const void *buf, size_t len)
{
	if (c->closed)
		return;
	if (c->reflected) {
		buf_append(&c->out, &c->outlen, buf, len);
		return;
	}
	buf_append(&c->in, &c->inlen, buf, len);
	if (c->paused || c->inlen == 0)
		return;
	if (len == 0 && buf != NULL)
		return;
	conn_deliver(c);
}

void fake_eof(struct fake_conn *c)
{
	c->eof = 1;
	if (c->closed)
		return;
	if (c->mod->on_eof)
		c->mod->on_eof((superd_conn *)c, c->instance, c->state);
	else
		c->closed = 1;
}

void fake_drain(struct fake_conn *c)
{
	if (c->closed == 2)
		return;
	if (c->mod->on_drain)
		c->mod->on_drain((superd_conn *)c, c->instance, c->state);
}

void fake_close(struct fake_conn *c)
{
	if (!c)
		return;
	if (c->opened && c->mod->on_close) {
		c->mod->on_close((superd_conn *)c, c->instance, c->state);
		c->on_close_called = 1;
	}
	free(c->state);
	free(c->out);
	free(c->in);
	free(c);
}

void fake_datagram(const struct superd_module *m, void *instance,
                   const void *buf, size_t len, const char *ip, unsigned port)
{
	struct superd_peer peer;
	struct superd_datagram d;

	peer_fill(&peer, SUPERD_PROTO_UDP, ip, port);
	d.data = buf ? buf : (const unsigned char *)"";
	d.len = len;
	d.peer = &peer;
	d.reserved = (void *)&replies;
	if (m->on_datagram)
		m->on_datagram(instance, &d);
}

/* Free every active timer, watch and child watch. */
static void loop_forget(void)
{
	while (timers) {
		struct superd_timer *t = timers;

		timers = t->next;
		free(t);
	}
	while (watches) {
		struct superd_watch *w = watches;

		watches = w->next;
		free(w);
	}
	while (children) {
		struct fake_child *ch = children;

		children = ch->next;
		if (ch->err_fd >= 0)
			close(ch->err_fd);
		free(ch->tag);
		free(ch);
	}
}

void fake_reset(void)
{
	draining_now = 0;
	for (size_t i = 0; i < nreplies; i++)
		free(replies[i].data);
	free(replies);
	replies = NULL;
	nreplies = 0;
	for (size_t i = 0; i < FAKE_LOG_MAX; i++) {
		free(log_lines[i]);
		log_lines[i] = NULL;
	}
	log_count = 0;
	log_level_last = -1;
	next_fd = -1;
	reflect_refused = 0;
	loop_forget();
	diag_reset();
}
