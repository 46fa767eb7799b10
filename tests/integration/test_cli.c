/* The `drover` binary end to end: real plugins from the plugin directory, real
 * processes under drover-shim, real files in a temporary data dir. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <drover/driver.h>

#include "cli_harness.h"
#include "tests/test_support.h"
#include "tests/test_wait.h"

#define DEADLINE_MS 30000
#define NO_RESTART "\"RestartPolicy\": {\"Attempts\": 0}"

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

/* A one-task raw_exec job running `sh -c SCRIPT`, with extra task keys. */
static char *write_job(const char *name, const char *script, const char *extra_task_keys,
                       int count)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Name\": \"%s\", \"Type\": \"batch\",\n"
	                   " \"Meta\": {\"owner\": \"team-a\"},\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\", \"Count\": %d, \"Tasks\": [{\n"
	                   "   \"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
	                   "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}%s%s\n"
	                   " }]}]}}\n",
	                   name, name, count, script, extra_task_keys ? ",\n   " : "",
	                   extra_task_keys ? extra_task_keys : "") > 0);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

/* Every allocation directory created under the data dir. */
static size_t list_allocs(char ids[][256], size_t max)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/alloc", env.data_dir);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.')
			snprintf(ids[n++], 256, "%s", e->d_name);
	closedir(d);
	return n;
}

static char *task_log(const char *alloc_id, const char *stream)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/alloc/%s/alloc/logs/t.%s.0", env.data_dir, alloc_id, stream);
	return cli_slurp(path);
}

Test(cli, plugins_lists_raw_exec_with_abi_and_health)
{
	cli_result r;
	const char *argv[] = {"plugins", "-plugin-dir", plugin_dir(), "-config", env.config_enabled, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "raw_exec"), "stdout: %s", r.out);
	char abi[32];
	snprintf(abi, sizeof(abi), " %d.%d ", DROVER_ABI_MAJOR, DROVER_ABI_MINOR);
	cr_assert(strstr(r.out, abi), "ABI%snot shown: %s", abi, r.out);
	cr_assert(strstr(r.out, "healthy"), "stdout: %s", r.out);
	cr_assert(strstr(r.out, "/raw_exec.so"), "path not shown: %s", r.out);
	cli_result_clear(&r);

	const char *argv2[] = {"--plugins-typo", NULL};
	cli_run(&r, DEADLINE_MS, argv2);
	cr_assert_eq(r.exit_code, 2, "an unknown command is a usage error");
	cli_result_clear(&r);
}

Test(cli, plugins_json_carries_schemas_and_undetected_when_disabled)
{
	cli_result r;
	const char *argv[] = {"plugins", "--json", "--plugin-dir", plugin_dir(), NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "\"name\": \"raw_exec\""), "stdout: %s", r.out);
	cr_assert(strstr(r.out, "\"health\": \"undetected\""), "raw_exec is disabled by default: %s", r.out);
	cr_assert(strstr(r.out, "\"enabled\""), "plugin schema missing: %s", r.out);
	cr_assert(strstr(r.out, "\"command\""), "task schema missing: %s", r.out);
	cli_result_clear(&r);
}

Test(cli, fingerprint_reports_driver_attribute_only_when_enabled)
{
	cli_result r;
	const char *on[] = {"fingerprint", "-plugin-dir", plugin_dir(), "-config", env.config_enabled, NULL};
	cli_run(&r, DEADLINE_MS, on);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "driver.raw_exec = 1\n"), "stdout: %s", r.out);
	cli_result_clear(&r);

	const char *off[] = {"fingerprint", "-plugin-dir", plugin_dir(), NULL};
	cli_run(&r, DEADLINE_MS, off);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	cr_assert_null(strstr(r.out, "driver.raw_exec"), "disabled driver reported: %s", r.out);
	cr_assert(strstr(r.err, "enabled"), "no hint on how to enable it: %s", r.err);
	cli_result_clear(&r);
}

