#include "config.h"

#include "runner.h"

#include "display.h"
#include "plugin_suggest.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "allocdir.h"
#include "crash.h"
#include "interpolate.h"
#include "nodeinfo.h"
#include "host_volume.h"
#include "network/ports.h"
#include "lifecycle.h"
#include "network/alloc_network.h"
#include "network/group_network.h"
#include "restart_policy.h"
#include "runner_store.h"
#include "task_events.h"
#include "task_limits.h"
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
	int rc = drover_plugin_fingerprint(plugin, 0, &fp, &err);
	if (rc < 0) {
		snprintf(why, len, "fingerprint failed: %.250s", err.message);
		return 0;
	}
	snprintf(why, len, "%s", fp.description[0] ? fp.description : nothing);
	return fp.health == DROVER_HEALTH_HEALTHY;
}

/* A task's VolumeMounts: each group volume's Source must be a host volume the
 * agent declares, and the driver must isolate the filesystem to mount it. */
static int check_mounts(drover_context *ctx, const drover_jobspec_group *group,
                        const drover_jobspec_task *task, const drover_plugin *plugin,
                        const char *where, drover_errlist *errors)
{
	drover_capabilities caps = {.struct_size = sizeof(caps)};
	int rc = 0;

	if (!task->mount_count)
		return 0;
	if (plugin->desc->capabilities && plugin->desc->capabilities(plugin->ctx, &caps) == 0 &&
	    caps.fs_isolation == DROVER_FS_ISOLATION_NONE) {
		drover_errlist_add(errors, "%s: driver \"%s\" has no filesystem isolation and cannot "
		                   "mount volumes: remove VolumeMounts, or use the exec or docker driver",
		                   where, task->driver);
		rc = -EINVAL;
	}
	for (size_t i = 0; i < task->mount_count; i++) {
		const drover_volume *vol = drover_jobspec_group_volume(group, task->mounts[i].volume);
		const char *path;
		int ro;
		drover_err err = {{0}};
		if (!vol)
			continue; /* reported by the job's own checks */
		if (drover_host_volume_find(&ctx->config, vol->source, &path, &ro, &err) < 0) {
			drover_errlist_add(errors, "%s: VolumeMounts[%zu] (volume \"%s\"): %s", where, i,
			                   vol->name, err.message);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* A group network in mode bridge or none is a namespace every task of the
 * group joins: a driver that cannot put its task in it (raw_exec, which has
 * no isolation, as in Nomad) would run the task on the host's network. */
static int check_network(const drover_jobspec_group *group, const drover_jobspec_task *task,
                         const drover_plugin *plugin, const char *where, drover_errlist *errors)
{
	drover_capabilities caps = {.struct_size = sizeof(caps)};
	if (!drover_alloc_network_wanted(group))
		return 0;
	if (DROVER_PLUGIN_HAS(plugin, capabilities) &&
	    plugin->desc->capabilities(plugin->ctx, &caps) == 0 &&
	    (caps.network_modes & DROVER_NET_MODE_GROUP))
		return 0;
	drover_errlist_add(errors, "%s: driver \"%s\" cannot run a task in the group's network "
	                   "namespace (network mode \"%s\"): the driver does not offer group "
	                   "network isolation; use one that does (exec, docker), or network mode "
	                   "\"host\"",
	                   where, task->driver, group->network.mode);
	return -EINVAL;
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
			drover_plugin *plugin = drover_context_plugin(ctx, task->driver);
			if (!plugin) {
				char known[512];
				drover_plugin_set_suggest(&ctx->plugins, task->driver, known, sizeof(known));
				drover_errlist_add(errors, "%s: driver \"%s\" is not loaded (plugin dir \"%s\"; see `drover plugins`): %s",
				                   where, task->driver, ctx->plugin_dir, known);
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
			if (drover_task_check_limits(job, group, task, &c.configs[c.count], where, errors) < 0) {
				rc = -EINVAL;
				continue;
			}
			if (check_mounts(ctx, group, task, plugin, where, errors) < 0)
				rc = -EINVAL;
			if (check_network(group, task, plugin, where, errors) < 0)
				rc = -EINVAL;
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
	RUN_TASK_RESTARTING, /* exited; starts again at restart_at_ms */
	RUN_TASK_EXITED,
	RUN_TASK_FAILED,     /* could not start */
	RUN_TASK_SKIPPED,    /* never started: its allocation was killed first */
} run_task_state;

typedef struct run_alloc {
	char id[37];
	int index;
	const drover_jobspec *job;
	const drover_jobspec_group *group;
	drover_allocdir dirs;
	drover_alloc_ports ports;
	size_t first_task; /* its tasks are tasks[first_task .. first_task + task_count) */
	size_t task_count;
	drover_lifecycle_alloc lc;
	drover_lifecycle_task *lc_tasks;
	drover_network network; /* cfg.network of its tasks */
	drover_alloc_net net;   /* its namespace in mode bridge or none */
	int net_up;             /* net is set up (and recorded): taken down when it ends */
} run_alloc;

typedef struct run_task {
	run_alloc *alloc;
	const drover_jobspec_task *spec;
	drover_plugin *plugin;
	const drover_value *config;
	drover_value interpolated; /* config after ${...}: what the driver gets */
	drover_alloc_ports ports;  /* legacy task-level Resources.Networks */
	const char **port_labels;  /* their labels, NULL-ended: cfg.task_ports */
	drover_task_mounts mounts; /* cfg.mounts */
	char *task_dir;
	char *state_dir; /* <data_dir>/run/<alloc>/<task>: the shim's files */
	char *id;
	char *alloc_name;
	drover_strv env;
	drover_task_config cfg;
	drover_task *task;
	drover_handle handle;
	int wait_fd;
	run_task_state state;
	int killed; /* stopped by us: a non-zero exit is expected */
	int failed; /* Nomad's TaskState.Failed: could not start, or not restarted */
	drover_exit_result result;
	drover_restart_tracker restart;
	long long restart_at_ms; /* monotonic, while RUN_TASK_RESTARTING */
	FILE *events;
	drover_value owned_config; /* resumed tasks: `config` points here */
	int unprepared; /* adopted, but its config cannot be rebuilt: never restarted */
	int keep_running; /* destroy_all: left running for the next owner */
} run_task;

typedef struct run {
	drover_context *ctx;
	const drover_jobspec *job;
	FILE *events;
	run_alloc *allocs;
	size_t alloc_count;
	run_task *tasks;
	size_t task_count;
	drover_node_info node;
	drover_ports_config ports_cfg;
	drover_port_set ports_in_use; /* the state store's live allocations go here */
	int interrupted; /* SIGINT/SIGTERM seen: the run is not a success */
	int resumed;     /* drover_runner_resume: fds[0] is the detach descriptor */
	int detached;    /* left the tasks running for another process to adopt */
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
	free(t->task_dir);
	free(t->state_dir);
	t->task_dir = t->state_dir = NULL;
	int rc = drover_allocdir_create_task(&t->alloc->dirs, spec->name, &t->task_dir,
	                                     &t->state_dir, &err);
	if (rc < 0)
		goto fail;
	const drover_jobspec *job = t->alloc->job;
	drover_taskenv_input in = {
		.job = job,
		.group = t->alloc->group,
		.task = spec,
		.alloc_id = t->alloc->id,
		.alloc_index = t->alloc->index,
		.dirs = &t->alloc->dirs,
		.task_dir = t->task_dir,
		.host_env = drover_plugin_fs_isolation(t->plugin) == DROVER_FS_ISOLATION_IMAGE
		                     ? NULL
		                     : environ,
		.group_ports = &t->alloc->ports,
		.task_ports = &t->ports,
		.node = &r->node,
	};
	drover_interp_scope scope;
	/* A task's own ports are taken once, at its first start here: a restart
	 * keeps them (an adopter reads them back from the store). */
	if (spec->port_count && !t->ports.count) {
		if ((rc = drover_runner_store_ports(&r->ports_cfg, spec->ports, spec->port_count,
		                                    &r->ports_in_use, "Resources.Networks",
		                                    t->alloc->id, spec->name, &t->ports, &err)) < 0)
			goto fail;
		free(t->port_labels);
		size_t n = 0;
		if (!(t->port_labels = calloc(t->ports.count + 1, sizeof(*t->port_labels)))) {
			rc = drover_err_set(&err, -ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < t->ports.count; i++)
			if (t->ports.ports[i].label)
				t->port_labels[n++] = t->ports.ports[i].label;
	}
	if ((rc = drover_taskenv_build(&in, &t->env, &err)) < 0)
		goto fail;
	/* Resolved again at every (re)start: the host path may have changed. */
	drover_task_mounts_clear(&t->mounts);
	if ((rc = drover_task_mounts_build(&r->ctx->config, t->alloc->group, spec, &t->mounts,
	                                   &err)) < 0)
		goto fail;
	drover_interp_scope_for_task(&scope, job, t->alloc->group, spec, &t->env, &r->node);
	if ((rc = drover_interpolate_task_config(&scope, job, t->alloc->group, spec, t->config,
	                                         &t->interpolated, &err)) < 0)
		goto fail;
	t->id = drover_strdup_printf("%s/%s", t->alloc->id, spec->name);
	t->alloc_name = drover_taskenv_alloc_name(job, t->alloc->group, t->alloc->index);
	if (!t->id || !t->alloc_name) {
		rc = drover_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	t->cfg = (drover_task_config){
		.struct_size = sizeof(drover_task_config),
		.id = t->id,
		.job_id = job->id,
		.job_name = job->name,
		.group_name = t->alloc->group->name,
		.task_name = spec->name,
		.alloc_id = t->alloc->id,
		.alloc_name = t->alloc_name,
		.alloc_index = t->alloc->index,
		.alloc_dir = t->alloc->dirs.alloc_dir,
		.task_dir = t->task_dir,
		.log_dir = t->alloc->dirs.log_dir,
		.env = (const char *const *)t->env.items,
		.config = &t->interpolated,
		.user = spec->user,
		.cpu_mhz = spec->cpu_mhz,
		.memory_mb = spec->memory_mb,
		.memory_max_mb = spec->memory_max_mb,
		.kill_signal = spec->kill_signal,
		.kill_signal_set = spec->kill_signal_set,
		.kill_timeout_ms = spec->kill_timeout_ms,
		.log_max_files = spec->log_max_files,
		.log_max_file_size_mb = spec->log_max_file_size_mb,
		.event_sink = t,
		.emit_event = emit_driver_event,
		.state_dir = t->state_dir,
		.task_ports = (const char *const *)t->port_labels,
		.mounts = (const drover_mount *const *)t->mounts.ptrs,
		.network = &t->alloc->network,
	};
	return 0;
fail:
	drover_task_event_print(r->events, t->alloc->id, spec->name, "Setup Failure", "%s", err.message);
	t->state = RUN_TASK_FAILED;
	t->failed = 1;
	return rc;
}

static void stop_after_start(run *r, run_task *t);

/* Starts (or starts again) a prepared task through its driver. The start is
 * recorded as under way first (intent before effect): a task whose start
 * cannot be recorded is not started, since no later drover could find it.
 * The records before the start are one committed batch; those after it stay
 * in an open batch that the next start's intent, or the runner before it
 * waits, commits (a runner dying in between leaves the task "starting" with
 * its shim recorded, which the next owner settles). */
static void launch_task(run *r, run_task *t, int first)
{
	drover_err err = {{0}};
	drover_runner_store_batch_begin();
	if (first)
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Task Setup",
		                        "Building Task Directory");
	if (t->plugin->quarantine[0]) {
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Driver Failure", "%s",
		                        t->plugin->quarantine);
		t->state = RUN_TASK_FAILED;
		t->failed = 1;
		return;
	}
	/* t->state_dir: drover_allocdir_state_dir's, made by prepare_task. */
	int rc = t->state_dir
	         ? drover_runner_store_starting(t->alloc->id, t->spec->name, t->state_dir, &err)
	         : drover_err_set(&err, -ENOMEM, "the task has no state directory");
	if (rc == 0)
		rc = drover_runner_store_batch_commit(&err);
	else
		drover_runner_store_commit();
	if (rc < 0) {
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Setup Failure",
		                        "the start cannot be recorded, so the task is not started: %s",
		                        err.message);
		t->state = RUN_TASK_FAILED;
		t->failed = 1;
		return;
	}
	drover_crash_enter(t->plugin, "start", t->alloc->id, t->spec->name);
	rc = t->plugin->desc->start(t->plugin->ctx, &t->cfg, &t->task, &t->handle, &err);
	drover_crash_leave();
	if (rc < 0) {
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Driver Failure", "%s",
		                        err.message[0] ? err.message : strerror(-rc));
		t->state = RUN_TASK_FAILED;
		t->failed = 1;
		return;
	}
	t->state = RUN_TASK_RUNNING;
	t->wait_fd = -1;
	drover_runner_store_batch_begin();
	drover_runner_store_started(t->alloc->id, t->spec->name, t->plugin, t->task, &t->handle);
	drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Started",
	                        "Task started by client");
	/* `drover stop` from another process while the driver started it: that
	 * process could not reach a task that was not started yet. */
	if (drover_runner_store_stop_requested(t->alloc->id, NULL))
		stop_after_start(r, t);
}

static void start_task(run *r, run_task *t)
{
	/* A desired stop recorded by `drover stop` is honoured by whoever owns
	 * the allocation: nothing more of it starts. */
	if (drover_runner_store_stop_requested(t->alloc->id, NULL)) {
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Killed",
		                        "Task was never started: the allocation was stopped");
		t->result = (drover_exit_result){.struct_size = sizeof(t->result)};
		drover_runner_store_exited(t->alloc->id, t->spec->name, &t->result);
		t->killed = 1;
		t->state = RUN_TASK_SKIPPED;
		return;
	}
	if (prepare_task(r, t) < 0)
		return;
	drover_restart_tracker_init(&t->restart, t->alloc->job->type, t->spec->lifecycle_hook,
	                            t->spec->lifecycle_sidecar, drover_monotonic_ms());
	launch_task(r, t, 1);
}

