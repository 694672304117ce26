/*
 * test_config.c - the checked configuration: the contract's example file,
 * every global and service key, defaults merging, and the exact text of
 * each error (unknown key, wrong type, missing key, bad or duplicate
 * address, ...), with every problem of a file reported, not only the first.
 * Ends with garbage fed to config_parse, which must never crash.
 */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/config/conf.h"
#include "conftree.h"
#include "diag.h"
#include "suggest.h"

#define MAX_LINES 64

static char *lines[MAX_LINES];
static unsigned nlines;
static struct config *cfg;

static void capture(const char *line)
{
	if (nlines < MAX_LINES)
		lines[nlines] = strdup(line);
	nlines++;
}

static void setup(void)
{
	for (unsigned i = 0; i < MAX_LINES; i++) {
		free(lines[i]);
		lines[i] = NULL;
	}
	nlines = 0;
	diag_set_sink(capture);
}

static void teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

/* A file that must be accepted. */
static struct config *good(const char *yaml)
{
	setup();
	config_free(cfg);
	cfg = config_parse("t.yaml", yaml, strlen(yaml));
	for (unsigned i = 0; i < nlines && i < MAX_LINES; i++)
		fprintf(stderr, "unexpected: %s\n", lines[i]);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(nlines, 0);
	return cfg;
}

/* A file that must be refused with exactly these lines (NULL-terminated). */
static void bad(const char *yaml, ...)
{
	struct config *c;
	const char *want;
	unsigned i = 0;
	va_list ap;

	setup();
	c = config_parse("t.yaml", yaml, strlen(yaml));
	ck_assert_ptr_null(c);
	va_start(ap, yaml);
	while ((want = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(i < nlines, "missing line: %s", want);
		ck_assert_str_eq(lines[i], want);
		i++;
	}
	va_end(ap);
	ck_assert_msg(i == nlines, "extra line: %s", i < MAX_LINES ? lines[i] : "?");
}

#define SVC "services:\n  s:\n    module: m\n"

START_TEST(minimal_file_and_defaults)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct service_conf *s;
	char cwd[PATH_MAX];

	good("services:\n  echo:\n    module: echo\n    listen: 7007\n");
	ck_assert_str_eq(cfg->path, "t.yaml");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_str_eq(cfg->dir, cwd);
	ck_assert_int_eq(cfg->global.log, LOG_TO_STDERR);
	ck_assert_int_eq(cfg->global.log_level, SUPERD_LOG_INFO);
	ck_assert_ptr_null(cfg->global.pid_file);
	ck_assert_ptr_null(cfg->global.user);
	ck_assert_ptr_null(cfg->global.group);
	ck_assert_uint_eq(cfg->global.nmodule_path, 0);
	ck_assert_uint_eq(cfg->global.max_connections, 0);
	ck_assert_uint_eq(cfg->global.workers, cpus < 1 ? 1 : cpus > 256 ? 256 : cpus);
	ck_assert_ptr_null(cfg->global.event_backend);
	ck_assert_uint_eq(cfg->nservices, 1);
	s = &cfg->services[0];
	ck_assert_str_eq(s->name, "echo");
	ck_assert_str_eq(s->module, "echo");
	ck_assert_uint_eq(s->module_at->line, 3);
	ck_assert_uint_eq(s->module_at->col, 13);
	ck_assert_int_eq(s->at->kind, SUPERD_OPT_MAP);
	ck_assert_uint_eq(s->at->line, 3);
	ck_assert_str_eq(s->name_at->str, "echo");
	ck_assert_uint_eq(s->name_at->line, 2);
	ck_assert_uint_eq(s->protocols, SUPERD_PROTO_TCP);
	ck_assert_uint_eq(s->nlisten, 1);
	ck_assert_str_eq(s->listen[0].text, "*:7007/tcp");
	ck_assert_int_eq(s->listen[0].dual, 1);
	ck_assert_int_eq(s->enabled, 1);
	ck_assert_uint_eq(s->timeout, 0);
	ck_assert_uint_eq(s->max_connections + s->per_source + s->rate + s->rate_per_source, 0);
	ck_assert_uint_eq(s->nallow + s->ndeny, 0);
	ck_assert_ptr_null(s->options);
}
END_TEST

