/* exec: runs a task isolated as Nomad's exec driver does, and stricter by
 * default: new mount, PID and IPC namespaces (host network), the task
 * directory as its root with the host directories of client.chroot_env
 * bind-mounted read-only (nothing copied), cgroups, an unprivileged user,
 * reduced capabilities, no_new_privs and a seccomp filter.
 *
 * The task runs under drover-shim (host proc_* services) as drover-exec-init,
 * which builds the isolation and execs the command; see exec_init.h. The
 * shim puts drover-exec-init in the task's cgroups before its first
 * instruction. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drover/driver.h>

#include "exec_caps.h"
#include "exec_dns.h"
#include "exec_plan.h"
#include "plugin_cgroup.h"
#include "plugin_exec.h"
#include "plugin_handle.h"
#include "plugin_leftovers.h"
#include "plugin_stats.h"
#include "plugin_task.h"

#ifndef DROVER_EXEC_INIT_PATH
#error "DROVER_EXEC_INIT_PATH must be defined by the build"
#endif

#define EXEC_HANDLE_MAGIC "drvexec1"
#define EXEC_INIT_ENV "DROVER_EXEC_INIT"
#define DEFAULT_LOG_MAX_FILES 10u
#define DEFAULT_LOG_MAX_FILE_SIZE_MB 10ull
#define DEFAULT_PIDS_LIMIT 4096
#define CGROUP_KILL_TIMEOUT_MS 10000

static const drover_field exec_plugin_schema[] = {
	{ "no_pivot_root", DROVER_FIELD_BOOL, 0, "false",
	  "enter the task's root with chroot instead of pivot_root (roots on a ramdisk)", NULL },
	{ "default_pid_mode", DROVER_FIELD_STRING, 0, "\"private\"",
	  "pid_mode of tasks that set none: \"private\" or \"host\"", NULL },
	{ "default_ipc_mode", DROVER_FIELD_STRING, 0, "\"private\"",
	  "ipc_mode of tasks that set none: \"private\" or \"host\"", NULL },
	{ "allow_caps", DROVER_FIELD_STRING_LIST, 0, EXEC_CAPS_DEFAULT_JSON,
	  "capabilities tasks get and may cap_add (Nomad's default list, without net_raw)", NULL },
	{ "allow_root_user", DROVER_FIELD_BOOL, 0, "false",
	  "let tasks run as root (User \"root\"); refused by default", NULL },
	{ "pids_limit", DROVER_FIELD_INT, 0, "4096",
	  "most processes and threads a task may have at once (cgroup pids.max); 0: no limit",
	  NULL },
	DROVER_FIELD_END
};

static const drover_field exec_task_schema[] = {
	{ "command", DROVER_FIELD_STRING, 1, NULL,
	  "the program to run, inside the task's root: an absolute path or a name looked up "
	  "in the task's PATH", NULL },
	{ "args", DROVER_FIELD_STRING_LIST, 0, NULL, "arguments passed to the command", NULL },
	{ "work_dir", DROVER_FIELD_STRING, 0, NULL,
	  "directory inside the task's root the command runs in (default \"/\")", NULL },
	{ "pid_mode", DROVER_FIELD_STRING, 0, NULL,
	  "\"private\": own PID namespace; \"host\": the host's (default: default_pid_mode)",
	  NULL },
	{ "ipc_mode", DROVER_FIELD_STRING, 0, NULL,
	  "\"private\": own IPC namespace; \"host\": the host's (default: default_ipc_mode)",
	  NULL },
	{ "cap_add", DROVER_FIELD_STRING_LIST, 0, NULL,
	  "capabilities added to the task's set; each must be in allow_caps", NULL },
	{ "cap_drop", DROVER_FIELD_STRING_LIST, 0, NULL,
	  "capabilities removed from the task's set; \"all\" removes every one", NULL },
	DROVER_FIELD_END
};

struct drover_task {
	drover_proc proc;
	char *name;
	exec_plan plan;           /* for exec, also after recover; empty when unknown */
	plugin_cgroup cg;
	char *cgroups;
	int exited;
	drover_exit_result result;
	struct drover_task *prev, *next;
};

typedef struct exec_ctx {
	const drover_host *host;
	exec_plan_opts opts;
	long long pids_limit;
	pthread_mutex_t lock;
	struct drover_task *tasks;
} exec_ctx;

