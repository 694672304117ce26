/*
 * rootcheck.h - `superd -t` run as root: where the server, started the
 * same way, would run module code or programs as root because no `user`
 * is named for it.
 */
#ifndef SUPERD_ROOTCHECK_H
#define SUPERD_ROOTCHECK_H

#include "runconf.h"

/**
 * Warn (FILE:LINE:COLUMN: warning: ...) once per cause, when this process
 * is root: no global `user` (the workers run every module as root, at the
 * `global` key, or the file's first node without one); then, without a
 * global user, each enabled service that starts programs
 * (host->service_spawns: exec's program, http's CGI) with no user of its
 * own, and each wait-style service, whose serve() the master's child
 * runs.  Returns the number of warnings.
 */
unsigned rootcheck_warn(const struct runconf *rc);

#endif
