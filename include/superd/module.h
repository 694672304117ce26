/*
 * superd/module.h - the superd module API (ABI 1.2).
 *
 * A module is a shared object that exports one const data symbol,
 * `superd_module`, of type `struct superd_module`.  The host checks its magic,
 * ABI version and size before calling anything in it.  The module never links
 * against the server: everything it may call in the host reaches it through
 * `struct superd_host`, handed to `configure`.
 *
 * Compatibility rules (the ABI only grows):
 *   - SUPERD_ABI_MAJOR changes when a field is removed, reordered or changes
 *     meaning; the host refuses a module whose major differs from its own.
 *   - SUPERD_ABI_MINOR grows when fields are appended at the end of
 *     struct superd_module or struct superd_host; the host refuses a module
 *     whose minor is greater than its own (the module may use host functions
 *     the host does not have).  A module may read the host's `abi_minor` and
 *     `size` to see which host functions exist.
 *   - `size` fields carry sizeof() as the other side was compiled, so each
 *     side ignores fields past the other's end.
 *
 * Nothing here depends on libyaml or any other library's types.
 */
#ifndef SUPERD_MODULE_H
#define SUPERD_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The descriptor's magic number: "SPDM" in ASCII. */
#define SUPERD_MODULE_MAGIC 0x5350444du
/** ABI major: a module is loaded only when its major equals the host's. */
#define SUPERD_ABI_MAJOR 1
/** ABI minor: a module is loaded only when its minor is <= the host's. */
#define SUPERD_ABI_MINOR 2

/* Protocol bits, for struct superd_module.protocols and superd_peer.proto. */
#define SUPERD_PROTO_TCP 0x1u  /**< stream socket over IPv4 or IPv6 */
#define SUPERD_PROTO_UDP 0x2u  /**< datagram socket over IPv4 or IPv6 */
#define SUPERD_PROTO_UNIX 0x4u /**< stream socket on a UNIX path */

/* Log levels for superd_host.log. */
#define SUPERD_LOG_ERROR 0
#define SUPERD_LOG_WARN 1
#define SUPERD_LOG_INFO 2
#define SUPERD_LOG_DEBUG 3

/* Kinds of option nodes (superd_host.opt_kind). */
#define SUPERD_OPT_SCALAR 0 /**< a string, number or boolean as written */
#define SUPERD_OPT_SEQ 1    /**< a YAML sequence (list) */
#define SUPERD_OPT_MAP 2    /**< a YAML mapping */

/* Event bits for fd watches (superd_host.watch_add). */
#define SUPERD_EV_IN 0x1u  /**< readable (or peer closed) */
#define SUPERD_EV_OUT 0x2u /**< writable */
#define SUPERD_EV_ERR 0x4u /**< error or hang-up; always reported */

/* Return values of superd_module.on_data beyond a byte count. */
#define SUPERD_DATA_CLOSE ((size_t)-1) /**< stop reading; close once output is sent */
#define SUPERD_DATA_ABORT ((size_t)-2) /**< close now; queued output is dropped */

/** One configured service (opaque): a name, its options, its log tag. */
typedef struct superd_service superd_service;
/** One connection (opaque), valid from on_open until on_close returns. */
typedef struct superd_conn superd_conn;
/** A node of the service's `options:` tree (opaque), valid until destroy. */
typedef struct superd_opt superd_opt;
/** A one-shot timer (opaque) in the calling worker's event loop. */
typedef struct superd_timer superd_timer;
/** A watch on a file descriptor (opaque) in the calling worker's loop. */
typedef struct superd_watch superd_watch;

/** Who is on the other end of a connection or datagram, and where it came in. */
struct superd_peer {
	unsigned proto;                  /**< SUPERD_PROTO_TCP, _UDP or _UNIX */
	struct sockaddr_storage remote;  /**< the client's address */
	socklen_t remote_len;            /**< bytes used in remote */
	struct sockaddr_storage local;   /**< the address the client reached */
	socklen_t local_len;             /**< bytes used in local */
	char remote_ip[46];              /**< numeric client address; IPv4-mapped
	                                      IPv6 is shown as IPv4; "" for UNIX */
	unsigned short remote_port;      /**< client port, host order; 0 for UNIX */
	char local_ip[46];               /**< numeric local address; "" for UNIX */
	unsigned short local_port;       /**< local port, host order; 0 for UNIX */
};

