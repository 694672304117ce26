/*
 * spawn.c - start the program for a connection and follow it to its end.
 *
 * nowait (event style): the connection goes on the program's fds 0 and 1,
 * a pipe on fd 2 whose lines we log, every other fd closed, signal
 * dispositions and mask reset, its own session.  Without a user switch
 * posix_spawn does it all (glibc: clone(CLONE_VM|CLONE_VFORK), fast);
 * with one, fork, drop to the user, execve.  The connection object stays
 * open (reads paused, no idle timeout) until the program exits, so
 * max_connections and per_source count running programs.
 *
 * wait: the host forks a child and calls exec_serve with the listening
 * socket, which goes on fds 0 and 1 before execve (inetd wait).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"

/* The connection's variables, formatted into one buffer. */
struct conn_env {
	char *ptrs[EXEC_CONN_VARS + 1];
	char buf[EXEC_CONN_VARS][80];
};

/* Fill the per-connection variables (UCSPI and systemd names). */
static size_t conn_env_fill(struct conn_env *ce, const struct superd_peer *p)
{
	size_t n = 0;

	if (p->proto == SUPERD_PROTO_UNIX) {
		snprintf(ce->buf[n], sizeof(ce->buf[n]), "PROTO=UNIX");
		ce->ptrs[n] = ce->buf[n];
		n++;
		ce->ptrs[n] = NULL;
		return n;
	}
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "PROTO=%s",
	         p->proto == SUPERD_PROTO_UDP ? "UDP" : "TCP");
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "TCPREMOTEIP=%s", p->remote_ip);
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "TCPREMOTEPORT=%u", p->remote_port);
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "TCPLOCALIP=%s", p->local_ip);
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "TCPLOCALPORT=%u", p->local_port);
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "REMOTE_ADDR=%s", p->remote_ip);
	snprintf(ce->buf[n++], sizeof(ce->buf[0]), "REMOTE_PORT=%u", p->remote_port);
	for (size_t i = 0; i < n; i++)
		ce->ptrs[i] = ce->buf[i];
	ce->ptrs[n] = NULL;
	return n;
}

/* envp = configured env + the connection's; malloc'ed array, shared strings. */
static char **envp_build(const struct exec_instance *inst, struct conn_env *ce,
                         size_t nconn)
{
	char **envp = malloc((inst->nenv + nconn + 1) * sizeof(char *));

	if (!envp)
		return NULL;
	memcpy(envp, inst->env, inst->nenv * sizeof(char *));
	memcpy(envp + inst->nenv, ce->ptrs, (nconn + 1) * sizeof(char *));
	return envp;
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

/* Write a message to fd 2 from a child (no stdio, no allocation). */
static void child_complain(const char *what, const char *path, int err)
{
	const char *e = strerror(err);
	struct iovec iov[6] = {
		{ (void *)"exec: ", 6 }, { (void *)what, strlen(what) },
		{ (void *)path, strlen(path) }, { (void *)": ", 2 },
		{ (void *)e, strlen(e) }, { (void *)"\n", 1 },
	};

	if (writev(2, iov, 6) < 0)
		return;
}

/* In a child: signals to default and unmasked, fds 3.. closed. */
static void child_reset(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* EINVAL for SIGKILL etc.: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (close_range(3, ~0u, 0) < 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			close(fd);
	}
}

/* fork, switch user, set the fds, execve; the child never returns. */
static pid_t spawn_as_user(const struct exec_instance *inst, int fd, int err_w,
                           char **envp)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old); /* no handler runs in the child */
	pid = fork();
	if (pid != 0) {
		int err = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		errno = err;
		return pid;
	}
	setsid();
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(err_w, 2) < 0)
		_exit(126);
	child_reset();
	if (privs_apply(&inst->ids) < 0) {
		child_complain("cannot switch to user ", inst->ids.name, errno);
		_exit(126);
	}
	execve(inst->path, inst->argv, envp);
	child_complain("cannot run ", inst->path, errno);
	_exit(127);
}

/*
 * A user switch is needed unless we already are that user and group (say
 * superd dropped to the same user globally): then the fast path will do.
 */
static int user_switch_needed(const struct exec_instance *inst)
{
	return inst->switch_user &&
	       (geteuid() != inst->ids.uid || getegid() != inst->ids.gid);
}

