/*
 * daytime.c - the Daytime Protocol (RFC 867), TCP and UDP.
 *
 * One line of the current date and time in UTC, in the style of the RFC's
 * first example ("Weekday, Month Day, Year Time-Zone"), with English names
 * whatever the locale:
 *
 *     Thursday, November 26, 2026 12:34:56-UTC\r\n
 *
 * TCP: the line is sent on connect, then the connection is closed (input
 * is ignored).  UDP: each datagram is answered with the line.
 */
#include <stdio.h>
#include <time.h>

#include "classic.h"

/** Room for the longest line ("Wednesday, September 30, -2147483648 ..."). */
#define DAYTIME_LINE_MAX 96

/**
 * A daytime service: the line changes once a second, so each worker
 * formats it once per second and reuses it (formatting was the only
 * user-space work left on a connection).
 */
struct daytime_instance {
	struct classic_instance base; /**< host and service (first) */
	time_t line_sec;              /**< second the line was made for */
	size_t line_len;              /**< 0: no line yet */
	char line[DAYTIME_LINE_MAX];  /**< the line for line_sec */
};

static int daytime_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance);
static int daytime_open(superd_conn *c, void *instance, void *state);
static void daytime_datagram(void *instance, const struct superd_datagram *d);

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "daytime",
	.version = CLASSIC_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.conn_size = 0,
	.configure = daytime_configure,
	.destroy = classic_destroy,
	.on_open = daytime_open,
	.on_datagram = daytime_datagram,
};

static const char *const weekday_names[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday",
	"Thursday", "Friday", "Saturday",
};

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/*
 * Format the daytime line for t (seconds since the Unix epoch) into buf,
 * CRLF included.  Returns its length, or 0 when t cannot be broken down.
 * Pure, for the unit tests.
 */
static size_t daytime_format(time_t t, char *buf, size_t size)
{
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm))
		return 0;
	n = snprintf(buf, size, "%s, %s %d, %lld %02d:%02d:%02d-UTC\r\n",
	             weekday_names[tm.tm_wday % 7], month_names[tm.tm_mon % 12],
	             tm.tm_mday, (long long)tm.tm_year + 1900, tm.tm_hour,
	             tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

/*
 * The line for now, formatted at most once a second per instance (each
 * worker has its own copy); NULL when the clock cannot be read.
 */
static const char *daytime_now(struct daytime_instance *inst, size_t *len)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return NULL;
	if (inst->line_len == 0 || ts.tv_sec != inst->line_sec) {
		inst->line_len = daytime_format(ts.tv_sec, inst->line,
		                                sizeof(inst->line));
		inst->line_sec = ts.tv_sec;
	}
	*len = inst->line_len;
	return inst->line_len ? inst->line : NULL;
}

/* No options; the instance is just the host and the service. */
static int daytime_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance)
{
	return classic_configure_alloc(host, svc, options,
	                               sizeof(struct daytime_instance), instance);
}

/* Send the line, then close once it is out. */
static int daytime_open(superd_conn *c, void *instance, void *state)
{
	struct daytime_instance *inst = instance;
	const struct superd_host *host = inst->base.host;
	size_t len;
	const char *line = daytime_now(inst, &len);

	if (!line || host->write(c, line, len) < 0)
		return -1;
	host->close(c);
	return 0;
}

/* One line per datagram received. */
static void daytime_datagram(void *instance, const struct superd_datagram *d)
{
	struct daytime_instance *inst = instance;
	size_t len;
	const char *line = daytime_now(inst, &len);

	if (line)
		inst->base.host->reply(d, line, len);
}