Test(cli, every_subcommand_has_help)
{
	const char *commands[] = {"plugins", "fingerprint", "validate", "run"};
	for (size_t i = 0; i < 4; i++) {
		cli_result r;
		const char *argv[] = {commands[i], "-help", NULL};
		cli_run(&r, DEADLINE_MS, argv);
		cr_assert_eq(r.exit_code, 0, "%s -help: %s", commands[i], r.err);
		cr_assert(strstr(r.out, "Usage: drover"), "%s -help printed: %s", commands[i], r.out);
		cli_result_clear(&r);
	}
}

Test(cli, validate_accepts_a_good_job_and_names_bad_fields)
{
	char *good = write_job("good", "true", NULL, 1);
	cli_result r;
	const char *argv[] = {"validate", "-plugin-dir", plugin_dir(), good, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "Job validation successful"), "stdout: %s", r.out);
	cli_result_clear(&r);
	free(good);

	char *bad = cli_write_file(&env, "bad.json",
	                           "{\"ID\": \"web\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [\n"
	                           " {\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
	                           "  \"Config\": {\"commnd\": \"/bin/true\", \"args\": \"-x\"}}]}]}\n");
	const char *argv2[] = {"validate", "-plugin-dir", plugin_dir(), bad, NULL};
	cli_run(&r, DEADLINE_MS, argv2);
	cr_assert_eq(r.exit_code, 1, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, "job \"web\", group \"g\", task \"t\""), "location not named: %s", r.err);
	cr_assert(strstr(r.err, "\"commnd\""), "unknown key not named: %s", r.err);
	cr_assert(strstr(r.err, "\"command\""), "missing required field not named: %s", r.err);
	cr_assert(strstr(r.err, "args"), "wrong type not named: %s", r.err);
	cli_result_clear(&r);
	free(bad);

	char *broken = cli_write_file(&env, "broken.json", "{\"ID\": \"web\",\n  \"TaskGroups\": [}\n");
	const char *argv3[] = {"validate", "-plugin-dir", plugin_dir(), broken, NULL};
	cli_run(&r, DEADLINE_MS, argv3);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "broken.json:2:"), "line of the JSON error not given: %s", r.err);
	cli_result_clear(&r);
	free(broken);
}

Test(cli, run_reports_events_and_writes_logs)
{
	char *job = write_job("hello", "echo hello from $NOMAD_TASK_NAME; echo oops >&2", NULL, 1);
	cli_result r;
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "Received"), "stdout: %s", r.out);
	cr_assert(strstr(r.out, "Started"), "stdout: %s", r.out);
	cr_assert(strstr(r.out, "Terminated"), "stdout: %s", r.out);
	cr_assert(strstr(r.out, "Exit Code: 0, Signal: 0"), "stdout: %s", r.out);
	char ids[4][256];
	cr_assert_eq(list_allocs(ids, 4), 1);
	char *out = task_log(ids[0], "stdout");
	char *err = task_log(ids[0], "stderr");
	cr_assert(out && strcmp(out, "hello from t\n") == 0, "stdout log: %s", out ? out : "(none)");
	cr_assert(err && strcmp(err, "oops\n") == 0, "stderr log: %s", err ? err : "(none)");
	free(out);
	free(err);
	cli_result_clear(&r);
	free(job);
}

