/* Nomad's Driver service, the per-task calls. The SDK forbids two calls on
 * one drover_task at once, while Nomad's client waits on a task (WaitTask)
 * while it stops, inspects or signals it: each task has a lock every driver
 * call on it holds, and WaitTask polls the driver's wait_fd without it. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "bridge.h"
#include "util.h"

#define TASK_NOT_FOUND "task not found for given id"

struct nomad_event {
	char *task_id, *alloc_id, *task_name, *message;
	long long time_ms;
};

struct nomad_task {
	nomad_task *next;
	char *id, *name, *alloc_id;
	drover_task *task;
	pthread_mutex_t lock; /* held across every driver call on the task */
	unsigned refs;        /* under the bridge lock */
	int gone;             /* destroyed: out of the table */
	int exited;
	drover_exit_result result;
	long long started_at_ms;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ the table */

static nomad_task *task_get(nomad_bridge *b, const char *id)
{
	pthread_mutex_lock(&b->lock);
	nomad_task *t = b->tasks;
	while (t && strcmp(t->id, id) != 0)
		t = t->next;
	if (t)
		t->refs++;
	pthread_mutex_unlock(&b->lock);
	return t;
}

static void task_free(nomad_task *t)
{
	pthread_mutex_destroy(&t->lock);
	free(t->id);
	free(t->name);
	free(t->alloc_id);
	free(t);
}

static void task_put(nomad_bridge *b, nomad_task *t)
{
	pthread_mutex_lock(&b->lock);
	int last = --t->refs == 0 && t->gone;
	pthread_mutex_unlock(&b->lock);
	if (last)
		task_free(t);
}

/* Takes the task's lock; NULL (and the call finished NOT_FOUND) when the task
 * is unknown or was destroyed meanwhile. */
static nomad_task *task_lock(nomad_bridge *b, nomad_call *call, const char *id)
{
	nomad_task *t = id ? task_get(b, id) : NULL;
	if (t) {
		pthread_mutex_lock(&t->lock);
		if (!t->gone)
			return t;
		pthread_mutex_unlock(&t->lock);
		task_put(b, t);
	}
	nomad_call_finish(call, GRPC_STATUS_NOT_FOUND, TASK_NOT_FOUND);
	return NULL;
}

static void task_unlock(nomad_bridge *b, nomad_task *t)
{
	pthread_mutex_unlock(&t->lock);
	task_put(b, t);
}

