/*
 * test_addr.c - listen addresses (every form, ports and service names,
 * IPv6, unix paths, errors with their exact text), allow/deny prefixes and
 * matching (IPv4-mapped peers too), and the duplicate/overlap check.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "../../core/config/conf.h"
#include "conftree.h"
#include "diag.h"

#define MAX_LINES 16
#define MAX_TREES 32
#define TCP SUPERD_PROTO_TCP
#define UDP SUPERD_PROTO_UDP

static char *lines[MAX_LINES];
static unsigned nlines;
static struct superd_opt *trees[MAX_TREES];
static unsigned ntrees;
static struct listen_addr *la;
static size_t nla;

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
	for (unsigned i = 0; i < ntrees; i++)
		conftree_free(trees[i]);
	ntrees = 0;
	free(la);
	la = NULL;
	nla = 0;
}

/* A node holding yaml (one value), kept until teardown. */
static const struct superd_opt *node(const char *yaml)
{
	char doc[512];

	snprintf(doc, sizeof(doc), "listen: %s\n", yaml);
	ck_assert_uint_lt(ntrees, MAX_TREES);
	trees[ntrees] = conftree_parse("t.yaml", doc, strlen(doc));
	ck_assert_ptr_nonnull(trees[ntrees]);
	return trees[ntrees++]->items[0];
}

/* Parse one listen entry (relative unix paths from /etc/superd). */
static int listen_in(const char *yaml, unsigned protocols)
{
	struct addr_ctx ctx = { .dir = "/etc/superd" };

	return addr_parse_listen_in(&ctx, node(yaml), protocols, &la, &nla);
}

/* Parsing must fail with exactly one line, want. */
static void expect_listen_error(const char *yaml, unsigned protocols, const char *want)
{
	setup();
	ck_assert_int_eq(listen_in(yaml, protocols), -1);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], want);
}

