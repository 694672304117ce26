/*
 * watch.c - inotify on the configuration's directories, debounced.
 *
 * Directories, not files: a watch on a file follows its inode, which a
 * rename or a symlink swap leaves behind.  In each directory only names
 * that matter fire: a file read (exact name), a name an include pattern
 * matches, and names beginning with ".." (Kubernetes keeps a ConfigMap's
 * files behind `..data`, swapped by rename), so a log file beside the
 * configuration does not cause reloads.
 */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
                    IN_CREATE | IN_DELETE | IN_ATTRIB)

/* One name (or pattern) that matters in a watched directory. */
struct wname {
	int wd;
	char *name;
	int pattern;                /**< fnmatch, else exact */
};

/* One inotify instance and the names that matter in it. */
struct wset {
	int fd;                     /**< -1: none */
	struct wname *names;
	size_t nnames;
};

struct cfgwatch {
	struct loop *loop;
	loop_timer_cb *fire;
	void *arg;
	struct wset set;            /**< in force */
	struct loop_timer *timer;   /**< debounce, pending */
	uint64_t first_ms;          /**< first event of the pending burst */
};

struct cfgwatch *cfgwatch_new(struct loop *l, loop_timer_cb *fire, void *arg)
{
	struct cfgwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->loop = l;
	w->fire = fire;
	w->arg = arg;
	w->set.fd = -1;
	return w;
}

/* Close a set (not watched by the loop any more). */
static void wset_free(struct wset *ws)
{
	if (ws->fd >= 0)
		close(ws->fd);
	ws->fd = -1;
	for (size_t i = 0; i < ws->nnames; i++)
		free(ws->names[i].name);
	free(ws->names);
	ws->names = NULL;
	ws->nnames = 0;
}

/* Debounce timer: quiet long enough, reload. */
static void watch_due(struct loop *l, void *arg)
{
	struct cfgwatch *w = arg;

	w->timer = NULL;
	w->fire(l, w->arg);
}

/* A change that matters: (re)start the quiet period, bounded. */
static void watch_changed(struct cfgwatch *w, const char *what)
{
	uint64_t now = loop_now(w->loop);

	log_msg(SUPERD_LOG_DEBUG, NULL, "configuration change seen: %s", what);
	if (!w->timer) {
		w->first_ms = now;
		w->timer = loop_timer_add(w->loop, CFGWATCH_QUIET_MS, watch_due, w);
		if (!w->timer)
			log_errno(NULL, "loop_timer_add (watch)", errno);
	} else if (now - w->first_ms < CFGWATCH_MAX_DELAY_MS) {
		loop_timer_rearm(w->loop, w->timer, CFGWATCH_QUIET_MS);
	}
}

/* Does an event on name in watch wd matter? */
static int watch_matters(const struct wset *ws, int wd, const char *name)
{
	if (strncmp(name, "..", 2) == 0)
		return 1;
	for (size_t i = 0; i < ws->nnames; i++) {
		if (ws->names[i].wd != wd)
			continue;
		if (ws->names[i].pattern ? fnmatch(ws->names[i].name, name, FNM_PERIOD) == 0
		                         : strcmp(ws->names[i].name, name) == 0)
			return 1;
	}
	return 0;
}

/* Read every pending event of ws; the name of the last one that matters
 * (into what), or NULL. */
static const char *wset_drain(const struct wset *ws, char *what, size_t size)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *found = NULL;
	ssize_t got;

	while ((got = read(ws->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + got;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW)
				found = "(event queue overflow)";
			else if (ev->len && watch_matters(ws, ev->wd, ev->name))
				found = strncpy(what, ev->name, size - 1);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (got < 0 && errno != EAGAIN && errno != EINTR)
		log_errno(NULL, "read (inotify)", errno);
	return found;
}

/* The inotify fd is readable: note a change that matters. */
static void watch_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct cfgwatch *w = arg;
	char what[NAME_MAX + 1] = "";
	const char *name = wset_drain(&w->set, what, sizeof(what));

	(void)l;
	(void)fd;
	(void)events;
	if (name)
		watch_changed(w, name);
}

/* Watch the directory of path for its last component (exact or a
 * pattern).  A missing directory is watched for from its parent (an
 * include directory made later), up to one that exists.  0, or -1 on out
 * of memory. */
static int watch_add(struct wset *w, const char *path, int pattern)
{
	char *copy = strdup(path), *copy2 = strdup(path);
	struct wname *grown;
	int wd, rc = -1;

	if (!copy || !copy2)
		goto done;
	wd = inotify_add_watch(w->fd, dirname(copy), WATCH_MASK);
	if (wd < 0 && errno == ENOENT && strcmp(copy, path) != 0 &&
	    strcmp(copy, "/") != 0 && strcmp(copy, ".") != 0) {
		rc = watch_add(w, copy, 0);
		goto done;
	}
	if (wd < 0) {
		log_msg(SUPERD_LOG_DEBUG, NULL, "cannot watch %s: %s", copy,
		        strerror(errno));
		rc = 0;
		goto done;
	}
	grown = realloc(w->names, (w->nnames + 1) * sizeof(*grown));
	if (!grown)
		goto done;
	w->names = grown;
	w->names[w->nnames].wd = wd;
	w->names[w->nnames].pattern = pattern;
	w->names[w->nnames].name = strdup(basename(copy2));
	if (w->names[w->nnames].name) {
		w->nnames++;
		rc = 0;
	}
done:
	free(copy);
	free(copy2);
	return rc;
}

