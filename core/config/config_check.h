/*
 * config_check.h - helpers shared by the configuration checker's files
 * (config.c: top level and services; config_global.c: `global:`).
 *
 * Every message is "PREFIX KEY: what is wrong", e.g.
 * "service 'web': timeout: expected a whole number, got 'soon'", printed
 * at the value's position through diag; the typed readers (conf_uint,
 * conf_bool, conf_string, ...) are values.h's, which modules' options
 * share.
 */
#ifndef SUPERD_CONFIG_CHECK_H
#define SUPERD_CONFIG_CHECK_H

#include "conf.h"
#include "values.h"

/** State of one check run. */
struct conf_build {
	struct config *cfg;   /**< what is being filled */
	struct addr_ctx addr; /**< base dir and limits for listen entries */
};

/** A path; a relative one is taken from the config's dir.  0 or -1. */
int conf_path(const struct conf_build *b, const struct superd_opt *at,
              const char *prefix, const char *key, char **out);
/**
 * Read the files `global: include` names (cfg->global.include); append
 * each one's `services:` mapping to *maps and its tree to cfg->more.
 */
void conf_includes(struct conf_build *b, const struct superd_opt ***maps,
                   size_t *nmaps);
/** A service's `sandbox:` mapping into *out (replaced).  0 or -1. */
int conf_sandbox(const struct conf_build *b, const struct superd_opt *v,
                 const char *prefix, struct sandbox_conf **out);
/** Check a `tls:` block into *out (replacing one there).  0 or -1. */
int conf_tls(const struct conf_build *b, const struct superd_opt *v,
             const char *prefix, struct tls_conf **out);
/** Free a tls_conf (NULL is fine). */
void conf_tls_free(struct tls_conf *tc);
/** Check and fill cfg->global from the `global:` node (may be NULL). */
void conf_global(struct conf_build *b, const struct superd_opt *g);

#endif
