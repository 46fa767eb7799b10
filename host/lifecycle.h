/* Task lifecycle within one allocation, as Nomad's alloc runner and task hook
 * coordinator order it, as a pure decision over the tasks' states.
 *
 *  - prestart tasks start first; main tasks wait until every prestart task that
 *    is not a sidecar has exited successfully and every prestart sidecar is
 *    running. A prestart task that fails fails the allocation: the main tasks
 *    never start.
 *  - poststart tasks start once every main task has started.
 *  - poststop tasks start once every other task has ended, whatever their fate
 *    (completed, failed or killed).
 *  - the allocation is killed when a task fails ("Sibling Task Failed"), when
 *    the leader task ends ("Leader Task Dead"), when only sidecars are left
 *    ("Main Tasks Dead") or on request (a signal). Kills go in Nomad's order:
 *    the leader, then the other tasks, then the sidecars; poststop tasks are not
 *    killed, they run afterwards.
 *
 * The runner feeds the states in, performs the actions that come out (start,
 * kill, skip) and asks again until nothing is left to do.
 */
#ifndef DROVER_HOST_LIFECYCLE_H
#define DROVER_HOST_LIFECYCLE_H

#include <stddef.h>

#include "jobspec.h"

typedef enum drover_lifecycle_role {
	DROVER_ROLE_MAIN,
	DROVER_ROLE_PRESTART,
	DROVER_ROLE_PRESTART_SIDECAR,
	DROVER_ROLE_POSTSTART,
	DROVER_ROLE_POSTSTART_SIDECAR,
	DROVER_ROLE_POSTSTOP,
} drover_lifecycle_role;

drover_lifecycle_role drover_lifecycle_role_of(const drover_jobspec_task *task);
int drover_lifecycle_is_sidecar(drover_lifecycle_role role);

typedef enum drover_lifecycle_state {
	DROVER_LC_PENDING, /* not started yet */
	DROVER_LC_RUNNING, /* running, or waiting for a restart */
	DROVER_LC_DEAD,    /* will not run again */
} drover_lifecycle_state;

typedef struct drover_lifecycle_task {
	const char *name;
	drover_lifecycle_role role;
	int leader;
	drover_lifecycle_state state;
	int started;        /* has been running at least once */
	int failed;         /* dead and failed (Nomad's TaskState.Failed) */
	int kill_requested; /* a kill was already handed out for it */
} drover_lifecycle_task;

/* Why an allocation is being killed. */
typedef enum drover_lifecycle_kill {
	DROVER_KILL_NONE,
	DROVER_KILL_SIBLING_FAILED,
	DROVER_KILL_LEADER_DEAD,
	DROVER_KILL_MAIN_DEAD,
	DROVER_KILL_REQUESTED,     /* a stop was asked for: poststop tasks still run */
	DROVER_KILL_REQUESTED_ALL, /* asked twice: poststop tasks are stopped or skipped too */
} drover_lifecycle_kill;

typedef struct drover_lifecycle_alloc {
	drover_lifecycle_kill kill;
	size_t failed_task; /* for DROVER_KILL_SIBLING_FAILED */
} drover_lifecycle_alloc;

typedef enum drover_lifecycle_verb {
	DROVER_LC_START,
	DROVER_LC_KILL, /* stop a running task (or cancel its pending restart) */
	DROVER_LC_SKIP, /* a pending task that will never start: mark it dead */
} drover_lifecycle_verb;

typedef struct drover_lifecycle_action {
	drover_lifecycle_verb verb;
	size_t task;
} drover_lifecycle_action;

/* Updates `alloc` (the kill reason is decided once and kept) and fills
 * `actions` (room for `count` entries) with what to do now; returns how many.
 * Kills come one rank at a time (leader, others, sidecars): perform them, wait
 * for those tasks to die, then ask again. Marks kills handed out in
 * tasks[].kill_requested. */
size_t drover_lifecycle_next(drover_lifecycle_alloc *alloc, drover_lifecycle_task *tasks,
                             size_t count, drover_lifecycle_action *actions);

/* True when every task is dead. */
int drover_lifecycle_done(const drover_lifecycle_task *tasks, size_t count);

/* The event type and message Nomad gives to the tasks killed for `alloc`'s
 * reason: "Sibling Task Failed" / "Task's sibling \"x\" failed", ... NULL type
 * for a requested stop (the runner prints its own "Killing"). */
const char *drover_lifecycle_kill_event(const drover_lifecycle_alloc *alloc,
                                        const drover_lifecycle_task *tasks, char *message,
                                        size_t len);

#endif
