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

#endif
