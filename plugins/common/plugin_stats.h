/* Resource use of a raw_exec task that has no cgroup (not root, no_cgroups),
 * read from /proc: the sum over its process group. */
#ifndef PLUGIN_STATS_H
#define PLUGIN_STATS_H

#include <drover/driver.h>

/* 0 and `out` filled (struct_size kept), -ESRCH when the task (pid with this
 * start time) is gone. */
int plugin_stats_read(int pid, unsigned long long start_time, drover_task_stats *out,
                       drover_err *err);

/* 1 while the process pid with this start time exists. */
int plugin_stats_alive(int pid, unsigned long long start_time);

#endif