START_TEST(contract_example)
{
	struct service_conf *echo, *web;

	good("global:\n"
	     "  log: stderr\n"
	     "  log_level: debug\n"
	     "  pid_file: /run/superd.pid\n"
	     "  user: root\n"
	     "  group: root\n"
	     "  module_path: [/opt/superd/modules]\n"
	     "  max_connections: 10000\n"
	     "  workers: 2\n"
	     "  event_backend: epoll\n"
	     "defaults:\n"
	     "  timeout: 60\n"
	     "services:\n"
	     "  echo:\n"
	     "    module: echo\n"
	     "    listen: [\"127.0.0.1:7\", \"[::1]:7\"]\n"
	     "    protocol: [tcp, udp]\n"
	     "  web:\n"
	     "    module: http\n"
	     "    listen: 8080\n"
	     "    max_connections: 1000\n"
	     "    per_source: 50\n"
	     "    allow: [127.0.0.0/8, \"::1\"]\n"
	     "    deny: []\n"
	     "    timeout: 30\n"
	     "    rate: 200\n"
	     "    rate_per_source: 20\n"
	     "    enabled: true\n"
	     "    options:\n"
	     "      root: /srv/www\n");
	ck_assert_int_eq(cfg->global.log, LOG_TO_STDERR);
	ck_assert_int_eq(cfg->global.log_level, SUPERD_LOG_DEBUG);
	ck_assert_str_eq(cfg->global.pid_file, "/run/superd.pid");
	ck_assert_str_eq(cfg->global.user, "root");
	ck_assert_str_eq(cfg->global.group, "root");
	ck_assert_uint_eq(cfg->global.nmodule_path, 1);
	ck_assert_str_eq(cfg->global.module_path[0], "/opt/superd/modules");
	ck_assert_uint_eq(cfg->global.max_connections, 10000);
	ck_assert_uint_eq(cfg->global.workers, 2);
	ck_assert_str_eq(cfg->global.event_backend, "epoll");
	ck_assert_uint_eq(cfg->nservices, 2);
	echo = &cfg->services[0];
	web = &cfg->services[1];
	ck_assert_uint_eq(echo->protocols, SUPERD_PROTO_TCP | SUPERD_PROTO_UDP);
	ck_assert_uint_eq(echo->nlisten, 4);
	ck_assert_str_eq(echo->listen[0].text, "127.0.0.1:7/tcp");
	ck_assert_str_eq(echo->listen[1].text, "127.0.0.1:7/udp");
	ck_assert_str_eq(echo->listen[2].text, "[::1]:7/tcp");
	ck_assert_str_eq(echo->listen[3].text, "[::1]:7/udp");
	ck_assert_uint_eq(echo->timeout, 60);
	ck_assert_uint_eq(web->timeout, 30);
	ck_assert_uint_eq(web->max_connections, 1000);
	ck_assert_uint_eq(web->per_source, 50);
	ck_assert_uint_eq(web->rate, 200);
	ck_assert_uint_eq(web->rate_per_source, 20);
	ck_assert_uint_eq(web->nallow, 2);
	ck_assert_uint_eq(web->allow[0].prefix, 8);
	ck_assert_uint_eq(web->allow[1].prefix, 128);
	ck_assert_uint_eq(web->ndeny, 0);
	ck_assert_int_eq(web->enabled, 1);
	ck_assert_str_eq(conftree_get(web->options, "root")->str, "/srv/www");
}
END_TEST

START_TEST(top_level_errors)
{
	bad("- a\n", "t.yaml:1:1: expected a mapping with global, defaults and "
	    "services at the top, got a list", NULL);
	bad("plain\n", "t.yaml:1:1: expected a mapping with global, defaults and "
	    "services at the top, got 'plain'", NULL);
	bad("servces:\n  a: 1\n", "t.yaml:1:1: unknown key 'servces' (did you mean 'services'?)",
	    "t.yaml:1:1: missing required key 'services'", NULL);
	bad("global: {}\n", "t.yaml:1:1: missing required key 'services'", NULL);
	bad("services:\n", "t.yaml:1:1: services: expected a mapping of services "
	    "(name: settings) with at least one, got nothing", NULL);
	bad("services: {}\n", "t.yaml:1:1: services: expected a mapping of services "
	    "(name: settings) with at least one, got an empty mapping", NULL);
	bad("services: [a, b]\n", "t.yaml:1:11: services: expected a mapping of services "
	    "(name: settings) with at least one, got a list", NULL);
	bad("", "t.yaml: empty configuration", NULL);
	bad("services: [\n", "t.yaml:2:1: YAML syntax error: did not find expected node "
	    "content (while parsing a flow node)", NULL);
}
END_TEST

