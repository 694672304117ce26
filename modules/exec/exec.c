/*
 * exec.c - the exec module: run an external program per connection, the
 * way inetd does.  This file checks the options and builds the instance;
 * spawn.c does the running.
 *
 * options:
 *   argv:  [program, arg...]   required; program is a path (relative to the
 *                              configuration's directory) or a name looked
 *                              up in PATH, resolved once here
 *   env:   {NAME: value}       the program's environment, plus PATH (if not
 *                              given) and the connection's variables
 *   user:  name or uid         run the program as this user (the host
 *   group: name or gid         resolves and switches); group defaults to
 *                              the user's
 *   wait:  false               true: inetd "wait", the program gets the
 *                              listening socket (required for UDP)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"

#ifndef EXEC_VERSION
#define EXEC_VERSION "0"
#endif

static int exec_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance);
static void exec_destroy(void *instance);

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "exec",
	.version = EXEC_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.conn_size = sizeof(struct exec_conn),
	.configure = exec_configure,
	.destroy = exec_destroy,
	.on_open = exec_open,
	.on_close = exec_close,
	.serve = exec_serve,
};

/* Names superd sets per connection; configuring them is an error. */
static const char *const conn_var_names[] = {
	"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
	"REMOTE_ADDR", "REMOTE_PORT", "SSL_PROTOCOL", "SSL_CIPHER",
	"SSL_SERVER_NAME", "SSL_CLIENT_VERIFY", "SSL_CLIENT_S_DN", NULL,
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Free an instance (also a half-built one). */
static void exec_destroy(void *instance)
{
	struct exec_instance *inst = instance;

	if (!inst)
		return;
	free(inst->path);
	strv_free(inst->argv);
	strv_free(inst->env);
	free(inst);
}

/* Look name up in PATH (superd's, else a default): malloc'ed, or NULL. */
static char *path_search(const char *name)
{
	const char *dirs = getenv("PATH");
	char buf[4096];

	if (!dirs || !*dirs)
		dirs = DEFAULT_PATH;
	while (*dirs) {
		size_t len = strcspn(dirs, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len,
		         len ? dirs : ".", name);
		if (access(buf, X_OK) == 0)
			return strdup(buf);
		dirs += len + (dirs[len] == ':');
	}
	return NULL;
}

/* Resolve argv[0] to the program to run, and check it can be run. */
static int program_check(struct exec_instance *inst, const superd_opt *at,
                         const char *prog)
{
	const struct superd_host *h = inst->host;
	struct stat st;

	if (!strchr(prog, '/')) {
		inst->path = path_search(prog);
		if (!inst->path) {
			h->opt_error(inst->svc, at, "program '%s' not found in PATH", prog);
			return -1;
		}
	} else if (prog[0] == '/') {
		inst->path = strdup(prog);
	} else if (asprintf(&inst->path, "%s/%s", h->config_dir(inst->svc), prog) < 0) {
		inst->path = NULL;
	}
	if (!inst->path) {
		h->opt_error(inst->svc, at, "out of memory");
		return -1;
	}
	if (stat(inst->path, &st) < 0) {
		h->opt_error(inst->svc, at, "program %s: %s", inst->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		h->opt_error(inst->svc, at, "program %s is not a regular file", inst->path);
		return -1;
	}
	if (access(inst->path, X_OK) < 0 || !(st.st_mode & 0111)) {
		h->opt_error(inst->svc, at, "program %s is not executable", inst->path);
		return -1;
	}
	/* the one program this service may start (the host refuses others) */
	if (h->sandbox_path(inst->svc, inst->path, SUPERD_SANDBOX_EXEC) < 0) {
		h->opt_error(inst->svc, at, "out of memory");
		return -1;
	}
	return 0;
}

/* argv: a non-empty list of strings. */
static int argv_parse(struct exec_instance *inst, const superd_opt *o)
{
	const struct superd_host *h = inst->host;
	size_t i, n;

	if (!o) {
		h->opt_error(inst->svc, NULL, "exec needs options: argv");
		return -1;
	}
	n = h->opt_count(o);
	if (h->opt_kind(o) != SUPERD_OPT_SEQ || n == 0) {
		h->opt_error(inst->svc, o,
		             "argv must be a non-empty list: [program, arguments...]");
		return -1;
	}
	inst->argv = calloc(n + 1, sizeof(char *));
	if (!inst->argv)
		return -1;
	for (i = 0; i < n; i++) {
		const char *s;

		if (h->opt_string(inst->svc, h->opt_at(o, i), &s) < 0)
			return -1;
		if (i == 0 && !*s) {
			h->opt_error(inst->svc, h->opt_at(o, i), "empty program name");
			return -1;
		}
		inst->argv[i] = strdup(s);
		if (!inst->argv[i])
			return -1;
	}
	return program_check(inst, h->opt_at(o, 0), inst->argv[0]);
}

/* A variable name: letters, digits, '_', not starting with a digit. */
static int env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* One env entry; checks the name and that superd does not set it itself. */
static int env_entry(struct exec_instance *inst, const superd_opt *map, size_t i)
{
	const struct superd_host *h = inst->host;
	const char *name = h->opt_key_at(map, i), *value;
	const superd_opt *v = h->opt_at(map, i);
	size_t k;

	if (!env_name_ok(name)) {
		h->opt_error(inst->svc, v, "env: '%s' is not a variable name", name);
		return -1;
	}
	for (k = 0; conn_var_names[k]; k++)
		if (strcmp(name, conn_var_names[k]) == 0) {
			h->opt_error(inst->svc, v,
			             "env: %s is set by superd for each connection", name);
			return -1;
		}
	if (h->opt_string(inst->svc, v, &value) < 0)
		return -1;
	if (asprintf(&inst->env[inst->nenv], "%s=%s", name, value) < 0) {
		inst->env[inst->nenv] = NULL;
		return -1;
	}
	inst->nenv++;
	return 0;
}

/* env: a mapping of names to strings; PATH added when not given. */
static int env_parse(struct exec_instance *inst, const superd_opt *o)
{
	const struct superd_host *h = inst->host;
	size_t i, n = o ? h->opt_count(o) : 0;
	int has_path = 0;

	if (o && h->opt_kind(o) != SUPERD_OPT_MAP) {
		h->opt_error(inst->svc, o, "env must be a mapping: {NAME: value}");
		return -1;
	}
	inst->env = calloc(n + 2, sizeof(char *));
	if (!inst->env)
		return -1;
	for (i = 0; i < n; i++) {
		if (env_entry(inst, o, i) < 0)
			return -1;
		has_path |= strcmp(h->opt_key_at(o, i), "PATH") == 0;
	}
	if (!has_path) {
		inst->env[inst->nenv] = strdup("PATH=" DEFAULT_PATH);
		if (!inst->env[inst->nenv])
			return -1;
		inst->nenv++;
	}
	return 0;
}

/* user/group: the host resolves them now (a typo is a `superd -t` error)
 * and switches to them in each child. */
static int user_parse(struct exec_instance *inst, const superd_opt *options)
{
	const struct superd_host *h = inst->host;
	const superd_opt *uo = h->opt_get(options, "user");
	const superd_opt *go = h->opt_get(options, "group");

	if (!uo && go) {
		h->opt_error(inst->svc, go, "group needs user");
		return -1;
	}
	if (!uo)
		return 0;
	if (h->service_user(inst->svc, uo, go) < 0)
		return -1;
	inst->as_user = 1;
	return 0;
}

/* wait; UDP needs it (a nowait datagram service would spin, as in xinetd). */
static int wait_parse(struct exec_instance *inst, const superd_opt *options)
{
	const struct superd_host *h = inst->host;
	const superd_opt *wo = h->opt_get(options, "wait");

	if (h->opt_bool(inst->svc, wo, &inst->wait) < 0)
		return -1;
	if (!inst->wait && (h->service_protocols(inst->svc) & SUPERD_PROTO_UDP)) {
		h->opt_error(inst->svc, wo,
		             "exec over udp needs wait: true (the program reads the "
		             "datagrams itself, as with inetd)");
		return -1;
	}
	if (inst->wait)
		h->service_set_wait(inst->svc, 1);
	return 0;
}

/* Check every option and build the instance (runs under superd -t). */
static int exec_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance)
{
	static const char *const keys[] = { "argv", "env", "user", "group", "wait", NULL };
	struct exec_instance *inst = calloc(1, sizeof(*inst));

	if (!inst) {
		host->opt_error(svc, options, "out of memory");
		return -1;
	}
	if (host->abi_minor < 2) {
		host->opt_error(svc, options, "exec needs a host with ABI 1.2 (spawn)");
		free(inst);
		return -1;
	}
	inst->host = host;
	inst->svc = svc;
	if (host->opt_check_keys(svc, options, keys) < 0 ||
	    argv_parse(inst, host->opt_get(options, "argv")) < 0 ||
	    env_parse(inst, host->opt_get(options, "env")) < 0 ||
	    user_parse(inst, options) < 0 || wait_parse(inst, options) < 0) {
		exec_destroy(inst);
		return -1;
	}
	host->service_spawns(svc, host->opt_get(options, "argv"), "its program");
	*instance = inst;
	return 0;
}
