/*
 * listing.c - HTML directory listings.
 *
 * Order: "../" first (except at the root), then directories, then other
 * entries, each group in byte order of the name.  Names starting with a
 * dot are hidden.  Each row shows the name (HTML-escaped), a link with a
 * "./"-prefixed percent-encoded href (so "a:b" or "?x" stay relative
 * paths), the modification time (UTC) and the size in bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "path.h"

/* One directory entry; name is an offset into the names buffer. */
struct entry {
	size_t name;
	size_t name_len;
	int is_dir;
	off_t size;
	time_t mtime;
};

/* Directories first, then byte order (names are in the arena). */
static int entry_cmp(const void *a, const void *b, void *arena)
{
	const struct entry *x = a, *y = b;

	if (x->is_dir != y->is_dir)
		return y->is_dir - x->is_dir;
	return strcmp((const char *)arena + x->name, (const char *)arena + y->name);
}

/* Append s HTML-escaped. */
static void add_html(struct hbuf *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		hbuf_add(b, s + run, i - run);
		hbuf_str(b, rep);
		run = i + 1;
	}
	hbuf_add(b, s + run, n - run);
}

/* Append s percent-encoded (a single path segment). */
static void add_url(struct hbuf *b, const char *s, size_t n)
{
	size_t need = 3 * n + 1;

	if (hbuf_reserve(b, need) < 0)
		return;
	b->len += http_url_encode(s, n, b->p + b->len, need, 0);
}

/* Two decimal digits. */
static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * "2026-11-26 11:07" for t (UTC).  Entries of a directory often share a
 * minute: the last one formatted is kept in *memo (its minute in *memo_min).
 */
static void add_time(struct hbuf *b, time_t t, char *memo, time_t *memo_min)
{
	struct tm tm;

	if (t / 60 != *memo_min) {
		if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < -1900) {
			hbuf_str(b, "-");
			return;
		}
		put2(memo, (tm.tm_year + 1900) / 100);
		put2(memo + 2, tm.tm_year + 1900);
		memo[4] = '-';
		put2(memo + 5, tm.tm_mon + 1);
		memo[7] = '-';
		put2(memo + 8, tm.tm_mday);
		memo[10] = ' ';
		put2(memo + 11, tm.tm_hour);
		memo[13] = ':';
		put2(memo + 14, tm.tm_min);
		*memo_min = t / 60;
	}
	hbuf_add(b, memo, 16);
}

/* A size in bytes, in decimal. */
static void add_size(struct hbuf *b, off_t size)
{
	char digits[24];
	int i = sizeof(digits);
	unsigned long long v = size < 0 ? 0 : (unsigned long long)size;

	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	hbuf_add(b, digits + i, sizeof(digits) - (size_t)i);
}

/* One table row. */
static void add_row(struct hbuf *b, const char *name, size_t n, int is_dir,
                    off_t size, time_t mtime, int parent, char *memo,
                    time_t *memo_min)
{
	hbuf_str(b, "<tr><td><a href=\"");
	if (parent) {
		hbuf_str(b, "../\">../</a></td><td></td><td class=\"s\">-");
	} else {
		hbuf_str(b, "./");
		add_url(b, name, n);
		if (is_dir)
			hbuf_str(b, "/");
		hbuf_str(b, "\">");
		add_html(b, name, n);
		if (is_dir)
			hbuf_str(b, "/");
		hbuf_str(b, "</a></td><td>");
		add_time(b, mtime, memo, memo_min);
		hbuf_str(b, "</td><td class=\"s\">");
		if (is_dir)
			hbuf_str(b, "-");
		else
			add_size(b, size);
	}
	hbuf_str(b, "</td></tr>\n");
}

/* Read the visible entries of dirfd into ents and their names into names. */
static int read_entries(int dirfd, struct entry **ents, size_t *count,
                        struct hbuf *names)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat sb;
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd, de->d_name, &sb, 0) < 0 &&
		    fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (*count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct entry *ne = realloc(*ents, ncap * sizeof(*ne));

			if (!ne)
				goto fail;
			*ents = ne;
			cap = ncap;
		}
		(*ents)[*count] = (struct entry){ names->len, n, S_ISDIR(sb.st_mode),
		                                  sb.st_size, sb.st_mtime };
		hbuf_add(names, de->d_name, n + 1);
		if (names->oom)
			goto fail;
		(*count)++;
	}
	closedir(dir);
	return 0;
fail:
	closedir(dir);
	errno = ENOMEM;
	return -1;
}

/* Build the listing page (see http.h). */
int http_listing_build(int dirfd, const char *url_path, size_t url_len,
                       struct hbuf *out)
{
	struct entry *ents = NULL;
	struct hbuf names = { 0 };
	size_t count = 0;
	char memo[16];
	time_t memo_min = -1;

	if (read_entries(dirfd, &ents, &count, &names) < 0) {
		free(ents);
		hbuf_free(&names);
		return -1;
	}
	if (count)
		qsort_r(ents, count, sizeof(*ents), entry_cmp, names.p);
	hbuf_reserve(out, 512 + count * 160);
	hbuf_str(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	         "<title>Index of ");
	add_html(out, url_path, url_len);
	hbuf_str(out, "</title>\n<style>body{font-family:sans-serif}"
	         "td{padding:0 1em 0 0}td.s{text-align:right}</style></head>\n"
	         "<body><h1>Index of ");
	add_html(out, url_path, url_len);
	hbuf_str(out, "</h1>\n<table>\n<tr><th>Name</th><th>Last modified</th>"
	         "<th>Size</th></tr>\n");
	if (url_len > 1)
		add_row(out, NULL, 0, 1, 0, 0, 1, memo, &memo_min);
	for (size_t i = 0; i < count; i++)
		add_row(out, names.p + ents[i].name, ents[i].name_len,
		        ents[i].is_dir, ents[i].size, ents[i].mtime, 0, memo,
		        &memo_min);
	hbuf_str(out, "</table>\n<hr><address>" HTTP_SERVER_NAME
	         "</address></body></html>\n");
	free(ents);
	hbuf_free(&names);
	if (out->oom) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}
