#include "config.h"

#include "state_recover.h"

#include "network/group_network.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crash.h"
#include "state_orphans.h"
#include "proc.h"

#include "json.h"
#include "value_tree.h"

extern char **environ;

static const drover_jobspec_group *find_group(const drover_jobspec *job, const char *name)
{
	for (size_t i = 0; i < job->group_count; i++)
		if (strcmp(job->groups[i].name, name) == 0)
			return &job->groups[i];
	return NULL;
}

static const drover_jobspec_task *find_spec(const drover_jobspec_group *g, const char *name)
{
	for (size_t i = 0; i < g->task_count; i++)
		if (strcmp(g->tasks[i].name, name) == 0)
			return &g->tasks[i];
	return NULL;
}

/* Rebuilds what start was given, so that recover (and exec) see the same task. */
static int build_task(drover_context *ctx, drover_ralloc *a, drover_rtask *t, drover_err *err)
{
	t->spec = find_spec(a->group, t->row.name);
	if (!t->spec)
		return drover_err_set(err, -EUCLEAN, "task \"%s\" is not in the stored job document",
		                      t->row.name);
	/* A damaged row may have lost its driver column: the job names it too. */
	const char *driver = t->row.driver ? t->row.driver : t->spec->driver;
	t->plugin = drover_context_plugin(ctx, driver);
	if (!t->plugin)
		return drover_err_set(err, -ENOENT,
		                      "task \"%s\": driver \"%s\" is not loaded (plugin dir \"%s\")",
		                      t->row.name, driver, ctx->plugin_dir);
	drover_errlist errors = {0};
	int rc = drover_schema_check(t->plugin->desc->task_schema, &t->spec->config, "stored config",
	                             &t->config, &errors);
	if (rc < 0) {
		drover_err_set(err, rc, "task \"%s\": %s", t->row.name,
		               errors.count ? errors.lines[0] : "stored config is invalid");
		drover_errlist_clear(&errors);
		return rc;
	}
	t->task_dir = drover_strdup_printf("%s/%s", a->dirs.alloc_dir, t->spec->name);
	t->state_dir = drover_allocdir_state_dir(&a->dirs, t->spec->name);
	t->id = drover_strdup_printf("%s/%s", a->alloc.id, t->spec->name);
	t->alloc_name = strdup(a->alloc.alloc_name);
	if (!t->task_dir || !t->state_dir || !t->id || !t->alloc_name)
		return drover_err_set(err, -ENOMEM, "out of memory");
	drover_taskenv_input in = {
		.job = &a->job,
		.group = a->group,
		.task = t->spec,
		.alloc_id = a->alloc.id,
		.alloc_index = a->alloc.alloc_index,
		.dirs = &a->dirs,
		.task_dir = t->task_dir,
		.host_env = drover_plugin_fs_isolation(t->plugin) == DROVER_FS_ISOLATION_IMAGE
		                     ? NULL
		                     : environ,
	};
	if ((rc = drover_taskenv_build(&in, &t->env, err)) < 0)
		return rc;
	t->cfg = (drover_task_config){
		.struct_size = sizeof(drover_task_config),
		.id = t->id,
		.job_id = a->job.id,
		.job_name = a->job.name,
		.group_name = a->group->name,
		.task_name = t->spec->name,
		.alloc_id = a->alloc.id,
		.alloc_name = t->alloc_name,
		.alloc_index = a->alloc.alloc_index,
		.alloc_dir = a->dirs.alloc_dir,
		.task_dir = t->task_dir,
		.log_dir = a->dirs.log_dir,
		.env = (const char *const *)t->env.items,
		.config = &t->config,
		.user = t->spec->user,
		.cpu_mhz = t->spec->cpu_mhz,
		.memory_mb = t->spec->memory_mb,
		.memory_max_mb = t->spec->memory_max_mb,
		.kill_signal = t->spec->kill_signal,
		.kill_signal_set = t->spec->kill_signal_set,
		.kill_timeout_ms = t->spec->kill_timeout_ms,
		.log_max_files = t->spec->log_max_files,
		.log_max_file_size_mb = t->spec->log_max_file_size_mb,
		.state_dir = t->state_dir,
		.network = &a->network,
	};
	if (t->row.problem) {
		/* The task may still run (only its row is damaged): recover without a
		 * handle makes the driver kill what is left of it (driver.h), so that
		 * nothing runs unsupervised or twice. */
		drover_err rerr = {{0}};
		drover_task *task = NULL;
		if (strcmp(t->row.state, "dead") != 0 && strcmp(t->row.state, "pending") != 0) {
			t->recover_called = 1;
			if (t->plugin->desc->recover(t->plugin->ctx, &t->cfg, NULL, 0, &task, &rerr) == 0 &&
			    task) {
				/* A driver that needs no handle got it back: keep it. */
				t->task = task;
				return 0;
			}
		}
		return drover_err_set(err, -EUCLEAN, "task \"%s\": damaged state row: %s%s%.600s", t->row.name,
		                      t->row.problem, rerr.message[0] ? "; " : "", rerr.message);
	}
	if (strcmp(t->row.state, "running") != 0)
		return 0; /* "starting": see drover_rtask_settle_start */
	if (t->plugin->quarantine[0])
		return drover_err_set(err, -EPERM, "%s; the task is left as it is", t->plugin->quarantine);
	t->recover_called = 1;
	drover_crash_enter(t->plugin, "recover", a->alloc.id, t->row.name);
	rc = t->plugin->desc->recover(t->plugin->ctx, &t->cfg, t->row.handle, t->row.handle_len,
	                              &t->task, err);
	drover_crash_leave();
	return rc;
}