static unsigned port_of(const struct listen_addr *a)
{
	if (a->family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

START_TEST(bare_port_is_dual_stack)
{
	const struct sockaddr_in6 *sin6;

	ck_assert_int_eq(listen_in("8080", TCP), 0);
	ck_assert_uint_eq(nla, 1);
	ck_assert_int_eq(la[0].family, AF_INET6);
	ck_assert_int_eq(la[0].dual, 1);
	ck_assert_int_eq(la[0].socktype, SOCK_STREAM);
	ck_assert_uint_eq(la[0].proto, SUPERD_PROTO_TCP);
	ck_assert_str_eq(la[0].text, "*:8080/tcp");
	ck_assert_uint_eq(la[0].sslen, sizeof(struct sockaddr_in6));
	sin6 = (const struct sockaddr_in6 *)&la[0].ss;
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	ck_assert_uint_eq(port_of(&la[0]), 8080);
	ck_assert_uint_eq(la[0].at->line, 1);
	ck_assert_uint_eq(la[0].at->col, 9);
	ck_assert_uint_eq(nlines, 0);
}
END_TEST

START_TEST(bare_port_quoted_and_star)
{
	ck_assert_int_eq(listen_in("\"80\"", TCP), 0);
	ck_assert_int_eq(listen_in("'*:81'", TCP), 0);
	ck_assert_uint_eq(nla, 2);
	ck_assert_str_eq(la[0].text, "*:80/tcp");
	ck_assert_str_eq(la[1].text, "*:81/tcp");
	ck_assert_int_eq(la[1].dual, 1);
}
END_TEST

START_TEST(each_protocol_once)
{
	ck_assert_int_eq(listen_in("7", TCP | UDP), 0);
	ck_assert_uint_eq(nla, 2);
	ck_assert_str_eq(la[0].text, "*:7/tcp");
	ck_assert_str_eq(la[1].text, "*:7/udp");
	ck_assert_int_eq(la[1].socktype, SOCK_DGRAM);
	ck_assert_uint_eq(la[1].proto, SUPERD_PROTO_UDP);
	ck_assert_int_eq(listen_in("127.0.0.1:9", UDP), 0);
	ck_assert_uint_eq(nla, 3);
	ck_assert_str_eq(la[2].text, "127.0.0.1:9/udp");
}
END_TEST

START_TEST(ipv4_address)
{
	const struct sockaddr_in *sin;

	ck_assert_int_eq(listen_in("127.0.0.1:7", TCP), 0);
	ck_assert_uint_eq(nla, 1);
	ck_assert_int_eq(la[0].family, AF_INET);
	ck_assert_int_eq(la[0].dual, 0);
	ck_assert_uint_eq(la[0].sslen, sizeof(struct sockaddr_in));
	sin = (const struct sockaddr_in *)&la[0].ss;
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	ck_assert_uint_eq(port_of(&la[0]), 7);
	ck_assert_str_eq(la[0].text, "127.0.0.1:7/tcp");
	ck_assert_int_eq(listen_in("0.0.0.0:80", TCP), 0);
	ck_assert_str_eq(la[1].text, "0.0.0.0:80/tcp");
	ck_assert_int_eq(la[1].dual, 0);
}
END_TEST

START_TEST(ipv6_forms)
{
	ck_assert_int_eq(listen_in("\"[::1]:7\"", TCP), 0);
	ck_assert_int_eq(listen_in("\"[::]:80\"", TCP), 0);
	ck_assert_int_eq(listen_in("\"[2001:DB8::0:1]:443\"", TCP), 0);
	ck_assert_uint_eq(nla, 3);
	ck_assert_int_eq(la[0].family, AF_INET6);
	ck_assert_int_eq(la[0].dual, 0);
	ck_assert_str_eq(la[0].text, "[::1]:7/tcp");
	ck_assert_str_eq(la[1].text, "[::]:80/tcp");
	ck_assert_int_eq(la[1].dual, 0);
	ck_assert_str_eq(la[2].text, "[2001:db8::1]:443/tcp");
	ck_assert_uint_eq(port_of(&la[2]), 443);
}
END_TEST

START_TEST(ipv6_scope)
{
	unsigned lo = if_nametoindex("lo");

	if (!lo)
		return; /* no loopback interface named lo here */
	ck_assert_int_eq(listen_in("\"[fe80::1%lo]:80\"", TCP), 0);
	ck_assert_uint_eq(((struct sockaddr_in6 *)&la[0].ss)->sin6_scope_id, lo);
	ck_assert_str_eq(la[0].text, "[fe80::1%lo]:80/tcp");
}
END_TEST

START_TEST(service_names_as_ports)
{
	struct servent *echo = getservbyname("echo", "tcp");
	struct servent *daytime = getservbyname("daytime", "udp");

	if (!echo || !daytime)
		return; /* no /etc/services on this system */
	ck_assert_int_eq(listen_in("echo", TCP | UDP), 0);
	ck_assert_int_eq(listen_in("127.0.0.1:daytime", UDP), 0);
	ck_assert_uint_eq(nla, 3);
	ck_assert_str_eq(la[0].text, "*:7/tcp");
	ck_assert_str_eq(la[1].text, "*:7/udp");
	ck_assert_str_eq(la[2].text, "127.0.0.1:13/udp");
}
END_TEST

START_TEST(unknown_service_name)
{
	expect_listen_error("nosuchservice", TCP,
	                    "t.yaml:1:9: unknown tcp service 'nosuchservice' (not in /etc/services)");
	expect_listen_error("127.0.0.1:nosuchservice", UDP,
	                    "t.yaml:1:9: unknown udp service 'nosuchservice' (not in /etc/services)");
}
END_TEST

START_TEST(port_out_of_range)
{
	expect_listen_error("0", TCP, "t.yaml:1:9: port 0 out of range (1..65535)");
	expect_listen_error("65536", TCP, "t.yaml:1:9: port 65536 out of range (1..65535)");
	expect_listen_error("127.0.0.1:99999999999999999999", TCP,
	                    "t.yaml:1:9: port 99999999999999999999 out of range (1..65535)");
	ck_assert_int_eq(listen_in("65535", TCP), 0);
	ck_assert_int_eq(listen_in("1", TCP), 0);
}
END_TEST

START_TEST(bad_ports)
{
	expect_listen_error("\"-1\"", TCP, "t.yaml:1:9: bad port '-1'");
	expect_listen_error("7x", TCP, "t.yaml:1:9: bad port '7x'");
	expect_listen_error("127.0.0.1:7x", TCP, "t.yaml:1:9: bad port '7x'");
	expect_listen_error("\"127.0.0.1: 7\"", TCP, "t.yaml:1:9: bad port ' 7'");
	expect_listen_error("\"127.0.0.1:\"", TCP, "t.yaml:1:9: missing port in '127.0.0.1:'");
	expect_listen_error("1.5", TCP, "t.yaml:1:9: bad port '1.5'");
}
END_TEST

START_TEST(bad_hosts)
{
	expect_listen_error("\"::1:7\"", TCP, "t.yaml:1:9: an IPv6 address needs brackets: "
	                    "[ADDRESS]:PORT, not '::1:7'");
	expect_listen_error("\"[::1]7\"", TCP, "t.yaml:1:9: bad address '[::1]7' "
	                    "(expected [IPV6]:PORT)");
	expect_listen_error("\"[::1\"", TCP, "t.yaml:1:9: bad address '[::1' "
	                    "(expected [IPV6]:PORT)");
	expect_listen_error("\"[zz]:7\"", TCP, "t.yaml:1:9: bad IPv6 address 'zz'");
	expect_listen_error("\"[127.0.0.1]:7\"", TCP, "t.yaml:1:9: bad IPv6 address '127.0.0.1'");
	expect_listen_error("1.2.3.256:80", TCP, "t.yaml:1:9: bad IPv4 address '1.2.3.256'");
	expect_listen_error("\":80\"", TCP, "t.yaml:1:9: missing host before ':' in ':80'");
	expect_listen_error("[a, b]", TCP, "t.yaml:1:9: expected an address (PORT, "
	                    "HOST:PORT, [IPV6]:PORT or unix:/path), got a list");
	expect_listen_error("{a: b}", TCP, "t.yaml:1:9: expected an address (PORT, "
	                    "HOST:PORT, [IPV6]:PORT or unix:/path), got a mapping");
	expect_listen_error("", TCP, "t.yaml:1:8: expected an address (PORT, "
	                    "HOST:PORT, [IPV6]:PORT or unix:/path), got nothing");
}
END_TEST

START_TEST(host_names)
{
	int found = 0;

	ck_assert_int_eq(listen_in("localhost:80", TCP), 0);
	ck_assert_uint_ge(nla, 1);
	for (size_t i = 0; i < nla; i++)
		found |= strcmp(la[i].text, "127.0.0.1:80/tcp") == 0;
	ck_assert(found);
	setup();
	ck_assert_int_eq(listen_in("no-such-host.invalid:80", TCP), -1);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_msg(strncmp(lines[0], "t.yaml:1:9: cannot resolve host "
	                      "'no-such-host.invalid': ", 55) == 0, "%s", lines[0]);
}
END_TEST

START_TEST(port_checked_before_name_lookup)
{
	expect_listen_error("no-such-host.invalid:0", TCP,
	                    "t.yaml:1:9: port 0 out of range (1..65535)");
}
END_TEST

START_TEST(lookup_budget)
{
	struct addr_ctx ctx = { .lookups = ADDR_MAX_LOOKUPS };

	ck_assert_int_eq(addr_parse_listen_in(&ctx, node("localhost:80"), TCP, &la, &nla), -1);
	ck_assert_str_eq(lines[0], "t.yaml:1:9: too many host names to resolve "
	                 "(more than 64); write addresses instead");
	setup();
	ck_assert_int_eq(addr_parse_listen_in(&ctx, node("127.0.0.1:80"), TCP, &la, &nla), 0);
	ck_assert_uint_eq(nlines, 0);
}
END_TEST

START_TEST(address_budget)
{
	struct addr_ctx ctx = { .total = ADDR_MAX_LISTEN };

	ck_assert_int_eq(addr_parse_listen_in(&ctx, node("80"), TCP, &la, &nla), -1);
	ck_assert_str_eq(lines[0], "t.yaml:1:9: too many listen addresses (more than 65536)");
}
END_TEST

START_TEST(message_prefix)
{
	struct addr_ctx ctx = { .prefix = "service 'x': listen: " };

	ck_assert_int_eq(addr_parse_listen_in(&ctx, node("0"), TCP, &la, &nla), -1);
	ck_assert_str_eq(lines[0], "t.yaml:1:9: service 'x': listen: port 0 out of range (1..65535)");
}
END_TEST

START_TEST(unix_paths)
{
	const struct sockaddr_un *sun;

	ck_assert_int_eq(listen_in("unix:/run/superd.sock", TCP), 0);
	ck_assert_int_eq(listen_in("unix:sub/rel.sock", TCP), 0);
	ck_assert_uint_eq(nla, 2);
	ck_assert_int_eq(la[0].family, AF_UNIX);
	ck_assert_int_eq(la[0].socktype, SOCK_STREAM);
	ck_assert_uint_eq(la[0].proto, SUPERD_PROTO_UNIX);
	sun = (const struct sockaddr_un *)&la[0].ss;
	ck_assert_str_eq(sun->sun_path, "/run/superd.sock");
	ck_assert_str_eq(la[0].text, "unix:/run/superd.sock");
	ck_assert_str_eq(la[1].text, "unix:/etc/superd/sub/rel.sock");
	ck_assert_uint_eq(la[0].sslen, sizeof(sa_family_t) + strlen("/run/superd.sock") + 1);
}
END_TEST

START_TEST(unix_errors)
{
	char path[200], yaml[220], want[400];

	expect_listen_error("unix:/run/x.sock", TCP | UDP,
	                    "t.yaml:1:9: unix sockets are stream only: protocol udp "
	                    "cannot be used with 'unix:/run/x.sock'");
	expect_listen_error("\"unix:\"", TCP, "t.yaml:1:9: missing path after 'unix:'");
	memset(path, 'p', 108);
	path[0] = '/';
	path[108] = '\0';
	snprintf(yaml, sizeof(yaml), "unix:%s", path);
	snprintf(want, sizeof(want), "t.yaml:1:9: unix socket path too long "
	         "(108 bytes, max 107): %.100s", path);
	expect_listen_error(yaml, TCP, want);
	path[107] = '\0';
	snprintf(yaml, sizeof(yaml), "unix:%s", path);
	setup();
	ck_assert_int_eq(listen_in(yaml, TCP), 0);
}
END_TEST

START_TEST(public_parse_uses_the_files_dir)
{
	struct superd_opt *t = conftree_parse("/tmp/t.yaml", "l: unix:s.sock\n", 15);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(addr_parse_listen(t->items[0], TCP, &la, &nla), 0);
	ck_assert_str_eq(la[0].text, "unix:/tmp/s.sock");
	conftree_free(t);
}
END_TEST

START_TEST(listen_equality)
{
	ck_assert_int_eq(listen_in("127.0.0.1:7", TCP | UDP), 0);
	ck_assert_int_eq(listen_in("127.0.0.1:7", TCP), 0);
	ck_assert_int_eq(listen_in("127.0.0.1:8", TCP), 0);
	ck_assert_int_eq(listen_in("80", TCP), 0);
	ck_assert_int_eq(listen_in("\"[::]:80\"", TCP), 0);
	ck_assert_int_eq(listen_in("unix:/a", TCP), 0);
	ck_assert_int_eq(listen_in("unix:/a", TCP), 0);
	ck_assert_int_eq(listen_in("unix:/b", TCP), 0);
	ck_assert(!addr_listen_equal(&la[0], &la[1])); /* tcp vs udp */
	ck_assert(addr_listen_equal(&la[0], &la[2]));
	ck_assert(!addr_listen_equal(&la[0], &la[3]));  /* port */
	ck_assert(addr_listen_equal(&la[4], &la[5]));   /* * and [::] */
	ck_assert(!addr_listen_equal(&la[0], &la[4]));  /* family */
	ck_assert(addr_listen_equal(&la[6], &la[7]));
	ck_assert(!addr_listen_equal(&la[6], &la[8]));
}
END_TEST

/* Parse "text" into c, expecting success. */
static struct cidr cidr(const char *text)
{
	struct cidr c;
	const char *why = "unset";

	ck_assert_msg(addr_parse_cidr_why(text, &c, &why) == 0, "%s: %s", text, why);
	ck_assert_ptr_null(why);
	return c;
}

START_TEST(cidr_parse)
{
	static const unsigned char ten[16] = { 10 };
	static const unsigned char one[16] = { [15] = 1 };
	struct cidr c = cidr("10.1.2.3/8");

	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 8);
	ck_assert_mem_eq(c.addr, ten, 16);
	c = cidr("1.2.3.4");
	ck_assert_uint_eq(c.prefix, 32);
	c = cidr("::1");
	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_uint_eq(c.prefix, 128);
	ck_assert_mem_eq(c.addr, one, 16);
	c = cidr("2001:db8:ffff::/33");
	ck_assert_uint_eq(c.prefix, 33);
	ck_assert_uint_eq(c.addr[4], 0x80);
	ck_assert_uint_eq(c.addr[5], 0);
	c = cidr("0.0.0.0/0");
	ck_assert_uint_eq(c.prefix, 0);
	c = cidr("::/0");
	ck_assert_uint_eq(c.prefix, 0);
	c = cidr("172.31.255.255/12");
	ck_assert_uint_eq(c.addr[1], 16);
	ck_assert_uint_eq(c.addr[2], 0);
	ck_assert_int_eq(addr_parse_cidr("192.168.0.0/16", &c), 0);
}
END_TEST

START_TEST(cidr_v4_mapped_rule_becomes_v4)
{
	struct cidr c = cidr("::ffff:10.0.0.0/104");

	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 8);
	ck_assert_uint_eq(c.addr[0], 10);
	c = cidr("::ffff:1.2.3.4");
	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 32);
	c = cidr("::ffff:0:0/95");
	ck_assert_int_eq(c.family, AF_INET6);
}
END_TEST