static int task_add(nomad_bridge *b, const drover_task_config *cfg, drover_task *task)
{
	nomad_task *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->id = strdup(cfg->id);
	t->name = strdup(cfg->task_name);
	t->alloc_id = strdup(cfg->alloc_id ? cfg->alloc_id : "");
	if (!t->id || !t->name || !t->alloc_id) {
		task_free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->task = task;
	t->started_at_ms = now_ms();
	pthread_mutex_lock(&b->lock);
	t->next = b->tasks;
	b->tasks = t;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static int task_known(nomad_bridge *b, const char *id)
{
	nomad_task *t = task_get(b, id);
	if (t)
		task_put(b, t);
	return t != NULL;
}

/* ------------------------------------------------------------ events */

typedef struct event_sink {
	nomad_bridge *b;
	const drover_task_config *cfg;
} event_sink;

static void emit_event(void *sink, const char *type, const char *message)
{
	event_sink *s = sink;
	nomad_bridge *b = s->b;
	char text[600];
	snprintf(text, sizeof(text), "%s%s%s", type ? type : "", type && message ? ": " : "",
	         message ? message : "");
	pthread_mutex_lock(&b->lock);
	struct nomad_event *grown =
		realloc(b->events, (b->event_count + 1) * sizeof(*b->events));
	if (grown) {
		b->events = grown;
		struct nomad_event *e = &b->events[b->event_count];
		e->task_id = strdup(s->cfg->id);
		e->alloc_id = strdup(s->cfg->alloc_id ? s->cfg->alloc_id : "");
		e->task_name = strdup(s->cfg->task_name);
		e->message = strdup(text);
		e->time_ms = now_ms();
		if (e->task_id && e->alloc_id && e->task_name && e->message)
			b->event_count++;
		pthread_cond_broadcast(&b->events_cond);
	}
	pthread_mutex_unlock(&b->lock);
}

void nomad_rpc_task_events(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	ProtobufCMessage *req = nomad_call_request(call, &DP_DESC(task_events_request));
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	/* Events raised from now on (Nomad subscribes before it starts tasks). */
	pthread_mutex_lock(&b->lock);
	size_t seen = b->event_count;
	pthread_mutex_unlock(&b->lock);
	while (!nomad_call_gone(call, 0)) {
		pthread_mutex_lock(&b->lock);
		if (seen == b->event_count) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 200 * 1000000L;
			if (until.tv_nsec >= 1000000000L)
				until.tv_sec++, until.tv_nsec -= 1000000000L;
			pthread_cond_timedwait(&b->events_cond, &b->lock, &until);
		}
		struct nomad_event e = {0};
		int have = seen < b->event_count;
		if (have) {
			e = b->events[seen++];
			e.task_id = strdup(e.task_id), e.alloc_id = strdup(e.alloc_id);
			e.task_name = strdup(e.task_name), e.message = strdup(e.message);
		}
		pthread_mutex_unlock(&b->lock);
		if (!have)
			continue;
		Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
		ts.seconds = e.time_ms / 1000;
		ts.nanos = (int32_t)(e.time_ms % 1000) * 1000000;
		DP(DriverTaskEvent) ev = DP_INIT(DRIVER_TASK_EVENT);
		ev.task_id = e.task_id ? e.task_id : (char *)"";
		ev.alloc_id = e.alloc_id ? e.alloc_id : (char *)"";
		ev.task_name = e.task_name ? e.task_name : (char *)"";
		ev.message = e.message ? e.message : (char *)"";
		ev.timestamp = &ts;
		int rc = nomad_call_send(call, &ev.base);
		free(e.task_id), free(e.alloc_id), free(e.task_name), free(e.message);
		if (rc < 0)
			break;
	}
	nomad_call_finish(call, GRPC_STATUS_CANCELLED, "task events stream ended");
}

/* ------------------------------------------------------------ start, recover */

static void start_reply(nomad_call *call, int retry, const char *msg)
{
	DP(StartTaskResponse) resp = DP_INIT(START_TASK_RESPONSE);
	resp.result = retry ? DP_C(START_TASK_RESPONSE__RESULT__RETRY)
	                    : DP_C(START_TASK_RESPONSE__RESULT__FATAL);
	resp.driver_error_msg = (char *)msg;
	nomad_call_reply(call, &resp.base);
}

void nomad_rpc_start_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(StartTaskRequest) *req =
		(DP(StartTaskRequest) *)nomad_call_request(call, &DP_DESC(start_task_request));
	if (!req)
		return;
	_cleanup_arena_ nomad_arena arena = {0};
	nomad_task_config tc;
	drover_err err = {{0}};
	int rc = nomad_task_config_map(b, req->task, &arena, &tc, &err);
	if (rc == 0 && task_known(b, tc.cfg.id))
		rc = drover_err_set(&err, -EEXIST, "task \"%s\" already exists", tc.cfg.id);
	if (rc < 0) {
		start_reply(call, 0, err.message);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}
	event_sink sink = {b, &tc.cfg};
	tc.cfg.event_sink = &sink;
	tc.cfg.emit_event = emit_event;
	drover_task *task = NULL;
	drover_handle handle = {0};
	const drover_plugin *p = b->plugin;
	nomad_output *output = nomad_output_register(tc.cfg.state_dir, req->task->stdout_path,
	                                             req->task->stderr_path);
	rc = p->desc->start(p->ctx, &tc.cfg, &task, &handle, &err);
	nomad_output_unregister(output);
	if (rc < 0) {
		start_reply(call, rc == -EAGAIN || rc == -EBUSY,
		            err.message[0] ? err.message : strerror(-rc));
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}
	if (task_add(b, &tc.cfg, task) < 0) {
		/* Nothing may run that Nomad cannot find: undo the start. */
		drover_err derr = {{0}};
		p->desc->destroy(p->ctx, task, 1, &derr);
		free(handle.data);
		start_reply(call, 1, "out of memory");
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}
	DP(TaskHandle) th = DP_INIT(TASK_HANDLE);
	th.version = 1;
	th.config = req->task;
	th.state = DP_C(TASK_STATE__RUNNING);
	th.driver_state.data = handle.data;
	th.driver_state.len = handle.len;
	DP(StartTaskResponse) resp = DP_INIT(START_TASK_RESPONSE);
	resp.result = DP_C(START_TASK_RESPONSE__RESULT__SUCCESS);
	resp.handle = &th;
	nomad_call_reply(call, &resp.base);
	free(handle.data);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}

