/* Reading a container's state (see docker_state.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_json.h"
#include "docker_state.h"

long long docker_parse_time_ms(const char *s)
{
	struct tm tm;
	const char *p;
	long long ms = 0;
	time_t t;

	if (!s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || tm.tm_year < 71)
		return 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return 0;
	/* Docker reports UTC ("Z"); an offset would be a daemon we do not know. */
	return (long long)t * 1000 + ms;
}

int docker_state_read(docker_client *c, const char *container_id, docker_state *out,
                      drover_err *err)
{
	docker_request req;
	docker_response resp;
	char path[128];
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/containers/%.64s/json", container_id);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == -ENOENT && resp.status == 404) {
		docker_response_free(&resp);
		return 0; /* exists = 0 */
	}
	if (r == 0)
		r = docker_state_parse(resp.body, resp.len, out, err);
	docker_response_free(&resp);
	return r;
}

int docker_container_remove(docker_client *c, const char *ref, drover_err *err)
{
	docker_request req;
	docker_response resp;
	char path[400];
	int r;

	/* An id, or a container name (up to a task name and an alloc id). */
	if (snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", ref) >= (int)sizeof(path))
		return drover_err_set(err, -ENAMETOOLONG, "docker: container name \"%.64s...\" is "
		                      "too long", ref);
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == -ENOENT && resp.status == 404)
		r = 0;
	docker_response_free(&resp);
	return r;
}

int docker_state_parse(const char *body, size_t len, docker_state *out, drover_err *err)
{
	yajl_val v = NULL;
	long long n;
	const char *s;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = docker_json_parse(body, len, "the container inspection", &v, err)) < 0)
		return r;
	out->exists = 1;
	out->running = docker_json_bool(v, "State", "Running", NULL) ||
	               docker_json_bool(v, "State", "Restarting", NULL);
	out->oom_killed = docker_json_bool(v, "State", "OOMKilled", NULL);
	if (docker_json_int(&n, v, "State", "Pid", NULL) == 0)
		out->pid = (int)n;
	if (docker_json_int(&n, v, "State", "ExitCode", NULL) == 0)
		out->exit_code = (int)n;
	out->started_at_ms = docker_parse_time_ms(docker_json_str(v, "State", "StartedAt", NULL));
	out->finished_at_ms = docker_parse_time_ms(docker_json_str(v, "State", "FinishedAt", NULL));
	if ((s = docker_json_str(v, "State", "Status", NULL)))
		snprintf(out->status, sizeof(out->status), "%s", s);
	if ((s = docker_json_str(v, "State", "Error", NULL)))
		snprintf(out->error, sizeof(out->error), "%s", s);
	if ((s = docker_json_str(v, "Image", NULL)) && strlen(s) < sizeof(out->image))
		snprintf(out->image, sizeof(out->image), "%s", s);
	/* "created" never ran: it is not running, but it has not exited either. */
	if (strcmp(out->status, "created") == 0)
		out->running = 1;
	yajl_tree_free(v);
	return 0;
}