/* addr_parse_cidr_why must refuse text, saying want. */
static void expect_cidr_error(const char *text, const char *want)
{
	struct cidr c;
	const char *why = NULL;

	ck_assert_int_eq(addr_parse_cidr_why(text, &c, &why), -1);
	ck_assert_msg(why && strcmp(why, want) == 0, "%s: %s", text, why);
	ck_assert_int_eq(addr_parse_cidr(text, &c), -1);
}

START_TEST(cidr_errors)
{
	expect_cidr_error("10.0.0.0/33", "prefix length too long for IPv4 (max 32)");
	expect_cidr_error("::/129", "prefix length too long for IPv6 (max 128)");
	expect_cidr_error("10.0.0.0/", "the prefix length after '/' must be a number");
	expect_cidr_error("10.0.0.0/-1", "the prefix length after '/' must be a number");
	expect_cidr_error("10.0.0.0/+8", "the prefix length after '/' must be a number");
	expect_cidr_error("10.0.0.0/8/9", "the prefix length after '/' must be a number");
	expect_cidr_error("10.0.0.0/0008", "the prefix length after '/' must be a number");
	expect_cidr_error("10.0.0.0/ 8", "the prefix length after '/' must be a number");
	expect_cidr_error("host", "not an IPv4 or IPv6 address");
	expect_cidr_error("", "not an IPv4 or IPv6 address");
	expect_cidr_error("/8", "not an IPv4 or IPv6 address");
	expect_cidr_error("1.2.3", "not an IPv4 or IPv6 address");
	expect_cidr_error("1.2.3.4.5/8", "not an IPv4 or IPv6 address");
	expect_cidr_error("[::1]/128", "not an IPv4 or IPv6 address");
	expect_cidr_error("0123456789012345678901234567890123456789012345678901234567890123456789",
	                  "not an IPv4 or IPv6 address");
}
END_TEST

