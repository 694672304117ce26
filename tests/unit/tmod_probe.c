/*
 * tmod_probe.c - a test module that tries, in the worker, what the
 * sandbox forbids: one command per line, one answer line each.
 *
 *   open PATH     open(PATH, O_RDONLY)
 *   create PATH   open(PATH, O_WRONLY | O_CREAT)
 *   exec          execve("/bin/true")
 *   unshare       unshare(0) (harmless, but outside the seccomp list)
 *   spawn PATH    host->spawn(PATH) (options: {program: P} declares P)
 *   (options: {data: F} declares F readable: host->sandbox_option)
 *   getcpu        the getcpu system call (off the seccomp list, harmless;
 *                 options: {syscalls: [getcpu]} declares it)
 *
 * Answers: "ok", or "err ERRNO".
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "superd/module.h"

/* The instance is the host table itself (no state of its own); the
 * option `program` is declared as a program the service may start. */
static int probe_configure(const struct superd_host *h, superd_service *svc,
                           const superd_opt *options, void **instance)
{
	const superd_opt *calls = h->opt_get(options, "syscalls");
	const char *prog = NULL, *name;

	if (h->opt_string(svc, h->opt_get(options, "program"), &prog) < 0 ||
	    (prog && h->sandbox_path(svc, prog, SUPERD_SANDBOX_EXEC) < 0) ||
	    h->sandbox_option(svc, h->opt_get(options, "data"), SUPERD_SANDBOX_READ) < 0)
		return -1;
	for (size_t i = 0; calls && i < h->opt_count(calls); i++) {
		if (h->opt_string(svc, h->opt_at(calls, i), &name) < 0)
			return -1;
		if (h->sandbox_syscall(svc, name) < 0) {
			h->opt_error(svc, h->opt_at(calls, i), "syscalls: %s: %s", name,
			             strerror(errno));
			return -1;
		}
	}
	*instance = (void *)h;
	return 0;
}

/* spawn PATH: start it with nothing attached; its errno, or 0. */
static int probe_spawn(const struct superd_host *h, superd_conn *c,
                       const char *path)
{
	char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };
	struct superd_spawn sp = { .size = sizeof(sp), .path = path, .argv = argv,
	                           .envp = envp,
	                           .fd = { SUPERD_SPAWN_NULL, SUPERD_SPAWN_NULL,
	                                   SUPERD_SPAWN_NULL } };

	return h->spawn(h->conn_service(c), &sp) < 0 ? errno : 0;
}

/* Run one command; its errno, or 0. */
static int probe_run(const struct superd_host *h, superd_conn *c, const char *cmd)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	int fd;

	if (strncmp(cmd, "spawn ", 6) == 0)
		return probe_spawn(h, c, cmd + 6);
	if (strcmp(cmd, "getcpu") == 0) {
		unsigned cpu, node;

		return syscall(SYS_getcpu, &cpu, &node, NULL) < 0 ? errno : 0;
	}
	if (strncmp(cmd, "open ", 5) == 0)
		fd = open(cmd + 5, O_RDONLY | O_CLOEXEC);
	else if (strncmp(cmd, "create ", 7) == 0)
		fd = open(cmd + 7, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	else if (strcmp(cmd, "exec") == 0)
		return execve("/bin/true", argv, envp) < 0 ? errno : 0;
	else if (strcmp(cmd, "unshare") == 0)
		return unshare(0) < 0 ? errno : 0;
	else
		return EINVAL;
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Each complete line is a command; answer each. */
static size_t probe_data(superd_conn *c, void *instance, void *state,
                         const unsigned char *data, size_t len)
{
	const struct superd_host *host = instance;
	size_t used = 0;

	for (;;) {
		const unsigned char *nl = memchr(data + used, '\n', len - used);
		char cmd[512], out[32];
		size_t n;
		int err;

		if (!nl)
			return len - used < sizeof(cmd) ? used : SUPERD_DATA_ABORT;
		n = (size_t)(nl - (data + used));
		if (n >= sizeof(cmd))
			return SUPERD_DATA_ABORT;
		memcpy(cmd, data + used, n);
		cmd[n] = '\0';
		err = probe_run(host, c, cmd);
		if (err)
			snprintf(out, sizeof(out), "err %d\n", err);
		else
			snprintf(out, sizeof(out), "ok\n");
		host->write(c, out, strlen(out));
		used += n + 1;
	}
}

/* Nothing to set up per connection. */
static int probe_open(superd_conn *c, void *instance, void *state)
{
	return 0;
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "probe",
	.version = "1",
	.protocols = SUPERD_PROTO_TCP,
	.configure = probe_configure,
	.on_open = probe_open,
	.on_data = probe_data,
};
