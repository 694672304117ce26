/*
 * cgi.c - CGI/1.1 jobs: spawn, pipes in the event loop, timeout, reaping.
 *
 * A job runs the script through host->spawn in its own process group, with
 * a clean environment (cgi_env.c), its directory as working directory, the
 * request body on stdin, stdout read through a watch, stderr line by line
 * into the server's log (the host does that).  Nothing blocks: the
 * output pipe is non-blocking and watched.  The script starts only once
 * its whole request body has arrived (http.c spools it, spool.c): its
 * stdin is that file, and CONTENT_LENGTH is exact (RFC 3875 §4.1.2).  At
 * most cgi_max scripts run at once in the service, across all of its
 * workers (host->sem_acquire "cgi"); past that, 503.  A job holds its unit
 * from the start until the script is reaped (or the job is freed without
 * one), and gives it back exactly once.
 *
 * cgi_timeout counts from the spawn: at expiry the process group gets
 * SIGTERM (SIGKILL 2 s later: host->spawn_stop), and the client a 504,
 * or a cut connection when the response had begun.  The group is killed
 * even when the script itself has exited by then: a job whose script left
 * processes in its group lives on until the timeout to kill them (the
 * host forgets a reaped child, so the job signals the group itself).  A
 * job outlives its connection until the child is reaped (the host reaps
 * and calls child_exited; that cannot be cancelled).
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

#define OUT_HIGH (256u * 1024u)  /* stop reading the script past this */
#define CGI_READ 65536
#define KILL_GRACE_MS 2000       /* SIGTERM to SIGKILL for leftovers */

