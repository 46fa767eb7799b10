/* What `drover status` shows of an allocation: the rows of the state store,
 * read again after the drivers were asked about the tasks recorded as running,
 * and the states as Nomad would report them (host/status_view.c). */
#ifndef DROVER_HOST_STATUS_VIEW_H
#define DROVER_HOST_STATUS_VIEW_H

#include <drover/driver.h>

#include "context.h"
#include "state_store.h"

typedef struct status_task {
	drover_state_task row;
	drover_state_event *events; /* oldest first */
	size_t event_count;
	/* As Nomad's TaskState: a task waiting out its restart delay is
	 * "pending", not failed; one killed by drover (a user stop, Ctrl-C, a
	 * failed sibling) is dead but not failed. */
	const char *state;
	int failed;
	int started;  /* it ran at least once: only then has it an exit code */
	char problem[DROVER_ERR_MESSAGE_MAX]; /* why it could not be reached */
	char detail[256];                      /* the driver's line about a live task */
	int has_stats;
	drover_task_stats stats;
} status_task;

typedef struct status_alloc {
	drover_state_alloc alloc;
	status_task *tasks;
	size_t count;
	drover_state_task *rows; /* owned; tasks[i].row is a copy of rows[i] */
	/* Nomad's ClientStatus and ClientDescription, from the tasks' states. */
	const char *client_status;
	const char *client_description;
} status_alloc;

typedef struct status_load_opts {
	int stats;     /* ask the drivers for CPU and memory of running tasks */
	int inspect;   /* ask the drivers for their detail line of running tasks */
} status_load_opts;

/* Loads allocation `id` (a full id). The drivers are asked only about tasks the
 * store records as running, and only with `stats` or `inspect`, or when no live
 * runner or agent watches the allocation and a running task's drover-shim is
 * gone too (its exit, which nobody watched, is recorded then). */
int status_alloc_load(drover_context *ctx, drover_state *st, const char *id,
                      const status_load_opts *o, status_alloc *out, drover_err *err);
void status_alloc_clear(status_alloc *a);

/* Called for an allocation that could not be loaded (it is left out). */
typedef void (*status_fail_fn)(const char *id, const char *message, void *data);

/* Loads many allocations at once (`rows`, as drover_state_alloc_list gave
 * them; each row used is taken, left zeroed) into out[0..return value): the
 * tasks and events of all of them in two queries of one read transaction.
 * An allocation a live runner or agent watches, or whose running tasks'
 * drover-shims all still run, is answered from the store alone (no driver
 * call, so no driver detail, unless o->stats); the others go through
 * status_alloc_load. */
size_t status_alloc_load_many(drover_context *ctx, drover_state *st, drover_state_alloc **rows,
                              size_t n, const status_load_opts *o, status_alloc *out,
                              status_fail_fn fail, void *data);

#endif