/* Does rule match the peer address text (v4 or v6)? */
static int matches(const char *rule, const char *peer)
{
	struct sockaddr_storage ss = { 0 };
	struct cidr c = cidr(rule);

	if (strchr(peer, ':')) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, peer, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, peer, &sin->sin_addr), 1);
	}
	return addr_cidr_match(&c, (struct sockaddr *)&ss);
}

START_TEST(cidr_match)
{
	ck_assert(matches("10.0.0.0/8", "10.1.2.3"));
	ck_assert(!matches("10.0.0.0/8", "11.0.0.1"));
	ck_assert(matches("172.16.0.0/12", "172.31.255.255"));
	ck_assert(!matches("172.16.0.0/12", "172.32.0.0"));
	ck_assert(!matches("172.16.0.0/12", "172.15.255.255"));
	ck_assert(matches("1.2.3.4", "1.2.3.4"));
	ck_assert(!matches("1.2.3.4", "1.2.3.5"));
	ck_assert(matches("0.0.0.0/0", "203.0.113.9"));
	ck_assert(!matches("0.0.0.0/0", "::1"));
	ck_assert(matches("::1", "::1"));
	ck_assert(!matches("::1", "::2"));
	ck_assert(matches("2001:db8::/32", "2001:db8:1::5"));
	ck_assert(!matches("2001:db8::/32", "2001:db9::5"));
	ck_assert(matches("::/0", "2001:db8::1"));
	ck_assert(!matches("::/0", "10.0.0.1"));
	ck_assert(!matches("::1", "127.0.0.1"));
}
END_TEST