void nomad_rpc_recover_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(RecoverTaskRequest) *req =
		(DP(RecoverTaskRequest) *)nomad_call_request(call, &DP_DESC(recover_task_request));
	if (!req)
		return;
	_cleanup_arena_ nomad_arena arena = {0};
	nomad_task_config tc;
	drover_err err = {{0}};
	int rc;
	if (!req->handle || !req->handle->config)
		rc = drover_err_set(&err, -EINVAL, "RecoverTask: the handle carries no task config");
	else
		rc = nomad_task_config_map(b, req->handle->config, &arena, &tc, &err);
	if (rc == 0 && task_known(b, tc.cfg.id)) {
		/* already attached: Nomad may ask again after its own restart */
		DP(RecoverTaskResponse) resp = DP_INIT(RECOVER_TASK_RESPONSE);
		nomad_call_reply(call, &resp.base);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}
	if (rc == 0) {
		event_sink sink = {b, &tc.cfg};
		tc.cfg.event_sink = &sink;
		tc.cfg.emit_event = emit_event;
		drover_task *task = NULL;
		const drover_plugin *p = b->plugin;
		const DP(TaskHandle) *h = req->handle;
		/* a driver that starts a helper again on recovery (docker's log
		 * follower) keeps writing to Nomad's FIFOs */
		nomad_output *output = nomad_output_register(tc.cfg.state_dir,
		                                             h->config->stdout_path,
		                                             h->config->stderr_path);
		rc = p->desc->recover(p->ctx, &tc.cfg, h->driver_state.len ? h->driver_state.data : NULL,
		                      h->driver_state.len, &task, &err);
		nomad_output_unregister(output);
		if (rc == 0 && task_add(b, &tc.cfg, task) < 0) {
			drover_err derr = {{0}};
			p->desc->destroy(p->ctx, task, 1, &derr);
			rc = drover_err_set(&err, -ENOMEM, "out of memory");
		}
	}
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (rc < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         err.message[0] ? err.message : strerror(-rc));
	DP(RecoverTaskResponse) resp = DP_INIT(RECOVER_TASK_RESPONSE);
	nomad_call_reply(call, &resp.base);
}

/* ------------------------------------------------------------ wait */

/* With the task locked: 1 when it has exited (t->result filled), 0 while it
 * runs (*fd: a descriptor to poll, or -1), <0 on error. */
static int check_exit(nomad_bridge *b, nomad_task *t, int *fd, drover_err *err)
{
	const drover_plugin *p = b->plugin;
	*fd = -1;
	if (t->exited)
		return 1;
	drover_exit_result res = {.struct_size = sizeof(res)};
	int rc = p->desc->wait(p->ctx, t->task, DROVER_WAIT_NOHANG, &res, err);
	if (rc == 0) {
		t->result = res;
		t->exited = 1;
		return 1;
	}
	if (rc != -EAGAIN)
		return rc;
	rc = p->desc->wait_fd(p->ctx, t->task, err);
	if (rc >= 0)
		*fd = rc;
	else if (rc != -ESRCH)
		return rc;
	return 0;
}

