#include "plugin_leftovers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugin_cgroup.h"
#include "plugin_stats.h"

/* A cgroup whose tasks ignore nothing (SIGKILL) empties fast; past this the
 * clean-up gives up on it. */
#define CGROUP_LEFTOVERS_KILL_TIMEOUT_MS 10000

int plugin_leftovers_read(const char *state_dir, drover_proc *proc)
{
	char path[DROVER_PATH_MAX + 16], buf[128], tail;
	drover_proc out;
	ssize_t n;
	int fd;

	if (!state_dir || state_dir[0] != '/' || strlen(state_dir) >= sizeof(out.state_dir))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", state_dir, PLUGIN_PIDS_FILE);
	/* O_NOFOLLOW: the task owns its directory and could plant a link. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EINVAL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	if (sscanf(buf, "%d %llu %d %llu%c", &out.pid, &out.pid_start_time, &out.shim_pid,
	           &out.shim_start_time, &tail) != 5 ||
	    tail != '\n' || out.pid <= 0 || out.shim_pid <= 0 || out.pid_start_time == 0 ||
	    out.shim_start_time == 0)
		return -EINVAL;
	snprintf(out.state_dir, sizeof(out.state_dir), "%s", state_dir);
	*proc = out;
	return 0;
}

int plugin_leftovers_clean(const drover_host *host, const char *state_dir,
                           struct plugin_cgroup *cg, int r, drover_err *err, int *killed,
                           drover_proc *found)
{
	char why[DROVER_ERR_MESSAGE_MAX];
	drover_proc p;
	drover_err ignored = {{0}};
	int any = 0;

	memset(&p, 0, sizeof(p));
	snprintf(why, sizeof(why), "%s", err ? err->message : "");
	if (!state_dir) {
		if (killed)
			*killed = 0;
		return drover_err_set(err, r, "%.900s; no task directory was given to look for "
		                      "what is left of it", why);
	}
	if (plugin_leftovers_read(state_dir, &p) == 0) {
		any |= plugin_stats_alive(p.shim_pid, p.shim_start_time);
		any |= plugin_leftovers_kill_task(&p);
		/* Returns once the shim has recorded the exit and killed the rest. */
		if (host && host->proc_stop)
			host->proc_stop(host->host_data, &p, SIGKILL, 0, &ignored);
	}
	if (cg) {
		plugin_cgroup_kill(cg, CGROUP_LEFTOVERS_KILL_TIMEOUT_MS, NULL);
		plugin_cgroup_remove(cg, NULL);
	}
	if (killed)
		*killed = any;
	if (found)
		*found = p;
	if (any)
		return drover_err_set(err, r, "%.800s; what was left of it was killed (pid %d, "
		                      "drover-shim pid %d)",
		                      why, p.pid, p.shim_pid);
	return drover_err_set(err, r, "%.900s; nothing of it was left running", why);
}

int plugin_leftovers_kill_task(const drover_proc *proc)
{
	if (!plugin_stats_alive(proc->pid, proc->pid_start_time))
		return 0;
	/* The task leads its process group (the shim made it so). */
	if (kill(-proc->pid, SIGKILL) < 0)
		kill(proc->pid, SIGKILL);
	return 1;
}