START_TEST(cidr_match_v4_mapped_peer)
{
	ck_assert(matches("127.0.0.0/8", "::ffff:127.0.0.1"));
	ck_assert(matches("10.0.0.0/8", "::ffff:10.9.8.7"));
	ck_assert(!matches("10.0.0.0/8", "::ffff:11.0.0.1"));
	ck_assert(matches("0.0.0.0/0", "::ffff:1.1.1.1"));
	ck_assert(!matches("::/0", "::ffff:1.1.1.1")); /* it is an IPv4 client */
	ck_assert(matches("::ffff:10.0.0.0/104", "10.1.1.1"));
	ck_assert(matches("::ffff:10.0.0.0/104", "::ffff:10.1.1.1"));
}
END_TEST

START_TEST(cidr_match_other_families)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cidr c = cidr("0.0.0.0/0");

	ck_assert(!addr_cidr_match(&c, (struct sockaddr *)&sun));
	ck_assert(!addr_cidr_match(NULL, (struct sockaddr *)&sun));
	ck_assert(!addr_cidr_match(&c, NULL));
}
END_TEST

/* Services for the uniqueness check, built from listen entries. */
static struct service_conf svcs[4];
static size_t nsvcs;

/* Add a service with its listen entries (a YAML list) and protocols. */
static void service(const char *name, const char *list, unsigned protocols)
{
	struct addr_ctx ctx = { .dir = "/etc/superd" };
	struct service_conf *sc = &svcs[nsvcs++];
	const struct superd_opt *n = node(list);

	memset(sc, 0, sizeof(*sc));
	sc->name = (char *)name;
	for (size_t i = 0; i < n->n; i++)
		ck_assert_int_eq(addr_parse_listen_in(&ctx, n->items[i], protocols,
		                                      &sc->listen, &sc->nlisten), 0);
}

