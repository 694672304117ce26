/*
 * cgi_head.c - the script's header section (RFC 3875 §6) into a
 * response head.
 *
 * Lines end in LF or CRLF.  Status: sets the status (default 200, or 302
 * with a Location: a local redirect is answered as a client redirect, as
 * lighttpd does by default).  Fields that would decide the framing or
 * that the server owns (Connection, Transfer-Encoding, Keep-Alive, Date,
 * Server, ...) are dropped; everything else passes through.  Output that
 * starts with "HTTP/" is an NPH response and goes out untouched, then the
 * connection closes (for HEAD only its header section goes out).  The
 * header section is limited to 32 KiB however the output arrives.  A
 * missing Content-Type is tolerated.
 */
#include <string.h>

#include "cgi.h"

#define CGI_HEADER_MAX (32 * 1024)

/* The next line at *pos (without LF/CRLF); 0 when no complete line. */
static int next_line(const char *p, size_t len, size_t *pos,
                     struct http_slice *line)
{
	const char *nl = memchr(p + *pos, '\n', len - *pos);

	if (!nl)
		return 0;
	line->p = p + *pos;
	line->n = (size_t)(nl - line->p);
	if (line->n && line->p[line->n - 1] == '\r')
		line->n--;
	*pos = (size_t)(nl - p) + 1;
	return 1;
}

/* Split "Name: value"; 0, or -1 when it is not a valid field line. */
static int split_field(struct http_slice line, struct http_slice *name,
                       struct http_slice *value)
{
	const char *colon = memchr(line.p, ':', line.n);
	size_t a, b;

	if (!colon || colon == line.p)
		return -1;
	*name = (struct http_slice){ line.p, (size_t)(colon - line.p) };
	for (size_t i = 0; i < name->n; i++) {
		unsigned char c = (unsigned char)name->p[i];

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return -1;
	}
	a = name->n + 1;
	b = line.n;
	while (a < b && (line.p[a] == ' ' || line.p[a] == '\t'))
		a++;
	while (b > a && (line.p[b - 1] == ' ' || line.p[b - 1] == '\t'))
		b--;
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)line.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	*value = (struct http_slice){ line.p + a, b - a };
	return 0;
}

/* Fields the server decides itself. */
static int field_dropped(struct http_slice name)
{
	static const char *const own[] = {
		"connection", "transfer-encoding", "keep-alive", "date", "server",
		"proxy-connection", "upgrade", "trailer", "te", "status",
		"content-length", NULL,
	};

	for (int i = 0; own[i]; i++)
		if (http_slice_eq(name, own[i]))
			return 1;
	return 0;
}

/* "NNN reason" -> NNN, or -1. */
static int parse_status(struct http_slice v)
{
	if (v.n < 3 || v.p[0] < '1' || v.p[0] > '5' || v.p[1] < '0' ||
	    v.p[1] > '9' || v.p[2] < '0' || v.p[2] > '9' ||
	    (v.n > 3 && v.p[3] != ' '))
		return -1;
	return (v.p[0] - '0') * 100 + (v.p[1] - '0') * 10 + (v.p[2] - '0');
}

/* An NPH response: take the status from its first line for the log. */
static int nph_head(const char *out, size_t len, struct cgi_head *head,
                    struct http_reqinfo *ri)
{
	const char *sp = memchr(out, ' ', len);

	head->status = 200;
	if (sp && (size_t)(out + len - sp) > 3) {
		int s = parse_status((struct http_slice){ sp + 1, 3 });

		if (s > 0)
			head->status = s;
	}
	head->mode = CGI_OUT_NPH;
	head->header_len = 0;
	ri->keep_alive = 0;
	return 1;
}

/*
 * An NPH response to HEAD: only its header section goes out (RFC 3875
 * §4.3.3: the server discards a body the script sends anyway).
 */
static int nph_head_only(struct http_conn *st, const char *out, size_t len,
                         struct cgi_head *head, struct http_reqinfo *ri)
{
	struct http_slice line;
	size_t pos = 0;

	while (next_line(out, len, &pos, &line)) {
		if (pos > CGI_HEADER_MAX)
			return -1;
		if (line.n == 0) {
			nph_head(out, len, head, ri);
			head->mode = CGI_OUT_NONE;
			head->header_len = pos;
			st->out->len = 0;
			hbuf_add(st->out, out, pos);
			return 1;
		}
	}
	return len > CGI_HEADER_MAX ? -1 : 0;
}

/* First pass: Status, Location, Content-Length; the header's end. */
static int scan_fields(const char *out, size_t len, struct cgi_head *head,
                       int *has_location, int *has_length)
{
	struct http_slice line, name, value;
	size_t pos = 0;

	while (next_line(out, len, &pos, &line)) {
		if (pos > CGI_HEADER_MAX) /* however much one read brought */
			return -1;
		if (line.n == 0) {
			head->header_len = pos;
			return 1;
		}
		if (split_field(line, &name, &value) < 0)
			return -1;
		if (http_slice_eq(name, "status")) {
			if ((head->status = parse_status(value)) < 0)
				return -1;
		} else if (http_slice_eq(name, "location")) {
			*has_location = 1;
		} else if (http_slice_eq(name, "content-length")) {
			uint64_t n = 0;

			if (!value.n || value.n > 18)
				return -1;
			for (size_t i = 0; i < value.n; i++) {
				if (value.p[i] < '0' || value.p[i] > '9')
					return -1;
				n = n * 10 + (uint64_t)(value.p[i] - '0');
			}
			*has_length = 1;
			head->length = n;
		}
	}
	return len > CGI_HEADER_MAX ? -1 : 0;
}

/* Parse the script's header and build the response head (see cgi.h). */
int cgi_head_parse(struct http_conn *st, struct http_reqinfo *ri,
                   const char *out, size_t len, struct cgi_head *head)
{
	struct http_slice line, name, value;
	int has_location = 0, has_length = 0, rc;
	size_t pos = 0;

	if (len >= 5 && !memcmp(out, "HTTP/", 5))
		return ri->head ? nph_head_only(st, out, len, head, ri)
		                : nph_head(out, len, head, ri);
	memset(head, 0, sizeof(*head));
	head->status = -1;
	rc = scan_fields(out, len, head, &has_location, &has_length);
	if (rc <= 0)
		return rc;
	if (head->status < 0)
		head->status = has_location ? 302 : 200;
	if (ri->head || head->status < 200 || head->status == 204 ||
	    head->status == 304)
		head->mode = CGI_OUT_NONE;
	else if (has_length)
		head->mode = CGI_OUT_LENGTH;
	else if (ri->minor && ri->keep_alive)
		head->mode = CGI_OUT_CHUNKED;
	else
		head->mode = CGI_OUT_CLOSE, ri->keep_alive = 0;
	http_head_begin(st, ri, head->status);
	while (next_line(out, head->header_len, &pos, &line) && line.n) {
		split_field(line, &name, &value);
		if (field_dropped(name))
			continue;
		hbuf_add(st->out, name.p, name.n);
		hbuf_add(st->out, ": ", 2);
		hbuf_add(st->out, value.p, value.n);
		hbuf_add(st->out, "\r\n", 2);
	}
	if (has_length && head->status != 204 && head->status >= 200)
		hbuf_printf(st->out, "Content-Length: %llu\r\n",
		            (unsigned long long)head->length);
	if (head->mode == CGI_OUT_CHUNKED)
		hbuf_str(st->out, "Transfer-Encoding: chunked\r\n");
	hbuf_str(st->out, "\r\n");
	return 1;
}
