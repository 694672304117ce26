/*
 * pattern.c - what right answers look like: the RFC 864 chargen stream,
 * RFC 868 time values, RFC 867 daytime lines.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"

/** Seconds from 1900-01-01 to 1970-01-01. */
#define RFC868_UNIX_OFFSET 2208988800ll

void chargen_check_init(struct chargen_check *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->offset = -1;
	for (size_t pos = 0; pos < CHARGEN_CYCLE_BYTES; pos++) {
		size_t line = pos / 74, col = pos % 74;

		ck->cycle[pos] = col == 72   ? '\r'
		                 : col == 73 ? '\n'
		                             : (unsigned char)(' ' + (line + col) % 95);
	}
}

/* Does the pattern from cycle position start hold buf? */
static int cycle_matches(const struct chargen_check *ck, size_t start,
                         const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ck->cycle[(start + i) % CHARGEN_CYCLE_BYTES])
			return 0;
	return 1;
}

/* Find where in the cycle the kept head starts; -1 if nowhere. */
static int chargen_align(struct chargen_check *ck)
{
	for (size_t s = 0; s < CHARGEN_CYCLE_BYTES; s++) {
		if (cycle_matches(ck, s, ck->head, ck->headlen)) {
			ck->offset = (long)((s + ck->headlen) % CHARGEN_CYCLE_BYTES);
			ck->total = ck->headlen;
			return 0;
		}
	}
	ck->bad = 1;
	ck->bad_at = 0;
	return -1;
}

