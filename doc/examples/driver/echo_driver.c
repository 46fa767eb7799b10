/* echo: an example third-party drover task driver, built outside the drover
 * tree against the installed SDK (see README.md next to this file).
 *
 * A task of this driver prints its `message` on stdout, optionally writes it
 * to `file` too, and exits with `exit_code`:
 *
 *   "Driver": "echo",
 *   "Config": {"message": "hello", "exit_code": 3, "file": "local/said.txt"}
 *
 * The work is done by /bin/sh, started under drover-shim through the host's
 * proc_* services: the shim writes the task's log files and records its exit
 * status, so the task survives a restart of the host and this plugin needs no
 * thread, no signal handler and no symbol of the host. Everything here comes
 * from <drover/driver.h>.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drover/driver.h>

#define ECHO_NAME "echo"
#define ECHO_VERSION "1.0.0"

/* The script gets the message, the file and the exit code as positional
 * parameters, never pasted into its text: a message may hold quotes, `$(...)`
 * or anything else without being run. */
#define ECHO_SCRIPT                                                   \
	"printf '%s\\n' \"$1\" || exit 111\n"                           \
	"if [ -n \"$2\" ]; then\n"                                      \
	"  printf '%s\\n' \"$1\" > \"$2\" || exit 112\n"                 \
	"fi\n"                                                          \
	"exit \"$3\"\n"

/* Used when the job sets no LogConfig: 10 files of 10 MiB, as Nomad. */
#define DEFAULT_LOG_MAX_FILES 10u
#define DEFAULT_LOG_MAX_FILE_SIZE (10ull * 1024 * 1024)

static const drover_field echo_task_schema[] = {
	{ "message", DROVER_FIELD_STRING, 1, NULL, "the line the task prints on its stdout", NULL },
	{ "exit_code", DROVER_FIELD_INT, 0, "0", "the task's exit code, 0 to 255", NULL },
	{ "file", DROVER_FIELD_STRING, 0, NULL,
	  "also write the message to this file; a relative path is relative to the task directory",
	  NULL },
	DROVER_FIELD_END
};

/* ------------------------------------------------------------------ state */

struct drover_task {
	drover_proc proc;
	char *id;                  /* for messages */
	int exited;                /* `result` is final */
	drover_exit_result result;
	struct drover_task *prev, *next; /* in echo_ctx.tasks, so that fini frees them */
};

typedef struct echo_ctx {
	const drover_host *host;
	pthread_mutex_t lock;      /* tasks start and end on any thread */
	struct drover_task *tasks;
} echo_ctx;

static void echo_log(echo_ctx *c, drover_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void echo_log(echo_ctx *c, drover_log_level level, const char *fmt, ...)
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

static const char *cfg_label(const drover_task_config *cfg)
{
	if (cfg && cfg->id)
		return cfg->id;
	return cfg && cfg->task_name ? cfg->task_name : "?";
}

static struct drover_task *task_new(echo_ctx *c, const drover_task_config *cfg,
                                    const drover_proc *proc)
{
	struct drover_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = strdup(cfg_label(cfg));
	if (!t->id) {
		free(t);
		return NULL;
	}
	t->proc = *proc;
	pthread_mutex_lock(&c->lock);
	t->next = c->tasks;
	if (c->tasks)
		c->tasks->prev = t;
	c->tasks = t;
	pthread_mutex_unlock(&c->lock);
	return t;
}

static void task_free(echo_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		c->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&c->lock);
	free(t->id);
	free(t);
}

/* ----------------------------------------------------------------- handle
 *
 * What the host stores for recover: the drover_proc, as text so that it can
 * be read in a bug report. The first line carries a version; a later release
 * that changes the layout bumps it and keeps reading version 1.
 *
 *   drover-echo-handle 1
 *   pid=1234
 *   shim_pid=1233
 *   pid_start_time=5678
 *   shim_start_time=5670
 *   started_at_ms=1700000000000
 *   state_dir=/var/lib/drover/run/<alloc_id>/<task>
 */