/*
 * glibc keeps signals 32..SIGRTMIN-1 for itself and leaves them out of
 * sigfillset(); its posix_spawn then leaves them *ignored* in the new
 * program.  Asking for their default explicitly resets them too.
 */
static void sigset_add_reserved(sigset_t *set)
{
#ifdef __GLIBC__
	const unsigned bits = 8 * sizeof(set->__val[0]);

	for (int sig = 32; sig < SIGRTMIN; sig++)
		set->__val[(sig - 1) / bits] |= 1ul << ((sig - 1) % bits);
#else
	(void)set;
#endif
}

/* posix_spawn: every fd but 0-2 closed, signals reset, a new session. */
static pid_t spawn_fast(const struct exec_instance *inst, int fd, int err_w,
                        char **envp)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	pid_t pid = -1;
	int rc;

	sigfillset(&all);
	sigset_add_reserved(&all);
	sigemptyset(&none);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	if ((rc = posix_spawnattr_init(&attr)) != 0)
		goto undo_fa;
	if ((rc = posix_spawn_file_actions_adddup2(&fa, fd, 0)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, fd, 1)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, err_w, 2)) ||
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) ||
	    (rc = posix_spawnattr_setsigdefault(&attr, &all)) ||
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) ||
	    (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	                                   POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID)))
		goto undo_attr;
	rc = posix_spawn(&pid, inst->path, &fa, &attr, inst->argv, envp);
undo_attr:
	posix_spawnattr_destroy(&attr);
undo_fa:
	posix_spawn_file_actions_destroy(&fa);
out:
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

/* Log complete lines of the program's stderr; flush a partial one at EOF. */
static void stderr_lines(struct exec_child *ch, const char *data, size_t len, int eof)
{
	const struct exec_instance *inst = ch->inst;

	while (len || (eof && ch->linelen)) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		size_t room = sizeof(ch->line) - 1 - ch->linelen;

		if (take > room)
			take = room;
		memcpy(ch->line + ch->linelen, data, take);
		ch->linelen += take;
		data += take;
		len -= take;
		if (nl && data == nl) {
			data++;
			len--;
		} else if (len == 0 && !eof && ch->linelen < sizeof(ch->line) - 1) {
			return; /* wait for the rest of the line */
		}
		ch->line[ch->linelen] = '\0';
		inst->host->log(inst->svc, SUPERD_LOG_WARN, "pid %ld: %s",
		                (long)ch->pid, ch->line);
		ch->linelen = 0;
	}
}

/* Stop reading stderr (what is left is logged). */
static void stderr_close(struct exec_child *ch)
{
	if (ch->err_fd < 0)
		return;
	stderr_lines(ch, "", 0, 1);
	ch->inst->host->watch_del(ch->err_watch);
	close(ch->err_fd);
	ch->err_fd = -1;
	ch->err_watch = NULL;
}

/* The program wrote to stderr: read what is there, log whole lines. */
static void stderr_ready(int fd, unsigned events, void *arg)
{
	struct exec_child *ch = arg;
	char buf[4096];
	int rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			stderr_lines(ch, buf, (size_t)n, 0);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		stderr_close(ch); /* EOF or error */
		return;
	}
}

/* The program exited: note how, and close the connection. */
static void child_exited(pid_t pid, int status, void *arg)
{
	struct exec_child *ch = arg;
	const struct superd_host *h = ch->inst->host;
	char how[32];

	ch->exited = 1;
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	if (ch->err_fd >= 0)
		stderr_ready(ch->err_fd, SUPERD_EV_IN, ch); /* what it left */
	stderr_close(ch);
	if (!ch->c) {
		h->log(ch->inst->svc, SUPERD_LOG_INFO,
		       "pid %ld: %s after %llu ms (connection already closed)",
		       (long)pid, how,
		       (unsigned long long)(h->now_ms() - ch->started_ms));
		free(ch);
		return;
	}
	set_nonblock(ch->conn_fd, 1);
	h->conn_note(ch->c, how);
	h->close(ch->c); /* on_close frees ch */
}

