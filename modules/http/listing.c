/*
 * listing.c - HTML directory listings, produced in pieces.
 *
 * http_listing_open() reads and sorts the visible entries of a directory
 * (names starting with a dot are hidden); http_listing_next() then writes
 * the page into a buffer a piece at a time, so that a directory of any
 * size never needs its whole page in memory (see listing_send.c).
 *
 * Order: "../" first (except at the root), then directories, then other
 * entries.  By name (the default) the order is case-insensitive and
 * natural ("file2" before "file10"); by modification time or by size
 * (directories: by name), names break ties.  ?C=N|M|S&O=A|D (Apache's and lighttpd's syntax)
 * chooses the column and the direction; the column headers link to the
 * other orders and mark the current one.
 *
 * Each row shows the name (HTML-escaped, wrapping when long), a link with
 * a "./"-prefixed percent-encoded href (so "a:b" or "?x" stay relative
 * paths), the modification time (UTC), a human-readable size with the
 * exact bytes in its title, and the type.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "listing.h"
#include "path.h"

/* One directory entry; name is an offset into the names buffer. */
struct entry {
	size_t name;
	size_t name_len;
	int is_dir;
	off_t size;
	time_t mtime;
};

/*
 * The sorted entries of one directory in one order, shared by the
 * listings of it that are open at once (the same second, the same
 * directory inode and mtime): forty clients asking for one big
 * directory cost one read and one copy of its names.
 */
struct listing_snap {
	unsigned refs;
	dev_t dev;               /**< the directory's identity ... */
	ino_t ino;
	struct timespec dir_mtime; /**< ... and version */
	time_t made;             /**< the second it was read */
	struct listing_order order;
	struct entry *ents;
	size_t count;
	struct hbuf names;       /**< NUL-terminated names */
	struct listing_snaps *home; /**< the table it is in, or NULL */
};

/* What http_listing_next still has to write. */
enum stage { ST_HEAD, ST_ROWS, ST_TAIL, ST_DONE };

/* An open listing (see listing.h): a cursor over a snapshot. */
struct http_listing {
	struct listing_snap *snap;
	struct entry *ents;      /**< snap->ents */
	size_t count;            /**< snap->count */
	size_t next;             /**< the next row to write */
	const char *names;       /**< snap->names.p */
	struct listing_order order;
	const struct mime_table *mime;
	const char *css;         /**< stylesheet URL, or NULL: built-in */
	char *url;               /**< decoded URL path, ends in '/' */
	size_t url_len;
	enum stage stage;
	char memo[16];           /**< last formatted minute */
	time_t memo_min;
};

/* The built-in stylesheet: readable in light and dark mode, narrow too. */
static const char builtin_css[] =
	":root{color-scheme:light dark}"
	"body{font:15px/1.4 system-ui,sans-serif;margin:1em auto;padding:0 1em;"
	"max-width:70em}"
	"h1{font-size:1.3em;overflow-wrap:anywhere}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{padding:.25em .6em;text-align:left;vertical-align:top}"
	"th{border-bottom:1px solid #8886}"
	"tbody tr:nth-child(even){background:#8881}"
	"td:first-child{overflow-wrap:anywhere;word-break:break-word}"
	"td:nth-child(2),td:nth-child(3){white-space:nowrap}"
	"td:nth-child(3),th:nth-child(3){text-align:right}"
	"td:nth-child(4){color:#777}"
	"a{text-decoration:none}a:hover{text-decoration:underline}"
	"tr.d a{font-weight:600}"
	"@media (max-width:40em){td:nth-child(4),th:nth-child(4){display:none}"
	"th,td{padding:.25em .3em}}"
	"@media (prefers-color-scheme:dark){body{background:#181a1b;color:#ddd}"
	"a{color:#8ab4f8}}";

