/*
 * errpage.c - what an error response says: the site's own page from
 * `error_pages:` when it has one for the status, else a built-in page
 * that says in one sentence what happened.
 *
 * A configured page is a file under the site's root, opened beneath it
 * like any other file and sent with the error's status.  It is never
 * routed (no listing, no CGI, no further error page): when it is
 * missing, unreadable or not a regular file, the built-in page is sent
 * instead, so an error can never lead to another one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "path.h"

/* Pages up to this size travel in the head's write. */
#define PAGE_INLINE (64 * 1024)

/* One sentence for a status (see http.h). */
const char *http_error_sentence(int status)
{
	switch (status) {
	case 400: return "The server could not understand this request.";
	case 401: return "This page needs you to sign in.";
	case 403: return "You are not allowed to see this page.";
	case 404: return "There is nothing at this address.";
	case 405: return "This page cannot be used with this request method.";
	case 408: return "The request took too long to arrive, so the server "
	                 "stopped waiting.";
	case 411: return "This request needs a Content-Length.";
	case 413: return "The request is larger than this server accepts.";
	case 414: return "The address is longer than this server accepts.";
	case 416: return "The requested range lies outside the file.";
	case 431: return "The request's header fields are larger than this "
	                 "server accepts.";
	case 500: return "Something went wrong on the server while answering.";
	case 501: return "This server does not support the request's method.";
	case 502: return "The program behind this page gave an answer the "
	                 "server could not use.";
	case 503: return "The server is too busy to answer right now; please "
	                 "try again shortly.";
	case 504: return "The program behind this page did not answer in time.";
	case 505: return "This server does not speak the request's HTTP version.";
	}
	return status >= 500 ? "The server could not answer this request."
	                     : "The server could not accept this request.";
}

/* The configured file for status, or NULL. */
static const char *page_for(const struct http_site *site, int status)
{
	for (size_t i = 0; site && i < site->nerrors; i++)
		if (site->errors[i].status == status)
			return site->errors[i].file;
	return NULL;
}

/* Read len bytes of fd into the end of b.  0 or -1. */
static int read_into(struct hbuf *b, int fd, size_t len)
{
	size_t got = 0;

	if (hbuf_reserve(b, len) < 0)
		return -1;
	while (got < len) {
		ssize_t n = pread(fd, b->p + b->len + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	b->len += len;
	return 0;
}

/* Send the site's page for status (see http.h). */
int http_error_page_send(struct http_conn *st, struct http_reqinfo *ri,
                         int status, const char *allow)
{
	const struct http_site *site = st->site ? st->site : &st->inst->site;
	const char *file = page_for(site, status);
	struct stat sb;
	size_t at;
	int fd;

	if (!file || site->root_fd < 0)
		return -1;
	fd = http_open_beneath(site->root_fd, site->root_real, file,
	                       O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		goto fail;
	http_head_begin(st, ri, status);
	if (allow)
		hbuf_printf(st->out, "Allow: %s\r\n", allow);
	hbuf_printf(st->out, "Content-Type: %s\r\nContent-Length: %" PRIu64
	            "\r\nCache-Control: no-cache\r\n\r\n",
	            mime_lookup(&st->inst->mime, file, strlen(file)),
	            (uint64_t)sb.st_size);
	at = st->out->len;
	if (!ri->head && sb.st_size <= PAGE_INLINE &&
	    read_into(st->out, fd, (size_t)sb.st_size) < 0) {
		st->out->len = at;
		goto fail;
	}
	http_log(st, ri, status, ri->head ? 0 : (uint64_t)sb.st_size);
	if (http_flush_head(st) < 0 || ri->head || sb.st_size <= PAGE_INLINE) {
		close(fd);
		return 0;
	}
	st->inst->host->sendfile(st->c, fd, 0, (size_t)sb.st_size);
	return 0;
fail:
	close(fd);
	return -1;
}
