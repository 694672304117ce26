/*
 * cgi.c - CGI/1.1 jobs: spawn, pipes in the event loop, timeout, reaping.
 *
 * A job runs the script through host->spawn in its own process group, with
 * a clean environment (cgi_env.c), its directory as working directory, the
 * request body on stdin, stdout read through a watch, stderr line by line
 * into the server's log (the host does that).  Nothing blocks: every pipe is non-blocking and
 * watched.  A Content-Length body is streamed to the script; a chunked
 * one is first de-chunked into a memory file so that CONTENT_LENGTH can
 * be set (RFC 3875 §4.1.2).
 *
 * cgi_timeout counts from the spawn: at expiry the process group gets
 * SIGTERM (SIGKILL 2 s later: host->spawn_stop), and the client a 504,
 * or a cut connection when the response had begun.  A job outlives its
 * connection until the child is reaped (the host reaps and calls
 * child_exited; that cannot be cancelled).
 *
 * Host calls made outside a connection callback (watches, timers) may
 * close the connection at once; on_close then detaches the job, so after
 * each such call the code checks job->st before touching the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi.h"

#define INBUF_MAX (64u * 1024u)  /* body bytes held for the script's stdin */
#define OUT_HIGH (256u * 1024u)  /* stop reading the script past this */
#define CGI_READ 65536

enum body_mode { BODY_NONE, BODY_PIPE, BODY_CHUNKED };

struct cgi_job {
	struct http_instance *inst;
	struct http_conn *st;     /* NULL once detached */
	struct http_reqinfo ri;   /* owned copy */
	char *exec_path;          /* root + script name */
	char *script;             /* the script's URL path, for logs */
	struct hbuf env;          /* NUL-separated, until the spawn */
	pid_t pid;                /* 0 before the spawn */
	int exited;
	int in_fd, out_fd;
	superd_watch *in_w, *out_w;
	superd_timer *timeout;
	int in_cb;                /* callbacks running: do not free */
	/* request body */
	enum body_mode body;
	uint64_t body_left;       /* BODY_PIPE: bytes still to come */
	struct http_chunked ck;   /* BODY_CHUNKED */
	int body_fd;              /* BODY_CHUNKED: the memory file */
	int body_done;
	struct hbuf inbuf;        /* waiting for the pipe */
	int stdin_broken;         /* the script stopped reading stdin */
	/* response */
	struct hbuf hdr;          /* output until the header ended */
	struct cgi_head head;
	int started;              /* the response head went out */
	uint64_t sent;
};

static void job_maybe_free(struct cgi_job *job);

/* --- small helpers --- */

/* Close *fd if open and mark it closed. */
static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Remove a watch if set. */
static void watch_drop(struct cgi_job *job, superd_watch **w)
{
	if (*w)
		job->inst->host->watch_del(*w);
	*w = NULL;
}

/* Our ends of the pipes never block the worker. */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Stop the script's whole process group: SIGTERM now, SIGKILL later. */
static void job_kill(struct cgi_job *job)
{
	if (job->pid <= 0 || job->exited)
		return;
	job->inst->host->spawn_stop(job->pid);
}

/* Close the pipes the response needs (stderr keeps going to the log). */
static void job_close_io(struct cgi_job *job)
{
	watch_drop(job, &job->in_w);
	watch_drop(job, &job->out_w);
	fd_close(&job->in_fd);
	fd_close(&job->out_fd);
	fd_close(&job->body_fd);
	hbuf_free(&job->inbuf);
	hbuf_free(&job->hdr);
}

/* Free the job once nothing refers to it any more. */
static void job_maybe_free(struct cgi_job *job)
{
	const struct superd_host *h = job->inst->host;

	if (job->in_cb || job->st || (job->pid > 0 && !job->exited))
		return;
	job_close_io(job);
	if (job->timeout)
		h->timer_cancel(job->timeout);
	http_reqinfo_free(&job->ri);
	hbuf_free(&job->env);
	free(job->exec_path);
	free(job->script);
	free(job);
}

/* Unhook the job from its connection (which goes on or closes). */
static struct http_conn *job_unhook(struct cgi_job *job)
{
	struct http_conn *st = job->st;

	job->st = NULL;
	if (st)
		st->cgi = NULL;
	return st;
}

