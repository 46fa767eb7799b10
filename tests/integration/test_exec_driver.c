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
#include <pwd.h>
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
#include "plugin_fixture.h"
#include "test_support.h"
#include "test_wait.h"

static struct {
	plugin_fixture_dirs dirs;
	char secret[300];
	void *so;
	const drover_driver *drv;
	drover_host host;
	plugin_fixture_chroot chroot; /* client.chroot_env */
	int no_chroot_env;
} fx;

static const drover_value *test_agent_config(void *host_data, const char *path)
{
	(void)host_data;
	if (strcmp(path, "client.chroot_env") == 0 && !fx.no_chroot_env)
		return &fx.chroot.obj;
	return NULL;
}

static void setup(void)
{
	static const char *const host_dirs[] = { "/bin", "/etc", "/lib", "/lib64", "/usr", NULL };
	int fd;

	plugin_fixture_dirs_name(&fx.dirs, "/tmp/drover-test-exec.XXXXXX");
	/* As host/allocdir.c lays it out. */
	plugin_fixture_dirs_make_exec(&fx.dirs, 0755);
	/* A host file outside chroot_env, readable by anyone on the host. */
	snprintf(fx.secret, sizeof(fx.secret), "%s/host-secret", fx.dirs.root);
	fd = open(fx.secret, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret\n", 7), 7);
	close(fd);

	plugin_fixture_chroot_set(&fx.chroot, host_dirs, EXEC_PROBE_DIR, "/probe");
	fx.no_chroot_env = 0;

	setenv("DROVER_EXEC_INIT", DROVER_TEST_EXEC_INIT, 1);
	fx.drv = plugin_fixture_load_supervised(EXEC_SO, DROVER_TEST_SHIM, &fx.so);

	plugin_fixture_host(&fx.host, plugin_fixture_quiet_log, test_agent_config);
}

static void teardown(void)
{
	if (fx.so)
		dlclose(fx.so);
	test_rm_tree(fx.dirs.root);
}

TestSuite(exec, .init = setup, .fini = teardown, .timeout = 90);

/* A plugin instance with these plugin options. */
static int instance_opts(const char *const *keys, const drover_value *values, size_t n,
                         void **ctx_out, drover_err *err)
{
	drover_value config;

	memset(&config, 0, sizeof(config));
	config.type = DROVER_VALUE_OBJECT;
	config.u.object.count = n;
	config.u.object.keys = keys;
	config.u.object.values = (drover_value *)values;
	return plugin_fixture_configure(fx.drv, &fx.host, &config, ctx_out, err);
}

static void *instance(void)
{
	drover_err err = { "" };
	void *ctx;
	cr_assert_eq(instance_opts(NULL, NULL, 0, &ctx, &err), 0, "set_config: %s", err.message);
	return ctx;
}

typedef plugin_fixture_block task_block;

static drover_task_config task_config(const task_block *b)
{
	return plugin_fixture_task_config(&fx.dirs, &b->obj);
}

#define start_ok(ctx, cfg, handle) plugin_fixture_start(fx.drv, ctx, cfg, handle)

#define wait_blocking(ctx, task) plugin_fixture_wait(fx.drv, ctx, task)

#define destroy_ok(ctx, task) plugin_fixture_destroy(fx.drv, ctx, task)

#define read_file plugin_fixture_read_file

static char *log_of(const char *stream)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/web.%s.0", fx.dirs.log_dir, stream);
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
	if (!test_wait_in_dir(fx.dirs.log_dir, stdout_has, (void *)needle, timeout_ms)) {
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
	snprintf(path, sizeof(path), "%s/web.stdout.0", fx.dirs.log_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/web.stderr.0", fx.dirs.log_dir);
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

	drover_test_require_exec();
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

	drover_test_require_exec();
	snprintf(marker_name, sizeof(marker_name), "/tmp/drover-exec-marker-%s", fx.dirs.alloc_id);
	args[2] = marker_name;
	snprintf(marker_host, sizeof(marker_host), "%s", marker_name);
	snprintf(marker_task, sizeof(marker_task), "%s%s", fx.dirs.task_dir, marker_name);
	unlink(marker_host);
	ctx = instance();
	plugin_fixture_block_init(&b, "/probe/exec_probe", args);
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

	drover_test_require_exec();
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	ctx = instance();
	plugin_fixture_block_init(&b, "/probe/exec_probe", args);
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
		snprintf(out, len, "/sys/fs/cgroup/drover.slice/%s.web.scope", fx.dirs.alloc_id);
	else
		snprintf(out, len, "/sys/fs/cgroup/%s/drover/%s.web", controller, fx.dirs.alloc_id);
}

Test(exec, allocation_past_the_memory_limit_is_reported_oom_killed)
{
	const char *args[] = { "alloc", "512", NULL };
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx;

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/probe/exec_probe", args);
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
	drover_value values[1] = { plugin_fixture_int_value(64) };
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

	drover_test_require_exec();
	cr_assert_eq(instance_opts(keys, values, 1, &ctx, &err), 0, "%s", err.message);
	plugin_fixture_block_init(&b, "/probe/exec_probe", args);
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

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/probe/exec_probe", args);
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

static void expect_start_refused_cfg(void *ctx, const drover_task_config *cfg, const char *needle)
{
	drover_task *t = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };

	cr_assert_eq(fx.drv->start(ctx, cfg, &t, &h, &err), -EINVAL, "start: %s", err.message);
	cr_assert_null(t);
	cr_assert(strstr(err.message, needle), "\"%s\" not in: %s", needle, err.message);
}

/* A string list value over `items` (NULL-ended), stored in `store`. */
static drover_value list_value(drover_value *store, size_t cap, const char *const *items)
{
	drover_value v;
	size_t n = 0;

	while (items[n]) {
		cr_assert_lt(n, cap);
		store[n] = plugin_fixture_str_value(items[n]);
		n++;
	}
	memset(&v, 0, sizeof(v));
	v.type = DROVER_VALUE_ARRAY;
	v.u.array.count = n;
	v.u.array.items = store;
	return v;
}

Test(exec, work_dir_leading_out_of_the_root_is_refused)
{
	char link[400];
	task_block b;
	void *ctx;

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "work_dir", plugin_fixture_str_value("../../etc"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "\"work_dir\" \"../../etc\" leads out");
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "work_dir", plugin_fixture_str_value("/local/../../etc"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "leads out of the task's root");
	snprintf(link, sizeof(link), "%s/local/out", fx.dirs.task_dir);
	cr_assert_eq(symlink("/etc", link), 0);
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "work_dir", plugin_fixture_str_value("/local/out"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "symlink that points out");
	snprintf(link, sizeof(link), "%s/local/up", fx.dirs.task_dir);
	cr_assert_eq(symlink("../../../../../..", link), 0);
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "work_dir", plugin_fixture_str_value("local/up/etc"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "symlink that points out");
	fx.drv->fini(ctx);
}

Test(exec, work_dir_inside_the_root_is_where_the_command_runs)
{
	const char *args[] = { "-c", "pwd", NULL };
	task_block b;
	void *ctx;
	char *out;

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/sh", args);
	plugin_fixture_block_set(&b, "work_dir", plugin_fixture_str_value("/local"));
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "/local\n");
	free(out);
	fx.drv->fini(ctx);
}

Test(exec, bad_input_is_refused_naming_the_field)
{
	static const char *const keys[] = { "default_pid_mode" };
	drover_value values[1] = { plugin_fixture_str_value("shared") };
	drover_err err = { "" };
	task_block b;
	void *ctx;

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "pid_mode", plugin_fixture_str_value("bogus"));
	expect_start_refused(ctx, &b, NULL, -EINVAL, "\"pid_mode\": \"bogus\" is not a mode");
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "ipc_mode", plugin_fixture_str_value(""));
	plugin_fixture_block_set_list1(&b, "cap_add", "net_raw");
	expect_start_refused(ctx, &b, NULL, -EPERM, "does not allow the following capabilities: "
	                                            "net_raw: the operator must add them");
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set_list1(&b, "cap_drop", "not_a_cap");
	expect_start_refused(ctx, &b, NULL, -EINVAL, "\"not_a_cap\" is not a Linux capability");
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	expect_start_refused(ctx, &b, "root", -EPERM, "\"allow_root_user\"");
	plugin_fixture_block_init(&b, "/bin/true", NULL);
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

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/sh", args);
	plugin_fixture_block_set_list1(&b, "cap_drop", "all");
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "CapEff:\t0000000000000000\n");
	free(out);
	plugin_fixture_block_init(&b, "/bin/sh", args);
	plugin_fixture_block_set_list1(&b, "cap_drop", "ALL");
	b.list[7] = plugin_fixture_str_value("net_bind_service");
	{
		drover_value v;
		memset(&v, 0, sizeof(v));
		v.type = DROVER_VALUE_ARRAY;
		v.u.array.count = 1;
		v.u.array.items = &b.list[7];
		plugin_fixture_block_set(&b, "cap_add", v);
	}
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "CapEff:\t0000000000000400\n"); /* bit 10 */
	free(out);
	fx.drv->fini(ctx);
}

