/*
 * inetd.c - read inetd.conf(5): one service per line,
 *
 *     [ADDR:]SERVICE SOCKTYPE PROTO wait|nowait[.MAX] USER[:GROUP|.GROUP] PROGRAM [ARGV0 ARGS...]
 *
 * in the BSD form (ADDR: prefixes, a line `ADDR:` setting the address of
 * the lines after it, tcp46/udp46, USER:GROUP/CLASS) and the netkit one
 * (USER.GROUP, nowait.MAX, tcp6/udp6).  PROGRAM `internal` is a built-in.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* The protocol word: tcp/udp and their 4, 6, 46 forms; unix. */
static int inetd_proto(struct cv_svc *s, const char *proto)
{
	const char *fam;

	if (strncmp(proto, "tcp", 3) == 0 || strncmp(proto, "udp", 3) == 0) {
		s->proto = cv_printf("%.3s", proto);
		fam = proto + 3;
		s->family = !*fam || strcmp(fam, "4") == 0 ? 4
		            : strcmp(fam, "6") == 0 ? 6 : strcmp(fam, "46") == 0 ? 46 : 0;
		return s->family ? 0 : -1;
	}
	if (strcmp(proto, "unix") == 0) {
		s->proto = cv_strdup("tcp");
		s->unix_path = cv_strdup(s->port);
		return 0;
	}
	return -1;
}

/* USER[:GROUP][/CLASS] or USER[.GROUP]. */
static void inetd_user(struct cv_doc *d, struct cv_svc *s, const char *where,
                       const char *word)
{
	char *u = cv_strdup(word), *sep, *cls = strchr(u, '/');

	if (cls) {
		cv_unsupported(d, s, where, "login class", cls + 1, "no superd "
		               "equivalent");
		*cls = '\0';
	}
	sep = strpbrk(u, ":.");
	if (sep) {
		*sep = '\0';
		s->group = cv_strdup(sep + 1);
	}
	s->user = cv_strdup(u);
	free(u);
}

/* wait | nowait, with an optional .MAX (netkit) or /MAX... (FreeBSD). */
static void inetd_wait(struct cv_doc *d, struct cv_svc *s, const char *where,
                       const char *word)
{
	size_t len = strcspn(word, "./");

	s->wait = strncmp(word, "wait", len) == 0 && len == 4;
	if (word[len])
		cv_unsupported(d, s, where, "wait", word, "limits per minute have "
		               "no superd equivalent (see rate and max_connections)");
}

/* The program and its arguments (the first one is argv[0]). */
static void inetd_program(struct cv_doc *d, struct cv_svc *s, const char *where,
                          const struct strv *w)
{
	const char *base;

	if (strcmp(w->v[5], "internal") == 0) {
		s->internal = 1;
		if (cv_builtin(s->name))
			s->module = cv_strdup(cv_builtin(s->name));
		else
			s->why_not = cv_printf("internal service %s has no superd "
			                       "module", s->name);
		return;
	}
	s->module = cv_strdup("exec");
	base = strrchr(w->v[5], '/') ? strrchr(w->v[5], '/') + 1 : w->v[5];
	if (strcmp(base, "tcpd") == 0 && w->n > 6) {
		/* TCP wrappers run the program argv[0] names (a bare name from
		 * /usr/sbin); superd's allow and deny do tcpd's job */
		s->server = w->v[6][0] == '/' ? cv_strdup(w->v[6])
		                              : cv_printf("/usr/sbin/%s", w->v[6]);
		cv_unsupported(d, s, where, "server", w->v[5], "tcpd left out: "
		               "the program runs directly; put /etc/hosts.allow's "
		               "rules in allow and deny");
	} else {
		s->server = cv_strdup(w->v[5]);
		if (w->n > 6 && strcmp(w->v[6], base) != 0)
			strv_addf(&s->notes, "argv[0] was '%s'; superd runs the program "
			          "with its own path as argv[0]", w->v[6]);
	}
	for (size_t i = 7; i < w->n; i++)
		strv_add(&s->args, w->v[i]);
}

/* One service line. */
static void inetd_service(struct cv_doc *d, const struct strv *w,
                          const char *where, const char *host)
{
	char *svcword = cv_strdup(w->v[0]), *colon = strrchr(svcword, ':');
	const char *name = colon ? colon + 1 : svcword;
	struct cv_svc *s = cv_svc_new(name, where);

	s->port = cv_strdup(name);
	if (colon) {
		*colon = '\0';
		host = svcword;
	}
	if (host && strcmp(host, "*") != 0)
		s->host = host[0] == '[' ? cv_printf("%.*s", (int)strcspn(host + 1, "]"),
		                                     host + 1)
		                         : cv_strdup(host);
	s->socket_type = cv_strdup(w->v[1]);
	if (strcmp(w->v[1], "stream") && strcmp(w->v[1], "dgram"))
		s->why_not = cv_printf("socket type %s is not supported", w->v[1]);
	else if (inetd_proto(s, w->v[2]) < 0)
		s->why_not = cv_printf("protocol %s is not supported", w->v[2]);
	inetd_wait(d, s, where, w->v[3]);
	inetd_user(d, s, where, w->v[4]);
	if (!s->why_not)
		inetd_program(d, s, where, w);
	if (!s->why_not && !s->unix_path && !isdigit((unsigned char)s->port[0]) &&
	    !getservbyname(s->port, s->proto))
		cv_warn(d, where, "%s/%s is not in /etc/services: superd will not "
		        "know its port", s->port, s->proto);
	if (s->why_not)
		cv_warn(d, where, "service %s not converted: %s", name, s->why_not);
	if (s->internal) { /* built-ins run in superd's workers */
		free(s->user);
		free(s->group);
		s->user = s->group = NULL;
		s->wait = 0;
	}
	cv_doc_add(d, s);
	free(svcword);
}

void cv_read_inetd(struct cv_doc *d, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *host = NULL, *where;
	size_t size = 0;
	unsigned n = 0;

	if (!f) {
		cv_error(d, path, "%m");
		return;
	}
	strv_add(&d->sources, path);
	while (getline(&line, &size, f) >= 0) {
		struct strv w = { 0 };

		n++;
		cv_split(line, &w);
		where = cv_printf("%s:%u", path, n);
		if (w.n == 0 || w.v[0][0] == '#') {
			;
		} else if (w.n == 1 && w.v[0][strlen(w.v[0]) - 1] == ':') {
			free(host); /* BSD: the address for the lines below */
			host = cv_printf("%.*s", (int)strlen(w.v[0]) - 1, w.v[0]);
		} else if (w.n < 6) {
			cv_error(d, where, "expected SERVICE SOCKTYPE PROTOCOL WAIT "
			         "USER PROGRAM [ARGS]");
		} else {
			inetd_service(d, &w, where, host);
		}
		free(where);
		strv_clear(&w);
	}
	free(host);
	free(line);
	fclose(f);
}