START_TEST(service_unknown_key)
{
	bad(SVC "    listen: 7\n    listne: 8\n    timeout: 1\n",
	    "t.yaml:5:5: service 's': unknown key 'listne' (did you mean 'listen'?)", NULL);
}
END_TEST

START_TEST(service_missing_keys)
{
	bad("services:\n  s:\n    timeout: 1\n",
	    "t.yaml:2:3: service 's': missing required key 'module'",
	    "t.yaml:2:3: service 's': missing required key 'listen'", NULL);
	bad("services:\n  s:\n    module: m\n",
	    "t.yaml:2:3: service 's': missing required key 'listen'", NULL);
	bad("services:\n  s:\n", "t.yaml:2:3: service 's': expected a mapping of "
	    "service keys (module, listen, ...), got nothing", NULL);
	bad("services:\n  s: [module]\n", "t.yaml:2:6: service 's': expected a mapping of "
	    "service keys (module, listen, ...), got a list", NULL);
}
END_TEST

START_TEST(service_wrong_types)
{
	bad(SVC "    listen: 7\n"
	    "    timeout: soon\n"
	    "    enabled: maybe\n"
	    "    max_connections: -1\n"
	    "    per_source: 1.5\n"
	    "    rate: [1]\n"
	    "    rate_per_source: {a: 1}\n"
	    "    protocol: sctp\n",
	    "t.yaml:11:15: service 's': protocol: expected tcp or udp, got 'sctp'",
	    "t.yaml:5:14: service 's': timeout: expected a whole number, got 'soon'",
	    "t.yaml:6:14: service 's': enabled: expected true or false, got 'maybe'",
	    "t.yaml:7:22: service 's': max_connections: expected a whole number, got '-1'",
	    "t.yaml:8:17: service 's': per_source: expected a whole number, got '1.5'",
	    "t.yaml:9:11: service 's': rate: expected a whole number, got a list",
	    "t.yaml:10:22: service 's': rate_per_source: expected a whole number, got a mapping",
	    NULL);
}
END_TEST

START_TEST(service_module_types)
{
	bad("services:\n  s:\n    module: [a]\n    listen: 7\n",
	    "t.yaml:3:13: service 's': module: expected a string, got a list", NULL);
	bad("services:\n  s:\n    module:\n    listen: 7\n",
	    "t.yaml:3:12: service 's': module: expected a string, got nothing", NULL);
	bad("services:\n  s:\n    module: ''\n    listen: 7\n",
	    "t.yaml:3:13: service 's': module: expected a string, got nothing", NULL);
}
END_TEST

START_TEST(service_ranges)
{
	bad(SVC "    listen: 7\n    timeout: 4294968\n",
	    "t.yaml:5:14: service 's': timeout: 4294968 is out of range (0..4294967)", NULL);
	bad(SVC "    listen: 7\n    rate: 4294967296\n",
	    "t.yaml:5:11: service 's': rate: 4294967296 is out of range (0..4294967295)", NULL);
	good(SVC "    listen: 7\n    timeout: 4294967\n    rate: 4294967295\n");
	ck_assert_uint_eq(cfg->services[0].timeout, 4294967);
	ck_assert_uint_eq(cfg->services[0].rate, 4294967295UL);
}
END_TEST

START_TEST(service_protocols)
{
	good(SVC "    listen: 7\n    protocol: udp\n");
	ck_assert_uint_eq(cfg->services[0].protocols, SUPERD_PROTO_UDP);
	ck_assert_str_eq(cfg->services[0].listen[0].text, "*:7/udp");
	good(SVC "    listen: 7\n    protocol: [udp, tcp, udp]\n");
	ck_assert_uint_eq(cfg->services[0].protocols, SUPERD_PROTO_TCP | SUPERD_PROTO_UDP);
	ck_assert_uint_eq(cfg->services[0].nlisten, 2);
	bad(SVC "    listen: 7\n    protocol: []\n",
	    "t.yaml:5:15: service 's': protocol: expected tcp, udp or a list of them, "
	    "got an empty list", NULL);
	bad(SVC "    listen: 7\n    protocol: {tcp: 1}\n",
	    "t.yaml:5:15: service 's': protocol: expected tcp, udp or a list of them, "
	    "got a mapping", NULL);
	bad(SVC "    listen: 7\n    protocol: [tcp, TCP]\n",
	    "t.yaml:5:21: service 's': protocol: expected tcp or udp, got 'TCP'", NULL);
}
END_TEST

