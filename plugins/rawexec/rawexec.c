/* raw_exec: runs a task as a plain process of the host, with no isolation, as
 * Nomad's raw_exec driver does. It is off unless the operator enables it.
 *
 * Processes are started and followed only through the host's proc_* services
 * (drover-shim): this plugin imports no host symbol. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drover/driver.h>

#include "rawexec_handle.h"
#include "rawexec_stats.h"

#define RAWEXEC_ENABLE_ADVICE \
	"set \"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}} in the agent config"
#define DEFAULT_LOG_MAX_FILES 10u
#define DEFAULT_LOG_MAX_FILE_SIZE_MB 10ull

static const drover_field rawexec_plugin_schema[] = {
	{ "enabled", DROVER_FIELD_BOOL, 0, "false",
	  "run raw_exec tasks; off by default because they run unisolated on the host", NULL },
	DROVER_FIELD_END
};

static const drover_field rawexec_task_schema[] = {
	{ "command", DROVER_FIELD_STRING, 1, NULL,
	  "the program to run: an absolute path or a name looked up in the task's PATH", NULL },
	{ "args", DROVER_FIELD_STRING_LIST, 0, NULL, "arguments passed to the command", NULL },
	{ "work_dir", DROVER_FIELD_STRING, 0, NULL,
	  "directory the command runs in; a relative path is relative to the task directory",
	  NULL },
	DROVER_FIELD_END
};

struct drover_task {
	drover_proc proc;
	char *name;
	int exited;               /* `result` is final */
	drover_exit_result result;
	struct drover_task *prev, *next; /* in ctx->tasks, freed by fini */
};

typedef struct rawexec_ctx {
	const drover_host *host;
	int enabled;
	pthread_mutex_t lock; /* protects `tasks` */
	struct drover_task *tasks;
} rawexec_ctx;

