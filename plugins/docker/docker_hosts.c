/* See docker_hosts.h. */
#include <config.h>

#include "docker_hosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_handle.h"
#include "docker_network.h"
#include "plugin_hosts.h"

/* Docker's short id: what it sets as the host name of a container given
 * none. */
#define SHORT_ID_LEN 12

/* The host name of the task's namespace into `buf`; 0 when there is none
 * to tell (no Hostname, and no pause container id in the network's handle). */
static int hostname_of(const drover_task_config *cfg, char *buf, size_t len)
{
	const drover_network *n = docker_network_of(cfg);
	char id[DOCKER_ID_MAX + 1];

	if (!n)
		return 0;
	if (n->struct_size >= offsetof(drover_network, hostname) + sizeof(n->hostname) &&
	    n->hostname && n->hostname[0]) {
		snprintf(buf, len, "%s", n->hostname);
		return 1;
	}
	if (n->struct_size < offsetof(drover_network, created_handle_len) +
	                         sizeof(n->created_handle_len) ||
	    docker_network_handle_decode(n->created_handle, n->created_handle_len, id, NULL) < 0)
		return 0;
	snprintf(buf, len, "%.*s", SHORT_ID_LEN, id);
	return 1;
}

int docker_hosts_managed(const drover_task_config *cfg)
{
	char name[256];

	return docker_network_of(cfg) && plugin_hosts_address(cfg) &&
	       hostname_of(cfg, name, sizeof(name));
}

int docker_hosts_bind(const drover_task_config *cfg, const char *label, char **line,
                      drover_err *err)
{
	const drover_value *hosts = drover_value_get(cfg->config, "extra_hosts");
	const char **extra = NULL;
	char name[256], *path = NULL;
	size_t n = 0;
	int r;

	*line = NULL;
	if (!docker_hosts_managed(cfg))
		return 0;
	hostname_of(cfg, name, sizeof(name));
	if (hosts && hosts->type == DROVER_VALUE_ARRAY) {
		extra = calloc(hosts->u.array.count + 1, sizeof(*extra));
		if (!extra)
			return drover_err_set(err, -ENOMEM, "out of memory");
		for (n = 0; n < hosts->u.array.count; n++) {
			const drover_value *it = &hosts->u.array.items[n];
			if (it->type != DROVER_VALUE_STRING || strlen(it->u.string.ptr) != it->u.string.len) {
				free(extra);
				return drover_err_set(err, -EINVAL, "docker config \"extra_hosts\"[%zu] is "
				                      "not a \"host:IP\" string", n);
			}
			extra[n] = it->u.string.ptr;
		}
	}
	r = plugin_hosts_write(cfg, name, extra, "docker config \"extra_hosts\"", &path, err);
	free(extra);
	if (r < 0)
		return r;
	/* A Binds entry is split at ':' and ','; the state directory is the
	 * host's, but its path is the operator's choice. */
	if (strpbrk(path, ":,")) {
		r = drover_err_set(err, -EINVAL, "the task's hosts file \"%.200s\" cannot be "
		                   "bound: its path holds ':' or ','",
		                   path);
		free(path);
		return r;
	}
	r = asprintf(line, "%s:/etc/hosts:ro%s%s", path, label ? "," : "", label ? label : "");
	free(path);
	if (r < 0) {
		*line = NULL;
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}