struct cgi_job {
	struct http_instance *inst;
	struct http_conn *st;     /* NULL once detached */
	struct http_reqinfo ri;   /* owned copy */
	char *exec_path;          /* root + script name */
	char *script;             /* the script's URL path, for logs */
	struct hbuf env;          /* NUL-separated, until the spawn */
	pid_t pid;                /* 0 before the spawn */
	int exited;
	int held;                 /* holds a unit of the "cgi" semaphore */
	int out_fd;
	superd_watch *out_w;
	superd_timer *timeout;
	superd_timer *killer;     /* SIGKILL for leftovers after the script */
	int in_cb;                /* callbacks running: do not free */
	/* request body: the spooled file, -1 when there is none */
	int body_fd;
	uint64_t body_len;
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

/* Leftovers got SIGTERM a grace time ago: SIGKILL the group. */
static void killer_fired(void *arg)
{
	struct cgi_job *job = arg;

	job->killer = NULL;
	kill(-job->pid, SIGKILL);
	job_maybe_free(job);
}

/*
 * Stop the script's whole process group: SIGTERM now, SIGKILL later.
 * While the script runs the host does it.  Once it was reaped, its pid
 * still names the group as long as a member lives (the kernel does not
 * reuse a pid in use as a group id), so the job signals the group.
 */
static void job_kill(struct cgi_job *job)
{
	if (job->pid <= 0)
		return;
	if (!job->exited) {
		job->inst->host->spawn_stop(job->pid);
		return;
	}
	if (kill(-job->pid, SIGTERM) == 0 && !job->killer)
		job->killer = job->inst->host->timer_add(KILL_GRACE_MS, killer_fired, job);
}

/* Close the pipes the response needs (stderr keeps going to the log). */
static void job_close_io(struct cgi_job *job)
{
	watch_drop(job, &job->out_w);
	fd_close(&job->out_fd);
	fd_close(&job->body_fd);
	hbuf_free(&job->hdr);
}

/* Give back the job's unit of cgi_max, once (the script ended or never ran). */
static void job_unit_release(struct cgi_job *job)
{
	if (job->held)
		job->inst->host->sem_release(job->inst->svc, "cgi");
	job->held = 0;
}

/* Free the job once nothing refers to it any more. */
static void job_maybe_free(struct cgi_job *job)
{
	const struct superd_host *h = job->inst->host;

	if (job->in_cb || job->st || (job->pid > 0 && !job->exited) || job->killer)
		return;
	/* the script is gone but left processes in its group: keep the
	   timeout, which kills them */
	if (job->timeout && job->pid > 0 && kill(-job->pid, 0) == 0)
		return;
	job_close_io(job);
	job_unit_release(job);
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
	else
		h->log(job->inst->svc, SUPERD_LOG_WARN, "cgi %s: processes left "
		       "behind killed after %u s", job->script,
		       job->inst->cgi_timeout_ms / 1000);
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
	job_unit_release(job);
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
	if (job->body_fd >= 0) {
		snprintf(cl, clsz, "CONTENT_LENGTH=%llu",
		         (unsigned long long)job->body_len);
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
	job->timeout = h->timer_add(job->inst->cgi_timeout_ms, timeout_fired, job);
	if (!job->out_w || !job->timeout)
		return -1;
	return 0;
}

/* The script's stdin: its spooled body, else /dev/null (kept open). */
static int job_stdin(struct cgi_job *job)
{
	struct http_instance *inst = job->inst;

	if (job->body_fd >= 0)
		return job->body_fd;
	if (inst->devnull < 0)
		inst->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return inst->devnull;
}

/* Start the script now (its body, if any, is complete). */
static int job_spawn(struct cgi_job *job)
{
	int out[2] = { -1, -1 };
	int stdin_fd, rc = 0;
	char cl[48], **envp = make_envp(job, cl, sizeof(cl));

	if (!envp || pipe2(out, O_CLOEXEC) < 0 || (stdin_fd = job_stdin(job)) < 0)
		goto fail_errno;
	rc = spawn_process(job, stdin_fd, out[1], envp);
	if (rc) {
		rc = spawn_status(job, rc);
		goto out_close;
	}
	job->out_fd = out[0];
	out[0] = -1;
	set_nonblock(job->out_fd);
	if (job_watch(job) < 0) {
		job_kill(job);
		rc = 503;
	}
	goto out_close;
fail_errno:
	rc = spawn_status(job, errno ? errno : ENOMEM);
out_close:
	fd_close(&job->body_fd); /* the script has its own copy */
	fd_close(&out[0]);
	fd_close(&out[1]);
	free(envp);
	hbuf_free(&job->env);
	return rc;
}

/* Take the job's unit of cgi_max (all workers); -1: 503 (logged). */
static int job_unit_take(struct cgi_job *job)
{
	struct http_instance *inst = job->inst;
	int r;

	if (!inst->cgi_max)
		return 0;
	r = inst->host->sem_acquire(inst->svc, "cgi", inst->cgi_max);
	if (r > 0) {
		job->held = 1;
		return 0;
	}
	if (r == 0)
		inst->host->log(inst->svc, SUPERD_LOG_WARN, "cgi %s: cgi_max (%u) "
		                "programs running: 503", job->script, inst->cgi_max);
	else
		inst->host->log(inst->svc, SUPERD_LOG_WARN, "cgi %s: cgi_max: %s",
		                job->script, strerror(errno));
	return -1;
}

/* Start the CGI for a request (see http.h). */
int cgi_start(struct http_conn *st, const struct cgi_request *cr)
{
	struct http_instance *inst = st->inst;
	const struct superd_host *h = inst->host;
	struct cgi_job *job;
	int rc = 503;

	job = calloc(1, sizeof(*job));
	if (!job)
		return 503;
	job->inst = inst;
	job->out_fd = -1;
	job->ri = *cr->ri;
	job->ri.owned = NULL;
	job->body_len = st->spool.len;
	job->body_fd = spool_take(&st->spool);
	job->script = strndup(cr->script_name, cr->script_name_len);
	if (http_reqinfo_own(&job->ri) < 0 || !job->script ||
	    asprintf(&job->exec_path, "%s%s", cr->root, job->script) < 0) {
		job->exec_path = NULL;
		goto fail;
	}
	if (job_unit_take(job) < 0)
		goto fail;
	cgi_env_build(&job->env, inst, h->peer(st->c), cr);
	cgi_env_tls(&job->env, h->tls(st->c));
	if (job->env.oom)
		goto fail;
	if ((rc = job_spawn(job)) != 0)
		goto fail;
	job->st = st;
	st->cgi = job;
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
