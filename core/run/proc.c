/*
 * proc.c - child processes: serve() children, the pid table, reaping.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "conn.h"
#include "host.h"
#include "log.h"
#include "proc.h"

#define PID_BUCKETS 256
/* Bytes of one stderr line kept before it is logged anyway. */
#define STDERR_LINE 512

/** A watched child. */
struct proc_entry {
	pid_t pid;
	proc_exit_cb *cb;
	void *arg;
	struct proc_entry *next;
};

static struct proc_entry *buckets[PID_BUCKETS];
static size_t nwatched;

/** A serve() child as its parent sees it: exit and stderr both to come. */
struct serve_child {
	struct superd_service *svc;
	union { struct sockaddr sa; struct sockaddr_storage ss; } remote;
	int has_remote;
	uint64_t start_ms;
	proc_exit_cb *on_exit;
	void *arg;
	int err_fd;                     /**< read end of the stderr pipe */
	int refs;                       /**< exit + pipe */
	size_t linelen;
	char line[STDERR_LINE];
};

int proc_watch(pid_t pid, proc_exit_cb *cb, void *arg)
{
	struct proc_entry *e = malloc(sizeof(*e));

	if (!e)
		return -1;
	e->pid = pid;
	e->cb = cb;
	e->arg = arg;
	e->next = buckets[pid % PID_BUCKETS];
	buckets[pid % PID_BUCKETS] = e;
	nwatched++;
	return 0;
}

/* Take pid's entry out of the table (NULL if none). */
static struct proc_entry *take(pid_t pid)
{
	struct proc_entry **pp;

	for (pp = &buckets[pid % PID_BUCKETS]; *pp; pp = &(*pp)->next) {
		struct proc_entry *e = *pp;

		if (e->pid == pid) {
			*pp = e->next;
			nwatched--;
			return e;
		}
	}
	return NULL;
}

void proc_unwatch(pid_t pid)
{
	free(take(pid));
}

/* Reap every exited child (see proc.h). */
void proc_reap(void)
{
	int status;
	pid_t pid;

	for (;;) {
		struct proc_entry *e;

		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		e = take(pid);
		if (e) {
			e->cb(pid, status, e->arg);
			free(e);
		}
	}
}

size_t proc_count(void)
{
	return nwatched;
}

/* Send sig to every watched child (grace time over). */
void proc_kill_all(int sig)
{
	for (int i = 0; i < PID_BUCKETS; i++)
		for (struct proc_entry *e = buckets[i]; e; e = e->next)
			kill(e->pid, sig);
}

/* Forget the parent's table (entries are the parent's business). */
void proc_forget_all(void)
{
	for (int i = 0; i < PID_BUCKETS; i++) {
		while (buckets[i]) {
			struct proc_entry *e = buckets[i];

			buckets[i] = e->next;
			free(e);
		}
	}
	nwatched = 0;
}

/* Default dispositions for every signal, and an empty mask. */
void proc_reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (int signo = 1; signo < NSIG; signo++)
		if (signo != SIGKILL && signo != SIGSTOP)
			sigaction(signo, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* "exit 3", "signal 9 (Killed)", with ", core dumped" when it did. */
void proc_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d (%s)%s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)),
		         WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "status 0x%x", (unsigned)status);
}

/* Close every fd from lo up. */
static void close_from(int lo)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, ~0u, 0) == 0)
		return;
#endif
	for (long fd = lo, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
		close((int)fd);
}

