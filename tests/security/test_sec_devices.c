/* The devices cgroup of an exec task, on its own (no seccomp filter in the
 * way): a process in it cannot make the device nodes of attack 4 (the
 * hardware RNG c 10:183, the disk b 254:0) while /dev/null still works, and
 * a process outside it, with the same capabilities, can. Both the
 * hierarchy this host uses for tasks (v1 devices controller or v2) and, where
 * one is mounted, the v2 device program (a hybrid host's unified mount).
 * Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "plugin_cgroup.h"
#include "test_support.h"

typedef struct outcome {
	int rng_errno;  /* 0: mknod c 10 183 worked */
	int disk_errno; /* 0: mknod b 254 0 worked */
	int null_ok;    /* /dev/null opened and written */
} outcome;

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/drover-test-devices.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(devices, .init = setup, .fini = teardown, .timeout = 60);

static int join(const char *dir)
{
	char path[PATH_MAX + 32], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	n = write(fd, pid, (size_t)n) == n ? 0 : -1;
	close(fd);
	return n;
}

/* Runs the attack in a child that first joins every directory of `cg`
 * (none when cg is NULL). */
static outcome attack(const plugin_cgroup *cg)
{
	char rng[128], disk[128];
	outcome o;
	int p[2], st;
	pid_t pid;

	snprintf(rng, sizeof(rng), "%s/rng", tmpdir);
	snprintf(disk, sizeof(disk), "%s/disk", tmpdir);
	unlink(rng);
	unlink(disk);
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		outcome c = { 0, 0, 0 };
		int fd;
		close(p[0]);
		for (size_t i = 0; cg && i < cg->n; i++)
			if (join(cg->dirs[i].path) < 0)
				_exit(2);
		c.rng_errno = mknod(rng, S_IFCHR | 0666, makedev(10, 183)) < 0 ? errno : 0;
		c.disk_errno = mknod(disk, S_IFBLK | 0600, makedev(254, 0)) < 0 ? errno : 0;
		fd = open("/dev/null", O_WRONLY);
		c.null_ok = fd >= 0 && write(fd, "x", 1) == 1;
		if (write(p[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &o, sizeof(o)), (ssize_t)sizeof(o), "the child could not join "
	             "the cgroup");
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	unlink(rng);
	unlink(disk);
	return o;
}

static void check_refused(plugin_cgroup *cg, const char *what)
{
	drover_err err = { "" };
	outcome o;

	cr_assert_eq(plugin_cgroup_plan_devices(cg, &err), 0, "%s", err.message);
	cr_assert(cg->devices, "%s: no device list was planned", what);
	cr_assert_eq(plugin_cgroup_create(cg, 0, 0, 0, 0, &err), 0, "%s: %s", what, err.message);
	o = attack(cg);
	plugin_cgroup_remove(cg, NULL);
	plugin_cgroup_free(cg);
	cr_expect_eq(o.rng_errno, EPERM, "%s: mknod c 10 183: %s", what, strerror(o.rng_errno));
	cr_expect_eq(o.disk_errno, EPERM, "%s: mknod b 254 0: %s", what, strerror(o.disk_errno));
	cr_expect(o.null_ok, "%s: /dev/null is not usable in the task's cgroup", what);
}

Test(devices, outside_the_cgroup_root_can_make_the_nodes)
{
	outcome o;

	drover_test_require(geteuid() == 0, "mknod needs root");
	o = attack(NULL);
	/* The control: what refuses below is the cgroup, not the filesystem. */
	cr_assert_eq(o.rng_errno, 0, "mknod c 10 183: %s", strerror(o.rng_errno));
	cr_assert_eq(o.disk_errno, 0, "mknod b 254 0: %s", strerror(o.disk_errno));
}

Test(devices, the_task_cgroup_of_this_host_refuses_mknod_and_keeps_dev_null)
{
	plugin_cgroup cg;
	drover_err err = { "" };
	char task[32];

	drover_test_require(geteuid() == 0, "cgroups need root");
	unsetenv(PLUGIN_CGROUP_ROOT_ENV);
	snprintf(task, sizeof(task), "dev%d", (int)getpid());
	cr_assert_eq(plugin_cgroup_plan(&cg, "sec-devices", task, NULL, NULL, &err), 0, "%s",
	             err.message);
	drover_test_require(cg.version != 0, "no cgroup hierarchy is mounted");
	if (cg.version == 1) {
		struct stat st;
		drover_test_require(stat("/sys/fs/cgroup/devices/devices.list", &st) == 0,
		                    "the v1 devices controller is not mounted");
	}
	check_refused(&cg, cg.version == 2 ? "cgroup v2" : "cgroup v1 devices");
}

/* The unified hierarchy: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified
 * on a hybrid one. */
static const char *unified_root(void)
{
	static const char *const where[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL };
	struct stat st;
	char p[128];

	for (size_t i = 0; where[i]; i++) {
		snprintf(p, sizeof(p), "%s/cgroup.controllers", where[i]);
		if (stat(p, &st) == 0)
			return where[i];
	}
	return NULL;
}

Test(devices, the_v2_device_program_refuses_mknod_and_keeps_dev_null)
{
	const char *root = unified_root();
	plugin_cgroup cg;
	drover_err err = { "" };
	char task[32];

	drover_test_require(geteuid() == 0, "cgroups need root");
	drover_test_require(root, "no cgroup v2 hierarchy is mounted (neither pure nor hybrid)");
	setenv(PLUGIN_CGROUP_ROOT_ENV, root, 1);
	snprintf(task, sizeof(task), "bpf%d", (int)getpid());
	cr_assert_eq(plugin_cgroup_plan(&cg, "sec-devices", task, NULL, NULL, &err), 0, "%s",
	             err.message);
	cr_assert_eq(cg.version, 2);
	check_refused(&cg, "cgroup v2 device program");
	unsetenv(PLUGIN_CGROUP_ROOT_ENV);
}