Test(exec, root_runs_only_when_the_operator_allows_it)
{
	static const char *const keys[] = { "allow_root_user" };
	drover_value values[1] = { plugin_fixture_bool_value(1) };
	const char *args[] = { "-c", "id -u; touch /usr/x 2>&1 | grep -c 'Read-only'", NULL };
	drover_err err = { "" };
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx;
	char *out;

	drover_test_require_exec();
	cr_assert_eq(instance_opts(keys, values, 1, &ctx, &err), 0, "%s", err.message);
	plugin_fixture_block_init(&b, "/bin/sh", args);
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

	drover_test_require_exec();
	fx.no_chroot_env = 1; /* the default chroot_env: /bin, /etc, /lib*, /sbin, /usr */
	ctx = instance();
	before = disk_bytes(fx.dirs.task_dir);
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.exit_code, 0);
	after = disk_bytes(fx.dirs.task_dir);
	cr_log_info("task directory: %lld bytes before, %lld after", before, after);
	cr_assert_lt(after - before, 64 * 1024, "grew by %lld bytes", after - before);
	destroy_ok(ctx, t);
	fx.drv->fini(ctx);
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

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, &h);
	free(wait_for_output("ready", 20000));
	out = plugin_fixture_exec_capture(fx.drv, ctx, t, fx.dirs.root, cmd, &code);
	cr_assert_eq(code, 0, "%s", out);
	/* pid 1 of the task's namespace is drover-exec-init, reaping; the task's
	 * command is pid 2. */
	cr_assert_str_eq(out, "65534\n2\n1\nNoNewPrivs:\t1\ndrover-exec-ini\nmount-refused\n");
	free(out);

	/* The same from a new plugin instance that recovered the task. */
	ctx2 = instance();
	cr_assert_eq(fx.drv->recover(ctx2, &cfg, h.data, h.len, &r, &err), 0, "recover: %s",
	             err.message);
	out = plugin_fixture_exec_capture(fx.drv, ctx2, r, fx.dirs.root, cmd, &code);
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

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/sh", args2);
	cfg = task_config(&b);
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	cr_assert_eq(res.exit_code, 7);
	cr_assert_eq(res.oom_killed, 0);
	destroy_ok(ctx, t);

	plugin_fixture_block_init(&b, "/bin/sh", args);
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

	drover_test_require_exec();
	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/sh", args);
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

