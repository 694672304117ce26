/*
 * cgi_env.c - the CGI/1.1 environment (RFC 3875 §4.1).
 *
 * The script gets only these variables: nothing of superd's own
 * environment leaks.  Request fields become HTTP_* (upper case, '-' as
 * '_', repeated fields joined with ", "), except Proxy (httpoxy),
 * Authorization (§9.2: credentials are not handed on), Content-Length and
 * Content-Type (they have their own variables), and any field whose name
 * holds '_' (it could pose as another field).  No argv words are derived
 * from the query string (§4.4 is optional; lighttpd does the same).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"

#define CGI_PATH "/usr/local/bin:/usr/bin:/bin"

/* Append NAME=value (value is n bytes). */
static void env_put(struct hbuf *env, const char *name, const char *value,
                    size_t n)
{
	hbuf_str(env, name);
	hbuf_add(env, "=", 1);
	hbuf_add(env, value, n);
	hbuf_add(env, "", 1);
}

/* Append NAME=value for a C string value. */
static void env_puts(struct hbuf *env, const char *name, const char *value)
{
	env_put(env, name, value, strlen(value));
}

/* A field handed to the script as HTTP_*? */
static int field_passed(struct http_slice name)
{
	static const char *const dropped[] = {
		"proxy", "authorization", "content-length", "content-type", NULL,
	};

	if (memchr(name.p, '_', name.n))
		return 0;
	for (int i = 0; dropped[i]; i++)
		if (http_slice_eq(name, dropped[i]))
			return 0;
	return 1;
}

/* HTTP_* for every passed field, repeated ones joined. */
static void env_fields(struct hbuf *env, const struct http_request *req)
{
	for (unsigned i = 0; i < req->nfields; i++) {
		struct http_slice name = req->fields[i].name;
		unsigned j;

		if (!field_passed(name))
			continue;
		for (j = 0; j < i; j++)
			if (req->fields[j].name.n == name.n &&
			    !strncasecmp(req->fields[j].name.p, name.p, name.n))
				break;
		if (j < i)
			continue; /* already joined into the first one */
		hbuf_str(env, "HTTP_");
		for (size_t k = 0; k < name.n; k++) {
			char c = name.p[k];

			c = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c == '-' ? '_' : c;
			hbuf_add(env, &c, 1);
		}
		hbuf_add(env, "=", 1);
		hbuf_add(env, req->fields[i].value.p, req->fields[i].value.n);
		for (j = i + 1; j < req->nfields; j++)
			if (req->fields[j].name.n == name.n &&
			    !strncasecmp(req->fields[j].name.p, name.p, name.n)) {
				hbuf_add(env, ", ", 2);
				hbuf_add(env, req->fields[j].value.p,
				         req->fields[j].value.n);
			}
		hbuf_add(env, "", 1);
	}
}

/* SERVER_NAME: the Host (or authority) without its port, else our address. */
static void env_server_name(struct hbuf *env, const struct http_request *req,
                            const struct superd_peer *peer)
{
	struct http_slice h = req->host;
	size_t n = h.n;

	if (n && h.p[0] == '[') {
		const char *close = memchr(h.p, ']', n);

		n = close ? (size_t)(close - h.p) + 1 : n;
	} else if (n) {
		const char *colon = memchr(h.p, ':', n);

		n = colon ? (size_t)(colon - h.p) : n;
	}
	if (n)
		env_put(env, "SERVER_NAME", h.p, n);
	else
		env_puts(env, "SERVER_NAME", peer->local_ip[0] ? peer->local_ip
		                                                : "localhost");
}

/* The scheme, and on a TLS connection HTTPS=on and the SSL_* variables. */
void cgi_env_tls(struct hbuf *env, const struct superd_tls *t)
{
	env_puts(env, "REQUEST_SCHEME", t ? "https" : "http");
	if (!t)
		return;
	env_puts(env, "HTTPS", "on");
	env_puts(env, "SSL_PROTOCOL", t->protocol);
	env_puts(env, "SSL_CIPHER", t->cipher);
	env_puts(env, "SSL_SERVER_NAME", t->server_name);
	env_puts(env, "SSL_CLIENT_VERIFY", t->client_verify);
	env_puts(env, "SSL_CLIENT_S_DN", t->client_s_dn);
}

/* Build the meta-variables (see cgi.h). */
void cgi_env_build(struct hbuf *env, const struct http_instance *inst,
                   const struct superd_peer *peer, const struct cgi_request *cr)
{
	const struct http_request *req = cr->req;
	char num[32];

	env_puts(env, "GATEWAY_INTERFACE", "CGI/1.1");
	env_puts(env, "SERVER_SOFTWARE", HTTP_SERVER_NAME);
	env_puts(env, "SERVER_PROTOCOL", req->minor ? "HTTP/1.1" : "HTTP/1.0");
	env_server_name(env, req, peer);
	snprintf(num, sizeof(num), "%u", peer->local_port);
	env_puts(env, "SERVER_PORT", num);
	env_puts(env, "SERVER_ADDR", peer->local_ip);
	env_put(env, "REQUEST_METHOD", req->method_name.p, req->method_name.n);
	env_put(env, "SCRIPT_NAME", cr->script_name, cr->script_name_len);
	hbuf_printf(env, "SCRIPT_FILENAME=%s%s", cr->root, cr->script_name);
	hbuf_add(env, "", 1);
	if (cr->path_info[0]) {
		env_puts(env, "PATH_INFO", cr->path_info);
		hbuf_printf(env, "PATH_TRANSLATED=%s%s", cr->root, cr->path_info);
		hbuf_add(env, "", 1);
	}
	env_put(env, "QUERY_STRING", req->query.p ? req->query.p : "", req->query.n);
	hbuf_str(env, "REQUEST_URI=");
	hbuf_add(env, req->path.p, req->path.n);
	if (req->has_query) {
		hbuf_add(env, "?", 1);
		hbuf_add(env, req->query.p, req->query.n);
	}
	hbuf_add(env, "", 1);
	env_puts(env, "DOCUMENT_ROOT", cr->root);
	env_puts(env, "REMOTE_ADDR", peer->remote_ip);
	env_puts(env, "REMOTE_HOST", peer->remote_ip);
	snprintf(num, sizeof(num), "%u", peer->remote_port);
	env_puts(env, "REMOTE_PORT", num);
	if (req->content_type.p)
		env_put(env, "CONTENT_TYPE", req->content_type.p, req->content_type.n);
	env_puts(env, "REDIRECT_STATUS", "200");
	env_puts(env, "PATH", CGI_PATH);
	env_fields(env, req);
}
