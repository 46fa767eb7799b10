#include "config.h"

#include "runner.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "allocdir.h"
#include "runner_store.h"
#include "task_events.h"
#include "taskenv.h"
#include "util.h"
#include "value_tree.h"

extern char **environ;

/* ------------------------------------------------------------ job checking */

static int driver_healthy(drover_plugin *plugin, char *why, size_t len)
{
	drover_fingerprint fp = {.struct_size = sizeof(fp)};
	drover_err err = {{0}};
	static const char nothing[] = "";
	fp.sink = NULL;
	fp.set_attribute = NULL;
	int rc = plugin->desc->fingerprint(plugin->ctx, &fp, &err);
	if (rc < 0) {
		snprintf(why, len, "fingerprint failed: %.250s", err.message);
		return 0;
	}
	snprintf(why, len, "%s", fp.description[0] ? fp.description : nothing);
	return fp.health == DROVER_HEALTH_HEALTHY;
}

int drover_job_check(drover_context *ctx, const drover_jobspec *job, int require_healthy,
                     drover_job_configs *out, drover_errlist *errors)
{
	size_t total = 0;
	for (size_t g = 0; g < job->group_count; g++)
		total += job->groups[g].task_count;
	drover_job_configs c = {0};
	c.configs = calloc(total ? total : 1, sizeof(*c.configs));
	c.plugins = calloc(total ? total : 1, sizeof(*c.plugins));
	if (!c.configs || !c.plugins) {
		drover_job_configs_clear(&c);
		return -ENOMEM;
	}
	int rc = 0;
	for (size_t g = 0; g < job->group_count; g++) {
		const drover_jobspec_group *group = &job->groups[g];
		for (size_t t = 0; t < group->task_count; t++, c.count++) {
			const drover_jobspec_task *task = &group->tasks[t];
			char where[512];
			snprintf(where, sizeof(where), "job \"%s\", group \"%s\", task \"%s\"", job->name,
			         group->name, task->name);
			drover_plugin *plugin = drover_plugin_set_find(&ctx->plugins, task->driver);
			if (!plugin) {
				drover_errlist_add(errors, "%s: driver \"%s\" is not loaded (plugin dir \"%s\"; see `drover plugins`)",
				                   where, task->driver, ctx->plugin_dir);
				rc = -EINVAL;
				continue;
			}
			c.plugins[c.count] = plugin;
			char cfg_where[600];
			snprintf(cfg_where, sizeof(cfg_where), "%s, driver \"%s\" config", where, task->driver);
			if (drover_schema_check(plugin->desc->task_schema, &task->config, cfg_where,
			                        &c.configs[c.count], errors) < 0) {
				rc = -EINVAL;
				continue;
			}
			char why[DROVER_HEALTH_DESCRIPTION_MAX + 64];
			if (require_healthy && !driver_healthy(plugin, why, sizeof(why))) {
				drover_errlist_add(errors, "%s: driver \"%s\" is not usable on this host: %s", where,
				                   task->driver, why);
				rc = -EINVAL;
			}
		}
	}
	if (rc < 0 || !out) {
		drover_job_configs_clear(&c);
		return rc;
	}
	*out = c;
	return 0;
}

void drover_job_configs_clear(drover_job_configs *c)
{
	for (size_t i = 0; c->configs && i < c->count; i++)
		drover_value_clear(&c->configs[i]);
	free(c->configs);
	free(c->plugins);
	*c = (drover_job_configs){0};
}

/* ----------------------------------------------------------------- running */

typedef enum run_task_state {
	RUN_TASK_PENDING,
	RUN_TASK_RUNNING,
	RUN_TASK_EXITED,
	RUN_TASK_FAILED, /* never started */
} run_task_state;

typedef struct run_alloc {
	char id[37];
	int index;
	const drover_jobspec_group *group;
	drover_allocdir dirs;
} run_alloc;

