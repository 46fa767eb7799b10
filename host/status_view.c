#include "config.h"

#include "status_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_recover.h"

/* Asks the drivers about the tasks recorded as running: an exit nobody
 * watched is recorded, and the drivers' detail and stats are kept by name.
 * While a live runner or agent watches the allocation (`watched`) the exit is
 * its to record: recording it here too raced with it and could append a second
 * Terminated after its Restarting. */
static void ask_drivers(drover_context *ctx, drover_state *st, const char *id,
                        const status_load_opts *o, int watched, status_alloc *out)
{
	drover_ralloc a;
	drover_err err = {{0}};
	if (drover_ralloc_load(ctx, st, id, &a, &err) < 0) {
		for (size_t i = 0; i < out->count; i++)
			snprintf(out->tasks[i].problem, sizeof(out->tasks[i].problem), "%s", err.message);
		return;
	}
	for (size_t i = 0; i < a.count; i++) {
		drover_rtask *t = &a.tasks[i];
		status_task *v = NULL;
		for (size_t k = 0; k < out->count; k++)
			if (strcmp(out->tasks[k].row.name, t->row.name) == 0)
				v = &out->tasks[k];
		if (!v)
			continue;
		err = (drover_err){{0}};
		if (!watched && drover_rtask_refresh(st, &a, t, &err) < 0)
			snprintf(t->error, sizeof(t->error), "%s", err.message);
		if (t->error[0])
			snprintf(v->problem, sizeof(v->problem), "%s", t->error);
		if (!t->task || strcmp(t->row.state, "running") != 0)
			continue;
		drover_task_status s = {.struct_size = sizeof(s)};
		if (o->inspect && t->plugin->desc->inspect &&
		    t->plugin->desc->inspect(t->plugin->ctx, t->task, &s, &err) == 0 && s.detail[0])
			snprintf(v->detail, sizeof(v->detail), "%s", s.detail);
		v->stats = (drover_task_stats){.struct_size = sizeof(v->stats)};
		if (o->stats && t->plugin->desc->stats &&
		    t->plugin->desc->stats(t->plugin->ctx, t->task, &v->stats, &err) == 0)
			v->has_stats = 1;
	}
	drover_ralloc_clear(&a);
}

/* drover killed this run of the task (a "Killing" or "Killed" event since it
 * last started): Nomad does not count such an exit as a failure. */
static int killed_by_drover(const status_task *t)
{
	for (size_t i = t->event_count; i-- > 0;) {
		const drover_state_event *e = &t->events[i];
		if (e->time_ms < t->row.started_ms)
			break;
		if (e->type && (strcmp(e->type, "Killing") == 0 || strcmp(e->type, "Killed") == 0))
			return 1;
	}
	return 0;
}

static void view_task(const status_alloc *a, status_task *t, int owner_alive)
{
	const drover_state_event *last = t->event_count ? &t->events[t->event_count - 1] : NULL;
	int stopping = a->alloc.desired_status && strcmp(a->alloc.desired_status, "stop") == 0;

	t->state = t->row.state ? t->row.state : "pending";
	/* A start under way (host/state_store.h) is Nomad's pending. */
	if (strcmp(t->state, "starting") == 0)
		t->state = "pending";
	t->failed = t->row.failed;
	t->started = t->row.started_ms > 0;
	if (strcmp(t->state, "dead") != 0)
		return;
	/* Between runs: the watching runner or agent starts it again after the
	 * delay, so Nomad shows it pending. */
	if (last && last->type && strcmp(last->type, "Restarting") == 0 && owner_alive && !stopping) {
		t->state = "pending";
		t->failed = 0;
		return;
	}
	if (t->failed && t->started && killed_by_drover(t))
		t->failed = 0;
}

/* Nomad's getClientStatus: failed wins, then running, then pending. */
static void view_alloc(status_alloc *a)
{
	int pending = 0, running = 0, dead = 0, failed = 0;
	for (size_t i = 0; i < a->count; i++) {
		const status_task *t = &a->tasks[i];
		if (strcmp(t->state, "running") == 0)
			running = 1;
		else if (strcmp(t->state, "pending") == 0)
			pending = 1;
		else if (t->failed)
			failed = 1;
		else
			dead = 1;
	}
	if (failed) {
		a->client_status = "failed";
		a->client_description = "Failed tasks";
	} else if (running) {
		a->client_status = "running";
		a->client_description = "Tasks are running";
	} else if (pending) {
		a->client_status = "pending";
		a->client_description = "No tasks have started";
	} else if (dead) {
		a->client_status = "complete";
		a->client_description = "All tasks have completed";
	} else {
		a->client_status = a->alloc.client_status ? a->alloc.client_status : "pending";
		a->client_description = "";
	}
}