/* --- the request body, towards the script --- */

/* Resume reading the client when the script can take more body. */
static void resume_client(struct cgi_job *job)
{
	struct http_conn *st = job->st;

	if (st && st->paused && cgi_wants_body(job)) {
		st->paused = 0;
		job->inst->host->pause_read(st->c, 0);
	}
}

/* Write held body bytes to the script; close its stdin at the end. */
static void in_flush(struct cgi_job *job)
{
	const struct superd_host *h = job->inst->host;

	while (job->inbuf.len && !job->stdin_broken) {
		ssize_t n = write(job->in_fd, job->inbuf.p, job->inbuf.len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) { /* EPIPE: the script does not read; drop the rest */
			job->stdin_broken = 1;
			break;
		}
		hbuf_consume(&job->inbuf, (size_t)n);
	}
	if (job->stdin_broken)
		job->inbuf.len = 0;
	if (job->in_fd >= 0 && !job->inbuf.len && (!job->body_left || job->stdin_broken)) {
		watch_drop(job, &job->in_w);
		fd_close(&job->in_fd);
	} else if (job->in_w) {
		h->watch_set(job->in_w, job->inbuf.len ? SUPERD_EV_OUT : 0);
	}
}

/* The script's stdin takes more (watch callback). */
static void in_writable(int fd, unsigned events, void *arg)
{
	struct cgi_job *job = arg;

	job->in_cb++;
	in_flush(job);
	if (job->inbuf.len < INBUF_MAX / 2)
		resume_client(job);
	job->in_cb--;
	job_maybe_free(job);
}

/* The job still wants request body bytes. */
int cgi_wants_body(const struct cgi_job *job)
{
	if (job->body == BODY_PIPE)
		return job->body_left > 0;
	return job->body == BODY_CHUNKED && !job->body_done;
}

static int job_spawn(struct cgi_job *job);
static void respond_fail(struct cgi_job *job, int status);

/* Append decoded bytes to the memory file. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A chunked body: de-chunk into the memory file, spawn at its end. */
static size_t feed_chunked(struct cgi_job *job, const unsigned char *data,
                           size_t len)
{
	char tmp[8192];
	size_t used = 0;

	while (used < len && !job->body_done) {
		size_t k = len - used < sizeof(tmp) ? len - used : sizeof(tmp);
		size_t out, took;
		int rc;

		memcpy(tmp, data + used, k);
		rc = http_chunked_decode(&job->ck, tmp, k, tmp, &out, &took);
		used += took;
		if (out && write_all(job->body_fd, tmp, out) < 0)
			rc = 500;
		if (rc == 1) {
			job->body_done = 1;
			rc = job_spawn(job);
		}
		if (rc) {
			respond_fail(job, rc);
			return len;
		}
	}
	return used;
}

/* Feed request body bytes (see http.h). */
size_t cgi_feed(struct http_conn *st, const unsigned char *data, size_t len)
{
	struct cgi_job *job = st->cgi;
	size_t n;

	if (job->body == BODY_CHUNKED)
		return feed_chunked(job, data, len);
	n = len < job->body_left ? len : (size_t)job->body_left;
	if (!job->stdin_broken) {
		size_t room = INBUF_MAX - job->inbuf.len;

		if (n > room)
			n = room;
		if (n == 0)
			return 0;
		hbuf_add(&job->inbuf, data, n);
	}
	job->body_left -= n;
	in_flush(job);
	return n;
}

/* --- the script's output, towards the client --- */

/* Answer status (before anything was sent) and close the connection. */
static void respond_fail(struct cgi_job *job, int status)
{
	struct http_conn *st = job_unhook(job);

	job_close_io(job);
	if (!st)
		return;
	if (http_send_error(st, &job->ri, status, 1, NULL) == 0)
		job->inst->host->close(st->c);
}

/* Append body bytes with the response's framing to st->out-> */
static void frame_body(struct cgi_job *job, struct hbuf *b, const char *p,
                       size_t n)
{
	switch (job->head.mode) {
	case CGI_OUT_NONE:
		return;
	case CGI_OUT_LENGTH:
		if (n > job->head.length - job->sent)
			n = (size_t)(job->head.length - job->sent);
		hbuf_add(b, p, n);
		break;
	case CGI_OUT_CHUNKED:
		if (!n)
			return;
		hbuf_printf(b, "%zx\r\n", n);
		hbuf_add(b, p, n);
		hbuf_str(b, "\r\n");
		break;
	case CGI_OUT_CLOSE:
	case CGI_OUT_NPH:
		hbuf_add(b, p, n);
		break;
	}
	job->sent += n;
}

