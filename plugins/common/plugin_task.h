/* The methods of a task supervised by drover-shim that raw_exec and exec
 * share word for word: wait_fd, wait, stop, the running part of destroy,
 * inspect, stats and signal. Each driver keeps its own struct drover_task and
 * hands over a view of the pieces these need. */
#ifndef PLUGIN_TASK_H
#define PLUGIN_TASK_H

#include <drover/driver.h>

#include "plugin_cgroup.h"

/* How long the cgroup of a stopped task may take to empty. */
#define PLUGIN_TASK_CGROUP_KILL_TIMEOUT_MS 10000

typedef struct plugin_task {
	const drover_host *host;
	const char *name;            /* for messages */
	drover_proc *proc;
	plugin_cgroup *cg;           /* version 0: the task has no cgroup */
	int *exited;                 /* *result is final */
	drover_exit_result *result;
} plugin_task;

/* 0 with *result final, -EAGAIN while the task runs. */
int plugin_task_poll(const plugin_task *t, drover_err *err);
int plugin_task_wait_fd(const plugin_task *t, drover_err *err);
int plugin_task_wait(const plugin_task *t, int flags, drover_exit_result *res, drover_err *err);
/* proc_stop, then whatever escaped the shim's process group in the cgroup. */
int plugin_task_stop(const plugin_task *t, int signo, long long timeout_ms, drover_err *err);
/* destroy up to freeing the driver's struct: -EBUSY for a running task
 * without force; kills it with force; removes the cgroup (a failure there is
 * logged as a warning and ignored). */
int plugin_task_destroy(const plugin_task *t, int force, drover_err *err);
int plugin_task_inspect(const plugin_task *t, drover_task_status *out, drover_err *err);
int plugin_task_stats(const plugin_task *t, drover_task_stats *out, drover_err *err);
int plugin_task_signal(const plugin_task *t, int signo, drover_err *err);

#endif
