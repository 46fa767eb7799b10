/* What a new operator meets first (issue 18): a build tree usable as it is,
 * logs as Nomad spells it, usage errors that say what was wrong, messages that
 * tell one mistake from another, and `drover plugins` that does not pass
 * silently over an empty or refused plugin directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <yajl/yajl_tree.h>

#include "cli_harness.h"
#include "tests/test_support.h"

#define DEADLINE_MS 60000

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(cli_operator, .init = setup, .fini = teardown, .timeout = 120);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

static void drover(cli_result *r, const char *cmd, const char *a1, const char *a2, const char *a3,
                   const char *a4)
{
	const char *argv[] = {cmd, "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, a1, a2, a3, a4, NULL};
	cli_run(r, DEADLINE_MS, argv);
}

static char *job_file(const char *name, const char *driver, const char *tasks_extra)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   "  \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},\n"
	                   "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"%s\",\n"
	                   "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"seq 1 5\"]}}%s]}]}}\n",
	                   name, driver, tasks_extra ? tasks_extra : "") > 0);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

static const char *first_line(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(s, "\n"), s);
	return buf;
}

/* Run from the build tree with none of DROVER_SHIM, DROVER_EXEC_INIT,
 * DROVER_DOCKER_LOGGER or -plugin-dir, drover finds its helpers and plugins
 * next to itself. */
Test(cli_operator, build_tree_drover_finds_its_helpers_and_plugins)
{
	drover_test_require(geteuid() == 0, "root (the exec driver)");
	unsetenv("DROVER_SHIM");
	unsetenv("DROVER_EXEC_INIT");
	unsetenv("DROVER_DOCKER_LOGGER");
	unsetenv("DROVER_PLUGIN_DIR");
	cli_result r;
	const char *plugins[] = {"plugins", NULL};
	cli_run(&r, DEADLINE_MS, plugins);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	const char *names[] = {"raw_exec", "exec", "docker"};
	for (size_t i = 0; i < 3; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s.so", plugin_dir(), names[i]);
		cr_assert(strstr(r.out, path), "%s not loaded from the build tree: %s", names[i], r.out);
	}
	const char *exec_line = strstr(r.out, "\nexec ");
	char line[512];
	cr_assert(exec_line, "%s", r.out);
	first_line(exec_line + 1, line, sizeof(line));
	cr_assert(strstr(line, " healthy "), "exec is not healthy from the build tree: %s", r.out);
	cli_result_clear(&r);

	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"tree\", \"Type\": \"batch\", \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   " \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"}, \"Tasks\": [\n"
	                   " {\"Name\": \"raw\", \"Driver\": \"raw_exec\", \"Config\": {\"command\": \"/bin/echo\", \"args\": [\"raw ok\"]}},\n"
	                   " {\"Name\": \"jail\", \"Driver\": \"exec\", \"Config\": {\"command\": \"/bin/echo\", \"args\": [\"exec ok\"]}}]}]}}\n") > 0);
	char *job = cli_write_file(&env, "tree.json", text);
	free(text);
	const char *run[] = {"run", "-config", env.config_enabled, "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, run);
	cr_assert_eq(r.exit_code, 0, "run from the build tree: %s %s", r.out, r.err);
	cr_assert_null(strstr(r.out, "Driver Failure"), "%s", r.out);
	cli_result_clear(&r);
	char path[600];
	glob_t g;
	snprintf(path, sizeof(path), "%s/alloc/*/alloc/logs/jail.stdout.0", env.data_dir);
	cr_assert_eq(glob(path, 0, NULL, &g), 0, "no exec log");
	char *out = cli_slurp(g.gl_pathv[0]);
	cr_assert(out && strcmp(out, "exec ok\n") == 0, "exec task output: %s", out ? out : "(none)");
	free(out);
	globfree(&g);
	free(job);
}