/* Compare buf with the cycle from the current offset on. */
static int chargen_follow(struct chargen_check *ck, const unsigned char *buf,
                          size_t len)
{
	while (len > 0) {
		size_t off = (size_t)ck->offset;
		size_t n = CHARGEN_CYCLE_BYTES - off;

		if (n > len)
			n = len;
		if (memcmp(buf, ck->cycle + off, n) != 0) {
			size_t i = 0;

			while (buf[i] == ck->cycle[off + i])
				i++;
			ck->bad = 1;
			ck->bad_at = ck->total + i;
			return -1;
		}
		ck->offset = (long)((off + n) % CHARGEN_CYCLE_BYTES);
		ck->total += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int chargen_check_feed(struct chargen_check *ck, const unsigned char *buf,
                       size_t len)
{
	if (ck->bad)
		return -1;
	if (ck->offset < 0) {
		size_t take = sizeof(ck->head) - ck->headlen;

		if (take > len)
			take = len;
		memcpy(ck->head + ck->headlen, buf, take);
		ck->headlen += take;
		buf += take;
		len -= take;
		if (ck->headlen < sizeof(ck->head))
			return 0;
		if (chargen_align(ck) < 0)
			return -1;
	}
	return chargen_follow(ck, buf, len);
}

int chargen_check_end(struct chargen_check *ck)
{
	if (ck->bad)
		return -1;
	if (ck->offset < 0 && ck->headlen > 0)
		return chargen_align(ck);
	return 0;
}

void ring_check_init(struct ring_check *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->lo = rc->hi = -1;
	rc->prev = -1;
	rc->line_len = -1;
}

/* Is b the successor of a in the ring (learning the ring at a wrap)? */
static int ring_next(struct ring_check *rc, int a, int b)
{
	if (rc->hi >= 0)
		return a == rc->hi ? b == rc->lo : b == a + 1;
	if (b == a + 1)
		return 1;
	if (b >= a)
		return 0;
	rc->hi = a; /* the first wrap fixes the ring: a is its top, b its bottom */
	rc->lo = b;
	return 1;
}

/* Mark the stream wrong at the current byte. */
static int ring_bad(struct ring_check *rc, const char *why)
{
	rc->bad = 1;
	rc->bad_at = rc->total;
	rc->why = why;
	return -1;
}

/* The end of a line (CR LF): check its length. */
static int ring_line_end(struct ring_check *rc)
{
	if (rc->lines > 0) { /* the first line may have started mid-way */
		if (rc->line_len < 0)
			rc->line_len = rc->col;
		else if (rc->col < rc->line_len)
			rc->short_line = 1;
	}
	rc->lines++;
	rc->col = 0;
	rc->prev = -1;
	return 0;
}

/* One byte of the stream. */
static int ring_byte(struct ring_check *rc, int x)
{
	if (rc->short_line)
		return ring_bad(rc, "a short line before the end");
	if (rc->after_cr) {
		rc->after_cr = 0;
		if (x != '\n')
			return ring_bad(rc, "CR without LF");
		return ring_line_end(rc);
	}
	if (x == '\r')
		return rc->col > 0 ? (rc->after_cr = 1, 0)
		                   : ring_bad(rc, "an empty line");
	if (x < 0x20 || x > 0x7e)
		return ring_bad(rc, "not a printable character");
	if (rc->line_len >= 0 && rc->col >= rc->line_len)
		return ring_bad(rc, "a line too long");
	if (rc->prev >= 0 && !ring_next(rc, rc->prev, x))
		return ring_bad(rc, "a character out of sequence");
	rc->prev = x;
	rc->col++;
	return 0;
}

int ring_check_feed(struct ring_check *rc, const unsigned char *buf, size_t len)
{
	if (rc->bad)
		return -1;
	for (size_t i = 0; i < len; i++, rc->total++)
		if (ring_byte(rc, buf[i]) < 0)
			return -1;
	return 0;
}

void chargen_judge_init(struct chargen_judge *j, int strict)
{
	chargen_check_init(&j->exact);
	ring_check_init(&j->ring);
	j->strict = strict;
}

/*
 * Lenient mode runs the fast exact check and lets the byte-wise ring
 * check see the stream only while the exact one is not yet aligned, and
 * again from the buffer where the exact one fails (the ring check can
 * start anywhere; everything before was right).
 */
int chargen_judge_feed(struct chargen_judge *j, const unsigned char *buf,
                       size_t len)
{
	int was_aligned = j->exact.offset >= 0 && !j->exact.bad;
	int exact;

	if (j->exact.bad && !j->strict)
		return ring_check_feed(&j->ring, buf, len);
	exact = chargen_check_feed(&j->exact, buf, len);
	if (j->strict)
		return exact;
	if (!was_aligned)
		return ring_check_feed(&j->ring, buf, len);
	if (exact == 0)
		return 0;
	ring_check_init(&j->ring);
	return ring_check_feed(&j->ring, buf, len);
}

int chargen_judge_end(struct chargen_judge *j)
{
	int exact = chargen_check_end(&j->exact);

	if (j->strict)
		return exact;
	return j->ring.bad ? -1 : 0;
}

void chargen_judge_reason(const struct chargen_judge *j, char *buf, size_t size)
{
	if (j->strict)
		snprintf(buf, size, "not the RFC 864 pattern at byte %llu",
		         (unsigned long long)j->exact.bad_at);
	else
		snprintf(buf, size, "not a chargen pattern at byte %llu: %s",
		         (unsigned long long)j->ring.bad_at,
		         j->ring.why ? j->ring.why : "?");
}

void chargen_judge_describe(const struct chargen_judge *j, char *buf,
                            size_t size)
{
	if (!j->exact.bad)
		snprintf(buf, size, "the RFC 864 pattern");
	else if (j->ring.hi >= 0)
		snprintf(buf, size, "a rotating pattern of %d characters "
		         "('%c' to '%c'), not RFC 864's 95", j->ring.hi - j->ring.lo + 1,
		         j->ring.lo, j->ring.hi);
	else
		snprintf(buf, size, "a rotating pattern, not RFC 864's");
}

int64_t time_decode(uint32_t rfc868)
{
	/* Values below the 1970 mark belong to the era after the 2036 wrap. */
	if (rfc868 >= RFC868_UNIX_OFFSET)
		return (int64_t)rfc868 - RFC868_UNIX_OFFSET;
	return (int64_t)rfc868 + 4294967296ll - RFC868_UNIX_OFFSET;
}

void time_format(int64_t t, char *buf, size_t size)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed",
	                                 "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
	                                    "May", "Jun", "Jul", "Aug",
	                                    "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, size, "@%lld", (long long)t);
		return;
	}
	snprintf(buf, size, "%s %s %2d %02d:%02d:%02d UTC %lld",
	         days[tm.tm_wday % 7], months[tm.tm_mon % 12], tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)tm.tm_year + 1900);
}

int daytime_line_ok(const unsigned char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((line[i] < 0x20 || line[i] > 0x7e) && line[i] != '\t')
			return 0;
	return 1;
}
