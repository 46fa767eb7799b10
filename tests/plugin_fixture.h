/* What the driver tests (test_rawexec_driver, test_exec_driver, test_exec_dns,
 * test_docker, test_docker_network) set up alike: the plugin loaded from its
 * .so as the host loads it, a host services table with the real
 * supervised-process services of host/proc.c (the tasks run under a real
 * drover-shim), the task's directories and config, and the removal of the
 * test's directory tree. */
#ifndef DROVER_TEST_PLUGIN_FIXTURE_H
#define DROVER_TEST_PLUGIN_FIXTURE_H

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <drover/driver.h>

#include "proc.h"
#include "test_files.h"
#include "test_wait.h"

/* dlopen's `so` (RTLD_NOW: an unresolved symbol fails here) and returns its
 * descriptor; *handle is for dlclose. */
static inline const drover_driver *plugin_fixture_load(const char *so, void **handle)
{
	drover_driver_entry_fn entry;

	*handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(*handle, "dlopen %s: %s", so, dlerror());
	entry = (drover_driver_entry_fn)dlsym(*handle, DROVER_DRIVER_ENTRY_SYMBOL);
	cr_assert_not_null(entry, "no %s in %s", DROVER_DRIVER_ENTRY_SYMBOL, so);
	return entry();
}

/* plugin_fixture_load, the tasks supervised by the drover-shim at `shim`
 * (not one the environment names). */
static inline const drover_driver *plugin_fixture_load_supervised(const char *so, const char *shim,
                                                                  void **handle)
{
	drover_proc_set_shim_path(shim);
	unsetenv("DROVER_SHIM");
	return plugin_fixture_load(so, handle);
}

/* A host log callback that drops every message. */
static inline void plugin_fixture_quiet_log(void *host_data, drover_log_level level,
                                            const char *message)
{
	(void)host_data;
	(void)level;
	(void)message;
}

/* An agent_config callback for an agent config that sets nothing. */
static inline const drover_value *plugin_fixture_no_agent_config(void *host_data, const char *path)
{
	(void)host_data;
	(void)path;
	return NULL;
}

/* The host services as drover gives them, with the test's own callbacks. */
static inline void plugin_fixture_host(drover_host *host,
                                       void (*log)(void *, drover_log_level, const char *),
                                       const drover_value *(*agent_config)(void *, const char *))
{
	memset(host, 0, sizeof(*host));
	host->struct_size = sizeof(*host);
	host->abi_major = DROVER_ABI_MAJOR;
	host->abi_minor = DROVER_ABI_MINOR;
	host->log = log;
	host->agent_config = agent_config;
	host->proc_spawn = drover_proc_spawn;
	host->proc_wait_fd = drover_proc_wait_fd;
	host->proc_status = drover_proc_status;
	host->proc_signal = drover_proc_signal;
	host->proc_stop = drover_proc_stop;
	host->proc_find = drover_proc_find;
}

/* init, then set_config(config), init asserted; set_config's result, its
 * message in *err. An instance whose set_config failed is gone (*ctx_out
 * NULL). */
static inline int plugin_fixture_configure(const drover_driver *drv, const drover_host *host,
                                           const drover_value *config, void **ctx_out,
                                           drover_err *err)
{
	void *ctx = NULL;
	int r;

	cr_assert_eq(drv->init(host, &ctx, err), 0, "init: %s", err->message);
	r = drv->set_config(ctx, config, err);
	if (r < 0) {
		drv->fini(ctx);
		ctx = NULL;
	}
	*ctx_out = ctx;
	return r;
}

static inline drover_value plugin_fixture_str_value(const char *s)
{
	drover_value v;
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_STRING;
	v.u.string.ptr = s;
	v.u.string.len = strlen(s);
	return v;
}

static inline drover_value plugin_fixture_int_value(long long n)
{
	drover_value v;
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_INT;
	v.u.integer = n;
	return v;
}

