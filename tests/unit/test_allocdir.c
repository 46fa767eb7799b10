#include <errno.h>
#include <limits.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allocdir.h"

static char root[64];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/drover-allocdir-XXXXXX");
	cr_assert(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

static void assert_dir(const char *path, mode_t mode)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s missing", path);
	cr_assert(S_ISDIR(st.st_mode), "%s is not a directory", path);
	cr_assert_eq(st.st_mode & 07777, mode, "%s has mode %o", path, st.st_mode & 07777);
}

Test(allocdir, nomad_layout, .init = setup, .fini = teardown)
{
	char data[128];
	snprintf(data, sizeof(data), "%s/data/nested", root);
	drover_allocdir d = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_allocdir_create(data, "abc", &d, &err), 0, "%s", err.message);
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/alloc/abc", data);
	cr_assert_str_eq(d.alloc_dir, p);
	snprintf(p, sizeof(p), "%s/alloc/abc/alloc/logs", data);
	cr_assert_str_eq(d.log_dir, p);
	assert_dir(d.log_dir, 0755);
	snprintf(p, sizeof(p), "%s/tmp", d.shared_dir);
	assert_dir(p, 01777);
	snprintf(p, sizeof(p), "%s/data", d.shared_dir);
	assert_dir(p, 0777);

	/* The allocation dir is traversed by tasks of other uids, not listed. */
	assert_dir(d.alloc_dir, 0711);

	char *task_dir = NULL, *state_dir = NULL;
	cr_assert_eq(drover_allocdir_create_task(&d, "web", &task_dir, &state_dir, &err), 0, "%s",
	             err.message);
	/* The shim's files live in a private tree outside everything a task sees. */
	char real[PATH_MAX];
	cr_assert(realpath(data, real));
	snprintf(p, sizeof(p), "%s/run", real);
	assert_dir(p, 0700);
	snprintf(p, sizeof(p), "%s/run/abc", real);
	assert_dir(p, 0700);
	cr_assert_str_eq(d.run_dir, p);
	snprintf(p, sizeof(p), "%s/run/abc/web", real);
	cr_assert_str_eq(state_dir, p);
	assert_dir(state_dir, 0700);
	free(state_dir);
	snprintf(p, sizeof(p), "%s/web/local", d.alloc_dir);
	assert_dir(p, 0777);
	snprintf(p, sizeof(p), "%s/web/secrets", d.alloc_dir);
	assert_dir(p, 0777);
	snprintf(p, sizeof(p), "%s/web/tmp", d.alloc_dir);
	assert_dir(p, 01777);
	free(task_dir);
	drover_allocdir_clear(&d);
}

Test(allocdir, a_file_in_the_way_is_reported, .init = setup, .fini = teardown)
{
	char data[128], blocker[160];
	snprintf(data, sizeof(data), "%s/data", root);
	snprintf(blocker, sizeof(blocker), "%s/alloc/abc", data);
	char dir[160];
	snprintf(dir, sizeof(dir), "%s/alloc", data);
	cr_assert_eq(mkdir(data, 0755), 0);
	cr_assert_eq(mkdir(dir, 0755), 0);
	FILE *f = fopen(blocker, "w");
	cr_assert(f);
	fclose(f);
	drover_allocdir d = {0};
	drover_err err = {{0}};
	cr_assert_lt(drover_allocdir_create(data, "abc", &d, &err), 0);
	cr_assert(strstr(err.message, blocker), "%s", err.message);
	cr_assert_null(d.alloc_dir);
}

Test(allocdir, run_dir_is_made_private_and_never_followed, .init = setup, .fini = teardown)
{
	char data[128], p[256], victim[160];
	snprintf(data, sizeof(data), "%s/data", root);
	drover_allocdir d = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_allocdir_create(data, "abc", &d, &err), 0, "%s", err.message);
	/* A run dir left with a wider mode is narrowed again. */
	snprintf(p, sizeof(p), "%s/run", data);
	cr_assert_eq(chmod(p, 0755), 0);
	/* A symbolic link in place of the task's state dir is refused, not followed. */
	snprintf(victim, sizeof(victim), "%s/victim", root);
	cr_assert_eq(mkdir(victim, 0755), 0);
	snprintf(p, sizeof(p), "%s/run/abc/web", data);
	cr_assert_eq(symlink(victim, p), 0);
	char *task_dir = NULL, *state_dir = NULL;
	cr_assert_lt(drover_allocdir_create_task(&d, "web", &task_dir, &state_dir, &err), 0);
	cr_assert(strstr(err.message, "run/abc/web"), "%s", err.message);
	cr_assert_null(state_dir);
	assert_dir(victim, 0755);
	snprintf(p, sizeof(p), "%s/run", data);
	assert_dir(p, 0700);
	drover_allocdir_clear(&d);
}

/* A task directory is 0777: a task (or any local user) may replace one of its
 * subdirectories with a link before the task is started again. The mode is
 * never set through the link (root would have made its target 0777). */
Test(allocdir, a_link_in_a_task_directory_is_never_followed, .init = setup, .fini = teardown)
{
	char data[128], p[PATH_MAX + 64], victim[160];
	struct stat st;
	snprintf(data, sizeof(data), "%s/data", root);
	drover_allocdir d = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_allocdir_create(data, "abc", &d, &err), 0, "%s", err.message);
	char *task_dir = NULL, *state_dir = NULL;
	cr_assert_eq(drover_allocdir_create_task(&d, "web", &task_dir, &state_dir, &err), 0, "%s",
	             err.message);
	free(state_dir);
	snprintf(victim, sizeof(victim), "%s/victim", root);
	cr_assert_eq(mkdir(victim, 0700), 0);
	snprintf(p, sizeof(p), "%s/local", task_dir);
	cr_assert_eq(rmdir(p), 0);
	cr_assert_eq(symlink(victim, p), 0);
	free(task_dir);
	task_dir = state_dir = NULL;
	cr_assert_lt(drover_allocdir_create_task(&d, "web", &task_dir, &state_dir, &err), 0);
	cr_assert(strstr(err.message, "web/local\" exists and is not a directory"), "%s",
	          err.message);
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "the link's target was chmod'ed to %o",
	             st.st_mode & 07777);
	drover_allocdir_clear(&d);
}
