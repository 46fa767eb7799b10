/* Handle encoding (see docker_handle.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_handle.h"

#define FIXED_MAX 400

int docker_handle_encode(const docker_handle_data *h, void **data, size_t *len)
{
	size_t dir_len = h->has_logger ? strnlen(h->logger.state_dir, sizeof(h->logger.state_dir))
	                               : 0;
	size_t cap = FIXED_MAX + dir_len;
	char *buf = malloc(cap);
	int n;

	if (!buf)
		return -ENOMEM;
	n = snprintf(buf, cap, "drover-docker %d\n%s\n%lld\n", DOCKER_HANDLE_VERSION,
	             h->container_id, h->started_at_ms);
	if (!h->has_logger) {
		n += snprintf(buf + n, cap - (size_t)n, "nologger\n");
	} else {
		n += snprintf(buf + n, cap - (size_t)n, "logger %d %d %llu %llu %lld %zu\n",
		              h->logger.pid, h->logger.shim_pid, h->logger.pid_start_time,
		              h->logger.shim_start_time, h->logger.started_at_ms, dir_len);
		memcpy(buf + n, h->logger.state_dir, dir_len);
		n += (int)dir_len;
		buf[n++] = '\n';
	}
	*data = buf;
	*len = (size_t)n;
	return 0;
}

static int malformed(drover_err *err)
{
	return drover_err_set(err, -EINVAL, "docker: the task handle is malformed");
}

/* The logger part of a version-2 handle, from `p` (n bytes) to the end. */
static int decode_logger(const char *p, size_t n, docker_handle_data *h, drover_err *err)
{
	char line[FIXED_MAX];
	const char *nl = memchr(p, '\n', n);
	size_t line_len, dir_len;
	int used = 0;

	if (!nl)
		return malformed(err);
	line_len = (size_t)(nl - p);
	if (line_len >= sizeof(line))
		return malformed(err);
	memcpy(line, p, line_len);
	line[line_len] = '\0';
	if (strcmp(line, "nologger") == 0)
		return line_len + 1 == n ? 0 : malformed(err);
	memset(&h->logger, 0, sizeof(h->logger));
	h->logger.struct_size = sizeof(h->logger);
	if (sscanf(line, "logger %d %d %llu %llu %lld %zu%n", &h->logger.pid, &h->logger.shim_pid,
	           &h->logger.pid_start_time, &h->logger.shim_start_time,
	           &h->logger.started_at_ms, &dir_len, &used) != 6 ||
	    (size_t)used != line_len || h->logger.pid <= 0 || h->logger.shim_pid <= 0 ||
	    dir_len == 0 || dir_len >= sizeof(h->logger.state_dir) ||
	    line_len + 1 + dir_len + 1 != n || p[n - 1] != '\n')
		return malformed(err);
	memcpy(h->logger.state_dir, nl + 1, dir_len);
	h->logger.state_dir[dir_len] = '\0';
	if (strlen(h->logger.state_dir) != dir_len)
		return malformed(err);
	h->has_logger = 1;
	return 0;
}

int docker_handle_decode(const void *data, size_t len, docker_handle_data *h, drover_err *err)
{
	char head[FIXED_MAX], id[DOCKER_ID_MAX + 2];
	const char *p = data;
	int version, used = 0, lines = 0;
	long long started;
	size_t head_len = 0;

	if (!data || len == 0 || len > FIXED_MAX + DROVER_PATH_MAX)
		return drover_err_set(err, -EINVAL, "docker: the task handle is empty or too long "
		                      "(%zu bytes)", len);
	/* The first three lines are text without NUL bytes. */
	while (head_len < len && head_len < sizeof(head) - 1 && lines < 3) {
		if (p[head_len] == '\0')
			return drover_err_set(err, -EINVAL, "docker: the task handle holds a NUL byte");
		if (p[head_len++] == '\n')
			lines++;
	}
	memcpy(head, p, head_len);
	head[head_len] = '\0';
	if (sscanf(head, "drover-docker %d\n", &version) != 1)
		return drover_err_set(err, -EINVAL, "docker: the task handle is not a docker handle");
	if (version != 1 && version != 2)
		return drover_err_set(err, -ENOTSUP,
		                      "docker: task handle version %d is not one this driver reads "
		                      "(1 to %d)",
		                      version, DOCKER_HANDLE_VERSION);
	if (lines != 3 ||
	    sscanf(head, "drover-docker %*d\n%65[0-9a-f]\n%lld\n%n", id, &started, &used) != 2 ||
	    (size_t)used != head_len || strlen(id) != DOCKER_ID_MAX || started < 0)
		return malformed(err);
	memset(h, 0, sizeof(*h));
	if (version == 1) {
		if (head_len != len)
			return malformed(err);
	} else {
		int r = decode_logger(p + head_len, len - head_len, h, err);
		if (r < 0)
			return r;
	}
	memcpy(h->container_id, id, DOCKER_ID_MAX + 1);
	h->started_at_ms = started;
	return 0;
}