/* The driver's previous run of the task is finished with before the next. */
static void restart_task(run *r, run_task *t)
{
	drover_err err = {{0}};
	if (t->task && t->plugin->desc->destroy(t->plugin->ctx, t->task, 1, &err) < 0)
		fprintf(stderr, "drover: task \"%s\": destroy before restart failed: %s\n", t->id,
		        err.message);
	t->task = NULL;
	free(t->handle.data);
	t->handle = (drover_handle){0};
	t->restart_at_ms = 0;
	/* `drover stop` from another process while the task waited for its delay. */
	if (drover_runner_store_stop_requested(t->alloc->id, t->spec->name)) {
		t->killed = 1;
		t->state = RUN_TASK_EXITED;
		return;
	}
	launch_task(r, t, 0);
}

static uint64_t jitter_random(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	return (uint64_t)drover_monotonic_ms() * 2654435761u;
}

/* What follows an exit the task made on its own: the restart policy decides
 * between done, failed and another run after a delay. */
static void after_exit(run_task *t)
{
	/* Killed by this runner, or by `drover stop` from another process: never
	 * restarted. */
	if (t->killed || drover_runner_store_stop_requested(t->alloc->id, t->spec->name)) {
		t->state = RUN_TASK_EXITED;
		return;
	}
	if (t->unprepared) {
		drover_task_event_print(t->events, t->alloc->id, t->spec->name, "Not Restarting",
		                        "the task's config could not be rebuilt after it was adopted");
		t->state = RUN_TASK_EXITED;
		t->failed = 1;
		return;
	}
	const drover_exit_result *res = &t->result;
	int success = res->exit_code == 0 && res->signal == 0 && !res->error[0];
	long long now = drover_monotonic_ms();
	drover_restart_decision d;
	drover_restart_decide(&t->restart, &t->spec->restart, success, now, jitter_random(), &d);
	char message[256];
	drover_restart_event_message(&d, message, sizeof(message));
	switch (d.action) {
	case DROVER_RESTART_TERMINATED:
		t->state = RUN_TASK_EXITED;
		break;
	case DROVER_RESTART_RESTART:
		t->state = RUN_TASK_RESTARTING;
		t->restart_at_ms = now + d.delay_ms;
		/* Wall clock in the store: an adopter honours the same due time.
		 * Recorded before the event is announced, so that whoever saw the
		 * announcement finds the due time too. */
		drover_runner_store_restarting(t->alloc->id, t->spec->name, t->restart.restarts,
		                               drover_now_ms() + d.delay_ms);
		drover_task_event_print(t->events, t->alloc->id, t->spec->name, "Restarting", "%s",
		                        message);
		break;
	case DROVER_RESTART_NOT_RESTARTING:
		drover_task_event_print(t->events, t->alloc->id, t->spec->name, "Not Restarting", "%s",
		                        message);
		t->state = RUN_TASK_EXITED;
		t->failed = 1;
		break;
	}
}

