/* Finding what is left of a task whose handle is lost or damaged: the pids
 * file drover-shim writes into the task's state directory (read by the
 * host's proc_find, see drover/driver.h) names the task and the shim, with
 * their start times so that a reused pid is never mistaken for them. */
#ifndef PLUGIN_LEFTOVERS_H
#define PLUGIN_LEFTOVERS_H

#include <drover/driver.h>

/* The task's private state directory (drover_task_config.state_dir, ABI
 * 1.2), or NULL when the host gave none. */
const char *plugin_state_dir(const drover_task_config *cfg);

/* SIGKILLs the task's process group when the task is still the recorded
 * process; 1 when something was killed, 0 when nothing of it was left. */
int plugin_leftovers_kill_task(const drover_proc *proc);

/* What recover does with a task whose handle is lost or damaged (the
 * recovery rule: never two copies): kills what is left of it, found through
 * the shim's pids file in `state_dir` (the task's process group, then the
 * shim, whose exit is waited for through the host's proc_stop) and through
 * `cg` (may be NULL) when its cgroup is known. Returns `r` with `err` (which
 * holds the reason the handle was refused) extended by what was done:
 * "...; what was left of it was killed (pid N, drover-shim pid M)" or
 * "...; nothing of it was left running". `killed` (may be NULL) tells which. */
struct plugin_cgroup;
int plugin_leftovers_clean(const drover_host *host, const char *state_dir,
                           struct plugin_cgroup *cg, int r, drover_err *err, int *killed,
                           drover_proc *found);

#endif