static void unique_setup(void)
{
	setup();
	nsvcs = 0;
}

static void unique_teardown(void)
{
	for (size_t i = 0; i < nsvcs; i++)
		free(svcs[i].listen);
	teardown();
}

/* Run the check; expect the given number of lines. */
static void expect_unique(unsigned problems)
{
	ck_assert_uint_eq(addr_check_unique(svcs, nsvcs), problems);
	ck_assert_uint_eq(nlines, problems);
}

START_TEST(unique_same_address_twice)
{
	service("a", "[\"127.0.0.1:7\"]", TCP);
	service("b", "[8, \"127.0.0.1:7\"]", TCP);
	expect_unique(1);
	ck_assert_str_eq(lines[0], "t.yaml:1:13: service 'b': listen: 127.0.0.1:7/tcp "
	                 "is already used by service 'a' at t.yaml:1");
}
END_TEST

START_TEST(unique_tcp_and_udp_may_share)
{
	service("a", "[7]", TCP);
	service("b", "[7]", UDP);
	service("c", "[\"127.0.0.1:8\", \"127.0.0.2:8\", \"[::1]:8\", \"0.0.0.0:9\", \"[::]:9\"]", TCP);
	expect_unique(0);
}
END_TEST

START_TEST(unique_within_one_service)
{
	service("a", "[9, 9, 9]", TCP);
	expect_unique(2);
	ck_assert_str_eq(lines[0], "t.yaml:1:13: service 'a': listen: *:9/tcp is "
	                 "already used by service 'a' at t.yaml:1");
	ck_assert_str_eq(lines[1], "t.yaml:1:16: service 'a': listen: *:9/tcp is "
	                 "already used by service 'a' at t.yaml:1");
}
END_TEST