/* Collects the result of a task whose wait descriptor fired (or that has none).
 * Returns 1 when the task has exited. */
static int reap_task(run_task *t, int flags)
{
	drover_err err = {{0}};
	t->result = (drover_exit_result){.struct_size = sizeof(t->result)};
	drover_crash_enter(t->plugin, "wait", t->alloc->id, t->spec->name);
	int rc = t->plugin->desc->wait(t->plugin->ctx, t->task, flags, &t->result, &err);
	drover_crash_leave();
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
	drover_runner_store_exited(t->alloc->id, t->spec->name, &t->result);
	print_exit(t);
	after_exit(t);
	return 1;
}

/* Makes sure a running task has a wait descriptor; a task that has already
 * exited is reaped instead (returns 1 then). */
static int arm_task(run_task *t)
{
	drover_err err = {{0}};
	if (t->state != RUN_TASK_RUNNING || t->wait_fd >= 0)
		return 0;
	int fd = t->plugin->desc->wait_fd(t->plugin->ctx, t->task, &err);
	if (fd >= 0) {
		t->wait_fd = fd;
		return 0;
	}
	/* -ESRCH: already gone. Anything else: fall back to a blocking wait, which
	 * every driver must support. Either way the exit is collected. */
	return reap_task(t, 0);
}

static void stop_one(run_task *t)
{
	drover_err err = {{0}};
	drover_crash_enter(t->plugin, "stop", t->alloc->id, t->spec->name);
	int rc = t->plugin->desc->stop(t->plugin->ctx, t->task, t->spec->kill_signal,
	                               t->spec->kill_timeout_ms, &err);
	drover_crash_leave();
	if (rc < 0)
		drover_task_event_print(t->events, t->alloc->id, t->spec->name, "Killing",
		                        "stop failed: %s", err.message);
}

/* One driver call per task of a list (stops, destroys), shared by worker
 * threads: the calls mostly wait (for a process to exit, a cgroup to empty),
 * so a few threads overlap those waits without a thread per task. */
typedef struct task_pool {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	run_task **list;
	size_t n, next, done;
	void (*fn)(run_task *t);
} task_pool;

/* Workers a pool starts with. A stop blocks its worker until the task is gone
 * (up to its KillTimeout), so more join while calls stay unfinished. */
#define POOL_WORKERS 32
/* How long every worker may be busy before another POOL_WORKERS join: a task
 * that ignores its KillSignal holds its worker for the whole KillTimeout, and
 * the tasks queued behind it must not wait for that before their own signal. */
#define POOL_STALL_MS 50

