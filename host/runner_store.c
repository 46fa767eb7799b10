#include "config.h"

#include "runner_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "network/state_ports.h"
#include "proc.h"
#include "task_events.h"
#include "taskenv.h"
#include "util.h"

/* One run per process (the runner is not re-entrant either), so the hooks need
 * no handle threaded through runner.c. */
static struct {
	drover_state *st;
	char *job_json;
	int notify_fd;
	pthread_mutex_t lock; /* notify_fd, queued: events come from the stop threads too */
	int batch_open, batch_nested;
	unsigned batch_allocs; /* allocations recorded in the open batch */
	char **queued; /* notes written while a batch is open, sent once it is committed */
	size_t nqueued;
} rs = {.notify_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

/* At most this many allocations are recorded in one commit. */
#define ALLOCS_PER_BATCH 64

static void warn(const char *what, const drover_err *err)
{
	fprintf(stderr, "drover: state store: %s: %s, ignoring\n", what, err->message);
}

static void notify_line(const char *line)
{
	size_t len = strlen(line);
	/* The reader waits for EOF, so a short write is only retried. */
	while (len > 0) {
		ssize_t n = write(rs.notify_fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
	if (write(rs.notify_fd, "\n", 1) < 0)
		return;
}

/* Takes `line`. Sent at once: `run -detach` must learn of every allocation
 * even when this runner dies before it has started every task. */
static void note(char *line)
{
	if (!line)
		return;
	/* One line per note: newlines in a driver's message would split it. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&rs.lock);
	if (rs.batch_open && rs.notify_fd >= 0) {
		/* Announced only once committed: `run -detach` must never report an
		 * allocation that a runner dying now would leave unrecorded. */
		char **grown = realloc(rs.queued, (rs.nqueued + 1) * sizeof(*rs.queued));
		if (grown) {
			rs.queued = grown;
			rs.queued[rs.nqueued++] = line;
			line = NULL;
		}
	}
	if (line && rs.notify_fd >= 0)
		notify_line(line);
	free(line);
	pthread_mutex_unlock(&rs.lock);
}

static void send_queued(void)
{
	pthread_mutex_lock(&rs.lock);
	for (size_t i = 0; i < rs.nqueued; i++) {
		if (rs.notify_fd >= 0)
			notify_line(rs.queued[i]);
		free(rs.queued[i]);
	}
	free(rs.queued);
	rs.queued = NULL;
	rs.nqueued = 0;
	pthread_mutex_unlock(&rs.lock);
}

void drover_runner_store_batch_begin(void)
{
	drover_err err = {{0}};
	if (!rs.st || rs.batch_open)
		return;
	if (drover_state_batch_begin(rs.st, &rs.batch_nested, &err) < 0) {
		/* Each write then commits on its own, as without a batch. */
		warn("starting a batch of writes", &err);
		return;
	}
	rs.batch_open = 1;
	rs.batch_allocs = 0;
	drover_task_events_hold(1);
}

int drover_runner_store_batch_is_open(void)
{
	return rs.batch_open;
}

int drover_runner_store_batch_commit(drover_err *err)
{
	if (!rs.st || !rs.batch_open)
		return 0;
	int rc = drover_state_batch_end(rs.st, rs.batch_nested, err);
	pthread_mutex_lock(&rs.lock);
	rs.batch_open = 0;
	pthread_mutex_unlock(&rs.lock);
	drover_task_events_hold(0);
	send_queued();
	return rc;
}

void drover_runner_store_commit(void)
{
	drover_err err = {{0}};
	if (drover_runner_store_batch_commit(&err) < 0)
		warn("committing a batch of writes", &err);
}

static void record_event(void *data, const char *alloc_id, const char *task, const char *type,
                         const char *message)
{
	drover_err err = {{0}};
	(void)data;
	if (!rs.st)
		return;
	if (drover_state_event_add(rs.st, alloc_id, task, drover_now_ms(), type, message, &err) < 0)
		warn("recording an event", &err);
	/* The runner reports a task that never ran only as an event. */
	if (strcmp(type, "Setup Failure") == 0 || strcmp(type, "Driver Failure") == 0) {
		if (drover_state_task_set_failed(rs.st, alloc_id, task, &err) < 0 ||
		    drover_state_alloc_refresh_status(rs.st, alloc_id, &err) < 0)
			warn("recording a failed task", &err);
		note(drover_strdup_printf("failed %s %s %s", alloc_id, task, message));
	}
}

static void record_shim(const char *state_dir, int shim_pid, unsigned long long shim_start);

int drover_runner_store_attach(drover_state *st, const char *job_json, int notify_fd,
                               drover_err *err)
{
	rs.job_json = strdup(job_json);
	if (!rs.job_json)
		return drover_err_set(err, -ENOMEM, "out of memory");
	rs.st = st;
	rs.notify_fd = notify_fd;
	drover_task_events_set_recorder(record_event, NULL);
	drover_proc_set_spawn_hook(record_shim);
	return 0;
}

void drover_runner_store_detach(void)
{
	drover_runner_store_commit();
	drover_task_events_set_recorder(NULL, NULL);
	drover_proc_set_spawn_hook(NULL);
	if (rs.notify_fd >= 0)
		close(rs.notify_fd);
	rs.notify_fd = -1;
	free(rs.job_json);
	rs.job_json = NULL;
	rs.st = NULL;
}

drover_state *drover_runner_store_state(void)
{
	return rs.st;
}

void drover_runner_store_alloc(const drover_jobspec *job, const drover_jobspec_group *group,
                               int index, const char *alloc_id, const char *alloc_dir)
{
	if (!rs.st)
		return;
	drover_err err = {{0}};
	_cleanup_(drover_freep) char *name = drover_taskenv_alloc_name(job, group, index);
	drover_state_alloc a = {
		.id = (char *)alloc_id,
		.job_id = job->id,
		.job_name = job->name,
		.job_json = rs.job_json,
		.group_name = group->name,
		.alloc_index = index,
		.alloc_name = name,
		.alloc_dir = (char *)alloc_dir,
		.desired_status = "run",
		.client_status = "pending",
		/* This runner watches it; `drover agent` adopts it once we are gone. */
		.owner_pid = (int)getpid(),
		.owner_start = drover_proc_start_time((int)getpid()),
	};
	if (drover_state_alloc_put(rs.st, &a, &err) < 0) {
		warn("recording an allocation", &err);
		return;
	}
	note(drover_strdup_printf("alloc %s", alloc_id));
	for (size_t i = 0; i < group->task_count; i++) {
		drover_state_task t = {
			.alloc_id = (char *)alloc_id,
			.name = group->tasks[i].name,
			.driver = group->tasks[i].driver,
			.state = "pending",
		};
		if (drover_state_task_put(rs.st, &t, &err) < 0)
			warn("recording a task", &err);
	}
	/* Making allocation directories can be slow (a busy file system): the
	 * write lock is given back now and then, so that another drover (a
	 * `drover stop`) never waits long for it. */
	if (rs.batch_open && ++rs.batch_allocs % ALLOCS_PER_BATCH == 0) {
		drover_runner_store_commit();
		drover_runner_store_batch_begin();
	}
}

void drover_runner_store_started(const char *alloc_id, const char *task_name,
                                 drover_plugin *plugin, drover_task *task,
                                 const drover_handle *handle)
{
	if (!rs.st)
		return;
	drover_err err = {{0}};
	drover_task_status status = {.struct_size = sizeof(status)};
	int pid = 0;
	long long started = drover_now_ms();
	if (plugin->desc->inspect && plugin->desc->inspect(plugin->ctx, task, &status, &err) == 0) {
		pid = status.pid;
		if (status.started_at_ms)
			started = status.started_at_ms;
	}
	if (drover_state_task_set_running(rs.st, alloc_id, task_name, pid, handle->data, handle->len,
	                                  started, &err) < 0 ||
	    drover_state_alloc_refresh_status(rs.st, alloc_id, &err) < 0)
		warn("recording a started task", &err);
}

void drover_runner_store_restarting(const char *alloc_id, const char *task_name, unsigned restarts,
                                    long long due_wall_ms)
{
	if (!rs.st)
		return;
	drover_err err = {{0}};
	if (drover_state_task_set_restart_due(rs.st, alloc_id, task_name, (int)restarts, due_wall_ms,
	                                      &err) < 0)
		warn("recording a restart", &err);
}

int drover_runner_store_starting(const char *alloc_id, const char *task_name,
                                 const char *state_dir, drover_err *err)
{
	if (!rs.st)
		return 0;
	int rc = drover_state_task_set_starting(rs.st, alloc_id, task_name, state_dir, NULL, err);
	if (rc == 0)
		rc = drover_state_alloc_refresh_status(rs.st, alloc_id, err);
	return rc;
}

static void record_shim(const char *state_dir, int shim_pid, unsigned long long shim_start)
{
	drover_state *st = rs.st;
	drover_err err = {{0}};
	if (st && drover_state_task_set_shim(st, state_dir, shim_pid, shim_start, &err) < 0)
		warn("recording a task's drover-shim", &err);
}

/* `drover stop ALLOC TASK` records a "Killing" event before it signals the
 * task (or "Killed" when it finds it waiting out a restart delay): one since
 * the task last started means a user stopped this task. */
static int task_stopped_by_user(const char *alloc_id, const char *task_name)
{
	drover_err err = {{0}};
	drover_state_task *tasks = NULL;
	drover_state_event *ev = NULL;
	size_t ntasks = 0, nev = 0;
	long long started = -1;
	int stopped = 0;

	if (drover_state_task_list(rs.st, alloc_id, &tasks, &ntasks, &err) < 0) {
		warn("reading the task's state", &err);
		return 0;
	}
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i].name && strcmp(tasks[i].name, task_name) == 0)
			started = tasks[i].started_ms;
	drover_state_tasks_free(tasks, ntasks);
	if (started < 0)
		return 0;
	if (drover_state_event_list(rs.st, alloc_id, task_name, 8, &ev, &nev, &err) < 0) {
		warn("reading the task's events", &err);
		return 0;
	}
	for (size_t i = 0; i < nev; i++)
		if (ev[i].time_ms >= started && ev[i].type &&
		    (strcmp(ev[i].type, "Killing") == 0 || strcmp(ev[i].type, "Killed") == 0))
			stopped = 1;
	drover_state_events_free(ev, nev);
	return stopped;
}