int drover_ralloc_load(drover_context *ctx, drover_state *st, const char *id, drover_ralloc *a,
                       drover_err *err)
{
	*a = (drover_ralloc){0};
	int rc = drover_state_alloc_get(st, id, &a->alloc, err);
	if (rc < 0)
		return rc;
	if (a->alloc.problem) {
		rc = drover_err_set(err, -EUCLEAN, "allocation \"%s\": damaged state row: %s", id,
		                    a->alloc.problem);
		goto fail;
	}
	drover_value doc = {.type = DROVER_VALUE_NULL};
	if ((rc = drover_json_parse(drover_state_path(st), a->alloc.job_json,
	                            strlen(a->alloc.job_json), &doc, err)) < 0)
		goto fail;
	drover_errlist errors = {0};
	rc = drover_jobspec_from_value(&doc, &a->job, &errors);
	drover_value_clear(&doc);
	if (rc < 0) {
		drover_err_set(err, rc, "allocation \"%s\": stored job document: %s", id,
		               errors.count ? errors.lines[0] : "invalid");
		drover_errlist_clear(&errors);
		goto fail;
	}
	drover_errlist_clear(&errors);
	/* the cap of the agent config in force now, as Nomad's client applies it */
	drover_jobspec_cap_kill_timeout(&a->job, drover_agent_config_max_kill_timeout_ms(&ctx->config));
	a->group = find_group(&a->job, a->alloc.group_name);
	if (!a->group) {
		rc = drover_err_set(err, -EUCLEAN, "allocation \"%s\": group \"%s\" is not in the stored job",
		                    id, a->alloc.group_name);
		goto fail;
	}
	/* Tasks are recovered with the namespace they run in; a gone one
	 * leaves netns_path NULL (the runner taking it over sets it up again
	 * or cleans it up). */
	drover_err net_err = {{0}};
	if (drover_alloc_network_wanted(a->group))
		drover_alloc_network_recover(st, id, &a->net, &net_err);
	drover_group_network_view(a->group, &a->net, &a->network);
	a->dirs.alloc_dir = strdup(a->alloc.alloc_dir);
	a->dirs.shared_dir = drover_strdup_printf("%s/alloc", a->alloc.alloc_dir);
	a->dirs.log_dir = drover_strdup_printf("%s/alloc/logs", a->alloc.alloc_dir);
	if (!a->dirs.alloc_dir || !a->dirs.shared_dir || !a->dirs.log_dir) {
		rc = drover_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = drover_allocdir_set_run_dir(ctx->data_dir, id, &a->dirs, err)) < 0)
		goto fail;
	drover_state_task *rows;
	if ((rc = drover_state_task_list(st, id, &rows, &a->count, err)) < 0)
		goto fail;
	a->tasks = calloc(a->count ? a->count : 1, sizeof(*a->tasks));
	if (!a->tasks) {
		drover_state_tasks_free(rows, a->count);
		a->count = 0;
		rc = drover_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < a->count; i++) {
		a->tasks[i].row = rows[i];
		a->tasks[i].config.type = DROVER_VALUE_NULL;
	}
	free(rows);
	for (size_t i = 0; i < a->count; i++) {
		drover_err terr = {{0}};
		if (build_task(ctx, a, &a->tasks[i], &terr) < 0) {
			a->tasks[i].task = NULL;
			snprintf(a->tasks[i].error, sizeof(a->tasks[i].error), "%s", terr.message);
		}
	}
	return 0;