static void exit_result(const drover_exit_result *r, DP(ExitResult) *out)
{
	*out = (DP(ExitResult))DP_INIT(EXIT_RESULT);
	out->exit_code = r->exit_code;
	out->signal = r->signal;
	out->oom_killed = r->oom_killed != 0;
}

void nomad_rpc_wait_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(WaitTaskRequest) *req =
		(DP(WaitTaskRequest) *)nomad_call_request(call, &DP_DESC(wait_task_request));
	if (!req)
		return;
	nomad_task *t = task_get(b, req->task_id);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!t)
		return nomad_call_finish(call, GRPC_STATUS_NOT_FOUND, TASK_NOT_FOUND);
	drover_err err = {{0}};
	drover_exit_result result;
	int rc;
	for (;;) {
		int fd = -1;
		pthread_mutex_lock(&t->lock);
		rc = t->gone ? -ENOENT : check_exit(b, t, &fd, &err);
		result = t->result;
		pthread_mutex_unlock(&t->lock);
		if (rc != 0)
			break;
		/* The driver's descriptor says when to look again; a short timeout
		 * notices a client that went away. */
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		poll(&pfd, fd >= 0 ? 1 : 0, fd >= 0 ? 1000 : 200);
		if (fd >= 0)
			close(fd);
		if (nomad_call_gone(call, 0)) {
			task_put(b, t);
			return nomad_call_finish(call, GRPC_STATUS_CANCELLED, "wait cancelled");
		}
	}
	task_put(b, t);
	if (rc == -ENOENT)
		return nomad_call_finish(call, GRPC_STATUS_NOT_FOUND, TASK_NOT_FOUND);
	DP(ExitResult) er;
	DP(WaitTaskResponse) resp = DP_INIT(WAIT_TASK_RESPONSE);
	if (rc < 0) {
		resp.err = err.message[0] ? err.message : strerror(-rc);
	} else {
		exit_result(&result, &er);
		resp.result = &er;
		if (result.error[0])
			resp.err = result.error;
	}
	nomad_call_reply(call, &resp.base);
}

/* ------------------------------------------------------------ stop, destroy, signal */

static long long duration_ms(const Google__Protobuf__Duration *d, long long fallback)
{
	if (!d)
		return fallback;
	return d->seconds * 1000 + d->nanos / 1000000;
}

void nomad_rpc_stop_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(StopTaskRequest) *req =
		(DP(StopTaskRequest) *)nomad_call_request(call, &DP_DESC(stop_task_request));
	if (!req)
		return;
	int signo = nomad_signal_number(req->signal, SIGINT);
	long long timeout = duration_ms(req->timeout, 5000);
	if (signo < 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "StopTask: \"%s\" is not a signal this system knows",
		         req->signal);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return nomad_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, msg);
	}
	nomad_task *t = task_lock(b, call, req->task_id);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!t)
		return;
	drover_err err = {{0}};
	int rc = 0;
	if (!t->exited)
		rc = b->plugin->desc->stop(b->plugin->ctx, t->task, signo, timeout < 0 ? 0 : timeout,
		                           &err);
	task_unlock(b, t);
	if (rc < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         err.message[0] ? err.message : strerror(-rc));
	DP(StopTaskResponse) resp = DP_INIT(STOP_TASK_RESPONSE);
	nomad_call_reply(call, &resp.base);
}

