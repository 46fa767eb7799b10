/* Recording a run (`drover run`, attached or detached) into the state store.
 *
 * The runner calls the drover_runner_store_* hooks at the few points where a
 * run changes state; they do nothing until drover_runner_store_attach gave
 * them a store. Events reach the store through the task_events recorder, so
 * every line the runner prints is also kept. Failing to record is reported on
 * stderr ("..., ignoring"): a task that runs is never stopped because its
 * bookkeeping failed. One run per process. */
#ifndef DROVER_HOST_RUNNER_STORE_H
#define DROVER_HOST_RUNNER_STORE_H

#include <drover/driver.h>

#include "jobspec.h"
#include "loader.h"
#include "network/ports.h"
#include "state_store.h"

/* `job_json` is the job document as validated (copied). `notify_fd` (-1: none)
 * receives, as they happen, one line "alloc <id>" per allocation recorded,
 * "forget <id> <why>" for one removed again because it could not be set up,
 * "failed <alloc-id> <task> <message>" per task that could not start, and
 * "done" once every task has been started or has failed to; it is then
 * closed. EOF without "done": the runner died while starting. */
int drover_runner_store_attach(drover_state *st, const char *job_json, int notify_fd,
                               drover_err *err);
void drover_runner_store_detach(void);

/* Batching: writes made between drover_runner_store_batch_begin and the next
 * commit form one transaction (host/state_store.h), and notes for `run
 * -detach` are sent once it is committed. begin does nothing while a batch is
 * open. The runner commits before every effect outside the store (a driver's
 * start, stop or signal), before it waits and before it ends: intent before
 * effect holds, and a write lock is never held across a driver call.
 * batch_commit reports a failed commit (then rolled back); commit warns. */
void drover_runner_store_batch_begin(void);
int drover_runner_store_batch_is_open(void);
int drover_runner_store_batch_commit(drover_err *err);
void drover_runner_store_commit(void);

/* The attached store, or NULL: for what the runner records beyond these
 * hooks (the allocation's network, host/network/alloc_network.h). */
drover_state *drover_runner_store_state(void);

/* The hooks runner.c calls. */
void drover_runner_store_alloc(const drover_jobspec *job, const drover_jobspec_group *group,
                               int index, const char *alloc_id, const char *alloc_dir);
void drover_runner_store_started(const char *alloc_id, const char *task_name,
                                 drover_plugin *plugin, drover_task *task,
                                 const drover_handle *handle);
/* Intent before effect: the start of the task is recorded as under way (with
 * `state_dir`, where its shim keeps its state) before the driver is called.
 * Unlike the other hooks this one fails (negative, `err` filled) when the
 * store cannot record it: the task must then not be started. 0 without a store. */
int drover_runner_store_starting(const char *alloc_id, const char *task_name,
                                 const char *state_dir, drover_err *err);
void drover_runner_store_exited(const char *alloc_id, const char *task_name,
                                const drover_exit_result *res);
/* The restart policy decided to start the task again: its count goes up. */
void drover_runner_store_restarting(const char *alloc_id, const char *task_name, unsigned restarts,
                                    long long due_wall_ms);
/* 1 when `drover stop` set the allocation's desired status to stop, or
 * (task_name not NULL) when `drover stop ALLOC TASK` stopped this task since
 * it last started: a user stop stays stopped. */
int drover_runner_store_stop_requested(const char *alloc_id, const char *task_name);
void drover_runner_store_start_done(void);
/* Removes an allocation that could not be set up after it was recorded;
 * `why` reaches `run -detach` as an "error <why>" line instead of its
 * "alloc <id>" line. */
void drover_runner_store_forget(const char *alloc_id, const char *why);

/* The host ports of (alloc_id, task; "" for the group's Networks), decided
 * once by drover_state_ports_take (network/state_ports.h): those the store
 * recorded for it, else chosen past every port a live allocation of any
 * drover process holds and recorded, in one transaction. Without a store,
 * drover_ports_assign against `in_use` alone. Ports handed out are added to
 * `in_use`. */
int drover_runner_store_ports(const drover_ports_config *cfg, const drover_port *want,
                              size_t count, drover_port_set *in_use, const char *where,
                              const char *alloc_id, const char *task, drover_alloc_ports *out,
                              drover_err *err);

/* The job document as compact JSON text (malloc'd), for drover_runner_store_attach. */
int drover_runner_store_job_text(const drover_value *doc, char **out, drover_err *err);

#endif
