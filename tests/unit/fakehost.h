/*
 * fakehost.h - a fake superd_host for module unit tests.
 *
 * It behaves like the real host where a module can tell (the option
 * accessors are the real ones from core/options.c), and records everything
 * else: bytes written (write and sendfile), close/abort, timeouts, notes,
 * timers, watches, children, datagram replies and log lines.  Tests drive a
 * module's callbacks through fake_open/fake_data/... which keep unconsumed
 * input exactly as the real host does.
 */
#ifndef SUPERD_FAKEHOST_H
#define SUPERD_FAKEHOST_H

#include <stddef.h>
#include <stdint.h>

#include "superd/module.h"
#include "runconf.h"

/** What a superd_conn is in tests. */
struct fake_conn {
	struct superd_peer peer;
	struct superd_service *svc;
	const struct superd_module *mod;
	void *instance;
	void *state;            /**< conn_size bytes, zeroed */
	unsigned char *out;     /**< every byte written (sendfile: file bytes) */
	size_t outlen;
	unsigned char *in;      /**< input kept (not consumed) by on_data */
	size_t inlen;
	int closed;             /**< 1 after host->close, 2 after host->abort */
	int paused;             /**< pause_read state */
	int eof;                /**< fake_eof was called */
	unsigned timeout_ms;    /**< last set_timeout */
	char note[128];         /**< last conn_note */
	int on_close_called;
	/* --- extensions (appended) --- */
	size_t pending;         /**< what host->pending reports; tests set it */
	int fd;                 /**< what host->conn_fd reports (-1 unless
	                             fake_set_next_fd was used); not closed */
	int opened;             /**< on_open returned 0 (so on_close is owed) */
	const struct superd_tls *tls; /**< what host->tls reports (NULL:
	                                   plaintext); tests set it */
	int reflected;          /**< host->reflect was asked: input goes
	                             straight to out, on_data is not called */
};

/** The host table. */
const struct superd_host *fake_host(void);
/** A service named name (config_dir "/tmp"); free with fake_service_free. */
struct superd_service *fake_service(const char *name);
void fake_service_free(struct superd_service *svc);
/** Parse YAML text into an options tree (NULL on a YAML error). */
superd_opt *fake_opts(const char *yaml);
void fake_opts_free(superd_opt *o);
/** configure() a module with YAML options (NULL: none); 0/-1 as configure. */
int fake_configure(const struct superd_module *m, struct superd_service *svc,
                   const char *yaml, void **instance);

/**
 * New connection from ip:port over proto (SUPERD_PROTO_*); calls on_open
 * and stores its result in *rc (rc may be NULL).  When on_open returns -1
 * the connection is marked closed=2 and still returned: inspect it, then
 * fake_close it (on_close is skipped then, as the real host skips it).
 */
struct fake_conn *fake_open(const struct superd_module *m, void *instance,
                            unsigned proto, const char *ip, unsigned port,
                            int *rc);
/**
 * Deliver bytes as the host does: appended to the kept input, and on_data
 * gets kept + new.  Dropped once the connection is closed (1 or 2).
 * While paused the bytes are only kept; fake_data(c, NULL, 0) then hands
 * the kept input over (after the module resumed).  A module returning
 * more than it was given makes the test abort.
 */
void fake_data(struct fake_conn *c, const void *buf, size_t len);
/** Deliver a half-close (on_eof, or the host's default: close). */
void fake_eof(struct fake_conn *c);
/** Pretend the socket drained: on_drain if the module has one. */
void fake_drain(struct fake_conn *c);
/** Close: on_close (if on_open succeeded), then free. */
void fake_close(struct fake_conn *c);

/**
 * The next fake_open's connection reports fd from host->conn_fd (once;
 * then -1 again).  The test keeps owning fd.
 */
void fake_set_next_fd(int fd);
/** host->reflect fails (EINVAL) while refuse is 1 (until fake_reset). */
void fake_refuse_reflect(int refuse);

/** Send a datagram to a module; replies are appended to fake_replies(). */
void fake_datagram(const struct superd_module *m, void *instance,
                   const void *buf, size_t len, const char *ip, unsigned port);
/** Reply number i (0-based) and its length, or NULL. */
const unsigned char *fake_reply(size_t i, size_t *len);
size_t fake_reply_count(void);

/** Advance the fake monotonic clock, firing due timers in order. */
void fake_advance(uint64_t ms);
/** Active timers and watches. */
size_t fake_timer_count(void);
size_t fake_watch_count(void);
/** Fire the watch on fd with events: 1, or 0 if fd has no watch. */
int fake_watch_fire(int fd, unsigned events);
/** Events the watch on fd waits for, or -1 if fd has no watch. */
int fake_watch_events(int fd);
/** Report that child pid exited with status (as from waitpid): 1, or 0
 *  if nobody watches pid (the watch is removed once it fired). */
int fake_child_exit(pid_t pid, int status);
/** Child watches not fired yet (spawned children included). */
size_t fake_child_count(void);
/** Calls of host->spawn_stop so far. */
unsigned fake_spawn_stops(void);
/** The fake monotonic clock (what host->now_ms returns). */
uint64_t fake_now(void);

/**
 * Last log line or option error, and how many there were.  A log line
 * reads "SERVICE: message"; an option error reads as diag prints it,
 * "FILE:LINE:COLUMN: service NAME: message" (FILE is "test.yaml").
 */
const char *fake_last_log(void);
unsigned fake_log_count(void);
/** Level of the last host->log line (SUPERD_LOG_*; -1 for none). */
int fake_last_log_level(void);
/** 1 if any log line or option error since fake_reset contains needle. */
int fake_log_contains(const char *needle);
/** Forget replies, logs and counters (between tests). */
void fake_reset(void);

/** What host->draining reports from now on (fake_reset: 0). */
void fake_set_draining(int on);

#endif
