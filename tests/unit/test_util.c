#include <errno.h>

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

Test(util, signal_names_both_ways)
{
	cr_assert_eq(drover_signal_from_name("SIGINT"), SIGINT);
	cr_assert_eq(drover_signal_from_name("term"), SIGTERM);
	cr_assert_eq(drover_signal_from_name("SIGUSR1"), SIGUSR1);
	cr_assert_eq(drover_signal_from_name("SIGNOPE"), 0);
	cr_assert_eq(drover_signal_from_name(""), 0);
	cr_assert_str_eq(drover_signal_name(SIGKILL), "SIGKILL");
}

Test(util, uuid_v4_format_and_uniqueness)
{
	char a[37], b[37];
	cr_assert_eq(drover_uuid_v4(a, sizeof(a)), 0);
	cr_assert_eq(drover_uuid_v4(b, sizeof(b)), 0);
	cr_assert_eq(strlen(a), 36);
	cr_assert(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
	cr_assert_eq(a[14], '4', "version nibble: %s", a);
	cr_assert(strchr("89ab", a[19]), "variant nibble: %s", a);
	cr_assert_str_neq(a, b);
	char small[10];
	cr_assert_eq(drover_uuid_v4(small, sizeof(small)), -EINVAL);
}

Test(util, env_set_replaces_and_appends)
{
	drover_strv env = {0};
	cr_assert_eq(drover_env_set(&env, strdup("A=1")), 0);
	cr_assert_eq(drover_env_set(&env, strdup("AB=2")), 0);
	cr_assert_eq(drover_env_set(&env, strdup("A=3")), 0);
	cr_assert_eq(env.count, 2);
	cr_assert_str_eq(drover_env_get(&env, "A"), "3");
	cr_assert_str_eq(drover_env_get(&env, "AB"), "2");
	cr_assert_null(drover_env_get(&env, "B"));
	cr_assert_null(env.items[env.count]);
	drover_strv_clear(&env);
}

Test(util, mkdir_p_creates_levels_and_refuses_a_file)
{
	char root[] = "/tmp/drover-util-XXXXXX";
	cr_assert(mkdtemp(root));
	char path[128];
	snprintf(path, sizeof(path), "%s/a/b/c", root);
	cr_assert_eq(drover_mkdir_p(path, 0755), 0);
	struct stat st;
	cr_assert(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	cr_assert_eq(drover_mkdir_p(path, 0755), 0, "existing directories are fine");
	char file[128];
	snprintf(file, sizeof(file), "%s/f", root);
	FILE *f = fopen(file, "w");
	cr_assert(f);
	fclose(f);
	cr_assert_eq(drover_mkdir_p(file, 0755), -ENOTDIR);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}
