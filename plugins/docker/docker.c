/* docker: runs each task as a container of the Docker daemon, through the
 * Engine API. The daemon owns the container, so there is no drover-shim: the
 * handle is the container id, and one event stream per plugin instance tells
 * the host when containers die. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <drover/driver.h>

#include "docker_container.h"
#include "docker_exec.h"
#include "docker_fingerprint.h"
#include "docker_gc.h"
#include "docker_handle.h"
#include "docker_http.h"
#include "docker_image.h"
#include "docker_json.h"
#include "docker_logger_run.h"
#include "docker_monitor.h"
#include "docker_network.h"
#include "docker_schema.h"
#include "docker_settings.h"
#include "docker_state.h"

/* After SIGKILL, how long the daemon may take to report the death. */
#define KILL_GRACE_MS 30000
/* After the container stopped, how long its log follower may take to copy the
 * last lines before the exit is reported anyway. */
#define LOG_DRAIN_MS 5000
/* How long a log follower that outlived its container gets on destroy. */
#define LOGGER_STOP_MS 2000

struct drover_task {
	char *name;
	char container_id[DOCKER_ID_MAX + 1];
	long long started_at_ms;
	int efd;                  /* readable when the container may have died */
	int has_logger;           /* `logger` copies the container's output to alloc/logs */
	drover_proc logger;
	char *image_id;           /* counted in the image GC while the task lives */
	int exited;
	drover_exit_result result;
	/* The job named no KillSignal: a stop with `default_signal` (the host's
	 * default) becomes Docker's own stop, which sends the image's STOPSIGNAL
	 * (SIGTERM when it sets none), as Nomad's driver does. */
	int image_stop_signal;
	int default_signal;
	struct drover_task *prev, *next;
};

typedef struct docker_ctx {
	const drover_host *host;
	docker_settings s;
	int configured;
	docker_client client;
	docker_monitor monitor;
	pthread_mutex_t monitor_lock; /* starting the monitor: start and recover may race */
	pthread_mutex_t lock; /* protects `tasks` */
	struct drover_task *tasks;
	docker_gc gc;
} docker_ctx;

