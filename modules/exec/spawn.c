/*
 * spawn.c - start the program for a connection and follow it to its end.
 *
 * nowait (event style): the host spawns the program (host->spawn) with
 * the connection on fds 0 and 1 and stderr logged line by line, in its
 * own session, as the service's user when one is configured.  The
 * connection object stays open (reads paused, no idle timeout) until the
 * program exits, so max_connections and per_source count running programs.
 *
 * wait: the host forks a child and calls exec_serve with the listening
 * socket, which becomes the program's fds 0 and 1 (host->spawn_exec).
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
	char *ptrs[EXEC_CONN_VARS + EXEC_TLS_VARS + 1];
	char buf[EXEC_CONN_VARS][80];
	char tls[1536];     /**< the SSL_* variables, one after another */
};

/*
 * On a TLS connection, append the SSL_* variables (mod_ssl's names) after
 * the n already in ce.  Returns the new count.
 */
static size_t conn_env_tls(struct conn_env *ce, size_t n,
                           const struct superd_tls *t)
{
	const char *const names[EXEC_TLS_VARS] = { "SSL_PROTOCOL", "SSL_CIPHER",
		"SSL_SERVER_NAME", "SSL_CLIENT_VERIFY", "SSL_CLIENT_S_DN" };
	const char *values[EXEC_TLS_VARS];
	size_t used = 0;

	if (!t)
		return n;
	values[0] = t->protocol;
	values[1] = t->cipher;
	values[2] = t->server_name;
	values[3] = t->client_verify;
	values[4] = t->client_s_dn;
	for (size_t i = 0; i < EXEC_TLS_VARS; i++) {
		int w = snprintf(ce->tls + used, sizeof(ce->tls) - used, "%s=%s",
		                 names[i], values[i]);

		if (w < 0 || (size_t)w >= sizeof(ce->tls) - used)
			break;
		ce->ptrs[n++] = ce->tls + used;
		used += (size_t)w + 1;
	}
	ce->ptrs[n] = NULL;
	return n;
}

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

/* The spec for one program: fds, its own session, the service's user. */
static void spec_fill(struct superd_spawn *sp, const struct exec_instance *inst,
                      int fd, char **envp)
{
	memset(sp, 0, sizeof(*sp));
	sp->size = sizeof(*sp);
	sp->path = inst->path;
	sp->argv = inst->argv;
	sp->envp = envp;
	sp->fd[0] = sp->fd[1] = fd;
	sp->fd[2] = SUPERD_SPAWN_LOG;
	sp->flags = SUPERD_SPAWN_SETSID | (inst->as_user ? SUPERD_SPAWN_AS_USER : 0);
}

/* Start the program for a new connection (see the top of the file). */
int exec_open(superd_conn *c, void *instance, void *state)
{
	struct exec_instance *inst = instance;
	const struct superd_host *h = inst->host;
	struct exec_conn *ec = state;
	struct superd_spawn sp;
	struct exec_child *ch;
	struct conn_env ce;
	char **envp;
	int fd = h->conn_fd(c), err;

	ch = calloc(1, sizeof(*ch));
	envp = ch ? envp_build(inst, &ce, conn_env_tls(&ce, conn_env_fill(&ce, h->peer(c)),
	                                               h->tls(c)))
	          : NULL;
	if (!envp || set_nonblock(fd, 0) < 0)
		goto fail;
	spec_fill(&sp, inst, fd, envp);
	sp.on_exit = child_exited;
	sp.arg = ch;
	ch->inst = inst;
	ch->c = c;
	ch->conn_fd = fd;
	ch->started_ms = h->now_ms();
	ch->pid = h->spawn(inst->svc, &sp);
	if (ch->pid < 0) {
		err = errno;
		set_nonblock(fd, 1);
		errno = err;
		goto fail;
	}
	free(envp);
	ec->child = ch;
	h->pause_read(c, 1);
	h->set_timeout(c, 0);
	return 0;
fail:
	err = errno;
	free(envp);
	free(ch);
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
	ch->inst->host->spawn_stop(ch->pid);
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
	struct superd_spawn sp;
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
	if (set_nonblock(fd, 0) < 0) {
		inst->host->log(inst->svc, SUPERD_LOG_ERROR, "cannot set up the "
		                "socket for %s: %s", inst->path, strerror(errno));
		free(envp);
		return 126;
	}
	spec_fill(&sp, inst, fd, envp);
	sp.fd[2] = 2;
	inst->host->spawn_exec(inst->svc, &sp);
	inst->host->log(inst->svc, SUPERD_LOG_ERROR, "cannot run %s: %s",
	                inst->path, strerror(errno));
	free(envp);
	return errno == ENOENT || errno == EACCES ? 127 : 126;
}