Test(cli, run_propagates_exit_code_and_signal)
{
	/* No restarts: the batch default would retry three times, 15 s apart. */
	char *job = write_job("fails", "exit 3", NO_RESTART, 1);
	cli_result r;
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "Exit Code: 3, Signal: 0"), "stdout: %s", r.out);
	cr_assert(strstr(r.out, "Not Restarting  Policy allows no restarts"), "stdout: %s", r.out);
	cli_result_clear(&r);
	free(job);

	job = write_job("killed", "kill -USR1 $$", NO_RESTART, 1);
	const char *argv2[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                       "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv2);
	cr_assert_eq(r.exit_code, 1, "stdout: %s stderr: %s", r.out, r.err);
	char expect[64];
	snprintf(expect, sizeof(expect), "Signal: %d", SIGUSR1);
	cr_assert(strstr(r.out, expect), "stdout: %s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(cli, run_refuses_disabled_raw_exec_and_starts_nothing)
{
	char *job = write_job("nope", "true", NULL, 1);
	cli_result r;
	const char *argv[] = {"run", "-config", env.config_disabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, "\"enabled\": true"), "no advice on enabling raw_exec: %s", r.err);
	cr_assert_null(strstr(r.out, "Started"), "something started: %s", r.out);
	char ids[4][256];
	cr_assert_eq(list_allocs(ids, 4), 0, "an allocation directory was created");
	cli_result_clear(&r);
	free(job);
}

Test(cli, run_honours_count_and_sets_the_task_environment)
{
	char *job = write_job("envjob", "env | sort",
	                      "\"Env\": {\"GREETING\": \"hi there\"}, \"Meta\": {\"tier\": \"web\"},\n"
	                      "   \"Resources\": {\"CPU\": 250, \"MemoryMB\": 64}",
	                      2);
	cli_result r;
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	char ids[4][256];
	cr_assert_eq(list_allocs(ids, 4), 2, "Count 2 must give two allocations");
	int seen_index[2] = {0, 0};
	for (int i = 0; i < 2; i++) {
		char *out = task_log(ids[i], "stdout");
		cr_assert(out, "no stdout log for %s", ids[i]);
		char line[4096];
		snprintf(line, sizeof(line), "NOMAD_ALLOC_ID=%s\n", ids[i]);
		cr_assert(strstr(out, line), "%s missing in: %s", line, out);
		snprintf(line, sizeof(line), "NOMAD_ALLOC_DIR=%s/alloc/%s/alloc\n", env.data_dir, ids[i]);
		cr_assert(strstr(out, line), "%s missing in: %s", line, out);
		snprintf(line, sizeof(line), "NOMAD_TASK_DIR=%s/alloc/%s/t/local\n", env.data_dir, ids[i]);
		cr_assert(strstr(out, line), "%s missing in: %s", line, out);
		snprintf(line, sizeof(line), "NOMAD_SECRETS_DIR=%s/alloc/%s/t/secrets\n", env.data_dir, ids[i]);
		cr_assert(strstr(out, line), "%s missing in: %s", line, out);
		const char *expected[] = {
			"GREETING=hi there\n", "NOMAD_TASK_NAME=t\n", "NOMAD_GROUP_NAME=g\n",
			"NOMAD_JOB_ID=envjob\n", "NOMAD_JOB_NAME=envjob\n", "NOMAD_MEMORY_LIMIT=64\n",
			"NOMAD_CPU_LIMIT=250\n", "NOMAD_META_tier=web\n", "NOMAD_META_TIER=web\n",
			"NOMAD_META_owner=team-a\n",
		};
		for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++)
			cr_assert(strstr(out, expected[k]), "%s missing in: %s", expected[k], out);
		if (strstr(out, "NOMAD_ALLOC_INDEX=0\n"))
			seen_index[0]++;
		if (strstr(out, "NOMAD_ALLOC_INDEX=1\n"))
			seen_index[1]++;
		cr_assert(strstr(out, "NOMAD_ALLOC_NAME=envjob.g["), "alloc name missing: %s", out);
		free(out);
	}
	cr_assert(seen_index[0] == 1 && seen_index[1] == 1, "alloc indexes 0 and 1 expected");
	cli_result_clear(&r);
	free(job);
}

/* Ctrl-C / SIGTERM: the task ignores SIGINT, so it must be SIGKILLed at its
 * KillTimeout, and its grandchild must not survive. */
