/*
 * portcheck.c - warnings for addresses start-up could not bind.
 *
 * Held ports come from /proc/net/{tcp,tcp6,udp,udp6} (TCP in LISTEN,
 * UDP unconnected); the holder is found by its socket inode in
 * /proc/PID/fd.  A holder named superd is the running server, whose ports
 * a reload shares, so it is not reported.
 */
#include <ctype.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "portcheck.h"

#define CAP_BIND_SERVICE_BIT 10 /* CAP_NET_BIND_SERVICE */

/* One socket bound on this host. */
struct held {
	int family;
	unsigned char addr[16];
	unsigned port;
	unsigned long inode;
};

/* Ports below this need a right (default 1024). */
static unsigned unpriv_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	unsigned v = 1024;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

/* Has this process CAP_NET_BIND_SERVICE (root has it unless dropped)? */
static int can_bind_low(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long eff;
	int yes = geteuid() == 0;

	if (!f)
		return yes;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			yes = (int)((eff >> CAP_BIND_SERVICE_BIT) & 1);
	fclose(f);
	return yes;
}

/* Kernel hex address (32-bit words as printed) into bytes. */
static int hex_addr(const char *hex, unsigned char *out, size_t len)
{
	char word[9];

	if (strlen(hex) != len * 2)
		return -1;
	for (size_t i = 0; i < len / 4; i++) {
		uint32_t v;

		memcpy(word, hex + i * 8, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(out + i * 4, &v, 4);
	}
	return 0;
}

/* Append the sockets of one /proc/net file in state (hex) to *out. */
static void read_held(const char *file, int family, unsigned state,
                      struct held **out, size_t *n)
{
	FILE *f = fopen(file, "re");
	char line[512], hex[40];
	unsigned port, st;
	unsigned long inode;
	struct held h, *grown;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u "
		           "%*u %lu", hex, &port, &st, &inode) != 4 || st != state)
			continue;
		memset(&h, 0, sizeof(h));
		h.family = family;
		h.port = port;
		h.inode = inode;
		if (hex_addr(hex, h.addr, family == AF_INET ? 4 : 16) < 0)
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			break;
		*out = grown;
		(*out)[(*n)++] = h;
	}
	fclose(f);
}

/* Is the address all zeroes (a wildcard)? */
static int is_any(const unsigned char *a, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i])
			return 0;
	return 1;
}

/* Would binding la clash with h (same port, overlapping address)? */
static int clashes(const struct listen_addr *la, const struct held *h)
{
	const unsigned char *a;
	unsigned port;
	size_t len;

	if (la->family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&la->ss;
		a = (const unsigned char *)&s->sin_addr;
		port = ntohs(s->sin_port);
		len = 4;
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&la->ss;
		a = (const unsigned char *)&s->sin6_addr;
		port = ntohs(s->sin6_port);
		len = 16;
	}
	if (port != h->port)
		return 0;
	if (la->family == h->family)
		return is_any(a, len) || is_any(h->addr, len) ||
		       memcmp(a, h->addr, len) == 0;
	if (h->family == AF_INET6) /* [::] takes IPv4 too unless V6ONLY */
		return is_any(h->addr, 16);
	return la->dual;
}

/* pid and name of the process holding socket inode; 0 if none seen. */
static pid_t holder(unsigned long inode, char *name, size_t size)
{
	char want[64], path[600], link[64];
	DIR *proc = opendir("/proc");
	struct dirent *p, *fd;
	pid_t found = 0;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (proc && !found && (p = readdir(proc))) {
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/fd", p->d_name);
		fds = opendir(path);
		while (fds && !found && (fd = readdir(fds))) {
			ssize_t len;

			snprintf(path, sizeof(path), "/proc/%.20s/fd/%.255s", p->d_name,
			         fd->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len > 0 && (link[len] = '\0', strcmp(link, want) == 0))
				found = (pid_t)atoi(p->d_name);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	name[0] = '\0';
	if (found) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/comm", (long)found);
		f = fopen(path, "re");
		if (f && fgets(name, (int)size, f))
			name[strcspn(name, "\n")] = '\0';
		if (f)
			fclose(f);
	}
	return found;
}

/* Warn if another program holds la; 1 if warned. */
static unsigned warn_held(const struct service_conf *sc,
                          const struct listen_addr *la,
                          const struct held *held, size_t n)
{
	char name[64];

	for (size_t i = 0; i < n; i++) {
		pid_t pid;

		if (!clashes(la, &held[i]))
			continue;
		pid = holder(held[i].inode, name, sizeof(name));
		if (pid && strcmp(name, "superd") == 0)
			return 0; /* the running server: a reload shares it */
		if (pid)
			diag_warn_at(la->at, "service '%s': listen: %s is already in "
			             "use by another program (pid %ld, %s)", sc->name,
			             la->text, (long)pid, name);
		else
			diag_warn_at(la->at, "service '%s': listen: %s is already in "
			             "use by another program (not visible to this "
			             "user)", sc->name, la->text);
		return 1;
	}
	return 0;
}

/* Port of an inet listen address. */
static unsigned port_of(const struct listen_addr *la)
{
	if (la->family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&la->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&la->ss)->sin6_port);
}

unsigned portcheck_warn(const struct config *cfg)
{
	struct held *tcp = NULL, *udp = NULL;
	size_t ntcp = 0, nudp = 0;
	unsigned low = unpriv_port_start(), warned = 0;
	int may_low = can_bind_low();

	read_held("/proc/net/tcp", AF_INET, 0x0A, &tcp, &ntcp);
	read_held("/proc/net/tcp6", AF_INET6, 0x0A, &tcp, &ntcp);
	read_held("/proc/net/udp", AF_INET, 0x07, &udp, &nudp);
	read_held("/proc/net/udp6", AF_INET6, 0x07, &udp, &nudp);
	for (size_t s = 0; s < cfg->nservices; s++) {
		const struct service_conf *sc = &cfg->services[s];

		for (size_t i = 0; sc->enabled && i < sc->nlisten; i++) {
			const struct listen_addr *la = &sc->listen[i];
			int is_tcp = la->socktype == SOCK_STREAM;

			if (la->family != AF_INET && la->family != AF_INET6)
				continue;
			if (port_of(la) < low && !may_low) {
				diag_warn_at(la->at, "service '%s': listen: %s: ports "
				             "below %u need root or CAP_NET_BIND_SERVICE",
				             sc->name, la->text, low);
				warned++;
			}
			warned += warn_held(sc, la, is_tcp ? tcp : udp,
			                    is_tcp ? ntcp : nudp);
		}
	}
	free(tcp);
	free(udp);
	return warned;
}