/* The child side of proc_spawn_serve: never returns. */
static void __attribute__((noreturn))
serve_child_main(struct superd_service *svc, int fd, int err_w,
                 const struct sockaddr *sa, socklen_t salen, unsigned proto)
{
	struct superd_peer peer = { .proto = proto };
	int fl, rc;

	proc_reset_signals();
	if (err_w >= 0 && err_w != STDERR_FILENO) {
		if (dup2(err_w, STDERR_FILENO) < 0)
			_exit(127);
	}
	if (fd != 3 && dup2(fd, 3) < 0)
		_exit(127);
	/* host->log in the child goes to the stderr pipe, not to a log fd
	 * about to be closed (and maybe reused by the module). */
	log_open(LOG_TO_STDERR, NULL, log_get_level());
	close_from(4);
	fl = fcntl(3, F_GETFL);
	if (fl >= 0)
		fcntl(3, F_SETFL, fl & ~O_NONBLOCK);
	if (sa) {
		memcpy(&peer.remote, sa, salen);
		peer.remote_len = salen;
	}
	peer.local_len = sizeof(peer.local);
	if (getsockname(3, (struct sockaddr *)&peer.local, &peer.local_len) < 0)
		peer.local_len = 0;
	conn_fill_peer_text(&peer);
	rc = svc->module->serve(3, &peer, svc->instance);
	fflush(NULL);
	_exit(rc & 0xff);
}

/* Give back one of the two references of a serve child. */
static void serve_child_unref(struct serve_child *sc)
{
	if (--sc->refs == 0)
		free(sc);
}

/* Log the stderr line kept so far. */
static void stderr_line_flush(struct serve_child *sc)
{
	if (sc->linelen)
		log_msg(SUPERD_LOG_WARN, sc->svc->name, "stderr: %.*s",
		        (int)sc->linelen, sc->line);
	sc->linelen = 0;
}

/* The child's stderr pipe is readable: log it line by line. */
static void stderr_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct serve_child *sc = arg;
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		stderr_line_flush(sc);
		loop_del(l, fd);
		close(fd);
		serve_child_unref(sc);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			stderr_line_flush(sc);
			continue;
		}
		if (sc->linelen == sizeof(sc->line))
			stderr_line_flush(sc);
		sc->line[sc->linelen++] = buf[i];
	}
}

/* A serve child exited: log it, release its access slot, tell the owner. */
static void serve_child_exited(pid_t pid, int status, void *arg)
{
	struct serve_child *sc = arg;
	struct loop *l = host_loop();
	char how[96], peer[80] = "-";
	uint64_t ms = l ? loop_now(l) - sc->start_ms : 0;

	proc_describe_status(status, how, sizeof(how));
	if (sc->has_remote)
		conn_format_addr(&sc->remote.sa, peer, sizeof(peer));
	log_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? SUPERD_LOG_INFO
	                                                       : SUPERD_LOG_WARN,
	        sc->svc->name, "%s pid %d %s, %llu.%03llus", peer, (int)pid, how,
	        (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
	if (sc->has_remote && sc->svc->access)
		access_release(sc->svc->access, &sc->remote.sa);
	if (sc->on_exit)
		sc->on_exit(pid, status, sc->arg);
	serve_child_unref(sc);
}

/* Fork a serve() child (see proc.h). */
pid_t proc_spawn_serve(struct superd_service *svc, int fd,
                       const struct sockaddr *sa, socklen_t salen,
                       unsigned proto, proc_exit_cb *on_exit, void *arg)
{
	struct serve_child *sc = calloc(1, sizeof(*sc));
	struct loop *l = host_loop();
	int pfd[2];
	pid_t pid;

	if (!sc || pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_errno(svc->name, sc ? "pipe2" : "malloc", errno);
		free(sc);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(svc->name, "fork", errno);
		close(pfd[0]);
		close(pfd[1]);
		free(sc);
		return -1;
	}
	if (pid == 0)
		serve_child_main(svc, fd, pfd[1], sa, salen, proto);
	close(pfd[1]);
	sc->svc = svc;
	if (sa && salen <= sizeof(sc->remote)) {
		memcpy(&sc->remote, sa, salen);
		sc->has_remote = 1;
	}
	sc->start_ms = l ? loop_now(l) : 0;
	sc->on_exit = on_exit;
	sc->arg = arg;
	sc->err_fd = pfd[0];
	sc->refs = 1;
	if (l && loop_add(l, pfd[0], LOOP_IN, stderr_readable, sc) == 0)
		sc->refs++;
	else
		close(pfd[0]);
	if (proc_watch(pid, serve_child_exited, sc) < 0)
		log_errno(svc->name, "proc_watch", errno);
	return pid;
}
