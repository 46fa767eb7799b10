/* Size limits a task must meet before anything is started: a job file of a
 * few kilobytes must not make the host build gigabytes (a large Meta value
 * referenced a thousand times), nor reach the kernel's execve limit and fail
 * half-started with "Argument list too long". */
#ifndef DROVER_HOST_TASK_LIMITS_H
#define DROVER_HOST_TASK_LIMITS_H

#include <drover/driver.h>

#include "jobspec.h"
#include "schema_check.h"

/* All strings of a task's Config plus its Env values, after ${...}. */
#define DROVER_TASK_MAX_INTERPOLATED_BYTES (1024 * 1024)
/* command + args (+ docker's entrypoint) + Env as execve counts them: each
 * string with its NUL and a pointer. Half of the usual 2 MiB ARG_MAX, so the
 * NOMAD_* variables added at start still fit. */
#define DROVER_TASK_MAX_ARGV_ENV_BYTES (1024 * 1024)
/* One argument or one KEY=VALUE: the kernel's MAX_ARG_STRLEN (32 pages). */
#define DROVER_TASK_MAX_ARG_BYTES (128 * 1024)

/* Appends one line per exceeded limit to `errors`, naming `where` and the
 * field ("Config.args[812]", "Env.BIG"); -E2BIG when there was any, -ENOMEM.
 * `config` is the task's Config after the driver's schema defaults. */
int drover_task_check_limits(const drover_jobspec *job, const drover_jobspec_group *group,
                             const drover_jobspec_task *task, const drover_value *config,
                             const char *where, drover_errlist *errors);

#endif