/* TestExecDriver_Capabilities: allow_caps "ALL" lets a task add any
 * capability, "all" included; several cap_add outside allow_caps are all
 * named. */
static void expect_capeff(void *ctx, const char *const *add, const char *const *drop,
                          unsigned long long want)
{
	const char *args[] = { "-c", "grep CapEff /proc/self/status", NULL };
	drover_value store[2][8];
	char line[64], *out;
	task_block b;

	plugin_fixture_block_init(&b, "/bin/sh", args);
	if (add)
		plugin_fixture_block_set(&b, "cap_add", list_value(store[0], 8, add));
	if (drop)
		plugin_fixture_block_set(&b, "cap_drop", list_value(store[1], 8, drop));
	out = run_probe(ctx, &b, NULL);
	snprintf(line, sizeof(line), "CapEff:\t%016llx\n", want);
	cr_assert_str_eq(out, line);
	free(out);
}

Test(exec, capabilities_follow_nomads_allow_list_cases)
{
	static const char *const keys[] = { "allow_caps" };
	static const char *const all[] = { "ALL", NULL };
	static const char *const fowner_mknod[] = { "fowner", "mknod", NULL };
	static const char *const add_two[] = { "net_admin", "mknod", NULL };
	static const char *const add_all[] = { "all", NULL };
	static const char *const add_three[] = { "net_admin", "mknod", "CAP_SYS_TIME", NULL };
	static const char *const drop_all[] = { "ALL", NULL };
	drover_value store[8], opt, caps[8];
	drover_err err = { "" };
	unsigned long long full, bnd;
	char line[128];
	task_block b;
	void *ctx;
	FILE *f;
	int last = -1;

	drover_test_require_exec();
	f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%d", &last), 1);
	fclose(f);
	full = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	/* "all" is what the agent may give: the kernel's, within its bounding set. */
	f = fopen("/proc/self/status", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapBnd: %llx", &bnd) == 1)
			full &= bnd;
	fclose(f);

	/* permissive-allowlist and permissive-allowlist-add-all */
	opt = list_value(store, 8, all);
	cr_assert_eq(instance_opts(keys, &opt, 1, &ctx, &err), 0, "%s", err.message);
	expect_capeff(ctx, add_two, NULL, full);
	expect_capeff(ctx, add_all, NULL, full);
	expect_capeff(ctx, NULL, drop_all, 0);
	fx.drv->fini(ctx);

	/* restrictive-allowlist-add-multiple-forbidden */
	opt = list_value(store, 8, fowner_mknod);
	cr_assert_eq(instance_opts(keys, &opt, 1, &ctx, &err), 0, "%s", err.message);
	expect_capeff(ctx, fowner_mknod, drop_all, (1ULL << 3) | (1ULL << 27));
	plugin_fixture_block_init(&b, "/bin/true", NULL);
	plugin_fixture_block_set(&b, "cap_add", list_value(caps, 8, add_three));
	expect_start_refused(ctx, &b, NULL, -EPERM,
	                     "does not allow the following capabilities: net_admin, sys_time:");
	fx.drv->fini(ctx);
}

/* TestExecutor_EscapeContainer: a command that is not in the task's root
 * fails the start (not a task exiting 127), even when the host has it; a
 * bare name is looked up in the task's PATH inside the root. */
Test(exec, a_command_missing_from_the_root_fails_the_start)
{
	char host_tool[400], *out;
	const char *echo_args[] = { "in-root", NULL };
	task_block b;
	void *ctx;
	FILE *f;

	drover_test_require_exec();
	ctx = instance();
	/* On the host, executable, but outside everything the root binds. */
	snprintf(host_tool, sizeof(host_tool), "%s/host-tool", fx.dirs.root);
	f = fopen(host_tool, "w");
	cr_assert_not_null(f);
	fputs("#!/bin/sh\necho escaped\n", f);
	fclose(f);
	cr_assert_eq(chmod(host_tool, 0755), 0);
	plugin_fixture_block_init(&b, host_tool, NULL);
	expect_start_refused(ctx, &b, NULL, -ENOENT, "not found under path");
	plugin_fixture_block_init(&b, "/bin/drover-no-such-command", NULL);
	expect_start_refused(ctx, &b, NULL, -ENOENT,
	                     "file /bin/drover-no-such-command not found under path");
	plugin_fixture_block_init(&b, "drover-no-such-command", NULL);
	expect_start_refused(ctx, &b, NULL, -ENOENT, "file drover-no-such-command not found");
	plugin_fixture_block_init(&b, "echo", echo_args);
	out = run_probe(ctx, &b, NULL);
	cr_assert_str_eq(out, "in-root\n");
	free(out);
	fx.drv->fini(ctx);
}

static void write_oom_score_adj(const char *value)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	cr_assert_not_null(f);
	cr_assert_gt(fputs(value, f), -1);
	cr_assert_eq(fclose(f), 0);
}