static void exec_log(exec_ctx *c, drover_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void exec_log(exec_ctx *c, drover_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->host->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->host->log(c->host->host_data, level, msg);
}

static const char *init_path(void)
{
	const char *env = getenv(EXEC_INIT_ENV);
	return env && env[0] ? env : DROVER_EXEC_INIT_PATH;
}

static int exec_init(const drover_host *host, void **ctx, drover_err *err)
{
	exec_ctx *c;

	if (!host || host->struct_size < offsetof(drover_host, proc_stop) + sizeof(host->proc_stop) ||
	    !host->proc_spawn || !host->proc_wait_fd || !host->proc_status || !host->proc_signal ||
	    !host->proc_stop)
		return drover_err_set(err, -ENOTSUP,
		                      "exec needs the host's process services (proc_spawn ... "
		                      "proc_stop), which this host does not offer");
	c = calloc(1, sizeof(*c));
	if (!c)
		return drover_err_set(err, -ENOMEM, "exec: out of memory");
	c->host = host;
	c->pids_limit = DEFAULT_PIDS_LIMIT;
	c->opts.allow_caps = 0;
	pthread_mutex_init(&c->lock, NULL);
	*ctx = c;
	return 0;
}

static void task_free(struct drover_task *t)
{
	free(t->name);
	exec_plan_free(&t->plan);
	plugin_cgroup_free(&t->cg);
	free(t->cgroups);
	free(t);
}

static void exec_fini(void *ctx)
{
	exec_ctx *c = ctx;

	while (c->tasks) {
		struct drover_task *t = c->tasks;
		c->tasks = t->next;
		task_free(t);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Prefixes err's message with `prefix`. */
static int err_prefix(drover_err *err, int r, const char *what, const char *name)
{
	char inner[DROVER_ERR_MESSAGE_MAX];

	if (!err)
		return r;
	memcpy(inner, err->message, sizeof(inner));
	inner[sizeof(inner) - 1] = '\0';
	return drover_err_set(err, r, "%s \"%s\": %s", what, name, inner);
}

static int exec_set_config(void *ctx, const drover_value *config, drover_err *err)
{
	exec_ctx *c = ctx;
	exec_plan_opts o = c->opts;
	const drover_value *allow = drover_value_get(config, "allow_caps");
	long long pids = drover_value_get_int(config, "pids_limit", DEFAULT_PIDS_LIMIT);
	int r;

	o.no_pivot_root = drover_value_get_bool(config, "no_pivot_root", 0);
	o.allow_root_user = drover_value_get_bool(config, "allow_root_user", 0);
	if ((r = exec_plan_ns_mode(drover_value_get_string(config, "default_pid_mode", "private"),
	                           "default_pid_mode", &o.default_pid_mode, err)) < 0 ||
	    (r = exec_plan_ns_mode(drover_value_get_string(config, "default_ipc_mode", "private"),
	                           "default_ipc_mode", &o.default_ipc_mode, err)) < 0)
		return err_prefix(err, r, "exec plugin option", "");
	if (allow) {
		if ((r = exec_caps_parse(allow, "allow_caps", 1, &o.allow_caps, err)) < 0)
			return err_prefix(err, r, "exec plugin option", "allow_caps");
	} else {
		o.allow_caps = 0;
		{
			static const char *const def[] = { "audit_write", "chown", "dac_override",
				                           "fowner", "fsetid", "kill", "mknod",
				                           "net_bind_service", "setfcap", "setgid",
				                           "setpcap", "setuid", "sys_chroot", NULL };
			size_t i;
			for (i = 0; def[i]; i++)
				o.allow_caps |= (uint64_t)1 << exec_caps_number(def[i]);
		}
	}
	if (pids < 0 || pids > 4194304)
		return drover_err_set(err, -EINVAL,
		                      "exec plugin option \"pids_limit\" %lld is out of range: give 0 "
		                      "(no limit) to 4194304",
		                      pids);
	c->opts = o;
	c->pids_limit = pids;
	return 0;
}

static int exec_capabilities(void *ctx, drover_capabilities *out)
{
	(void)ctx;
	if (out->struct_size < sizeof(*out))
		return -EINVAL;
	out->send_signals = 1;
	out->exec = 1;
	out->fs_isolation = DROVER_FS_ISOLATION_CHROOT;
	/* GROUP: a task joins its allocation's namespace (--netns). */
	out->network_modes = DROVER_NET_MODE_HOST | DROVER_NET_MODE_GROUP;
	return 0;
}

static int exec_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	plugin_cgroup cg;
	drover_err cg_err = { "" };
	const char *init = init_path();
	int r;

	(void)ctx;
	(void)err;
	if (geteuid() != 0) {
		out->health = DROVER_HEALTH_UNDETECTED;
		snprintf(out->description, sizeof(out->description),
		         "the exec driver needs root (namespaces, mounts, cgroups): run the agent "
		         "as root");
		return 0;
	}
	memset(&cg, 0, sizeof(cg));
	r = plugin_cgroup_plan(&cg, "fingerprint", "probe", NULL, NULL, &cg_err);
	if (r < 0 || cg.version == 0) {
		out->health = DROVER_HEALTH_UNHEALTHY;
		snprintf(out->description, sizeof(out->description), "no usable cgroups: %.200s",
		         r < 0 ? cg_err.message : "no cgroup hierarchy is mounted");
		plugin_cgroup_free(&cg);
		return 0;
	}
	plugin_cgroup_free(&cg);
	if (access(init, X_OK) < 0) {
		out->health = DROVER_HEALTH_UNHEALTHY;
		snprintf(out->description, sizeof(out->description),
		         "drover-exec-init \"%.150s\" cannot be executed: %s", init, strerror(errno));
		return 0;
	}
	out->health = DROVER_HEALTH_HEALTHY;
	snprintf(out->description, sizeof(out->description), "healthy");
	if (out->set_attribute)
		out->set_attribute(out->sink, "driver.exec", "1");
	return 0;
}

static void task_track(exec_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	t->next = c->tasks;
	if (c->tasks)
		c->tasks->prev = t;
	c->tasks = t;
	pthread_mutex_unlock(&c->lock);
}

static void task_untrack(exec_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		c->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&c->lock);
}

static const char *task_label(const drover_task_config *cfg)
{
	return cfg->task_name ? cfg->task_name : (cfg->id ? cfg->id : "?");
}

static struct drover_task *task_new(const drover_task_config *cfg)
{
	struct drover_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->name = strdup(cfg && cfg->id ? cfg->id : (cfg && cfg->task_name ? cfg->task_name : "?"));
	if (!t->name) {
		free(t);
		return NULL;
	}
	return t;
}

/* Plan and cgroup of the task: everything start needs and recover must know
 * again for exec, stats, stop and destroy. */
static int task_prepare(exec_ctx *c, const drover_task_config *cfg, struct drover_task *t,
                        drover_err *err)
{
	exec_plan_opts o = c->opts;
	int r;

	o.init_path = init_path();
	o.chroot_env = c->host->agent_config
	                       ? c->host->agent_config(c->host->host_data, "client.chroot_env")
	                       : NULL;
	if ((r = exec_plan_build(&o, cfg, &t->plan, err)) < 0)
		return err_prefix(err, r, "task", task_label(cfg));
	r = plugin_cgroup_plan(&t->cg, cfg->alloc_id, cfg->task_name, NULL, NULL, err);
	if (r == 0 && t->cg.version == 0)
		r = drover_err_set(err, -ENOTSUP, "no cgroup hierarchy is mounted");
	/* A device node the task made would be on the host's filesystem, in
	 * its task directory, for any local user to open. */
	if (r == 0)
		r = plugin_cgroup_plan_devices(&t->cg, err);
	if (r == 0)
		t->cgroups = plugin_cgroup_join_list(&t->cg, &r);
	if (r < 0)
		return err_prefix(err, r, "task", task_label(cfg));
	return 0;
}

static int exec_start(void *ctx, const drover_task_config *cfg, drover_task **task,
                      drover_handle *handle, drover_err *err)
{
	exec_ctx *c = ctx;
	drover_spawn_request req;
	drover_proc proc;
	struct drover_task *t;
	void *blob = NULL;
	size_t blob_len = 0;
	int r;

	if (cfg->struct_size < offsetof(drover_task_config, log_max_file_size_mb) +
	                           sizeof(cfg->log_max_file_size_mb))
		return drover_err_set(err, -EINVAL, "exec: task config struct_size %u is too small",
		                      cfg->struct_size);
	if (!cfg->task_dir || !cfg->log_dir || !cfg->alloc_dir || cfg->task_dir[0] != '/' ||
	    cfg->alloc_dir[0] != '/')
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": the task, allocation and log directories are not "
		                      "set",
		                      task_label(cfg));
	if (geteuid() != 0)
		return drover_err_set(err, -EPERM,
		                      "task \"%s\": the exec driver needs root: run the agent as root",
		                      task_label(cfg));
	t = task_new(cfg);
	if (!t)
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	if ((r = task_prepare(c, cfg, t, err)) < 0)
		goto fail;
	if ((r = exec_plan_check_command(&t->plan, cfg, err)) < 0) {
		r = err_prefix(err, r, "task", task_label(cfg));
		goto fail;
	}
	if ((r = exec_dns_prepare(cfg, &t->plan.run_argv, err)) < 0) {
		r = err_prefix(err, r, "task", task_label(cfg));
		goto fail;
	}
	r = plugin_cgroup_create(&t->cg, cfg->cpu_mhz, cfg->memory_mb, cfg->memory_max_mb,
	                         c->pids_limit, err);
	if (r < 0) {
		r = err_prefix(err, r, "task", task_label(cfg));
		goto fail;
	}

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = (const char *const *)t->plan.run_argv;
	req.env = (const char *const *)t->plan.env;
	req.work_dir = cfg->task_dir;
	req.state_dir = plugin_state_dir(cfg);
	req.log_dir = cfg->log_dir;
	req.log_name = cfg->task_name;
	req.log_max_files = cfg->log_max_files ? cfg->log_max_files : DEFAULT_LOG_MAX_FILES;
	req.log_max_file_size = (cfg->log_max_file_size_mb ? cfg->log_max_file_size_mb
	                                                    : DEFAULT_LOG_MAX_FILE_SIZE_MB) *
	                        1024ull * 1024ull;
	/* drover-exec-init needs root to build the isolation; it drops to the
	 * task's user itself. */
	req.uid = -1;
	req.gid = -1;
	req.cgroup = t->cgroups;

	memset(&proc, 0, sizeof(proc));
	proc.struct_size = sizeof(proc);
	r = c->host->proc_spawn(c->host->host_data, &req, &proc, err);
	if (r < 0) {
		r = err_prefix(err, r, "task", task_label(cfg));
		goto fail_cgroup;
	}
	t->proc = proc;
	if (plugin_handle_encode(EXEC_HANDLE_MAGIC, &proc, &blob, &blob_len) < 0) {
		c->host->proc_stop(c->host->host_data, &proc, SIGKILL, 0, NULL);
		plugin_cgroup_kill(&t->cg, CGROUP_KILL_TIMEOUT_MS, NULL);
		r = drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
		goto fail_cgroup;
	}
	task_track(c, t);
	handle->data = blob;
	handle->len = blob_len;
	*task = t;
	exec_log(c, DROVER_LOG_DEBUG, "task \"%s\" started: drover-exec-init pid %d, drover-shim "
	         "pid %d, cgroups %s",
	         t->name, proc.pid, proc.shim_pid, t->cgroups ? t->cgroups : "-");
	return 0;
fail_cgroup:
	plugin_cgroup_remove(&t->cg, NULL);
fail:
	task_free(t);
	return r;
}