typedef struct run_task {
	run_alloc *alloc;
	const drover_jobspec_task *spec;
	drover_plugin *plugin;
	const drover_value *config;
	char *task_dir;
	char *id;
	char *alloc_name;
	drover_strv env;
	drover_task_config cfg;
	drover_task *task;
	drover_handle handle;
	int wait_fd;
	run_task_state state;
	int killed; /* stopped by us: a non-zero exit is expected */
	drover_exit_result result;
	FILE *events;
} run_task;

typedef struct run {
	drover_context *ctx;
	const drover_jobspec *job;
	FILE *events;
	run_alloc *allocs;
	size_t alloc_count;
	run_task *tasks;
	size_t task_count;
} run;

static void emit_driver_event(void *sink, const char *type, const char *message)
{
	run_task *t = sink;
	drover_task_event_print(t->events, t->alloc->id, t->spec->name, type ? type : "Driver",
	                        "%s", message ? message : "");
}

static void print_exit(run_task *t)
{
	const drover_exit_result *r = &t->result;
	drover_task_event_print(t->events, t->alloc->id, t->spec->name, "Terminated",
	                        "Exit Code: %d, Signal: %d%s%s%s", r->exit_code, r->signal,
	                        r->oom_killed ? ", OOM Killed" : "", r->error[0] ? ", " : "", r->error);
}

static int prepare_task(run *r, run_task *t)
{
	drover_err err = {{0}};
	const drover_jobspec_task *spec = t->spec;
	int rc = drover_allocdir_create_task(&t->alloc->dirs, spec->name, &t->task_dir, &err);
	if (rc < 0)
		goto fail;
	drover_taskenv_input in = {
		.job = r->job,
		.group = t->alloc->group,
		.task = spec,
		.alloc_id = t->alloc->id,
		.alloc_index = t->alloc->index,
		.dirs = &t->alloc->dirs,
		.task_dir = t->task_dir,
		.host_env = environ,
	};
	if ((rc = drover_taskenv_build(&in, &t->env, &err)) < 0)
		goto fail;
	t->id = drover_strdup_printf("%s/%s", t->alloc->id, spec->name);
	t->alloc_name = drover_taskenv_alloc_name(r->job, t->alloc->group, t->alloc->index);
	if (!t->id || !t->alloc_name) {
		rc = drover_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	t->cfg = (drover_task_config){
		.struct_size = sizeof(drover_task_config),
		.id = t->id,
		.job_id = r->job->id,
		.job_name = r->job->name,
		.group_name = t->alloc->group->name,
		.task_name = spec->name,
		.alloc_id = t->alloc->id,
		.alloc_name = t->alloc_name,
		.alloc_index = t->alloc->index,
		.alloc_dir = t->alloc->dirs.alloc_dir,
		.task_dir = t->task_dir,
		.log_dir = t->alloc->dirs.log_dir,
		.env = (const char *const *)t->env.items,
		.config = t->config,
		.user = spec->user,
		.cpu_mhz = spec->cpu_mhz,
		.memory_mb = spec->memory_mb,
		.memory_max_mb = spec->memory_max_mb,
		.kill_signal = spec->kill_signal,
		.kill_timeout_ms = spec->kill_timeout_ms,
		.log_max_files = spec->log_max_files,
		.log_max_file_size_mb = spec->log_max_file_size_mb,
		.event_sink = t,
		.emit_event = emit_driver_event,
	};
	return 0;
fail:
	drover_task_event_print(r->events, t->alloc->id, spec->name, "Setup Failure", "%s", err.message);
	t->state = RUN_TASK_FAILED;
	return rc;
}

static void start_task(run *r, run_task *t)
{
	drover_err err = {{0}};
	drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Received",
	                        "Task received by client");
	if (prepare_task(r, t) < 0)
		return;
	drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Task Setup",
	                        "Building Task Directory");
	int rc = t->plugin->desc->start(t->plugin->ctx, &t->cfg, &t->task, &t->handle, &err);
	if (rc < 0) {
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Driver Failure", "%s",
		                        err.message[0] ? err.message : strerror(-rc));
		t->state = RUN_TASK_FAILED;
		return;
	}
	t->state = RUN_TASK_RUNNING;
	t->wait_fd = -1;
	drover_runner_store_started(t->alloc->id, t->spec->name, t->plugin, t->task, &t->handle);
	drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Started",
	                        "Task started by client");
}