/** A received datagram, as handed to on_datagram; valid during the call. */
struct superd_datagram {
	const unsigned char *data;      /**< the payload */
	size_t len;                     /**< payload bytes (may be 0) */
	const struct superd_peer *peer; /**< sender, and the address it was sent to */
	void *reserved;                 /**< host's handle for reply(); do not touch */
};

/**
 * One sample of the server's metrics (superd_host.metrics), valid during
 * the callback.  Names follow the Prometheus text format 0.0.4; an
 * OpenMetrics writer drops a counter's "_total" for the family name.
 */
struct superd_metric {
	const char *family; /**< e.g. "superd_connections_accepted_total" */
	const char *type;   /**< "counter", "gauge" or "histogram" */
	const char *help;   /**< one line, no newline or backslash */
	const char *unit;   /**< OpenMetrics unit ("seconds", "bytes") or "" */
	const char *suffix; /**< "" or, in a histogram, "_bucket", "_sum", "_count" */
	const char *labels; /**< `service="web",code="200"`, escaped; "" for none */
	double value;       /**< +Inf is never a value (only a `le` label) */
};

/**
 * What a TLS connection agreed on (host->tls, ABI 1.2): the facts exec
 * programs and CGI scripts get as SSL_PROTOCOL, SSL_CIPHER,
 * SSL_SERVER_NAME, SSL_CLIENT_VERIFY and SSL_CLIENT_S_DN.  Valid until the
 * connection's on_close returns.
 */
struct superd_tls {
	const char *protocol;      /**< "TLSv1.2" or "TLSv1.3" */
	const char *cipher;        /**< the cipher suite, OpenSSL's name */
	const char *server_name;   /**< the name the client asked for (SNI), or "" */
	const char *client_verify; /**< "SUCCESS" (a verified client certificate)
	                                or "NONE" */
	const char *client_s_dn;   /**< the client certificate's subject
	                                (RFC 2253), or "" */
};

/* Callback types used by host services. */
typedef void superd_metric_cb(void *arg, const struct superd_metric *m);
typedef void superd_timer_cb(void *arg);
typedef void superd_watch_cb(int fd, unsigned events, void *arg);
typedef void superd_child_cb(pid_t pid, int status, void *arg);

/* Flags for struct superd_spawn.flags. */
#define SUPERD_SPAWN_SETSID 0x1u  /**< the child leads a new session and group */
#define SUPERD_SPAWN_SETPGRP 0x2u /**< the child leads a new process group */
#define SUPERD_SPAWN_AS_USER 0x4u /**< run as the service's user (service_user) */

/* Modes for superd_host.sandbox_path. */
#define SUPERD_SANDBOX_READ 0x1u  /**< read files, list directories */
#define SUPERD_SANDBOX_WRITE 0x2u /**< also write, create and remove */
#define SUPERD_SANDBOX_EXEC 0x4u  /**< a program (or a directory of them)
                                       the service may start with spawn */

/* Special values for struct superd_spawn.fd[]. */
#define SUPERD_SPAWN_NULL (-1) /**< /dev/null */
#define SUPERD_SPAWN_LOG (-2)  /**< fd 2 only: a pipe the host logs line by line */

/**
 * A program to start with host->spawn (ABI 1.2).  Zero it, set `size`
 * to sizeof(struct superd_spawn), then fill what you need.  The child gets
 * fds 0-2 from fd[] and nothing else (every other descriptor is closed),
 * default signal dispositions and an empty signal mask, and whatever the
 * service's `sandbox:` asks for (rlimits, no_new_privs, Landlock paths).
 */