START_TEST(service_listen_forms)
{
	good(SVC "    listen: [7, \"127.0.0.1:8\", \"[::1]:9\", unix:/run/s.sock]\n");
	ck_assert_uint_eq(cfg->services[0].nlisten, 4);
	ck_assert_str_eq(cfg->services[0].listen[3].text, "unix:/run/s.sock");
	bad(SVC "    listen: []\n",
	    "t.yaml:4:13: service 's': listen: expected at least one address", NULL);
	bad(SVC "    listen: [0, 65536, \"7x\", [1]]\n",
	    "t.yaml:4:14: service 's': listen: port 0 out of range (1..65535)",
	    "t.yaml:4:17: service 's': listen: port 65536 out of range (1..65535)",
	    "t.yaml:4:24: service 's': listen: bad port '7x'",
	    "t.yaml:4:30: service 's': listen: expected an address (PORT, HOST:PORT, "
	    "[IPV6]:PORT or unix:/path), got a list", NULL);
	bad(SVC "    listen: unix:/run/s.sock\n    protocol: udp\n",
	    "t.yaml:4:13: service 's': listen: unix sockets are stream only: protocol "
	    "udp cannot be used with 'unix:/run/s.sock'", NULL);
}
END_TEST

START_TEST(service_allow_deny)
{
	struct service_conf *s;

	good(SVC "    listen: 7\n    allow: 10.0.0.0/8\n    deny: [\"10.1.0.0/16\", \"::1\"]\n");
	s = &cfg->services[0];
	ck_assert_uint_eq(s->nallow, 1);
	ck_assert_uint_eq(s->ndeny, 2);
	ck_assert_uint_eq(s->deny[0].prefix, 16);
	good(SVC "    listen: 7\n    allow:\n    deny: []\n");
	ck_assert_uint_eq(cfg->services[0].nallow + cfg->services[0].ndeny, 0);
	bad(SVC "    listen: 7\n    allow: [10.0.0.0/33, host, {a: b}]\n    deny: nope\n",
	    "t.yaml:5:13: service 's': allow: bad address or prefix '10.0.0.0/33': "
	    "prefix length too long for IPv4 (max 32)",
	    "t.yaml:5:26: service 's': allow: bad address or prefix 'host': not an "
	    "IPv4 or IPv6 address",
	    "t.yaml:5:32: service 's': allow: expected an address or a prefix like "
	    "10.0.0.0/8, got a mapping",
	    "t.yaml:6:11: service 's': deny: bad address or prefix 'nope': not an "
	    "IPv4 or IPv6 address", NULL);
}
END_TEST

START_TEST(service_enabled_and_options)
{
	good(SVC "    listen: 7\n    enabled: off\n    options:\n");
	ck_assert_int_eq(cfg->services[0].enabled, 0);
	ck_assert_ptr_null(cfg->services[0].options);
	good(SVC "    listen: 7\n    enabled: yes\n    options: [anything, {goes: here}]\n");
	ck_assert_int_eq(cfg->services[0].enabled, 1);
	ck_assert_int_eq(cfg->services[0].options->kind, SUPERD_OPT_SEQ);
	bad(SVC "    listen: 7\n    enabled: \"true\"\n",
	    "t.yaml:5:14: service 's': enabled: expected true or false, got 'true'", NULL);
}
END_TEST

START_TEST(service_names)
{
	good("services:\n  a.b_c-D@1:\n    module: m\n    listen: 7\n");
	bad("services:\n  \"bad name\":\n    module: m\n    listen: 7\n",
	    "t.yaml:2:3: service name 'bad name' must be 1 to 64 letters, digits, "
	    "'.', '_', '-' or '@'", NULL);
	bad("services:\n  \"\":\n    module: m\n    listen: 7\n",
	    "t.yaml:2:3: service name '' must be 1 to 64 letters, digits, "
	    "'.', '_', '-' or '@'", NULL);
	bad("services:\n  a:\n    module: m\n    listen: 7\n  a:\n    module: n\n    listen: 8\n",
	    "t.yaml:5:3: duplicate key 'a' (first at line 2)", NULL);
}
END_TEST

