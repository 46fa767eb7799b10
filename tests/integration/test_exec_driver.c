/* The exec plugin through its descriptor: the built .so loaded with dlopen,
 * a host services table made of host/proc.c, real namespaces, mounts and
 * cgroups. exec_probe (bound into the task's root at /probe) makes the
 * system calls whose outcome the tests assert. Needs root and cgroups. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <drover/driver.h>

#include "proc.h"
#include "test_support.h"
#include "test_wait.h"

static struct {
	char root[256];
	char alloc_id[64];
	char task_id[80];
	char alloc_dir[300];
	char task_dir[320];
	char state_dir[320]; /* the host's private run dir for the task */
	char log_dir[320];
	char secret[300];
	void *so;
	const drover_driver *drv;
	drover_host host;
	/* client.chroot_env */
	const char *chroot_keys[8];
	drover_value chroot_values[8];
	drover_value chroot;
	int no_chroot_env;
} fx;

static void test_log(void *host_data, drover_log_level level, const char *message)
{
	(void)host_data;
	(void)level;
	(void)message;
}

static drover_value str_value(const char *s)
{
	drover_value v;
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_STRING;
	v.u.string.ptr = s;
	v.u.string.len = strlen(s);
	return v;
}

static const drover_value *test_agent_config(void *host_data, const char *path)
{
	(void)host_data;
	if (strcmp(path, "client.chroot_env") == 0 && !fx.no_chroot_env)
		return &fx.chroot;
	return NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void mkdir_mode(const char *path, mode_t mode)
{
	cr_assert_eq(mkdir(path, mode), 0, "mkdir %s: %s", path, strerror(errno));
	cr_assert_eq(chmod(path, mode), 0);
}

static void setup(void)
{
	static const char *const host_dirs[] = { "/bin", "/etc", "/lib", "/lib64", "/usr", NULL };
	drover_driver_entry_fn entry;
	char path[400];
	size_t n = 0, i;
	int fd;

	snprintf(fx.root, sizeof(fx.root), "/tmp/drover-test-exec.XXXXXX");
	cr_assert_not_null(mkdtemp(fx.root));
	chmod(fx.root, 0755);
	snprintf(fx.alloc_id, sizeof(fx.alloc_id), "alloc-%s", strrchr(fx.root, '.') + 1);
	snprintf(fx.task_id, sizeof(fx.task_id), "%s/web", fx.alloc_id);
	snprintf(fx.alloc_dir, sizeof(fx.alloc_dir), "%s/alloc1", fx.root);
	snprintf(fx.task_dir, sizeof(fx.task_dir), "%s/web", fx.alloc_dir);
	snprintf(fx.log_dir, sizeof(fx.log_dir), "%s/alloc/logs", fx.alloc_dir);
	/* As host/allocdir.c lays it out. */
	mkdir_mode(fx.alloc_dir, 0755);
	snprintf(path, sizeof(path), "%s/alloc", fx.alloc_dir);
	mkdir_mode(path, 0777);
	mkdir_mode(fx.log_dir, 0755);
	mkdir_mode(fx.task_dir, 0755);
	snprintf(fx.state_dir, sizeof(fx.state_dir), "%s/run-web", fx.root);
	cr_assert_eq(mkdir(fx.state_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/local", fx.task_dir);
	mkdir_mode(path, 0777);
	snprintf(path, sizeof(path), "%s/secrets", fx.task_dir);
	mkdir_mode(path, 0777);
	snprintf(path, sizeof(path), "%s/tmp", fx.task_dir);
	mkdir_mode(path, 01777);
	/* A host file outside chroot_env, readable by anyone on the host. */
	snprintf(fx.secret, sizeof(fx.secret), "%s/host-secret", fx.root);
	fd = open(fx.secret, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret\n", 7), 7);
	close(fd);

	memset(fx.chroot_values, 0, sizeof(fx.chroot_values));
	for (i = 0; host_dirs[i]; i++) {
		struct stat st;
		if (lstat(host_dirs[i], &st) < 0)
			continue;
		fx.chroot_keys[n] = host_dirs[i];
		fx.chroot_values[n++] = str_value(host_dirs[i]);
	}
	fx.chroot_keys[n] = EXEC_PROBE_DIR;
	fx.chroot_values[n++] = str_value("/probe");
	memset(&fx.chroot, 0, sizeof(fx.chroot));
	fx.chroot.type = DROVER_VALUE_OBJECT;
	fx.chroot.u.object.count = n;
	fx.chroot.u.object.keys = fx.chroot_keys;
	fx.chroot.u.object.values = fx.chroot_values;
	fx.no_chroot_env = 0;

	drover_proc_set_shim_path(DROVER_TEST_SHIM);
	unsetenv("DROVER_SHIM");
	setenv("DROVER_EXEC_INIT", DROVER_TEST_EXEC_INIT, 1);
	fx.so = dlopen(EXEC_SO, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(fx.so, "dlopen %s: %s", EXEC_SO, dlerror());
	entry = (drover_driver_entry_fn)dlsym(fx.so, DROVER_DRIVER_ENTRY_SYMBOL);
	cr_assert_not_null(entry);
	fx.drv = entry();

	memset(&fx.host, 0, sizeof(fx.host));
	fx.host.struct_size = sizeof(fx.host);
	fx.host.abi_major = DROVER_ABI_MAJOR;
	fx.host.abi_minor = DROVER_ABI_MINOR;
	fx.host.log = test_log;
	fx.host.agent_config = test_agent_config;
	fx.host.proc_spawn = drover_proc_spawn;
	fx.host.proc_wait_fd = drover_proc_wait_fd;
	fx.host.proc_status = drover_proc_status;
	fx.host.proc_signal = drover_proc_signal;
	fx.host.proc_stop = drover_proc_stop;
	fx.host.proc_find = drover_proc_find;
}

static void teardown(void)
{
	if (fx.so)
		dlclose(fx.so);
	nftw(fx.root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(exec, .init = setup, .fini = teardown, .timeout = 90);

static int cgroups_usable(void)
{
	struct stat st;
	return stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &st) == 0 ||
	       stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

#define REQUIRE_ROOT()                                                                    \
	drover_test_require(geteuid() == 0 && cgroups_usable(),                           \
	                    "the exec driver needs root and mounted cgroups")

/* A plugin instance with these plugin options. */
static int instance_opts(const char *const *keys, const drover_value *values, size_t n,
                         void **ctx_out, drover_err *err)
{
	drover_value config;
	void *ctx = NULL;
	int r;

	memset(&config, 0, sizeof(config));
	config.type = DROVER_VALUE_OBJECT;
	config.u.object.count = n;
	config.u.object.keys = keys;
	config.u.object.values = (drover_value *)values;
	cr_assert_eq(fx.drv->init(&fx.host, &ctx, err), 0, "init: %s", err->message);
	r = fx.drv->set_config(ctx, &config, err);
	if (r < 0) {
		fx.drv->fini(ctx);
		ctx = NULL;
	}
	*ctx_out = ctx;
	return r;
}

static void *instance(void)
{
	drover_err err = { "" };
	void *ctx;
	cr_assert_eq(instance_opts(NULL, NULL, 0, &ctx, &err), 0, "set_config: %s", err.message);
	return ctx;
}

static drover_value int_value(long long n)
{
	drover_value v;
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_INT;
	v.u.integer = n;
	return v;
}

static drover_value bool_value(int b)
{
	drover_value v;
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_BOOL;
	v.u.boolean = b;
	return v;
}

typedef struct task_block {
	const char *keys[8];
	drover_value values[8];
	drover_value args[8];
	drover_value list[8];
	drover_value obj;
} task_block;

static void task_block_init(task_block *b, const char *command, const char *const *args)
{
	size_t n = 0, nargs = 0;

	memset(b, 0, sizeof(*b));
	b->keys[n] = "command";
	b->values[n++] = str_value(command);
	if (args) {
		while (args[nargs]) {
			b->args[nargs] = str_value(args[nargs]);
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

static void task_block_set(task_block *b, const char *key, drover_value v)
{
	size_t i = b->obj.u.object.count;
	cr_assert_lt(i, 8);
	b->keys[i] = key;
	b->values[i] = v;
	b->obj.u.object.count++;
}

static void task_block_set_list1(task_block *b, const char *key, const char *item)
{
	drover_value v;
	size_t i = b->obj.u.object.count;

	b->list[i] = str_value(item);
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_ARRAY;
	v.u.array.count = 1;
	v.u.array.items = &b->list[i];
	task_block_set(b, key, v);
}

static const char *const default_env[] = { "PATH=/usr/bin:/bin", NULL };

static drover_task_config task_config(const task_block *b)
{
	drover_task_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.struct_size = sizeof(cfg);
	cfg.id = fx.task_id;
	cfg.job_id = "job";
	cfg.job_name = "job";
	cfg.group_name = "group";
	cfg.task_name = "web";
	cfg.alloc_id = fx.alloc_id;
	cfg.alloc_name = "job.group[0]";
	cfg.alloc_dir = fx.alloc_dir;
	cfg.task_dir = fx.task_dir;
	cfg.state_dir = fx.state_dir;
	cfg.log_dir = fx.log_dir;
	cfg.env = default_env;
	cfg.config = &b->obj;
	cfg.kill_signal = SIGINT;
	cfg.kill_timeout_ms = 5000;
	cfg.log_max_files = 2;
	cfg.log_max_file_size_mb = 1;
	return cfg;
}

static drover_task *start_ok(void *ctx, const drover_task_config *cfg, drover_handle *handle)
{
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r = fx.drv->start(ctx, cfg, &task, &h, &err);

	cr_assert_eq(r, 0, "start: %d %s", r, err.message);
	cr_assert_not_null(task);
	if (handle)
		*handle = h;
	else
		free(h.data);
	return task;
}

static drover_exit_result wait_blocking(void *ctx, drover_task *task)
{
	drover_exit_result res;
	drover_err err = { "" };

	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	cr_assert_eq(fx.drv->wait(ctx, task, 0, &res, &err), 0, "wait: %s", err.message);
	return res;
}

static void destroy_ok(void *ctx, drover_task *task)
{
	drover_err err = { "" };
	cr_assert_eq(fx.drv->destroy(ctx, task, 1, &err), 0, "destroy: %s", err.message);
}

static char *read_file(const char *path)
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

static char *log_of(const char *stream)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/web.%s.0", fx.log_dir, stream);
	return read_file(path);
}

static int stdout_has(void *needle)
{
	char *s = log_of("stdout");
	int found = s && strstr(s, needle);
	free(s);
	return found;
}

/* Waits for the task's stdout to contain `needle`; returns the whole of it. */
static char *wait_for_output(const char *needle, long long timeout_ms)
{
	if (!test_wait_in_dir(fx.log_dir, stdout_has, (void *)needle, timeout_ms)) {
		char *e = log_of("stderr");
		cr_assert_fail("no \"%s\" in the task's stdout within %lld ms; stderr: %s", needle,
		               timeout_ms, e ? e : "(none)");
	}
	return log_of("stdout");
}

/* Runs the probe as the task to its end; its stdout. */
static void remove_logs(void)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/web.stdout.0", fx.log_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/web.stderr.0", fx.log_dir);
	unlink(path);
}

static char *run_probe(void *ctx, task_block *b, drover_exit_result *res_out)
{
	drover_task_config cfg = task_config(b);
	drover_task *t;
	drover_exit_result res;
	char *out, *err;

	remove_logs();
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	out = log_of("stdout");
	err = log_of("stderr");

	cr_assert_eq(res.exit_code, 0, "probe exit %d signal %d; stderr: %s", res.exit_code,
	             res.signal, err ? err : "");
	free(err);
	destroy_ok(ctx, t);
	if (res_out)
		*res_out = res;
	cr_assert_not_null(out);
	return out;
}

static void expect_line(const char *out, const char *line)
{
	char want[256];
	snprintf(want, sizeof(want), "%s\n", line);
	cr_expect_not_null(strstr(out, want), "expected \"%s\" in:\n%s", line, out);
}

typedef struct attrs {
	char key[64];
	char value[64];
} attrs;

static void record_attr(void *sink, const char *key, const char *value)
{
	attrs *a = sink;
	snprintf(a->key, sizeof(a->key), "%s", key);
	snprintf(a->value, sizeof(a->value), "%s", value);
}

Test(exec, fingerprint_is_healthy_as_root_with_cgroups)
{
	drover_fingerprint fp;
	drover_err err = { "" };
	attrs a = { "", "" };
	void *ctx;

	REQUIRE_ROOT();
	ctx = instance();
	memset(&fp, 0, sizeof(fp));
	fp.struct_size = sizeof(fp);
	fp.sink = &a;
	fp.set_attribute = record_attr;
	cr_assert_eq(fx.drv->fingerprint(ctx, &fp, &err), 0);
	cr_assert_eq(fp.health, DROVER_HEALTH_HEALTHY, "%s", fp.description);
	cr_assert_str_eq(a.key, "driver.exec");
	cr_assert_str_eq(a.value, "1");
	/* Without drover-exec-init the driver is unhealthy and says why. */
	setenv("DROVER_EXEC_INIT", "/nonexistent/drover-exec-init", 1);
	memset(&fp, 0, sizeof(fp));
	fp.struct_size = sizeof(fp);
	cr_assert_eq(fx.drv->fingerprint(ctx, &fp, &err), 0);
	cr_assert_eq(fp.health, DROVER_HEALTH_UNHEALTHY);
	cr_assert_not_null(strstr(fp.description, "/nonexistent/drover-exec-init"), "%s",
	                   fp.description);
	fx.drv->fini(ctx);
}

Test(exec, task_is_confined_to_its_root_as_nobody)
{
	char marker_host[256], marker_task[600], marker_name[128];
	const char *args[] = { "report", fx.secret, NULL, NULL };
	task_block b;
	void *ctx;
	char *out;
	struct stat st;

	REQUIRE_ROOT();
	snprintf(marker_name, sizeof(marker_name), "/tmp/drover-exec-marker-%s", fx.alloc_id);
	args[2] = marker_name;
	snprintf(marker_host, sizeof(marker_host), "%s", marker_name);
	snprintf(marker_task, sizeof(marker_task), "%s%s", fx.task_dir, marker_name);
	unlink(marker_host);
	ctx = instance();
	task_block_init(&b, "/probe/exec_probe", args);
	out = run_probe(ctx, &b, NULL);
	expect_line(out, "uid=65534");
	expect_line(out, "no_new_privs=1");
	expect_line(out, "net_raw_effective=0");
	expect_line(out, "fds=0,1,2");
	expect_line(out, "write_usr=EROFS");
	expect_line(out, "write_bin=EROFS");
	expect_line(out, "read_secret=ENOENT");
	expect_line(out, "write_tmp=ok");
	/* The task's /tmp is its task directory's tmp/, not the host's. */
	cr_assert_eq(stat(marker_host, &st), -1, "%s appeared on the host", marker_host);
	cr_assert_eq(stat(marker_task, &st), 0, "%s is missing", marker_task);
	free(out);
	fx.drv->fini(ctx);
}

Test(exec, mount_unshare_ptrace_and_raw_sockets_fail)
{
	char pid[32];
	const char *args[] = { "attack", pid, NULL };
	task_block b;
	void *ctx;
	char *out;

	REQUIRE_ROOT();
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	ctx = instance();
	task_block_init(&b, "/probe/exec_probe", args);
	out = run_probe(ctx, &b, NULL);
	expect_line(out, "mount=EPERM");
	expect_line(out, "unshare=EPERM");
	expect_line(out, "unshare_user=EPERM");
	/* The host's pid does not exist in the task's PID namespace, and ptrace is
	 * refused by the filter before that matters: EPERM either way. */
	expect_line(out, "ptrace=EPERM");
	expect_line(out, "ptrace_parent=EPERM");
	expect_line(out, "rawsock=EPERM");
	free(out);
	fx.drv->fini(ctx);
}

/* The task's cgroup for `controller`: one directory per controller on v1, the
 * one unified scope on v2 (where the test VM, tests/vm, runs these tests). */
static void cgroup_dir(const char *controller, char *out, size_t len)
{
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		snprintf(out, len, "/sys/fs/cgroup/drover.slice/%s.web.scope", fx.alloc_id);
	else
		snprintf(out, len, "/sys/fs/cgroup/%s/drover/%s.web", controller, fx.alloc_id);
}

Test(exec, allocation_past_the_memory_limit_is_reported_oom_killed)
{
	const char *args[] = { "alloc", "512", NULL };
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/probe/exec_probe", args);
	cfg = task_config(&b);
	cfg.memory_mb = 32;
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.oom_killed, 1, "exit %d signal %d, not reported OOM", res.exit_code,
	             res.signal);
	cr_assert_eq(res.signal, SIGKILL);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
}

static long long read_ll(const char *path)
{
	char *s = read_file(path);
	long long v = -1;
	if (s) {
		v = atoll(s);
		free(s);
	}
	return v;
}

static size_t procs_in(const char *dir, int *pids, size_t max)
{
	char path[400], *s, *p;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	s = read_file(path);
	for (p = s; p && *p && n < max;) {
		pids[n++] = (int)strtol(p, &p, 10);
		while (*p == '\n')
			p++;
	}
	free(s);
	return n;
}

Test(exec, fork_bomb_stops_at_the_pids_limit)
{
	static const char *const keys[] = { "pids_limit" };
	drover_value values[1] = { int_value(64) };
	const char *args[] = { "forkbomb", NULL };
	drover_err err = { "" };
	drover_task_config cfg;
	char dir[300], path[400];
	drover_task *t;
	task_block b;
	void *ctx;
	char *out;
	pid_t p;
	int st;

	REQUIRE_ROOT();
	cr_assert_eq(instance_opts(keys, values, 1, &ctx, &err), 0, "%s", err.message);
	task_block_init(&b, "/probe/exec_probe", args);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	out = wait_for_output("fork_failed=", 20000);
	cr_assert_not_null(strstr(out, "fork_failed=EAGAIN"), "%s", out);
	free(out);
	cgroup_dir("pids", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/pids.max", dir);
	cr_assert_eq(read_ll(path), 64);
	snprintf(path, sizeof(path), "%s/pids.current", dir);
	cr_assert_leq(read_ll(path), 64);
	/* The host still forks. */
	p = fork();
	if (p == 0)
		_exit(7);
	cr_assert_gt(p, 0);
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_assert_eq(WEXITSTATUS(st), 7);
	cr_assert_eq(fx.drv->stop(ctx, t, SIGTERM, 200, &err), 0, "stop: %s", err.message);
	cr_assert_eq(read_ll(path), 0);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
}

Test(exec, stop_leaves_no_process_of_a_double_forking_task_ignoring_sigint)
{
	const char *args[] = { "escape", NULL };
	drover_err err = { "" };
	drover_task_config cfg;
	char dir[300];
	int pids[64];
	size_t n, i;
	drover_task *t;
	task_block b;
	void *ctx;
	char *out;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/probe/exec_probe", args);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	out = wait_for_output("grandchild=", 20000);
	free(out);
	cgroup_dir("memory", dir, sizeof(dir));
	n = procs_in(dir, pids, 64);
	/* drover-exec-init, pid 1, the probe, its grandchild. */
	cr_assert_geq(n, 4, "%zu processes in %s", n, dir);
	cr_assert_eq(fx.drv->stop(ctx, t, SIGINT, 300, &err), 0, "stop: %s", err.message);
	cr_assert_eq(procs_in(dir, pids + n, 64 - n), 0, "processes left in %s", dir);
	for (i = 0; i < n; i++)
		cr_assert(kill(pids[i], 0) < 0 && errno == ESRCH, "pid %d survived the stop", pids[i]);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
}

static void expect_start_refused(void *ctx, task_block *b, const char *user, int code,
                                 const char *needle)
{
	drover_task_config cfg = task_config(b);
	drover_task *t = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r;

	cfg.user = user;
	r = fx.drv->start(ctx, &cfg, &t, &h, &err);
	cr_assert_eq(r, code, "start gave %d (%s), wanted %d", r, err.message, code);
	cr_assert_null(t);
	cr_assert_not_null(strstr(err.message, needle), "\"%s\" not in: %s", needle, err.message);
	cr_assert_not_null(strstr(err.message, "web"), "the task is not named: %s", err.message);
}

Test(exec, work_dir_leading_out_of_the_root_is_refused)
{
	char link[400];
	task_block b;
	void *ctx;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/true", NULL);
	task_block_set(&b, "work_dir", str_value("../../etc"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "\"work_dir\" \"../../etc\" leads out");
	task_block_init(&b, "/bin/true", NULL);
	task_block_set(&b, "work_dir", str_value("/local/../../etc"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "leads out of the task's root");
	snprintf(link, sizeof(link), "%s/local/out", fx.task_dir);
	cr_assert_eq(symlink("/etc", link), 0);
	task_block_init(&b, "/bin/true", NULL);
	task_block_set(&b, "work_dir", str_value("/local/out"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "symlink that points out");
	snprintf(link, sizeof(link), "%s/local/up", fx.task_dir);
	cr_assert_eq(symlink("../../../../../..", link), 0);
	task_block_init(&b, "/bin/true", NULL);
	task_block_set(&b, "work_dir", str_value("local/up/etc"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "symlink that points out");
	fx.drv->fini(ctx);
}

Test(exec, work_dir_inside_the_root_is_where_the_command_runs)
{
	const char *args[] = { "-c", "pwd", NULL };
	task_block b;
	void *ctx;
	char *out;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/sh", args);
	task_block_set(&b, "work_dir", str_value("/local"));
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "/local\n");
	free(out);
	fx.drv->fini(ctx);
}

Test(exec, bad_input_is_refused_naming_the_field)
{
	static const char *const keys[] = { "default_pid_mode" };
	drover_value values[1] = { str_value("shared") };
	drover_err err = { "" };
	task_block b;
	void *ctx;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/true", NULL);
	task_block_set(&b, "pid_mode", str_value("bogus"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "\"pid_mode\": \"bogus\" is not a mode");
	task_block_init(&b, "/bin/true", NULL);
	task_block_set(&b, "ipc_mode", str_value(""));
	task_block_set_list1(&b, "cap_add", "net_raw");
	expect_start_refused(ctx, &b, NULL, -EPERM, "capability \"net_raw\" is not in the exec "
	                                            "driver's allow_caps");
	task_block_init(&b, "/bin/true", NULL);
	task_block_set_list1(&b, "cap_drop", "not_a_cap");
	expect_start_refused(ctx, &b, NULL, -EINVAL, "\"not_a_cap\" is not a Linux capability");
	task_block_init(&b, "/bin/true", NULL);
	expect_start_refused(ctx, &b, "root", -EPERM, "\"allow_root_user\"");
	task_block_init(&b, "/bin/true", NULL);
	expect_start_refused(ctx, &b, "no-such-user-drover", -ENOENT, "no-such-user-drover");
	fx.drv->fini(ctx);
	cr_assert_eq(instance_opts(keys, values, 1, &ctx, &err), -EINVAL);
	cr_assert_not_null(strstr(err.message, "\"default_pid_mode\": \"shared\""), "%s",
	                   err.message);
}

Test(exec, cap_drop_all_and_allowed_cap_add_shape_the_effective_set)
{
	const char *args[] = { "-c", "grep CapEff /proc/self/status", NULL };
	task_block b;
	void *ctx;
	char *out;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/sh", args);
	task_block_set_list1(&b, "cap_drop", "all");
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "CapEff:\t0000000000000000\n");
	free(out);
	task_block_init(&b, "/bin/sh", args);
	task_block_set_list1(&b, "cap_drop", "ALL");
	b.list[7] = str_value("net_bind_service");
	{
		drover_value v;
		memset(&v, 0, sizeof(v));
		v.type = DROVER_VALUE_ARRAY;
		v.u.array.count = 1;
		v.u.array.items = &b.list[7];
		task_block_set(&b, "cap_add", v);
	}
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "CapEff:\t0000000000000400\n"); /* bit 10 */
	free(out);
	fx.drv->fini(ctx);
}

Test(exec, root_runs_only_when_the_operator_allows_it)
{
	static const char *const keys[] = { "allow_root_user" };
	drover_value values[1] = { bool_value(1) };
	const char *args[] = { "-c", "id -u; touch /usr/x 2>&1 | grep -c 'Read-only'", NULL };
	drover_err err = { "" };
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx;
	char *out;

	REQUIRE_ROOT();
	cr_assert_eq(instance_opts(keys, values, 1, &ctx, &err), 0, "%s", err.message);
	task_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	cfg.user = "root";
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.exit_code, 0);
	out = log_of("stdout");
	/* Even root cannot write the read-only binds. */
	cr_assert_str_eq(out, "0\n1\n");
	free(out);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
}

static long long disk_bytes(const char *dir)
{
	char cmd[400];
	FILE *p;
	long long kib = -1;

	/* du counts blocks on disk without crossing into the task's mounts (none
	 * are left after the task: they lived in its mount namespace). */
	snprintf(cmd, sizeof(cmd), "du -s -k -x '%s'", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%lld", &kib), 1);
	pclose(p);
	return kib * 1024;
}

Test(exec, task_directory_grows_by_less_than_64_kib)
{
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	long long before, after;
	void *ctx;

	REQUIRE_ROOT();
	fx.no_chroot_env = 1; /* the default chroot_env: /bin, /etc, /lib*, /sbin, /usr */
	ctx = instance();
	before = disk_bytes(fx.task_dir);
	task_block_init(&b, "/bin/true", NULL);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.exit_code, 0);
	after = disk_bytes(fx.task_dir);
	cr_log_info("task directory: %lld bytes before, %lld after", before, after);
	cr_assert_lt(after - before, 64 * 1024, "grew by %lld bytes", after - before);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
}

static char *exec_capture(void *ctx, drover_task *task, const char *const *argv, int *code)
{
	drover_exec_request req;
	drover_err err = { "" };
	char path[400];
	int fd, r;

	snprintf(path, sizeof(path), "%s/exec-out", fx.root);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.stdin_fd = -1;
	req.stdout_fd = fd;
	req.stderr_fd = fd;
	req.timeout_ms = 20000;
	r = fx.drv->exec(ctx, task, &req, code, &err);
	close(fd);
	cr_assert_eq(r, 0, "exec: %s", err.message);
	return read_file(path);
}

Test(exec, exec_runs_inside_the_tasks_namespaces_root_and_user)
{
	const char *args[] = { "-c", "echo $$ > /tmp/pid; echo ready; exec sleep 600", NULL };
	const char *cmd[] = { "/bin/sh", "-c",
		              "id -u; cat /tmp/pid; ls / | grep -c '^local$'; "
		              "grep NoNewPrivs /proc/self/status; cat /proc/1/comm; "
		              "mount -t tmpfs x /tmp 2>/dev/null || echo mount-refused",
		              NULL };
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_task_config cfg;
	drover_task *t, *r;
	task_block b;
	void *ctx, *ctx2;
	char *out;
	int code = -1;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, &h);
	free(wait_for_output("ready", 20000));
	out = exec_capture(ctx, t, cmd, &code);
	cr_assert_eq(code, 0, "%s", out);
	/* pid 1 of the task's namespace is drover-exec-init, reaping; the task's
	 * command is pid 2. */
	cr_assert_str_eq(out, "65534\n2\n1\nNoNewPrivs:\t1\ndrover-exec-ini\nmount-refused\n");
	free(out);

	/* The same from a new plugin instance that recovered the task. */
	ctx2 = instance();
	cr_assert_eq(fx.drv->recover(ctx2, &cfg, h.data, h.len, &r, &err), 0, "recover: %s",
	             err.message);
	out = exec_capture(ctx2, r, cmd, &code);
	cr_assert_str_eq(out, "65534\n2\n1\nNoNewPrivs:\t1\ndrover-exec-ini\nmount-refused\n");
	free(out);
	cr_assert_eq(fx.drv->stop(ctx2, r, SIGTERM, 2000, &err), 0, "stop: %s", err.message);
	{
		drover_exit_result res = wait_blocking(ctx2, r);
		cr_assert_eq(res.signal, SIGTERM, "exit %d signal %d", res.exit_code, res.signal);
	}
	destroy_ok(ctx2, r);
	fx.drv->fini(ctx2);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
	free(h.data);
}

Test(exec, exit_code_signal_and_stats)
{
	const char *args[] = { "-c", "echo ready; read x < /dev/tty 2>/dev/null; sleep 600", NULL };
	const char *args2[] = { "-c", "exit 7", NULL };
	drover_task_stats st;
	drover_err err = { "" };
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx;

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/sh", args2);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.exit_code, 7);
	cr_assert_eq(res.oom_killed, 0);
	destroy_ok(ctx, t);

	task_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	free(wait_for_output("ready", 20000));
	memset(&st, 0, sizeof(st));
	st.struct_size = sizeof(st);
	cr_assert_eq(fx.drv->stats(ctx, t, &st, &err), 0, "stats: %s", err.message);
	cr_assert_geq(st.pids, 3, "pids %llu", st.pids);
	cr_assert_gt(st.memory_usage_bytes, 0);
	cr_assert_eq(fx.drv->signal(ctx, t, SIGUSR1, &err), 0, "signal: %s", err.message);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.signal, SIGUSR1, "exit %d signal %d", res.exit_code, res.signal);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
}

/* The recovery rule: a handle that cannot be read leaves nothing of its task
 * running (found through the shim's pids file and the task's cgroup), so a
 * restart can never make two copies. */
Test(exec, unreadable_handle_kills_what_is_left_of_the_task)
{
	const char *args[] = { "-c", "echo ready; exec sleep 600", NULL };
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_task_config cfg;
	drover_task_status st = { .struct_size = sizeof(st) };
	drover_task *t, *r = NULL;
	task_block b;
	void *ctx, *ctx2;
	static const char garbage[] = "not an exec handle at all";

	REQUIRE_ROOT();
	ctx = instance();
	task_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, &h);
	free(wait_for_output("ready", 20000));
	cr_assert_eq(fx.drv->inspect(ctx, t, &st, &err), 0, "inspect: %s", err.message);
	cr_assert_gt(st.pid, 0);
	int pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	cr_assert(pidfd >= 0, "pidfd_open %d: %s", st.pid, strerror(errno));

	ctx2 = instance();
	int rc = fx.drv->recover(ctx2, &cfg, garbage, sizeof(garbage), &r, &err);
	cr_assert_lt(rc, 0, "a garbage handle was recovered");
	cr_assert(strstr(err.message, "what was left of it was killed"), "%s", err.message);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, 10000), 1, "task pid %d still runs after recover refused it",
	             st.pid);
	close(pidfd);
	fx.drv->fini(ctx2);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
	free(h.data);
}
