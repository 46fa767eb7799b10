/* The Docker Engine API client (see docker_http.h). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "docker_curl.h"
#include "docker_http.h"
#include "docker_plain.h"
#include "docker_json.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"

/* libcurl's table (docker_curl.h). The two functions that create a curl handle
 * check that libcurl loaded; everything that has a handle may then use CU. */
#define CU docker_curl(NULL)

static char *dup_or_null(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

int docker_client_init(docker_client *c, const char *endpoint, const char *tls_ca,
                       const char *tls_cert, const char *tls_key, drover_err *err)
{
	const char *ep = endpoint;
	int tls = (tls_ca && tls_ca[0]) || (tls_cert && tls_cert[0]) || (tls_key && tls_key[0]);

	memset(c, 0, sizeof(*c));
	if (!ep || !ep[0])
		ep = getenv("DOCKER_HOST");
	if (!ep || !ep[0])
		ep = "unix://" DEFAULT_SOCKET;
	c->endpoint = strdup(ep);
	if (!c->endpoint)
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	if (strncmp(ep, "unix://", 7) == 0) {
		if (ep[7] != '/') {
			docker_client_free(c);
			return drover_err_set(err, -EINVAL,
			                      "docker: endpoint \"%s\": a unix:// endpoint needs an "
			                      "absolute socket path (unix:///var/run/docker.sock)",
			                      ep);
		}
		c->unix_path = strdup(ep + 7);
		c->base_url = strdup("http://localhost");
	} else if (strncmp(ep, "tcp://", 6) == 0 && ep[6]) {
		size_t n = strlen(ep + 6) + 16;
		c->base_url = malloc(n);
		if (c->base_url)
			snprintf(c->base_url, n, "%s://%s", tls ? "https" : "http", ep + 6);
	} else if ((strncmp(ep, "http://", 7) == 0 && ep[7]) ||
	           (strncmp(ep, "https://", 8) == 0 && ep[8])) {
		c->base_url = strdup(ep);
	} else {
		docker_client_free(c);
		return drover_err_set(err, -EINVAL,
		                      "docker: endpoint \"%s\" is not supported: use unix:///path, "
		                      "tcp://host:port, http:// or https://",
		                      ep);
	}
	if (c->base_url) {
		size_t n = strlen(c->base_url);
		while (n > 0 && c->base_url[n - 1] == '/')
			c->base_url[--n] = '\0';
	}
	c->tls_ca = dup_or_null(tls_ca);
	c->tls_cert = dup_or_null(tls_cert);
	c->tls_key = dup_or_null(tls_key);
	if (!c->base_url || (strncmp(ep, "unix://", 7) == 0 && !c->unix_path)) {
		docker_client_free(c);
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	}
	pthread_mutex_init(&c->lock, NULL);
	c->lock_ready = 1;
	return 0;
}

void docker_client_free(docker_client *c)
{
	int had_lock = c->lock_ready;

	free(c->endpoint);
	free(c->unix_path);
	free(c->base_url);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	if (had_lock)
		pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

void docker_response_free(docker_response *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

typedef struct xfer {
	CURL *curl;
	const docker_request *req;
	char *buf;
	size_t len, cap, max;
	int overflow;
	int cb_error;
	int upload_fd;
} xfer;

static int buf_append(xfer *x, const char *data, size_t n)
{
	if (x->len + n > x->max) {
		x->overflow = 1;
		return -1;
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *nb;
		while (cap < x->len + n + 1)
			cap *= 2;
		nb = realloc(x->buf, cap);
		if (!nb) {
			x->cb_error = -ENOMEM;
			return -1;
		}
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;
	long status = 0;

	CU->easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	/* Stream only a successful answer: an error's body is the daemon's message. */
	if (x->req->on_chunk && status >= 200 && status < 300) {
		int r = x->req->on_chunk(x->req->ud, data, n);
		if (r < 0) {
			x->cb_error = r;
			return 0;
		}
		return n;
	}
	return buf_append(x, data, n) < 0 ? 0 : n;
}

static size_t on_read(char *data, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	ssize_t n;

	do
		n = read(x->upload_fd, data, size * nmemb);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		x->cb_error = -errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
}

static int on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	xfer *x = ud;
	(void)dlt;
	(void)dln;
	(void)ult;
	(void)uln;
	if (x->req->cancel && *x->req->cancel) {
		x->cb_error = -ECANCELED;
		return 1;
	}
	return 0;
}

static int status_code(long status)
{
	switch (status) {
	case 400: return -EINVAL;
	case 401:
	case 403: return -EACCES;
	case 404: return -ENOENT;
	case 409: return -EEXIST;
	case 413: return -EFBIG;
	default: return -EIO;
	}
}

/* The daemon's {"message": "..."}, or the body itself when it is not JSON. */
static void daemon_message(const char *body, size_t len, char *out, size_t outlen)
{
	yajl_val v = NULL;
	const char *msg = NULL;

	out[0] = '\0';
	if (!body || !len)
		return;
	if (docker_json_parse(body, len, "error", &v, NULL) == 0)
		msg = docker_json_str(v, "message", NULL);
	if (msg)
		snprintf(out, outlen, "%s", msg);
	else
		snprintf(out, outlen, "%.*s", (int)(len > 200 ? 200 : len), body);
	if (v)
		yajl_tree_free(v);
	/* One line: the daemon sometimes ends its text with a newline. */
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static int curl_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	case CURLE_ABORTED_BY_CALLBACK: return -ECANCELED;
	default: return -EIO;
	}
}

static int api_minor(docker_client *c)
{
	int m;
	pthread_mutex_lock(&c->lock);
	m = c->api_minor;
	pthread_mutex_unlock(&c->lock);
	return m;
}

/* A GET of a buffered answer on a unix socket without TLS: docker_plain.h. */
static int plain_fits(const docker_client *c, const docker_request *req)
{
	return c->unix_path && !c->tls_ca && !c->tls_cert && !c->tls_key &&
	       strcmp(req->method, "GET") == 0 && !req->body && req->upload_fd < 0 &&
	       !req->headers && !req->on_chunk && req->idle_timeout_ms <= 0 && !req->content_type;
}

/* docker_http_do through docker_plain_get, with the same codes and messages. */
static int plain_do(docker_client *c, const docker_request *req, const char *target,
                    docker_response *resp, drover_err *err)
{
	docker_plain_answer a;
	size_t max = req->max_response ? req->max_response : DOCKER_MAX_RESPONSE;
	long long timeout = req->timeout_ms == 0 ? DOCKER_DEFAULT_TIMEOUT_MS : req->timeout_ms;
	int r = docker_plain_get(c->unix_path, target, timeout, max, req->cancel, &a);

	if (resp)
		resp->status = a.status;
	/* The codes libcurl's path gives (curl_code): callers tell an absent
	 * daemon (-ENOENT, -ECONNREFUSED) from a slow one and from the rest. */
	if (r == -EACCES || r == -ENAMETOOLONG || r == -ENOTSOCK || r == -EPERM)
		r = -ECONNREFUSED;
	else if (r < 0 && r != -ENOENT && r != -ECONNREFUSED && r != -ETIMEDOUT &&
	         r != -ECANCELED && r != -ENOMEM)
		r = -EIO;
	if (r == -ECANCELED)
		r = drover_err_set(err, -ECANCELED, "docker: %s %s: cancelled", req->method, req->path);
	else if (r < 0)
		drover_err_set(err, r, "docker: %s %s on %s: %s: is dockerd running and the endpoint right?",
		               req->method, req->path, c->endpoint, a.why);
	else if (a.overflow)
		r = drover_err_set(err, -EFBIG,
		                   "docker: %s %s: the answer is larger than %zu bytes, refusing it",
		                   req->method, req->path, max);
	else if (!((a.status >= 200 && a.status < 300) || a.status == 304)) {
		char msg[300];
		daemon_message(a.body, a.len, msg, sizeof(msg));
		r = drover_err_set(err, status_code(a.status), "docker: %s %s: %s (HTTP %ld)",
		                   req->method, req->path, msg[0] ? msg : "no message", a.status);
	}
	if (resp) {
		resp->body = a.body;
		resp->len = a.len;
	} else {
		free(a.body);
	}
	return r;
}

int docker_http_do(docker_client *c, const docker_request *req, docker_response *resp,
                   drover_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *tmp;
	xfer x;
	char *url;
	size_t url_len;
	long status = 0;
	long long timeout = req->timeout_ms;
	CURLcode rc;
	int r = 0, minor = 0;

	if (resp) {
		resp->status = 0;
		resp->body = NULL;
		resp->len = 0;
	}
	if (!req->unversioned) {
		minor = api_minor(c);
		if (minor == 0) {
			docker_response v = { 0, NULL, 0 };
			if ((r = docker_client_negotiate(c, &v, err)) < 0)
				return r;
			docker_response_free(&v);
			minor = api_minor(c);
		}
	}
	url_len = strlen(c->base_url) + strlen(req->path) + 16;
	url = malloc(url_len);
	if (!url)
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	if (req->unversioned)
		snprintf(url, url_len, "%s%s", c->base_url, req->path);
	else
		snprintf(url, url_len, "%s/v1.%d%s", c->base_url, minor, req->path);
	if (plain_fits(c, req)) {
		r = plain_do(c, req, url + strlen(c->base_url), resp, err);
		free(url);
		return r;
	}
	if (!docker_curl(err)) {
		free(url);
		return -ELIBACC;
	}

	memset(&x, 0, sizeof(x));
	x.req = req;
	x.max = req->max_response ? req->max_response : DOCKER_MAX_RESPONSE;
	x.upload_fd = req->upload_fd;
	x.curl = CU->easy_init();
	if (!x.curl) {
		free(url);
		return drover_err_set(err, -ENOMEM, "docker: cannot create a curl handle");
	}
	CU->easy_setopt(x.curl, CURLOPT_URL, url);
	CU->easy_setopt(x.curl, CURLOPT_ERRORBUFFER, errbuf);
	CU->easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
	CU->easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_write);
	CU->easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	CU->easy_setopt(x.curl, CURLOPT_NOPROGRESS, 0L);
	CU->easy_setopt(x.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	CU->easy_setopt(x.curl, CURLOPT_XFERINFODATA, &x);
	CU->easy_setopt(x.curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	if (timeout == 0)
		timeout = DOCKER_DEFAULT_TIMEOUT_MS;
	if (timeout > 0)
		CU->easy_setopt(x.curl, CURLOPT_TIMEOUT_MS, (long)timeout);
	if (req->idle_timeout_ms > 0) {
		long secs = (long)((req->idle_timeout_ms + 999) / 1000);
		CU->easy_setopt(x.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		CU->easy_setopt(x.curl, CURLOPT_LOW_SPEED_TIME, secs);
	}
	if (c->unix_path)
		CU->easy_setopt(x.curl, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	if (c->tls_ca)
		CU->easy_setopt(x.curl, CURLOPT_CAINFO, c->tls_ca);
	if (c->tls_cert)
		CU->easy_setopt(x.curl, CURLOPT_SSLCERT, c->tls_cert);
	if (c->tls_key)
		CU->easy_setopt(x.curl, CURLOPT_SSLKEY, c->tls_key);
	CU->easy_setopt(x.curl, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->upload_fd >= 0) {
		CU->easy_setopt(x.curl, CURLOPT_POST, 1L);
		CU->easy_setopt(x.curl, CURLOPT_READFUNCTION, on_read);
		CU->easy_setopt(x.curl, CURLOPT_READDATA, &x);
	} else if (req->body || strcmp(req->method, "POST") == 0) {
		CU->easy_setopt(x.curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		CU->easy_setopt(x.curl, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(req->body ? req->body_len : 0));
	}
	if (req->content_type) {
		char line[128];
		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		if (!(tmp = CU->slist_append(hdrs, line)))
			goto oom;
		hdrs = tmp;
	}
	/* Without this curl waits a second for "100 Continue" on big uploads. */
	if (!(tmp = CU->slist_append(hdrs, "Expect:")))
		goto oom;
	hdrs = tmp;
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		if (!(tmp = CU->slist_append(hdrs, req->headers[i])))
			goto oom;
		hdrs = tmp;
	}
	CU->easy_setopt(x.curl, CURLOPT_HTTPHEADER, hdrs);

	rc = CU->easy_perform(x.curl);
	CU->easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &status);
	if (resp)
		resp->status = status;
	if (x.cb_error == -ECANCELED) {
		r = drover_err_set(err, -ECANCELED, "docker: %s %s: cancelled", req->method, req->path);
	} else if (x.overflow) {
		r = drover_err_set(err, -EFBIG,
		                   "docker: %s %s: the answer is larger than %zu bytes, refusing it",
		                   req->method, req->path, x.max);
	} else if (x.cb_error) {
		/* The callback's own message is already in err when it had one. */
		r = x.cb_error;
		if (err && !err->message[0])
			drover_err_set(err, r, "docker: %s %s: %s", req->method, req->path,
			               strerror(-r));
	} else if (rc != CURLE_OK) {
		r = curl_code(rc);
		if (rc == CURLE_COULDNT_CONNECT && c->unix_path && access(c->unix_path, F_OK) != 0)
			r = -ENOENT;
		drover_err_set(err, r,
		               "docker: %s %s on %s: %s: is dockerd running and the endpoint right?",
		               req->method, req->path, c->endpoint,
		               errbuf[0] ? errbuf : CU->easy_strerror(rc));
	} else if (!((status >= 200 && status < 300) || status == 304)) {
		char msg[300];
		daemon_message(x.buf, x.len, msg, sizeof(msg));
		r = drover_err_set(err, status_code(status), "docker: %s %s: %s (HTTP %ld)",
		                   req->method, req->path, msg[0] ? msg : "no message", status);
	}
	if (resp) {
		resp->body = x.buf;
		resp->len = x.len;
		x.buf = NULL;
	}
	free(x.buf);
	CU->slist_free_all(hdrs);
	CU->easy_cleanup(x.curl);
	free(url);
	return r;
oom:
	CU->slist_free_all(hdrs);
	CU->easy_cleanup(x.curl);
	free(url);
	return drover_err_set(err, -ENOMEM, "docker: out of memory");
}

/* "1.41" -> 41; -1 when it is not "1.<n>". */
static int parse_minor(const char *v)
{
	char *end;
	long m;

	if (!v || strncmp(v, "1.", 2) != 0)
		return -1;
	m = strtol(v + 2, &end, 10);
	if (*end || m < 0 || m > 1000)
		return -1;
	return (int)m;
}

int docker_version_parse(const char *body, size_t len, int *server, int *min, drover_err *err)
{
	yajl_val v = NULL;
	int r;

	if ((r = docker_json_parse(body, len, "the answer to GET /version", &v, err)) < 0)
		return r;
	*server = parse_minor(docker_json_str(v, "ApiVersion", NULL));
	*min = parse_minor(docker_json_str(v, "MinAPIVersion", NULL));
	yajl_tree_free(v);
	return 0;
}

int docker_client_negotiate(docker_client *c, docker_response *version, drover_err *err)
{
	docker_request req;
	int r, server, min;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = "/version";
	req.unversioned = 1;
	req.upload_fd = -1;
	req.timeout_ms = 10000;
	req.max_response = 64 * 1024;
	if ((r = docker_http_do(c, &req, version, err)) < 0) {
		docker_response_free(version);
		return r;
	}
	if ((r = docker_version_parse(version->body, version->len, &server, &min, err)) < 0) {
		docker_response_free(version);
		return r;
	}
	if (server < 0) {
		docker_response_free(version);
		return drover_err_set(err, -EPROTO,
		                      "docker: %s answered GET /version without a usable ApiVersion",
		                      c->endpoint);
	}
	if (server < DOCKER_API_MIN_MINOR || (min > DOCKER_API_MAX_MINOR)) {
		docker_response_free(version);
		return drover_err_set(err, -ENOTSUP,
		                      "docker: the daemon at %s speaks Engine API 1.%d (minimum 1.%d); "
		                      "drover needs 1.%d to 1.%d: upgrade Docker",
		                      c->endpoint, server, min < 0 ? server : min,
		                      DOCKER_API_MIN_MINOR, DOCKER_API_MAX_MINOR);
	}
	pthread_mutex_lock(&c->lock);
	c->api_minor = server < DOCKER_API_MAX_MINOR ? server : DOCKER_API_MAX_MINOR;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int docker_lines_feed(void *ud, const char *data, size_t len)
{
	docker_lines *l = ud;
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			int r = l->len ? l->on_line(l->ud, l->buf, l->len) : 0;
			l->len = 0;
			if (r < 0)
				return r;
			continue;
		}
		if (l->len + 2 > l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 1024;
			char *nb;
			if (l->len + 1 >= (l->max_line ? l->max_line : 1024 * 1024))
				return -EFBIG;
			nb = realloc(l->buf, cap);
			if (!nb)
				return -ENOMEM;
			l->buf = nb;
			l->cap = cap;
		}
		l->buf[l->len++] = data[i];
		l->buf[l->len] = '\0';
	}
	return 0;
}

int docker_lines_finish(docker_lines *l)
{
	int r = 0;

	if (l->len)
		r = l->on_line(l->ud, l->buf, l->len);
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
	return r;
}

/* ------------------------------------------------------------- hijacking */

static long long hijack_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hijack_wait(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events, .revents = 0 };
	long long left = deadline - hijack_mono_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	while ((n = poll(&pfd, 1, (int)left)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

ssize_t docker_hijack_recv(docker_hijack *h, char *buf, size_t len)
{
	size_t got = 0;
	CURLcode rc;

	if (h->early_len) {
		size_t n = h->early_len < len ? h->early_len : len;
		memcpy(buf, h->early, n);
		memmove(h->early, h->early + n, h->early_len - n);
		h->early_len -= n;
		return (ssize_t)n;
	}
	rc = CU->easy_recv(h->curl, buf, len, &got);
	if (rc == CURLE_AGAIN)
		return -EAGAIN;
	if (rc != CURLE_OK)
		return -EIO;
	return (ssize_t)got;
}

int docker_hijack_send(docker_hijack *h, const char *buf, size_t len)
{
	while (len) {
		size_t sent = 0;
		CURLcode rc = CU->easy_send(h->curl, buf, len, &sent);
		if (rc == CURLE_AGAIN) {
			int r = hijack_wait(h->fd, POLLOUT, hijack_mono_ms() + DOCKER_DEFAULT_TIMEOUT_MS);
			if (r < 0)
				return r;
			continue;
		}
		if (rc != CURLE_OK)
			return -EPIPE;
		buf += sent;
		len -= sent;
	}
	return 0;
}

void docker_hijack_close_write(docker_hijack *h)
{
	/* TLS has no half-close: the command keeps its stdin until it ends. */
	if (!h->tls && h->fd >= 0)
		shutdown(h->fd, SHUT_WR);
}

void docker_hijack_free(docker_hijack *h)
{
	if (h->curl)
		CU->easy_cleanup(h->curl);
	free(h->early);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

int docker_http_hijack(docker_client *c, const char *path, const char *body,
                       long long timeout_ms, docker_hijack *h, drover_err *err)
{
	char url[512], *req = NULL, head[16384];
	size_t head_len = 0;
	curl_socket_t sock = CURL_SOCKET_BAD;
	long long deadline = hijack_mono_ms() +
	                     (timeout_ms > 0 ? timeout_ms : DOCKER_DEFAULT_TIMEOUT_MS);
	const char *end = NULL;
	int minor, r, status = 0;
	CURLcode rc;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (!docker_curl(err))
		return -ELIBACC;
	if ((minor = api_minor(c)) == 0) {
		docker_response v = { 0, NULL, 0 };
		if ((r = docker_client_negotiate(c, &v, err)) < 0)
			return r;
		docker_response_free(&v);
		minor = api_minor(c);
	}
	snprintf(url, sizeof(url), "%s/v1.%d%s", c->base_url, minor, path);
	if (!(h->curl = CU->easy_init()))
		return drover_err_set(err, -ENOMEM, "docker: cannot create a curl handle");
	CU->easy_setopt(h->curl, CURLOPT_URL, url);
	CU->easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	CU->easy_setopt(h->curl, CURLOPT_CONNECT_ONLY, 1L);
	CU->easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	if (c->unix_path)
		CU->easy_setopt(h->curl, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	if (c->tls_ca)
		CU->easy_setopt(h->curl, CURLOPT_CAINFO, c->tls_ca);
	if (c->tls_cert)
		CU->easy_setopt(h->curl, CURLOPT_SSLCERT, c->tls_cert);
	if (c->tls_key)
		CU->easy_setopt(h->curl, CURLOPT_SSLKEY, c->tls_key);
	h->tls = strncmp(c->base_url, "https:", 6) == 0;
	if ((rc = CU->easy_perform(h->curl)) != CURLE_OK ||
	    CU->easy_getinfo(h->curl, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD) {
		r = drover_err_set(err, rc == CURLE_OK ? -EIO : curl_code(rc),
		                   "POST %s: cannot connect to %s: %s", path, c->endpoint,
		                   CU->easy_strerror(rc));
		docker_hijack_free(h);
		return r;
	}
	h->fd = (int)sock;
	if (asprintf(&req,
	             "POST /v1.%d%s HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
	             "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: %zu\r\n\r\n%s",
	             minor, path, strlen(body), body) < 0) {
		docker_hijack_free(h);
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	}
	r = docker_hijack_send(h, req, strlen(req));
	free(req);
	while (r == 0 && !end) {
		size_t got = 0;
		if (head_len + 1 >= sizeof(head)) {
			r = -EPROTO;
			break;
		}
		rc = CU->easy_recv(h->curl, head + head_len, sizeof(head) - 1 - head_len, &got);
		if (rc == CURLE_AGAIN) {
			r = hijack_wait(h->fd, POLLIN, deadline);
			continue;
		}
		if (rc != CURLE_OK || got == 0) {
			r = -EPROTO;
			break;
		}
		head_len += got;
		head[head_len] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (r < 0) {
		docker_hijack_free(h);
		return drover_err_set(err, r, "POST %s: %s", path,
		                      r == -ETIMEDOUT ? "the daemon did not answer in time"
		                                      : "the daemon's answer was not HTTP");
	}
	if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	if (status != 101 && status != 200) {
		/* The body (the daemon's message) may follow the headers. */
		const char *msg = end + 4;
		r = drover_err_set(err, status == 404 ? -ENOENT : status == 409 ? -EEXIST : -EIO,
		                   "POST %s: the daemon answered %d%s%.300s", path, status,
		                   *msg ? ": " : "", msg);
		docker_hijack_free(h);
		return r;
	}
	h->early_len = head_len - (size_t)(end + 4 - head);
	if (h->early_len) {
		if (!(h->early = malloc(h->early_len))) {
			docker_hijack_free(h);
			return drover_err_set(err, -ENOMEM, "docker: out of memory");
		}
		memcpy(h->early, end + 4, h->early_len);
	}
	return 0;
}
