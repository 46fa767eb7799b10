/* Handle encoding (see docker_handle.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_handle.h"

int docker_handle_encode(const docker_handle_data *h, void **data, size_t *len)
{
	char *buf = malloc(160);
	int n;

	if (!buf)
		return -ENOMEM;
	n = snprintf(buf, 160, "drover-docker %d\n%s\n%lld\n", DOCKER_HANDLE_VERSION,
	             h->container_id, h->started_at_ms);
	*data = buf;
	*len = (size_t)n;
	return 0;
}

int docker_handle_decode(const void *data, size_t len, docker_handle_data *h, drover_err *err)
{
	char buf[256], id[DOCKER_ID_MAX + 2];
	int version, used = 0;
	long long started;

	if (!data || len == 0 || len >= sizeof(buf))
		return drover_err_set(err, -EINVAL, "docker: the task handle is empty or too long "
		                      "(%zu bytes)", len);
	memcpy(buf, data, len);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return drover_err_set(err, -EINVAL, "docker: the task handle holds a NUL byte");
	if (sscanf(buf, "drover-docker %d\n", &version) != 1)
		return drover_err_set(err, -EINVAL, "docker: the task handle is not a docker handle");
	if (version != DOCKER_HANDLE_VERSION)
		return drover_err_set(err, -ENOTSUP,
		                      "docker: task handle version %d is not one this driver reads "
		                      "(%d)",
		                      version, DOCKER_HANDLE_VERSION);
	if (sscanf(buf, "drover-docker %*d\n%65[0-9a-f]\n%lld\n%n", id, &started, &used) != 2 ||
	    (size_t)used != len || strlen(id) != DOCKER_ID_MAX || started < 0)
		return drover_err_set(err, -EINVAL, "docker: the task handle is malformed");
	memcpy(h->container_id, id, DOCKER_ID_MAX + 1);
	h->started_at_ms = started;
	return 0;
}
