/* plugin_resolve_beneath, the resolver every bind source from a directory a
 * task can write goes through (docker volumes and mounts today): what it
 * refuses, what it hands back, and that it creates nothing through a link. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "plugin_resolve.h"

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