#define HANDLE_MAGIC "drover-echo-handle"
#define HANDLE_VERSION 1
#define HANDLE_MAX 8192

static int handle_encode(const drover_proc *p, drover_handle *out, const char *id,
                         drover_err *err)
{
	char *buf;
	int n;

	/* A newline in the path would end its line early and be misread. */
	if (strchr(p->state_dir, '\n'))
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": its directory \"%s\" holds a newline, which the "
		                      "echo driver cannot record for recover",
		                      id, p->state_dir);
	buf = malloc(HANDLE_MAX);
	if (!buf)
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", id);
	n = snprintf(buf, HANDLE_MAX,
	             HANDLE_MAGIC " %d\npid=%d\nshim_pid=%d\npid_start_time=%llu\n"
	             "shim_start_time=%llu\nstarted_at_ms=%lld\nstate_dir=%s\n",
	             HANDLE_VERSION, p->pid, p->shim_pid, p->pid_start_time, p->shim_start_time,
	             p->started_at_ms, p->state_dir);
	if (n < 0 || n >= HANDLE_MAX) {
		free(buf);
		return drover_err_set(err, -ENAMETOOLONG, "task \"%s\": its state directory is too "
		                      "long to record", id);
	}
	out->data = buf;
	out->len = (size_t)n; /* without the NUL: decode does not rely on one */
	return 0;
}

/* The value of "key=" at the start of `line`, or NULL. */
static const char *field(const char *line, const char *key)
{
	size_t n = strlen(key);
	return strncmp(line, key, n) == 0 && line[n] == '=' ? line + n + 1 : NULL;
}

static int parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The handle comes from a file on disk and may be anything: everything is
 * checked, and *p is only written when all of it is right. */
static int handle_decode(const void *data, size_t len, drover_proc *p, const char *id,
                         drover_err *err)
{
	char text[HANDLE_MAX + 1], *line, *save = NULL;
	unsigned long long pid = 0, shim_pid = 0, pst = 0, sst = 0, started = 0;
	int version = 0, seen = 0;
	drover_proc out;

	if (!data || len == 0 || len > HANDLE_MAX || memchr(data, '\0', len))
		return drover_err_set(err, -EINVAL, "task \"%s\": the echo handle is empty, too long "
		                      "or binary (%zu bytes): the task cannot be recovered", id, len);
	memcpy(text, data, len);
	text[len] = '\0';
	if (sscanf(text, HANDLE_MAGIC " %d\n", &version) != 1)
		return drover_err_set(err, -EINVAL, "task \"%s\": not an echo driver handle (it does "
		                      "not start with \"" HANDLE_MAGIC "\")", id);
	if (version != HANDLE_VERSION)
		return drover_err_set(err, -EINVAL, "task \"%s\": echo handle version %d is not "
		                      "supported by echo " ECHO_VERSION " (it reads version %d): "
		                      "recover it with the driver that started it",
		                      id, version, HANDLE_VERSION);
	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	strtok_r(text, "\n", &save); /* the first line, checked above */
	while ((line = strtok_r(NULL, "\n", &save))) {
		const char *v;
		int bad = 0;

		if ((v = field(line, "pid")))
			bad = parse_ull(v, INT32_MAX, &pid), seen |= 1;
		else if ((v = field(line, "shim_pid")))
			bad = parse_ull(v, INT32_MAX, &shim_pid), seen |= 2;
		else if ((v = field(line, "pid_start_time")))
			bad = parse_ull(v, ULLONG_MAX, &pst), seen |= 4;
		else if ((v = field(line, "shim_start_time")))
			bad = parse_ull(v, ULLONG_MAX, &sst), seen |= 8;
		else if ((v = field(line, "started_at_ms")))
			bad = parse_ull(v, INT64_MAX, &started), seen |= 16;
		else if ((v = field(line, "state_dir"))) {
			bad = v[0] != '/' || strlen(v) >= sizeof(out.state_dir);
			if (!bad)
				strcpy(out.state_dir, v);
			seen |= 32;
		} else
			bad = 1; /* an unknown line is damage, not a newer minor: that bumps the version */
		if (bad)
			return drover_err_set(err, -EINVAL, "task \"%s\": the echo handle has a bad line "
			                      "\"%.100s\": the task cannot be recovered", id, line);
	}
	if (seen != 63 || pid == 0 || shim_pid == 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": the echo handle lacks a field or "
		                      "has a zero pid: the task cannot be recovered", id);
	out.pid = (int)pid;
	out.shim_pid = (int)shim_pid;
	out.pid_start_time = pst;
	out.shim_start_time = sst;
	out.started_at_ms = (long long)started;
	*p = out;
	return 0;
}