/* Collects the result of a task whose wait descriptor fired (or that has none).
 * Returns 1 when the task has exited. */
static int reap_task(run_task *t, int flags)
{
	drover_err err = {{0}};
	t->result = (drover_exit_result){.struct_size = sizeof(t->result)};
	int rc = t->plugin->desc->wait(t->plugin->ctx, t->task, flags, &t->result, &err);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0) {
		t->result.exit_code = -1;
		snprintf(t->result.error, sizeof(t->result.error), "%.255s",
		         err.message[0] ? err.message : strerror(-rc));
	}
	if (t->wait_fd >= 0)
		close(t->wait_fd);
	t->wait_fd = -1;
	t->state = RUN_TASK_EXITED;
	drover_runner_store_exited(t->alloc->id, t->spec->name, &t->result);
	print_exit(t);
	return 1;
}

/* Makes sure a running task has a wait descriptor; a task that has already
 * exited is reaped instead. */
static void arm_task(run_task *t)
{
	drover_err err = {{0}};
	if (t->state != RUN_TASK_RUNNING || t->wait_fd >= 0)
		return;
	int fd = t->plugin->desc->wait_fd(t->plugin->ctx, t->task, &err);
	if (fd >= 0) {
		t->wait_fd = fd;
		return;
	}
	/* -ESRCH: already gone. Anything else: fall back to a blocking wait, which
	 * every driver must support. Either way the exit is collected. */
	reap_task(t, 0);
}

static void *stop_task_thread(void *arg)
{
	run_task *t = arg;
	drover_err err = {{0}};
	int rc = t->plugin->desc->stop(t->plugin->ctx, t->task, t->spec->kill_signal,
	                               t->spec->kill_timeout_ms, &err);
	if (rc < 0)
		drover_task_event_print(t->events, t->alloc->id, t->spec->name, "Killing",
		                        "stop failed: %s", err.message);
	return NULL;
}

static void stop_all(run *r)
{
	pthread_t *threads = calloc(r->task_count ? r->task_count : 1, sizeof(*threads));
	int *started = calloc(r->task_count ? r->task_count : 1, sizeof(*started));
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		if (t->state != RUN_TASK_RUNNING)
			continue;
		t->killed = 1;
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Killing",
		                        "Sent interrupt. Waiting %lldms before force killing",
		                        t->spec->kill_timeout_ms);
		/* Stops run in parallel: each may wait up to its own KillTimeout. */
		if (threads && started && pthread_create(&threads[i], NULL, stop_task_thread, t) == 0)
			started[i] = 1;
		else
			stop_task_thread(t);
	}
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		if (started && started[i])
			pthread_join(threads[i], NULL);
		if (t->state == RUN_TASK_RUNNING && t->killed) {
			drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Killed",
			                        "Task successfully killed");
			reap_task(t, 0);
		}
	}
	free(threads);
	free(started);
}

static int watch(run *r, int sigfd)
{
	struct pollfd *fds = calloc(r->task_count + 1, sizeof(*fds));
	size_t *owner = calloc(r->task_count + 1, sizeof(*owner));
	if (!fds || !owner) {
		free(fds);
		free(owner);
		return -ENOMEM;
	}
	int stopping = 0;
	for (;;) {
		size_t n = 0;
		fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		for (size_t i = 0; i < r->task_count; i++) {
			arm_task(&r->tasks[i]);
			if (r->tasks[i].state == RUN_TASK_RUNNING && r->tasks[i].wait_fd >= 0) {
				owner[n] = i;
				fds[n++] = (struct pollfd){.fd = r->tasks[i].wait_fd, .events = POLLIN};
			}
		}
		if (n == 1)
			break;
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && !stopping) {
				stopping = 1;
				fprintf(stderr, "drover: %s received, stopping tasks\n",
				        drover_signal_name((int)si.ssi_signo));
				stop_all(r);
				continue;
			}
		}
		for (size_t k = 1; k < n; k++)
			if (fds[k].revents)
				reap_task(&r->tasks[owner[k]], DROVER_WAIT_NOHANG);
	}
	free(fds);
	free(owner);
	return 0;
}

