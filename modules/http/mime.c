/*
 * mime.c - Content-Type by extension: a built-in table plus mime.types.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mime.h"

#define MAX_EXT 16            /* longer extensions are never looked up */
#define MAX_FILE (4u << 20)   /* a mime.types larger than this is ignored */

#define UTF8 "; charset=utf-8"
static const struct {
	const char *ext, *type;
} builtin[] = {
	{ "html", "text/html" UTF8 },   { "htm", "text/html" UTF8 },
	{ "css", "text/css" UTF8 },     { "js", "text/javascript" UTF8 },
	{ "mjs", "text/javascript" UTF8 }, { "txt", "text/plain" UTF8 },
	{ "text", "text/plain" UTF8 },  { "md", "text/markdown" UTF8 },
	{ "csv", "text/csv" UTF8 },     { "json", "application/json" },
	{ "xml", "application/xml" },   { "xhtml", "application/xhtml+xml" },
	{ "svg", "image/svg+xml" },     { "png", "image/png" },
	{ "jpg", "image/jpeg" },        { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },         { "webp", "image/webp" },
	{ "avif", "image/avif" },       { "ico", "image/vnd.microsoft.icon" },
	{ "bmp", "image/bmp" },         { "pdf", "application/pdf" },
	{ "zip", "application/zip" },   { "gz", "application/gzip" },
	{ "tgz", "application/gzip" },  { "tar", "application/x-tar" },
	{ "xz", "application/x-xz" },   { "bz2", "application/x-bzip2" },
	{ "zst", "application/zstd" },  { "wasm", "application/wasm" },
	{ "mp3", "audio/mpeg" },        { "ogg", "audio/ogg" },
	{ "oga", "audio/ogg" },         { "wav", "audio/wav" },
	{ "flac", "audio/flac" },       { "mp4", "video/mp4" },
	{ "webm", "video/webm" },       { "ogv", "video/ogg" },
	{ "woff", "font/woff" },        { "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },          { "otf", "font/otf" },
	{ "rss", "application/rss+xml" }, { "atom", "application/atom+xml" },
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

/* Order by extension, then by insertion (so the first one wins). */
static int entry_cmp(const void *a, const void *b)
{
	const struct mime_entry *x = a, *y = b;
	int c = strcmp(x->ext, y->ext);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Read a whole (small) file into a NUL-terminated buffer, or NULL. */
static char *read_small_file(const char *path)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
		goto out_close;
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		goto out_close;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	text[got] = '\0';
out_close:
	close(fd);
	return text;
}

/* Append one mapping (ext in lower case). -1: no memory. */
static int table_add(struct mime_table *t, size_t *cap, const char *ext,
                     const char *type)
{
	if (strlen(ext) >= MAX_EXT)
		return 0;
	if (t->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct mime_entry *n = realloc(t->entries, ncap * sizeof(*n));

		if (!n)
			return -1;
		t->entries = n;
		*cap = ncap;
	}
	t->entries[t->count] = (struct mime_entry){ ext, type, (unsigned)t->count };
	t->count++;
	return 0;
}

/* Add every "type ext ext ..." line of a mime.types text. */
static int table_add_file(struct mime_table *t, size_t *cap, char *text)
{
	char *line, *save_line = NULL;

	for (line = strtok_r(text, "\n", &save_line); line;
	     line = strtok_r(NULL, "\n", &save_line)) {
		char *save = NULL, *type, *ext;
		char *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		type = strtok_r(line, " \t\r", &save);
		if (!type || !strchr(type, '/'))
			continue;
		while ((ext = strtok_r(NULL, " \t\r", &save)) != NULL) {
			for (char *p = ext; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			if (table_add(t, cap, ext, type) < 0)
				return -1;
		}
	}
	return 0;
}

/* Build the table (see mime.h). */
int mime_table_init(struct mime_table *t, const char *path)
{
	size_t cap = 0, o = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < NBUILTIN; i++)
		if (table_add(t, &cap, builtin[i].ext, builtin[i].type) < 0)
			goto fail;
	if (path)
		t->file_text = read_small_file(path);
	if (t->file_text && table_add_file(t, &cap, t->file_text) < 0)
		goto fail;
	qsort(t->entries, t->count, sizeof(*t->entries), entry_cmp);
	for (size_t i = 0; i < t->count; i++)
		if (o == 0 || strcmp(t->entries[o - 1].ext, t->entries[i].ext))
			t->entries[o++] = t->entries[i];
	t->count = o;
	return 0;
fail:
	mime_table_free(t);
	return -1;
}

/* Free the table. */
void mime_table_free(struct mime_table *t)
{
	free(t->entries);
	free(t->file_text);
	memset(t, 0, sizeof(*t));
}

/* Compare a key with an entry (bsearch). */
static int key_cmp(const void *key, const void *entry)
{
	return strcmp(key, ((const struct mime_entry *)entry)->ext);
}

/* The type for a file name (see mime.h). */
const char *mime_lookup(const struct mime_table *t, const char *name,
                        size_t len)
{
	char ext[MAX_EXT];
	const struct mime_entry *e;
	size_t i = len, n;

	while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/')
		i--;
	if (i == 0 || name[i - 1] != '.')
		return HTTP_MIME_DEFAULT;
	n = len - i;
	if (n == 0 || n >= MAX_EXT)
		return HTTP_MIME_DEFAULT;
	for (size_t k = 0; k < n; k++) {
		char c = name[i + k];

		ext[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	ext[n] = '\0';
	e = bsearch(ext, t->entries, t->count, sizeof(*t->entries), key_cmp);
	return e ? e->type : HTTP_MIME_DEFAULT;
}