int status_alloc_load(drover_context *ctx, drover_state *st, const char *id,
                      const status_load_opts *o, status_alloc *out, drover_err *err)
{
	int rc;
	*out = (status_alloc){0};
	if ((rc = drover_state_task_list(st, id, &out->rows, &out->count, err)) < 0)
		return rc;
	out->tasks = calloc(out->count ? out->count : 1, sizeof(*out->tasks));
	if (!out->tasks) {
		status_alloc_clear(out);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	int any_running = 0, any_unsupervised = 0;
	for (size_t i = 0; i < out->count; i++) {
		const drover_state_task *row = &out->rows[i];
		out->tasks[i].row = *row;
		if (!row->state || strcmp(row->state, "running") != 0)
			continue;
		any_running = 1;
		/* Its drover-shim still runs: the task has not been collected, and
		 * the shim will write its exit for whoever asks next. No shim
		 * recorded (a driver without one) counts as gone. */
		if (!(row->shim_pid > 0 && drover_state_owner_alive(row->shim_pid, row->shim_start)))
			any_unsupervised = 1;
	}
	/* A live runner or agent watches its tasks and records their exits: the
	 * store is then the answer, and the plain table loads no driver. Without
	 * one (it crashed, or was killed), a task recorded as running whose shim
	 * still runs is running; only when its shim is gone too can the driver
	 * alone tell whether it still runs. -stats and the detail line always
	 * ask. */
	int watched = 0;
	if (any_running) {
		drover_state_alloc alloc = {0};
		drover_err e = {{0}};
		if (drover_state_alloc_get(st, id, &alloc, &e) == 0)
			watched = alloc.owner_pid > 0 &&
			          drover_state_owner_alive(alloc.owner_pid, alloc.owner_start);
		drover_state_alloc_clear(&alloc);
	}
	if (any_running && ((!watched && any_unsupervised) || o->stats || o->inspect)) {
		ask_drivers(ctx, st, id, o, watched, out);
		/* The drivers may have recorded exits: read the rows again. */
		drover_state_task *rows = NULL;
		size_t count = 0;
		if (drover_state_task_list(st, id, &rows, &count, err) == 0 && count == out->count) {
			drover_state_tasks_free(out->rows, out->count);
			out->rows = rows;
			for (size_t i = 0; i < count; i++)
				out->tasks[i].row = rows[i];
		} else if (rows) {
			drover_state_tasks_free(rows, count);
		}
	}
	if ((rc = drover_state_alloc_get(st, id, &out->alloc, err)) < 0) {
		status_alloc_clear(out);
		return rc;
	}
	int owner_alive = out->alloc.owner_pid > 0 &&
	                  drover_state_owner_alive(out->alloc.owner_pid, out->alloc.owner_start);
	for (size_t i = 0; i < out->count; i++) {
		status_task *t = &out->tasks[i];
		drover_err e = {{0}};
		if (drover_state_event_list(st, id, t->row.name, DROVER_STATE_EVENTS_KEPT, &t->events,
		                            &t->event_count, &e) < 0) {
			t->events = NULL;
			t->event_count = 0;
			if (!t->problem[0])
				snprintf(t->problem, sizeof(t->problem), "events: %.400s", e.message);
		}
		view_task(out, t, owner_alive);
	}
	view_alloc(out);
	return 0;
}

/* Sort keys of the bulk rows, borrowed before any row is moved out (a moved
 * row's strings stay valid: their new owner frees them only after loading). */
typedef struct bulk_keys {
	const char **alloc; /* per row: its allocation id */
	const char **task;  /* per row (events): its task; NULL for tasks */
	size_t n;
} bulk_keys;

/* The first row whose (alloc, task) is not below (id, task). */
static size_t lower_bound(const bulk_keys *k, const char *id, const char *task)
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->alloc[mid] ? k->alloc[mid] : "", id);
		if (c == 0 && task)
			c = strcmp(k->task[mid] ? k->task[mid] : "", task);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int same_key(const bulk_keys *k, size_t i, const char *id, const char *task)
{
	return i < k->n && k->alloc[i] && strcmp(k->alloc[i], id) == 0 &&
	       (!task || (k->task[i] && strcmp(k->task[i], task) == 0));
}

/* The owner of most allocations is one runner or agent: /proc is read once
 * per distinct owner, not once per allocation. */
typedef struct owner_cache {
	int pid;
	unsigned long long start;
	int alive, valid;
} owner_cache;

static int owner_alive_cached(owner_cache *c, int pid, unsigned long long start)
{
	if (!c->valid || c->pid != pid || c->start != start) {
		c->pid = pid;
		c->start = start;
		c->alive = pid > 0 && drover_state_owner_alive(pid, start);
		c->valid = 1;
	}
	return c->alive;
}

