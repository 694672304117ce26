/*
 * xinetd.c - read xinetd.conf(5) syntax: `defaults { }`, `service NAME
 * { }`, `includedir DIR`, `include FILE`; attributes `NAME = words`, with
 * `+=` and `-=` on lists.  Each block becomes a cv_svc (or the defaults).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert.h"

#define XINETD_MAX_DEPTH 8 /* include / includedir nesting */

enum op { OP_SET, OP_ADD, OP_DEL };

/* One attribute line: where, name, operator, value words. */
struct attr {
	const char *where;
	const char *name;
	enum op op;
	const struct strv *w;
};

/* The value words joined with spaces (for notes). */
static char *joined(const struct strv *w, size_t first)
{
	size_t len = 1;
	char *out;

	for (size_t i = first; i < w->n; i++)
		len += strlen(w->v[i]) + 1;
	out = cv_xalloc(len);
	for (size_t i = first; i < w->n; i++) {
		if (i > first)
			strcat(out, " ");
		strcat(out, w->v[i]);
	}
	return out;
}

/* Set *field to the first value word. */
static void set1(char **field, const struct attr *a)
{
	free(*field);
	*field = a->w->n ? cv_strdup(a->w->v[0]) : NULL;
}

/* A limit: a number, or UNLIMITED (no limit: nothing set). */
static void limit(struct cv_doc *d, char **field, const struct attr *a)
{
	free(*field);
	*field = NULL;
	if (a->w->n && strcmp(a->w->v[0], "UNLIMITED") != 0) {
		if (strspn(a->w->v[0], "0123456789") == strlen(a->w->v[0]))
			*field = cv_strdup(a->w->v[0]);
		else
			cv_warn(d, a->where, "%s = %s: not a number; left out",
			        a->name, a->w->v[0]);
	}
}

/* log_type: SYSLOG facility [level] | FILE path [limits]. */
static void log_type(struct cv_doc *d, struct cv_svc *s, const struct attr *a)
{
	char *v = joined(a->w, 0);

	if (s) {
		cv_unsupported(d, s, a->where, a->name, v, "superd has one log for "
		               "all services (global: log)");
	} else if (a->w->n >= 1 && strcmp(a->w->v[0], "SYSLOG") == 0) {
		free(d->log);
		d->log = cv_strdup("syslog");
		if (a->w->n >= 2 && strcmp(a->w->v[1], "daemon") != 0)
			cv_unsupported(d, NULL, a->where, a->name, v, "superd logs "
			               "to syslog's daemon facility");
	} else if (a->w->n >= 2 && strcmp(a->w->v[0], "FILE") == 0) {
		free(d->log);
		d->log = cv_strdup(a->w->v[1]);
		if (a->w->n > 2)
			cv_unsupported(d, NULL, a->where, a->name, v, "no size limits "
			               "(rotate with logrotate and SIGUSR1)");
	} else {
		cv_unsupported(d, NULL, a->where, a->name, v, "not understood");
	}
	free(v);
}

/* A list attribute: =, += or -= the words into l. */
static void list_op(struct strv *l, const struct attr *a)
{
	if (a->op == OP_SET)
		strv_clear(l);
	for (size_t i = 0; i < a->w->n; i++) {
		if (a->op == OP_DEL)
			strv_remove(l, a->w->v[i]);
		else if (!strv_has(l, a->w->v[i]))
			strv_add(l, a->w->v[i]);
	}
}

/* passenv NAME...: the value superd-convert itself sees, noted. */
static void passenv(struct cv_doc *d, struct cv_svc *s, const struct attr *a)
{
	for (size_t i = 0; i < a->w->n; i++) {
		const char *v = getenv(a->w->v[i]);

		if (v) {
			strv_addf(&s->env, "%s=%s", a->w->v[i], v);
			strv_addf(&s->notes, "passenv = %s: the value at conversion "
			          "time (superd passes no variable through)", a->w->v[i]);
		} else {
			cv_unsupported(d, s, a->where, "passenv", a->w->v[i],
			               "not set here; superd passes no variable through");
		}
	}
}