static void *pool_worker(void *arg)
{
	task_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	while (p->next < p->n) {
		run_task *t = p->list[p->next++];
		pthread_mutex_unlock(&p->lock);
		p->fn(t);
		pthread_mutex_lock(&p->lock);
		p->done++;
		pthread_cond_signal(&p->done_cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Runs fn on every task of `list` on a few threads, more only while the calls
 * stall; without any thread (none could be made), one after the other here. */
static void pool_run(run_task **list, size_t n, void (*fn)(run_task *t))
{
	task_pool p = {.lock = PTHREAD_MUTEX_INITIALIZER, .list = list, .n = n, .fn = fn};
	pthread_t *threads = calloc(n ? n : 1, sizeof(*threads));
	size_t nthreads = 0;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p.done_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&p.lock);
	int stalled = 1; /* at first, as good as stalled: no worker yet */
	while (p.done < n) {
		/* No call finished for POOL_STALL_MS while some are still queued:
		 * every worker waits (out a KillTimeout, say), so more join. */
		for (size_t k = 0; stalled && threads && k < POOL_WORKERS && nthreads < n && p.next < n;
		     k++) {
			if (pthread_create(&threads[nthreads], NULL, pool_worker, &p) != 0)
				break;
			nthreads++;
		}
		if (!nthreads) {
			pthread_mutex_unlock(&p.lock);
			pool_worker(&p);
			pthread_mutex_lock(&p.lock);
			break;
		}
		size_t seen = p.done;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += POOL_STALL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (p.done == seen && p.done < n &&
		       pthread_cond_timedwait(&p.done_cond, &p.lock, &until) == 0)
			;
		stalled = p.done == seen;
	}
	pthread_mutex_unlock(&p.lock);
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	pthread_cond_destroy(&p.done_cond);
	pthread_mutex_destroy(&p.lock);
	free(threads);
}

/* Stops the listed tasks in parallel (each may wait up to its own KillTimeout)
 * and collects their exits. A task waiting for a restart just stays down.
 * The "Killing" records are committed together before the first signal and
 * the exits together after the last stop: two commits, not a few per task. */
static void kill_tasks(run *r, run_task **list, size_t n)
{
	run_task **stops = calloc(n ? n : 1, sizeof(*stops));
	size_t nstops = 0;
	if (!stops && n > 1) {
		/* No memory for the list: one task at a time, but every one. */
		for (size_t i = 0; i < n; i++)
			kill_tasks(r, &list[i], 1);
		return;
	}
	run_task *one[1];
	if (!stops)
		stops = one;
	drover_runner_store_batch_begin();
	for (size_t i = 0; i < n; i++) {
		run_task *t = list[i];
		t->killed = 1;
		if (t->state == RUN_TASK_RESTARTING) {
			t->state = RUN_TASK_EXITED;
			t->restart_at_ms = 0;
			continue;
		}
		if (t->state != RUN_TASK_RUNNING)
			continue;
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Killing",
		                        "Sent interrupt. Waiting %lldms before force killing",
		                        t->spec->kill_timeout_ms);
		stops[nstops++] = t;
	}
	drover_runner_store_commit();
	pool_run(stops, nstops, stop_one);
	drover_runner_store_batch_begin();
	for (size_t i = 0; i < nstops; i++) {
		run_task *t = stops[i];
		if (t->state == RUN_TASK_RUNNING) {
			drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Killed",
			                        "Task successfully killed");
			reap_task(t, 0);
		}
	}
	drover_runner_store_commit();
	if (stops != one)
		free(stops);
}

static void stop_after_start(run *r, run_task *t)
{
	run_task *one[1] = {t};
	kill_tasks(r, one, 1);
}

static drover_lifecycle_state lifecycle_state(const run_task *t)
{
	switch (t->state) {
	case RUN_TASK_PENDING:
		return DROVER_LC_PENDING;
	case RUN_TASK_RUNNING:
	case RUN_TASK_RESTARTING:
		return DROVER_LC_RUNNING;
	default:
		return DROVER_LC_DEAD;
	}
}

/* Asks the lifecycle of one allocation what to do now: starts and skips are
 * done at once, kills are queued in `kills` so that every allocation's stops
 * run in parallel. Returns the number of actions. */
static size_t advance_alloc(run *r, run_alloc *a, run_task **kills, size_t *nkills,
                            drover_lifecycle_action *actions)
{
	for (size_t i = 0; i < a->task_count; i++) {
		const run_task *t = &r->tasks[a->first_task + i];
		drover_lifecycle_task *lt = &a->lc_tasks[i];
		lt->state = lifecycle_state(t);
		lt->failed = t->failed;
		if (t->state == RUN_TASK_RUNNING)
			lt->started = 1;
	}
	size_t n = drover_lifecycle_next(&a->lc, a->lc_tasks, a->task_count, actions);
	char message[300];
	const char *kill_type = drover_lifecycle_kill_event(&a->lc, a->lc_tasks, message,
	                                                    sizeof(message));
	for (size_t k = 0; k < n; k++) {
		run_task *t = &r->tasks[a->first_task + actions[k].task];
		switch (actions[k].verb) {
		case DROVER_LC_START:
			start_task(r, t);
			break;
		case DROVER_LC_SKIP:
			if (kill_type)
				drover_task_event_print(r->events, a->id, t->spec->name, kill_type, "%s",
				                        message);
			/* Recorded dead: a row left pending would be started by the
			 * next owner of the allocation. */
			t->result = (drover_exit_result){.struct_size = sizeof(t->result)};
			drover_runner_store_exited(a->id, t->spec->name, &t->result);
			t->state = RUN_TASK_SKIPPED;
			break;
		case DROVER_LC_KILL:
			if (kill_type)
				drover_task_event_print(r->events, a->id, t->spec->name, kill_type, "%s",
				                        message);
			kills[(*nkills)++] = t;
			break;
		}
	}
	return n;
}

/* Sets up the allocation's namespace before its first task starts; its
 * tasks are then told its path (cfg.network). */
static int network_up(run *r, run_alloc *a, drover_plugin *const *plugins, drover_err *err)
{
	if (!drover_alloc_network_wanted(a->group))
		return 0;
	/* What is batched is committed first: the namespace's records must be
	 * committed before it exists, and CNI must not run under the store's
	 * write lock. */
	int batched = drover_runner_store_batch_is_open();
	drover_runner_store_commit();
	int rc = drover_alloc_network_up(r->ctx, drover_runner_store_state(), a->job, a->group, a->id,
	                                 &a->ports, drover_alloc_network_initiator(plugins, a->group->task_count),
	                                 a->dirs.run_dir, &a->net, err);
	if (batched)
		drover_runner_store_batch_begin();
	if (rc < 0)
		return rc;
	a->net_up = 1;
	drover_group_network_view(a->group, &a->net, &a->network);
	return 0;
}

