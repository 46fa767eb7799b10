/* The state store: one SQLite database, <data_dir>/state.db, holding the
 * allocations, their tasks (with the drivers' handles) and recent task events.
 * It is what lets any later drover process find and recover running tasks.
 *
 * Several drover processes may use one database at once: it runs in WAL mode
 * with a busy timeout, and every write that reads first runs in an IMMEDIATE
 * transaction, so concurrent writers queue instead of failing with SQLITE_BUSY.
 * The schema version is PRAGMA user_version: an older database is migrated on
 * open, a newer one is refused. A connection may be shared between threads.
 *
 * Strings handed out are malloc'd and belong to the caller (free with the
 * matching _clear function). Every function returns 0 or a negative errno and
 * fills `err` with a message naming the database file. */
#ifndef DROVER_HOST_STATE_STORE_H
#define DROVER_HOST_STATE_STORE_H

#include <stddef.h>

#include <drover/driver.h>

#define DROVER_STATE_SCHEMA_VERSION 6
#define DROVER_STATE_EVENTS_KEPT 50 /* per task: older events are dropped */
#define DROVER_STATE_FILE "state.db"

typedef struct drover_state drover_state;

typedef struct drover_state_alloc {
	char *id;
	char *job_id;
	char *job_name;
	char *job_json;       /* the job document, so any process can rebuild task configs */
	char *group_name;
	int alloc_index;
	char *alloc_name;
	char *alloc_dir;
	char *desired_status; /* "run" | "stop" */
	char *client_status;  /* "pending" | "running" | "complete" | "failed" */
	long long created_ms;
	long long modified_ms;
	char *problem;        /* set when the row is unusable: says why */
	/* The one process watching the allocation (its runner, or the agent):
	 * pid and /proc start time, 0 when none. */
	int owner_pid;
	unsigned long long owner_start;
} drover_state_alloc;

typedef struct drover_state_task {
	char *alloc_id;
	char *name;
	char *driver;
	char *state;          /* "pending" | "starting" | "running" | "dead" */
	int pid;
	void *handle;         /* the driver's opaque handle, NULL when none */
	size_t handle_len;
	int exit_code;
	int signal;
	int oom_killed;
	int failed;
	int restarts;
	long long started_ms;
	long long finished_ms;
	char *problem;        /* set when the row is unusable: says why */
	/* The start intent (state "starting"): how many starts were recorded,
	 * where the shim keeps its state, and the shim once it exists (0: not
	 * yet, or a driver without one). */
	int start_attempt;
	char *state_dir;
	int shim_pid;
	unsigned long long shim_start;
	long long restart_due_ms; /* wall clock; 0: no restart pending */
} drover_state_task;

typedef struct drover_state_event {
	char *task;
	long long time_ms;
	char *type;
	char *message;
	char *alloc_id; /* drover_state_event_list_all only; NULL otherwise */
} drover_state_event;

/* Opens (creating the data dir and the database when missing) and migrates. */
int drover_state_open(const char *data_dir, drover_state **out, drover_err *err);
/* Opens an exact database file (tests, tools). */
int drover_state_open_file(const char *path, drover_state **out, drover_err *err);
void drover_state_close(drover_state *st);
const char *drover_state_path(const drover_state *st);

/* Groups the writes made until drover_state_batch_end into one transaction:
 * one commit (one WAL append) instead of one per write, which is what a
 * thousand tasks started or stopped at once cost. Holds the database's write
 * lock meanwhile, so a batch never spans anything slow (a driver call). Inside
 * an open batch it is a savepoint (`*nested`); writes that open their own
 * transaction (events, port claims) nest too. A failed commit is rolled back. */
int drover_state_batch_begin(drover_state *st, int *nested, drover_err *err);
int drover_state_batch_end(drover_state *st, int nested, drover_err *err);
/* Reads made until drover_state_snapshot_end see one state of the database
 * (one read transaction: no lock taken and dropped per query). No write may
 * be made meanwhile. */
int drover_state_snapshot_begin(drover_state *st, drover_err *err);
void drover_state_snapshot_end(drover_state *st);

/* Allocations. put inserts or replaces the whole row. */
int drover_state_alloc_put(drover_state *st, const drover_state_alloc *a, drover_err *err);
/* Either status may be NULL to leave it as it is. -ENOENT for an unknown id. */
int drover_state_alloc_set_status(drover_state *st, const char *id, const char *desired,
                                  const char *client, drover_err *err);
int drover_state_alloc_get(drover_state *st, const char *id, drover_state_alloc *out,
                           drover_err *err);
/* The full id of the one allocation whose id starts with `prefix` (malloc'd):
 * -ENOENT when none, -EEXIST when several (the message lists them). */
int drover_state_alloc_resolve(drover_state *st, const char *prefix, char **id, drover_err *err);
/* Every allocation, oldest first. */
/* Every allocation id, sorted (strcmp order), in one query: a cheap "is this
 * directory known" for many directories. */