START_TEST(unique_bare_port_and_specific)
{
	service("web", "[8080]", TCP);
	service("adm", "[\"127.0.0.1:8080\", \"[::1]:8080\"]", TCP);
	expect_unique(2);
	ck_assert_str_eq(lines[0], "t.yaml:1:10: service 'adm': listen: 127.0.0.1:8080/tcp "
	                 "overlaps *:8080/tcp of service 'web' at t.yaml:1 (a wildcard "
	                 "and a specific address cannot share a port)");
	ck_assert_str_eq(lines[1], "t.yaml:1:28: service 'adm': listen: [::1]:8080/tcp "
	                 "overlaps *:8080/tcp of service 'web' at t.yaml:1 (a wildcard "
	                 "and a specific address cannot share a port)");
}
END_TEST

START_TEST(unique_specific_then_bare_port)
{
	service("adm", "[\"127.0.0.1:8080\"]", TCP);
	service("web", "[8080]", TCP);
	expect_unique(1);
	ck_assert_str_eq(lines[0], "t.yaml:1:10: service 'web': listen: *:8080/tcp "
	                 "overlaps 127.0.0.1:8080/tcp of service 'adm' at t.yaml:1 (a "
	                 "wildcard and a specific address cannot share a port)");
}
END_TEST

START_TEST(unique_bare_port_and_v6_any_are_the_same)
{
	service("a", "[80]", TCP);
	service("b", "[\"[::]:80\"]", TCP);
	expect_unique(1);
	ck_assert_str_eq(lines[0], "t.yaml:1:10: service 'b': listen: [::]:80/tcp "
	                 "is already used by service 'a' at t.yaml:1");
}
END_TEST