/* Told once per allocation, as an event of its first task. */
static void network_event(run *r, const run_alloc *a)
{
	if (a->net_up)
		drover_task_event_print(r->events, a->id, a->group->tasks[0].name, "Network",
		                        "Network namespace %s set up (mode %s%s%s)", a->net.netns_path,
		                        a->group->network.mode, a->net.address[0] ? ", address " : "",
		                        a->net.address);
}

/* An allocation none of whose tasks can run again gives its namespace back
 * (CNI DEL, namespace removed); a failure is retried by `drover gc`. */
static void network_down_if_done(run *r, run_alloc *a)
{
	if (!a->net_up || r->detached)
		return;
	for (size_t i = 0; i < a->task_count; i++) {
		run_task_state st = r->tasks[a->first_task + i].state;
		if (st == RUN_TASK_PENDING || st == RUN_TASK_RUNNING || st == RUN_TASK_RESTARTING)
			return;
	}
	drover_err err = {{0}};
	drover_state *store = drover_runner_store_state();
	a->net_up = 0;
	if (!store)
		return;
	/* The exits it follows are committed first, and CNI runs without the
	 * store's write lock. */
	int batched = drover_runner_store_batch_is_open();
	drover_runner_store_commit();
	if (drover_alloc_network_down(r->ctx, store, a->id, &err) < 0)
		fprintf(stderr, "drover: allocation \"%s\": %s; `drover gc` tries again\n", a->id,
		        drover_display(err.message));
	if (batched)
		drover_runner_store_batch_begin();
}

/* Runs every allocation's lifecycle until nothing more can happen without an
 * exit, a timer or a signal. */
static int advance(run *r)
{
	run_task **kills = calloc(r->task_count ? r->task_count : 1, sizeof(*kills));
	drover_lifecycle_action *actions =
		calloc(r->task_count ? r->task_count : 1, sizeof(*actions));
	if (!kills || !actions) {
		free(kills);
		free(actions);
		return -ENOMEM;
	}
	size_t total;
	do {
		size_t nkills = 0;
		total = 0;
		for (size_t i = 0; i < r->alloc_count; i++)
			total += advance_alloc(r, &r->allocs[i], kills, &nkills, actions);
		kill_tasks(r, kills, nkills);
	} while (total > 0);
	for (size_t i = 0; i < r->alloc_count; i++)
		network_down_if_done(r, &r->allocs[i]);
	free(kills);
	free(actions);
	return 0;
}

static void request_stop(run *r, int signo)
{
	/* Nomad runs poststop tasks after a stop too (they "run no matter the final
	 * status of the main tasks, whether completed, failed or killed"), so a
	 * first Ctrl-C stops everything else and lets poststop tasks run; a second
	 * one stops them as well. */
	int again = r->interrupted;
	r->interrupted = 1;
	fprintf(stderr, again ? "drover: %s received again, stopping poststop tasks too\n"
	                      : "drover: %s received, stopping tasks\n",
	        drover_signal_name(signo));
	for (size_t i = 0; i < r->alloc_count; i++) {
		drover_lifecycle_alloc *lc = &r->allocs[i].lc;
		if (again)
			lc->kill = DROVER_KILL_REQUESTED_ALL;
		else if (lc->kill == DROVER_KILL_NONE)
			lc->kill = DROVER_KILL_REQUESTED;
	}
}

/* Arms the timer for the earliest pending restart; returns whether there is one. */
static int arm_restart_timer(run *r, int timerfd)
{
	long long earliest = 0;
	for (size_t i = 0; i < r->task_count; i++) {
		const run_task *t = &r->tasks[i];
		if (t->state == RUN_TASK_RESTARTING && (!earliest || t->restart_at_ms < earliest))
			earliest = t->restart_at_ms;
	}
	struct itimerspec its = {{0, 0}, {0, 0}};
	if (earliest) {
		long long in = earliest - drover_monotonic_ms();
		if (in < 1)
			in = 1; /* a zero it_value would disarm the timer */
		its.it_value.tv_sec = in / 1000;
		its.it_value.tv_nsec = (in % 1000) * 1000000;
	}
	timerfd_settime(timerfd, 0, &its, NULL);
	return earliest != 0;
}

static void restart_due(run *r)
{
	long long now = drover_monotonic_ms();
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		if (t->state == RUN_TASK_RESTARTING && t->restart_at_ms <= now)
			restart_task(r, t);
	}
}

/* `drover stop` from another process while a task waits out its restart
 * delay: the task is settled now (restart_task sees the stop and does not
 * launch), so that a runner with nothing else to watch ends at once instead
 * of sleeping until the delay is over. */
static void restart_stopped(run *r)
{
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		if (t->state == RUN_TASK_RESTARTING &&
		    (drover_runner_store_stop_requested(t->alloc->id, t->spec->name) ||
		     drover_runner_store_stop_requested(t->alloc->id, NULL)))
			restart_task(r, t);
	}
}

/* Watches the data directory for writes to the state store (its -wal), to
 * notice a stop recorded by another process; -1 when inotify is unavailable,
 * and the stop is then seen when the delay ends. */
#define STORE_WATCH_UNOPENED (-2)
static int store_watch_open(const run *r)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd >= 0 && inotify_add_watch(fd, r->ctx->data_dir, IN_MODIFY | IN_CREATE |
	                                 IN_MOVED_TO) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void store_watch_drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* A task that can no longer start (its lifecycle cannot be satisfied) must not
 * keep the run waiting forever. */
static void skip_stuck(run *r)
{
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		if (t->state != RUN_TASK_PENDING)
			continue;
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Setup Failure",
		                        "the task's lifecycle can never let it start");
		t->state = RUN_TASK_SKIPPED;
		t->failed = 1;
	}
}

/* The one watch thread: the drivers' wait descriptors, the signalfd and one
 * timerfd for every pending restart. */