Test(cli, sigterm_stops_tasks_gracefully_then_kills)
{
	char pidfile[400];
	snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid", env.root);
	char script[600];
	snprintf(script, sizeof(script),
	         "trap '' INT; sleep 1000 & echo $! > %s; echo ready; while true; do sleep 1; done",
	         pidfile);
	char *job = write_job("stubborn", script, "\"KillTimeout\": 500000000", 1);
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	int out_fd;
	pid_t pid = cli_spawn(argv, &out_fd);
	char *seen = cli_read_until(out_fd, "Started", DEADLINE_MS);
	cr_assert(seen, "the task never started");
	free(seen);
	char ids[4][256];
	cr_assert_eq(list_allocs(ids, 4), 1);
	/* Wait for the real event: the task wrote "ready" after the grandchild's pid. */
	char logpath[4096];
	snprintf(logpath, sizeof(logpath), "%s/alloc/%s/alloc/logs/t.stdout.0", env.data_dir, ids[0]);
	char *log = NULL;
	for (int i = 0; i < 3000 && !(log && strstr(log, "ready")); i++) {
		free(log);
		usleep(10000);
		log = cli_slurp(logpath);
	}
	cr_assert(log && strstr(log, "ready"), "task never became ready");
	free(log);
	char *gpid_text = cli_slurp(pidfile);
	cr_assert(gpid_text);
	pid_t grandchild = (pid_t)atoi(gpid_text);
	free(gpid_text);
	cr_assert(cli_pid_alive(grandchild));

	kill(pid, SIGTERM);
	int status = cli_wait(pid, DEADLINE_MS);
	cr_assert_neq(status, -1, "drover did not exit after SIGTERM");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "a killed task is a failure");
	char *rest = cli_read_until(out_fd, "Signal: 9", 5000);
	cr_assert(rest, "the task was not SIGKILLed at its kill timeout");
	free(rest);
	close(out_fd);
	for (int i = 0; i < 500 && cli_pid_alive(grandchild); i++)
		usleep(10000);
	cr_assert(!cli_pid_alive(grandchild), "the grandchild survived the stop");
	free(job);
}

static int log_says_ready(void *path)
{
	char *log = cli_slurp(path);
	int ok = log && strstr(log, "ready");
	free(log);
	return ok;
}

/* KillTimeout 9223372036854775807 ns on a task that ignores INT and TERM: with
 * no cap the stop waited forever. client.max_kill_timeout (1s here; Nomad's
 * default is 30s) bounds it, and the task is SIGKILLed at the cap. */
Test(cli, kill_timeout_is_capped_by_max_kill_timeout)
{
	char *cfg = cli_write_file(&env, "agent-capped.json",
	                           "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},\n"
	                           " \"client\": {\"max_kill_timeout\": \"1s\"}}\n");
	char *job = write_job("unstoppable", "trap '' INT TERM; echo ready; while true; do sleep 1; done",
	                      "\"KillTimeout\": 9223372036854775807", 1);
	const char *argv[] = {"run", "-config", cfg, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	int out_fd;
	pid_t pid = cli_spawn(argv, &out_fd);
	char *seen = cli_read_until(out_fd, "Started", DEADLINE_MS);
	cr_assert(seen, "the task never started");
	free(seen);
	char ids[4][256];
	cr_assert_eq(list_allocs(ids, 4), 1);
	char logpath[4096];
	snprintf(logpath, sizeof(logpath), "%s/alloc/%s/alloc/logs/t.stdout.0", env.data_dir, ids[0]);
	char logdir[4096];
	snprintf(logdir, sizeof(logdir), "%s/alloc/%s/alloc/logs", env.data_dir, ids[0]);
	cr_assert(test_wait_in_dir(logdir, log_says_ready, logpath, DEADLINE_MS), "task never became ready");
	long long t0 = test_wait_now_ms();
	kill(pid, SIGTERM);
	int status = cli_wait(pid, DEADLINE_MS);
	cr_assert_neq(status, -1, "drover did not exit: the KillTimeout was not capped");
	long long took = test_wait_now_ms() - t0;
	cr_assert_lt(took, 15000, "the stop took %lld ms for a 1s cap", took);
	char *rest = cli_read_until(out_fd, "Signal: 9", 5000);
	cr_assert(rest, "the task was not SIGKILLed at the capped kill timeout");
	cr_assert(strstr(rest, "Waiting 1000ms"), "the Killing event says the capped timeout: %s", rest);
	free(rest);
	close(out_fd);
	free(job);
	free(cfg);
}

/* A 200 KB Meta value referenced ten times in args: refused by validate and
 * by run before anything starts, naming the argument. */
Test(cli, validate_and_run_refuse_a_task_too_large_once_interpolated)
{
	size_t big_len = 200 * 1024;
	char *big = malloc(big_len + 1);
	memset(big, 'x', big_len);
	big[big_len] = '\0';
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"ID\": \"amp\", \"Meta\": {\"big\": \"%s\"}, \"TaskGroups\": [{\"Name\": \"g\", "
	                   "\"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\", \"Config\": {\"command\": "
	                   "\"/bin/true\", \"args\": [\"${meta.big}\", \"${meta.big}\", \"${meta.big}\", "
	                   "\"${meta.big}\", \"${meta.big}\", \"${meta.big}\"]}}]}]}\n",
	                   big) > 0);
	char *job = cli_write_file(&env, "amp.json", text);
	free(text);
	free(big);
	cli_result r;
	const char *argv[] = {"validate", "-plugin-dir", plugin_dir(), job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1, "stdout: %s", r.out);
	cr_assert(strstr(r.err, "job \"amp\", group \"g\", task \"t\": \"Config.args[5]\": the task's Config and Env grow past the limit"),
	          "stderr: %.600s", r.err);
	cli_result_clear(&r);
	const char *run[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                     "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, run);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "\"Config.args[5]\""), "stderr: %.600s", r.err);
	cr_assert(strstr(r.err, "nothing was started"), "stderr: %.600s", r.err);
	char ids[4][256];
	cr_assert_eq(list_allocs(ids, 4), 0, "an allocation was created");
	cli_result_clear(&r);
	free(job);
}