void nomad_rpc_destroy_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(DestroyTaskRequest) *req =
		(DP(DestroyTaskRequest) *)nomad_call_request(call, &DP_DESC(destroy_task_request));
	if (!req)
		return;
	int force = req->force;
	nomad_task *t = task_lock(b, call, req->task_id);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!t)
		return;
	drover_err err = {{0}};
	int rc = b->plugin->desc->destroy(b->plugin->ctx, t->task, force, &err);
	if (rc == 0) {
		pthread_mutex_lock(&b->lock);
		for (nomad_task **pp = &b->tasks; *pp; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		t->gone = 1;
		t->task = NULL;
		pthread_mutex_unlock(&b->lock);
		nomad_state_dir_remove(t->alloc_id, t->name);
	}
	task_unlock(b, t);
	if (rc == -EBUSY)
		return nomad_call_finish(call, GRPC_STATUS_FAILED_PRECONDITION,
		                         err.message[0] ? err.message
		                                        : "task is still running: stop it or force");
	if (rc < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         err.message[0] ? err.message : strerror(-rc));
	DP(DestroyTaskResponse) resp = DP_INIT(DESTROY_TASK_RESPONSE);
	nomad_call_reply(call, &resp.base);
}

void nomad_rpc_signal_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(SignalTaskRequest) *req =
		(DP(SignalTaskRequest) *)nomad_call_request(call, &DP_DESC(signal_task_request));
	if (!req)
		return;
	if (!DROVER_PLUGIN_HAS(b->plugin, signal)) {
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return nomad_call_finish(call, GRPC_STATUS_UNIMPLEMENTED,
		                         "this driver cannot signal tasks");
	}
	int signo = nomad_signal_number(req->signal, -EINVAL);
	if (signo < 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "SignalTask: \"%s\" is not a signal this system knows",
		         req->signal);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return nomad_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, msg);
	}
	nomad_task *t = task_lock(b, call, req->task_id);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!t)
		return;
	drover_err err = {{0}};
	int rc = b->plugin->desc->signal(b->plugin->ctx, t->task, signo, &err);
	task_unlock(b, t);
	if (rc < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         err.message[0] ? err.message : strerror(-rc));
	DP(SignalTaskResponse) resp = DP_INIT(SIGNAL_TASK_RESPONSE);
	nomad_call_reply(call, &resp.base);
}

/* ------------------------------------------------------------ inspect, stats */

static void timestamp(long long ms, Google__Protobuf__Timestamp *ts)
{
	*ts = (Google__Protobuf__Timestamp)GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts->seconds = ms / 1000;
	ts->nanos = (int32_t)(ms % 1000) * 1000000;
}

void nomad_rpc_inspect_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(InspectTaskRequest) *req =
		(DP(InspectTaskRequest) *)nomad_call_request(call, &DP_DESC(inspect_task_request));
	if (!req)
		return;
	nomad_task *t = task_lock(b, call, req->task_id);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!t)
		return;
	drover_task_status st = {.struct_size = sizeof(st)};
	drover_err err = {{0}};
	int rc = 0;
	if (DROVER_PLUGIN_HAS(b->plugin, inspect))
		rc = b->plugin->desc->inspect(b->plugin->ctx, t->task, &st, &err);
	else
		st.state = t->exited ? DROVER_TASK_EXITED : DROVER_TASK_RUNNING;
	if (t->exited && st.state != DROVER_TASK_EXITED) {
		st.state = DROVER_TASK_EXITED;
		st.exit_code = t->result.exit_code;
		st.signal = t->result.signal;
		st.oom_killed = t->result.oom_killed;
	}
	if (!st.started_at_ms)
		st.started_at_ms = t->started_at_ms;
	char *id = strdup(t->id), *name = strdup(t->name);
	task_unlock(b, t);
	if (rc < 0 || !id || !name) {
		free(id), free(name);
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         err.message[0] ? err.message : "inspect failed");
	}
	Google__Protobuf__Timestamp started, completed;
	timestamp(st.started_at_ms, &started);
	timestamp(st.completed_at_ms, &completed);
	DP(ExitResult) er;
	drover_exit_result r = {.exit_code = st.exit_code, .signal = st.signal,
	                        .oom_killed = st.oom_killed};
	exit_result(&r, &er);
	DP(TaskStatus) ts = DP_INIT(TASK_STATUS);
	ts.id = id;
	ts.name = name;
	ts.state = st.state == DROVER_TASK_RUNNING ? DP_C(TASK_STATE__RUNNING)
	           : st.state == DROVER_TASK_EXITED ? DP_C(TASK_STATE__EXITED)
	                                            : DP_C(TASK_STATE__UNKNOWN);
	ts.started_at = &started;
	if (st.state == DROVER_TASK_EXITED) {
		ts.completed_at = &completed;
		ts.result = &er;
	}
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", st.pid);
	st.detail[sizeof(st.detail) - 1] = '\0';
	DP(TaskDriverStatus__AttributesEntry) e1 = DP_INIT(TASK_DRIVER_STATUS__ATTRIBUTES_ENTRY);
	DP(TaskDriverStatus__AttributesEntry) e2 = DP_INIT(TASK_DRIVER_STATUS__ATTRIBUTES_ENTRY);
	e1.key = (char *)"pid", e1.value = pid;
	e2.key = (char *)"detail", e2.value = st.detail;
	DP(TaskDriverStatus__AttributesEntry) *entries[] = {&e1, &e2};
	DP(TaskDriverStatus) ds = DP_INIT(TASK_DRIVER_STATUS);
	ds.n_attributes = st.detail[0] ? 2 : 1;
	ds.attributes = entries;
	DP(InspectTaskResponse) resp = DP_INIT(INSPECT_TASK_RESPONSE);
	resp.task = &ts;
	resp.driver = &ds;
	nomad_call_reply(call, &resp.base);
	free(id), free(name);
}