START_TEST(defaults_merge)
{
	good("defaults:\n  module: echo\n  timeout: 60\n  protocol: [tcp, udp]\n"
	     "  allow: 127.0.0.0/8\n"
	     "services:\n"
	     "  a:\n    listen: 7\n"
	     "  b:\n    listen: 8\n    timeout: 5\n    module: other\n    protocol: tcp\n");
	ck_assert_str_eq(cfg->services[0].module, "echo");
	ck_assert_uint_eq(cfg->services[0].module_at->line, 2);
	ck_assert_uint_eq(cfg->services[0].timeout, 60);
	ck_assert_uint_eq(cfg->services[0].nlisten, 2);
	ck_assert_uint_eq(cfg->services[0].nallow, 1);
	ck_assert_str_eq(cfg->services[1].module, "other");
	ck_assert_uint_eq(cfg->services[1].timeout, 5);
	ck_assert_uint_eq(cfg->services[1].nlisten, 1);
	ck_assert_uint_eq(cfg->services[1].nallow, 1);
}
END_TEST

START_TEST(defaults_errors_point_at_defaults_once)
{
	bad("defaults:\n  timeout: soon\n  modul: x\n"
	    "services:\n"
	    "  a:\n    module: m\n    listen: 7\n"
	    "  b:\n    module: m\n    listen: 8\n",
	    "t.yaml:2:12: defaults: timeout: expected a whole number, got 'soon'",
	    "t.yaml:3:3: defaults: unknown key 'modul' (did you mean 'module'?)", NULL);
}
END_TEST

START_TEST(defaults_bad_required_key_is_not_also_missing)
{
	bad("defaults:\n  module: [x]\n"
	    "services:\n  a:\n    listen: 7\n  b:\n    listen: 8\n",
	    "t.yaml:2:11: defaults: module: expected a string, got a list", NULL);
}
END_TEST

START_TEST(defaults_not_a_mapping)
{
	bad("defaults: [timeout]\n" SVC "    listen: 7\n",
	    "t.yaml:1:11: defaults: expected a mapping of service keys, got a list", NULL);
	good("defaults:\n" SVC "    listen: 7\n");
}
END_TEST

START_TEST(defaults_combination_errors_are_reported_per_service)
{
	bad("defaults:\n  listen: unix:/run/s.sock\n"
	    "services:\n  a:\n    module: m\n    protocol: udp\n",
	    "t.yaml:2:11: service 'a': listen: unix sockets are stream only: protocol "
	    "udp cannot be used with 'unix:/run/s.sock'", NULL);
}
END_TEST

START_TEST(duplicate_address_across_services)
{
	bad("services:\n"
	    "  a:\n    module: m\n    listen: \"127.0.0.1:7007\"\n"
	    "  b:\n    module: m\n    listen: [\"127.0.0.1:7008\", \"127.0.0.1:7007\"]\n",
	    "t.yaml:7:32: service 'b': listen: 127.0.0.1:7007/tcp is already used by "
	    "service 'a' at t.yaml:4", NULL);
}
END_TEST

START_TEST(duplicate_from_defaults_listen)
{
	bad("defaults:\n  listen: 7007\n"
	    "services:\n  a:\n    module: m\n  b:\n    module: m\n",
	    "t.yaml:2:11: service 'b': listen: *:7007/tcp is already used by "
	    "service 'a' at t.yaml:2", NULL);
}
END_TEST

START_TEST(bare_port_clashes_with_specific)
{
	bad("services:\n"
	    "  a:\n    module: m\n    listen: 8080\n"
	    "  b:\n    module: m\n    listen: \"127.0.0.1:8080\"\n",
	    "t.yaml:7:13: service 'b': listen: 127.0.0.1:8080/tcp overlaps *:8080/tcp "
	    "of service 'a' at t.yaml:4 (a wildcard and a specific address cannot "
	    "share a port)", NULL);
}
END_TEST

START_TEST(disabled_services_do_not_clash)
{
	good("services:\n"
	     "  a:\n    module: m\n    listen: 8080\n"
	     "  b:\n    module: m\n    listen: 8080\n    enabled: false\n");
	ck_assert_uint_eq(cfg->nservices, 2);
}
END_TEST