/* The recovery rule: a task whose handle cannot be read is not left running
 * unsupervised; whatever is left of it (found through the shim's pids file
 * and its cgroup) is killed before anything could start it again. */
static int kill_unrecoverable(exec_ctx *c, const drover_task_config *cfg, int r, drover_err *err)
{
	struct drover_task *t = NULL;
	drover_err ignored = { "" };
	plugin_cgroup *cg = NULL;
	int killed = 0;

	if (cfg && cfg->task_dir && (t = task_new(cfg)) != NULL &&
	    task_prepare(c, cfg, t, &ignored) == 0 && t->cg.version != 0)
		cg = &t->cg;
	r = plugin_leftovers_clean(c->host, plugin_state_dir(cfg), cg, r, err, &killed, NULL);
	if (t)
		task_free(t);
	if (killed)
		exec_log(c, DROVER_LOG_WARN, "task \"%s\": %s", task_label(cfg), err->message);
	return r;
}

static int exec_recover(void *ctx, const drover_task_config *cfg, const void *handle,
                        size_t len, drover_task **task, drover_err *err)
{
	exec_ctx *c = ctx;
	drover_proc proc;
	struct drover_task *t;
	drover_err prep_err = { "" };
	int r;

	if ((r = plugin_handle_decode("exec", EXEC_HANDLE_MAGIC, handle, len, &proc, err)) < 0)
		return kill_unrecoverable(c, cfg, cfg ? err_prefix(err, r, "task", task_label(cfg)) : r,
		                          err);
	t = task_new(cfg);
	if (!t)
		return drover_err_set(err, -ENOMEM, "exec: out of memory");
	t->proc = proc;
	/* Supervision must survive a config that can no longer be planned (user
	 * deleted, option changed): the task then only loses exec and stats. */
	if (cfg && cfg->task_dir && task_prepare(c, cfg, t, &prep_err) < 0) {
		exec_log(c, DROVER_LOG_WARN, "task \"%s\" recovered without exec and cgroup "
		         "support: %s",
		         t->name, prep_err.message);
		exec_plan_free(&t->plan);
	}
	task_track(c, t);
	*task = t;
	return 0;
}