static int watch(run *r, int sigfd, int timerfd)
{
	struct pollfd *fds = calloc(r->task_count + 3, sizeof(*fds));
	size_t *owner = calloc(r->task_count + 3, sizeof(*owner));
	if (!fds || !owner) {
		free(fds);
		free(owner);
		return -ENOMEM;
	}
	/* Opened at the first restart delay, not before: closing an inotify
	 * descriptor waits for an SRCU grace period, 2 to 16 ms here, which
	 * every short `drover run` paid at its end. */
	int rc = 0, store_fd = STORE_WATCH_UNOPENED;
	for (;;) {
		/* The records of one round (exits, restarts, starts) are one batch;
		 * every driver call commits it first (launch_task, kill_tasks). */
		drover_runner_store_batch_begin();
		if ((rc = advance(r)) < 0)
			break;
		/* The first wave is started: `run -detach` may return (later calls
		 * do nothing). */
		drover_runner_store_start_done();
		size_t n = 0;
		int reaped = 0;
		fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = timerfd, .events = POLLIN};
		for (size_t i = 0; i < r->task_count; i++) {
			reaped |= arm_task(&r->tasks[i]);
			if (r->tasks[i].state == RUN_TASK_RUNNING && r->tasks[i].wait_fd >= 0) {
				owner[n] = i;
				fds[n++] = (struct pollfd){.fd = r->tasks[i].wait_fd, .events = POLLIN};
			}
		}
		if (reaped)
			continue; /* an exit changes what the lifecycle allows */
		drover_runner_store_commit(); /* before waiting */
		int restarts = arm_restart_timer(r, timerfd);
		if (n == 2 && !restarts) {
			skip_stuck(r);
			break;
		}
		if (restarts && store_fd == STORE_WATCH_UNOPENED) {
			store_fd = store_watch_open(r);
			/* A stop recorded before the watch existed. */
			restart_stopped(r);
			continue;
		}
		size_t tasks_end = n;
		if (restarts && store_fd >= 0)
			fds[n++] = (struct pollfd){.fd = store_fd, .events = POLLIN};
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if ((fds[0].revents & POLLIN) && r->resumed) {
			/* Level-triggered and never read: every resumed runner sees it. */
			r->detached = 1;
			break;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				request_stop(r, (int)si.ssi_signo);
		}
		if (fds[1].revents & POLLIN) {
			uint64_t expirations;
			if (read(timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				rc = -errno;
			restart_due(r);
		}
		drover_runner_store_batch_begin();
		for (size_t k = 2; k < tasks_end; k++)
			if (fds[k].revents)
				reap_task(&r->tasks[owner[k]], DROVER_WAIT_NOHANG);
		if (n > tasks_end && (fds[tasks_end].revents & POLLIN)) {
			store_watch_drain(store_fd);
			restart_stopped(r);
		}
		if (rc < 0)
			break;
	}
	drover_runner_store_commit();
	if (store_fd >= 0)
		close(store_fd);
	free(fds);
	free(owner);
	return rc;
}

/* Detached: running tasks stay up for the next owner (the plugin frees what
 * a refused destroy keeps at fini). */
static void destroy_one(run_task *t)
{
	drover_err err = {{0}};
	int force = !t->keep_running;
	if (t->plugin->desc->destroy(t->plugin->ctx, t->task, force, &err) < 0 && force)
		fprintf(stderr, "drover: task \"%s\": destroy failed: %s\n", t->id,
		        drover_display(err.message));
}

static void destroy_all(run *r)
{
	/* In parallel: a destroy waits for the task's cgroups to empty and go. */
	run_task **list = calloc(r->task_count ? r->task_count : 1, sizeof(*list));
	size_t n = 0;
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		t->keep_running = r->detached && t->state == RUN_TASK_RUNNING;
		if (!t->task)
			continue;
		if (list)
			list[n++] = t;
		else
			destroy_one(t);
	}
	pool_run(list, n, destroy_one);
	free(list);
	for (size_t i = 0; i < r->task_count; i++) {
		run_task *t = &r->tasks[i];
		if (t->wait_fd >= 0)
			close(t->wait_fd);
		free(t->handle.data);
		free(t->task_dir);
		free(t->state_dir);
		free(t->id);
		free(t->alloc_name);
		drover_strv_clear(&t->env);
		drover_value_clear(&t->interpolated);
		drover_value_clear(&t->owned_config);
		drover_alloc_ports_clear(&t->ports);
		free(t->port_labels);
		drover_task_mounts_clear(&t->mounts);
	}
	for (size_t i = 0; i < r->alloc_count; i++) {
		drover_allocdir_clear(&r->allocs[i].dirs);
		drover_alloc_ports_clear(&r->allocs[i].ports);
		drover_alloc_net_clear(&r->allocs[i].net);
		free(r->allocs[i].lc_tasks);
	}
	drover_node_info_clear(&r->node);
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
			a->job = r->job;
			a->group = group;
			drover_group_network_view(group, NULL, &a->network);
			a->first_task = r->task_count;
			a->lc_tasks = calloc(group->task_count ? group->task_count : 1, sizeof(*a->lc_tasks));
			if (!a->lc_tasks)
				return -ENOMEM;
			int rc = drover_uuid_v4(a->id, sizeof(a->id));
			if (rc == 0)
				rc = drover_allocdir_create(r->ctx->data_dir, a->id, &a->dirs, &err);
			/* Recorded first: the ports it claims belong to it. */
			int recorded = rc == 0;
			if (recorded)
				drover_runner_store_alloc(r->job, group, index, a->id, a->dirs.alloc_dir);
			if (rc == 0)
				rc = drover_runner_store_ports(&r->ports_cfg, group->ports, group->port_count,
				                               &r->ports_in_use, "Networks", a->id, "",
				                               &a->ports, &err);
			if (rc == 0)
				rc = network_up(r, a, &configs->plugins[config_base], &err);
			if (rc < 0) {
				char why[DROVER_ERR_MESSAGE_MAX + 128];
				snprintf(why, sizeof(why), "group \"%s\": cannot create the allocation: %s",
				         group->name, err.message[0] ? err.message : strerror(-rc));
				fprintf(stderr, "drover: %s\n", drover_display(why));
				if (recorded)
					drover_runner_store_forget(a->id, why);
				return rc;
			}
			for (size_t t = 0; t < group->task_count; t++) {
				run_task *rt = &r->tasks[r->task_count++];
				rt->alloc = a;
				rt->spec = &group->tasks[t];
				rt->plugin = configs->plugins[config_base + t];
				rt->config = &configs->configs[config_base + t];
				rt->wait_fd = -1;
				rt->events = r->events;
				a->task_count++;
				a->lc_tasks[t] = (drover_lifecycle_task){
					.name = rt->spec->name,
					.role = drover_lifecycle_role_of(rt->spec),
					.leader = rt->spec->leader,
				};
			}
		}
		config_base += group->task_count;
	}
	return 0;
}