/* Attributes every service and the defaults understand.  1 if handled. */
static int common_attr(struct cv_doc *d, struct cv_svc *s, const struct attr *a)
{
	char *v;

	if (strcmp(a->name, "only_from") == 0 || strcmp(a->name, "no_access") == 0) {
		struct strv *l = a->name[0] == 'o' ? &s->allow : &s->deny;
		const struct strv *dl = a->name[0] == 'o' ? &d->defaults.allow
		                                          : &d->defaults.deny;

		if (a->op == OP_SET)
			strv_clear(l);
		/* += in a service adds to the defaults' list, as in xinetd */
		for (size_t i = 0; a->op == OP_ADD && s != &d->defaults &&
		     l->n == 0 && i < dl->n; i++)
			strv_add(l, dl->v[i]);
		cv_addrs(d, s, a->where, a->w, 0, l);
	} else if (strcmp(a->name, "instances") == 0) {
		limit(d, &s->max_conn, a);
	} else if (strcmp(a->name, "per_source") == 0) {
		limit(d, &s->per_source, a);
	} else if (strcmp(a->name, "cps") == 0) {
		limit(d, &s->rate, a);
		if (a->w->n > 1)
			strv_addf(&s->notes, "cps = %s %s: past the rate superd refuses "
			          "new connections; it does not pause the service",
			          a->w->v[0], a->w->v[1]);
	} else if (strcmp(a->name, "log_on_success") == 0 ||
	           strcmp(a->name, "log_on_failure") == 0) {
		v = joined(a->w, 0);
		strv_addf(&s->notes, "%s = %s: superd logs every connection's "
		          "client, duration, bytes and outcome", a->name, v);
		free(v);
	} else {
		return 0;
	}
	return 1;
}

/* One attribute of a service block. */
static void service_attr(struct cv_doc *d, struct cv_svc *s, const struct attr *a)
{
	const char *v0 = a->w->n ? a->w->v[0] : "";
	char *v;

	if (common_attr(d, s, a))
		return;
	if (strcmp(a->name, "socket_type") == 0) {
		set1(&s->socket_type, a);
	} else if (strcmp(a->name, "protocol") == 0) {
		set1(&s->proto, a);
	} else if (strcmp(a->name, "port") == 0) {
		set1(&s->port, a);
	} else if (strcmp(a->name, "bind") == 0 || strcmp(a->name, "interface") == 0) {
		set1(&s->host, a);
	} else if (strcmp(a->name, "wait") == 0) {
		s->wait = strcmp(v0, "yes") == 0;
	} else if (strcmp(a->name, "user") == 0) {
		set1(&s->user, a);
	} else if (strcmp(a->name, "group") == 0) {
		set1(&s->group, a);
	} else if (strcmp(a->name, "server") == 0) {
		set1(&s->server, a);
	} else if (strcmp(a->name, "server_args") == 0) {
		strv_clear(&s->args);
		for (size_t i = 0; i < a->w->n; i++)
			strv_add(&s->args, a->w->v[i]);
	} else if (strcmp(a->name, "disable") == 0) {
		s->disabled = strcmp(v0, "yes") == 0;
	} else if (strcmp(a->name, "id") == 0) {
		set1(&s->id, a);
	} else if (strcmp(a->name, "type") == 0) {
		for (size_t i = 0; i < a->w->n; i++) {
			if (strcmp(a->w->v[i], "INTERNAL") == 0)
				s->internal = 1;
			else if (strcmp(a->w->v[i], "UNLISTED") != 0 && !s->why_not)
				s->why_not = cv_printf("type %s has no superd equivalent",
				                       a->w->v[i]);
		}
	} else if (strcmp(a->name, "env") == 0) {
		list_op(&s->env, a);
	} else if (strcmp(a->name, "passenv") == 0) {
		passenv(d, s, a);
	} else if (strcmp(a->name, "log_type") == 0) {
		log_type(d, s, a);
	} else if (strcmp(a->name, "flags") == 0) {
		for (size_t i = 0; i < a->w->n; i++) {
			if (strcmp(a->w->v[i], "IPv6") == 0)
				s->family = 6;
			else if (strcmp(a->w->v[i], "IPv4") != 0)
				cv_unsupported(d, s, a->where, "flags", a->w->v[i],
				               "no superd equivalent");
		}
	} else {
		v = joined(a->w, 0);
		cv_unsupported(d, s, a->where, a->name, v, "no superd equivalent");
		free(v);
	}
}

