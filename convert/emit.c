/*
 * emit.c - print the model as superd.yaml: `global:` (log), `defaults:`
 * (xinetd's defaults block), `services:`; notes as comments where they
 * belong, services that could not be converted as comments too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* s as a double-quoted YAML scalar. */
static void yq(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* A comment line (control characters made safe). */
static void comment(const char *indent, const char *prefix, const char *text)
{
	printf("%s# %s", indent, prefix);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
	putchar('\n');
}

/* key: ["a", "b"] */
static void list(const char *indent, const char *key, const struct strv *l)
{
	printf("%s%s: [", indent, key);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", stdout);
		yq(l->v[i]);
	}
	puts("]");
}

/* The limits and rules a service or the defaults set. */
static void limits(const char *indent, const struct cv_svc *s)
{
	if (s->max_conn)
		printf("%smax_connections: %s\n", indent, s->max_conn);
	if (s->per_source)
		printf("%sper_source: %s\n", indent, s->per_source);
	if (s->rate)
		printf("%srate: %s\n", indent, s->rate);
	if (s->allow.n)
		list(indent, "allow", &s->allow);
	if (s->deny.n)
		list(indent, "deny", &s->deny);
}

/* listen: the address as superd writes it. */
static void listen_addr(const struct cv_svc *s)
{
	fputs("    listen: ", stdout);
	if (s->unix_path) {
		char *a = cv_printf("unix:%s", s->unix_path);

		yq(a);
		free(a);
	} else {
		char *a = s->host ? cv_printf(strchr(s->host, ':') ? "[%s]:%s" : "%s:%s",
		                              s->host, s->port)
		          : s->family == 6 ? cv_printf("[::]:%s", s->port)
		          : s->family == 46 ? cv_strdup(s->port)
		          : cv_printf("0.0.0.0:%s", s->port);

		yq(a);
		free(a);
	}
	putchar('\n');
}

/* options: for the exec module. */
static void exec_options(const struct cv_svc *s)
{
	struct strv argv = { 0 };

	puts("    options:");
	strv_add(&argv, s->server);
	for (size_t i = 0; i < s->args.n; i++)
		strv_add(&argv, s->args.v[i]);
	list("      ", "argv", &argv);
	strv_clear(&argv);
	if (s->user) {
		fputs("      user: ", stdout);
		yq(s->user);
		putchar('\n');
	}
	if (s->group) {
		fputs("      group: ", stdout);
		yq(s->group);
		putchar('\n');
	}
	if (s->wait)
		puts("      wait: true");
	if (s->env.n)
		puts("      env:");
	for (size_t i = 0; i < s->env.n; i++) {
		const char *eq = strchr(s->env.v[i], '=');
		char *name = cv_printf("%.*s", (int)(eq ? eq - s->env.v[i] : 0),
		                       s->env.v[i]);

		fputs("        ", stdout);
		yq(eq ? name : s->env.v[i]);
		fputs(": ", stdout);
		yq(eq ? eq + 1 : "");
		putchar('\n');
		free(name);
	}
}

/* Is s off: its own disable, or the defaults' disabled/enabled lists? */
static int is_disabled(const struct cv_doc *d, const struct cv_svc *s)
{
	const char *id = s->id ? s->id : s->name;

	if (s->disabled || strv_has(&d->disabled, id) || strv_has(&d->disabled, s->port))
		return 1;
	return d->has_only_enabled && !strv_has(&d->only_enabled, id) &&
	       !strv_has(&d->only_enabled, s->port);
}

/* One service (or a comment saying why it is not one). */
static void service(const struct cv_doc *d, const struct cv_svc *s)
{
	if (!s->module) {
		char *why = cv_printf("%s (%s) not converted: %s", s->name, s->origin,
		                      s->why_not ? s->why_not : "unknown");

		comment("  ", "", why);
		free(why);
		return;
	}
	printf("  %s:%*s# %s\n", s->name, (int)(s->name[0] && strlen(s->name) < 20
	       ? 20 - strlen(s->name) : 1), "", s->origin);
	printf("    module: %s\n", s->module);
	listen_addr(s);
	if (strcmp(s->proto, "udp") == 0)
		puts("    protocol: udp");
	if (is_disabled(d, s))
		puts("    enabled: false");
	limits("    ", s);
	if (strcmp(s->module, "exec") == 0)
		exec_options(s);
	for (size_t i = 0; i < s->notes.n; i++)
		comment("    ", "", s->notes.v[i]);
}

void cv_emit(const struct cv_doc *d)
{
	const struct cv_svc *df = &d->defaults;

	puts("# superd.yaml written by superd-convert from:");
	for (size_t i = 0; i < d->sources.n; i++)
		comment("", "  ", d->sources.v[i]);
	if (d->log || d->global_notes.n) {
		puts("global:");
		if (d->log) {
			fputs("  log: ", stdout);
			yq(d->log);
			putchar('\n');
		}
		for (size_t i = 0; i < d->global_notes.n; i++)
			comment("  ", "", d->global_notes.v[i]);
	}
	if (df->max_conn || df->per_source || df->rate || df->allow.n ||
	    df->deny.n || df->notes.n) {
		puts("defaults:");
		limits("  ", df);
		for (size_t i = 0; i < df->notes.n; i++)
			comment("  ", "", df->notes.v[i]);
	}
	puts("services:");
	for (size_t i = 0; i < d->nsvcs; i++)
		service(d, d->svcs[i]);
}
