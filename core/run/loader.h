/*
 * loader.h - finding, opening and checking module shared objects.
 *
 * `module:` is a name (searched in $SUPERD_MODULE_PATH, global.module_path,
 * then the built-in module directory, as NAME.so) or a path to a .so
 * (absolute, or relative to the configuration file's directory).  A module
 * is opened with dlopen(RTLD_NOW | RTLD_LOCAL) once, however many services
 * use it, and its descriptor is checked (magic, ABI, size) before anything
 * in it is called.  Every problem is reported through diag at the
 * `module:` node.
 */
#ifndef SUPERD_LOADER_H
#define SUPERD_LOADER_H

#include <stddef.h>

#include "conftree.h"
#include "superd/module.h"

struct loaded_module;

/** Where to look for a module and how to report problems. */
struct loader_req {
	const char *spec;               /**< `module:` as written */
	const struct superd_opt *at;    /**< the `module:` node (positions) */
	const char *service;            /**< service name, for messages */
	const char *config_dir;         /**< base of relative paths */
	char *const *module_path;       /**< global.module_path */
	size_t nmodule_path;
};

/**
 * Open and check the module req names.  On success *out holds a reference
 * (give it back with loader_release) and the descriptor is returned; NULL
 * after a diagnostic otherwise.
 */
const struct superd_module *loader_open(const struct loader_req *req,
                                        struct loaded_module **out);
/** Drop a reference; the .so is closed with the last one. */
void loader_release(struct loaded_module *m);
/** The path the module was loaded from. */
const char *loader_path(const struct loaded_module *m);
/**
 * NAME.so, a module or a part of the core shipped beside the modules
 * (the TLS backend), looked for in $SUPERD_MODULE_PATH, the n dirs
 * (global.module_path), the built-in module directory.  Its file into
 * buf and 1 when found; else 0, and where it looked into buf ("$SUPERD_
 * MODULE_PATH, module_path, /usr/lib/superd").
 */
int loader_find_part(const char *name, char *const *dirs, size_t n,
                     char *buf, size_t size);

/**
 * Check that mod can serve every protocol in protocols (SUPERD_PROTO_*
 * bits; UNIX is served by any stream module).  0, or -1 after a diagnostic
 * "module 'NAME' does not serve udp".
 */
int loader_check_protocols(const struct loader_req *req,
                           const struct superd_module *mod, unsigned protocols);

/**
 * Does descriptor m have field f?  A module built for an older ABI minor
 * has a shorter descriptor: read a later field only when this is true.
 */
#define MODULE_HAS(m, f)                                                     \
	((m)->size >= offsetof(struct superd_module, f) + sizeof((m)->f) &&  \
	 (m)->f != NULL)
/** Does descriptor m reach field f (a value, not a callback)? */
#define MODULE_HAS_SIZE(m, f)                                                \
	((m)->size >= offsetof(struct superd_module, f) + sizeof((m)->f))

#endif
