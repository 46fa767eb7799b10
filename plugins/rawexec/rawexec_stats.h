/* Resource use of a raw_exec task, read from /proc: the task has no cgroup of
 * its own, so its usage is the sum over its process group. */
#ifndef RAWEXEC_STATS_H
#define RAWEXEC_STATS_H

#include <drover/driver.h>

/* 0 and `out` filled (struct_size kept), -ESRCH when the task (pid with this
 * start time) is gone. */
int rawexec_stats_read(int pid, unsigned long long start_time, drover_task_stats *out,
                       drover_err *err);

#endif
