/*
 * superd-client.c - talk to an echo, discard, chargen, daytime or time
 * service and say whether the answer is right (see client.h for the exit
 * statuses).  Usage:
 *
 *     superd-client [-46qSu] [-t SECONDS] [-n BYTES] [-d SECONDS]
 *                   SERVICE HOST[:PORT]
 *
 * HOST is a name or an address ([v6] in brackets when a port follows);
 * PORT is a number or a name from /etc/services, by default the
 * service's own port.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef HAVE_CONFIG_H
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#include "client.h"

/** A service: its name, well-known port and default payload sizes. */
struct service_info {
	const char *name;
	enum client_service service;
	unsigned short port;
	size_t tcp_bytes; /**< default -n over TCP */
	size_t udp_bytes; /**< default -n over UDP */
};

static const struct service_info services[] = {
	{ "echo", SVC_ECHO, 7, 65536, 512 },
	{ "discard", SVC_DISCARD, 9, 65536, 512 },
	{ "chargen", SVC_CHARGEN, 19, 2 * CHARGEN_CYCLE_BYTES, 0 },
	{ "daytime", SVC_DAYTIME, 13, 0, 0 },
	{ "time", SVC_TIME, 37, 0, 0 },
	{ "metrics", SVC_METRICS, 9101, 0, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: superd-client [options] SERVICE HOST[:PORT]\n"
	        "  SERVICE   echo, discard, chargen, daytime or time; or metrics:\n"
	        "            a table per service from a superd metrics service\n"
	        "            (GET /metrics; default port 9101)\n"
	        "  HOST      a name or an address; [IPV6]:PORT with a port\n"
	        "  PORT      a number or a name from /etc/services\n"
	        "            (default: the service's own port)\n"
	        "options:\n"
	        "  -u        use UDP (default TCP)\n"
	        "  -4, -6    use IPv4 or IPv6 only\n"
	        "  -t SECS   give up after SECS seconds (default 5)\n"
	        "  -n BYTES  bytes to send (echo, discard) or read (chargen)\n"
	        "  -d SECS   time: wrong if further than SECS from our clock\n"
	        "  -S        chargen: right only if exactly RFC 864's 95-character\n"
	        "            pattern (at most 512 bytes over UDP); default: any\n"
	        "            rotating pattern of equal CR LF lines\n"
	        "  -q        print nothing when the answer is right\n"
	        "  -h, -V    this help; the version\n"
	        "exit status: 0 right answer, 1 wrong or no answer, 2 usage\n");
}

/* Report a usage error: one line, status 2. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "superd-client: %s%s%s (superd-client -h: usage)\n",
	        what, arg ? ": " : "", arg ? arg : "");
	return CLIENT_USAGE;
}

/* A decimal number in [min, max]: 0, or -1. */
static int parse_number(const char *s, unsigned long long min,
                        unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* PORT as a number or a service name into cl->port: 0, or -1. */
static int parse_port(struct client *cl, const char *text)
{
	unsigned long long n;
	struct servent *se;

	if (parse_number(text, 1, 65535, &n) == 0) {
		snprintf(cl->port, sizeof(cl->port), "%llu", n);
		return 0;
	}
	se = getservbyname(text, cl->udp ? "udp" : "tcp");
	if (!se)
		return -1;
	snprintf(cl->port, sizeof(cl->port), "%u", (unsigned)ntohs((uint16_t)se->s_port));
	return 0;
}

/* Split HOST[:PORT] / [V6]:PORT / bare V6 into cl->host and cl->port. */
static int parse_target(struct client *cl, const char *arg, unsigned dflt)
{
	const char *port = NULL, *colon;
	size_t hostlen;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		hostlen = (size_t)(close - arg - 1);
		arg++;
		port = close[1] == ':' ? close + 2 : NULL;
	} else if ((colon = strchr(arg, ':')) && !strchr(colon + 1, ':')) {
		hostlen = (size_t)(colon - arg);
		port = colon + 1;
	} else {
		hostlen = strlen(arg); /* a name, IPv4, or bare IPv6 */
	}
	if (hostlen == 0 || hostlen >= sizeof(cl->host))
		return -1;
	memcpy(cl->host, arg, hostlen);
	cl->host[hostlen] = '\0';
	if (port)
		return parse_port(cl, port);
	snprintf(cl->port, sizeof(cl->port), "%u", dflt);
	return 0;
}

/* Parse the flags into cl; the index of the first operand, or -1 with a
 * status in *status (usage error, or 0 after -h/-V). */
static int parse_flags(struct client *cl, int argc, char **argv, int *status)
{
	unsigned long long n;
	int c;

	while ((c = getopt(argc, argv, "46hqSut:n:d:V")) != -1) {
		switch (c) {
		case '4':
			cl->family = AF_INET;
			break;
		case '6':
			cl->family = AF_INET6;
			break;
		case 'u':
			cl->udp = 1;
			break;
		case 'q':
			cl->quiet = 1;
			break;
		case 'S':
			cl->strict = 1;
			break;
		case 't':
			if (parse_number(optarg, 1, 3600, &n) < 0)
				goto bad_number;
			cl->timeout_ms = (unsigned)n * 1000;
			break;
		case 'n':
			if (parse_number(optarg, 0, 1ull << 40, &n) < 0)
				goto bad_number;
			cl->nbytes = (size_t)n;
			cl->nbytes_set = 1;
			break;
		case 'd':
			if (parse_number(optarg, 0, 1ull << 32, &n) < 0)
				goto bad_number;
			cl->max_skew = (long long)n;
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return -1;
		case 'V':
			printf("superd-client %s\n", PACKAGE_VERSION);
			*status = 0;
			return -1;
		default:
			usage(stderr);
			*status = CLIENT_USAGE;
			return -1;
		}
	}
	return optind;
bad_number:
	*status = usage_error("bad number", optarg);
	return -1;
}

int main(int argc, char **argv)
{
	struct client cl = { .timeout_ms = 5000, .max_skew = -1 };
	const struct service_info *info = NULL;
	int first, status = 0, rc;

	first = parse_flags(&cl, argc, argv, &status);
	if (first < 0)
		return status;
	if (argc - first != 2)
		return usage_error("expected SERVICE HOST[:PORT]", NULL);
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(argv[first], services[i].name) == 0)
			info = &services[i];
	if (!info)
		return usage_error("unknown service", argv[first]);
	cl.service = info->service;
	cl.service_name = info->name;
	if (!cl.nbytes_set)
		cl.nbytes = cl.udp ? info->udp_bytes : info->tcp_bytes;
	if (cl.udp && cl.nbytes > 65507 && info->service != SVC_CHARGEN)
		return usage_error("a UDP datagram holds at most 65507 bytes", NULL);
	if (parse_target(&cl, argv[first + 1], info->port) < 0)
		return usage_error("bad HOST[:PORT] (or unknown port name)",
		                   argv[first + 1]);
	cl.deadline = client_now_ms() + cl.timeout_ms;
	if (info->service == SVC_METRICS)
		rc = cl.udp ? client_fail(&cl, "metrics is TCP only") : check_metrics(&cl);
	else
		rc = cl.udp ? check_udp(&cl) : check_tcp(&cl);
	if (fflush(stdout) != 0 && rc == 0)
		rc = client_fail(&cl, "stdout: %s", strerror(errno));
	if (rc < 0) {
		fprintf(stderr, "superd-client: %s\n", cl.reason);
		return CLIENT_WRONG;
	}
	return CLIENT_RIGHT;
}
