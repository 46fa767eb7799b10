/* Running a job attached to the terminal: `drover run JOB`.
 *
 * Every task of every group (Count times) is started through its driver in
 * the order its Lifecycle asks for (lifecycle.h), restarted as its
 * RestartPolicy says (restart_policy.h), and all of them are watched from one
 * thread (poll on the drivers' wait descriptors, a signalfd and one timerfd for
 * every pending restart delay). SIGINT/SIGTERM stop them gracefully
 * (KillSignal, KillTimeout, SIGKILL); poststop tasks still run afterwards.
 */
#ifndef DROVER_HOST_RUNNER_H
#define DROVER_HOST_RUNNER_H

#include <stdio.h>

#include "context.h"
#include "jobspec.h"
#include "state_recover.h"

/* The checked `config` of each task, in job order (group by group, task by task). */
typedef struct drover_job_configs {
	drover_value *configs;
	drover_plugin **plugins;
	size_t count;
} drover_job_configs;

/* Checks every task of `job` against the loaded drivers: the driver exists and
 * its task config passes the driver's schema. Every problem is one line in
 * `errors`. With `require_healthy`, a driver that fingerprints other than healthy
 * is an error carrying the driver's own description (which says how to enable
 * it). On success `out` (may be NULL) holds the checked configs. */
int drover_job_check(drover_context *ctx, const drover_jobspec *job, int require_healthy,
                     drover_job_configs *out, drover_errlist *errors);
void drover_job_configs_clear(drover_job_configs *configs);

/* Runs `job` until every task has ended for good. Events go to `events`.
 * Returns 0 when no task failed (in Nomad's sense: could not start, or exited
 * and was not restarted) and no stop was requested, 1 otherwise, negative on a
 * host error. */
int drover_runner_run(drover_context *ctx, const drover_jobspec *job,
                      const drover_job_configs *configs, FILE *events);

/* Runs stored allocations on from where they are (`drover agent`): tasks the
 * store says run and whose driver recovered them are adopted (same process,
 * no restart, restart count kept); a task that exited meanwhile gets its
 * true exit recorded, then the restart policy and lifecycle apply as usual;
 * pending tasks start as the lifecycle allows. A task whose recover failed
 * (the driver killed what was left of it) is treated as an exit with the
 * driver's message; a task whose directory is gone is failed and killed,
 * never restarted. Recovered tasks are taken out of `allocs`, whose job
 * documents must outlive the call; the caller still clears them after.
 * When `detach_fd` becomes readable the call returns 2 and leaves every task
 * running; 0 when every task ended for good; negative on a host error (tasks
 * are left running then too). The caller owns the allocations (state store
 * claim) and the SIGINT/SIGTERM handling. Several calls may run at once in
 * different threads. */
int drover_runner_resume(drover_context *ctx, drover_ralloc *allocs, size_t count, int detach_fd,
                         FILE *events);

#endif