/* 40,000 error lines took 48 s under ASan; now at most 100 are printed. */
Test(cli, validate_prints_at_most_100_errors_then_how_many_more)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fputs("{\"ID\": \"many\", \"TaskGroups\": [", f);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%s{\"Name\": \"g%d\", \"Tasks\": [{\"Name\": \"t\"}]}", i ? ", " : "", i);
	fputs("]}\n", f);
	fclose(f);
	char *job = cli_write_file(&env, "many.json", text);
	free(text);
	cli_result r;
	const char *argv[] = {"validate", "-plugin-dir", plugin_dir(), job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1);
	size_t lines = 0;
	for (const char *p = r.err; *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, 101, "%zu lines: %.300s", lines, r.err);
	cr_assert(strstr(r.err, "and 2900 more errors"), "%s", r.err + strlen(r.err) - 200);
	cli_result_clear(&r);
	free(job);
}

/* A plugin directory holding raw_exec and, next to it, plugins that crash or
 * hang in init: a command loads only the drivers it uses, so run, validate,
 * status and stop of a raw_exec job neither wait for nor mention the broken
 * ones (a probe of the hanging one alone would take the 5 s default and be
 * reported), while `drover plugins` still loads, and reports, every file. */
static char *mixed_plugin_dir(void)
{
	char *dir = NULL;
	cr_assert(asprintf(&dir, "%s/plugins-mixed", env.root) > 0);
	cr_assert(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
	static const char *const links[][2] = {
		{FIXTURE_LIBS_DIR "/crash_in_init.so", "a_crash.so"},
		{FIXTURE_LIBS_DIR "/hang_in_init.so", "b_hang.so"},
	};
	char path[600], target[600];
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, links[i][1]);
		cr_assert(symlink(links[i][0], path) == 0, "symlink %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/raw_exec.so", dir);
	snprintf(target, sizeof(target), "%s/raw_exec.so", plugin_dir());
	cr_assert(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
	return dir;
}

static void assert_no_broken_plugin(const cli_result *r, const char *what)
{
	const char *const names[] = {"a_crash", "b_hang", "crash_in_init", "hang_in_init"};
	for (size_t i = 0; i < 4; i++) {
		cr_assert(!strstr(r->out, names[i]), "%s mentions %s: %s", what, names[i], r->out);
		cr_assert(!strstr(r->err, names[i]), "%s mentions %s: %s", what, names[i], r->err);
	}
}

Test(cli, commands_load_only_the_drivers_they_use)
{
	char *dir = mixed_plugin_dir();
	char *job = write_job("only-raw", "exit 0", NULL, 1);
	cli_result r;

	const char *validate[] = {"validate", "-config", env.config_enabled, "-plugin-dir", dir, job, NULL};
	cli_run(&r, DEADLINE_MS, validate);
	cr_assert_eq(r.exit_code, 0, "validate: stdout: %s stderr: %s", r.out, r.err);
	assert_no_broken_plugin(&r, "validate");
	cli_result_clear(&r);

	const char *run[] = {"run", "-config", env.config_enabled, "-plugin-dir", dir,
	                     "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, run);
	cr_assert_eq(r.exit_code, 0, "run: stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "Exit Code: 0, Signal: 0"), "run: %s", r.out);
	assert_no_broken_plugin(&r, "run");
	cli_result_clear(&r);

	/* A running detached task: status shows it, stop loads raw_exec only. */
	char *sleeper = write_job("only-raw-sleep", "sleep 60", NO_RESTART, 1);
	const char *detach[] = {"run", "-detach", "-config", env.config_enabled, "-plugin-dir", dir,
	                        "-data-dir", env.data_dir, sleeper, NULL};
	cli_run(&r, DEADLINE_MS, detach);
	cr_assert_eq(r.exit_code, 0, "run -detach: stdout: %s stderr: %s", r.out, r.err);
	assert_no_broken_plugin(&r, "run -detach");
	const char *p = strstr(r.out, "==> Allocation \"");
	cr_assert(p, "no allocation printed: %s", r.out);
	char id[64];
	snprintf(id, sizeof(id), "%.36s", p + strlen("==> Allocation \""));
	cli_result_clear(&r);

	const char *status[] = {"status", "-config", env.config_enabled, "-plugin-dir", dir,
	                        "-data-dir", env.data_dir, NULL};
	cli_run(&r, DEADLINE_MS, status);
	cr_assert_eq(r.exit_code, 0, "status: stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "only-raw-sleep") && strstr(r.out, "running"), "status: %s", r.out);
	assert_no_broken_plugin(&r, "status");
	cli_result_clear(&r);

	const char *status_one[] = {"status", "-config", env.config_enabled, "-plugin-dir", dir,
	                            "-data-dir", env.data_dir, id, NULL};
	cli_run(&r, DEADLINE_MS, status_one);
	cr_assert_eq(r.exit_code, 0, "status ID: stdout: %s stderr: %s", r.out, r.err);
	assert_no_broken_plugin(&r, "status ID");
	cli_result_clear(&r);

	const char *stop[] = {"stop", "-config", env.config_enabled, "-plugin-dir", dir,
	                      "-data-dir", env.data_dir, id, NULL};
	cli_run(&r, DEADLINE_MS, stop);
	cr_assert_eq(r.exit_code, 0, "stop: stdout: %s stderr: %s", r.out, r.err);
	assert_no_broken_plugin(&r, "stop");
	cli_result_clear(&r);

	/* plugins loads every file: both refusals are reported, raw_exec listed. */
	setenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS", "500", 1);
	const char *plugins[] = {"plugins", "-config", env.config_enabled, "-plugin-dir", dir, NULL};
	cli_run(&r, DEADLINE_MS, plugins);
	unsetenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS");
	cr_assert(strstr(r.out, "raw_exec"), "plugins: stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, "a_crash.so") && strstr(r.err, "crashed with SIGSEGV while loading (in init)"),
	          "plugins: stderr: %s", r.err);
	cr_assert(strstr(r.err, "b_hang.so") && strstr(r.err, "hung in init"), "plugins: stderr: %s", r.err);
	cli_result_clear(&r);
	free(sleeper);
	free(job);
	free(dir);
}