struct superd_spawn {
	uint32_t size;            /**< sizeof(struct superd_spawn) in the module */
	const char *path;         /**< the program (execve: no PATH search) */
	char *const *argv;        /**< NULL-terminated */
	char *const *envp;        /**< NULL-terminated; the whole environment */
	int fd[3];                /**< the child's 0, 1, 2: an fd the caller keeps
	                               owning, SUPERD_SPAWN_NULL or (fd[2]) _LOG */
	const char *dir;          /**< working directory; NULL: unchanged */
	unsigned flags;           /**< SUPERD_SPAWN_* */
	unsigned timeout_ms;      /**< > 0: spawn_stop the child after this long */
	const char *log_tag;      /**< stderr lines are logged "TAG: line";
	                               NULL: "pid N: line" */
	superd_child_cb *on_exit; /**< called once the child is reaped (may be NULL) */
	void *arg;                /**< for on_exit */
};

#if defined(__GNUC__)
#define SUPERD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SUPERD_PRINTF(f, a)
#endif

/**
 * What the host offers a module.  Handed to configure; keep the pointer in
 * the instance.  Fields are only ever appended (see the rules at the top).
 */
struct superd_host {
	uint32_t size;      /**< sizeof(struct superd_host) in the host */
	uint16_t abi_major; /**< the host's SUPERD_ABI_MAJOR */
	uint16_t abi_minor; /**< the host's SUPERD_ABI_MINOR */

	/* --- options: reading the service's `options:` tree --- */

	/** Kind of a node: SUPERD_OPT_SCALAR, _SEQ or _MAP. */
	int (*opt_kind)(const superd_opt *o);
	/** Value of a mapping's key, or NULL when absent (or o is not a map). */
	const superd_opt *(*opt_get)(const superd_opt *map, const char *key);
	/** Items in a sequence or pairs in a mapping; 0 for a scalar. */
	size_t (*opt_count)(const superd_opt *o);
	/** The i-th item of a sequence, or the i-th value of a mapping. */
	const superd_opt *(*opt_at)(const superd_opt *o, size_t i);
	/** The i-th key of a mapping, or NULL. */
	const char *(*opt_key_at)(const superd_opt *map, size_t i);
	/** A scalar's text, or NULL for a sequence or mapping. */
	const char *(*opt_str)(const superd_opt *o);
	/**
	 * Report a configuration error at the node's position, printed as
	 * "FILE:LINE:COLUMN: service NAME: message".  o may be NULL (then the
	 * service's own position is used).  configure then returns -1.
	 */
	void (*opt_error)(superd_service *svc, const superd_opt *o,
	                  const char *fmt, ...) SUPERD_PRINTF(3, 4);
	/**
	 * Check that every key of map is in the NULL-terminated list allowed;
	 * reports the first unknown key with opt_error.  0 when all are known
	 * (or map is NULL), -1 otherwise.  A non-map node is also an error.
	 */
	int (*opt_check_keys)(superd_service *svc, const superd_opt *map,
	                      const char *const *allowed);
	/**
	 * Typed readers: each reports a positioned error itself and returns -1
	 * on a wrong type or range; returns 0 and leaves *out untouched when
	 * o is NULL (option absent), so set defaults first.
	 */
	int (*opt_bool)(superd_service *svc, const superd_opt *o, int *out);
	int (*opt_uint)(superd_service *svc, const superd_opt *o,
	                unsigned long long min, unsigned long long max,
	                unsigned long long *out);
	/** A scalar string; *out points into the tree (valid until destroy). */
	int (*opt_string)(superd_service *svc, const superd_opt *o,
	                  const char **out);

	/* --- logging and identity --- */

	/** Log a line tagged with the service's name. svc may be NULL. */
	void (*log)(const superd_service *svc, int level, const char *fmt, ...)
	    SUPERD_PRINTF(3, 4);
	/** The service's name as written in the configuration. */
	const char *(*service_name)(const superd_service *svc);
	/** Absolute path of the configuration file's directory. */
	const char *(*config_dir)(const superd_service *svc);

