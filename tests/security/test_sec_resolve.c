/* plugin_resolve_beneath, the resolver every bind source from a directory a
 * task can write goes through (docker volumes and mounts today): what it
 * refuses, what it hands back, and that it creates nothing through a link. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "plugin_resolve.h"
#include "test_support.h"

static char base[PATH_MAX], outside[PATH_MAX];

static void mk(const char *rel)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	cr_assert_eq(symlink(target, p), 0, "symlink %s: %s", p, strerror(errno));
}

static void setup(void)
{
	char tmpl[] = "/tmp/drover-test-resolve.XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(base, sizeof(base), "%s/alloc", tmpl);
	snprintf(outside, sizeof(outside), "%s/outside", tmpl);
	cr_assert_eq(mkdir(base, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	mk("t");
	mk("t/local");
}

static void teardown(void)
{
	char cmd[PATH_MAX + 32];
	char *slash = strrchr(base, '/');
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(resolve, .init = setup, .fini = teardown);

Test(resolve, a_plain_directory_resolves_to_its_canonical_path_and_inode)
{
	plugin_resolved r = PLUGIN_RESOLVED_INIT;
	drover_err err = { "" };
	char want[PATH_MAX + 64], real[PATH_MAX];
	struct stat st;

	mk("t/local/data");
	cr_assert_eq(plugin_resolve_beneath(base, "t/./local//data", 0, "volumes[0]", &r, &err), 0,
	             "%s", err.message);
	cr_assert_not_null(realpath(base, real));
	snprintf(want, sizeof(want), "%s/t/local/data", real);
	cr_assert_str_eq(r.path, want);
	cr_assert_eq(stat(want, &st), 0);
	cr_assert(st.st_ino == r.st.st_ino && st.st_dev == r.st.st_dev);
	plugin_resolved_free(&r);
}

Test(resolve, a_symlink_swapped_in_for_a_directory_is_refused_naming_the_field)
{
	plugin_resolved r = PLUGIN_RESOLVED_INIT;
	drover_err err = { "" };

	/* What a container does between two runs: rmdir + ln -s /etc. */
	ln("/etc", "t/local/esc");
	cr_assert_eq(plugin_resolve_beneath(base, "t/local/esc", PLUGIN_RESOLVE_MKDIR,
	                                    "config \"volumes\"[0]", &r, &err),
	             -ELOOP);
	cr_assert(strstr(err.message, "config \"volumes\"[0]") && strstr(err.message, "symlink"),
	          "%s", err.message);
	cr_assert_eq(r.fd, -1);
	cr_assert_null(r.path);
}

Test(resolve, a_symlink_in_the_middle_or_relative_is_refused_too)
{
	plugin_resolved r = PLUGIN_RESOLVED_INIT;
	drover_err err = { "" };

	mk("t/local/real");
	ln("real", "t/local/rel");      /* stays beneath, still refused */
	ln(outside, "t/local/abs");
	cr_assert_eq(plugin_resolve_beneath(base, "t/local/rel", 0, "v", &r, &err), -ELOOP);
	cr_assert_eq(plugin_resolve_beneath(base, "t/local/abs/x", PLUGIN_RESOLVE_MKDIR, "v", &r,
	                                    &err),
	             -ELOOP);
	/* Nothing was created through the link. */
	char p[PATH_MAX + 8];
	struct stat st;
	snprintf(p, sizeof(p), "%s/x", outside);
	cr_assert_neq(stat(p, &st), 0);
}

Test(resolve, dotdot_is_refused_and_mkdir_creates_only_beneath)
{
	plugin_resolved r = PLUGIN_RESOLVED_INIT;
	drover_err err = { "" };
	char p[PATH_MAX + 64];
	struct stat st;

	cr_assert_eq(plugin_resolve_beneath(base, "t/../../outside", 0, "v", &r, &err), -EINVAL);
	cr_assert_eq(plugin_resolve_beneath(base, "t/local/new/deep", 0, "v", &r, &err), -ENOENT);
	cr_assert_eq(plugin_resolve_beneath(base, "t/local/new/deep", PLUGIN_RESOLVE_MKDIR, "v", &r,
	                                    &err),
	             0, "%s", err.message);
	snprintf(p, sizeof(p), "%s/t/local/new/deep", base);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	plugin_resolved_free(&r);
}

Test(resolve, a_fifo_is_not_a_bind_source)
{
	plugin_resolved r = PLUGIN_RESOLVED_INIT;
	drover_err err = { "" };
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/t/local/fifo", base);
	cr_assert_eq(mkfifo(p, 0600), 0);
	cr_assert_eq(plugin_resolve_beneath(base, "t/local/fifo", PLUGIN_RESOLVE_DIR_OR_FILE, "v",
	                                    &r, &err),
	             -EINVAL);
	cr_assert(strstr(err.message, "neither a directory nor a regular file"), "%s", err.message);
}

/* A scoped lookup through ".." is answered EAGAIN by the kernel whenever a
 * mount happened anywhere during the walk. A host starting tasks mounts all
 * the time (every exec task does), and CI once saw the exec driver take that
 * EAGAIN for "not there yet" and start a task whose work_dir led out of its
 * root. Here a child mounts and unmounts in a loop, in a mount namespace of
 * its own (the lock the kernel checks is global), while the lookup of a
 * link leading out must keep answering EXDEV. */
Test(resolve, a_scoped_lookup_through_dotdot_answers_while_the_host_mounts)
{
	volatile unsigned long *mounts;
	char mnt[PATH_MAX + 64];
	int dirfd, fd, i, status, raced = 0;
	pid_t churn;

	drover_test_require(geteuid() == 0, "mounting needs root");
	mounts = mmap(NULL, sizeof(*mounts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	              -1, 0);
	cr_assert_neq(mounts, MAP_FAILED);
	snprintf(mnt, sizeof(mnt), "%s/mnt", outside);
	cr_assert_eq(mkdir(mnt, 0755), 0);
	ln("../../../../../../../..", "t/local/up");
	churn = fork();
	cr_assert_geq(churn, 0);
	if (churn == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		for (;;) {
			if (mount("tmpfs", mnt, "tmpfs", 0, NULL) == 0 && umount(mnt) == 0)
				(*mounts)++;
		}
	}
	/* Until the churn is under way, or the child failed to start it. */
	for (i = 0; *mounts < 10 && i < 100000; i++) {
		cr_assert_eq(waitpid(churn, &status, WNOHANG), 0, "the mounting child exited");
		usleep(100);
	}
	dirfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dirfd, 0);
	for (i = 0; i < 20000; i++) {
		fd = plugin_openat2(dirfd, "t/local/up/etc", RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
		if (fd >= 0 || errno != EXDEV) {
			raced = fd >= 0 ? -1 : errno;
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	close(dirfd);
	kill(churn, SIGKILL);
	cr_assert_eq(waitpid(churn, &status, 0), churn);
	cr_assert(*mounts > 10, "the child mounted only %lu times", *mounts);
	cr_assert_eq(raced, 0, "lookup %d gave %s instead of EXDEV", i,
	             raced < 0 ? "a descriptor" : strerror(raced));
	munmap((void *)mounts, sizeof(*mounts));
}
