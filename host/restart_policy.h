/* Whether a task that exited is started again, and when: Nomad's restart
 * tracker (client/allocrunner/taskrunner/restarts), as a pure decision.
 *
 * Nomad counts restarts in fixed windows of RestartPolicy.Interval that begin
 * when the task is first started (not in a sliding window): once `now` is past
 * the window's end, the count starts again from zero in a new window opening at
 * `now`. Up to Attempts restarts per window are allowed, each after Delay plus
 * up to 25% jitter; one more exit in the same window either fails the task
 * (Mode "fail") or waits until the window ends (Mode "delay", no jitter).
 *
 * Which exits count: batch/sysbatch tasks, prestart tasks that are not sidecars,
 * poststart tasks that are not sidecars and every poststop task are done when
 * they exit 0; every other task (service and system tasks, sidecars) is
 * restarted on any exit, as Nomad does.
 */
#ifndef DROVER_HOST_RESTART_POLICY_H
#define DROVER_HOST_RESTART_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "jobspec.h"

/* Nomad adds up to this share of Delay as jitter. */
#define DROVER_RESTART_JITTER_PERCENT 25

typedef enum drover_restart_action {
	DROVER_RESTART_TERMINATED,     /* exited successfully and is not restarted: done */
	DROVER_RESTART_RESTART,        /* start it again after delay_ms */
	DROVER_RESTART_NOT_RESTARTING, /* the task has failed */
} drover_restart_action;

typedef struct drover_restart_tracker {
	long long window_start_ms; /* monotonic ms; the current Interval began here */
	int count;                 /* exits counted in the current window */
	int restart_on_success;
	unsigned restarts;         /* every restart over the task's life (Nomad's TaskState.Restarts) */
} drover_restart_tracker;

typedef struct drover_restart_decision {
	drover_restart_action action;
	long long delay_ms;
	/* Nomad's RestartReason: empty for a restart within the policy. */
	char reason[160];
} drover_restart_decision;

/* Starts tracking a task first started at now_ms. `lifecycle_hook` may be NULL. */
void drover_restart_tracker_init(drover_restart_tracker *t, const char *job_type,
                                 const char *lifecycle_hook, int sidecar, long long now_ms);

/* Decides after an exit at now_ms. `success`: exit code 0, no signal, no error.
 * `random` supplies the jitter (any value; reduced modulo the delay). */
void drover_restart_decide(drover_restart_tracker *t, const drover_restart_policy *policy,
                           int success, long long now_ms, uint64_t random,
                           drover_restart_decision *out);

/* The message of the "Restarting" or "Not Restarting" event, as Nomad words it:
 * "Task restarting in 16.2s", "Exceeded allowed attempts, applying a delay -
 * Task restarting in 29m59s", "Exceeded allowed attempts 2 in interval 30m0s and
 * mode is \"fail\"". */
void drover_restart_event_message(const drover_restart_decision *d, char *buf, size_t len);

/* A duration as Go's time.Duration prints it, to the millisecond: "15s",
 * "30m0s", "24h0m0s", "1m30.5s", "250ms", "0s". */
void drover_format_go_duration(long long ms, char *buf, size_t len);

#endif
