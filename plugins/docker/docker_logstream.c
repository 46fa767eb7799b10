/* Log stream parsing (see docker_logstream.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_logstream.h"

void docker_logstream_init(docker_logstream *s, int tty, docker_log_emit_fn emit, void *ud)
{
	memset(s, 0, sizeof(*s));
	s->tty = tty;
	s->emit = emit;
	s->ud = ud;
	s->stream = 1;
}

void docker_logstream_free(docker_logstream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

static int digits(const char *s, size_t n, long long *out)
{
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int docker_logstream_parse_time(const char *s, size_t len, long long *sec, long *nsec)
{
	long long y, mo, d, h, mi, se, frac = 0, oh = 0, om = 0;
	size_t i = 19, fd = 0;
	struct tm tm;
	int sign = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -EINVAL;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fd++)
			if (fd < 9)
				frac = frac * 10 + (s[i] - '0');
		if (fd == 0)
			return -EINVAL;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (i < len && s[i] == 'Z') {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		sign = s[i] == '+' ? 1 : -1;
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om))
			return -EINVAL;
		i += 6;
	} else {
		return -EINVAL;
	}
	if (i != len || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)se;
	*sec = (long long)timegm(&tm) - sign * (oh * 3600 + om * 60);
	*nsec = (long)frac;
	return 0;
}

void docker_logstream_since(docker_logstream *s, char *buf, size_t len)
{
	if (!s->have_last) {
		snprintf(buf, len, "0");
		return;
	}
	s->replaying = 1;
	s->cut_sec = s->last_sec;
	s->cut_nsec = s->last_nsec;
	snprintf(buf, len, "%lld.%09ld", s->last_sec, s->last_nsec);
}

/* One whole entry "<timestamp> <message>": strips the timestamp and drops an
 * entry already handed out before a reconnection. */
static int entry(docker_logstream *s, int stream, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n < 64 ? n : 64);
	long long sec;
	long nsec;

	if (s->raw)
		return n ? s->emit(s->ud, stream, p, n) : 0;
	if (!sp || docker_logstream_parse_time(p, (size_t)(sp - p), &sec, &nsec) < 0)
		/* No timestamp (a piece of an over-long entry): pass it through. */
		return n ? s->emit(s->ud, stream, p, n) : 0;
	if (s->replaying) {
		if (sec < s->cut_sec || (sec == s->cut_sec && nsec <= s->cut_nsec))
			return 0;
		s->replaying = 0; /* past the replay: everything from here is new */
	}
	if (!s->have_last || sec > s->last_sec || (sec == s->last_sec && nsec > s->last_nsec)) {
		s->have_last = 1;
		s->last_sec = sec;
		s->last_nsec = nsec;
	}
	n -= (size_t)(sp + 1 - p);
	return n ? s->emit(s->ud, stream, sp + 1, n) : 0;
}

static int append(docker_logstream *s, const char *data, size_t n)
{
	if (n == 0)
		return 0;
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *b;
		while (cap < s->len + n)
			cap *= 2;
		if (!(b = realloc(s->buf, cap)))
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return 0;
}

static int feed_tty(docker_logstream *s, const char *data, size_t len)
{
	int r;

	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;
		if (s->len + n > DOCKER_LOGSTREAM_MAX_ENTRY) {
			if ((r = docker_logstream_flush(s)) < 0)
				return r;
			if (n > DOCKER_LOGSTREAM_MAX_ENTRY) {
				if ((r = s->emit(s->ud, 1, data, n)) < 0)
					return r;
				data += n;
				len -= n;
				continue;
			}
		}
		if ((r = append(s, data, n)) < 0)
			return r;
		data += n;
		len -= n;
		if (nl) {
			r = entry(s, 1, s->buf, s->len);
			s->len = 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int feed_mux(docker_logstream *s, const char *data, size_t len)
{
	int r;

	while (len) {
		if (s->header_len < 8) {
			size_t n = 8 - s->header_len < len ? 8 - s->header_len : len;
			memcpy(s->header + s->header_len, data, n);
			s->header_len += n;
			data += n;
			len -= n;
			if (s->header_len < 8)
				return 0;
			if (s->header[0] > 2 || s->header[1] || s->header[2] || s->header[3])
				return -EPROTO;
			s->stream = s->header[0] == 2 ? 2 : 1;
			s->want = (size_t)s->header[4] << 24 | (size_t)s->header[5] << 16 |
			          (size_t)s->header[6] << 8 | (size_t)s->header[7];
			s->len = 0;
		}
		size_t n = s->want < len ? s->want : len;
		if (s->len + n > DOCKER_LOGSTREAM_MAX_ENTRY) {
			/* Over-long: hand out what is assembled, then pass the rest through. */
			if (s->len) {
				r = entry(s, s->stream, s->buf, s->len);
				s->len = 0;
				if (r < 0)
					return r;
			}
			if ((r = s->emit(s->ud, s->stream, data, n)) < 0)
				return r;
		} else if ((r = append(s, data, n)) < 0) {
			return r;
		}
		data += n;
		len -= n;
		s->want -= n;
		if (s->want == 0) {
			r = s->len ? entry(s, s->stream, s->buf, s->len) : 0;
			s->len = 0;
			s->header_len = 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int docker_logstream_feed(void *ud, const char *data, size_t len)
{
	docker_logstream *s = ud;
	return s->tty ? feed_tty(s, data, len) : feed_mux(s, data, len);
}

int docker_logstream_flush(docker_logstream *s)
{
	int r = 0;

	if (s->len && (s->tty || s->header_len == 8))
		r = entry(s, s->stream, s->buf, s->len);
	s->len = 0;
	s->header_len = 0;
	s->want = 0;
	return r;
}
