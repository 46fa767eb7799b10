/* exec inside a container (see docker_exec.h). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docker_exec.h"
#include "docker_json.h"
#include "docker_logstream.h"

/* After the output stream closed, how long the daemon may take to record the
 * exit code. */
#define EXIT_CODE_WAIT_MS 5000

typedef struct exec_out {
	int out_fd, err_fd;
} exec_out;

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
	exec_out *o = ud;
	int fd = stream == 2 ? o->err_fd : o->out_fd;
	return fd >= 0 ? write_all(fd, data, len) : 0;
}

static char *create_body(const drover_exec_request *req)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	int bad = 0;
	char *body;

	if (!g)
		return NULL;
	bad |= yajl_gen_map_open(g);
	bad |= docker_gen_key_bool(g, "AttachStdin", req->stdin_fd >= 0);
	bad |= docker_gen_key_bool(g, "AttachStdout", 1);
	bad |= docker_gen_key_bool(g, "AttachStderr", 1);
	bad |= docker_gen_key_bool(g, "Tty", req->tty != 0);
	bad |= docker_gen_key(g, "Cmd");
	bad |= yajl_gen_array_open(g);
	for (size_t i = 0; req->argv[i]; i++)
		bad |= docker_gen_str(g, req->argv[i]);
	bad |= yajl_gen_array_close(g);
	if (req->env && req->env[0]) {
		bad |= docker_gen_key(g, "Env");
		bad |= yajl_gen_array_open(g);
		for (size_t i = 0; req->env[i]; i++)
			bad |= docker_gen_str(g, req->env[i]);
		bad |= yajl_gen_array_close(g);
	}
	bad |= yajl_gen_map_close(g);
	body = bad ? NULL : docker_gen_take(g, NULL);
	yajl_gen_free(g);
	return body;
}

static int post_json(docker_client *c, const char *path, const char *body, long long timeout_ms,
                     docker_chunk_fn on_chunk, void *ud, docker_response *resp, drover_err *err)
{
	docker_request req;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = path;
	req.upload_fd = -1;
	req.body = body;
	req.body_len = strlen(body);
	req.content_type = "application/json";
	req.timeout_ms = timeout_ms;
	req.on_chunk = on_chunk;
	req.ud = ud;
	return docker_http_do(c, &req, resp, err);
}

/* GET /exec/{id}/json: *running, *exit_code, *pid. */
static int exec_state(docker_client *c, const char *exec_id, int *running, int *exit_code,
                      int *pid, drover_err *err)
{
	char path[160];
	docker_request req;
	docker_response resp;
	yajl_val v = NULL;
	long long n;
	int r;

	snprintf(path, sizeof(path), "/exec/%s/json", exec_id);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the exec inspection", &v, err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	*running = docker_json_bool(v, "Running", NULL);
	*exit_code = docker_json_int(&n, v, "ExitCode", NULL) == 0 ? (int)n : -1;
	*pid = docker_json_int(&n, v, "Pid", NULL) == 0 ? (int)n : 0;
	yajl_tree_free(v);
	return 0;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The command's stdin comes from req->stdin_fd: the exec is started on a
 * hijacked connection that carries stdin one way and the output back, as
 * `docker exec -i` does (and Nomad's ExecTaskStreaming). */
static int stream_hijacked(docker_client *c, const char *exec_id, const drover_exec_request *req,
                           docker_logstream *ls, drover_err *err)
{
	char path[200], buf[16384];
	docker_hijack h;
	int in_open = 1, r = 0;
	long long deadline = req->timeout_ms > 0 ? mono_ms() + req->timeout_ms : 0;

	snprintf(path, sizeof(path), "/exec/%s/start", exec_id);
	if ((r = docker_http_hijack(c, path, req->tty ? "{\"Detach\":false,\"Tty\":true}"
	                                              : "{\"Detach\":false,\"Tty\":false}",
	                            0, &h, err)) < 0)
		return r;
	for (;;) {
		/* Whatever the connection already holds first: with TLS it may sit in
		 * curl's buffers where poll cannot see it. */
		ssize_t n = docker_hijack_recv(&h, buf, sizeof(buf));
		if (n > 0) {
			if ((r = docker_logstream_feed(ls, buf, (size_t)n)) < 0)
				break;
			continue;
		}
		if (n == 0)
			break;
		if (n != -EAGAIN) {
			r = drover_err_set(err, -EIO, "exec: the connection to the daemon broke");
			break;
		}
		struct pollfd pfd[2] = { { .fd = h.fd, .events = POLLIN, .revents = 0 },
			                 { .fd = req->stdin_fd, .events = POLLIN, .revents = 0 } };
		int timeout = -1;
		if (deadline) {
			long long left = deadline - mono_ms();
			if (left <= 0) {
				r = -ETIMEDOUT;
				break;
			}
			timeout = (int)left;
		}
		int ready = poll(pfd, in_open ? 2 : 1, timeout);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			r = drover_err_set(err, -errno, "exec: poll: %s", strerror(errno));
			break;
		}
		if (ready == 0)
			continue; /* the deadline check above ends it */
		if (in_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = read(req->stdin_fd, buf, sizeof(buf));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				in_open = 0;
				docker_hijack_close_write(&h);
			} else if (docker_hijack_send(&h, buf, (size_t)got) < 0) {
				/* The command closed its stdin or ended: its output still counts. */
				in_open = 0;
			}
		}
	}
	docker_hijack_free(&h);
	return r;
}