static const char *alloc_of(const char *job_id)
{
	static char id[40];
	cli_result r;
	drover(&r, "status", job_id, NULL, NULL, NULL);
	const char *row = strstr(r.out, "\nAllocations\n");
	cr_assert(row, "%s %s", r.out, r.err);
	row = strchr(row + 13, '\n') + 1;
	snprintf(id, sizeof(id), "%.8s", row);
	cli_result_clear(&r);
	return id;
}

Test(cli_operator, logs_picks_the_only_task_and_takes_nomads_tail_n)
{
	char *job = job_file("one", "raw_exec", NULL);
	cli_result r;
	drover(&r, "run", job, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	const char *id = alloc_of("one");
	drover(&r, "logs", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "logs ALLOC of a one-task allocation: %s", r.err);
	cr_assert_str_eq(r.out, "1\n2\n3\n4\n5\n");
	cli_result_clear(&r);
	drover(&r, "logs", "-tail", "-n", "2", id);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "4\n5\n");
	cli_result_clear(&r);
	drover(&r, "logs", "-tail", "3", id, "t");
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "3\n4\n5\n");
	cli_result_clear(&r);
	free(job);
}

Test(cli_operator, logs_of_several_tasks_and_usage_errors_say_what_was_wrong_first)
{
	char *job = job_file("two", "raw_exec",
	                     ", {\"Name\": \"u\", \"Driver\": \"raw_exec\", \"Config\": {\"command\": \"/bin/true\"}}");
	cli_result r;
	drover(&r, "run", job, NULL, NULL, NULL);
	cli_result_clear(&r);
	const char *id = alloc_of("two");
	char line[512];
	drover(&r, "logs", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1);
	first_line(r.err, line, sizeof(line));
	cr_assert(strstr(line, "has 2 tasks: name one") && strstr(line, " t, u"), "%s", r.err);
	cli_result_clear(&r);

	const char *cases[][3] = {
		{"logs", NULL, "missing the allocation id"},
		{"stop", NULL, "expected ALLOC"},
		{"wait", NULL, "expected one ALLOC"},
		{"signal", id, "expected ALLOC TASK SIGNAL"},
		{"exec", id, "expected ALLOC TASK -- CMD"},
		{"status", "a", "expected at most one"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = {cases[i][0], cases[i][1], cases[i][1] ? "b" : NULL, NULL};
		if (strcmp(cases[i][0], "status") == 0)
			argv[2] = "b";
		cli_run(&r, DEADLINE_MS, argv);
		cr_assert_eq(r.exit_code, 2, "%s", cases[i][0]);
		first_line(r.err, line, sizeof(line));
		cr_assert(strstr(line, cases[i][2]), "drover %s: the first line says what was wrong: %s",
		          cases[i][0], r.err);
		cr_assert(strstr(r.err, "Usage: drover"), "%s", r.err);
		cli_result_clear(&r);
	}
	free(job);
}

Test(cli_operator, help_command_prints_that_commands_help)
{
	const char *argv[] = {"help", "run", NULL};
	cli_result r;
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "Usage: drover run", 17) == 0, "%s", r.out);
	cli_result_clear(&r);
}

Test(cli_operator, missing_config_and_missing_job_file_are_told_apart)
{
	char *job = job_file("j", "raw_exec", NULL);
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/nope.json", env.root);
	const char *a[] = {"run", "-config", missing, "-plugin-dir", plugin_dir(), job, NULL};
	cli_result r;
	cli_run(&r, DEADLINE_MS, a);
	cr_assert_neq(r.exit_code, 0);
	cr_assert(strstr(r.err, "agent config (-config)"), "%s", r.err);
	cli_result_clear(&r);
	drover(&r, "run", missing, NULL, NULL, NULL);
	cr_assert_neq(r.exit_code, 0);
	cr_assert(strstr(r.err, "job file"), "%s", r.err);
	cr_assert_null(strstr(r.err, "agent config"), "%s", r.err);
	cli_result_clear(&r);
	free(job);
}

