#include "config.h"

#include "lifecycle.h"

#include <stdio.h>
#include <string.h>

drover_lifecycle_role drover_lifecycle_role_of(const drover_jobspec_task *task)
{
	const char *hook = task->lifecycle_hook;
	if (!hook)
		return DROVER_ROLE_MAIN;
	if (strcmp(hook, "prestart") == 0)
		return task->lifecycle_sidecar ? DROVER_ROLE_PRESTART_SIDECAR : DROVER_ROLE_PRESTART;
	if (strcmp(hook, "poststart") == 0)
		return task->lifecycle_sidecar ? DROVER_ROLE_POSTSTART_SIDECAR : DROVER_ROLE_POSTSTART;
	/* Nomad ignores Sidecar on poststop tasks. */
	return DROVER_ROLE_POSTSTOP;
}

int drover_lifecycle_is_sidecar(drover_lifecycle_role role)
{
	return role == DROVER_ROLE_PRESTART_SIDECAR || role == DROVER_ROLE_POSTSTART_SIDECAR;
}

int drover_lifecycle_done(const drover_lifecycle_task *tasks, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (tasks[i].state != DROVER_LC_DEAD)
			return 0;
	return 1;
}

/* The reason to kill the allocation, as handleTaskStateUpdates finds it: a
 * failed task first, then a dead leader, then "only sidecars are left". */
static void find_kill(drover_lifecycle_alloc *alloc, const drover_lifecycle_task *tasks,
                      size_t count)
{
	int live_non_sidecar = 0, has_sidecar = 0, leader_dead = 0;
	for (size_t i = 0; i < count; i++) {
		const drover_lifecycle_task *t = &tasks[i];
		if (t->role == DROVER_ROLE_POSTSTOP)
			continue;
		if (drover_lifecycle_is_sidecar(t->role))
			has_sidecar = 1;
		if (t->state != DROVER_LC_DEAD) {
			if (!drover_lifecycle_is_sidecar(t->role))
				live_non_sidecar = 1;
			continue;
		}
		if (t->failed) {
			alloc->kill = DROVER_KILL_SIBLING_FAILED;
			alloc->failed_task = i;
			return;
		}
		if (t->leader)
			leader_dead = 1;
	}
	if (leader_dead)
		alloc->kill = DROVER_KILL_LEADER_DEAD;
	else if (has_sidecar && !live_non_sidecar)
		alloc->kill = DROVER_KILL_MAIN_DEAD;
}

static int killable(const drover_lifecycle_alloc *alloc, const drover_lifecycle_task *t)
{
	return t->role != DROVER_ROLE_POSTSTOP || alloc->kill == DROVER_KILL_REQUESTED_ALL;
}

/* Kill rank: the leader first, then every other task, then the sidecars. */
static int kill_rank(const drover_lifecycle_task *t)
{
	if (t->leader)
		return 0;
	return drover_lifecycle_is_sidecar(t->role) ? 2 : 1;
}

static size_t next_kills(drover_lifecycle_alloc *alloc, drover_lifecycle_task *tasks,
                         size_t count, drover_lifecycle_action *actions)
{
	size_t n = 0;
	/* Tasks that never started never will. */
	for (size_t i = 0; i < count; i++)
		if (tasks[i].state == DROVER_LC_PENDING && killable(alloc, &tasks[i]))
			actions[n++] = (drover_lifecycle_action){DROVER_LC_SKIP, i};
	for (int rank = 0; rank <= 2; rank++) {
		int waiting = 0;
		for (size_t i = 0; i < count; i++) {
			drover_lifecycle_task *t = &tasks[i];
			if (t->state != DROVER_LC_RUNNING || !killable(alloc, t) || kill_rank(t) != rank)
				continue;
			waiting = 1;
			if (!t->kill_requested) {
				t->kill_requested = 1;
				actions[n++] = (drover_lifecycle_action){DROVER_LC_KILL, i};
			}
		}
		/* A lower rank still dying holds the next one back. */
		if (waiting)
			break;
	}
	return n;
}

static int may_start(const drover_lifecycle_task *tasks, size_t count, drover_lifecycle_role role)
{
	for (size_t i = 0; i < count; i++) {
		const drover_lifecycle_task *t = &tasks[i];
		switch (role) {
		case DROVER_ROLE_PRESTART:
		case DROVER_ROLE_PRESTART_SIDECAR:
			return 1;
		case DROVER_ROLE_MAIN:
			if (t->role == DROVER_ROLE_PRESTART && (t->state != DROVER_LC_DEAD || t->failed))
				return 0;
			if (t->role == DROVER_ROLE_PRESTART_SIDECAR && !t->started)
				return 0;
			break;
		case DROVER_ROLE_POSTSTART:
		case DROVER_ROLE_POSTSTART_SIDECAR:
			if (t->role == DROVER_ROLE_MAIN && !t->started)
				return 0;
			/* Main tasks wait on prestart; so does what waits on main tasks. */
			if (!may_start(tasks, count, DROVER_ROLE_MAIN))
				return 0;
			break;
		case DROVER_ROLE_POSTSTOP:
			if (t->role != DROVER_ROLE_POSTSTOP && t->state != DROVER_LC_DEAD)
				return 0;
			break;
		}
	}
	return 1;
}

size_t drover_lifecycle_next(drover_lifecycle_alloc *alloc, drover_lifecycle_task *tasks,
                             size_t count, drover_lifecycle_action *actions)
{
	if (alloc->kill == DROVER_KILL_NONE)
		find_kill(alloc, tasks, count);
	size_t n = 0;
	if (alloc->kill != DROVER_KILL_NONE)
		n = next_kills(alloc, tasks, count, actions);
	for (size_t i = 0; i < count; i++) {
		drover_lifecycle_task *t = &tasks[i];
		if (t->state != DROVER_LC_PENDING)
			continue;
		/* Once the allocation is being killed only poststop tasks still start. */
		if (alloc->kill != DROVER_KILL_NONE && t->role != DROVER_ROLE_POSTSTOP)
			continue;
		if (alloc->kill == DROVER_KILL_REQUESTED_ALL)
			continue;
		if (may_start(tasks, count, t->role))
			actions[n++] = (drover_lifecycle_action){DROVER_LC_START, i};
	}
	return n;
}

const char *drover_lifecycle_kill_event(const drover_lifecycle_alloc *alloc,
                                        const drover_lifecycle_task *tasks, char *message,
                                        size_t len)
{
	switch (alloc->kill) {
	case DROVER_KILL_SIBLING_FAILED:
		snprintf(message, len, "Task's sibling \"%s\" failed", tasks[alloc->failed_task].name);
		return "Sibling Task Failed";
	case DROVER_KILL_LEADER_DEAD:
		snprintf(message, len, "Leader Task in Group dead");
		return "Leader Task Dead";
	case DROVER_KILL_MAIN_DEAD:
		snprintf(message, len, "Main tasks in the group died");
		return "Main Tasks Dead";
	default:
		if (len)
			message[0] = '\0';
		return NULL;
	}
}