/* TestExecutor_DoesNotInheritOomScoreAdj, TestExecutor_UserEnv,
 * TestExecutor_LogNameEnv and the /sys of TestExecutor_IsolationAndConstraints:
 * the task's oom_score_adj is 0 whatever drover's is; USER, LOGNAME and HOME
 * are the task user's, over the job's env; /sys is there and read-only. */
Test(exec, task_gets_oom_score_adj_0_its_users_env_and_a_read_only_sys)
{
	static const char *const env[] = { "PATH=/usr/bin:/bin", "USER=root", "LOGNAME=root", NULL };
	const char *args[] = { "-c",
		               "echo oom=$(cat /proc/self/oom_score_adj); echo user=$USER; "
		               "echo logname=$LOGNAME; echo home=$HOME; "
		               "ls -d /sys/kernel >/dev/null && echo sys=present; "
		               "if touch /sys/drover-probe 2>/dev/null; then echo sys=writable; "
		               "else echo sys=read-only; fi; "
		               "awk '$2 == \"/sys\" { split($4, o, \",\"); print \"sys_mount=\" o[1] }' "
		               "/proc/self/mounts",
		               NULL };
	drover_task_config cfg;
	drover_task *t;
	task_block b;
	void *ctx;
	char *out, *err_text;
	drover_exit_result res;
	struct passwd *pw;
	char home[300];

	drover_test_require_exec();
	pw = getpwnam("nobody");
	cr_assert_not_null(pw);
	snprintf(home, sizeof(home), "home=%s", pw->pw_dir);
	ctx = instance();
	write_oom_score_adj("7");
	plugin_fixture_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	cfg.env = env;
	remove_logs();
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	write_oom_score_adj("0");
	out = log_of("stdout");
	err_text = log_of("stderr");
	cr_assert_eq(res.exit_code, 0, "exit %d; stderr: %s", res.exit_code, err_text);
	destroy_ok(ctx, t);
	cr_assert_not_null(out);
	expect_line(out, "oom=0");
	expect_line(out, "user=nobody");
	expect_line(out, "logname=nobody");
	expect_line(out, home);
	expect_line(out, "sys=present");
	expect_line(out, "sys=read-only");
	expect_line(out, "sys_mount=ro");
	free(out);
	free(err_text);
	fx.drv->fini(ctx);
}