/* 'A'..'Z' to lower case, nothing else (no locale). */
static int fold(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Compare the digit runs at *a and *b as numbers and step past them. */
static int number_cmp(const char **a, const char **b)
{
	const char *x = *a, *y = *b;
	size_t nx, ny;
	int r;

	while (*x == '0' && is_digit(x[1]))
		x++;
	while (*y == '0' && is_digit(y[1]))
		y++;
	for (nx = 0; is_digit(x[nx]); nx++)
		;
	for (ny = 0; is_digit(y[ny]); ny++)
		;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	r = memcmp(x, y, nx);
	*a = x + nx;
	*b = y + ny;
	return r;
}

/* Case-insensitive natural order; equal names fall back to byte order. */
int http_listing_name_cmp(const char *a, const char *b)
{
	const char *x = a, *y = b;

	while (*x && *y) {
		if (is_digit(*x) && is_digit(*y)) {
			int r = number_cmp(&x, &y);

			if (r)
				return r;
			continue;
		}
		if (fold((unsigned char)*x) != fold((unsigned char)*y))
			return fold((unsigned char)*x) - fold((unsigned char)*y);
		x++, y++;
	}
	if (*x || *y)
		return *x ? 1 : -1;
	return strcmp(a, b);
}

/* The order of two entries for the listing's column and direction. */
static int entry_cmp(const void *pa, const void *pb, void *arg)
{
	const struct entry *x = pa, *y = pb;
	const struct listing_snap *l = arg;
	const char *nx = l->names.p + x->name, *ny = l->names.p + y->name;
	int r = 0;

	if (x->is_dir != y->is_dir)
		return y->is_dir - x->is_dir;
	if (l->order.column == 'M' && x->mtime != y->mtime)
		r = x->mtime < y->mtime ? -1 : 1;
	else if (l->order.column == 'S' && !x->is_dir && x->size != y->size)
		r = x->size < y->size ? -1 : 1;
	if (!r)
		r = http_listing_name_cmp(nx, ny);
	return l->order.descending ? -r : r;
}

/* Parse ?C=N|M|S&O=A|D from a query (other parameters are ignored). */
void http_listing_parse_order(const char *q, size_t n, struct listing_order *o)
{
	size_t i = 0;

	o->column = 'N';
	o->descending = 0;
	while (i < n) {
		size_t end = i;

		while (end < n && q[end] != '&' && q[end] != ';')
			end++;
		if (end - i == 3 && q[i + 1] == '=') {
			char v = q[i + 2];

			if (q[i] == 'C' && (v == 'N' || v == 'M' || v == 'S'))
				o->column = v;
			else if (q[i] == 'O' && (v == 'A' || v == 'D'))
				o->descending = v == 'D';
		}
		i = end + 1;
	}
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
 * minute: the last one formatted is kept in the listing's memo.
 */
static void add_time(struct hbuf *b, struct http_listing *l, time_t t)
{
	struct tm tm;

	if (t / 60 != l->memo_min) {
		if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < -1900) {
			hbuf_str(b, "-");
			return;
		}
		put2(l->memo, (tm.tm_year + 1900) / 100);
		put2(l->memo + 2, tm.tm_year + 1900);
		l->memo[4] = '-';
		put2(l->memo + 5, tm.tm_mon + 1);
		l->memo[7] = '-';
		put2(l->memo + 8, tm.tm_mday);
		l->memo[10] = ' ';
		put2(l->memo + 11, tm.tm_hour);
		l->memo[13] = ':';
		put2(l->memo + 14, tm.tm_min);
		l->memo_min = t / 60;
	}
	hbuf_add(b, l->memo, 16);
}

/* v in decimal into the end of buf; returns where the digits start. */
static char *decimal(char *end, unsigned long long v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

/*
 * A size for people into out (>= 16 bytes): "0 B", "1023 B", "1.5 KiB",
 * "12 MiB", "5.0 TiB": one decimal below 10 units, none above.
 */
size_t http_listing_human_size(unsigned long long v, char *out)
{
	static const char unit[][4] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	char digits[24], *p = digits + sizeof(digits);
	unsigned long long whole;
	int u = 0;
	size_t n, k;

	while (u < 6 && (v >> (10 * (u + 1))) != 0)
		u++;
	whole = v >> (10 * u);
	if (u && whole < 10) { /* one decimal, truncated */
		*--p = (char)('0' + ((v >> (10 * (u - 1))) & 1023) * 10 / 1024);
		*--p = '.';
	}
	p = decimal(p, whole);
	n = (size_t)(digits + sizeof(digits) - p);
	memcpy(out, p, n);
	out[n++] = ' ';
	k = strlen(unit[u]);
	memcpy(out + n, unit[u], k);
	return n + k;
}

/* The size cell: human size, exact bytes in the title. */
static void add_size(struct hbuf *b, off_t size)
{
	char digits[24], human[24], *p;
	unsigned long long v = size < 0 ? 0 : (unsigned long long)size;
	size_t n = http_listing_human_size(v, human);

	p = decimal(digits + sizeof(digits), v);
	hbuf_str(b, "<td title=\"");
	hbuf_add(b, p, (size_t)(digits + sizeof(digits) - p));
	hbuf_str(b, " bytes\">");
	hbuf_add(b, human, n);
}

/* The type shown for a file: its Content-Type without parameters. */
static void add_type(struct hbuf *b, const struct http_listing *l,
                     const char *name, size_t n)
{
	const char *t = l->mime ? mime_lookup(l->mime, name, n) : HTTP_MIME_DEFAULT;
	const char *semi = strchr(t, ';');

	hbuf_add(b, t, semi ? (size_t)(semi - t) : strlen(t));
}

/* One table row for entry e, or for "../" when e is NULL. */
static void add_row(struct hbuf *b, struct http_listing *l,
                    const struct entry *e)
{
	const char *name;

	if (!e) {
		hbuf_str(b, "<tr class=\"d\"><td><a href=\"../\">../</a></td>"
		         "<td></td><td>-</td><td>Directory</td></tr>\n");
		return;
	}
	name = l->names + e->name;
	hbuf_str(b, e->is_dir ? "<tr class=\"d\"><td><a href=\"./"
	                      : "<tr><td><a href=\"./");
	add_url(b, name, e->name_len);
	hbuf_str(b, e->is_dir ? "/\">" : "\">");
	add_html(b, name, e->name_len);
	hbuf_str(b, e->is_dir ? "/</a></td><td>" : "</a></td><td>");
	add_time(b, l, e->mtime);
	if (e->is_dir) {
		hbuf_str(b, "</td><td>-</td><td>Directory</td></tr>\n");
		return;
	}
	hbuf_str(b, "</td>");
	add_size(b, e->size);
	hbuf_str(b, "</td><td>");
	add_type(b, l, name, e->name_len);
	hbuf_str(b, "</td></tr>\n");
}

/* A column header: a link to its order, the current one marked. */
static void add_th(struct hbuf *b, const struct http_listing *l, char col,
                   const char *label)
{
	int current = l->order.column == col;
	int next_desc = current && !l->order.descending;

	hbuf_str(b, "<th");
	if (current)
		hbuf_str(b, l->order.descending ? " aria-sort=\"descending\""
		                                : " aria-sort=\"ascending\"");
	hbuf_str(b, "><a href=\"?C=");
	hbuf_add(b, &col, 1);
	hbuf_str(b, next_desc ? "&amp;O=D\">" : "&amp;O=A\">");
	hbuf_str(b, label);
	hbuf_str(b, "</a>");
	if (current)
		hbuf_str(b, l->order.descending ? " \xe2\x86\x93" : " \xe2\x86\x91");
	hbuf_str(b, "</th>");
}

/* The document head and the table's header row. */
static void add_head(struct hbuf *b, const struct http_listing *l)
{
	hbuf_str(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	         "<meta name=\"viewport\" content=\"width=device-width, "
	         "initial-scale=1\">\n<title>Index of ");
	add_html(b, l->url, l->url_len);
	hbuf_str(b, "</title>\n");
	if (l->css) {
		hbuf_str(b, "<link rel=\"stylesheet\" href=\"");
		add_html(b, l->css, strlen(l->css));
		hbuf_str(b, "\">\n");
	} else {
		hbuf_str(b, "<style>");
		hbuf_str(b, builtin_css);
		hbuf_str(b, "</style>\n");
	}
	hbuf_str(b, "</head>\n<body><h1>Index of ");
	add_html(b, l->url, l->url_len);
	hbuf_str(b, "</h1>\n<table>\n<thead><tr>");
	add_th(b, l, 'N', "Name");
	add_th(b, l, 'M', "Last modified");
	add_th(b, l, 'S', "Size");
	hbuf_str(b, "<th>Type</th></tr></thead>\n<tbody>\n");
	if (l->url_len > 1)
		add_row(b, (struct http_listing *)l, NULL);
}

/* Grow the entry array when full.  0 or -1. */
static int entries_room(struct listing_snap *sn, size_t *cap)
{
	size_t ncap;
	struct entry *ne;

	if (sn->count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	ne = realloc(sn->ents, ncap * sizeof(*ne));
	if (!ne)
		return -1;
	sn->ents = ne;
	*cap = ncap;
	return 0;
}

/* Read the visible entries of dirfd into sn. 0 or -1 (errno set). */
static int read_entries(struct listing_snap *sn, int dirfd)
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
		if (entries_room(sn, &cap) < 0)
			goto fail;
		sn->ents[sn->count] = (struct entry){ sn->names.len, n,
		                                      S_ISDIR(sb.st_mode),
		                                      sb.st_size, sb.st_mtime };
		hbuf_add(&sn->names, de->d_name, n + 1);
		if (sn->names.oom)
			goto fail;
		sn->count++;
	}
	closedir(dir);
	return 0;
fail:
	closedir(dir);
	errno = ENOMEM;
	return -1;
}

/* Drop a reference; the last one frees the snapshot. */
static void snap_unref(struct listing_snap *sn)
{
	if (!sn || --sn->refs)
		return;
	if (sn->home)
		for (size_t i = 0; i < LISTING_SNAPS; i++)
			if (sn->home->slot[i] == sn)
				sn->home->slot[i] = NULL;
	free(sn->ents);
	hbuf_free(&sn->names);
	free(sn);
}

/* A snapshot open now for this directory, order and second, or NULL. */
static struct listing_snap *snap_find(struct listing_snaps *t,
                                      const struct stat *dir,
                                      const struct listing_order *o,
                                      time_t now)
{
	for (size_t i = 0; t && i < LISTING_SNAPS; i++) {
		struct listing_snap *sn = t->slot[i];

		if (sn && sn->made == now && sn->dev == dir->st_dev &&
		    sn->ino == dir->st_ino &&
		    sn->dir_mtime.tv_sec == dir->st_mtim.tv_sec &&
		    sn->dir_mtime.tv_nsec == dir->st_mtim.tv_nsec &&
		    sn->order.column == o->column &&
		    sn->order.descending == o->descending) {
			sn->refs++;
			return sn;
		}
	}
	return NULL;
}

/* Read and sort dirfd into a new snapshot, listed in t when there is room. */
static struct listing_snap *snap_read(struct listing_snaps *t, int dirfd,
                                      const struct stat *dir,
                                      const struct listing_order *o,
                                      time_t now)
{
	struct listing_snap *sn = calloc(1, sizeof(*sn));

	if (!sn)
		return NULL;
	sn->refs = 1;
	sn->dev = dir->st_dev;
	sn->ino = dir->st_ino;
	sn->dir_mtime = dir->st_mtim;
	sn->made = now;
	sn->order = *o;
	if (read_entries(sn, dirfd) < 0) {
		int err = errno;

		snap_unref(sn);
		errno = err;
		return NULL;
	}
	if (sn->count)
		qsort_r(sn->ents, sn->count, sizeof(*sn->ents), entry_cmp, sn);
	for (size_t i = 0; t && i < LISTING_SNAPS; i++)
		if (!t->slot[i] || t->slot[i]->made != now) {
			if (t->slot[i])
				t->slot[i]->home = NULL;
			t->slot[i] = sn;
			sn->home = t;
			break;
		}
	return sn;
}

/* Read and sort a directory, or share a snapshot (see listing.h). */
struct http_listing *http_listing_open(struct listing_snaps *snaps, int dirfd,
                                       const char *url_path, size_t url_len,
                                       const struct listing_order *order,
                                       const struct mime_table *mime,
                                       const char *css)
{
	struct http_listing *l = calloc(1, sizeof(*l));
	time_t now = time(NULL);
	struct stat dir;

	if (!l)
		return NULL;
	l->url = strndup(url_path, url_len);
	if (!l->url || fstat(dirfd, &dir) < 0)
		goto fail;
	l->url_len = url_len;
	l->order = *order;
	l->mime = mime;
	l->css = css;
	l->memo_min = -1;
	l->snap = snap_find(snaps, &dir, order, now);
	if (!l->snap)
		l->snap = snap_read(snaps, dirfd, &dir, order, now);
	if (!l->snap)
		goto fail;
	l->ents = l->snap->ents;
	l->count = l->snap->count;
	l->names = l->snap->names.p;
	return l;
fail:
	http_listing_free(l);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

/* Append the next piece of the page (see listing.h). */
int http_listing_next(struct http_listing *l, struct hbuf *out, size_t budget)
{
	size_t stop = out->len + budget;

	if (l->stage == ST_HEAD) {
		hbuf_reserve(out, budget < 4096 ? 4096 : budget + 512);
		add_head(out, l);
		l->stage = ST_ROWS;
	}
	while (l->stage == ST_ROWS && out->len < stop && !out->oom) {
		if (l->next == l->count) {
			l->stage = ST_TAIL;
			break;
		}
		add_row(out, l, &l->ents[l->next++]);
	}
	if (l->stage == ST_TAIL && out->len < stop) {
		hbuf_str(out, "</tbody></table>\n<hr><address>" HTTP_SERVER_NAME
		         "</address></body></html>\n");
		l->stage = ST_DONE;
	}
	if (out->oom) {
		errno = ENOMEM;
		return -1;
	}
	return l->stage == ST_DONE;
}

/* Forget the table (see listing.h). */
void http_listing_snaps_release(struct listing_snaps *t)
{
	for (size_t i = 0; i < LISTING_SNAPS; i++) {
		if (t->slot[i])
			t->slot[i]->home = NULL;
		t->slot[i] = NULL;
	}
}

/* Rows of the listing (without "../"). */
size_t http_listing_count(const struct http_listing *l)
{
	return l->count;
}

/* Free a listing (see listing.h). */
void http_listing_free(struct http_listing *l)
{
	if (!l)
		return;
	snap_unref(l->snap);
	free(l->url);
	free(l);
}