START_TEST(global_values)
{
	char want[PATH_MAX + 32], cwd[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	good("global:\n  log: syslog\n  log_level: warn\n  workers: 256\n"
	     "  event_backend: select\n  user: '0'\n  module_path: mods\n" SVC
	     "    listen: 7\n");
	ck_assert_int_eq(cfg->global.log, LOG_TO_SYSLOG);
	ck_assert_int_eq(cfg->global.log_level, SUPERD_LOG_WARN);
	ck_assert_uint_eq(cfg->global.workers, 256);
	ck_assert_str_eq(cfg->global.event_backend, "select");
	ck_assert_str_eq(cfg->global.user, "0");
	ck_assert_uint_eq(cfg->global.nmodule_path, 1);
	snprintf(want, sizeof(want), "%s/mods", cwd);
	ck_assert_str_eq(cfg->global.module_path[0], want);
	good("global:\n  log: logs/superd.log\n  pid_file: run/superd.pid\n"
	     "  log_level: error\n  module_path: [/a, b]\n" SVC "    listen: 7\n");
	ck_assert_int_eq(cfg->global.log, LOG_TO_FILE);
	snprintf(want, sizeof(want), "%s/logs/superd.log", cwd);
	ck_assert_str_eq(cfg->global.log_file, want);
	snprintf(want, sizeof(want), "%s/run/superd.pid", cwd);
	ck_assert_str_eq(cfg->global.pid_file, want);
	ck_assert_int_eq(cfg->global.log_level, SUPERD_LOG_ERROR);
	ck_assert_uint_eq(cfg->global.nmodule_path, 2);
	ck_assert_str_eq(cfg->global.module_path[0], "/a");
	good("global:\n  log: /var/log/superd.log\n" SVC "    listen: 7\n");
	ck_assert_str_eq(cfg->global.log_file, "/var/log/superd.log");
	good("global:\n" SVC "    listen: 7\n");
}
END_TEST

START_TEST(global_errors)
{
	bad("global:\n"
	    "  log_level: loud\n"
	    "  workers: 0\n"
	    "  user: no-such-user-superd\n"
	    "  group: no-such-group-superd\n"
	    "  bogus: 1\n"
	    "  event_backend: kqueue\n"
	    "  max_connections: lots\n"
	    "  log: [a]\n"
	    "  module_path: {a: b}\n"
	    "  pid_file: ''\n" SVC "    listen: 7\n",
	    "t.yaml:2:14: global: log_level: expected error, warn, info or debug, got 'loud'",
	    "t.yaml:3:12: global: workers: 0 is out of range (1..256)",
	    "t.yaml:4:9: global: user: unknown user 'no-such-user-superd'",
	    "t.yaml:5:10: global: group: unknown group 'no-such-group-superd'",
	    "t.yaml:6:3: global: unknown key 'bogus'",
	    "t.yaml:7:18: global: event_backend: expected select, poll or epoll, got 'kqueue'",
	    "t.yaml:8:20: global: max_connections: expected a whole number, got 'lots'",
	    "t.yaml:9:8: global: log: expected a string, got a list",
	    "t.yaml:10:16: global: module_path: expected a directory or a list of "
	    "directories, got a mapping",
	    "t.yaml:11:13: global: pid_file: expected a string, got nothing", NULL);
	bad("global:\n  workers: 257\n" SVC "    listen: 7\n",
	    "t.yaml:2:12: global: workers: 257 is out of range (1..256)", NULL);
	bad("global: [a]\n" SVC "    listen: 7\n",
	    "t.yaml:1:9: global: expected a mapping of settings, got a list", NULL);
}
END_TEST

/* tls: (its sni: entries too) and sandbox: report an unknown key as every
 * other block does: at the key, with the nearest known one. */
START_TEST(block_unknown_keys_name_the_nearest)
{
	bad(SVC "    listen: 7\n"
	    "    tls:\n      crt: a.pem\n      key: a.key\n      cert: a.pem\n"
	    "      sni:\n        - {nmes: [a.example], cert: b, key: c}\n"
	    "      client_cert: d\n"
	    "  t:\n    module: m\n    listen: 8\n"
	    "    sandbox: {cpu: 1, memroy: 1M, proceses: 2, bogus: 1}\n",
	    "t.yaml:6:7: service 's': tls: unknown key 'crt' (did you mean 'cert'?)",
	    "t.yaml:11:7: service 's': tls: unknown key 'client_cert' "
	    "(did you mean 'client_ca'?)",
	    "t.yaml:10:12: service 's': tls: unknown key 'nmes' (did you mean 'names'?)",
	    "t.yaml:10:11: service 's': tls: missing required key 'names'",
	    "t.yaml:15:23: service 't': sandbox: unknown key 'memroy' "
	    "(did you mean 'memory'?)",
	    "t.yaml:15:35: service 't': sandbox: unknown key 'proceses' "
	    "(did you mean 'processes'?)",
	    "t.yaml:15:48: service 't': sandbox: unknown key 'bogus'", NULL);
	bad("defaults:\n  tls: {cert: a, key: b, handshake_timout: 5}\n"
	    SVC "    listen: 7\n",
	    "t.yaml:2:26: defaults: tls: unknown key 'handshake_timout' "
	    "(did you mean 'handshake_timeout'?)", NULL);
}
END_TEST

START_TEST(every_problem_is_reported)
{
	bad("bogus: 1\n"
	    "global:\n  workers: x\n"
	    "services:\n"
	    "  a:\n    module: m\n    listen: 0\n"
	    "  b:\n    listen: 7\n    what: 1\n",
	    "t.yaml:1:1: unknown key 'bogus'",
	    "t.yaml:3:12: global: workers: expected a whole number, got 'x'",
	    "t.yaml:7:13: service 'a': listen: port 0 out of range (1..65535)",
	    "t.yaml:10:5: service 'b': unknown key 'what'",
	    "t.yaml:8:3: service 'b': missing required key 'module'", NULL);
}
END_TEST

/* A temporary directory holding one file, for config_load. */
static char tmpdir[64], tmp_config[128];

static const char *write_config(const char *yaml)
{
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/superd-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(tmp_config, sizeof(tmp_config), "%s/superd.yaml", tmpdir);
	f = fopen(tmp_config, "w");
	ck_assert_ptr_nonnull(f);
	fputs(yaml, f);
	fclose(f);
	return tmp_config;
}

START_TEST(load_from_file_resolves_relative_paths)
{
	char want[256];
	char *real;

	cfg = config_load(write_config("global:\n  log: superd.log\n"
	                               SVC "    listen: unix:s.sock\n"));
	ck_assert_ptr_nonnull(cfg);
	real = realpath(tmpdir, NULL);
	ck_assert_str_eq(cfg->dir, real);
	snprintf(want, sizeof(want), "%s/superd.log", real);
	ck_assert_str_eq(cfg->global.log_file, want);
	snprintf(want, sizeof(want), "unix:%s/s.sock", real);
	ck_assert_str_eq(cfg->services[0].listen[0].text, want);
	ck_assert_str_eq(cfg->path, tmp_config);
	ck_assert_str_eq(cfg->tree->file, tmp_config);
	free(real);
	unlink(tmp_config);
	rmdir(tmpdir);
}
END_TEST

START_TEST(load_errors_name_the_file)
{
	char want[256];

	ck_assert_ptr_null(config_load("/nonexistent/superd.yaml"));
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "/nonexistent/superd.yaml: cannot open: No such file or directory");
	setup();
	ck_assert_ptr_null(config_load(write_config("services:\n  a:\n    module: m\n")));
	snprintf(want, sizeof(want), "%s:2:3: service 'a': missing required key 'listen'", tmp_config);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], want);
	unlink(tmp_config);
	rmdir(tmpdir);
}
END_TEST