/* Absolute path of cfg->files[i]: the main file's directory is cfg->dir
 * (the cwd may change); included files are absolute already.  NULL: out
 * of memory. */
static char *file_path(const struct config *cfg, size_t i)
{
	char *copy, *abs;

	if (i > 0 || cfg->files[0][0] == '/')
		return strdup(cfg->files[i]);
	copy = strdup(cfg->files[0]);
	abs = copy ? malloc(strlen(cfg->dir) + strlen(copy) + 2) : NULL;
	if (abs)
		sprintf(abs, "%s/%s", cfg->dir, basename(copy));
	free(copy);
	return abs;
}

/* Watch a file read: its directory as named, and the directory of the
 * file it resolves to when that differs (a symlink elsewhere). */
static int watch_file(struct wset *w, const struct config *cfg, size_t i)
{
	char *abs = file_path(cfg, i), *real = NULL;
	int rc = -1;

	if (!abs || watch_add(w, abs, 0) < 0)
		goto done;
	real = realpath(abs, NULL);
	rc = real && strcmp(real, abs) != 0 ? watch_add(w, real, 0) : 0;
done:
	free(real);
	free(abs);
	return rc;
}

/* A new set for what cfg reads.  0, or -1 (logged). */
static int wset_build(struct wset *ws, const struct config *cfg)
{
	ws->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ws->fd < 0) {
		log_errno(NULL, "inotify_init1 (global: watch)", errno);
		return -1;
	}
	for (size_t i = 0; i < cfg->nfiles; i++)
		if (watch_file(ws, cfg, i) < 0)
			goto fail;
	for (size_t i = 0; i < cfg->global.ninclude; i++)
		if (watch_add(ws, cfg->global.include[i], 1) < 0)
			goto fail;
	return 0;
fail:
	log_errno(NULL, "watch", ENOMEM);
	wset_free(ws);
	return -1;
}

/* Was t (a file's time) after the configuration was read?  With a margin:
 * file times lag the clock by a tick, and an extra reload costs little. */
static int after_read(const struct timespec *t, const struct config *cfg)
{
	long long ms = (long long)t->tv_sec * 1000 + t->tv_nsec / 1000000;
	long long at = (long long)cfg->read_at.tv_sec * 1000 +
	               cfg->read_at.tv_nsec / 1000000;

	return ms >= at - CFGWATCH_MARGIN_MS;
}

/* Did a file read, or an include directory, change after cfg was read
 * (before its watches were in place)?  The name of the first, or NULL. */
static const char *changed_since(const struct config *cfg)
{
	const char *changed = NULL;
	struct stat st;

	if (!cfg->read_at.tv_sec)
		return NULL;
	for (size_t i = 0; i < cfg->nfiles && !changed; i++) {
		char *path = file_path(cfg, i);

		if (path && (stat(path, &st) < 0 || after_read(&st.st_ctim, cfg)))
			changed = cfg->files[i];
		free(path);
	}
	for (size_t i = 0; i < cfg->global.ninclude && !changed; i++) {
		char *copy = strdup(cfg->global.include[i]);

		if (copy && stat(dirname(copy), &st) == 0 && after_read(&st.st_mtim, cfg))
			changed = cfg->global.include[i];
		free(copy);
	}
	return changed;
}

/*
 * The new set is made before the old one is read for the last time and
 * closed, so a change made while a reload was reading the files (or just
 * after its log line) is never lost: at worst it is seen twice.
 */
int cfgwatch_set(struct cfgwatch *w, const struct config *cfg)
{
	struct wset next = { .fd = -1 };
	char what[NAME_MAX + 1] = "";
	const char *pending = NULL;
	int rc = 0;

	if (cfg && cfg->global.watch && wset_build(&next, cfg) < 0)
		rc = -1;
	if (w->set.fd >= 0) {
		loop_del(w->loop, w->set.fd);
		pending = wset_drain(&w->set, what, sizeof(what));
	}
	wset_free(&w->set);
	w->set = next;
	if (w->set.fd >= 0 &&
	    loop_add(w->loop, w->set.fd, LOOP_IN, watch_ready, w) < 0) {
		log_errno(NULL, "loop_add (inotify)", errno);
		wset_free(&w->set);
		rc = -1;
	}
	if (w->set.fd < 0) {
		loop_timer_cancel(w->loop, w->timer);
		w->timer = NULL;
	} else if (pending) {
		watch_changed(w, pending);
	} else if ((pending = changed_since(cfg))) {
		watch_changed(w, pending); /* between the read and the watches */
	}
	return rc;
}

void cfgwatch_free(struct cfgwatch *w)
{
	if (!w)
		return;
	cfgwatch_set(w, NULL);
	free(w);
}