Test(cli_operator, hcl_job_file_gets_the_api_json_hint)
{
	char *hcl = cli_write_file(&env, "job.nomad.hcl", "job \"x\" {\n  group \"g\" {}\n}\n");
	cli_result r;
	drover(&r, "validate", hcl, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "Nomad's API JSON") && strstr(r.err, "nomad job run -output"), "%s", r.err);
	cli_result_clear(&r);
	free(hcl);
}

Test(cli_operator, mistyped_driver_lists_the_loaded_ones_and_suggests_the_closest)
{
	char *job = job_file("typo", "rawexec", NULL);
	cli_result r;
	drover(&r, "validate", job, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "docker, exec, raw_exec"), "%s", r.err);
	cr_assert(strstr(r.err, "did you mean \"raw_exec\"?"), "%s", r.err);
	cli_result_clear(&r);
	free(job);
}

Test(cli_operator, validate_warns_when_the_driver_cannot_run_here)
{
	char *job = job_file("off", "raw_exec", NULL);
	const char *argv[] = {"validate", "-config", env.config_disabled, "-plugin-dir", plugin_dir(),
	                      job, NULL};
	cli_result r;
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "the job itself is valid: %s", r.err);
	cr_assert(strstr(r.err, "warning") && strstr(r.err, "\"raw_exec\"") && strstr(r.err, "disabled"),
	          "%s", r.err);
	cli_result_clear(&r);
	free(job);
}

Test(cli_operator, plugins_fails_on_an_empty_or_refused_plugin_dir)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/plugins-empty", env.root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	const char *argv[] = {"plugins", "-plugin-dir", dir, NULL};
	cli_result r;
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1, "an empty plugin dir: %s %s", r.out, r.err);
	cr_assert(strstr(r.err, "no plugin (*.so)"), "%s", r.err);
	cli_result_clear(&r);
	char *bogus = NULL;
	cr_assert(asprintf(&bogus, "%s/plugins-empty/bogus.so", env.root) > 0);
	FILE *f = fopen(bogus, "w");
	cr_assert(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1, "every plugin refused: %s %s", r.out, r.err);
	cr_assert(strstr(r.err, "every plugin") && strstr(r.err, "refused"), "%s", r.err);
	cli_result_clear(&r);
	free(bogus);
}

/* Schema defaults are JSON values: "default": "5m", not "default": "\"5m\"". */
Test(cli_operator, plugins_json_defaults_are_json_values)
{
	cli_result r;
	drover(&r, "plugins", "-json", NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "\"default\": \"\\\""), "a default as JSON text: %s", r.out);
	char errbuf[256];
	yajl_val doc = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
	cr_assert(doc, "%s", errbuf);
	const char *pp[] = {"plugins", NULL};
	yajl_val plugins = yajl_tree_get(doc, pp, yajl_t_array);
	cr_assert(plugins);
	int bools = 0, strings = 0;
	for (size_t i = 0; i < plugins->u.array.len; i++) {
		const char *sp[] = {"plugin_config_schema", NULL};
		yajl_val schema = yajl_tree_get(plugins->u.array.values[i], sp, yajl_t_array);
		for (size_t k = 0; schema && k < schema->u.array.len; k++) {
			const char *dp[] = {"default", NULL};
			yajl_val d = yajl_tree_get(schema->u.array.values[k], dp, yajl_t_any);
			bools += d && (YAJL_IS_TRUE(d) || YAJL_IS_FALSE(d));
			strings += d && YAJL_IS_STRING(d);
			if (d && YAJL_IS_STRING(d))
				cr_assert(d->u.string[0] != '"', "%s", d->u.string);
		}
	}
	cr_assert(bools > 0 && strings > 0, "bools %d, strings %d: %s", bools, strings, r.out);
	yajl_tree_free(doc);
	cli_result_clear(&r);
}