static int load_node(run *r)
{
	drover_err err = {{0}};
	int rc = drover_node_info_load(&r->ctx->config, r->ctx->data_dir, &r->node, &err);
	if (rc == 0)
		rc = drover_ports_config_load(&r->ctx->config, &r->ports_cfg, &err);
	if (rc < 0)
		fprintf(stderr, "drover: %s\n", drover_display(err.message));
	drover_node_info_fingerprint(&r->node, &r->ctx->plugins);
	return rc;
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
	int timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timerfd < 0) {
		int e = errno;
		close(sigfd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -e;
	}
	int rc = load_node(&r);
	/* Namespaces a dead runner was setting up go before new ones are made
	 * (their addresses and ports return to the pool). */
	if (rc == 0 && drover_runner_store_state())
		drover_alloc_network_cleanup(ctx, drover_runner_store_state());
	/* Every allocation and its "Received" events in one commit: only
	 * directories are made meanwhile, nothing runs yet (a group network commits
	 * first: network_up). */
	drover_runner_store_batch_begin();
	if (rc == 0)
		rc = plan(&r, configs);
	/* Nomad gives every task of an allocation "Received" at once; the lifecycle
	 * then decides when each one is set up and started. */
	for (size_t i = 0; rc == 0 && i < r.task_count; i++)
		drover_task_event_print(r.events, r.tasks[i].alloc->id, r.tasks[i].spec->name,
		                        "Received", "Task received by client");
	for (size_t i = 0; rc == 0 && i < r.alloc_count; i++)
		network_event(&r, &r.allocs[i]);
	drover_runner_store_commit();
	if (rc == 0)
		rc = watch(&r, sigfd, timerfd);
	if (rc < 0) {
		/* A host error: whatever runs is stopped, poststop tasks included. */
		for (size_t i = 0; i < r.alloc_count; i++)
			r.allocs[i].lc.kill = DROVER_KILL_REQUESTED_ALL;
		advance(&r);
	}

	int failed = r.interrupted;
	for (size_t i = 0; i < r.task_count; i++) {
		const run_task *t = &r.tasks[i];
		if (t->failed || t->state == RUN_TASK_PENDING)
			failed = 1;
	}
	drover_runner_store_start_done(); /* when nothing could start at all */
	drover_runner_store_commit();
	destroy_all(&r);
	close(timerfd);
	close(sigfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		return rc;
	return failed ? 1 : 0;
}

/* ------------------------------------------------------------------ resume */

/* Ends a task found dead or unrecoverable at adoption: `message` becomes its
 * exit error; with `final` the restart policy is not consulted. */
static void adopt_exit(run *r, run_task *t, const char *message, int final)
{
	t->result = (drover_exit_result){.struct_size = sizeof(t->result), .exit_code = -1};
	snprintf(t->result.error, sizeof(t->result.error), "%.255s", message);
	t->state = RUN_TASK_RUNNING; /* reap-like bookkeeping below */
	drover_runner_store_exited(t->alloc->id, t->spec->name, &t->result);
	print_exit(t);
	if (final) {
		t->state = RUN_TASK_EXITED;
		t->failed = 1;
		return;
	}
	(void)r;
	after_exit(t);
}

/* Takes over one stored task: its recovered driver task, its restart count,
 * its config (rebuilt as start got it, for later restarts). */
static void adopt_task(run *r, run_task *t, drover_rtask *rt)
{
	const char *state = rt ? rt->row.state : "pending";
	drover_restart_tracker_init(&t->restart, t->alloc->job->type, t->spec->lifecycle_hook,
	                            t->spec->lifecycle_sidecar, drover_monotonic_ms());
	if (rt && rt->row.restarts > 0)
		t->restart.restarts = (unsigned)rt->row.restarts;
	if (rt && rt->plugin && rt->config.type != DROVER_VALUE_NULL) {
		t->owned_config = rt->config;
		rt->config = (drover_value){.type = DROVER_VALUE_NULL};
		t->config = &t->owned_config;
	}
	if (strcmp(state, "pending") == 0) {
		t->state = RUN_TASK_PENDING;
		if (!t->config) {
			drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Setup Failure",
			                        "%s", rt && rt->error[0] ? rt->error : "no usable config");
			t->state = RUN_TASK_FAILED;
			t->failed = 1;
		}
		return;
	}
	if (strcmp(state, "starting") == 0) {
		/* Its start was under way when its owner died: never started again
		 * blindly. What the driver left of it is killed and the task failed
		 * with the reason. */
		char msg[DROVER_ERR_MESSAGE_MAX + 256];
		drover_rtask_settle_start(rt, msg, sizeof(msg));
		t->alloc->lc_tasks[t - &r->tasks[t->alloc->first_task]].started = 1;
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Driver Failure", "%s",
		                        msg);
		t->state = RUN_TASK_FAILED;
		t->failed = 1;
		return;
	}
	if (strcmp(state, "dead") == 0 && rt->row.restart_due_ms > 0 && t->config &&
	    prepare_task(r, t) == 0) {
		/* A restart its previous owner had scheduled: due when it said. */
		long long in = rt->row.restart_due_ms - drover_now_ms();
		if (in < 0)
			in = 0;
		t->alloc->lc_tasks[t - &r->tasks[t->alloc->first_task]].started = 1;
		t->state = RUN_TASK_RESTARTING;
		t->restart_at_ms = drover_monotonic_ms() + in;
		drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Restarting",
		                        "Restart scheduled by the previous owner, adopted by pid %d: "
		                        "due in %lldms (restarts %u)",
		                        (int)getpid(), in, t->restart.restarts);
		return;
	}
	if (strcmp(state, "dead") == 0) {
		t->state = RUN_TASK_EXITED;
		t->failed = rt->row.failed;
		return;
	}
	/* Running, or a damaged row: either way it has run. */
	t->alloc->lc_tasks[t - &r->tasks[t->alloc->first_task]].started = 1;
	char dir[DROVER_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", t->alloc->dirs.alloc_dir, t->spec->name);
	struct stat sb;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		/* Its logs, secrets and exit status are gone: the task cannot be
		 * trusted to run on, nor restarted in place. */
		if (rt && rt->task) {
			drover_err err = {{0}};
			rt->plugin->desc->destroy(rt->plugin->ctx, rt->task, 1, &err);
			rt->task = NULL;
		}
		char msg[DROVER_PATH_MAX + 64];
		snprintf(msg, sizeof(msg), "task directory \"%s\" is missing", dir);
		adopt_exit(r, t, msg, 1);
		return;
	}
	if (t->config && prepare_task(r, t) < 0) {
		t->state = RUN_TASK_RUNNING;
		t->failed = 0;
		t->unprepared = 1;
	} else if (!t->config) {
		t->unprepared = 1;
	}
	if (!rt || !rt->task) {
		/* recover failed: the driver killed what was left (driver.h), so a
		 * restart cannot make two copies. */
		adopt_exit(r, t, rt && rt->error[0] ? rt->error : "the task could not be recovered", 0);
		return;
	}
	t->task = rt->task;
	rt->task = NULL;
	if (rt->row.handle && rt->row.handle_len) {
		t->handle.data = malloc(rt->row.handle_len);
		if (t->handle.data) {
			memcpy(t->handle.data, rt->row.handle, rt->row.handle_len);
			t->handle.len = rt->row.handle_len;
		}
	}
	t->state = RUN_TASK_RUNNING;
	t->wait_fd = -1;
	drover_task_event_print(r->events, t->alloc->id, t->spec->name, "Adopted",
	                        "Task re-attached by pid %d (pid %d, restarts %u)", (int)getpid(),
	                        rt->row.pid, t->restart.restarts);
}

