/* The network handle (see docker_network.h); apart from the rest so that
 * tests read it without a daemon. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_handle.h"
#include "docker_network.h"

#define HANDLE_MAGIC "drover-docker-net"
#define HANDLE_VERSION 1

int docker_network_handle_encode(const char *container_id, void **data, size_t *len)
{
	size_t cap = sizeof(HANDLE_MAGIC) + DOCKER_ID_MAX + 16;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	*len = (size_t)snprintf(buf, cap, "%s %d\n%s\n", HANDLE_MAGIC, HANDLE_VERSION, container_id);
	*data = buf;
	return 0;
}

int docker_network_handle_decode(const void *data, size_t len, char *container_id,
                                 drover_err *err)
{
	char text[sizeof(HANDLE_MAGIC) + DOCKER_ID_MAX + 16], id[DOCKER_ID_MAX + 2];
	int version, used = 0;

	if (!data || len == 0 || len >= sizeof(text) || memchr(data, '\0', len))
		return drover_err_set(err, -EINVAL, "docker: the network handle is empty, too long or "
		                      "not text (%zu bytes)", len);
	memcpy(text, data, len);
	text[len] = '\0';
	if (sscanf(text, HANDLE_MAGIC " %d\n", &version) != 1)
		return drover_err_set(err, -EINVAL, "docker: the network handle is not a docker "
		                      "network handle");
	if (version != HANDLE_VERSION)
		return drover_err_set(err, -ENOTSUP, "docker: network handle version %d is not one this "
		                      "driver reads (%d)", version, HANDLE_VERSION);
	/* sscanf's "\n" matches any white space, none included: the final
	 * newline is checked by hand, so that a truncated handle is refused. */
	if (sscanf(text, HANDLE_MAGIC " %*d\n%65[0-9a-f]\n%n", id, &used) != 1 ||
	    (size_t)used != len || text[len - 1] != '\n' || strlen(id) != DOCKER_ID_MAX)
		return drover_err_set(err, -EINVAL, "docker: the network handle is malformed");
	memcpy(container_id, id, DOCKER_ID_MAX + 1);
	return 0;
}
