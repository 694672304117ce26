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

/* The line for now; its length, or 0 when the clock cannot be read. */
static size_t daytime_now(char *buf, size_t size)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return 0;
	return daytime_format(ts.tv_sec, buf, size);
}

/* No options; the instance is just the host and the service. */
static int daytime_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance)
{
	return classic_configure_alloc(host, svc, options,
	                               sizeof(struct classic_instance), instance);
}

/* Send the line, then close once it is out. */
static int daytime_open(superd_conn *c, void *instance, void *state)
{
	const struct classic_instance *inst = instance;
	char line[DAYTIME_LINE_MAX];
	size_t len = daytime_now(line, sizeof(line));

	if (len == 0 || inst->host->write(c, line, len) < 0)
		return -1;
	inst->host->close(c);
	return 0;
}

/* One line per datagram received. */
static void daytime_datagram(void *instance, const struct superd_datagram *d)
{
	const struct classic_instance *inst = instance;
	char line[DAYTIME_LINE_MAX];
	size_t len = daytime_now(line, sizeof(line));

	if (len > 0)
		inst->host->reply(d, line, len);
}