static void rawexec_log(rawexec_ctx *c, drover_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rawexec_log(rawexec_ctx *c, drover_log_level level, const char *fmt, ...)
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

static int rawexec_init(const drover_host *host, void **ctx, drover_err *err)
{
	rawexec_ctx *c;

	if (!host || host->struct_size < offsetof(drover_host, proc_stop) + sizeof(host->proc_stop) ||
	    !host->proc_spawn || !host->proc_wait_fd || !host->proc_status || !host->proc_signal ||
	    !host->proc_stop)
		return drover_err_set(err, -ENOTSUP,
		                      "raw_exec needs the host's process services (proc_spawn ... "
		                      "proc_stop), which this host does not offer");
	c = calloc(1, sizeof(*c));
	if (!c)
		return drover_err_set(err, -ENOMEM, "raw_exec: out of memory");
	c->host = host;
	pthread_mutex_init(&c->lock, NULL);
	*ctx = c;
	return 0;
}

static void task_free(struct drover_task *t)
{
	free(t->name);
	free(t);
}

static void rawexec_fini(void *ctx)
{
	rawexec_ctx *c = ctx;

	/* The tasks keep running under their shims; only our memory goes. */
	while (c->tasks) {
		struct drover_task *t = c->tasks;
		c->tasks = t->next;
		task_free(t);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int rawexec_set_config(void *ctx, const drover_value *config, drover_err *err)
{
	rawexec_ctx *c = ctx;

	(void)err;
	c->enabled = drover_value_get_bool(config, "enabled", 0);
	return 0;
}

static int rawexec_capabilities(void *ctx, drover_capabilities *out)
{
	(void)ctx;
	if (out->struct_size < sizeof(*out))
		return -EINVAL;
	out->send_signals = 1;
	out->exec = 0;
	out->fs_isolation = DROVER_FS_ISOLATION_NONE;
	out->network_modes = DROVER_NET_MODE_HOST;
	return 0;
}

static int rawexec_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	rawexec_ctx *c = ctx;

	(void)err;
	if (!c->enabled) {
		out->health = DROVER_HEALTH_UNDETECTED;
		snprintf(out->description, sizeof(out->description), "disabled: %s",
		         RAWEXEC_ENABLE_ADVICE);
		return 0;
	}
	out->health = DROVER_HEALTH_HEALTHY;
	snprintf(out->description, sizeof(out->description), "healthy");
	if (out->set_attribute)
		out->set_attribute(out->sink, "driver.raw_exec", "1");
	return 0;
}

static void task_track(rawexec_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	t->next = c->tasks;
	if (c->tasks)
		c->tasks->prev = t;
	c->tasks = t;
	pthread_mutex_unlock(&c->lock);
}

static void task_untrack(rawexec_ctx *c, struct drover_task *t)
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

static struct drover_task *task_new(const drover_task_config *cfg, const drover_proc *proc)
{
	struct drover_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->name = strdup(cfg && cfg->id ? cfg->id : (cfg && cfg->task_name ? cfg->task_name : "?"));
	if (!t->name) {
		free(t);
		return NULL;
	}
	t->proc = *proc;
	return t;
}

static const char *task_label(const drover_task_config *cfg)
{
	return cfg->task_name ? cfg->task_name : (cfg->id ? cfg->id : "?");
}

static int resolve_user(const drover_task_config *cfg, int *uid, int *gid, drover_err *err)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int r;

	*uid = -1;
	*gid = -1;
	if (!cfg->user || !cfg->user[0])
		return 0;
	r = getpwnam_r(cfg->user, &pw, buf, sizeof(buf), &found);
	if (r != 0)
		return drover_err_set(err, -r, "task \"%s\": cannot look up user \"%s\": %s",
		                      task_label(cfg), cfg->user, strerror(r));
	if (!found)
		return drover_err_set(err, -ENOENT,
		                      "task \"%s\": user \"%s\" does not exist on this host: create it "
		                      "or change the task's User",
		                      task_label(cfg), cfg->user);
	*uid = (int)pw.pw_uid;
	*gid = (int)pw.pw_gid;
	return 0;
}

/* argv = command + args, pointing into the config (valid during the call). */
static int build_argv(const drover_task_config *cfg, const char ***argv_out, drover_err *err)
{
	const char *command = drover_value_get_string(cfg->config, "command", NULL);
	const drover_value *args = drover_value_get(cfg->config, "args");
	const char **argv;
	size_t n = 0, i;

	if (!command || !command[0])
		return drover_err_set(err, -EINVAL, "task \"%s\": config \"command\" is required",
		                      task_label(cfg));
	if (args && args->type != DROVER_VALUE_ARRAY && args->type != DROVER_VALUE_NULL)
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": config \"args\" must be a list of strings",
		                      task_label(cfg));
	if (args && args->type == DROVER_VALUE_ARRAY)
		n = args->u.array.count;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	argv[0] = command;
	for (i = 0; i < n; i++) {
		const drover_value *a = &args->u.array.items[i];
		if (a->type != DROVER_VALUE_STRING) {
			free(argv);
			return drover_err_set(err, -EINVAL,
			                      "task \"%s\": config \"args\"[%zu] is not a string",
			                      task_label(cfg), i);
		}
		argv[i + 1] = a->u.string.ptr;
	}
	*argv_out = argv;
	return 0;
}