fail:
	drover_ralloc_clear(a);
	return rc;
}

static void note_exit(drover_rtask *t, const drover_exit_result *res)
{
	free(t->row.state);
	t->row.state = strdup("dead");
	t->row.exit_code = res->exit_code;
	t->row.signal = res->signal;
	t->row.oom_killed = res->oom_killed;
	t->row.failed = res->exit_code != 0 || res->signal != 0 || res->oom_killed || res->error[0];
	t->row.finished_ms = res->exited_at_ms ? res->exited_at_ms : drover_now_ms();
}

void drover_rtask_record_exit(drover_state *st, drover_ralloc *a, drover_rtask *t,
                              const drover_exit_result *res)
{
	drover_err err = {{0}};
	char msg[512];
	snprintf(msg, sizeof(msg), "Exit Code: %d, Signal: %d%s%s%s", res->exit_code, res->signal,
	         res->oom_killed ? ", OOM Killed" : "", res->error[0] ? ", " : "", res->error);
	if (drover_state_task_set_exited(st, a->alloc.id, t->row.name, res, &err) < 0 ||
	    drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(), "Terminated", msg,
	                           &err) < 0 ||
	    drover_state_alloc_refresh_status(st, a->alloc.id, &err) < 0)
		fprintf(stderr, "drover: state store: %s, ignoring\n", err.message);
	note_exit(t, res);
}

int drover_rtask_refresh(drover_state *st, drover_ralloc *a, drover_rtask *t, drover_err *err)
{
	if (!t->task)
		return t->row.state && strcmp(t->row.state, "dead") == 0;
	drover_exit_result res = {.struct_size = sizeof(res)};
	int rc = t->plugin->desc->wait(t->plugin->ctx, t->task, DROVER_WAIT_NOHANG, &res, err);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0)
		return rc;
	/* A live owner records the exit itself (once, with its Terminated
	 * event); this process only records what nobody watches. */
	if (strcmp(t->row.state, "dead") != 0 && !drover_ralloc_owner_alive(a))
		drover_rtask_record_exit(st, a, t, &res);
	else
		note_exit(t, &res);
	return 1;
}

/* How long a shim that exists may take to start its task (its own report
 * deadline is 10 s). */
#define SETTLE_SHIM_DEADLINE_MS 15000

/* The intent names a shim that is still starting the task (no pids file
 * yet, see proc.h): waits for the file or for the shim's exit, so that the
 * driver's clean-up finds what to kill. Blocks in the kernel (pidfd,
 * inotify), never polls. */
static void wait_for_shim(const drover_state_task *row)
{
	if (row->shim_pid <= 0 || !row->state_dir || row->state_dir[0] != '/')
		return;
	int pidfd = (int)syscall(SYS_pidfd_open, row->shim_pid, 0);
	if (pidfd < 0)
		return;
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0)
		inotify_add_watch(ino, row->state_dir, IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE);
	long long deadline = drover_monotonic_ms() + SETTLE_SHIM_DEADLINE_MS;
	int dirfd = open(row->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	while (dirfd >= 0 && ino >= 0 && drover_proc_alive(row->shim_pid, row->shim_start) &&
	       faccessat(dirfd, "pids", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		long long left = deadline - drover_monotonic_ms();
		if (left <= 0)
			break;
		struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = ino, .events = POLLIN}};
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		char buf[4096];
		while (read(ino, buf, sizeof(buf)) > 0)
			;
	}
	if (dirfd >= 0)
		close(dirfd);
	if (ino >= 0)
		close(ino);
	close(pidfd);
}