/* ------------------------------------------------------------ the methods */

static int echo_init(const drover_host *host, void **ctx, drover_err *err)
{
	echo_ctx *c;

	/* An older host may have a shorter drover_host: make sure every service
	 * this driver calls is inside it before touching any. */
	if (!host || host->struct_size < offsetof(drover_host, proc_stop) + sizeof(host->proc_stop) ||
	    !host->proc_spawn || !host->proc_wait_fd || !host->proc_status || !host->proc_stop)
		return drover_err_set(err, -ENOTSUP, "the echo driver needs the host's process "
		                      "services (proc_spawn ... proc_stop): upgrade drover");
	c = calloc(1, sizeof(*c));
	if (!c)
		return drover_err_set(err, -ENOMEM, "echo: out of memory");
	c->host = host;
	pthread_mutex_init(&c->lock, NULL);
	*ctx = c;
	return 0;
}

static void echo_fini(void *ctx)
{
	echo_ctx *c = ctx;

	/* Tasks the host did not destroy keep running under their shims; only our
	 * memory goes. */
	while (c->tasks)
		task_free(c, c->tasks);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int echo_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	(void)ctx;
	(void)err;
	/* /bin/sh is all a task needs; without it nothing can run. */
	if (access("/bin/sh", X_OK) != 0) {
		out->health = DROVER_HEALTH_UNHEALTHY;
		snprintf(out->description, sizeof(out->description),
		         "/bin/sh is not executable: %s", strerror(errno));
		return 0;
	}
	out->health = DROVER_HEALTH_HEALTHY;
	snprintf(out->description, sizeof(out->description), "healthy");
	if (out->set_attribute) {
		out->set_attribute(out->sink, "driver." ECHO_NAME, "1");
		out->set_attribute(out->sink, "driver." ECHO_NAME ".version", ECHO_VERSION);
	}
	return 0;
}

