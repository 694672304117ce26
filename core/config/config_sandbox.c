/*
 * config_sandbox.c - a service's `sandbox:` mapping: what its children
 * (exec programs, CGI scripts, serve() children) start with.
 *
 *   sandbox:
 *     cpu: 10            RLIMIT_CPU, seconds
 *     memory: 256M       RLIMIT_AS, bytes (K, M, G suffixes)
 *     files: 64          RLIMIT_NOFILE
 *     processes: 16      RLIMIT_NPROC (counted per user)
 *     no_new_privs: true PR_SET_NO_NEW_PRIVS (implied by the path lists)
 *     read: [/usr, /etc] Landlock: with any of read/write/exec given, the
 *     write: [/var/tmp]  child may only read, write or execute beneath
 *     exec: [/usr/bin]   the paths listed (relative to the config's dir)
 */
#include <stdio.h>
#include <stdlib.h>

#include "config_check.h"
#include "diag.h"

#define SIZE_MAX_BYTES (1ULL << 50)

/* A size in bytes: digits with an optional K, M or G suffix. */
static int sandbox_size(const struct superd_opt *v, const char *prefix,
                        unsigned long long *out)
{
	unsigned long long n = 0, mult = 1;
	const char *s = v->kind == SUPERD_OPT_SCALAR ? v->str : "";
	size_t i = 0;

	for (; s[i] >= '0' && s[i] <= '9' && n < SIZE_MAX_BYTES; i++)
		n = n * 10 + (unsigned long long)(s[i] - '0');
	if (s[i] == 'K' || s[i] == 'k')
		mult = 1ULL << 10;
	else if (s[i] == 'M' || s[i] == 'm')
		mult = 1ULL << 20;
	else if (s[i] == 'G' || s[i] == 'g')
		mult = 1ULL << 30;
	if (i == 0 || (mult > 1 ? s[i + 1] : s[i]) != '\0' || n == 0 ||
	    n > SIZE_MAX_BYTES / mult) {
		conf_error(v, prefix, "memory", "expected bytes such as 268435456, "
		           "256M or 1G (at least 1, at most 1P)");
		return -1;
	}
	*out = n * mult;
	return 0;
}

/* A list of paths (or one path) into a NULL-terminated array. */
static int sandbox_paths(const struct conf_build *b, const struct superd_opt *v,
                         const char *prefix, const char *key, char ***out)
{
	size_t n = v->kind == SUPERD_OPT_SEQ ? v->n : 1;
	char **list = calloc(n + 1, sizeof(*list));

	if (!list) {
		conf_error(v, prefix, key, "out of memory");
		return -1;
	}
	*out = list;
	for (size_t i = 0; i < n; i++) {
		const struct superd_opt *p = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (conf_path(b, p, prefix, key, &list[i]) < 0)
			return -1;
	}
	return 0;
}

/* The mapping's keys, in the order sandbox_key() takes them. */
enum sandbox_key { SB_CPU, SB_MEMORY, SB_FILES, SB_PROCESSES, SB_NO_NEW_PRIVS,
	SB_READ, SB_WRITE, SB_EXEC };
static const char *const sandbox_keys[] = { "cpu", "memory", "files",
	"processes", "no_new_privs", "read", "write", "exec", NULL };

/* One known key of the mapping. */
static int sandbox_key(const struct conf_build *b, struct sandbox_conf *sb,
                       enum sandbox_key k, const struct superd_opt *v,
                       const char *prefix)
{
	const char *key = sandbox_keys[k];

	switch (k) {
	case SB_CPU:
		return conf_uint(v, prefix, key, 1, 1ULL << 32, &sb->cpu);
	case SB_MEMORY:
		return sandbox_size(v, prefix, &sb->memory);
	case SB_FILES:
		return conf_uint(v, prefix, key, 3, 1ULL << 30, &sb->files);
	case SB_PROCESSES:
		return conf_uint(v, prefix, key, 1, 1ULL << 30, &sb->processes);
	case SB_NO_NEW_PRIVS:
		return conf_bool(v, prefix, key, &sb->no_new_privs);
	case SB_READ:
		return sandbox_paths(b, v, prefix, key, &sb->read);
	case SB_WRITE:
		return sandbox_paths(b, v, prefix, key, &sb->write);
	case SB_EXEC:
		return sandbox_paths(b, v, prefix, key, &sb->exec);
	}
	return -1;
}

/* Check a service's sandbox: mapping into *out (see conf.h). */
int conf_sandbox(const struct conf_build *b, const struct superd_opt *v,
                 const char *prefix, struct sandbox_conf **out)
{
	struct sandbox_conf *sb;
	char what[64], p[256];
	int rc = 0;

	sandbox_conf_free(*out);
	*out = NULL;
	if (v->kind != SUPERD_OPT_MAP) {
		conf_error(v, prefix, "sandbox", "expected a mapping (cpu, memory, "
		           "files, processes, no_new_privs, read, write, exec), got %s",
		           conftree_what(v, what, sizeof(what)));
		return -1;
	}
	sb = calloc(1, sizeof(*sb));
	if (!sb) {
		conf_error(v, prefix, "sandbox", "out of memory");
		return -1;
	}
	snprintf(p, sizeof(p), "%ssandbox: ", prefix ? prefix : "");
	for (size_t i = 0; i < v->n; i++) {
		int k = conf_key(v->keys[i], p, "key", sandbox_keys, 0);

		if (k < 0 || sandbox_key(b, sb, (enum sandbox_key)k, v->items[i],
		                         p) < 0)
			rc = -1;
	}
	sb->landlock = sb->read || sb->write || sb->exec;
	if (sb->landlock)
		sb->no_new_privs = 1; /* Landlock needs it without CAP_SYS_ADMIN */
	*out = sb;
	return rc;
}

/* Free a sandbox_conf (NULL is fine). */
void sandbox_conf_free(struct sandbox_conf *sb)
{
	char **lists[3];

	if (!sb)
		return;
	lists[0] = sb->read;
	lists[1] = sb->write;
	lists[2] = sb->exec;
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; lists[k] && lists[k][i]; i++)
			free(lists[k][i]);
		free(lists[k]);
	}
	free(sb);
}