	/* --- connections (event style) --- */

	/**
	 * Queue bytes for the client.  Sent at once when the socket takes
	 * them, otherwise copied and sent as the socket drains.  While more
	 * than a high-water mark is queued, the host stops reading from the
	 * client (back-pressure), so a slow reader cannot grow memory without
	 * bound.  0 on success, -1 when the connection is already failing.
	 */
	int (*write)(superd_conn *c, const void *buf, size_t len);
	/**
	 * Queue len bytes of file fd from offset off, sent with sendfile(2)
	 * after anything queued before.  The host takes ownership of fd and
	 * closes it when sent, or when the connection closes.  0 or -1 (fd is
	 * closed either way).
	 */
	int (*sendfile)(superd_conn *c, int fd, off_t off, size_t len);
	/** Bytes queued and not yet accepted by the kernel. */
	size_t (*pending)(const superd_conn *c);
	/** Finish: stop reading, send what is queued, then close. */
	void (*close)(superd_conn *c);
	/** Close now and drop queued output (on_close still runs). */
	void (*abort)(superd_conn *c);
	/** Stop (paused=1) or resume (0) delivering on_data. */
	void (*pause_read)(superd_conn *c, int paused);
	/**
	 * Idle timeout for this connection in milliseconds (0: none); it
	 * starts from the service's `timeout`.  Reset by every read or write.
	 */
	void (*set_timeout)(superd_conn *c, unsigned ms);
	/** Peer and local addresses of the connection. */
	const struct superd_peer *(*peer)(const superd_conn *c);
	/** The service the connection belongs to. */
	superd_service *(*conn_service)(const superd_conn *c);
	/**
	 * The connection's socket, for modules that hand it to a child.  On
	 * a TLS service: one end of a plaintext socketpair the host relays to
	 * the TLS session (from the first call on, client bytes go there, not
	 * to on_data); call close when the child is done.
	 */
	int (*conn_fd)(const superd_conn *c);
	/**
	 * Say how the connection ended, for its log line ("eof", "timeout",
	 * "http 404", "exit 0" ...); copied.  The host fills a default.
	 */
	void (*conn_note)(superd_conn *c, const char *outcome);

	/* --- datagrams --- */

	/** Send a reply to d's sender, from the address d was sent to. */
	int (*reply)(const struct superd_datagram *d, const void *buf, size_t len);

	/* --- timers, fd watches, children (the calling worker's loop) --- */

	/** Run cb(arg) once after ms milliseconds; NULL on failure. */
	superd_timer *(*timer_add)(unsigned ms, superd_timer_cb *cb, void *arg);
	/** Cancel a timer that has not fired yet (a fired one is freed). */
	void (*timer_cancel)(superd_timer *t);
	/** Watch fd for SUPERD_EV_IN/OUT; the module keeps owning fd. */
	superd_watch *(*watch_add)(int fd, unsigned events, superd_watch_cb *cb,
	                           void *arg);
	/** Change the events a watch waits for (0: none for now). */
	int (*watch_set)(superd_watch *w, unsigned events);
	/** Stop watching (does not close the fd). */
	void (*watch_del)(superd_watch *w);
	/**
	 * Call cb when child pid exits (the host reaps it: never waitpid it
	 * yourself).  0 or -1.
	 */
	int (*child_watch)(pid_t pid, superd_child_cb *cb, void *arg);

	/* --- time --- */

	/** Monotonic milliseconds, as of the current loop iteration. */
	uint64_t (*now_ms)(void);

	/* --- service control --- */

	/**
	 * From configure: make this service inetd "wait" style.  The host
	 * then never accepts or reads on its listeners: when one becomes
	 * readable it calls `serve` in a forked child with the *listening*
	 * socket, and does not watch that listener again until the child
	 * exits.  Requires `serve`.
	 */
	void (*service_set_wait)(superd_service *svc, int wait);

	/* --- ABI 1.2: child processes --- */