static inline drover_value plugin_fixture_bool_value(int b)
{
	drover_value v;
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_BOOL;
	v.u.boolean = b;
	return v;
}

/* mkdir, then chmod: the mode exactly, whatever the umask. */
static inline void plugin_fixture_mkdir_mode(const char *path, mode_t mode)
{
	cr_assert_eq(mkdir(path, mode), 0, "mkdir %s: %s", path, strerror(errno));
	cr_assert_eq(chmod(path, mode), 0);
}

/* A task's `config` block: command, args and up to six more keys. */
typedef struct plugin_fixture_block {
	const char *keys[8];
	drover_value values[8];
	drover_value args[8];
	drover_value list[8]; /* the items of plugin_fixture_block_set_list1's lists */
	drover_value obj;
} plugin_fixture_block;

/* command, and args (NULL-ended; NULL: no "args" key). */
static inline void plugin_fixture_block_init(plugin_fixture_block *b, const char *command,
                                             const char *const *args)
{
	size_t n = 0, nargs = 0;

	memset(b, 0, sizeof(*b));
	b->keys[n] = "command";
	b->values[n++] = plugin_fixture_str_value(command);
	if (args) {
		while (args[nargs]) {
			cr_assert_lt(nargs, 8);
			b->args[nargs] = plugin_fixture_str_value(args[nargs]);
			nargs++;
		}
		b->keys[n] = "args";
		b->values[n].type = DROVER_VALUE_ARRAY;
		b->values[n].u.array.count = nargs;
		b->values[n++].u.array.items = b->args;
	}
	b->obj.type = DROVER_VALUE_OBJECT;
	b->obj.u.object.count = n;
	b->obj.u.object.keys = b->keys;
	b->obj.u.object.values = b->values;
}

/* Adds (or replaces) one more key of the block. */
static inline void plugin_fixture_block_set(plugin_fixture_block *b, const char *key,
                                            drover_value v)
{
	size_t i;

	for (i = 0; i < b->obj.u.object.count; i++)
		if (strcmp(b->keys[i], key) == 0)
			break;
	cr_assert_lt(i, 8);
	b->keys[i] = key;
	b->values[i] = v;
	if (i == b->obj.u.object.count)
		b->obj.u.object.count++;
}

/* Adds (or replaces) `key` as a list of the one string `item`. */
static inline void plugin_fixture_block_set_list1(plugin_fixture_block *b, const char *key,
                                                  const char *item)
{
	drover_value v;
	size_t i = b->obj.u.object.count;

	cr_assert_lt(i, 8);
	b->list[i] = plugin_fixture_str_value(item);
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_ARRAY;
	v.u.array.count = 1;
	v.u.array.items = &b->list[i];
	plugin_fixture_block_set(b, key, v);
}

/* client.chroot_env as the agent config gives it: host path -> path inside. */
typedef struct plugin_fixture_chroot {
	const char *keys[8];
	drover_value values[8];
	drover_value obj;
} plugin_fixture_chroot;

/* Each of `dirs` that exists on this host, at its own path; then host
 * directory `extra` (NULL: none) at `extra_at`. */
static inline void plugin_fixture_chroot_set(plugin_fixture_chroot *c, const char *const *dirs,
                                             const char *extra, const char *extra_at)
{
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; dirs[i]; i++) {
		struct stat st;
		if (lstat(dirs[i], &st) < 0)
			continue;
		c->keys[n] = dirs[i];
		c->values[n++] = plugin_fixture_str_value(dirs[i]);
	}
	if (extra) {
		c->keys[n] = extra;
		c->values[n++] = plugin_fixture_str_value(extra_at);
	}
	c->obj.type = DROVER_VALUE_OBJECT;
	c->obj.u.object.count = n;
	c->obj.u.object.keys = c->keys;
	c->obj.u.object.values = c->values;
}