/* One attribute of the defaults block. */
static void defaults_attr(struct cv_doc *d, const struct attr *a)
{
	char *v;

	if (common_attr(d, &d->defaults, a))
		return;
	if (strcmp(a->name, "log_type") == 0) {
		log_type(d, NULL, a);
	} else if (strcmp(a->name, "disabled") == 0) {
		list_op(&d->disabled, a);
	} else if (strcmp(a->name, "enabled") == 0) {
		list_op(&d->only_enabled, a);
		d->has_only_enabled = 1;
	} else {
		v = joined(a->w, 0);
		cv_unsupported(d, NULL, a->where, a->name, v, "no superd equivalent");
		free(v);
	}
}

/* A service block is complete: decide its module, add it. */
static void service_done(struct cv_doc *d, struct cv_svc *s)
{
	const char *id = s->id ? s->id : s->name;

	if (!s->proto && s->socket_type)
		s->proto = cv_strdup(strcmp(s->socket_type, "dgram") == 0 ? "udp" : "tcp");
	if (!s->proto)
		s->proto = cv_strdup("tcp");
	if (!s->port) /* xinetd: the service name, from /etc/services */
		s->port = cv_strdup(s->name);
	if (s->id) {
		free(s->name);
		s->name = cv_strdup(s->id);
	}
	if (s->why_not)
		;
	else if (s->internal && !(cv_builtin(id)))
		s->why_not = cv_printf("INTERNAL service %s has no superd module", id);
	else if (s->internal)
		s->module = cv_strdup(cv_builtin(id));
	else if (!s->server)
		s->why_not = cv_strdup("no server");
	else
		s->module = cv_strdup("exec");
	for (size_t i = 0; i < d->nsvcs; i++) {
		const char *other = d->svcs[i]->id ? d->svcs[i]->id : d->svcs[i]->name;

		if (strcmp(other, id) == 0 && !s->why_not)
			s->why_not = cv_printf("the id %s is defined again (at %s); "
			                       "xinetd ignores this one", id,
			                       d->svcs[i]->origin);
	}
	if (s->why_not) {
		free(s->module);
		s->module = NULL;
		cv_warn(d, s->origin, "service %s not converted: %s", id, s->why_not);
	}
	cv_doc_add(d, s);
}

/* Parser state across the lines of one file. */
struct xparse {
	struct cv_doc *d;
	const char *path;
	int depth;
	unsigned line;
	int in_block;          /**< between { and } */
	int want_brace;        /**< after `service NAME` / `defaults` */
	struct cv_svc *svc;    /**< the service being read; NULL: defaults */
	int is_defaults;
};

/* Read every file of an includedir, in name order, as xinetd does:
 * names with a dot or ending in ~ are skipped. */
static void read_dir(struct xparse *x, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		cv_error(x->d, dir, "cannot read the directory: %m");
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char *path = cv_printf("%s/%s", dir, nm);
		struct stat st;

		if (!strchr(nm, '.') && nm[strlen(nm) - 1] != '~' &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			cv_read_xinetd(x->d, path, x->depth + 1);
		free(path);
		free(names[i]);
	}
	free(names);
}

/* A relative include path is taken from the including file's dir. */
static char *relative_to(const char *file, const char *path)
{
	const char *slash = strrchr(file, '/');

	if (path[0] == '/' || !slash)
		return cv_strdup(path);
	return cv_printf("%.*s/%s", (int)(slash - file), file, path);
}

/* A line outside any block. */
static void top_line(struct xparse *x, const struct strv *w, const char *where)
{
	char *path;

	if (strcmp(w->v[0], "service") == 0 && w->n >= 2) {
		x->svc = cv_svc_new(w->v[1], where);
		x->is_defaults = 0;
		x->want_brace = 1;
	} else if (strcmp(w->v[0], "defaults") == 0) {
		x->svc = NULL;
		x->is_defaults = 1;
		x->want_brace = 1;
	} else if ((strcmp(w->v[0], "includedir") == 0 ||
	            strcmp(w->v[0], "include") == 0) && w->n >= 2) {
		path = relative_to(x->path, w->v[1]);
		if (x->depth >= XINETD_MAX_DEPTH)
			cv_error(x->d, where, "includes nested too deep");
		else if (w->v[0][7] == 'd')
			read_dir(x, path);
		else
			cv_read_xinetd(x->d, path, x->depth + 1);
		free(path);
	} else {
		cv_error(x->d, where, "expected service, defaults, include or "
		         "includedir, got '%s'", w->v[0]);
	}
	if (x->want_brace && w->n >= 2 && strcmp(w->v[w->n - 1], "{") == 0) {
		x->want_brace = 0;
		x->in_block = 1;
	}
}