/* Start the program for a new connection (see the top of the file). */
int exec_open(superd_conn *c, void *instance, void *state)
{
	struct exec_instance *inst = instance;
	const struct superd_host *h = inst->host;
	struct exec_conn *ec = state;
	struct exec_child *ch;
	struct conn_env ce;
	char **envp;
	int fd = h->conn_fd(c), errp[2], err = 0;

	ch = calloc(1, sizeof(*ch));
	if (!ch)
		goto fail;
	envp = envp_build(inst, &ce, conn_env_fill(&ce, h->peer(c)));
	if (!envp)
		goto undo_child;
	if (pipe2(errp, O_CLOEXEC) < 0)
		goto undo_envp;
	if (set_nonblock(fd, 0) < 0)
		goto undo_pipe;
	ch->pid = user_switch_needed(inst) ? spawn_as_user(inst, fd, errp[1], envp)
	                                   : spawn_fast(inst, fd, errp[1], envp);
	if (ch->pid < 0)
		goto undo_blocking;
	close(errp[1]);
	free(envp);
	ch->inst = inst;
	ch->c = c;
	ch->conn_fd = fd;
	ch->err_fd = errp[0];
	ch->started_ms = h->now_ms();
	ec->child = ch;
	if (set_nonblock(errp[0], 1) < 0 ||
	    !(ch->err_watch = h->watch_add(errp[0], SUPERD_EV_IN, stderr_ready, ch))) {
		h->log(inst->svc, SUPERD_LOG_WARN, "pid %ld: stderr not logged: %s",
		       (long)ch->pid, strerror(errno));
		close(errp[0]);
		ch->err_fd = -1;
	}
	if (h->child_watch(ch->pid, child_exited, ch) < 0) {
		/* We could never tell when it ends: stop it, refuse the client. */
		h->log(inst->svc, SUPERD_LOG_ERROR, "pid %ld: cannot watch: %s",
		       (long)ch->pid, strerror(errno));
		kill(-ch->pid, SIGKILL);
		stderr_close(ch);
		set_nonblock(fd, 1);
		ec->child = NULL;
		free(ch);
		h->conn_note(c, "exec failed");
		return -1;
	}
	h->pause_read(c, 1);
	h->set_timeout(c, 0);
	return 0;

undo_blocking:
	err = errno;
	set_nonblock(fd, 1);
undo_pipe:
	err = err ? err : errno;
	close(errp[0]);
	close(errp[1]);
undo_envp:
	free(envp);
undo_child:
	free(ch);
fail:
	err = err ? err : errno;
	h->log(inst->svc, SUPERD_LOG_ERROR, "cannot run %s: %s", inst->path,
	       strerror(err));
	h->conn_note(c, "exec failed");
	return -1;
}

/*
 * The connection is going away.  If the program still runs (the host
 * closed first: shutdown grace over, peer reset), ask it to stop and keep
 * following it; otherwise free what we kept.
 */
void exec_close(superd_conn *c, void *instance, void *state)
{
	struct exec_conn *ec = state;
	struct exec_child *ch = ec->child;

	if (!ch)
		return;
	ec->child = NULL;
	if (ch->exited) {
		free(ch);
		return;
	}
	ch->c = NULL;
	if (kill(-ch->pid, SIGTERM) < 0)
		kill(ch->pid, SIGTERM);
}

/*
 * inetd wait: in a child the host forked, put the listening socket on fds
 * 0 and 1 and become the program; it accepts (TCP) or reads the datagrams
 * (UDP) itself.  Returns only on failure (the child's exit code).
 */
int exec_serve(int fd, const struct superd_peer *peer, void *instance)
{
	struct exec_instance *inst = instance;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int type = SOCK_STREAM;
	socklen_t tlen = sizeof(type);
	char proto[16], *envp_local[2] = { proto, NULL };
	char **envp;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		type = SOCK_STREAM;
	snprintf(proto, sizeof(proto), "PROTO=%s",
	         ss.ss_family == AF_UNIX ? "UNIX" : type == SOCK_DGRAM ? "UDP" : "TCP");
	envp = malloc((inst->nenv + 2) * sizeof(char *));
	if (!envp)
		return 126;
	memcpy(envp, inst->env, inst->nenv * sizeof(char *));
	memcpy(envp + inst->nenv, envp_local, sizeof(envp_local));
	if (set_nonblock(fd, 0) < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
		child_complain("cannot set up the socket for ", inst->path, errno);
		return 126;
	}
	child_reset();
	setsid();
	if (inst->switch_user && privs_apply(&inst->ids) < 0) {
		child_complain("cannot switch to user ", inst->ids.name, errno);
		return 126;
	}
	execve(inst->path, inst->argv, envp);
	child_complain("cannot run ", inst->path, errno);
	return 127;
}
