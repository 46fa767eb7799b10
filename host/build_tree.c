#include "config.h"

#include "build_tree.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static char plugin_dir[PATH_MAX];

static int is_file(const char *top, const char *rel, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", top, rel);
	return n > 0 && (size_t)n < len && access(out, F_OK) == 0;
}

int drover_build_tree_setup(void)
{
	char exe[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	/* A libtool wrapper runs host/.libs/lt-drover; the tree is the same. */
	char *slash = strrchr(exe, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	size_t len = strlen(exe);
	if (len >= 6 && strcmp(exe + len - 6, "/.libs") == 0)
		exe[len - 6] = '\0';
	len = strlen(exe);
	if (len < 5 || strcmp(exe + len - 5, "/host") != 0)
		return 0;
	exe[len - 5] = '\0';
	const char *top = exe[0] ? exe : "/";
	if (!is_file(top, "config.status", path, sizeof(path)) ||
	    !is_file(top, "host/shim/drover-shim", path, sizeof(path)))
		return 0;
	if (!getenv("DROVER_SHIM"))
		drover_proc_set_shim_path(path);
	/* The drivers read these when they start a task; a plugin gets no other
	 * channel from the host for where its helper lives. */
	if (is_file(top, "plugins/exec/drover-exec-init", path, sizeof(path)))
		setenv("DROVER_EXEC_INIT", path, 0);
	if (is_file(top, "plugins/docker/drover-docker-logger", path, sizeof(path)))
		setenv("DROVER_DOCKER_LOGGER", path, 0);
	snprintf(plugin_dir, sizeof(plugin_dir), "%s/tests/plugins.d", top);
	return 1;
}

const char *drover_build_tree_plugin_dir(void)
{
	return plugin_dir[0] ? plugin_dir : NULL;
}