int docker_exec_run(docker_client *c, const char *container_id, const drover_exec_request *req,
                    int *exit_code, drover_err *err)
{
	char path[200], exec_id[DOCKER_EXEC_ID_MAX + 1], *body;
	docker_response resp;
	docker_logstream ls;
	exec_out out;
	yajl_val v = NULL;
	const char *id;
	int r, running = 1, code = -1, pid = 0;
	long long end;

	if (!req->argv || !req->argv[0] || !req->argv[0][0])
		return drover_err_set(err, -EINVAL, "exec: no command given");
	if (!(body = create_body(req)))
		return drover_err_set(err, -ENOMEM, "exec: out of memory");
	snprintf(path, sizeof(path), "/containers/%s/exec", container_id);
	r = post_json(c, path, body, 0, NULL, NULL, &resp, err);
	free(body);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the answer to exec create", &v, err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	id = docker_json_str(v, "Id", NULL);
	if (!id || strlen(id) > DOCKER_EXEC_ID_MAX || strspn(id, "0123456789abcdef") != strlen(id)) {
		yajl_tree_free(v);
		return drover_err_set(err, -EPROTO, "exec: the daemon answered no valid exec Id");
	}
	snprintf(exec_id, sizeof(exec_id), "%s", id);
	yajl_tree_free(v);

	/* Without "Upgrade: tcp" the daemon answers 200 and streams the output
	 * until the command ends, then closes: a plain body for libcurl. */
	out.out_fd = req->stdout_fd;
	out.err_fd = req->stderr_fd;
	docker_logstream_init(&ls, req->tty != 0, emit, &out);
	ls.raw = 1;
	snprintf(path, sizeof(path), "/exec/%s/start", exec_id);
	if (req->stdin_fd >= 0) {
		r = stream_hijacked(c, exec_id, req, &ls, err);
	} else {
		r = post_json(c, path, req->tty ? "{\"Detach\":false,\"Tty\":true}"
		                                 : "{\"Detach\":false,\"Tty\":false}",
		              req->timeout_ms > 0 ? req->timeout_ms : -1, docker_logstream_feed, &ls,
		              &resp, err);
		docker_response_free(&resp);
	}
	if (r == 0)
		r = docker_logstream_flush(&ls);
	docker_logstream_free(&ls);
	if (r == -ETIMEDOUT) {
		/* The daemon has no call to end an exec: its process is ours to kill. */
		if (exec_state(c, exec_id, &running, &code, &pid, NULL) == 0 && running && pid > 0)
			kill(pid, SIGKILL);
		return drover_err_set(err, -ETIMEDOUT, "exec: \"%s\" still ran after %lld ms: killed",
		                      req->argv[0], req->timeout_ms);
	}
	if (r < 0)
		return r;
	end = mono_ms() + EXIT_CODE_WAIT_MS;
	for (;;) {
		if ((r = exec_state(c, exec_id, &running, &code, &pid, err)) < 0)
			return r;
		if (!running)
			break;
		if (mono_ms() > end)
			return drover_err_set(err, -EIO, "exec: \"%s\": the output ended but the daemon "
			                      "still reports the command running",
			                      req->argv[0]);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	*exit_code = code;
	return 0;
}
