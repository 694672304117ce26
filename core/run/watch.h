/*
 * watch.h - `global: watch`: reload when a configuration file changes.
 *
 * inotify on the directory of every file read (main and included) and of
 * every include pattern, so a file replaced by rename (editors, `kubectl`,
 * a Kubernetes ConfigMap's `..data` symlink swap) is seen as well as one
 * written in place.  Events are debounced: the reload runs once things
 * have been quiet for CFGWATCH_QUIET_MS (at most CFGWATCH_MAX_DELAY_MS
 * after the first event).
 */
#ifndef SUPERD_WATCH_H
#define SUPERD_WATCH_H

#include "conf.h"
#include "loop.h"

#define CFGWATCH_QUIET_MS 200
#define CFGWATCH_MAX_DELAY_MS 2000
/** A file changed this close before the read counts as changed after it. */
#define CFGWATCH_MARGIN_MS 10

struct cfgwatch;

/** A watcher on loop that calls fire(loop, arg) after a change.  NULL +
 * errno (out of memory). */
struct cfgwatch *cfgwatch_new(struct loop *l, loop_timer_cb *fire, void *arg);
/**
 * Watch what cfg reads when cfg->global.watch is set; nothing otherwise
 * (cfg NULL: stop).  Replaces the previous set; call it after every
 * reload, good or refused, with the configuration in force.  0, or -1
 * (logged; the server runs on without watching).
 */
int cfgwatch_set(struct cfgwatch *w, const struct config *cfg);
void cfgwatch_free(struct cfgwatch *w);

#endif