static void destroy_all(run *r)
{
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		drover_err err = {{0}};
		if (t->task && t->plugin->desc->destroy(t->plugin->ctx, t->task, 1, &err) < 0)
			fprintf(stderr, "drover: task \"%s\": destroy failed: %s\n", t->id, err.message);
		if (t->wait_fd >= 0)
			close(t->wait_fd);
		free(t->handle.data);
		free(t->task_dir);
		free(t->id);
		free(t->alloc_name);
		drover_strv_clear(&t->env);
	}
	for (size_t i = 0; i < r->alloc_count; i++)
		drover_allocdir_clear(&r->allocs[i].dirs);
	free(r->tasks);
	free(r->allocs);
}

static int plan(run *r, const drover_job_configs *configs)
{
	size_t allocs = 0, tasks = 0;
	for (size_t g = 0; g < r->job->group_count; g++) {
		allocs += (size_t)r->job->groups[g].count;
		tasks += (size_t)r->job->groups[g].count * r->job->groups[g].task_count;
	}
	r->allocs = calloc(allocs ? allocs : 1, sizeof(*r->allocs));
	r->tasks = calloc(tasks ? tasks : 1, sizeof(*r->tasks));
	if (!r->allocs || !r->tasks)
		return -ENOMEM;
	size_t config_base = 0;
	for (size_t g = 0; g < r->job->group_count; g++) {
		const drover_jobspec_group *group = &r->job->groups[g];
		for (int index = 0; index < group->count; index++) {
			run_alloc *a = &r->allocs[r->alloc_count++];
			drover_err err = {{0}};
			a->index = index;
			a->group = group;
			int rc = drover_uuid_v4(a->id, sizeof(a->id));
			if (rc == 0)
				rc = drover_allocdir_create(r->ctx->data_dir, a->id, &a->dirs, &err);
			if (rc < 0) {
				fprintf(stderr, "drover: group \"%s\": cannot create the allocation: %s\n",
				        group->name, err.message[0] ? err.message : strerror(-rc));
				return rc;
			}
			drover_runner_store_alloc(r->job, group, index, a->id, a->dirs.alloc_dir);
			for (size_t t = 0; t < group->task_count; t++) {
				run_task *rt = &r->tasks[r->task_count++];
				rt->alloc = a;
				rt->spec = &group->tasks[t];
				rt->plugin = configs->plugins[config_base + t];
				rt->config = &configs->configs[config_base + t];
				rt->wait_fd = -1;
				rt->events = r->events;
			}
		}
		config_base += group->task_count;
	}
	return 0;
}

int drover_runner_run(drover_context *ctx, const drover_jobspec *job,
                      const drover_job_configs *configs, FILE *events)
{
	run r = {.ctx = ctx, .job = job, .events = events};
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	/* Blocked before anything starts, so a Ctrl-C during start-up is not lost:
	 * it is read from the signalfd once the tasks are watched. */
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sigfd < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -errno;
	}
	int rc = plan(&r, configs);
	for (size_t i = 0; rc == 0 && i < r.task_count; i++)
		start_task(&r, &r.tasks[i]);
	drover_runner_store_start_done();
	if (rc == 0)
		rc = watch(&r, sigfd);
	else
		stop_all(&r);

	int failed = 0;
	for (size_t i = 0; i < r.task_count; i++) {
		run_task *t = &r.tasks[i];
		if (t->state != RUN_TASK_EXITED || t->result.exit_code != 0 || t->result.signal != 0 ||
		    t->result.error[0])
			failed = 1;
	}
	destroy_all(&r);
	close(sigfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		return rc;
	return failed ? 1 : 0;
}