static void out_ended(struct cgi_job *job);

/* A response with a Content-Length is over once that much went out. */
static void out_check_length(struct cgi_job *job)
{
	if (job->st && job->head.mode == CGI_OUT_LENGTH &&
	    job->sent >= job->head.length)
		out_ended(job); /* the rest of the output, if any, is not read */
}

/* Output bytes: the header first, then the body. */
static void out_data(struct cgi_job *job, const char *p, size_t n)
{
	struct http_conn *st = job->st;
	int rc;

	if (job->started) {
		st->out->len = 0;
		frame_body(job, st->out, p, n);
		if (st->out->len)
			http_flush_head(st);
		out_check_length(job);
		return;
	}
	hbuf_add(&job->hdr, p, n);
	if (job->hdr.oom) {
		respond_fail(job, 500);
		return;
	}
	rc = cgi_head_parse(st, &job->ri, job->hdr.p, job->hdr.len, &job->head);
	if (rc == 0)
		return;
	if (rc < 0) {
		job->inst->host->log(job->inst->svc, SUPERD_LOG_WARN,
		                     "cgi %s: malformed header", job->script);
		respond_fail(job, 500);
		return;
	}
	job->started = 1;
	if (job->head.mode == CGI_OUT_NPH)
		st->out->len = 0;
	frame_body(job, st->out, job->hdr.p + job->head.header_len,
	           job->hdr.len - job->head.header_len);
	hbuf_free(&job->hdr);
	http_flush_head(st);
	out_check_length(job);
}

/* The script closed its stdout: finish the response. */
static void out_ended(struct cgi_job *job)
{
	struct http_conn *st = job->st;
	int complete = 1;

	watch_drop(job, &job->out_w);
	fd_close(&job->out_fd);
	if (!st)
		return;
	if (!job->started) {
		job->inst->host->log(job->inst->svc, SUPERD_LOG_WARN, "cgi %s: %s",
		                     job->script, job->hdr.len ? "incomplete header"
		                                               : "no output");
		respond_fail(job, 500);
		return;
	}
	if (job->head.mode == CGI_OUT_LENGTH && job->sent < job->head.length)
		complete = 0;
	if (job->head.mode == CGI_OUT_CLOSE || job->head.mode == CGI_OUT_NPH)
		job->ri.keep_alive = 0;
	http_log(st, &job->ri, job->head.status, job->sent);
	if (job->body == BODY_PIPE && job->body_left)
		st->discard_left = job->body_left; /* unread body: drop it */
	st = job_unhook(job);
	if (!complete) {
		job->inst->host->abort(st->c);
		return;
	}
	if (!job->ri.keep_alive)
		st->closing = 1;
	if (job->head.mode == CGI_OUT_CHUNKED) {
		st->out->len = 0;
		hbuf_str(st->out, "0\r\n\r\n");
		if (http_flush_head(st) < 0)
			return;
	}
	http_response_done(st);
}

/* The script's stdout has output (watch callback); bounded per call. */
static void out_readable(int fd, unsigned events, void *arg)
{
	struct cgi_job *job = arg;
	const struct superd_host *h = job->inst->host;
	char buf[CGI_READ];

	job->in_cb++;
	for (int i = 0; i < 4 && job->st && job->out_fd >= 0; i++) {
		ssize_t n;

		if (h->pending(job->st->c) > OUT_HIGH) {
			h->watch_set(job->out_w, 0); /* cgi_on_drain resumes */
			break;
		}
		n = read(job->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			out_ended(job);
			break;
		}
		out_data(job, buf, (size_t)n);
	}
	job->in_cb--;
	job_maybe_free(job);
}

/* The connection drained: read the script again (see http.h). */
void cgi_on_drain(struct http_conn *st)
{
	struct cgi_job *job = st->cgi;

	if (job->out_w)
		job->inst->host->watch_set(job->out_w, SUPERD_EV_IN);
}

