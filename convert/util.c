/*
 * util.c - superd-convert's small helpers: memory, string lists,
 * warnings, the document's service list.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

void *cv_xalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p) {
		fputs("superd-convert: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

char *cv_strdup(const char *s)
{
	char *p = cv_xalloc(strlen(s) + 1);

	memcpy(p, s, strlen(s) + 1);
	return p;
}

char *cv_printf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("superd-convert: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void strv_add(struct strv *l, const char *s)
{
	char **grown = realloc(l->v, (l->n + 2) * sizeof(*grown));

	if (!grown) {
		fputs("superd-convert: out of memory\n", stderr);
		exit(1);
	}
	l->v = grown;
	l->v[l->n++] = cv_strdup(s);
	l->v[l->n] = NULL;
}

void strv_addf(struct strv *l, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	if (p)
		strv_add(l, p);
	free(p);
}

void strv_remove(struct strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) == 0) {
			free(l->v[i]);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i) * sizeof(*l->v));
			l->n--;
			i--;
		}
	}
}

int strv_has(const struct strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void strv_clear(struct strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void cv_split(const char *line, struct strv *out)
{
	const char *p = line;

	while (*p) {
		size_t len;
		char *word;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		len = 0;
		while (p[len] && !isspace((unsigned char)p[len]))
			len++;
		word = cv_xalloc(len + 1);
		memcpy(word, p, len);
		strv_add(out, word);
		free(word);
		p += len;
	}
}

void cv_warn(struct cv_doc *d, const char *where, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "superd-convert: %s: warning: ", where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	d->warnings++;
}

void cv_error(struct cv_doc *d, const char *where, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "superd-convert: %s: ", where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	d->errors++;
}

void cv_unsupported(struct cv_doc *d, struct cv_svc *s, const char *where,
                    const char *attr, const char *value, const char *why)
{
	struct strv *notes = s ? &s->notes : &d->global_notes;

	strv_addf(notes, "%s = %s: %s", attr, value, why);
	cv_warn(d, where, "%s = %s: %s", attr, value, why);
}

struct cv_svc *cv_svc_new(const char *name, const char *origin)
{
	struct cv_svc *s = cv_xalloc(sizeof(*s));

	s->name = cv_strdup(name);
	s->origin = cv_strdup(origin);
	s->family = 4;
	return s;
}

void cv_svc_free(struct cv_svc *s)
{
	char **fields[] = { &s->name, &s->origin, &s->id, &s->module,
		&s->why_not, &s->proto, &s->socket_type, &s->host, &s->port,
		&s->unix_path, &s->user, &s->group, &s->server, &s->max_conn,
		&s->per_source, &s->rate };

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		free(*fields[i]);
	strv_clear(&s->args);
	strv_clear(&s->allow);
	strv_clear(&s->deny);
	strv_clear(&s->env);
	strv_clear(&s->notes);
	free(s);
}

/* A superd service name: letters, digits and . _ - @, at most 64. */
static char *clean_name(const char *name)
{
	char *out = cv_strdup(*name ? name : "service");

	for (char *p = out; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-@", *p))
			*p = '-';
	if (strlen(out) > 56)
		out[56] = '\0';
	return out;
}

/* Is name used by a service already in d? */
static int name_taken(const struct cv_doc *d, const char *name)
{
	for (size_t i = 0; i < d->nsvcs; i++)
		if (strcmp(d->svcs[i]->name, name) == 0)
			return 1;
	return 0;
}

void cv_doc_add(struct cv_doc *d, struct cv_svc *s)
{
	char *base = clean_name(s->name), *name = cv_strdup(base);
	struct cv_svc **grown;

	/* echo and echo-udp, ftp and ftp-ipv6 rather than echo-2 */
	if (name_taken(d, name) && (s->family == 6 ||
	                            (s->proto && strcmp(s->proto, "udp") == 0))) {
		free(name);
		name = cv_printf("%s-%s", base, s->family == 6 ? "ipv6" : "udp");
	}
	for (unsigned k = 2; name_taken(d, name); k++) {
		free(name);
		name = cv_printf("%s-%u", base, k);
	}
	free(base);
	free(s->name);
	s->name = name;
	grown = realloc(d->svcs, (d->nsvcs + 1) * sizeof(*grown));
	if (!grown) {
		fputs("superd-convert: out of memory\n", stderr);
		exit(1);
	}
	d->svcs = grown;
	d->svcs[d->nsvcs++] = s;
}

void cv_doc_free(struct cv_doc *d)
{
	for (size_t i = 0; i < d->nsvcs; i++)
		cv_svc_free(d->svcs[i]);
	free(d->svcs);
	free(d->log);
	strv_clear(&d->global_notes);
	strv_clear(&d->defaults.allow);
	strv_clear(&d->defaults.deny);
	strv_clear(&d->defaults.notes);
	free(d->defaults.max_conn);
	free(d->defaults.per_source);
	free(d->defaults.rate);
	strv_clear(&d->only_enabled);
	strv_clear(&d->disabled);
	strv_clear(&d->sources);
}

const char *cv_builtin(const char *name)
{
	static const char *const builtins[] = { "echo", "discard", "chargen",
		"daytime", "time", NULL };

	for (size_t i = 0; builtins[i]; i++) {
		size_t len = strlen(builtins[i]);

		if (strncmp(name, builtins[i], len) == 0 &&
		    (name[len] == '\0' || strcmp(name + len, "-stream") == 0 ||
		     strcmp(name + len, "-dgram") == 0))
			return builtins[i];
	}
	return NULL;
}