static int rawexec_start(void *ctx, const drover_task_config *cfg, drover_task **task,
                         drover_handle *handle, drover_err *err)
{
	rawexec_ctx *c = ctx;
	static const char *const no_env[] = { NULL };
	drover_spawn_request req;
	drover_proc proc;
	struct drover_task *t;
	const char **argv = NULL;
	const char *work_dir;
	char work_path[DROVER_PATH_MAX];
	void *blob = NULL;
	size_t blob_len = 0;
	int uid, gid, r;

	if (!c->enabled)
		return drover_err_set(err, -EPERM, "task \"%s\": the raw_exec driver is disabled: %s",
		                      cfg->task_name ? cfg->task_name : "?", RAWEXEC_ENABLE_ADVICE);
	if (cfg->struct_size < offsetof(drover_task_config, log_max_file_size_mb) +
	                           sizeof(cfg->log_max_file_size_mb))
		return drover_err_set(err, -EINVAL, "raw_exec: task config struct_size %u is too small",
		                      cfg->struct_size);
	if (!cfg->task_dir || !cfg->log_dir)
		return drover_err_set(err, -EINVAL, "task \"%s\": the task and log directories are not "
		                      "set",
		                      task_label(cfg));
	if ((r = resolve_user(cfg, &uid, &gid, err)) < 0)
		return r;

	work_dir = drover_value_get_string(cfg->config, "work_dir", NULL);
	if (work_dir && work_dir[0] && work_dir[0] != '/') {
		if ((size_t)snprintf(work_path, sizeof(work_path), "%s/%s", cfg->task_dir, work_dir) >=
		    sizeof(work_path))
			return drover_err_set(err, -ENAMETOOLONG,
			                      "task \"%s\": config \"work_dir\" \"%s\" is too long",
			                      task_label(cfg), work_dir);
		work_dir = work_path;
	} else if (work_dir && !work_dir[0]) {
		work_dir = NULL;
	}
	if ((r = build_argv(cfg, &argv, err)) < 0)
		return r;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.env = cfg->env ? cfg->env : no_env;
	req.work_dir = work_dir;
	req.state_dir = cfg->task_dir;
	req.log_dir = cfg->log_dir;
	req.log_name = cfg->task_name;
	req.log_max_files = cfg->log_max_files ? cfg->log_max_files : DEFAULT_LOG_MAX_FILES;
	req.log_max_file_size = (cfg->log_max_file_size_mb ? cfg->log_max_file_size_mb
	                                                    : DEFAULT_LOG_MAX_FILE_SIZE_MB) *
	                        1024ull * 1024ull;
	req.uid = uid;
	req.gid = gid;
	req.cgroup = NULL;

	memset(&proc, 0, sizeof(proc));
	proc.struct_size = sizeof(proc);
	r = c->host->proc_spawn(c->host->host_data, &req, &proc, err);
	free(argv);
	if (r < 0) {
		/* Add the task to the host's message; it named the field or command. */
		char inner[DROVER_ERR_MESSAGE_MAX];
		memcpy(inner, err ? err->message : "", err ? sizeof(inner) : 1);
		inner[sizeof(inner) - 1] = '\0';
		return drover_err_set(err, r, "task \"%s\": %s", task_label(cfg), inner);
	}

	t = task_new(cfg, &proc);
	if (!t || rawexec_handle_encode(&proc, &blob, &blob_len) < 0) {
		/* Nothing may be left running when start fails. */
		c->host->proc_stop(c->host->host_data, &proc, SIGKILL, 0, NULL);
		if (t)
			task_free(t);
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	}
	task_track(c, t);
	handle->data = blob;
	handle->len = blob_len;
	*task = t;
	rawexec_log(c, DROVER_LOG_DEBUG, "task \"%s\" started: pid %d, drover-shim pid %d",
	            t->name, proc.pid, proc.shim_pid);
	return 0;
}

static int rawexec_recover(void *ctx, const drover_task_config *cfg, const void *handle,
                           size_t len, drover_task **task, drover_err *err)
{
	rawexec_ctx *c = ctx;
	drover_proc proc;
	struct drover_task *t;
	int r;

	if ((r = rawexec_handle_decode(handle, len, &proc, err)) < 0) {
		char inner[DROVER_ERR_MESSAGE_MAX];
		if (!err)
			return r;
		memcpy(inner, err->message, sizeof(inner));
		return drover_err_set(err, r, "task \"%s\": %s", cfg ? task_label(cfg) : "?", inner);
	}
	t = task_new(cfg, &proc);
	if (!t)
		return drover_err_set(err, -ENOMEM, "raw_exec: out of memory");
	task_track(c, t);
	*task = t;
	return 0;
}

static void copy_result(drover_exit_result *dst, const drover_exit_result *src)
{
	uint32_t size = dst->struct_size;
	memcpy(dst, src, size < sizeof(*src) ? size : sizeof(*src));
	dst->struct_size = size;
}

/* 0 with t->result final, -EAGAIN while it runs. */
static int task_poll(rawexec_ctx *c, struct drover_task *t, drover_err *err)
{
	drover_exit_result res;
	int r;

	if (t->exited)
		return 0;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	r = c->host->proc_status(c->host->host_data, &t->proc, &res, err);
	if (r < 0)
		return r;
	t->result = res;
	t->exited = 1;
	return 0;
}

static int rawexec_wait_fd(void *ctx, drover_task *task, drover_err *err)
{
	rawexec_ctx *c = ctx;

	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", task->name);
	return c->host->proc_wait_fd(c->host->host_data, &task->proc, err);
}