static void dlog(docker_ctx *c, drover_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dlog(docker_ctx *c, drover_log_level level, const char *fmt, ...)
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

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prefixes err with "task "<name>": " while keeping its message. */
static int task_error(drover_err *err, int code, const char *task)
{
	char inner[DROVER_ERR_MESSAGE_MAX];
	if (!err)
		return code;
	if (strncmp(err->message, "task \"", 6) == 0)
		return code;
	memcpy(inner, err->message, sizeof(inner));
	return drover_err_set(err, code, "task \"%s\": %s", task, inner);
}

static void wake(struct drover_task *t)
{
	uint64_t one = 1;
	if (write(t->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so it is readable already. */
	}
}

static void on_die(void *ud, const char *id)
{
	docker_ctx *c = ud;
	pthread_mutex_lock(&c->lock);
	for (struct drover_task *t = c->tasks; t; t = t->next)
		if (strcmp(t->container_id, id) == 0)
			wake(t);
	pthread_mutex_unlock(&c->lock);
}

/* A broken stream may have hidden deaths: every waiter re-checks. */
static void on_reconnect(void *ud)
{
	docker_ctx *c = ud;
	pthread_mutex_lock(&c->lock);
	for (struct drover_task *t = c->tasks; t; t = t->next)
		wake(t);
	pthread_mutex_unlock(&c->lock);
}

static int docker_init(const drover_host *host, void **ctx, drover_err *err)
{
	docker_ctx *c;

	if (!host || host->struct_size < offsetof(drover_host, log) + sizeof(host->log))
		return drover_err_set(err, -ENOTSUP, "docker: the host services table is too small");
	/* libcurl is loaded by the first Engine API request (docker_curl.h), not
	 * here: a host that never asks the daemon never pays for it. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	c->host = host;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->monitor_lock, NULL);
	docker_gc_init(&c->gc);
	*ctx = c;
	return 0;
}

static void task_free(struct drover_task *t)
{
	if (t->efd >= 0)
		close(t->efd);
	free(t->name);
	free(t->image_id);
	free(t);
}

static void docker_fini(void *ctx)
{
	docker_ctx *c = ctx;

	/* The containers keep running: the daemon owns them. */
	docker_monitor_stop(&c->monitor);
	while (c->tasks) {
		struct drover_task *t = c->tasks;
		c->tasks = t->next;
		task_free(t);
	}
	if (c->configured) {
		docker_client_free(&c->client);
		docker_settings_free(&c->s);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->monitor_lock);
	docker_gc_free(&c->gc);
	free(c);
}

static int docker_set_config(void *ctx, const drover_value *config, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if (c->configured)
		return drover_err_set(err, -EALREADY, "docker: set_config was already called");
	if ((r = docker_settings_load(&c->s, config, err)) < 0)
		return r;
	if ((r = docker_client_init(&c->client, c->s.endpoint, c->s.tls_ca, c->s.tls_cert,
	                            c->s.tls_key, err)) < 0) {
		docker_settings_free(&c->s);
		return r;
	}
	c->configured = 1;
	return 0;
}

/* The event thread starts with the first task: `drover plugins`, `validate`
 * and runs without a docker task never open an event stream, nor carry an
 * idle thread. */
static int need_monitor(docker_ctx *c, drover_err *err)
{
	int r = 0;
	pthread_mutex_lock(&c->monitor_lock);
	if (!c->monitor.running)
		r = docker_monitor_start(&c->monitor, &c->client, on_die, on_reconnect, c, err);
	pthread_mutex_unlock(&c->monitor_lock);
	return r;
}

static int need_config(docker_ctx *c, drover_err *err)
{
	if (!c->configured)
		return drover_err_set(err, -EINVAL, "docker: the plugin options were never set "
		                      "(set_config not called)");
	return 0;
}

static int docker_capabilities(void *ctx, drover_capabilities *out)
{
	(void)ctx;
	if (out->struct_size < offsetof(drover_capabilities, network_modes) +
	                           sizeof(out->network_modes))
		return -EINVAL;
	out->send_signals = 1;
	out->exec = 1;
	out->fs_isolation = DROVER_FS_ISOLATION_IMAGE;
	/* GROUP: tasks join the allocation's namespace, which only a container
	 * can hold for docker (the pause container of create_network). TASK: a
	 * task's own network_mode in a group without a network block. */
	out->network_modes = DROVER_NET_MODE_HOST | DROVER_NET_MODE_GROUP | DROVER_NET_MODE_TASK |
	                     DROVER_NET_MODE_NONE;
	if (out->struct_size >= offsetof(drover_capabilities, must_initiate_network) +
	                            sizeof(out->must_initiate_network))
		out->must_initiate_network = 1;
	return 0;
}

static int docker_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if ((r = need_config(c, err)) < 0)
		return r;
	return docker_fingerprint_run(&c->client, &c->s, out, err);
}

static void task_track(docker_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	t->next = c->tasks;
	if (c->tasks)
		c->tasks->prev = t;
	c->tasks = t;
	pthread_mutex_unlock(&c->lock);
}

static void task_untrack(docker_ctx *c, struct drover_task *t)
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

static struct drover_task *task_new(const drover_task_config *cfg, const char *id,
                                    long long started)
{
	struct drover_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->name = strdup(cfg && cfg->id ? cfg->id : (cfg && cfg->task_name ? cfg->task_name : "?"));
	if (t->efd < 0 || !t->name) {
		task_free(t);
		return NULL;
	}
	snprintf(t->container_id, sizeof(t->container_id), "%s", id);
	t->started_at_ms = started;
	if (cfg && cfg->struct_size >= offsetof(drover_task_config, kill_signal_set) +
	                                   sizeof(cfg->kill_signal_set)) {
		t->image_stop_signal = !cfg->kill_signal_set;
		t->default_signal = cfg->kill_signal;
	}
	return t;
}

/* A simple call whose answer only matters through its status. */
static int call(docker_ctx *c, const char *method, const char *path, const char *body,
                long long timeout_ms, long *status, drover_err *err)
{
	docker_request req;
	docker_response resp;
	int r;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.upload_fd = -1;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = body ? "application/json" : NULL;
	req.timeout_ms = timeout_ms;
	r = docker_http_do(&c->client, &req, &resp, err);
	if (status)
		*status = resp.status;
	docker_response_free(&resp);
	return r;
}


/* POST /containers/create; a dead container left with the same name (an
 * earlier run of the same allocation) is removed first, as Nomad does. */
static int create_container(docker_ctx *c, const docker_create_spec *spec, char *id_out,
                            drover_err *err)
{
	char path[300];
	docker_request req;
	docker_response resp;
	yajl_val v = NULL;
	int r, attempt;

	snprintf(path, sizeof(path), "/containers/create?name=%s", spec->name);
	for (attempt = 0; attempt < 2; attempt++) {
		memset(&req, 0, sizeof(req));
		req.method = "POST";
		req.path = path;
		req.upload_fd = -1;
		req.body = spec->body;
		req.body_len = spec->body_len;
		req.content_type = "application/json";
		r = docker_http_do(&c->client, &req, &resp, err);
		if (r == -EEXIST && resp.status == 409 && attempt == 0) {
			docker_state st;
			char npath[300];
			drover_err probe;
			docker_response_free(&resp);
			snprintf(npath, sizeof(npath), "%s", spec->name);
			if (docker_state_read(&c->client, npath, &st, &probe) == 0 && st.exists &&
			    st.running && strcmp(st.status, "created") != 0)
				return drover_err_set(err, -EEXIST,
				                      "a running container named \"%s\" already exists",
				                      spec->name);
			if ((r = docker_container_remove(&c->client, spec->name, err)) < 0)
				return r;
			continue;
		}
		break;
	}
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the answer to container create", &v, err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	const char *id = docker_json_str(v, "Id", NULL);
	if (!id || strlen(id) != DOCKER_ID_MAX) {
		yajl_tree_free(v);
		return drover_err_set(err, -EPROTO, "docker: container create answered no valid Id");
	}
	memcpy(id_out, id, DOCKER_ID_MAX + 1);
	yajl_tree_free(v);
	return 0;
}

/* The task holds its image (taking `image_id`) against image GC. */
static void track_image(docker_ctx *c, struct drover_task *t, char *image_id)
{
	if (image_id && docker_gc_image_acquire(&c->gc, image_id) == 0)
		t->image_id = image_id;
	else
		free(image_id);
}

static const char *task_label(const drover_task_config *cfg)
{
	return cfg->task_name ? cfg->task_name : (cfg->id ? cfg->id : "?");
}

static int docker_start(void *ctx, const drover_task_config *cfg, drover_task **task,
                        drover_handle *handle, drover_err *err)
{
	docker_ctx *c = ctx;
	docker_create_spec spec;
	docker_handle_data h;
	struct drover_task *t;
	char *image_id = NULL, path[128];
	int r;

	if ((r = need_config(c, err)) < 0 || (r = need_monitor(c, err)) < 0)
		return r;
	if (cfg->struct_size < offsetof(drover_task_config, log_max_file_size_mb) +
	                           sizeof(cfg->log_max_file_size_mb))
		return drover_err_set(err, -EINVAL, "docker: task config struct_size %u is too small",
		                      cfg->struct_size);
	if ((r = docker_container_build(&c->s, cfg, &spec, err)) < 0)
		return r;
	if ((r = docker_image_ensure(&c->client, &c->s, cfg, &image_id, err)) < 0) {
		docker_create_spec_free(&spec);
		return task_error(err, r, task_label(cfg));
	}
	if ((r = docker_network_check_joinable(&c->client, cfg, err)) < 0) {
		docker_create_spec_free(&spec);
		free(image_id);
		return task_error(err, r, task_label(cfg));
	}
	/* Built again once the image is there: a pull can take minutes, and the
	 * bind sources are to be resolved right before dockerd looks them up
	 * (the first build refused bad input before any pull). */
	docker_create_spec_free(&spec);
	if ((r = docker_container_build(&c->s, cfg, &spec, err)) < 0) {
		free(image_id);
		return r;
	}
	memset(&h, 0, sizeof(h));
	r = create_container(c, &spec, h.container_id, err);
	docker_create_spec_free(&spec);
	if (r < 0) {
		free(image_id);
		return task_error(err, r, task_label(cfg));
	}
	snprintf(path, sizeof(path), "/containers/%s/start", h.container_id);
	if ((r = call(c, "POST", path, NULL, 0, NULL, err)) < 0) {
		/* Nothing may be left behind when start fails. */
		docker_container_remove(&c->client, h.container_id, NULL);
		free(image_id);
		return task_error(err, r, task_label(cfg));
	}
	h.started_at_ms = now_ms();
	if (c->s.disable_log_collection) {
		/* The operator reads them with docker logs. */
	} else if (!docker_logger_available(c->host)) {
		dlog(c, DROVER_LOG_WARN, "task \"%s\": this host offers no proc_spawn service: the "
		     "container's logs stay with Docker, ignoring",
		     task_label(cfg));
	} else if ((r = docker_logger_spawn(c->host, &c->client, cfg, h.container_id, &h.logger,
	                                    err)) < 0) {
		docker_container_remove(&c->client, h.container_id, NULL);
		free(image_id);
		return task_error(err, r, task_label(cfg));
	} else {
		h.has_logger = 1;
	}
	t = task_new(cfg, h.container_id, h.started_at_ms);
	if (!t || docker_handle_encode(&h, &handle->data, &handle->len) < 0) {
		docker_container_remove(&c->client, h.container_id, NULL);
		if (h.has_logger)
			docker_logger_stop(c->host, &h.logger, 0, NULL);
		if (t)
			task_free(t);
		free(image_id);
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	}
	t->has_logger = h.has_logger;
	t->logger = h.logger;
	track_image(c, t, image_id);
	task_track(c, t);
	*task = t;
	dlog(c, DROVER_LOG_DEBUG, "task \"%s\" started: container %.12s", t->name, h.container_id);
	return 0;
}

/* recover without a handle (driver.h): the host lost it, or died while start
 * ran. The container start would have made carries the task's deterministic
 * name: it is removed, so that the task never runs twice or unwatched. */
static int remove_unrecorded(docker_ctx *c, const drover_task_config *cfg, drover_err *err)
{
	char *name = docker_container_name(cfg);
	docker_state st;
	drover_err ignored = {{0}};
	int r;

	if (!name)
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	memset(&st, 0, sizeof(st));
	r = docker_state_read(&c->client, name, &st, &ignored);
	if (r == 0 && st.exists && docker_container_remove(&c->client, name, &ignored) == 0)
		r = drover_err_set(err, -ENOENT, "task \"%s\": no driver handle; what was left of it "
		                   "was removed (container \"%s\")",
		                   task_label(cfg), name);
	else if (r == 0 && st.exists)
		r = drover_err_set(err, -EIO, "task \"%s\": no driver handle, and container \"%s\" "
		                   "could not be removed: %s",
		                   task_label(cfg), name, ignored.message);
	else
		r = drover_err_set(err, -ENOENT, "task \"%s\": no driver handle; nothing of it was "
		                   "left running (no container \"%s\")",
		                   task_label(cfg), name);
	free(name);
	return r;
}

static int docker_recover(void *ctx, const drover_task_config *cfg, const void *handle,
                          size_t len, drover_task **task, drover_err *err)
{
	docker_ctx *c = ctx;
	docker_handle_data h;
	docker_state st;
	struct drover_task *t;
	int r;

	if ((r = need_config(c, err)) < 0 || (r = need_monitor(c, err)) < 0)
		return r;
	if ((!handle || len == 0) && cfg)
		return remove_unrecorded(c, cfg, err);
	if ((r = docker_handle_decode(handle, len, &h, err)) < 0)
		return task_error(err, r, cfg ? task_label(cfg) : "?");
	if ((r = docker_state_read(&c->client, h.container_id, &st, err)) < 0)
		return task_error(err, r, cfg ? task_label(cfg) : "?");
	if (!st.exists)
		return drover_err_set(err, -ENOENT,
		                      "task \"%s\": container %.12s no longer exists: it cannot be "
		                      "recovered",
		                      cfg ? task_label(cfg) : "?", h.container_id);
	t = task_new(cfg, h.container_id, h.started_at_ms);
	if (!t)
		return drover_err_set(err, -ENOMEM, "docker: out of memory");
	track_image(c, t, st.image[0] ? strdup(st.image) : NULL);
	/* The follower ran on under its shim while no host watched. */
	t->has_logger = h.has_logger && docker_logger_available(c->host);
	t->logger = h.logger;
	task_track(c, t);
	/* It may have died while no one watched: let the first wait look. */
	wake(t);
	*task = t;
	return 0;
}

/* 0 with t->result final, -EAGAIN while the container runs. */
static int task_poll(docker_ctx *c, struct drover_task *t, drover_err *err)
{
	docker_state st;
	uint64_t n;
	int r;

	if (t->exited)
		return 0;
	/* Drain first: a death after this read wakes the descriptor again. */
	if (read(t->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing pending; the inspection below decides anyway. */
	}
	if ((r = docker_state_read(&c->client, t->container_id, &st, err)) < 0) {
		/* The daemon is away: the container's fate is unknown, not final. */
		if (r == -ECONNREFUSED || r == -ENOENT || r == -ETIMEDOUT || r == -EIO)
			return -EAGAIN;
		return r;
	}
	if (st.exists && st.running)
		return -EAGAIN;
	memset(&t->result, 0, sizeof(t->result));
	t->result.struct_size = sizeof(t->result);
	if (!st.exists) {
		t->result.exit_code = -1;
		t->result.exited_at_ms = now_ms();
		snprintf(t->result.error, sizeof(t->result.error),
		         "container %.12s was removed outside drover: its exit status is lost",
		         t->container_id);
	} else {
		t->result.exit_code = st.exit_code;
		t->result.oom_killed = st.oom_killed;
		t->result.exited_at_ms = st.finished_at_ms;
		if (st.error[0])
			snprintf(t->result.error, sizeof(t->result.error), "%s", st.error);
	}
	/* Whoever reads the logs after the exit must find the last lines there. */
	if (t->has_logger && docker_logger_drain(c->host, &t->logger, LOG_DRAIN_MS) < 0)
		dlog(c, DROVER_LOG_WARN, "task \"%s\": the log follower is still copying %d ms after "
		     "the container stopped, ignoring",
		     t->name, LOG_DRAIN_MS);
	t->exited = 1;
	wake(t); /* stays readable: anyone polling it learns the news */
	return 0;
}

static int docker_wait_fd(void *ctx, drover_task *task, drover_err *err)
{
	int fd;
	(void)ctx;
	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", task->name);
	fd = fcntl(task->efd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return drover_err_set(err, -errno, "task \"%s\": dup: %s", task->name, strerror(errno));
	return fd;
}

static void copy_result(drover_exit_result *dst, const drover_exit_result *src)
{
	uint32_t size = dst->struct_size;
	memcpy(dst, src, size < sizeof(*src) ? size : sizeof(*src));
	dst->struct_size = size;
}

static int docker_wait(void *ctx, drover_task *task, int flags, drover_exit_result *res,
                       drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	for (;;) {
		struct pollfd pfd = { .fd = task->efd, .events = POLLIN, .revents = 0 };
		r = task_poll(c, task, err);
		if (r != -EAGAIN || (flags & DROVER_WAIT_NOHANG))
			break;
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
	}
	if (r < 0)
		return r;
	copy_result(res, &task->result);
	return 0;
}

static int kill_container(docker_ctx *c, struct drover_task *t, int signo, drover_err *err)
{
	char path[160];
	long status = 0;
	int r;

	snprintf(path, sizeof(path), "/containers/%s/kill?signal=%d", t->container_id, signo);
	r = call(c, "POST", path, NULL, 0, &status, err);
	/* 409: not running any more, which is what a kill wants. */
	if (r == -EEXIST && status == 409)
		return 0;
	return r;
}

/* Blocks until the container stops or timeout_ms passes (-ETIMEDOUT). */
static int wait_not_running(docker_ctx *c, struct drover_task *t, long long timeout_ms,
                            drover_err *err)
{
	char path[160];
	long status = 0;
	int r;

	if (timeout_ms <= 0)
		return -ETIMEDOUT;
	snprintf(path, sizeof(path), "/containers/%s/wait?condition=not-running", t->container_id);
	r = call(c, "POST", path, NULL, timeout_ms, &status, err);
	if (r == -ENOENT && status == 404)
		return 0;
	return r;
}

/* POST /containers/<id>/stop: Docker sends the container's stop signal (the
 * image's STOPSIGNAL, else SIGTERM), then SIGKILL after `timeout_ms`, rounded
 * up to Docker's whole seconds. */
static int stop_container(docker_ctx *c, struct drover_task *t, long long timeout_ms,
                          drover_err *err)
{
	char path[160];
	long long secs = timeout_ms > 0 ? (timeout_ms + 999) / 1000 : 0;
	long status = 0;
	int r;

	snprintf(path, sizeof(path), "/containers/%s/stop?t=%lld", t->container_id, secs);
	r = call(c, "POST", path, NULL, secs * 1000 + KILL_GRACE_MS, &status, err);
	/* 404: removed behind our back; the poll below reports it. */
	if (r == -ENOENT && status == 404)
		return 0;
	return r;
}

static int docker_stop(void *ctx, drover_task *task, int signo, long long timeout_ms,
                       drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if (task_poll(c, task, NULL) == 0)
		return 0;
	if (signo <= 0)
		signo = SIGTERM;
	if (task->image_stop_signal && signo == task->default_signal) {
		if ((r = stop_container(c, task, timeout_ms, err)) < 0)
			return task_error(err, r, task->name);
	} else {
		if ((r = kill_container(c, task, signo, err)) < 0)
			return task_error(err, r, task->name);
		if (signo != SIGKILL && wait_not_running(c, task, timeout_ms, NULL) < 0) {
			dlog(c, DROVER_LOG_INFO, "task \"%s\": still running %lld ms after signal %d, "
			     "stopping it",
			     task->name, timeout_ms, signo);
			/* The rest of Docker's own sequence, at once: the stop signal,
			 * then SIGKILL (Nomad's driver ends the same way). */
			if ((r = stop_container(c, task, 0, err)) < 0)
				return task_error(err, r, task->name);
		}
	}
	if ((r = wait_not_running(c, task, KILL_GRACE_MS, err)) < 0)
		return task_error(err, r, task->name);
	r = task_poll(c, task, err);
	if (r == -EAGAIN)
		return drover_err_set(err, -EIO, "task \"%s\": container %.12s was stopped but the "
		                      "daemon still reports it running",
		                      task->name, task->container_id);
	return r;
}

static int docker_destroy(void *ctx, drover_task *task, int force, drover_err *err)
{
	docker_ctx *c = ctx;
	drover_err probe;
	int r = task_poll(c, task, &probe);

	if (r == -EAGAIN) {
		if (!force)
			return drover_err_set(err, -EBUSY,
			                      "task \"%s\" (container %.12s) is still running: stop it "
			                      "first, or destroy it with force",
			                      task->name, task->container_id);
		if ((r = docker_stop(ctx, task, SIGKILL, 0, err)) < 0)
			return r;
	}
	/* Removing the container ends the stream the follower reads: stop it first
	 * only if it somehow outlived the container. */
	if (task->has_logger &&
	    (r = docker_logger_stop(c->host, &task->logger, LOGGER_STOP_MS, err)) < 0)
		return task_error(err, r, task->name);
	if (c->s.gc_container &&
	    (r = docker_container_remove(&c->client, task->container_id, err)) < 0)
		return task_error(err, r, task->name);
	task_untrack(c, task);
	if (task->image_id)
		docker_gc_image_release(&c->gc, task->image_id, mono_ms());
	task_free(task);
	return 0;
}

static int owned_container(void *ud, const char *container_id)
{
	docker_ctx *c = ud;
	int found = 0;

	pthread_mutex_lock(&c->lock);
	for (struct drover_task *t = c->tasks; t && !found; t = t->next)
		found = strcmp(t->container_id, container_id) == 0;
	pthread_mutex_unlock(&c->lock);
	return found;
}

static void gc_log(void *ud, drover_log_level level, const char *message)
{
	dlog(ud, level, "%s", message);
}

static int docker_periodic(void *ctx, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if ((r = need_config(c, err)) < 0)
		return r;
	return docker_gc_run(&c->gc, &c->client, &c->s, mono_ms(), (long long)time(NULL),
	                     owned_container, gc_log, c, err);
}

static int docker_inspect(void *ctx, drover_task *task, drover_task_status *out,
                          drover_err *err)
{
	docker_ctx *c = ctx;
	drover_task_status s;
	docker_state st;
	int r = task_poll(c, task, err);

	if (r < 0 && r != -EAGAIN)
		return r;
	memset(&s, 0, sizeof(s));
	s.struct_size = out->struct_size;
	s.started_at_ms = task->started_at_ms;
	if (task->exited) {
		s.state = DROVER_TASK_EXITED;
		s.completed_at_ms = task->result.exited_at_ms;
		s.exit_code = task->result.exit_code;
		s.signal = task->result.signal;
		s.oom_killed = task->result.oom_killed;
	} else {
		s.state = DROVER_TASK_RUNNING;
		if (docker_state_read(&c->client, task->container_id, &st, NULL) == 0)
			s.pid = st.pid;
	}
	snprintf(s.detail, sizeof(s.detail), "container %s", task->container_id);
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

static int docker_stats(void *ctx, drover_task *task, drover_task_stats *out, drover_err *err)
{
	docker_ctx *c = ctx;
	docker_request req;
	docker_response resp;
	drover_task_stats s;
	yajl_val v = NULL;
	char path[160];
	long long n;
	int r;

	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has exited: no statistics", task->name);
	snprintf(path, sizeof(path), "/containers/%s/stats?stream=false", task->container_id);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(&c->client, &req, &resp, err);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the container statistics", &v, err);
	docker_response_free(&resp);
	if (r < 0)
		return task_error(err, r, task->name);
	memset(&s, 0, sizeof(s));
	s.struct_size = out->struct_size;
	s.timestamp_ms = now_ms();
	if (docker_json_int(&n, v, "cpu_stats", "cpu_usage", "usage_in_usermode", NULL) == 0)
		s.cpu_user_ns = (unsigned long long)n;
	if (docker_json_int(&n, v, "cpu_stats", "cpu_usage", "usage_in_kernelmode", NULL) == 0)
		s.cpu_system_ns = (unsigned long long)n;
	if (docker_json_int(&n, v, "memory_stats", "usage", NULL) == 0)
		s.memory_usage_bytes = (unsigned long long)n;
	if (docker_json_int(&n, v, "memory_stats", "max_usage", NULL) == 0)
		s.memory_max_usage_bytes = (unsigned long long)n;
	if (docker_json_int(&n, v, "memory_stats", "stats", "rss", NULL) == 0 ||
	    docker_json_int(&n, v, "memory_stats", "stats", "anon", NULL) == 0)
		s.memory_rss_bytes = (unsigned long long)n;
	if (docker_json_int(&n, v, "pids_stats", "current", NULL) == 0)
		s.pids = (unsigned long long)n;
	yajl_tree_free(v);
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

static int docker_signal(void *ctx, drover_task *task, int signo, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", task->name);
	if (signo <= 0 || signo >= 65)
		return drover_err_set(err, -EINVAL, "task \"%s\": %d is not a signal", task->name,
		                      signo);
	if ((r = kill_container(c, task, signo, err)) < 0)
		return task_error(err, r, task->name);
	return 0;
}

static int docker_exec(void *ctx, drover_task *task, const drover_exec_request *req,
                       int *exit_code, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", task->name);
	if (!req || req->struct_size < offsetof(drover_exec_request, tty) + sizeof(req->tty))
		return drover_err_set(err, -EINVAL, "task \"%s\": exec request too small", task->name);
	if ((r = docker_exec_run(&c->client, task->container_id, req, exit_code, err)) < 0)
		return task_error(err, r, task->name);
	return 0;
}

static int docker_create_network(void *ctx, const drover_network_request *req,
                                 drover_network_created *out, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if ((r = need_config(c, err)) < 0)
		return r;
	if ((r = docker_network_create(&c->client, &c->s, req, out, err)) < 0)
		return r;
	dlog(c, DROVER_LOG_DEBUG, "allocation \"%s\": network held by pause container, %s",
	     req->alloc_id, out->netns_path);
	return 0;
}

static int docker_destroy_network(void *ctx, const drover_network_request *req,
                                  const void *handle, size_t len, drover_err *err)
{
	docker_ctx *c = ctx;
	int r;

	if ((r = need_config(c, err)) < 0)
		return r;
	return docker_network_destroy(&c->client, req, handle, len, err);
}

static const drover_driver docker_driver = {
	.struct_size = sizeof(drover_driver),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.name = "docker",
	.version = PACKAGE_VERSION,
	.description = "runs tasks as Docker containers through the Docker Engine API",
	.plugin_schema = docker_plugin_schema,
	.task_schema = docker_task_schema,
	.init = docker_init,
	.fini = docker_fini,
	.set_config = docker_set_config,
	.capabilities = docker_capabilities,
	.fingerprint = docker_fingerprint,
	.start = docker_start,
	.recover = docker_recover,
	.wait_fd = docker_wait_fd,
	.wait = docker_wait,
	.stop = docker_stop,
	.destroy = docker_destroy,
	.inspect = docker_inspect,
	.stats = docker_stats,
	.events = NULL,
	.signal = docker_signal,
	.exec = docker_exec,
	.periodic = docker_periodic,
	.create_network = docker_create_network,
	.destroy_network = docker_destroy_network,
};

DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void)
{
	return &docker_driver;
}
