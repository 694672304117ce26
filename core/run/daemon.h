/*
 * daemon.h - detaching from the terminal and the pid file.
 */
#ifndef SUPERD_DAEMON_H
#define SUPERD_DAEMON_H

/** Detach: fork twice, new session, cwd /, stdio on /dev/null.  0 or -1. */
int daemon_detach(void);
/**
 * Write our pid to path (made absolute against the current directory
 * first, so a later chdir does not matter).  0 or -1 (logged).
 */
int pidfile_write(const char *path);
/** Remove the pid file written by pidfile_write, if it still holds our pid. */
void pidfile_remove(void);

#endif
