/*
 * access.h - who may connect, and how many: allow/deny, connection limits
 * (per service, per source, whole server), rate limits, and the UDP
 * reflection guard.
 *
 * Counters live in one shared anonymous mapping made by the master before it
 * forks workers, updated with atomics, so every limit is exact across all
 * workers.  A refusal is logged once per burst (never a log flood).
 */
#ifndef SUPERD_ACCESS_H
#define SUPERD_ACCESS_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "conf.h"

/** Why a connection or datagram was refused (ACCESS_OK: admitted). */
enum access_verdict {
	ACCESS_OK = 0,
	ACCESS_DENIED,          /**< allow/deny rules */
	ACCESS_LIMIT_GLOBAL,    /**< global max_connections */
	ACCESS_LIMIT_SERVICE,   /**< service max_connections */
	ACCESS_LIMIT_SOURCE,    /**< per_source */
	ACCESS_RATE,            /**< service rate */
	ACCESS_RATE_SOURCE,     /**< rate_per_source (also UDP per-source rate) */
	ACCESS_REFLECTION,      /**< UDP: source port < 1024, broadcast, multicast */
	ACCESS_PROXY,           /**< PROXY header missing, malformed or late */
};

/** The shared state for the whole server (one per master, survives reloads). */
struct access_shared;
/** One service's view: its rules plus its slot in the shared state. */
struct access_svc;

/**
 * Create the shared mapping (before fork).  global_max: whole-server
 * max_connections, 0 = unlimited.  NULL + errno.
 */
struct access_shared *access_shared_new(unsigned long global_max);
/** Change the global limit on reload. */
void access_shared_set_global(struct access_shared *sh, unsigned long global_max);
void access_shared_free(struct access_shared *sh);
/**
 * The server's "stopping" flag, in the shared mapping so that every worker
 * sees it at once: the master sets it on the first SIGTERM/SIGINT, when
 * shutdown_delay begins (connections are still served; readiness probes,
 * such as the metrics module's /ready, answer 503 from then on).
 */
void access_shared_set_stopping(struct access_shared *sh);
int access_shared_stopping(const struct access_shared *sh);

/**
 * Bind a service's rules to the shared state.  The counters are keyed by
 * the service name, so a service kept across a reload keeps its counts.
 * NULL + errno (ENOSPC: too many services).
 */
struct access_svc *access_svc_new(struct access_shared *sh,
                                  const struct service_conf *conf);
void access_svc_free(struct access_svc *a);

/**
 * Allow/deny only (an IPv4 client on a dual-stack socket matches IPv4
 * rules).  A UNIX-socket client has no address: rules do not apply to it
 * (file permissions do), nor does per_source.
 */
int access_allowed(const struct access_svc *a, const struct sockaddr *peer);

/**
 * Admit a new stream connection: rules, rate limits, then connection
 * limits; on ACCESS_OK a slot is taken (global, service, source) and must be
 * given back with access_release().  now_ms: monotonic milliseconds.
 */
enum access_verdict access_admit(struct access_svc *a,
                                 const struct sockaddr *peer, uint64_t now_ms);
/** Give back the slots taken by a successful access_admit. */
void access_release(struct access_svc *a, const struct sockaddr *peer);

/**
 * A process that admitted connections is gone (a worker died): give back
 * every slot it still held, so limits never leak.  The master calls this
 * when it reaps a worker; without the call, the next process to admit
 * does it (it checks for dead ledger owners when it claims its ledger).
 */
void access_reap(struct access_shared *sh, pid_t pid);

/**
 * Check a datagram: reflection guard (source port < 1024, 0.0.0.0/8,
 * 255.255.255.255, 224.0.0.0/4, ff00::/8, ::, IPv4-mapped alike), rules,
 * the service's `rate` (each datagram counts as a request), then the
 * per-source datagram rate (rate_per_source; none when it is 0).
 * Takes no slot.
 */
enum access_verdict access_datagram(struct access_svc *a,
                                    const struct sockaddr *peer, uint64_t now_ms);

/**
 * Log a refusal at most once per burst per service and reason: the first
 * refusal is logged, later ones in the same burst are counted and reported
 * in one summary line when the burst ends.  Cheap when suppressed.
 */
void access_log_refusal(struct access_svc *a, enum access_verdict v,
                        const struct sockaddr *peer, uint64_t now_ms);

/** A short text for a verdict ("denied", "per_source limit", ...). */
const char *access_verdict_text(enum access_verdict v);

/**
 * Write the summary of refusal bursts that have ended (1 s without a
 * refusal).  Without it a burst's count is reported with the next refusal
 * or every 10 s; call it from a periodic timer (1 s) to report promptly.
 */
void access_log_flush(struct access_svc *a, uint64_t now_ms);

/** Why a datagram was dropped, as the UDP summary counts it. */
enum dgram_drop {
	DGRAM_DROP_ACL,     /**< allow/deny */
	DGRAM_DROP_GUARD,   /**< reflection guard */
	DGRAM_DROP_RATE,    /**< rate or rate_per_source */
	DGRAM_DROP_REASONS
};

/**
 * Count one datagram for the service's UDP summary: v is its verdict
 * (ACCESS_OK: handed to the module, which sent replies datagrams back).
 */
void access_dgram_count(struct access_svc *a, enum access_verdict v,
                        unsigned replies);
/**
 * Log the service's UDP summary (info: datagrams, replies, drops by
 * reason) when DGRAM_SUMMARY_MS have passed since the last one, or now
 * with force (at stop); the counts restart.  Across all workers, one line
 * per period; none when nothing was received.
 */
void access_dgram_summary(struct access_svc *a, uint64_t now_ms, int force);

/**
 * A named counting semaphore of the service (at most SVC_SEMS names of up
 * to 31 bytes per service), exact across every worker: take one unit if
 * fewer than limit are held.  1: taken, 0: limit reached, -1 + errno
 * (EINVAL: bad name, ENOSPC: too many names).  Units a process still
 * holds when it dies are given back with its ledger (access_reap).
 */
int access_sem_acquire(struct access_svc *a, const char *name,
                       unsigned long limit);
/** Give back one unit this process took; a unit it does not hold: ignored. */
void access_sem_release(struct access_svc *a, const char *name);
/** Units of the semaphore held now by every process (tests, status). */
unsigned long access_sem_count(const struct access_svc *a, const char *name);

/** Open connections now, whole server / one service (tests, status). */
unsigned long access_count_global(const struct access_shared *sh);
unsigned long access_count_service(const struct access_svc *a);

#endif