/* A task's directories, named as host/allocdir.c names them. */
typedef struct plugin_fixture_dirs {
	char root[256];    /* the test's own, removed by teardown */
	char alloc_id[64]; /* unique per test: tests run in parallel and a
	                      task's cgroup is named after it */
	char task_id[80];
	char alloc_dir[300];
	char task_dir[320];
	char state_dir[320]; /* the host's private run dir for the task */
	char log_dir[320];
} plugin_fixture_dirs;

/* Makes the root from `root_template` (mkdtemp's, ending in XXXXXX after a
 * '.') and names the task "web"'s directories under it; makes none of them. */
static inline void plugin_fixture_dirs_name(plugin_fixture_dirs *d, const char *root_template)
{
	snprintf(d->root, sizeof(d->root), "%s", root_template);
	cr_assert_not_null(mkdtemp(d->root));
	snprintf(d->alloc_id, sizeof(d->alloc_id), "alloc-%s", strrchr(d->root, '.') + 1);
	snprintf(d->task_id, sizeof(d->task_id), "%s/web", d->alloc_id);
	snprintf(d->alloc_dir, sizeof(d->alloc_dir), "%s/alloc1", d->root);
	snprintf(d->task_dir, sizeof(d->task_dir), "%s/web", d->alloc_dir);
	snprintf(d->log_dir, sizeof(d->log_dir), "%s/alloc/logs", d->alloc_dir);
	snprintf(d->state_dir, sizeof(d->state_dir), "%s/run-web", d->root);
}

/* The directories as host/allocdir.c lays them out for an exec task (the
 * task directory's own mode is `task_dir_mode`), and the private run dir. */