START_TEST(unique_wildcards_by_family)
{
	service("a", "[\"0.0.0.0:80\"]", TCP);
	service("b", "[\"127.0.0.1:80\"]", TCP);
	service("c", "[\"[::]:81\", \"[::1]:81\", \"0.0.0.0:81\"]", TCP);
	service("d", "[81]", TCP);
	expect_unique(3);
	ck_assert_str_eq(lines[0], "t.yaml:1:10: service 'b': listen: 127.0.0.1:80/tcp "
	                 "overlaps 0.0.0.0:80/tcp of service 'a' at t.yaml:1 (a wildcard "
	                 "and a specific address cannot share a port)");
	ck_assert_str_eq(lines[1], "t.yaml:1:21: service 'c': listen: [::1]:81/tcp "
	                 "overlaps [::]:81/tcp of service 'c' at t.yaml:1 (a wildcard "
	                 "and a specific address cannot share a port)");
	ck_assert_str_eq(lines[2], "t.yaml:1:10: service 'd': listen: *:81/tcp is "
	                 "already used by service 'c' at t.yaml:1");
}
END_TEST

START_TEST(unique_unix_paths)
{
	service("a", "[unix:/run/a.sock, unix:a.sock]", TCP);
	service("b", "[unix:/etc/superd/a.sock, unix:/run/b.sock]", TCP);
	expect_unique(1);
	ck_assert_str_eq(lines[0], "t.yaml:1:10: service 'b': listen: "
	                 "unix:/etc/superd/a.sock is already used by service 'a' at t.yaml:1");
}
END_TEST

START_TEST(unique_nothing_to_compare)
{
	ck_assert_uint_eq(addr_check_unique(NULL, 0), 0);
	service("a", "[80]", TCP);
	expect_unique(0);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("listen");
	TCase *cid = tcase_create("cidr");
	TCase *uniq = tcase_create("unique");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bare_port_is_dual_stack);
	tcase_add_test(tc, bare_port_quoted_and_star);
	tcase_add_test(tc, each_protocol_once);
	tcase_add_test(tc, ipv4_address);
	tcase_add_test(tc, ipv6_forms);
	tcase_add_test(tc, ipv6_scope);
	tcase_add_test(tc, service_names_as_ports);
	tcase_add_test(tc, unknown_service_name);
	tcase_add_test(tc, port_out_of_range);
	tcase_add_test(tc, bad_ports);
	tcase_add_test(tc, bad_hosts);
	tcase_add_test(tc, host_names);
	tcase_add_test(tc, port_checked_before_name_lookup);
	tcase_add_test(tc, lookup_budget);
	tcase_add_test(tc, address_budget);
	tcase_add_test(tc, message_prefix);
	tcase_add_test(tc, unix_paths);
	tcase_add_test(tc, unix_errors);
	tcase_add_test(tc, public_parse_uses_the_files_dir);
	tcase_add_test(tc, listen_equality);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(cid, setup, teardown);
	tcase_add_test(cid, cidr_parse);
	tcase_add_test(cid, cidr_v4_mapped_rule_becomes_v4);
	tcase_add_test(cid, cidr_errors);
	tcase_add_test(cid, cidr_match);
	tcase_add_test(cid, cidr_match_v4_mapped_peer);
	tcase_add_test(cid, cidr_match_other_families);
	suite_add_tcase(s, cid);

	tcase_add_checked_fixture(uniq, unique_setup, unique_teardown);
	tcase_add_test(uniq, unique_same_address_twice);
	tcase_add_test(uniq, unique_tcp_and_udp_may_share);
	tcase_add_test(uniq, unique_within_one_service);
	tcase_add_test(uniq, unique_bare_port_and_specific);
	tcase_add_test(uniq, unique_specific_then_bare_port);
	tcase_add_test(uniq, unique_bare_port_and_v6_any_are_the_same);
	tcase_add_test(uniq, unique_wildcards_by_family);
	tcase_add_test(uniq, unique_unix_paths);
	tcase_add_test(uniq, unique_nothing_to_compare);
	suite_add_tcase(s, uniq);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* Bound each DNS query, in case this machine's resolver is unreachable. */
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 0);
	sr = srunner_create(addr_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
