#include "plugin_leftovers.h"

#include <errno.h>
#include <stddef.h>
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

const char *plugin_state_dir(const drover_task_config *cfg)
{
	if (!cfg || cfg->struct_size < offsetof(drover_task_config, state_dir) + sizeof(cfg->state_dir))
		return NULL;
	return cfg->state_dir && cfg->state_dir[0] == '/' ? cfg->state_dir : NULL;
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
		return drover_err_set(err, r, "%.900s; no state directory was given to look for "
		                      "what is left of it", why);
	}
	if (host && host->struct_size >= offsetof(drover_host, proc_find) + sizeof(host->proc_find) &&
	    host->proc_find && host->proc_find(host->host_data, state_dir, &p, &ignored) == 0) {
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
