/*
 * sdnotify.h - readiness and status notifications to the service manager.
 *
 * systemd's Type=notify protocol, spoken directly (no libsystemd): one
 * datagram of "KEY=VALUE\n..." text to the AF_UNIX socket named by the
 * NOTIFY_SOCKET environment variable (a path, or "@name" for the abstract
 * namespace).  Without NOTIFY_SOCKET every call is a no-op, so the server
 * calls it unconditionally.
 *
 * The master sends "READY=1" once every listener is open and the workers
 * run, "RELOADING=1" when a SIGHUP reload starts and "READY=1" again when
 * it ends, and "STOPPING=1" when a stop begins.
 */
#ifndef SUPERD_SDNOTIFY_H
#define SUPERD_SDNOTIFY_H

/**
 * Send state (e.g. "READY=1" or "STATUS=serving 6 services") to the
 * service manager.  Failures are ignored on purpose: the manager may be
 * gone, and the server must keep serving either way.
 */
void sdnotify_send(const char *state);

/**
 * Fill addr/len for the NOTIFY_SOCKET value name ("/path" or "@abstract").
 * 0, or -1 when name is not a usable socket address.  Exposed for tests.
 */
struct sockaddr_un;
int sdnotify_address(const char *name, struct sockaddr_un *addr,
                     unsigned *len);

#endif