	/**
	 * Start a program as spec says, in the calling worker; the host reaps
	 * it and calls spec->on_exit (never waitpid it yourself).  Returns
	 * the pid, or -1 with errno: from execve (ENOENT, EACCES, ENOEXEC)
	 * when the program could not be started, EPERM when the user switch
	 * was refused, EAGAIN / ENOMEM when no process could be made.  The
	 * caller keeps its fds in spec->fd and closes them when it likes.
	 */
	pid_t (*spawn)(superd_service *svc, const struct superd_spawn *spec);
	/**
	 * Stop a child started with spawn: SIGTERM to its process group (to
	 * the child alone without SETSID/SETPGRP), SIGKILL 2 s later if it
	 * has not exited by then.  Idempotent; unknown pids are ignored.
	 */
	void (*spawn_stop)(pid_t pid);
	/**
	 * From a serve() child (blocking style): become the program.  The
	 * same spec and reset as spawn (on_exit, timeout_ms and log_tag are
	 * ignored; fd[2] = 2 keeps the host's stderr pipe).  Returns only
	 * on failure, with errno set.
	 */
	int (*spawn_exec)(superd_service *svc, const struct superd_spawn *spec);
	/**
	 * From configure: children spawned with SUPERD_SPAWN_AS_USER run as
	 * user (a name or a number) and group (NULL: the user's primary group
	 * and its supplementary groups).  Resolved now, so a typo is a
	 * `superd -t` error (reported at the node); 0 or -1.
	 */
	int (*service_user)(superd_service *svc, const superd_opt *user,
	                    const superd_opt *group);
	/** SUPERD_PROTO_* bits of the service's listeners (0 if unknown). */
	unsigned (*service_protocols)(const superd_service *svc);

	/* --- ABI 1.2: counters and metrics --- */

	/**
	 * Count one HTTP response with this status code for the connection's
	 * service (superd_http_responses_total).  Cheap: no lock, no call
	 * into other processes.
	 */
	void (*http_response)(superd_conn *c, unsigned code);
	/**
	 * Hand every sample of the server's metrics to cb, summed over all
	 * workers: families in a fixed order, never interleaved, each
	 * family's samples together.  svc: the calling service.
	 */
	void (*metrics)(const superd_service *svc, superd_metric_cb *cb, void *arg);
	/** 1 once the server is stopping (SIGTERM/SIGINT), else 0. */
	int (*stopping)(const superd_service *svc);

	/* --- ABI 1.2: draining --- */

	/**
	 * Nonzero once the calling worker is draining: a reload retired it,
	 * or the master is gone.  It accepts nothing new and exits when its
	 * last connection ends, so finish what is in progress and do not keep
	 * a connection open for more (HTTP answers with Connection: close).
	 */
	int (*draining)(void);

	/* --- ABI 1.2: TLS --- */

	/**
	 * The connection's TLS facts, or NULL when it is plaintext (no
	 * `tls:`).  Modules see plaintext either way; this says what the
	 * client agreed on.  Check the host's abi_minor >= 2 before calling.
	 */
	const struct superd_tls *(*tls)(const superd_conn *c);
	/* --- ABI 1.2: the sandbox --- */

	/**
	 * From configure: under `global: sandbox` the workers may touch
	 * only what the configuration names; declare a file or directory
	 * (and what is beneath it) the service needs at run time, with
	 * SUPERD_SANDBOX_READ or _WRITE (an upload spool, a log reopened
	 * after rotation, a document root).  Nothing is guessed from option
	 * values: declare every path the worker opens.  With
	 * SUPERD_SANDBOX_EXEC: a program, or a
	 * directory of programs, the service may start with spawn and
	 * spawn_exec (always, sandbox or not); any other path is refused
	 * (EPERM) and logged, by the worker and again by the spawn helper.
	 * Declare absolute paths.  0, or -1 (ENOMEM).
	 */
	int (*sandbox_path)(superd_service *svc, const char *path, unsigned mode);

	/* --- ABI 1.2: shared semaphores --- */