void drover_rtask_settle_start(drover_rtask *t, char *msg, size_t len)
{
	const char *driver = t->plugin ? t->plugin->desc->name
	                     : t->row.driver ? t->row.driver : "?";
	char what[DROVER_ERR_MESSAGE_MAX + 128] = "";
	wait_for_shim(&t->row);
	if (t->plugin && t->cfg.struct_size) {
		drover_err err = {{0}};
		drover_task *task = NULL;
		drover_crash_enter(t->plugin, "recover", t->cfg.alloc_id, t->row.name);
		int rc = t->plugin->desc->recover(t->plugin->ctx, &t->cfg, NULL, 0, &task, &err);
		drover_crash_leave();
		if (rc == 0 && task) {
			/* A driver that finds its task without a handle: stopped all
			 * the same, the start was never completed. */
			drover_exit_result res = {.struct_size = sizeof(res)};
			t->plugin->desc->stop(t->plugin->ctx, task, SIGKILL, 0, &err);
			t->plugin->desc->wait(t->plugin->ctx, task, 0, &res, &err);
			t->plugin->desc->destroy(t->plugin->ctx, task, 1, &err);
			snprintf(what, sizeof(what), "; the driver found it running and it was killed");
		} else if (err.message[0]) {
			snprintf(what, sizeof(what), "; %s", err.message);
		}
	} else if (t->error[0]) {
		snprintf(what, sizeof(what), "; %s", t->error);
	}
	snprintf(msg, len, "drover died while %s.start ran (attempt %d)%s", driver,
	         t->row.start_attempt, what);
}

int drover_ralloc_owner_alive(const drover_ralloc *a)
{
	return a->alloc.owner_pid != (int)getpid() &&
	       drover_state_owner_alive(a->alloc.owner_pid, a->alloc.owner_start);
}

void drover_ralloc_clear(drover_ralloc *a)
{
	for (size_t i = 0; a->tasks && i < a->count; i++) {
		drover_rtask *t = &a->tasks[i];
		if (t->task) {
			drover_err err = {{0}};
			/* Not forced: a running task must survive this command; the
			 * plugin's fini frees what destroy refused to. */
			t->plugin->desc->destroy(t->plugin->ctx, t->task, 0, &err);
		}
		drover_state_task_clear(&t->row);
		drover_value_clear(&t->config);
		free(t->task_dir);
		free(t->state_dir);
		free(t->id);
		free(t->alloc_name);
		drover_strv_clear(&t->env);
	}
	free(a->tasks);
	drover_alloc_net_clear(&a->net);
	drover_allocdir_clear(&a->dirs);
	drover_jobspec_clear(&a->job);
	drover_state_alloc_clear(&a->alloc);
	*a = (drover_ralloc){0};
}

drover_rtask *drover_ralloc_find_task(drover_ralloc *a, const char *name)
{
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->tasks[i].row.name, name) == 0)
			return &a->tasks[i];
	return NULL;
}

int drover_cmd_open(const char *cmd, const drover_common_opts *opts, drover_context *ctx,
                    drover_state **st)
{
	int rc = drover_context_open_lazy(opts, ctx);
	if (rc < 0)
		return rc;
	drover_context_report_plugin_errors(ctx);
	if ((rc = drover_state_open_checked(cmd, ctx->data_dir, st)) < 0)
		drover_context_close(ctx);
	return rc;
}

int drover_cmd_load_alloc(const char *cmd, drover_context *ctx, drover_state *st,
                          const char *prefix, drover_ralloc *out)
{
	drover_err err = {{0}};
	char *id = NULL;
	int rc = drover_state_alloc_resolve(st, prefix, &id, &err);
	if (rc == 0)
		rc = drover_ralloc_load(ctx, st, id, out, &err);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", cmd, err.message);
	free(id);
	return rc;
}