int drover_state_alloc_ids(drover_state *st, char ***out, size_t *count, drover_err *err);
int drover_state_alloc_list(drover_state *st, drover_state_alloc **out, size_t *count,
                            drover_err *err);
/* Recomputes the client status from the tasks: pending before any started,
 * running while one runs, then complete, or failed when any task failed. */
int drover_state_alloc_refresh_status(drover_state *st, const char *id, drover_err *err);
/* Ownership: an allocation is watched by exactly one process at a time.
 * claim makes (pid, start) its owner unless another owner is still alive
 * (-EBUSY, *owner_pid set when not NULL); a dead owner's claim is taken over.
 * release clears the owner when it is still `pid`. */
int drover_state_alloc_claim(drover_state *st, const char *id, int pid, unsigned long long start,
                             int *owner_pid, drover_err *err);
int drover_state_alloc_release(drover_state *st, const char *id, int pid, drover_err *err);
/* The process (pid, /proc start time) exists, is not a zombie... is that one. */
int drover_state_owner_alive(int pid, unsigned long long start);
/* Removes the allocation with its tasks and events. */
int drover_state_alloc_delete(drover_state *st, const char *id, drover_err *err);
void drover_state_alloc_clear(drover_state_alloc *a);
void drover_state_allocs_free(drover_state_alloc *a, size_t count);

/* Tasks. put inserts or replaces the whole row. */
int drover_state_task_put(drover_state *st, const drover_state_task *t, drover_err *err);
int drover_state_task_set_running(drover_state *st, const char *alloc_id, const char *task,
                                  int pid, const void *handle, size_t handle_len,
                                  long long started_ms, drover_err *err);
/* Records the end of a task: state dead, its exit, failed when non-zero,
 * signalled, OOM killed, or `res->error` is set. */
int drover_state_task_set_exited(drover_state *st, const char *alloc_id, const char *task,
                                 const drover_exit_result *res, drover_err *err);
/* Intent before effect: records that the task's start is under way (state
 * "starting", attempt raised, *attempt set when not NULL) with the directory
 * where its shim will keep its state; the driver is called only after. */
int drover_state_task_set_starting(drover_state *st, const char *alloc_id, const char *task,
                                   const char *state_dir, int *attempt, drover_err *err);
/* The shim of the start under way with `state_dir` exists: (pid, start time). */
int drover_state_task_set_shim(drover_state *st, const char *state_dir, int shim_pid,
                               unsigned long long shim_start, drover_err *err);
/* A restart is pending: the count and when it is due (wall clock ms), so that
 * whoever adopts the task honours it. */
int drover_state_task_set_restart_due(drover_state *st, const char *alloc_id, const char *task,
                                      int restarts, long long due_ms, drover_err *err);
/* The task's restart count (Nomad's TaskState.Restarts), as the restart
 * policy raises it. */
int drover_state_task_set_restarts(drover_state *st, const char *alloc_id, const char *task,
                                   int restarts, drover_err *err);
/* A task that never ran (setup or driver failure). */
int drover_state_task_set_failed(drover_state *st, const char *alloc_id, const char *task,
                                 drover_err *err);
/* The tasks of one allocation in insertion order; unusable rows come back with
 * `problem` set instead of failing the whole list. */
int drover_state_task_list(drover_state *st, const char *alloc_id, drover_state_task **out,
                           size_t *count, drover_err *err);
void drover_state_task_clear(drover_state_task *t);
void drover_state_tasks_free(drover_state_task *t, size_t count);

/* Events: adding one drops the task's events beyond DROVER_STATE_EVENTS_KEPT. */
int drover_state_event_add(drover_state *st, const char *alloc_id, const char *task,
                           long long time_ms, const char *type, const char *message,
                           drover_err *err);
/* Every task of every allocation in one query (a command showing many
 * allocations), ordered by allocation id, then as drover_state_task_list. */
int drover_state_task_list_all(drover_state *st, drover_state_task **out, size_t *count,
                               drover_err *err);
/* Every event kept (at most DROVER_STATE_EVENTS_KEPT per task), in one query,
 * ordered by allocation id, task, then oldest first; alloc_id is filled. */
int drover_state_event_list_all(drover_state *st, drover_state_event **out, size_t *count,
                                drover_err *err);
/* The last `limit` events of a task (task NULL: of the allocation), oldest first. */
int drover_state_event_list(drover_state *st, const char *alloc_id, const char *task,
                            size_t limit, drover_state_event **out, size_t *count,
                            drover_err *err);
void drover_state_events_free(drover_state_event *e, size_t count);

/* Drivers that crashed a drover process (host/crash.c): `plugin` identifies
 * the file (path and modification time), so a replaced plugin starts afresh.
 * count: the crashes since `since_ms`, with the last one's call and signal. */
int drover_state_fault_add(drover_state *st, const char *driver, const char *plugin,
                           const char *call, int signo, drover_err *err);
int drover_state_fault_count(drover_state *st, const char *driver, const char *plugin,
                             long long since_ms, int *count, char **last_call, int *last_signal,
                             drover_err *err);

/* Ports: host/network/state_ports.h. */

#endif