void nomad_rpc_task_stats(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(TaskStatsRequest) *req =
		(DP(TaskStatsRequest) *)nomad_call_request(call, &DP_DESC(task_stats_request));
	if (!req)
		return;
	char *id = strdup(req->task_id);
	long long interval = duration_ms(req->collection_interval, 1000);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (interval <= 0)
		interval = 1000;
	if (!DROVER_PLUGIN_HAS(b->plugin, stats)) {
		free(id);
		return nomad_call_finish(call, GRPC_STATUS_UNIMPLEMENTED,
		                         "this driver reports no task statistics");
	}
	for (;;) {
		nomad_task *t = id ? task_lock(b, call, id) : NULL;
		if (!t)
			break; /* finished NOT_FOUND */
		drover_task_stats s = {.struct_size = sizeof(s)};
		drover_err err = {{0}};
		int rc = b->plugin->desc->stats(b->plugin->ctx, t->task, &s, &err);
		task_unlock(b, t);
		if (rc < 0) {
			nomad_call_finish(call, GRPC_STATUS_INTERNAL,
			                  err.message[0] ? err.message : strerror(-rc));
			break;
		}
		static DP(CPUUsage__Fields) cpu_fields[] = {
			DP_C(CPUUSAGE__FIELDS__SYSTEM_MODE), DP_C(CPUUSAGE__FIELDS__USER_MODE)};
		static DP(MemoryUsage__Fields) mem_fields[] = {
			DP_C(MEMORY_USAGE__FIELDS__RSS), DP_C(MEMORY_USAGE__FIELDS__USAGE),
			DP_C(MEMORY_USAGE__FIELDS__MAX_USAGE)};
		DP(CPUUsage) cpu = DP_INIT(CPUUSAGE);
		/* Nomad's CPU modes are percentages of the interval in its own
		 * drivers; drover reports cumulative times: sent as nanoseconds in
		 * total_ticks-free form, the fields Nomad documents as measured. */
		cpu.system_mode = (double)s.cpu_system_ns / 1e6;
		cpu.user_mode = (double)s.cpu_user_ns / 1e6;
		cpu.n_measured_fields = 2;
		cpu.measured_fields = cpu_fields;
		DP(MemoryUsage) mem = DP_INIT(MEMORY_USAGE);
		mem.rss = s.memory_rss_bytes;
		mem.usage = s.memory_usage_bytes;
		mem.max_usage = s.memory_max_usage_bytes;
		mem.n_measured_fields = 3;
		mem.measured_fields = mem_fields;
		DP(TaskResourceUsage) usage = DP_INIT(TASK_RESOURCE_USAGE);
		usage.cpu = &cpu;
		usage.memory = &mem;
		Google__Protobuf__Timestamp ts;
		timestamp(s.timestamp_ms ? s.timestamp_ms : now_ms(), &ts);
		DP(TaskStats) stats = DP_INIT(TASK_STATS);
		stats.id = id;
		stats.timestamp = &ts;
		stats.agg_resource_usage = &usage;
		DP(TaskStatsResponse) resp = DP_INIT(TASK_STATS_RESPONSE);
		resp.stats = &stats;
		if (nomad_call_send(call, &resp.base) < 0 || nomad_call_gone(call, interval)) {
			nomad_call_finish(call, GRPC_STATUS_CANCELLED, "stats stream ended");
			break;
		}
	}
	free(id);
}

