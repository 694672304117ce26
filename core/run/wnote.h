/*
 * wnote.h - what a worker is doing, for its death line.  Each worker has a
 * note in a shared anonymous mapping its generation made before forking;
 * the worker writes the service and callback before every module call
 * (plain stores, no system call), and its open connections; when the
 * worker dies of a signal, the master reads the note and names the
 * service, the module, the callback and the connections lost.
 */
#ifndef SUPERD_WNOTE_H
#define SUPERD_WNOTE_H

#include <stddef.h>
#include <stdint.h>

struct superd_service;

/** The module callback a worker is in. */
enum wnote_cb {
	WN_NONE, WN_ON_OPEN, WN_ON_DATA, WN_ON_EOF, WN_ON_DRAIN, WN_ON_CLOSE,
	WN_ON_DATAGRAM, WN_ON_RETIRE, WN_ON_REOPEN, WN_TIMER, WN_WATCH, WN_CHILD
};

/** One worker's note (written by the worker, read by the master). */
struct wnote {
	volatile uintptr_t svc;   /**< the struct superd_service *, or 0 */
	volatile uint32_t cb;     /**< enum wnote_cb */
	volatile uint32_t conns;  /**< open connections */
};

/** n zeroed notes shared with the children forked after; NULL on failure. */
struct wnote *wnote_map(unsigned n);
/** Give back what wnote_map made. */
void wnote_unmap(struct wnote *notes, unsigned n);
/** In a worker: write into note from now on (NULL: nowhere). */
void wnote_attach(struct wnote *note);
/** About to call svc's module in callback cb (svc may be NULL). */
void wnote_enter(const struct superd_service *svc, enum wnote_cb cb);
/** Back from the module. */
void wnote_leave(void);
/** The worker's open connections now. */
void wnote_conns(size_t n);
/** "on_data", "a timer" ...: the callback's name for log lines. */
const char *wnote_cb_name(uint32_t cb);

#endif