	/**
	 * Take one unit of the service's counting semaphore called name (1 to
	 * 31 bytes; at most 4 names per service) if fewer than limit units
	 * are held, counted across all of the service's workers.  1: taken,
	 * 0: limit reached, -1 + errno (EINVAL: bad name; ENOSPC: too many
	 * names; ENOSYS: no shared state, as under -t).  Units a worker
	 * still holds when it dies are given back.
	 */
	int (*sem_acquire)(superd_service *svc, const char *name,
	                   unsigned long limit);
	/** Give back one unit taken by this process (others: ignored). */
	void (*sem_release)(superd_service *svc, const char *name);

	/* --- ABI 1.2: who runs the programs a service starts --- */

	/**
	 * From configure: say that this service will start programs (exec's
	 * program, http's CGI scripts).  what names them for people ("CGI
	 * programs", 1 to 47 bytes, copied); at is the option that asks for
	 * them.  They run as the service's user (service_user) or else as
	 * the workers' (global: user); `superd -t`, run as root, warns at at
	 * when that would be root.  Check abi_minor >= 2 before calling.
	 */
	void (*service_spawns)(superd_service *svc, const superd_opt *at,
	                       const char *what);

	/* --- ABI 1.2: the sandbox's system calls --- */

	/**
	 * From configure: under `global: sandbox` a worker runs under a
	 * seccomp allow list of what superd's own modules call (superd(8),
	 * SECURITY); declare a further system call by name ("inotify_init1")
	 * that this service's code makes in the worker.  0, or -1 with errno
	 * (EINVAL: not a system call of this architecture; ENOMEM).
	 */
	int (*sandbox_syscall)(superd_service *svc, const char *name);
	/**
	 * From configure: declare the path an option names (a scalar; a
	 * relative path is taken from the configuration's directory) to
	 * the sandbox, as sandbox_path with mode does; NULL o: nothing.  A
	 * non-scalar is reported at the node.  0, or -1.
	 */
	int (*sandbox_option)(superd_service *svc, const superd_opt *o,
	                      unsigned mode);

	/* --- ABI 1.2: echoing in the kernel --- */

	/**
	 * From on_open or on_data: send everything c receives from now on
	 * back to it unchanged, as an echo service does.  The core moves the
	 * bytes itself (over TCP and UNIX without TLS with splice(2), so they
	 * never reach user space) and on_data is no longer called.  Asked for
	 * inside on_data, the bytes that call does not consume go back first.  Back-pressure (max_output) and the end
	 * of input are as for bytes sent with write: on_eof if set, else a
	 * close once everything is sent.  0, or -1 (EINVAL: a connection the
	 * core relays to a child).
	 */
	int (*reflect)(superd_conn *c);
};

/**
 * The descriptor a module exports as `const struct superd_module
 * superd_module`.  Use SUPERD_MODULE_HEADER for the first four fields.
 *
 * Lifecycle, per configured service (one module may serve many):
 *   configure -> start -> (connections) -> destroy.
 *
 * Style: a module sets either the event callbacks (on_open and friends,
 * on_datagram for UDP), which run inside a worker's event loop and must
 * never block; or `serve`, which runs in a forked child with a blocking
 * socket.  If both are set the event callbacks are used, and `serve` only
 * for services put in wait style (service_set_wait).
 */
struct superd_module {
	uint32_t magic;     /**< SUPERD_MODULE_MAGIC */
	uint16_t abi_major; /**< SUPERD_ABI_MAJOR the module was built with */
	uint16_t abi_minor; /**< SUPERD_ABI_MINOR the module was built with */
	uint32_t size;      /**< sizeof(struct superd_module) at build time */
	const char *name;   /**< short name, e.g. "echo" */
	const char *version; /**< the module's own version string */
	unsigned protocols; /**< SUPERD_PROTO_* bits this module can serve */
	/** Per-connection state the host allocates, zeroed, for event style. */
	size_t conn_size;