/* ------------------------------------------------------------ exec */

static int read_all(int fd, nomad_arena *a, ProtobufCBinaryData *out)
{
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	out->data = nomad_arena_alloc(a, (size_t)size + 1);
	if (!out->data)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)size) {
		ssize_t n = read(fd, out->data + got, (size_t)size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out->len = got;
	return 0;
}

void nomad_rpc_exec_task(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(ExecTaskRequest) *req =
		(DP(ExecTaskRequest) *)nomad_call_request(call, &DP_DESC(exec_task_request));
	if (!req)
		return;
	if (!DROVER_PLUGIN_HAS(b->plugin, exec) || req->n_command == 0) {
		int none = req->n_command == 0;
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return nomad_call_finish(call, none ? GRPC_STATUS_INVALID_ARGUMENT
		                                    : GRPC_STATUS_UNIMPLEMENTED,
		                         none ? "ExecTask: \"command\" is empty"
		                              : "this driver cannot run commands in its tasks");
	}
	_cleanup_arena_ nomad_arena arena = {0};
	const char **argv = NOMAD_NEWN(&arena, const char *, req->n_command + 1);
	for (size_t i = 0; argv && i < req->n_command; i++)
		argv[i] = nomad_arena_strdup(&arena, req->command[i]);
	long long timeout = duration_ms(req->timeout, 0);
	nomad_task *t = task_lock(b, call, req->task_id);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!t)
		return;
	/* Output into memory files: the command may write more than a pipe holds
	 * before it exits, and exec returns only then. */
	int out = memfd_create("exec-stdout", MFD_CLOEXEC), errfd = memfd_create("exec-stderr", MFD_CLOEXEC);
	drover_err err = {{0}};
	int code = 0, rc = (out < 0 || errfd < 0 || arena.failed) ? -ENOMEM : 0;
	if (rc == 0) {
		drover_exec_request er = {.struct_size = sizeof(er), .argv = argv, .stdin_fd = -1,
		                          .stdout_fd = out, .stderr_fd = errfd, .timeout_ms = timeout};
		rc = b->plugin->desc->exec(b->plugin->ctx, t->task, &er, &code, &err);
	}
	task_unlock(b, t);
	DP(ExecTaskResponse) resp = DP_INIT(EXEC_TASK_RESPONSE);
	DP(ExitResult) res = DP_INIT(EXIT_RESULT);
	if (rc == 0 && (read_all(out, &arena, &resp.stdout) < 0 || read_all(errfd, &arena, &resp.stderr) < 0))
		rc = drover_err_set(&err, -EIO, "cannot read the command's output");
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (rc < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         err.message[0] ? err.message : strerror(-rc));
	res.exit_code = code;
	resp.result = &res;
	nomad_call_reply(call, &resp.base);
}

/* ------------------------------------------------------------ for exec_stream.c */

nomad_task *nomad_task_lock(nomad_bridge *b, nomad_call *call, const char *id)
{
	return task_lock(b, call, id);
}

void nomad_task_unlock(nomad_bridge *b, nomad_task *t)
{
	task_unlock(b, t);
}

drover_task *nomad_task_driver_task(const nomad_task *t)
{
	return t->task;
}
