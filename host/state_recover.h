/* Reaching the tasks of a stored allocation from any drover process: the job
 * document kept in the state store is parsed again, each task's config and
 * environment rebuilt, and every task the store says is running is recovered
 * through its driver from the stored handle. */
#ifndef DROVER_HOST_STATE_RECOVER_H
#define DROVER_HOST_STATE_RECOVER_H

#include "allocdir.h"
#include "context.h"
#include "jobspec.h"
#include "state_store.h"
#include "network/alloc_network.h"
#include "taskenv.h"

typedef struct drover_rtask {
	drover_state_task row;
	const drover_jobspec_task *spec;
	drover_plugin *plugin;
	drover_value config;
	char *task_dir;
	char *state_dir; /* <data_dir>/run/<alloc>/<task> */
	char *id;
	char *alloc_name;
	drover_strv env;
	drover_task_config cfg;
	drover_task *task; /* recovered: the store said running; NULL otherwise */
	char error[DROVER_ERR_MESSAGE_MAX]; /* why a running task could not be recovered */
	int recover_called; /* its driver's recover ran (and killed what it refused) */
} drover_rtask;

typedef struct drover_ralloc {
	drover_state_alloc alloc;
	drover_jobspec job;
	const drover_jobspec_group *group;
	drover_allocdir dirs;
	drover_rtask *tasks;
	size_t count;
	drover_network network; /* cfg.network of its tasks */
	drover_alloc_net net;   /* its recorded namespace (bridge, none) */
} drover_ralloc;

/* Loads allocation `id` (a full id) and recovers its running tasks. A task that
 * cannot be recovered keeps task NULL and says why in `error`; only a broken
 * allocation row or job document fails the whole call. */
int drover_ralloc_load(drover_context *ctx, drover_state *st, const char *id, drover_ralloc *out,
                       drover_err *err);

/* Asks the driver whether a recovered task is still running; an exit is
 * recorded in the store (and in `row`). 1 when the task is dead, 0 while it
 * runs, negative on error. */
int drover_rtask_refresh(drover_state *st, drover_ralloc *a, drover_rtask *t, drover_err *err);

/* Records `res` as the task's exit, with a Terminated event. */
void drover_rtask_record_exit(drover_state *st, drover_ralloc *a, drover_rtask *t,
                              const drover_exit_result *res);

/* A task found "starting" whose owner is gone: its start was under way when
 * that process died. Waits (bounded) for a shim the intent names to finish
 * starting, then has the driver recover it without a handle, which kills
 * what is left of it (driver.h), so that it never runs twice or untracked.
 * `msg` says so: "drover died while <driver>.start ran (attempt N); ...".
 * The store is not written: the caller records the failure. */
void drover_rtask_settle_start(drover_rtask *t, char *msg, size_t len);

/* 1 when the allocation's owner (the process watching it) is alive and is
 * not this process. */
int drover_ralloc_owner_alive(const drover_ralloc *a);

/* Releases everything; running tasks keep running (only exited ones are destroyed). */
void drover_ralloc_clear(drover_ralloc *a);

/* Opens the context and the state store for a daemonless command; prints the
 * problem prefixed with `cmd` and returns negative on failure. */
int drover_cmd_open(const char *cmd, const drover_common_opts *opts, drover_context *ctx,
                    drover_state **st);

/* Resolves an id prefix and loads the allocation, printing errors. */
int drover_cmd_load_alloc(const char *cmd, drover_context *ctx, drover_state *st,
                          const char *prefix, drover_ralloc *out);

drover_rtask *drover_ralloc_find_task(drover_ralloc *a, const char *name);

#endif