	/**
	 * Validate `options` (NULL when the service has none) and build the
	 * service instance in *instance.  Pure: no sockets, files opened for
	 * writing, threads or children; it runs under `superd -t` and before
	 * a reload is accepted.  Report problems with host->opt_error and
	 * return -1; 0 on success.  May be NULL (no options accepted).
	 */
	int (*configure)(const struct superd_host *host, superd_service *svc,
	                 const superd_opt *options, void **instance);
	/**
	 * Called once in the master after every listener is bound and before
	 * privileges are dropped (open log files here).  0 or -1 (the service
	 * is then not started).  May be NULL.
	 */
	int (*start)(void *instance);
	/** Free the instance.  May be NULL. */
	void (*destroy)(void *instance);

	/* --- event style --- */

	/**
	 * A connection was accepted.  state is conn_size zeroed bytes (NULL
	 * when conn_size is 0).  0 to go on, -1 to close it at once.
	 */
	int (*on_open)(superd_conn *c, void *instance, void *state);
	/**
	 * Bytes arrived.  Return how many were consumed (0..len); the rest is
	 * kept and handed again, with what follows, on the next call.  Or
	 * return SUPERD_DATA_CLOSE / SUPERD_DATA_ABORT.  NULL: input dropped.
	 */
	size_t (*on_data)(superd_conn *c, void *instance, void *state,
	                  const unsigned char *data, size_t len);
	/**
	 * The client closed its sending side (half-close).  If NULL, the host
	 * sends what is queued and closes.  Otherwise the module decides, and
	 * must call host->close or host->abort eventually.
	 */
	void (*on_eof)(superd_conn *c, void *instance, void *state);
	/** Everything queued has been sent: a chance to produce more. */
	void (*on_drain)(superd_conn *c, void *instance, void *state);
	/**
	 * The connection is going away (any reason).  Free what state points
	 * to, cancel timers and watches.  The host frees state itself.
	 */
	void (*on_close)(superd_conn *c, void *instance, void *state);
	/** A datagram arrived on a UDP listener (after access checks). */
	void (*on_datagram)(void *instance, const struct superd_datagram *d);

	/* --- blocking style --- */

	/**
	 * Serve one connection in a forked child.  fd is blocking, also on
	 * stdin/stdout is NOT implied; the child exits with the return value.
	 * For wait-style services fd is the listening socket itself.
	 */
	int (*serve)(int fd, const struct superd_peer *peer, void *instance);

	/* --- ABI 1.1 --- */

	/**
	 * SIGUSR1 (log rotation): reopen the files the instance writes, such
	 * as an access log, in each worker.  May be NULL.  The host calls it
	 * only for modules built for ABI 1.1 or later (size covers it).
	 */
	void (*on_reopen)(void *instance);

	/* --- ABI 1.2 --- */

	/**
	 * The worker started draining (see superd_host.draining): called once
	 * for every open connection.  One that sits between requests should
	 * close now (host->close); one in the middle of something should
	 * finish it, then close.  NULL: every connection runs to its natural
	 * end.  Called only for modules built for ABI 1.2 or later.
	 */
	void (*on_retire)(superd_conn *c, void *instance, void *state);
	/**
	 * Per-connection limits for event style, in bytes; 0: the host's
	 * defaults (64 KiB in, 32 KiB out).  conn_in_max: input the module
	 * leaves unconsumed, past which the connection is closed ("input
	 * overflow"); conn_out_max: output queued at which the host stops
	 * reading from the client until the queue is down to a quarter.  A
	 * service's `max_input` / `max_output` keys override them.
	 */
	size_t conn_in_max;
	size_t conn_out_max;
};

/** Fills the first four descriptor fields. */
#define SUPERD_MODULE_HEADER                                                 \
	.magic = SUPERD_MODULE_MAGIC, .abi_major = SUPERD_ABI_MAJOR,            \
	.abi_minor = SUPERD_ABI_MINOR, .size = sizeof(struct superd_module)

/** The symbol name the host looks up. */
#define SUPERD_MODULE_SYMBOL "superd_module"

#ifdef __cplusplus
}
#endif

#endif /* SUPERD_MODULE_H */
