/* See docker_dns.h. */
#include <config.h>

#include "docker_dns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_resolv.h"

int docker_dns_managed(const drover_task_config *cfg)
{
	return plugin_resolv_wanted(cfg);
}

int docker_dns_bind(const drover_task_config *cfg, const char *label, char **line,
                    drover_err *err)
{
	char *path = NULL;
	int r;

	*line = NULL;
	if (!plugin_resolv_wanted(cfg))
		return 0;
	if ((r = plugin_resolv_write(cfg, &path, err)) < 0)
		return r;
	/* A Binds entry is split at ':' and ','; the state directory is the
	 * host's, but its path is the operator's choice. */
	if (strpbrk(path, ":,")) {
		r = drover_err_set(err, -EINVAL, "the task's resolv.conf \"%.200s\" cannot be "
		                   "bound: its path holds ':' or ','",
		                   path);
		free(path);
		return r;
	}
	r = asprintf(line, "%s:/etc/resolv.conf:ro%s%s", path, label ? "," : "",
	             label ? label : "");
	free(path);
	if (r < 0) {
		*line = NULL;
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}