START_TEST(diag_count_is_relative)
{
	diag_pos("x", 0, 0, "an earlier error");
	setup();
	good(SVC "    listen: 7\n"); /* an old count must not fail a good file */
}
END_TEST

START_TEST(error_flood_is_cut_short)
{
	size_t size = 200 * 32 + 64;
	char *yaml = malloc(size), *p = yaml;
	unsigned before = diag_count();
	struct config *c;

	p += sprintf(p, "services:\n  s:\n    module: m\n    listen: 7\n");
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "    bad%d: 1\n", i);
	c = config_parse("t.yaml", yaml, strlen(yaml));
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(nlines, 101);
	ck_assert_str_eq(lines[0], "t.yaml:5:5: service 's': unknown key 'bad0'");
	ck_assert_str_eq(lines[63], "t.yaml:68:5: service 's': unknown key 'bad63'");
	ck_assert_uint_eq(diag_count() - before, 200);
	setup();
	good(SVC "    listen: 7\n"); /* the next check starts a new run */
	bad(SVC "    listen: 0\n", "t.yaml:4:13: service 's': listen: port 0 out "
	    "of range (1..65535)", NULL);
	free(yaml);
}
END_TEST

/* Deterministic generator for the garbage test. */
static unsigned long long fuzz_state = 0x2545f4914f6cdd1dULL;

static unsigned fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return (unsigned)(fuzz_state >> 11);
}