static int echo_start(void *ctx, const drover_task_config *cfg, drover_task **task,
                      drover_handle *handle, drover_err *err)
{
	echo_ctx *c = ctx;
	static const char *const no_env[] = { NULL };
	const char *message, *file;
	const char *argv[8];
	char code[16];
	long long exit_code;
	drover_spawn_request req;
	drover_proc proc;
	struct drover_task *t;
	int r;

	/* state_dir (ABI 1.2) is the last member this driver reads. */
	if (cfg->struct_size < offsetof(drover_task_config, state_dir) + sizeof(cfg->state_dir))
		return drover_err_set(err, -EINVAL, "echo: task config struct_size %u is too small",
		                      cfg->struct_size);
	if (!cfg->task_dir || !cfg->log_dir || !cfg->task_name || !cfg->state_dir)
		return drover_err_set(err, -EINVAL, "task \"%s\": the task name, task directory or log "
		                      "directory is not set", cfg_label(cfg));
	if (cfg->user && cfg->user[0])
		return drover_err_set(err, -ENOTSUP, "task \"%s\": the echo driver does not support "
		                      "User (\"%s\"): remove it from the task", cfg_label(cfg),
		                      cfg->user);
	/* The host validated the config against echo_task_schema; these checks are
	 * what a schema cannot say. */
	message = drover_value_get_string(cfg->config, "message", NULL);
	if (!message)
		return drover_err_set(err, -EINVAL, "task \"%s\": config \"message\" is required",
		                      cfg_label(cfg));
	exit_code = drover_value_get_int(cfg->config, "exit_code", 0);
	if (exit_code < 0 || exit_code > 255)
		return drover_err_set(err, -EINVAL, "task \"%s\": config \"exit_code\" is %lld; an exit "
		                      "code is 0 to 255", cfg_label(cfg), exit_code);
	file = drover_value_get_string(cfg->config, "file", "");
	snprintf(code, sizeof(code), "%lld", exit_code);

	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = ECHO_SCRIPT;
	argv[3] = "echo";  /* $0 */
	argv[4] = message; /* $1 */
	argv[5] = file;    /* $2 */
	argv[6] = code;    /* $3 */
	argv[7] = NULL;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.env = cfg->env ? cfg->env : no_env;
	req.work_dir = cfg->task_dir; /* so that a relative `file` lands in the task directory */
	/* The host's private directory for the task: never one the task can
	 * write, or it could forge the exit status and pids the host acts on. */
	req.state_dir = cfg->state_dir;
	req.log_dir = cfg->log_dir;
	req.log_name = cfg->task_name;
	req.log_max_files = cfg->log_max_files ? cfg->log_max_files : DEFAULT_LOG_MAX_FILES;
	req.log_max_file_size = cfg->log_max_file_size_mb ? cfg->log_max_file_size_mb * 1024ull * 1024
	                                                  : DEFAULT_LOG_MAX_FILE_SIZE;
	req.uid = -1; /* tasks run as the agent's user: User is refused above */
	req.gid = -1;
	req.cgroup = NULL;

	memset(&proc, 0, sizeof(proc));
	proc.struct_size = sizeof(proc);
	r = c->host->proc_spawn(c->host->host_data, &req, &proc, err);
	if (r < 0)
		return r; /* the host's message names what could not be started */

	t = task_new(c, cfg, &proc);
	if (!t)
		r = drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", cfg_label(cfg));
	else
		r = handle_encode(&proc, handle, t->id, err);
	if (r < 0) {
		/* start must leave nothing running when it fails. */
		c->host->proc_stop(c->host->host_data, &proc, SIGKILL, 0, NULL);
		if (t)
			task_free(c, t);
		return r;
	}
	*task = t;
	echo_log(c, DROVER_LOG_DEBUG, "task \"%s\" started: pid %d under drover-shim pid %d",
	         t->id, proc.pid, proc.shim_pid);
	return 0;
}

static int echo_recover(void *ctx, const drover_task_config *cfg, const void *handle, size_t len,
                        drover_task **task, drover_err *err)
{
	echo_ctx *c = ctx;
	drover_proc proc;
	struct drover_task *t;
	int r;

	r = handle_decode(handle, len, &proc, cfg_label(cfg), err);
	if (r < 0) {
		/* recover's contract: a task whose handle is damaged is not left
		 * running. The host finds it again through the shim's pids file in
		 * the task's state directory. */
		drover_proc left;
		drover_err ignored, why = *err;
		if (cfg->struct_size >= offsetof(drover_task_config, state_dir) +
		                            sizeof(cfg->state_dir) &&
		    cfg->state_dir &&
		    c->host->proc_find(c->host->host_data, cfg->state_dir, &left, &ignored) == 0 &&
		    c->host->proc_stop(c->host->host_data, &left, SIGKILL, 0, &ignored) == 0)
			return drover_err_set(err, r, "%.400s; what was left of it (pid %d) was killed",
			                      why.message, left.pid);
		return r;
	}
	/* Whether it still runs or exited meanwhile, the shim's state directory
	 * tells: wait and inspect ask the host, which reads it. */
	t = task_new(c, cfg, &proc);
	if (!t)
		return drover_err_set(err, -ENOMEM, "echo: out of memory");
	*task = t;
	echo_log(c, DROVER_LOG_DEBUG, "task \"%s\" recovered: pid %d", t->id, proc.pid);
	return 0;
}

/* 0 with t->result final, -EAGAIN while the task runs, another error when the
 * status cannot be read. */
static int task_poll(echo_ctx *c, struct drover_task *t, drover_err *err)
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

static int echo_wait_fd(void *ctx, drover_task *task, drover_err *err)
{
	echo_ctx *c = ctx;

	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", task->id);
	return c->host->proc_wait_fd(c->host->host_data, &task->proc, err);
}

