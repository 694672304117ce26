/*
 * master.h - the master process: loads the configuration, binds, forks
 * and supervises the workers, serves wait-style services, reloads on
 * SIGHUP and stops on SIGTERM/SIGINT.  It does no client I/O itself.
 */
#ifndef SUPERD_MASTER_H
#define SUPERD_MASTER_H

/** A worker that lived less than this counts as a crash for back-off. */
#define MASTER_CRASH_MS 1000
/** Short lives in a row replaced at once, before the back-off starts. */
#define MASTER_CRASH_FREE 3
/** Longest wait before replacing a worker that keeps dying. */
#define MASTER_BACKOFF_MAX_MS 5000
/** ... but the last worker of a generation is replaced within this. */
#define MASTER_LAST_WORKER_MS 100
/** Slack after the workers' own grace time before they are killed. */
#define MASTER_KILL_SLACK_MS 2000

/**
 * Run the server with the configuration file path; detach first when
 * daemonize is set.  Returns the exit status (0 after a clean stop, 1 when
 * the configuration or the set-up failed).
 */
int master_run(const char *path, int daemonize);

#endif
