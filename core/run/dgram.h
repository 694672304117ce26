/*
 * dgram.h - UDP listeners in a worker: receive in bounded batches, check
 * each datagram (reflection guard, rules, per-source rate), hand it to the
 * module, and send replies from the address the request was sent to.
 */
#ifndef SUPERD_DGRAM_H
#define SUPERD_DGRAM_H

#include <stddef.h>

#include "loop.h"
#include "runconf.h"

/** Loop callback for a UDP listener; arg is its struct svc_listen. */
void dgram_readable(struct loop *l, int fd, unsigned events, void *arg);
/** host->reply. */
int dgram_reply(const struct superd_datagram *d, const void *buf, size_t len);

#endif
