/* drover-docker-logger: follows one container's log stream through the Engine
 * API and copies its stdout and stderr to its own, so that the drover-shim it
 * runs under writes them into the task's rotated alloc/logs files exactly as it
 * does for raw_exec tasks. It outlives a restart of the host (the shim is
 * detached) and survives a restart of the daemon: it reconnects with
 * since=<last timestamp> and drops what it already copied. It exits when the
 * container is no longer running and its last lines are copied.
 *
 *   drover-docker-logger [--tls-ca F --tls-cert F --tls-key F] ENDPOINT CONTAINER_ID
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docker_curl.h"

#include "docker_http.h"
#include "docker_json.h"
#include "docker_logstream.h"

/* How long to wait before asking an absent daemon again. */
#define RETRY_MS 500

static void msg(const char *text)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "drover-docker-logger: %s", text);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere else to say it. */
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int emit(void *ud, int stream, const char *data, size_t len)
{
	(void)ud;
	return write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* 1 running, 0 stopped, -ENOENT gone, other <0: the daemon did not answer.
 * *tty from Config.Tty. */
static int container_state(docker_client *c, const char *id, int *tty, drover_err *err)
{
	char path[160];
	docker_request req;
	docker_response resp;
	yajl_val v = NULL;
	int r;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the container inspection", &v, err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	if (tty)
		*tty = docker_json_bool(v, "Config", "Tty", NULL);
	r = docker_json_bool(v, "State", "Running", NULL) ||
	    docker_json_bool(v, "State", "Restarting", NULL);
	yajl_tree_free(v);
	return r;
}

static int follow(docker_client *c, const char *id, docker_logstream *ls, int follow_it,
                  drover_err *err)
{
	char path[256], since[48];
	docker_request req;
	docker_response resp;
	int r;

	docker_logstream_since(ls, since, sizeof(since));
	snprintf(path, sizeof(path),
	         "/containers/%s/logs?follow=%d&stdout=1&stderr=1&timestamps=1&since=%s", id,
	         follow_it, since);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	req.timeout_ms = -1;
	req.on_chunk = docker_logstream_feed;
	req.ud = ls;
	r = docker_http_do(c, &req, &resp, err);
	docker_response_free(&resp);
	/* A stream cut in the middle of an entry: the reconnection repeats it whole. */
	if (r < 0)
		ls->len = ls->header_len = ls->want = 0;
	else
		r = docker_logstream_flush(ls);
	return r;
}

int main(int argc, char **argv)
{
	const char *ca = NULL, *cert = NULL, *key = NULL, *endpoint, *id;
	docker_client client;
	docker_logstream ls;
	drover_err err = { "" };
	int i = 1, tty = 0, r;

	signal(SIGPIPE, SIG_IGN);
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--tls-ca") == 0)
			ca = argv[i + 1];
		else if (strcmp(argv[i], "--tls-cert") == 0)
			cert = argv[i + 1];
		else if (strcmp(argv[i], "--tls-key") == 0)
			key = argv[i + 1];
		else
			break;
	}
	if (argc - i != 2) {
		msg("usage: drover-docker-logger [--tls-ca F --tls-cert F --tls-key F] ENDPOINT "
		    "CONTAINER_ID");
		return 2;
	}
	endpoint = argv[i];
	id = argv[i + 1];
	if (!docker_curl(&err) || docker_client_init(&client, endpoint, ca, cert, key, &err) < 0) {
		msg(err.message[0] ? err.message : "libcurl failed to initialize");
		return 1;
	}
	/* The daemon may be away right now: wait for it to tell the tty mode. */
	while ((r = container_state(&client, id, &tty, &err)) < 0 && r != -ENOENT)
		sleep_ms(RETRY_MS);
	if (r == -ENOENT) {
		char text[200];
		snprintf(text, sizeof(text), "container %.12s does not exist: no logs to follow", id);
		msg(text);
		docker_client_free(&client);
		return 1;
	}
	docker_logstream_init(&ls, tty, emit, NULL);
	for (;;) {
		r = follow(&client, id, &ls, 1, &err);
		if (r == -EPIPE)
			break;
		if (r < 0)
			sleep_ms(RETRY_MS / 5); /* never spin on a daemon that hangs up at once */
		while ((r = container_state(&client, id, NULL, &err)) < 0 && r != -ENOENT)
			sleep_ms(RETRY_MS);
		if (r == 1)
			continue;
		/* Stopped (or removed): whatever the broken stream may have missed. */
		if (r == 0)
			follow(&client, id, &ls, 0, &err);
		break;
	}
	docker_logstream_free(&ls);
	docker_client_free(&client);
	return 0;
}
