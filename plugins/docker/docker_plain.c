/* A plain HTTP GET over a unix socket (see docker_plain.h). */
#include <config.h>

#include "docker_plain.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Room for the status line and headers on top of the body's cap. */
#define HEAD_MAX (64 * 1024)

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for `events` on fd until `deadline` (<0: none), waking at least once
 * a second to look at `cancel`. */
static int wait_fd(int fd, short events, long long deadline, const volatile int *cancel)
{
	for (;;) {
		if (cancel && *cancel)
			return -ECANCELED;
		long long slice = 1000;
		if (deadline >= 0) {
			long long left = deadline - mono_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			if (left < slice)
				slice = left;
		}
		struct pollfd pfd = {.fd = fd, .events = events};
		int n = poll(&pfd, 1, (int)slice);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int fail(docker_plain_answer *out, int code, const char *what)
{
	snprintf(out->why, sizeof(out->why), "%s: %s", what,
	         code == -ETIMEDOUT ? "timed out" : strerror(-code));
	return code;
}

static int connect_unix(const char *path, long long deadline, const volatile int *cancel,
                        docker_plain_answer *out, int *fd_out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(out, -ENAMETOOLONG, path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(out, -errno, "socket");
	int r = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		/* A full backlog: wait for room, as curl would. */
		if (r == -EAGAIN || r == -EINPROGRESS) {
			int soerr = 0;
			socklen_t len = sizeof(soerr);
			r = wait_fd(fd, POLLOUT, deadline, cancel);
			if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0)
				r = -soerr;
		}
	}
	if (r < 0) {
		close(fd);
		char what[160];
		snprintf(what, sizeof(what), "cannot connect to %.120s", path);
		return fail(out, r, what);
	}
	*fd_out = fd;
	return 0;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline,
                    const volatile int *cancel)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = wait_fd(fd, POLLOUT, deadline, cancel);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The value of header `name` in the header block [head, end), or NULL. */
static const char *header(const char *head, const char *end, const char *name, size_t *len)
{
	size_t n = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line && line + 2 < end;
	     line = strstr(line + 2, "\r\n")) {
		const char *l = line + 2;
		if ((size_t)(end - l) > n && strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = strstr(v, "\r\n");
			*len = (size_t)((e ? e : end) - v);
			return v;
		}
	}
	return NULL;
}

/* Decodes a chunked body in place; its new length, or -1 when malformed or
 * incomplete. */
static long long dechunk(char *body, size_t len)
{
	size_t in = 0, outp = 0;
	for (;;) {
		char *end = NULL;
		if (in >= len)
			return -1;
		unsigned long long size = strtoull(body + in, &end, 16);
		char *crlf = memmem(body + in, len - in, "\r\n", 2);
		if (!crlf || end == body + in || end > crlf)
			return -1;
		in = (size_t)(crlf - body) + 2;
		if (size == 0)
			return (long long)outp;
		if (size > len - in || len - in - size < 2)
			return -1;
		memmove(body + outp, body + in, size);
		outp += size;
		in += size + 2;
	}
}

int docker_plain_get(const char *socket_path, const char *target, long long timeout_ms, size_t max,
                     const volatile int *cancel, docker_plain_answer *out)
{
	memset(out, 0, sizeof(*out));
	long long deadline = timeout_ms >= 0 ? mono_ms() + timeout_ms : -1;
	int fd = -1;
	int r = connect_unix(socket_path, deadline, cancel, out, &fd);
	if (r < 0)
		return r;
	char *req = NULL;
	if (asprintf(&req, "GET %s HTTP/1.0\r\nHost: localhost\r\nUser-Agent: drover\r\n\r\n",
	             target) < 0) {
		close(fd);
		return fail(out, -ENOMEM, "request");
	}
	r = send_all(fd, req, strlen(req), deadline, cancel);
	free(req);
	if (r < 0) {
		close(fd);
		return fail(out, r, "sending the request");
	}

	size_t cap = 16384, len = 0, limit = max + HEAD_MAX;
	char *buf = malloc(cap);
	const char *head_end = NULL;
	long long want = -1; /* header + Content-Length, once known */
	while (buf) {
		if (want >= 0 && (long long)len >= want)
			break;
		if (len + 1 >= cap) {
			if (cap >= limit + 1) {
				out->overflow = 1;
				break;
			}
			size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLIN, deadline, cancel)) < 0)
				break;
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!head_end && (head_end = strstr(buf, "\r\n\r\n"))) {
			size_t vlen = 0;
			const char *cl = header(buf, head_end + 2, "Content-Length", &vlen);
			if (cl)
				want = (long long)(head_end + 4 - buf) + strtoll(cl, NULL, 10);
		}
	}
	close(fd);
	if (!buf)
		return fail(out, -ENOMEM, "reading the answer");
	if (r < 0) {
		free(buf);
		return fail(out, r, "reading the answer");
	}
	buf[len] = '\0';
	head_end = strstr(buf, "\r\n\r\n");
	int status = 0;
	if (!head_end || sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status < 100) {
		free(buf);
		if (out->overflow)
			return 0;
		return fail(out, -EIO, "the answer is not HTTP");
	}
	out->status = status;
	if (out->overflow) {
		free(buf);
		return 0;
	}
	size_t hlen = (size_t)(head_end + 4 - buf);
	size_t blen = len - hlen, vlen = 0;
	const char *te = header(buf, head_end + 2, "Transfer-Encoding", &vlen);
	if (te && vlen >= 7 && strncasecmp(te, "chunked", 7) == 0) {
		long long n = dechunk(buf + hlen, blen);
		if (n < 0) {
			free(buf);
			return fail(out, -EIO, "the chunked answer is malformed or cut short");
		}
		blen = (size_t)n;
	} else if (want >= 0 && (long long)len < want) {
		free(buf);
		return fail(out, -EIO, "the answer was cut short");
	} else if (want >= 0) {
		blen = (size_t)(want - (long long)hlen);
	}
	if (blen > max) {
		out->overflow = 1;
		free(buf);
		return 0;
	}
	memmove(buf, buf + hlen, blen);
	buf[blen] = '\0';
	out->body = buf;
	out->len = blen;
	return 0;
}