/* The pieces of the task the shared shim-task methods need (plugin_task.h). */
static plugin_task core(exec_ctx *c, struct drover_task *t)
{
	return (plugin_task){ c->host, t->name, &t->proc, &t->cg, &t->exited, &t->result };
}

static int exec_wait_fd(void *ctx, drover_task *task, drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_wait_fd(&k, err);
}

static int exec_wait(void *ctx, drover_task *task, int flags, drover_exit_result *res,
                drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_wait(&k, flags, res, err);
}

static int exec_stop(void *ctx, drover_task *task, int signo, long long timeout_ms,
                drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_stop(&k, signo, timeout_ms, err);
}

static int exec_destroy(void *ctx, drover_task *task, int force, drover_err *err)
{
	exec_ctx *c = ctx;
	plugin_task k = core(c, task);
	int r = plugin_task_destroy(&k, force, err);

	if (r < 0)
		return r;
	task_untrack(c, task);
	task_free(task);
	return 0;
}

static int exec_inspect(void *ctx, drover_task *task, drover_task_status *out,
                   drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_inspect(&k, out, err);
}

static int exec_stats(void *ctx, drover_task *task, drover_task_stats *out, drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_stats(&k, out, err);
}

static int exec_signal(void *ctx, drover_task *task, int signo, drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_signal(&k, signo, err);
}

