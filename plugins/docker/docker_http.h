/* The Docker Engine API client: libcurl over the daemon's unix socket (or TCP,
 * with TLS when the tls block is given), the API version negotiated from
 * GET /version. Every call has a deadline and a cap on what it buffers, and a
 * failed call's message carries the daemon's own "message".
 *
 * Thread safety: a client may be used from several threads at once; each call
 * uses its own curl handle. */
#ifndef DROVER_DOCKER_HTTP_H
#define DROVER_DOCKER_HTTP_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include <drover/driver.h>

/* The newest and oldest Engine API versions this client speaks. */
#define DOCKER_API_MAX_MINOR 44
#define DOCKER_API_MIN_MINOR 40
/* Default cap on a buffered answer (container inspect of a big container is
 * well under this; anything larger is not an answer we asked for). */
#define DOCKER_MAX_RESPONSE (8u * 1024u * 1024u)
#define DOCKER_DEFAULT_TIMEOUT_MS 30000

typedef struct docker_client {
	char *endpoint;     /* as configured, for messages */
	char *unix_path;    /* unix socket, or NULL for TCP */
	char *base_url;     /* "http://localhost", "https://host:2376" */
	char *tls_ca, *tls_cert, *tls_key;
	pthread_mutex_t lock; /* protects api_minor */
	int api_minor;        /* negotiated 1.<minor>; 0 before the first /version */
	int lock_ready;
} docker_client;

/* endpoint: "unix:///path", "tcp://host:port", "http://..." or "https://...";
 * NULL or "" falls back to $DOCKER_HOST and then unix:///var/run/docker.sock.
 * The tls paths (each may be NULL) switch tcp:// to https with client certs. */
int docker_client_init(docker_client *c, const char *endpoint, const char *tls_ca,
                       const char *tls_cert, const char *tls_key, drover_err *err);
void docker_client_free(docker_client *c);

/* Return <0 from a chunk callback to abort the transfer with that code. */
typedef int (*docker_chunk_fn)(void *ud, const char *data, size_t len);

typedef struct docker_request {
	const char *method;       /* "GET", "POST", "DELETE" */
	const char *path;         /* "/containers/json?all=1": unversioned */
	int unversioned;          /* send `path` as is (for /version, /_ping) */
	const char *content_type; /* of `body`, or NULL */
	const char *body;
	size_t body_len;
	int upload_fd;            /* >= 0: stream the body from this file instead */
	const char *const *headers; /* extra "Name: value" lines, NULL-ended, or NULL */
	long long timeout_ms;     /* whole call; 0: DOCKER_DEFAULT_TIMEOUT_MS; <0: none */
	long long idle_timeout_ms;/* fail when no byte arrives for this long; 0: none */
	docker_chunk_fn on_chunk; /* stream a 2xx answer to this instead of buffering */
	void *ud;
	size_t max_response;      /* 0: DOCKER_MAX_RESPONSE */
	const volatile int *cancel; /* non-zero aborts the call (checked about every second) */
} docker_request;

typedef struct docker_response {
	long status;              /* HTTP status; 0 when nothing came back */
	char *body;               /* NUL-terminated (not for streamed 2xx answers) */
	size_t len;
} docker_response;

void docker_response_free(docker_response *r);

/* Performs the request. 0 for a 2xx or 304 answer. Otherwise a negative code
 * (-ECONNREFUSED/-ENOENT socket, -ETIMEDOUT, -EFBIG over the cap, -ENOENT 404,
 * -EEXIST 409, -EINVAL 400, -EACCES 401/403, -EIO other) with `err` saying
 * "<METHOD> <path>: <the daemon's message>". `resp` (may be NULL) gets the
 * status and body in every case. */
int docker_http_do(docker_client *c, const docker_request *req, docker_response *resp,
                   drover_err *err);

/* A hijacked connection (POST with "Upgrade: tcp"): after the daemon's 101
 * (or 200) answer, the socket carries the call's raw stream both ways, as
 * `docker exec -i` uses it. */
typedef struct docker_hijack {
	void *curl;               /* CURL *, connect-only */
	int fd;                   /* the socket, to poll */
	int tls;                  /* TLS: no half-close; data may wait in curl's buffers */
	char *early;              /* stream bytes that came with the answer's headers */
	size_t early_len;
} docker_hijack;

/* POSTs `body` (JSON) to `path` asking to upgrade, and reads the answer's
 * headers. 0 with `h` ready, else a negative code with the daemon's message. */
int docker_http_hijack(docker_client *c, const char *path, const char *body,
                       long long timeout_ms, docker_hijack *h, drover_err *err);
/* >0 bytes, 0 at the end of the stream, -EAGAIN when nothing is ready. */
ssize_t docker_hijack_recv(docker_hijack *h, char *buf, size_t len);
/* Sends everything (waits while the socket is full); 0 or a negative code. */
int docker_hijack_send(docker_hijack *h, const char *buf, size_t len);
/* Ends our side of the stream (the command's stdin sees EOF). */
void docker_hijack_close_write(docker_hijack *h);
void docker_hijack_free(docker_hijack *h);

/* GET /version: negotiates the API version (cached) and hands back the parsed
 * answer's raw body (free with docker_response_free). */
int docker_client_negotiate(docker_client *c, docker_response *version, drover_err *err);

/* Splits a stream of newline-delimited JSON into lines. */
typedef int (*docker_line_fn)(void *ud, const char *line, size_t len);
/* The answer to GET /version: the minor of "ApiVersion" and "MinAPIVersion"
 * ("1.43" -> 43; -1 when absent or not "1.<n>"); <0 when it is not JSON. */
int docker_version_parse(const char *body, size_t len, int *server, int *min, drover_err *err);

typedef struct docker_lines {
	char *buf;
	size_t len, cap;
	size_t max_line;          /* a longer line aborts with -EFBIG */
	docker_line_fn on_line;
	void *ud;
} docker_lines;
/* A docker_chunk_fn: pass a docker_lines as `ud`. */
int docker_lines_feed(void *ud, const char *data, size_t len);
/* Hands over a last unterminated line, and frees the buffer. */
int docker_lines_finish(docker_lines *l);

#endif