/* A resumed allocation keeps the namespace it recorded (its running tasks
 * are in it). One whose record or namespace is gone (the host rebooted, a
 * setup died half-way) is cleaned up, and set up anew only when a task of
 * it may still start. */
static void resume_network(run *r, run_alloc *a)
{
	drover_state *store = drover_runner_store_state();
	drover_err err = {{0}};
	if (!drover_alloc_network_wanted(a->group) || !store)
		return;
	int rc = drover_alloc_network_recover(store, a->id, &a->net, &err);
	if (rc == 0) {
		a->net_up = 1;
		drover_group_network_view(a->group, &a->net, &a->network);
		return;
	}
	if (rc != -ENOENT && rc != -ESTALE) {
		/* The record could not be read: what runs keeps its namespace;
		 * a start is refused by its driver (a group mode without
		 * netns_path), never made on the host's network. */
		fprintf(stderr, "drover: allocation \"%s\": %s, ignoring: its tasks cannot be "
		        "started again\n", a->id, drover_display(err.message));
		return;
	}
	int may_start = 0;
	drover_plugin **plugins = calloc(a->task_count ? a->task_count : 1, sizeof(*plugins));
	for (size_t i = 0; i < a->task_count; i++) {
		run_task *t = &r->tasks[a->first_task + i];
		may_start |= t->state == RUN_TASK_PENDING || t->state == RUN_TASK_RESTARTING;
		if (plugins)
			plugins[i] = t->plugin;
	}
	drover_err down_err = {{0}};
	if (drover_alloc_network_down(r->ctx, store, a->id, &down_err) < 0)
		fprintf(stderr, "drover: allocation \"%s\": %s, ignoring\n", a->id,
		        drover_display(down_err.message));
	if (may_start && plugins && network_up(r, a, plugins, &err) == 0) {
		network_event(r, a);
	} else if (may_start && plugins) {
		/* Its tasks would otherwise start on the host's network. */
		fprintf(stderr, "drover: allocation \"%s\": %s: its tasks are not started\n", a->id,
		        drover_display(err.message));
		a->lc.kill = DROVER_KILL_REQUESTED_ALL;
	}
	free(plugins);
}

static int plan_resume(run *r, drover_ralloc *rallocs, size_t count)
{
	size_t tasks = 0;
	for (size_t i = 0; i < count; i++)
		tasks += rallocs[i].group->task_count;
	r->allocs = calloc(count ? count : 1, sizeof(*r->allocs));
	r->tasks = calloc(tasks ? tasks : 1, sizeof(*r->tasks));
	if (!r->allocs || !r->tasks)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		drover_ralloc *ra = &rallocs[i];
		const drover_jobspec_group *group = ra->group;
		run_alloc *a = &r->allocs[r->alloc_count++];
		snprintf(a->id, sizeof(a->id), "%s", ra->alloc.id);
		a->index = ra->alloc.alloc_index;
		a->job = &ra->job;
		a->group = group;
		drover_group_network_view(group, NULL, &a->network);
		a->dirs = ra->dirs;
		ra->dirs = (drover_allocdir){0};
		a->first_task = r->task_count;
		a->lc_tasks = calloc(group->task_count ? group->task_count : 1, sizeof(*a->lc_tasks));
		if (!a->lc_tasks)
			return -ENOMEM;
		/* A resumed allocation keeps the ports it recorded. */
		drover_err err = {{0}};
		if (drover_runner_store_ports(&r->ports_cfg, group->ports, group->port_count,
		                              &r->ports_in_use, "Networks", a->id, "", &a->ports,
		                              &err) < 0)
			fprintf(stderr, "drover: allocation \"%s\": %s, ignoring\n", a->id, drover_display(err.message));
		for (size_t k = 0; k < group->task_count; k++) {
			run_task *rt = &r->tasks[r->task_count++];
			rt->alloc = a;
			rt->spec = &group->tasks[k];
			rt->plugin = drover_context_plugin(r->ctx, rt->spec->driver);
			rt->wait_fd = -1;
			rt->events = r->events;
			rt->owned_config = (drover_value){.type = DROVER_VALUE_NULL};
			rt->interpolated = (drover_value){.type = DROVER_VALUE_NULL};
			a->task_count++;
			a->lc_tasks[k] = (drover_lifecycle_task){
				.name = rt->spec->name,
				.role = drover_lifecycle_role_of(rt->spec),
				.leader = rt->spec->leader,
			};
		}
		for (size_t k = 0; k < group->task_count; k++) {
			run_task *rt = &r->tasks[a->first_task + k];
			adopt_task(r, rt, drover_ralloc_find_task(ra, rt->spec->name));
		}
		resume_network(r, a);
		/* `drover stop` asked for it: every later owner stops it too, and
		 * starts and restarts nothing more of it. */
		if (ra->alloc.desired_status && strcmp(ra->alloc.desired_status, "stop") == 0)
			a->lc.kill = DROVER_KILL_REQUESTED_ALL;
	}
	return 0;
}

int drover_runner_resume(drover_context *ctx, drover_ralloc *allocs, size_t count, int detach_fd,
                         FILE *events)
{
	run r = {.ctx = ctx, .events = events, .resumed = 1};
	int timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timerfd < 0)
		return -errno;
	int rc = load_node(&r);
	if (rc == 0)
		rc = plan_resume(&r, allocs, count);
	if (rc == 0)
		rc = watch(&r, detach_fd, timerfd);
	if (rc < 0) {
		/* A host error: leave the tasks to the next owner rather than kill
		 * them. */
		r.detached = 1;
	}
	destroy_all(&r);
	close(timerfd);
	if (rc < 0)
		return rc;
	return r.detached ? 2 : 0;
}