/* The task's pid 1: drover-exec-init's only child. */
static int ns_leader(int init_pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL && found < 0) {
		char path[64], buf[512], *rp;
		FILE *f;
		int ppid;
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/stat", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) != NULL &&
		    sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == init_pid)
			found = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return found;
}

static int exec_exec(void *ctx, drover_task *task, const drover_exec_request *req,
                     int *exit_code, drover_err *err)
{
	const char *prefix[48];
	char pid_arg[32];
	plugin_exec_ctx x;
	size_t n = 0, i;
	int leader;

	(void)ctx;
	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has exited: nothing to exec in",
		                      task->name);
	if (!task->plan.priv_args || !task->plan.env)
		return drover_err_set(err, -ENOTSUP,
		                      "task \"%s\": its configuration could not be rebuilt when it was "
		                      "recovered (see the agent's log): exec is not possible",
		                      task->name);
	leader = ns_leader(task->proc.pid);
	if (leader <= 0)
		return drover_err_set(err, -ESRCH,
		                      "task \"%s\": drover-exec-init (pid %d) has no task process "
		                      "to exec beside: has the task exited?",
		                      task->name, task->proc.pid);
	snprintf(pid_arg, sizeof(pid_arg), "--pid=%d", leader);
	prefix[n++] = init_path();
	prefix[n++] = "join";
	prefix[n++] = pid_arg;
	for (i = 0; task->plan.priv_args[i] && n < 45; i++)
		prefix[n++] = task->plan.priv_args[i];
	prefix[n++] = "--";
	prefix[n] = NULL;
	memset(&x, 0, sizeof(x));
	x.driver = "exec";
	x.prefix = prefix;
	x.task = task->name;
	x.env = (const char *const *)task->plan.env;
	x.dir = NULL;
	x.uid = -1; /* drover-exec-init needs root to enter; it drops to the task's user */
	x.gid = -1;
	x.cgroups = task->cgroups;
	return plugin_exec_run(&x, req, exit_code, err);
}

static const drover_driver exec_driver = {
	.struct_size = sizeof(drover_driver),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.name = "exec",
	.version = PACKAGE_VERSION,
	.description = "runs tasks in namespaces, with a read-only root bound from host "
	               "directories, cgroups and an unprivileged user",
	.plugin_schema = exec_plugin_schema,
	.task_schema = exec_task_schema,
	.init = exec_init,
	.fini = exec_fini,
	.set_config = exec_set_config,
	.capabilities = exec_capabilities,
	.fingerprint = exec_fingerprint,
	.start = exec_start,
	.recover = exec_recover,
	.wait_fd = exec_wait_fd,
	.wait = exec_wait,
	.stop = exec_stop,
	.destroy = exec_destroy,
	.inspect = exec_inspect,
	.stats = exec_stats,
	.events = NULL,
	.signal = exec_signal,
	.exec = exec_exec,
	.periodic = NULL,
};

DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void)
{
	return &exec_driver;
}