/* A host volume's Destination is the job's: a symlink the task left in its
 * directory must not carry the bind out of the root. */
Test(exec, host_volume_destination_is_resolved_without_symlinks)
{
	const char *args[] = { "-c", "cat /local/vol/in", NULL };
	char src[400], outside[400], link[600], in[500], *out, *err_text;
	drover_mount m = { .struct_size = sizeof(drover_mount), .volume = "data",
		           .read_only = 1, .propagation = "private" };
	const drover_mount *mounts[] = { &m, NULL };
	drover_task_config cfg;
	drover_exit_result res;
	drover_task *t;
	task_block b;
	void *ctx;
	FILE *f;

	drover_test_require_exec();
	ctx = instance();
	snprintf(src, sizeof(src), "%s/volume", fx.dirs.root);
	snprintf(outside, sizeof(outside), "%s/outside", fx.dirs.root);
	cr_assert_eq(mkdir(src, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	snprintf(in, sizeof(in), "%s/in", src);
	f = fopen(in, "w");
	cr_assert_not_null(f);
	fputs("volume data\n", f);
	fclose(f);
	m.source = src;

	/* Straight: the bind is there, read-only. */
	m.destination = "/local/vol";
	plugin_fixture_block_init(&b, "/bin/sh", args);
	cfg = task_config(&b);
	cfg.mounts = mounts;
	remove_logs();
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	out = log_of("stdout");
	destroy_ok(ctx, t);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_str_eq(out, "volume data\n");
	free(out);

	/* Through a symlink planted in local/: refused, nothing lands outside. */
	snprintf(link, sizeof(link), "%s/local/evil", fx.dirs.task_dir);
	cr_assert_eq(symlink(outside, link), 0);
	m.destination = "/local/evil/vol";
	cfg = task_config(&b);
	cfg.mounts = mounts;
	remove_logs();
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	err_text = log_of("stderr");
	destroy_ok(ctx, t);
	cr_assert_eq(res.exit_code, 127);
	cr_assert(err_text && strstr(err_text, "cannot create the mount point \"local/evil/vol\""),
	          "stderr: %s", err_text ? err_text : "");
	snprintf(link, sizeof(link), "%s/vol", outside);
	cr_assert_neq(access(link, F_OK), 0, "the mount point was made outside the root");
	free(err_text);

	/* ".." and propagation other than private are refused at start. */
	m.destination = "/local/../../etc";
	cfg = task_config(&b);
	cfg.mounts = mounts;
	expect_start_refused_cfg(ctx, &cfg, "without \"..\"");
	m.destination = "/srv";
	m.propagation = "bidirectional";
	cfg = task_config(&b);
	cfg.mounts = mounts;
	expect_start_refused_cfg(ctx, &cfg, "PropagationMode \"bidirectional\" is not supported");
	fx.drv->fini(ctx);
}

/* Group network mode (ABI 1.3): the task joins the namespace at netns_path
 * before its other namespaces; without a path the mode cannot be honoured.
 * The namespace is a child's (unshare --net), so nothing of the machine's
 * network or /run/netns is touched. */
Test(exec, task_joins_the_network_namespace_it_is_given)
{
	const char *args[] = { "-c", "readlink /proc/self/ns/net", NULL };
	char path[64], want[64];
	ssize_t n;
	drover_network net;
	drover_task_config cfg;
	drover_task *t;
	drover_exit_result res;
	task_block b;
	void *ctx;
	char *out;
	pid_t holder;
	int i;

	drover_test_require_exec();
	holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		execlp("unshare", "unshare", "--net", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	/* unshare execs sleep once its namespace exists. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)holder);
	for (i = 0; i < 100; i++) {
		char exe[64], target[256];
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)holder);
		n = readlink(exe, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strstr(target, "sleep")))
			break;
		usleep(20000);
	}
	/* Before its exec, the holder is still in the test's own namespace: a
	 * comparison with that would prove nothing. */
	cr_assert_lt(i, 100, "unshare --net did not exec sleep within 2 s");
	n = readlink(path, want, sizeof(want) - 1);
	cr_assert_gt(n, 0);
	want[n] = '\0';

	ctx = instance();
	plugin_fixture_block_init(&b, "/bin/sh", args);
	memset(&net, 0, sizeof(net));
	net.struct_size = sizeof(net);
	net.mode = "bridge";
	cfg = task_config(&b);
	cfg.network = &net;
	expect_start_refused_cfg(ctx, &cfg, "network mode \"bridge\" needs the allocation's network namespace");

	net.netns_path = path;
	remove_logs();
	t = start_ok(ctx, &cfg, NULL);
	res = wait_blocking(ctx, t);
	out = log_of("stdout");
	cr_assert_eq(res.exit_code, 0, "exit %d", res.exit_code);
	cr_assert_not_null(out);
	expect_line(out, want);
	free(out);
	destroy_ok(ctx, t);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	fx.drv->fini(ctx);
}