/* A line inside a block: `}` or `NAME OP words`. */
static void block_line(struct xparse *x, const struct strv *w, const char *where)
{
	struct attr a = { .where = where };
	struct strv vals = { 0 };

	if (strcmp(w->v[0], "}") == 0) {
		x->in_block = 0;
		if (x->svc)
			service_done(x->d, x->svc);
		x->svc = NULL;
		return;
	}
	if (w->n < 2 || (strcmp(w->v[1], "=") && strcmp(w->v[1], "+=") &&
	                 strcmp(w->v[1], "-="))) {
		cv_error(x->d, where, "expected 'attribute = value', got '%s'", w->v[0]);
		return;
	}
	a.name = w->v[0];
	a.op = w->v[1][0] == '+' ? OP_ADD : w->v[1][0] == '-' ? OP_DEL : OP_SET;
	vals.v = w->v + 2;
	vals.n = w->n - 2;
	a.w = &vals;
	if (x->svc)
		service_attr(x->d, x->svc, &a);
	else
		defaults_attr(x->d, &a);
}

/* One line of the file. */
static void xinetd_line(struct xparse *x, char *text)
{
	struct strv w = { 0 };
	char *where = cv_printf("%s:%u", x->path, x->line);
	char *eq = strchr(text, '=');

	/* "name=value" without spaces: make the operator a word of its own */
	if (x->in_block && eq && eq > text) {
		char *op = eq[-1] == '+' || eq[-1] == '-' ? eq - 1 : eq;
		char *fixed = cv_printf("%.*s %.*s %s", (int)(op - text), text,
		                        (int)(eq + 1 - op), op, eq + 1);

		cv_split(fixed, &w);
		free(fixed);
	} else {
		cv_split(text, &w);
	}
	if (w.n == 0 || w.v[0][0] == '#')
		goto done;
	if (x->want_brace) {
		if (strcmp(w.v[0], "{") == 0) {
			x->want_brace = 0;
			x->in_block = 1;
		} else {
			cv_error(x->d, where, "expected '{'");
		}
	} else if (x->in_block) {
		block_line(x, &w, where);
	} else {
		top_line(x, &w, where);
	}
done:
	strv_clear(&w);
	free(where);
}

void cv_read_xinetd(struct cv_doc *d, const char *path, int depth)
{
	struct xparse x = { .d = d, .path = path, .depth = depth };
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t size = 0;

	if (!f) {
		cv_error(d, path, "%m");
		return;
	}
	strv_add(&d->sources, path);
	while (getline(&line, &size, f) >= 0) {
		x.line++;
		xinetd_line(&x, line);
	}
	if (x.in_block || x.want_brace) {
		cv_error(d, path, "the file ends inside a block");
		if (x.svc)
			cv_svc_free(x.svc);
	}
	free(line);
	fclose(f);
}

void cv_read_xinetd_dir(struct cv_doc *d, const char *dir)
{
	struct xparse x = { .d = d, .path = dir };

	read_dir(&x, dir);
}

int cv_is_xinetd(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t size = 0;
	int yes = 0;

	if (!f)
		return 0;
	while (getline(&line, &size, f) >= 0) {
		struct strv w = { 0 };

		cv_split(line, &w);
		if (w.n && w.v[0][0] != '#') {
			yes = strcmp(w.v[0], "service") == 0 ||
			      strcmp(w.v[0], "defaults") == 0 ||
			      strcmp(w.v[0], "includedir") == 0 ||
			      (strcmp(w.v[0], "include") == 0 && w.n == 2);
			strv_clear(&w);
			break;
		}
		strv_clear(&w);
	}
	free(line);
	fclose(f);
	return yes;
}
