/*
 * portcheck.h - what `superd -t` can tell about binding without binding:
 * a privileged port with no right to bind it, and a port already held by
 * another program (read from /proc/net, so nothing is bound).
 */
#ifndef SUPERD_PORTCHECK_H
#define SUPERD_PORTCHECK_H

#include "conf.h"

/**
 * Warn (FILE:LINE:COLUMN: warning: ...) for each TCP/UDP address of an
 * enabled service that start-up would fail to bind: a port below the
 * kernel's unprivileged start with neither root nor CAP_NET_BIND_SERVICE,
 * or a port a program other than superd holds.  Returns the number of
 * warnings.
 */
unsigned portcheck_warn(const struct config *cfg);

#endif