/* --- the process --- */

/* cgi_timeout: kill the group; 504, or cut the started response. */
static void timeout_fired(void *arg)
{
	struct cgi_job *job = arg;
	const struct superd_host *h = job->inst->host;
	struct http_conn *st;

	job->timeout = NULL;
	job->in_cb++;
	if (!job->exited || job->out_fd >= 0)
		h->log(job->inst->svc, SUPERD_LOG_WARN, "cgi %s: timed out after %u s",
		       job->script, job->inst->cgi_timeout_ms / 1000);
	job_kill(job);
	if (job->st && !job->started) {
		respond_fail(job, 504);
	} else if (job->st) {
		http_log(job->st, &job->ri, job->head.status, job->sent);
		st = job_unhook(job);
		job_close_io(job);
		h->abort(st->c);
	}
	job->in_cb--;
	job_maybe_free(job);
}

/* The host reaped the script. */
static void child_exited(pid_t pid, int status, void *arg)
{
	struct cgi_job *job = arg;
	const struct superd_host *h = job->inst->host;

	job->exited = 1;
	if (WIFEXITED(status) && WEXITSTATUS(status))
		h->log(job->inst->svc, SUPERD_LOG_INFO, "cgi %s: exit %d",
		       job->script, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		h->log(job->inst->svc, SUPERD_LOG_INFO, "cgi %s: killed by signal %d",
		       job->script, WTERMSIG(status));
	job_maybe_free(job);
}

/* envp from the NUL-separated block plus CONTENT_LENGTH. */
static char **make_envp(struct cgi_job *job, char *cl, size_t clsz)
{
	size_t count = 2, i = 0;
	char **envp;

	for (size_t k = 0; k < job->env.len; k++)
		count += job->env.p[k] == '\0';
	envp = calloc(count, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t k = 0; k < job->env.len; k += strlen(job->env.p + k) + 1)
		envp[i++] = job->env.p + k;
	if (job->body != BODY_NONE) {
		snprintf(cl, clsz, "CONTENT_LENGTH=%llu",
		         (unsigned long long)(job->body == BODY_PIPE ? job->body_left
		                                                     : job->ck.total));
		envp[i++] = cl;
	}
	envp[i] = NULL;
	return envp;
}

/* host->spawn with the pipes, the directory and a process group. */
static int spawn_process(struct cgi_job *job, int stdin_fd, int out_w,
                         char **envp)
{
	const struct superd_host *h = job->inst->host;
	struct superd_spawn sp = { .size = sizeof(sp) };
	char *argv[2] = { job->exec_path, NULL };
	char *slash = strrchr(job->exec_path, '/'), tag[300];

	snprintf(tag, sizeof(tag), "cgi %s", job->script);
	*slash = '\0';
	sp.dir = job->exec_path[0] ? strdup(job->exec_path) : strdup("/");
	*slash = '/';
	if (!sp.dir)
		return ENOMEM;
	sp.path = job->exec_path;
	sp.argv = argv;
	sp.envp = envp;
	sp.fd[0] = stdin_fd;
	sp.fd[1] = out_w;
	sp.fd[2] = SUPERD_SPAWN_LOG;
	sp.flags = SUPERD_SPAWN_SETPGRP;
	sp.log_tag = tag;
	sp.on_exit = child_exited;
	sp.arg = job;
	job->pid = h->spawn(job->inst->svc, &sp);
	free((char *)sp.dir);
	if (job->pid > 0)
		return 0;
	job->pid = 0;
	return errno ? errno : EAGAIN;
}

/* The spawn's error as a status (logged). */
static int spawn_status(struct cgi_job *job, int err)
{
	job->inst->host->log(job->inst->svc, SUPERD_LOG_WARN, "cgi %s: spawn: %s",
	                     job->script, strerror(err));
	if (err == EAGAIN || err == ENOMEM || err == EMFILE || err == ENFILE)
		return 503;
	return err == EACCES ? 403 : 500;
}

/* Watches, child watch and timeout for a spawned script. */
static int job_watch(struct cgi_job *job)
{
	const struct superd_host *h = job->inst->host;

	job->out_w = h->watch_add(job->out_fd, SUPERD_EV_IN, out_readable, job);
	if (job->in_fd >= 0)
		job->in_w = h->watch_add(job->in_fd, 0, in_writable, job);
	job->timeout = h->timer_add(job->inst->cgi_timeout_ms, timeout_fired, job);
	if (!job->out_w || (job->in_fd >= 0 && !job->in_w) || !job->timeout)
		return -1;
	return 0;
}

/* Start the script now (the body is streamed or already collected). */
static int job_spawn(struct cgi_job *job)
{
	int out[2] = { -1, -1 }, in[2] = { -1, -1 };
	int stdin_fd = -1, rc = 0;
	char cl[48], **envp = make_envp(job, cl, sizeof(cl));

	if (!envp || pipe2(out, O_CLOEXEC) < 0)
		goto fail_errno;
	if (job->body == BODY_PIPE) {
		if (pipe2(in, O_CLOEXEC) < 0)
			goto fail_errno;
		stdin_fd = in[0];
	} else if (job->body == BODY_CHUNKED) {
		if (lseek(job->body_fd, 0, SEEK_SET) < 0)
			goto fail_errno;
		stdin_fd = job->body_fd;
	} else {
		if (job->inst->devnull < 0)
			job->inst->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (job->inst->devnull < 0)
			goto fail_errno;
		stdin_fd = job->inst->devnull; /* kept open for the next one */
	}
	rc = spawn_process(job, stdin_fd, out[1], envp);
	if (rc) {
		rc = spawn_status(job, rc);
		goto out_close;
	}
	job->out_fd = out[0];
	job->in_fd = in[1];
	out[0] = in[1] = -1;
	set_nonblock(job->out_fd);
	if (job->in_fd >= 0)
		set_nonblock(job->in_fd);
	if (job_watch(job) < 0) {
		job_kill(job);
		rc = 503;
	}
	goto out_close;
fail_errno:
	rc = spawn_status(job, errno ? errno : ENOMEM);
out_close:
	if (stdin_fd >= 0 && stdin_fd != job->body_fd && stdin_fd != job->inst->devnull)
		close(stdin_fd);
	fd_close(&job->body_fd);
	for (int i = 0; i < 2; i++) {
		fd_close(&out[i]);
		fd_close(&in[i]);
	}
	free(envp);
	hbuf_free(&job->env);
	return rc;
}

/* Start the CGI for a request (see http.h). */
int cgi_start(struct http_conn *st, const struct cgi_request *cr)
{
	struct http_instance *inst = st->inst;
	const struct superd_host *h = inst->host;
	const struct http_request *req = cr->req;
	struct cgi_job *job = calloc(1, sizeof(*job));
	int rc = 503;

	if (!job)
		return 503;
	job->inst = inst;
	job->in_fd = job->out_fd = job->body_fd = -1;
	job->ri = *cr->ri;
	job->ri.owned = NULL;
	job->script = strndup(cr->script_name, cr->script_name_len);
	if (http_reqinfo_own(&job->ri) < 0 || !job->script ||
	    asprintf(&job->exec_path, "%s%s", inst->root_real, job->script) < 0) {
		job->exec_path = NULL;
		goto fail;
	}
	cgi_env_build(&job->env, inst, h->peer(st->c), cr);
	if (job->env.oom)
		goto fail;
	if (req->chunked) {
		job->body = BODY_CHUNKED;
		http_chunked_init(&job->ck, inst->limits.max_body);
		job->body_fd = memfd_create("superd-cgi-body", MFD_CLOEXEC);
		if (job->body_fd < 0)
			goto fail;
	} else if (req->has_length && req->length) {
		job->body = BODY_PIPE;
		job->body_left = req->length;
	}
	if (job->body != BODY_CHUNKED && (rc = job_spawn(job)) != 0)
		goto fail;
	job->st = st;
	st->cgi = job;
	if (req->expect_continue && job->body != BODY_NONE)
		h->write(st->c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	return 0;
fail:
	job_kill(job);
	job_close_io(job);
	job_maybe_free(job);
	return rc;
}

/* The connection is going away (see http.h). */
void cgi_detach(struct http_conn *st)
{
	struct cgi_job *job = st->cgi;

	job_unhook(job);
	job_kill(job);
	job_close_io(job);
	job_maybe_free(job);
}
