/*
 * service.h - a configured service at run time (what modules see as the
 * opaque superd_service).
 *
 * The first fields are all that options.c and the unit tests' fake host
 * need; the runtime appends what it needs after them.
 */
#ifndef SUPERD_SERVICE_H
#define SUPERD_SERVICE_H

#include "config.h"
#include "superd/module.h"

struct superd_service {
	const char *name;               /**< service name (from conf) */
	const struct superd_opt *at;    /**< the service's node, for positions */
	const char *config_dir;         /**< absolute dir of the config file */
	const struct service_conf *conf; /**< NULL in unit tests */
	/* runtime fields follow (runtime-owned) */
	const struct superd_module *module; /**< the loaded descriptor */
	void *instance;                 /**< what configure returned */
	int wait;                       /**< inetd wait style (service_set_wait) */
	void *rt;                       /**< runtime private data */
};

#endif