START_TEST(fuzz_config_never_crashes)
{
	static const char seed[] =
	    "global:\n  log: syslog\n  workers: 2\n  module_path: [a, /b]\n"
	    "defaults:\n  timeout: 60\n  protocol: [tcp, udp]\n"
	    "services:\n  echo:\n    module: echo\n"
	    "    listen: [\"127.0.0.1:7\", \"[::1]:7\", 9]\n"
	    "    allow: [10.0.0.0/8, \"::1\"]\n  u:\n    module: x\n"
	    "    listen: unix:s\n    protocol: tcp\n    options: {a: [1, {b: c}]}\n";
	static const char alphabet[] = "ab:-[]{},&*!|'\"#\n  \t0123456789./@";
	char buf[sizeof(seed)];

	for (int round = 0; round < 3000; round++) {
		size_t len = sizeof(seed) - 1;
		struct config *c;

		memcpy(buf, seed, len);
		for (int k = 0, n = 1 + (int)(fuzz_next() % 6); k < n; k++) {
			size_t at = fuzz_next() % len;

			if (fuzz_next() % 3 == 0)
				buf[at] = (char)fuzz_next();
			else
				buf[at] = alphabet[fuzz_next() % (sizeof(alphabet) - 1)];
		}
		if (fuzz_next() % 4 == 0)
			len = fuzz_next() % len;
		c = config_parse("fuzz.yaml", buf, len);
		config_free(c);
		setup();
	}
}
END_TEST

START_TEST(suggest_nearest_key_or_xinetd_name)
{
	static const char *const keys[] = { "per_source", "rate", "argv",
		"max_connections", NULL };
	char buf[160];

	ck_assert_uint_eq(conf_edit_distance("agrv", "argv"), 1);
	ck_assert_uint_eq(conf_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(conf_edit_distance("kitten", "sitting"), 3);
	ck_assert_str_eq(conf_suggest("per_sorce", keys, 1, buf, sizeof(buf)),
	                 " (did you mean 'per_source'?)");
	ck_assert_str_eq(conf_suggest("agrv", keys, 0, buf, sizeof(buf)),
	                 " (did you mean 'argv'?)");
	ck_assert_str_eq(conf_suggest("flavour", keys, 1, buf, sizeof(buf)), "");
	ck_assert_str_eq(conf_suggest("cps", keys, 1, buf, sizeof(buf)),
	                 " (xinetd's cps; superd has 'rate')");
	/* a module's options: xinetd names are not looked up */
	ck_assert_str_eq(conf_suggest("cps", keys, 0, buf, sizeof(buf)), "");
	ck_assert_str_eq(conf_suggest("x", NULL, 0, buf, sizeof(buf)), "");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	TCase *slow = tcase_create("slow");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, minimal_file_and_defaults);
	tcase_add_test(tc, contract_example);
	tcase_add_test(tc, top_level_errors);
	tcase_add_test(tc, service_unknown_key);
	tcase_add_test(tc, service_missing_keys);
	tcase_add_test(tc, service_wrong_types);
	tcase_add_test(tc, service_module_types);
	tcase_add_test(tc, service_ranges);
	tcase_add_test(tc, service_protocols);
	tcase_add_test(tc, service_listen_forms);
	tcase_add_test(tc, service_allow_deny);
	tcase_add_test(tc, service_enabled_and_options);
	tcase_add_test(tc, service_names);
	tcase_add_test(tc, defaults_merge);
	tcase_add_test(tc, defaults_errors_point_at_defaults_once);
	tcase_add_test(tc, defaults_bad_required_key_is_not_also_missing);
	tcase_add_test(tc, defaults_not_a_mapping);
	tcase_add_test(tc, defaults_combination_errors_are_reported_per_service);
	tcase_add_test(tc, duplicate_address_across_services);
	tcase_add_test(tc, duplicate_from_defaults_listen);
	tcase_add_test(tc, bare_port_clashes_with_specific);
	tcase_add_test(tc, disabled_services_do_not_clash);
	tcase_add_test(tc, global_values);
	tcase_add_test(tc, global_errors);
	tcase_add_test(tc, every_problem_is_reported);
	tcase_add_test(tc, block_unknown_keys_name_the_nearest);
	tcase_add_test(tc, load_from_file_resolves_relative_paths);
	tcase_add_test(tc, load_errors_name_the_file);
	tcase_add_test(tc, diag_count_is_relative);
	tcase_add_test(tc, error_flood_is_cut_short);
	tcase_add_test(tc, suggest_nearest_key_or_xinetd_name);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(slow, setup, teardown);
	tcase_set_timeout(slow, 120);
	tcase_add_test(slow, fuzz_config_never_crashes);
	suite_add_tcase(s, slow);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* Bound each DNS query, in case this machine's resolver is unreachable. */
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 0);
	sr = srunner_create(config_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
