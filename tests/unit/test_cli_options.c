#include <errno.h>

#include <criterion/criterion.h>
#include <string.h>

#include "cli_options.h"

Test(cli_options, single_and_double_dash_with_and_without_equals)
{
	const char *out = NULL;
	int json = 0;
	drover_flag flags[] = {{"out", &out, NULL, NULL}, {"json", NULL, &json, NULL}, {0}};
	drover_common_opts common = {0};
	drover_strv pos = {0};
	drover_err err = {{0}};
	char *argv[] = {"-config", "a.json", "job.json", "--plugin-dir=/p", "--json", "-out=x",
	                "--data-dir", "/d", NULL};
	cr_assert_eq(drover_flags_parse(flags, &common, 8, argv, &pos, &err), 0, "%s", err.message);
	cr_assert_str_eq(common.config_path, "a.json");
	cr_assert_str_eq(common.plugin_dir, "/p");
	cr_assert_str_eq(common.data_dir, "/d");
	cr_assert_str_eq(out, "x");
	cr_assert_eq(json, 1);
	cr_assert_eq(pos.count, 1);
	cr_assert_str_eq(pos.items[0], "job.json");
	drover_strv_clear(&pos);
}

Test(cli_options, double_dash_ends_flags)
{
	drover_common_opts common = {0};
	drover_strv pos = {0};
	drover_err err = {{0}};
	char *argv[] = {"alloc", "--", "-help", "x", NULL};
	cr_assert_eq(drover_flags_parse(NULL, &common, 4, argv, &pos, &err), 0);
	cr_assert_eq(common.help, 0);
	cr_assert_eq(pos.count, 3);
	cr_assert_str_eq(pos.items[1], "-help");
	drover_strv_clear(&pos);
}

Test(cli_options, unknown_flag_and_missing_value_are_named)
{
	drover_common_opts common = {0};
	drover_strv pos = {0};
	drover_err err = {{0}};
	char *argv1[] = {"-bogus", NULL};
	cr_assert_eq(drover_flags_parse(NULL, &common, 1, argv1, &pos, &err), -EINVAL);
	cr_assert(strstr(err.message, "-bogus"), "%s", err.message);
	char *argv2[] = {"-config", NULL};
	cr_assert_eq(drover_flags_parse(NULL, &common, 1, argv2, &pos, &err), -EINVAL);
	cr_assert(strstr(err.message, "-config") && strstr(err.message, "value"), "%s", err.message);
	char *argv3[] = {"-help=maybe", NULL};
	cr_assert_eq(drover_flags_parse(NULL, &common, 1, argv3, &pos, &err), -EINVAL);
	cr_assert(strstr(err.message, "maybe"), "%s", err.message);
	drover_strv_clear(&pos);
}
