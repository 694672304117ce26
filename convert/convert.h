/*
 * convert.h - superd-convert: xinetd and inetd.conf configurations read
 * into one model (struct cv_doc), then printed as superd.yaml.
 *
 * The readers (xinetd.c, inetd.c) fill the model; addrs.c turns xinetd's
 * address forms into CIDR rules; emit.c prints YAML.  What has no superd
 * equivalent is kept as a note (a YAML comment) and warned about on
 * stderr, naming FILE:LINE.
 */
#ifndef SUPERD_CONVERT_H
#define SUPERD_CONVERT_H

#include <stdarg.h>
#include <stddef.h>

/** A growable list of strings (owned). */
struct strv {
	char **v;
	size_t n;
};

/** One service as superd will have it. */
struct cv_svc {
	char *name;          /**< superd service name (made unique) */
	char *origin;        /**< "FILE:LINE" of its definition */
	char *id;            /**< xinetd id (default: the name) */
	char *module;        /**< echo, ..., exec; NULL: not convertible */
	char *why_not;       /**< when module is NULL: why */
	char *proto;         /**< "tcp" or "udp" (NULL: from socket_type) */
	char *socket_type;   /**< "stream", "dgram" */
	char *host;          /**< bind address; NULL: the wildcard */
	int family;          /**< 4, 6, or 46 (both: a bare port) */
	char *port;          /**< number or /etc/services name */
	char *unix_path;     /**< inetd unix sockets */
	int disabled;
	int wait;
	int internal;        /**< xinetd type INTERNAL / inetd "internal" */
	char *user, *group;
	char *server;        /**< the program */
	struct strv args;    /**< arguments after the program */
	struct strv allow, deny;
	struct strv env;     /**< NAME=VALUE */
	char *max_conn, *per_source, *rate;
	struct strv notes;   /**< comments: attributes without equivalent */
};

/** Everything read. */
struct cv_doc {
	char *log;           /**< global log: "syslog" or a path; NULL */
	struct strv global_notes;
	struct cv_svc defaults;      /**< allow/deny/limits for `defaults:` */
	struct strv only_enabled;    /**< xinetd defaults `enabled`: these only */
	int has_only_enabled;
	struct strv disabled;        /**< xinetd defaults `disabled` */
	struct cv_svc **svcs;
	size_t nsvcs;
	struct strv sources;         /**< files read, in order */
	unsigned errors;             /**< unreadable files, syntax errors */
	unsigned warnings;
};

/* util.c */
void *cv_xalloc(size_t size);
char *cv_strdup(const char *s);
char *cv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void strv_add(struct strv *l, const char *s);
void strv_addf(struct strv *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strv_remove(struct strv *l, const char *s);
int strv_has(const struct strv *l, const char *s);
void strv_clear(struct strv *l);
/** Split a line into whitespace-separated words (owned by out). */
void cv_split(const char *line, struct strv *out);
/** Warning on stderr: "superd-convert: WHERE: warning: ..."; counted. */
void cv_warn(struct cv_doc *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Error on stderr (the exit status becomes 1); counted. */
void cv_error(struct cv_doc *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Keep an attribute superd has no equivalent for: a note + a warning. */
void cv_unsupported(struct cv_doc *d, struct cv_svc *s, const char *where,
                    const char *attr, const char *value, const char *why);
struct cv_svc *cv_svc_new(const char *name, const char *origin);
void cv_svc_free(struct cv_svc *s);
/** Add s to the document (its name made unique). */
void cv_doc_add(struct cv_doc *d, struct cv_svc *s);
void cv_doc_free(struct cv_doc *d);
/** Which built-in module serves an internal service (NULL: none). */
const char *cv_builtin(const char *name);

/* xinetd.c */
/** Read an xinetd.conf or an /etc/xinetd.d file (includedir followed). */
void cv_read_xinetd(struct cv_doc *d, const char *path, int depth);
/** Read a directory as xinetd's includedir does. */
void cv_read_xinetd_dir(struct cv_doc *d, const char *dir);
/** Does the file look like xinetd syntax (service/defaults/includedir)? */
int cv_is_xinetd(const char *path);

/* inetd.c */
/** Read an inetd.conf (BSD and netkit forms). */
void cv_read_inetd(struct cv_doc *d, const char *path);

/* addrs.c */
/** Add xinetd address words (only_from/no_access) as CIDR rules to out;
 * what cannot be turned into one is warned about and noted on s. */
void cv_addrs(struct cv_doc *d, struct cv_svc *s, const char *where,
              const struct strv *words, size_t first, struct strv *out);

/* emit.c */
/** Print d as superd.yaml on stdout. */
void cv_emit(const struct cv_doc *d);

#endif