static inline void plugin_fixture_dirs_make_exec(const plugin_fixture_dirs *d,
                                                 mode_t task_dir_mode)
{
	char path[400];

	chmod(d->root, 0755);
	plugin_fixture_mkdir_mode(d->alloc_dir, 0755);
	snprintf(path, sizeof(path), "%s/alloc", d->alloc_dir);
	plugin_fixture_mkdir_mode(path, 0777);
	plugin_fixture_mkdir_mode(d->log_dir, 0755);
	plugin_fixture_mkdir_mode(d->task_dir, task_dir_mode);
	cr_assert_eq(mkdir(d->state_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/local", d->task_dir);
	plugin_fixture_mkdir_mode(path, 0777);
	snprintf(path, sizeof(path), "%s/secrets", d->task_dir);
	plugin_fixture_mkdir_mode(path, 0777);
	snprintf(path, sizeof(path), "%s/tmp", d->task_dir);
	plugin_fixture_mkdir_mode(path, 01777);
}

/* The config of task "web" of job "job", group "group", in `d`, with the
 * config block `config`: PATH as its only variable, SIGINT then 5 s. */
static inline drover_task_config plugin_fixture_task_config(const plugin_fixture_dirs *d,
                                                            const drover_value *config)
{
	static const char *const default_env[] = { "PATH=/usr/bin:/bin", NULL };
	drover_task_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.struct_size = sizeof(cfg);
	cfg.id = d->task_id;
	cfg.job_id = "job";
	cfg.job_name = "job";
	cfg.group_name = "group";
	cfg.task_name = "web";
	cfg.alloc_id = d->alloc_id;
	cfg.alloc_name = "job.group[0]";
	cfg.alloc_dir = d->alloc_dir;
	cfg.task_dir = d->task_dir;
	cfg.state_dir = d->state_dir;
	cfg.log_dir = d->log_dir;
	cfg.env = default_env;
	cfg.config = config;
	cfg.kill_signal = SIGINT;
	cfg.kill_timeout_ms = 5000;
	cfg.log_max_files = 2;
	cfg.log_max_file_size_mb = 1;
	return cfg;
}

/* A group network of `mode` with this DNS block (NULL: a list not given). */
static inline drover_network plugin_fixture_network(const char *mode, const char *const *servers,
                                                    const char *const *searches,
                                                    const char *const *options)
{
	drover_network n;

	memset(&n, 0, sizeof(n));
	n.struct_size = sizeof(n);
	n.mode = mode;
	n.dns_servers = servers;
	n.dns_searches = searches;
	n.dns_options = options;
	return n;
}

/* start, which must succeed with a task and a handle; the handle goes to
 * *handle or is freed. */
static inline drover_task *plugin_fixture_start(const drover_driver *drv, void *ctx,
                                                const drover_task_config *cfg,
                                                drover_handle *handle)
{
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r = drv->start(ctx, cfg, &task, &h, &err);

	cr_assert_eq(r, 0, "start: %d %s", r, err.message);
	cr_assert_not_null(task);
	cr_assert_not_null(h.data);
	if (handle)
		*handle = h;
	else
		free(h.data);
	return task;
}

/* wait without DROVER_WAIT_NOHANG: blocks until the task exited. */
static inline drover_exit_result plugin_fixture_wait(const drover_driver *drv, void *ctx,
                                                     drover_task *task)
{
	drover_exit_result res;
	drover_err err = { "" };

	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	cr_assert_eq(drv->wait(ctx, task, 0, &res, &err), 0, "wait: %s", err.message);
	return res;
}

/* Waits for the exit through wait_fd + poll, as the host does, with a deadline. */
static inline drover_exit_result plugin_fixture_wait_deadline(const drover_driver *drv, void *ctx,
                                                              drover_task *task,
                                                              long long deadline_ms)
{
	drover_exit_result res;
	drover_err err = { "" };
	long long end = test_wait_now_ms() + deadline_ms;

	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	for (;;) {
		int r = drv->wait(ctx, task, DROVER_WAIT_NOHANG, &res, &err);
		if (r == 0)
			return res;
		cr_assert_eq(r, -EAGAIN, "wait: %d %s", r, err.message);
		int fd = drv->wait_fd(ctx, task, &err);
		if (fd == -ESRCH)
			continue;
		cr_assert_geq(fd, 0, "wait_fd: %s", err.message);
		struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
		long long left = end - test_wait_now_ms();
		cr_assert_gt(left, 0, "the task did not exit within %lld ms", deadline_ms);
		poll(&pfd, 1, (int)left);
		close(fd);
	}
}

/* destroy with force, which must succeed. */
static inline void plugin_fixture_destroy(const drover_driver *drv, void *ctx, drover_task *task)
{
	drover_err err = { "" };
	cr_assert_eq(drv->destroy(ctx, task, 1, &err), 0, "destroy: %s", err.message);
}

/* The whole (small) file, NUL-terminated, malloc'd; NULL when it cannot be
 * opened. */
static inline char *plugin_fixture_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	cr_assert_not_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* exec `argv` in the task for timeout_ms at most, its stdout and stderr
 * into the file `path` (made or emptied); exec's result, the exit code in
 * *code, the message in *err. */
static inline int plugin_fixture_exec_to(const drover_driver *drv, void *ctx, drover_task *task,
                                         const char *const *argv, const char *path,
                                         long long timeout_ms, int *code, drover_err *err)
{
	drover_exec_request req;
	int fd, r;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.stdin_fd = -1;
	req.stdout_fd = fd;
	req.stderr_fd = fd;
	req.timeout_ms = timeout_ms;
	r = drv->exec(ctx, task, &req, code, err);
	close(fd);
	return r;
}

/* exec `argv` in the task (20 s at most), which must succeed, its stdout and
 * stderr into <dir>/exec-out; what it wrote (malloc'd), its exit code in
 * *code. */
static inline char *plugin_fixture_exec_capture(const drover_driver *drv, void *ctx,
                                                drover_task *task, const char *dir,
                                                const char *const *argv, int *code)
{
	drover_err err = { "" };
	char path[400];
	int r;

	snprintf(path, sizeof(path), "%s/exec-out", dir);
	r = plugin_fixture_exec_to(drv, ctx, task, argv, path, 20000, code, &err);
	cr_assert_eq(r, 0, "exec: %s", err.message);
	return plugin_fixture_read_file(path);
}

#endif