static int echo_wait(void *ctx, drover_task *task, int flags, drover_exit_result *res,
                     drover_err *err)
{
	echo_ctx *c = ctx;
	uint32_t size;
	int r;

	while ((r = task_poll(c, task, err)) == -EAGAIN && !(flags & DROVER_WAIT_NOHANG)) {
		struct pollfd pfd;
		int fd = c->host->proc_wait_fd(c->host->host_data, &task->proc, err);

		if (fd == -ESRCH)
			continue; /* exited between the two calls: the status is there now */
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
	/* The host's drover_exit_result may be older (shorter) than ours. */
	size = res->struct_size;
	memcpy(res, &task->result, size < sizeof(task->result) ? size : sizeof(task->result));
	res->struct_size = size;
	return 0;
}

static int echo_stop(void *ctx, drover_task *task, int signo, long long timeout_ms,
                     drover_err *err)
{
	echo_ctx *c = ctx;
	int r;

	if (task->exited)
		return 0;
	r = c->host->proc_stop(c->host->host_data, &task->proc, signo, timeout_ms, err);
	if (r < 0)
		return r;
	r = task_poll(c, task, err);
	if (r == -EAGAIN)
		return drover_err_set(err, -EIO, "task \"%s\" was stopped but drover-shim has not "
		                      "recorded its exit status", task->id);
	return r;
}

static int echo_destroy(void *ctx, drover_task *task, int force, drover_err *err)
{
	echo_ctx *c = ctx;
	int r = task_poll(c, task, err);

	if (r == -EAGAIN) {
		if (!force)
			return drover_err_set(err, -EBUSY, "task \"%s\" (pid %d) is still running: stop "
			                      "it first, or destroy it with force",
			                      task->id, task->proc.pid);
		r = echo_stop(ctx, task, SIGKILL, 0, err);
		if (r < 0)
			return r;
	}
	/* Any other error (an unreadable status file) must not keep the task
	 * around forever: it is freed all the same. */
	task_free(c, task);
	return 0;
}

static int echo_inspect(void *ctx, drover_task *task, drover_task_status *out, drover_err *err)
{
	echo_ctx *c = ctx;
	drover_task_status s;
	int r = task_poll(c, task, err);

	if (r < 0 && r != -EAGAIN)
		return r;
	memset(&s, 0, sizeof(s));
	s.struct_size = out->struct_size;
	s.pid = task->proc.pid;
	s.started_at_ms = task->proc.started_at_ms;
	s.state = task->exited ? DROVER_TASK_EXITED : DROVER_TASK_RUNNING;
	if (task->exited) {
		s.completed_at_ms = task->result.exited_at_ms;
		s.exit_code = task->result.exit_code;
		s.signal = task->result.signal;
		s.oom_killed = task->result.oom_killed;
	}
	/* Why the exit status is incomplete matters more than the shim's pid. */
	if (task->result.error[0])
		snprintf(s.detail, sizeof(s.detail), "%s", task->result.error);
	else
		snprintf(s.detail, sizeof(s.detail), "/bin/sh under drover-shim pid %d",
		         task->proc.shim_pid);
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

static const drover_driver echo_driver = {
	.struct_size = sizeof(drover_driver),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.name = ECHO_NAME,
	.version = ECHO_VERSION,
	.description = "example driver: prints a message, optionally to a file, and exits with a "
	               "chosen code",
	.plugin_schema = NULL, /* no plugin options */
	.task_schema = echo_task_schema,
	.init = echo_init,
	.fini = echo_fini,
	.fingerprint = echo_fingerprint,
	.start = echo_start,
	.recover = echo_recover,
	.wait_fd = echo_wait_fd,
	.wait = echo_wait,
	.stop = echo_stop,
	.destroy = echo_destroy,
	.inspect = echo_inspect,
	/* set_config, capabilities, stats, events, signal, exec and periodic are
	 * optional: left NULL, the host treats them as absent. */
};

DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void)
{
	return &echo_driver;
}