static int rawexec_wait(void *ctx, drover_task *task, int flags, drover_exit_result *res,
                        drover_err *err)
{
	rawexec_ctx *c = ctx;
	int r;

	for (;;) {
		int fd;
		struct pollfd pfd;

		r = task_poll(c, task, err);
		if (r != -EAGAIN || (flags & DROVER_WAIT_NOHANG))
			break;
		fd = c->host->proc_wait_fd(c->host->host_data, &task->proc, err);
		if (fd == -ESRCH)
			continue; /* the shim is gone: the status is final now */
		if (fd < 0)
			return fd;
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		close(fd);
	}
	if (r < 0)
		return r;
	copy_result(res, &task->result);
	return 0;
}

static int rawexec_stop(void *ctx, drover_task *task, int signo, long long timeout_ms,
                        drover_err *err)
{
	rawexec_ctx *c = ctx;
	int r;

	if (task->exited)
		return 0;
	r = c->host->proc_stop(c->host->host_data, &task->proc, signo, timeout_ms, err);
	if (r < 0)
		return r;
	r = task_poll(c, task, err);
	if (r == -EAGAIN)
		return drover_err_set(err, -EIO, "task \"%s\" was stopped but its exit status is not "
		                      "recorded yet",
		                      task->name);
	return r;
}

static int rawexec_destroy(void *ctx, drover_task *task, int force, drover_err *err)
{
	rawexec_ctx *c = ctx;
	int r = task_poll(c, task, err);

	if (r == -EAGAIN) {
		if (!force)
			return drover_err_set(err, -EBUSY,
			                      "task \"%s\" (pid %d) is still running: stop it first, or "
			                      "destroy it with force",
			                      task->name, task->proc.pid);
		r = rawexec_stop(ctx, task, SIGKILL, 0, err);
		if (r < 0)
			return r;
	}
	/* Any other error of the status (unreadable file) must not keep the task alive forever. */
	task_untrack(c, task);
	task_free(task);
	return 0;
}

static int rawexec_inspect(void *ctx, drover_task *task, drover_task_status *out,
                           drover_err *err)
{
	rawexec_ctx *c = ctx;
	drover_task_status s;
	int r = task_poll(c, task, err);

	if (r < 0 && r != -EAGAIN)
		return r;
	memset(&s, 0, sizeof(s));
	s.struct_size = out->struct_size;
	s.pid = task->proc.pid;
	s.started_at_ms = task->proc.started_at_ms;
	if (task->exited) {
		s.state = DROVER_TASK_EXITED;
		s.completed_at_ms = task->result.exited_at_ms;
		s.exit_code = task->result.exit_code;
		s.signal = task->result.signal;
		s.oom_killed = task->result.oom_killed;
		if (task->result.error[0])
			snprintf(s.detail, sizeof(s.detail), "%s", task->result.error);
		else
			snprintf(s.detail, sizeof(s.detail), "drover-shim pid %d", task->proc.shim_pid);
	} else {
		s.state = DROVER_TASK_RUNNING;
		snprintf(s.detail, sizeof(s.detail), "drover-shim pid %d", task->proc.shim_pid);
	}
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

static int rawexec_stats(void *ctx, drover_task *task, drover_task_stats *out, drover_err *err)
{
	(void)ctx;
	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has exited: no statistics", task->name);
	return rawexec_stats_read(task->proc.pid, task->proc.pid_start_time, out, err);
}

static int rawexec_signal(void *ctx, drover_task *task, int signo, drover_err *err)
{
	rawexec_ctx *c = ctx;

	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", task->name);
	return c->host->proc_signal(c->host->host_data, &task->proc, signo, 0, err);
}

static const drover_driver rawexec_driver = {
	.struct_size = sizeof(drover_driver),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.name = "raw_exec",
	.version = PACKAGE_VERSION,
	.description = "runs tasks as plain processes of the host, without isolation",
	.plugin_schema = rawexec_plugin_schema,
	.task_schema = rawexec_task_schema,
	.init = rawexec_init,
	.fini = rawexec_fini,
	.set_config = rawexec_set_config,
	.capabilities = rawexec_capabilities,
	.fingerprint = rawexec_fingerprint,
	.start = rawexec_start,
	.recover = rawexec_recover,
	.wait_fd = rawexec_wait_fd,
	.wait = rawexec_wait,
	.stop = rawexec_stop,
	.destroy = rawexec_destroy,
	.inspect = rawexec_inspect,
	.stats = rawexec_stats,
	.events = NULL,
	.signal = rawexec_signal,
	.exec = NULL,
	.periodic = NULL,
};

DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void)
{
	return &rawexec_driver;
}