int drover_runner_store_stop_requested(const char *alloc_id, const char *task_name)
{
	if (!rs.st)
		return 0;
	drover_err err = {{0}};
	drover_state_alloc a = {0};
	if (drover_state_alloc_get(rs.st, alloc_id, &a, &err) < 0) {
		warn("reading the allocation's desired status", &err);
		return 0;
	}
	int stop = a.desired_status && strcmp(a.desired_status, "stop") == 0;
	drover_state_alloc_clear(&a);
	return stop || (task_name && task_stopped_by_user(alloc_id, task_name));
}

void drover_runner_store_forget(const char *alloc_id, const char *why)
{
	if (!rs.st)
		return;
	note(drover_strdup_printf("forget %s %s", alloc_id, why));
	drover_err err = {{0}};
	if (drover_state_alloc_delete(rs.st, alloc_id, &err) < 0)
		warn("removing an allocation that could not be set up", &err);
}

int drover_runner_store_ports(const drover_ports_config *cfg, const drover_port *want,
                              size_t count, drover_port_set *in_use, const char *where,
                              const char *alloc_id, const char *task, drover_alloc_ports *out,
                              drover_err *err)
{
	if (!rs.st || count == 0)
		return drover_ports_assign(cfg, want, count, in_use, where, out, err);
	return drover_state_ports_take(rs.st, cfg, want, count, in_use, where, alloc_id, task, out,
	                               err);
}

void drover_runner_store_exited(const char *alloc_id, const char *task_name,
                                const drover_exit_result *res)
{
	if (!rs.st)
		return;
	drover_err err = {{0}};
	if (drover_state_task_set_exited(rs.st, alloc_id, task_name, res, &err) < 0 ||
	    drover_state_alloc_refresh_status(rs.st, alloc_id, &err) < 0)
		warn("recording a task's exit", &err);
}

void drover_runner_store_start_done(void)
{
	/* What `run -detach` reports next reads the store: it must be there. */
	drover_runner_store_commit();
	pthread_mutex_lock(&rs.lock);
	if (rs.notify_fd >= 0) {
		notify_line("done");
		close(rs.notify_fd);
		rs.notify_fd = -1;
	}
	pthread_mutex_unlock(&rs.lock);
}

int drover_runner_store_job_text(const drover_value *doc, char **out, drover_err *err)
{
	char *text = drover_json_text(doc, NULL);
	if (!text)
		return drover_err_set(err, -ENOMEM, "cannot serialize the job document: out of memory "
		                      "or a value JSON cannot hold");
	*out = text;
	return 0;
}