/* One allocation from the bulk rows: tasks[first..end) are its tasks, moved out. */
static int load_from_rows(drover_state_alloc *row, drover_state_task *tasks, size_t first,
                          size_t end, drover_state_event *events, const bulk_keys *ek,
                          int owner_alive, status_alloc *out)
{
	*out = (status_alloc){0};
	out->count = end - first;
	out->rows = calloc(out->count ? out->count : 1, sizeof(*out->rows));
	out->tasks = calloc(out->count ? out->count : 1, sizeof(*out->tasks));
	if (!out->rows || !out->tasks) {
		free(out->rows);
		free(out->tasks);
		*out = (status_alloc){0};
		return -ENOMEM;
	}
	for (size_t i = 0; i < out->count; i++) {
		out->rows[i] = tasks[first + i];
		tasks[first + i] = (drover_state_task){0};
		out->tasks[i].row = out->rows[i];
	}
	out->alloc = *row;
	*row = (drover_state_alloc){0};
	for (size_t i = 0; i < out->count; i++) {
		status_task *t = &out->tasks[i];
		size_t lo = lower_bound(ek, out->alloc.id, t->row.name), hi = lo;
		while (same_key(ek, hi, out->alloc.id, t->row.name))
			hi++;
		/* As drover_state_event_list with DROVER_STATE_EVENTS_KEPT: the newest. */
		if (hi - lo > DROVER_STATE_EVENTS_KEPT)
			lo = hi - DROVER_STATE_EVENTS_KEPT;
		if (hi > lo && (t->events = calloc(hi - lo, sizeof(*t->events)))) {
			for (size_t k = lo; k < hi; k++) {
				t->events[k - lo] = events[k];
				events[k] = (drover_state_event){0};
			}
			t->event_count = hi - lo;
		}
		view_task(out, t, owner_alive);
	}
	view_alloc(out);
	return 0;
}

size_t status_alloc_load_many(drover_context *ctx, drover_state *st, drover_state_alloc **rows,
                              size_t n, const status_load_opts *o, status_alloc *out,
                              status_fail_fn fail, void *data)
{
	drover_state_task *tasks = NULL;
	drover_state_event *events = NULL;
	size_t ntasks = 0, nevents = 0, loaded = 0;
	drover_err err = {{0}};
	int snapshot = drover_state_snapshot_begin(st, &err) == 0;
	int bulk = drover_state_task_list_all(st, &tasks, &ntasks, &err) == 0 &&
	           drover_state_event_list_all(st, &events, &nevents, &err) == 0;
	if (snapshot)
		drover_state_snapshot_end(st);
	bulk_keys tk = {.alloc = calloc(ntasks ? ntasks : 1, sizeof(char *)), .n = ntasks};
	bulk_keys ek = {.alloc = calloc(nevents ? nevents : 1, sizeof(char *)),
	                .task = calloc(nevents ? nevents : 1, sizeof(char *)), .n = nevents};
	if (!tk.alloc || !ek.alloc || !ek.task)
		bulk = 0;
	for (size_t i = 0; bulk && i < ntasks; i++)
		tk.alloc[i] = tasks[i].alloc_id;
	for (size_t i = 0; bulk && i < nevents; i++) {
		ek.alloc[i] = events[i].alloc_id;
		ek.task[i] = events[i].task;
	}
	owner_cache owners = {0};
	for (size_t i = 0; i < n; i++) {
		drover_state_alloc *row = rows[i];
		size_t first = 0, end = 0;
		int any_running = 0, any_unsupervised = 0, watched = 0;
		if (bulk) {
			first = lower_bound(&tk, row->id, NULL);
			watched = owner_alive_cached(&owners, row->owner_pid, row->owner_start);
			for (end = first; same_key(&tk, end, row->id, NULL); end++) {
				const drover_state_task *t = &tasks[end];
				if (!t->state || strcmp(t->state, "running") != 0)
					continue;
				any_running = 1;
				/* As status_alloc_load: unwatched, a task whose shim still
				 * runs is running; only without it is the driver asked. */
				if (!watched && !(t->shim_pid > 0 &&
				                  drover_state_owner_alive(t->shim_pid, t->shim_start)))
					any_unsupervised = 1;
			}
		}
		int rc;
		err = (drover_err){{0}};
		if (!bulk || row->problem ||
		    (any_running && ((!watched && any_unsupervised) || o->stats)))
			rc = status_alloc_load(ctx, st, row->id, o, &out[loaded], &err);
		else if ((rc = load_from_rows(row, tasks, first, end, events, &ek, watched,
		                              &out[loaded])) < 0)
			drover_err_set(&err, rc, "out of memory");
		if (rc < 0) {
			fail(row->id, err.message, data);
			continue;
		}
		loaded++;
	}
	free(tk.alloc);
	free(ek.alloc);
	free(ek.task);
	drover_state_tasks_free(tasks, ntasks);
	drover_state_events_free(events, nevents);
	return loaded;
}

void status_alloc_clear(status_alloc *a)
{
	for (size_t i = 0; a->tasks && i < a->count; i++)
		drover_state_events_free(a->tasks[i].events, a->tasks[i].event_count);
	free(a->tasks);
	if (a->rows)
		drover_state_tasks_free(a->rows, a->count);
	drover_state_alloc_clear(&a->alloc);
	*a = (status_alloc){0};
}
