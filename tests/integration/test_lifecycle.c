/* Restart policy and task lifecycle through the real `drover run`: real
 * processes under drover-shim, ordering proven by files the tasks write in the
 * shared alloc/data directory. Delays are short (tens of ms) in the job files. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cli_harness.h"
#include "tests/test_support.h"

#define DEADLINE_MS 30000
#define MS 1000000LL /* durations in the job file are nanoseconds */

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(lifecycle, .init = setup, .fini = teardown, .timeout = 120);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

/* One raw_exec task running `sh -c SCRIPT` (no double quotes in SCRIPT), as a
 * JSON object; `extra` adds task keys. */
static char *task(const char *name, const char *script, const char *extra)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Name\": \"%s\", \"Driver\": \"raw_exec\",\n"
	                   "  \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}%s%s}",
	                   name, script, extra ? ", " : "", extra ? extra : "") > 0);
	return text;
}

/* A batch job with one group holding `tasks` (NULL-ended, freed here). */
static char *write_job(const char *name, const char *group_extra, char **tasks)
{
	size_t len = 1;
	for (char **t = tasks; *t; t++)
		len += strlen(*t) + 3;
	char *list = calloc(1, len);
	cr_assert(list);
	for (char **t = tasks; *t; t++) {
		if (t != tasks)
			strcat(list, ",\n ");
		strcat(list, *t);
		free(*t);
	}
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\"%s%s, \"Tasks\": [\n %s]}]}}\n",
	                   name, group_extra ? ", " : "", group_extra ? group_extra : "", list) > 0);
	free(list);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

static void run_job(cli_result *r, const char *job)
{
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(r, DEADLINE_MS, argv);
	cr_assert_not(r->timed_out, "drover run did not finish: %s", r->out);
}

/* <data dir>/alloc/<the one allocation>/alloc/data/<name>, malloc'd contents. */
static char *alloc_data(const char *name)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/alloc", env.data_dir);
	DIR *d = opendir(dir);
	cr_assert(d, "no allocation directory");
	struct dirent *e;
	char *text = NULL;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s/alloc/data/%s", dir, e->d_name, name);
			text = cli_slurp(path);
			break;
		}
	closedir(d);
	return text;
}

static size_t count_of(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The line of `events` with this task and event type, or NULL. */
static const char *event(const char *events, const char *task_name, const char *type)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "  %-12s  %-14s", task_name, type);
	return strstr(events, needle);
}

#define DATA "$NOMAD_ALLOC_DIR/data"

Test(lifecycle, failing_batch_task_is_restarted_after_its_delay_until_it_succeeds)
{
	char *tasks[] = {
		task("t",
		     "n=$(cat " DATA "/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > " DATA "/n;"
		     " date +%s%N >> " DATA "/times; [ $n -ge 3 ]",
		     NULL),
		NULL,
	};
	char group[256];
	snprintf(group, sizeof(group),
	         "\"RestartPolicy\": {\"Attempts\": 3, \"Interval\": %lld, \"Delay\": %lld, \"Mode\": \"fail\"}",
	         60000 * MS, 200 * MS);
	char *job = write_job("retry", group, tasks);
	cli_result r;
	run_job(&r, job);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert_eq(count_of(r.out, "Restarting      Task restarting in 2"), 2, "stdout: %s", r.out);
	cr_assert_eq(count_of(r.out, "Started"), 3, "stdout: %s", r.out);
	cr_assert_eq(count_of(r.out, "Exit Code: 1, Signal: 0"), 2, "stdout: %s", r.out);
	cr_assert(strstr(r.out, "Exit Code: 0, Signal: 0"), "stdout: %s", r.out);
	cr_assert_null(strstr(r.out, "Not Restarting"), "stdout: %s", r.out);
	char *n = alloc_data("n");
	cr_assert(n && strcmp(n, "3\n") == 0, "the task ran %s times", n ? n : "no");
	free(n);
	/* The delay is honoured: 200 ms plus at most 25% jitter between runs. */
	char *times = alloc_data("times");
	cr_assert(times);
	long long t[3];
	cr_assert_eq(sscanf(times, "%lld %lld %lld", &t[0], &t[1], &t[2]), 3, "%s", times);
	for (int i = 1; i < 3; i++) {
		long long gap_ms = (t[i] - t[i - 1]) / 1000000;
		cr_assert_geq(gap_ms, 200, "restarted after %lld ms", gap_ms);
		cr_assert_lt(gap_ms, 2000, "restarted after %lld ms", gap_ms);
	}
	free(times);
	cli_result_clear(&r);
	free(job);
}

Test(lifecycle, exhausted_attempts_in_mode_fail_fail_the_run)
{
	char *tasks[] = {task("t", "exit 7", "\"RestartPolicy\": {\"Attempts\": 1, \"Delay\": 50000000,"
	                                    " \"Interval\": 60000000000}"),
	                 NULL};
	char *job = write_job("exhausted", NULL, tasks);
	cli_result r;
	run_job(&r, job);
	cr_assert_eq(r.exit_code, 1, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert_eq(count_of(r.out, "Restarting      "), 1, "stdout: %s", r.out);
	cr_assert_eq(count_of(r.out, "Exit Code: 7, Signal: 0"), 2, "stdout: %s", r.out);
	cr_assert(strstr(r.out, "Not Restarting  Exceeded allowed attempts 1 in interval 1m0s and mode is \"fail\""),
	          "stdout: %s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(lifecycle, prestart_completes_before_the_main_task_starts)
{
	char *tasks[] = {
		task("main", "test -f " DATA "/ready || exit 9; echo main >> " DATA "/order",
		     "\"RestartPolicy\": {\"Attempts\": 0}"),
		task("setup", "sleep 0.3; echo ready > " DATA "/ready; echo setup >> " DATA "/order",
		     "\"Lifecycle\": {\"Hook\": \"prestart\"}"),
		NULL,
	};
	char *job = write_job("prestart", NULL, tasks);
	cli_result r;
	run_job(&r, job);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	char *order = alloc_data("order");
	cr_assert(order && strcmp(order, "setup\nmain\n") == 0, "order: %s", order ? order : "(none)");
	free(order);
	const char *setup_done = event(r.out, "setup", "Terminated");
	const char *main_started = event(r.out, "main", "Started");
	cr_assert(setup_done && main_started && setup_done < main_started, "stdout: %s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(lifecycle, failed_prestart_fails_the_allocation_and_main_never_starts)
{
	char *tasks[] = {
		task("main", "echo ran > " DATA "/main", NULL),
		task("setup", "exit 4", "\"Lifecycle\": {\"Hook\": \"prestart\"}, \"RestartPolicy\": {\"Attempts\": 0}"),
		task("cleanup", "echo cleaned > " DATA "/cleanup", "\"Lifecycle\": {\"Hook\": \"poststop\"}"),
		NULL,
	};
	char *job = write_job("badsetup", NULL, tasks);
	cli_result r;
	run_job(&r, job);
	cr_assert_eq(r.exit_code, 1, "stdout: %s stderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "Sibling Task Failed  Task's sibling \"setup\" failed"), "stdout: %s", r.out);
	cr_assert_null(event(r.out, "main", "Started"), "stdout: %s", r.out);
	char *ran = alloc_data("main");
	cr_assert_null(ran, "the main task ran");
	char *cleaned = alloc_data("cleanup");
	cr_assert(cleaned, "poststop did not run after the failure: %s", r.out);
	free(cleaned);
	cli_result_clear(&r);
	free(job);
}

Test(lifecycle, poststart_after_main_and_poststop_last)
{
	char *tasks[] = {
		task("post", "sleep 0.3; echo post >> " DATA "/order", "\"Lifecycle\": {\"Hook\": \"poststop\"}"),
		task("main", "echo main >> " DATA "/order; sleep 0.5; echo main-end >> " DATA "/order", NULL),
		task("after", "echo after >> " DATA "/order", "\"Lifecycle\": {\"Hook\": \"poststart\"}"),
		task("side", "echo side >> " DATA "/order; exec sleep 1000",
		     "\"Lifecycle\": {\"Hook\": \"prestart\", \"Sidecar\": true}, \"KillTimeout\": 2000000000"),
		task("pre", "echo pre >> " DATA "/order", "\"Lifecycle\": {\"Hook\": \"prestart\"}"),
		NULL,
	};
	char *job = write_job("order", NULL, tasks);
	cli_result r;
	run_job(&r, job);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	char *order = alloc_data("order");
	cr_assert(order, "no order file");
	/* pre and side race each other; everything else is ordered. */
	const char *main = strstr(order, "main\n"), *after = strstr(order, "after\n");
	const char *end = strstr(order, "main-end\n"), *post = strstr(order, "post\n");
	cr_assert(strstr(order, "pre\n") && strstr(order, "side\n") && main && after && end && post,
	          "order: %s", order);
	cr_assert(strstr(order, "pre\n") < main && strstr(order, "side\n") < main, "order: %s", order);
	cr_assert(main < after, "poststart before main: %s", order);
	cr_assert(end < post && strcmp(post, "post\n") == 0, "poststop not last: %s", order);
	cr_assert(strstr(r.out, "Main Tasks Dead  Main tasks in the group died"), "stdout: %s", r.out);
	const char *side_killed = event(r.out, "side", "Killed");
	const char *post_started = event(r.out, "post", "Started");
	cr_assert(side_killed && post_started && side_killed < post_started,
	          "poststop started before the sidecar was stopped: %s", r.out);
	free(order);
	cli_result_clear(&r);
	free(job);
}

Test(lifecycle, leader_exit_stops_the_other_tasks)
{
	char pidfile[400];
	snprintf(pidfile, sizeof(pidfile), "%s/other.pid", env.root);
	char other[600];
	snprintf(other, sizeof(other), "echo $$ > %s; exec sleep 1000", pidfile);
	char *tasks[] = {
		task("other", other, "\"KillTimeout\": 2000000000"),
		task("side", "exec sleep 1000",
		     "\"Lifecycle\": {\"Hook\": \"prestart\", \"Sidecar\": true}, \"KillTimeout\": 2000000000"),
		task("leader", "sleep 0.3", "\"Leader\": true"),
		NULL,
	};
	char *job = write_job("leader", NULL, tasks);
	cli_result r;
	long long t0 = 0;
	{
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	}
	run_job(&r, job);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long took = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 - t0;
	cr_assert_eq(r.exit_code, 0, "a leader that succeeded: stdout: %s stderr: %s", r.out, r.err);
	cr_assert_lt(took, 10000, "the others were not stopped, drover ran %lld ms", took);
	cr_assert(event(r.out, "other", "Leader Task Dead"), "stdout: %s", r.out);
	cr_assert(event(r.out, "side", "Leader Task Dead"), "stdout: %s", r.out);
	const char *other_killed = event(r.out, "other", "Killed");
	const char *side_killing = event(r.out, "side", "Killing");
	cr_assert(other_killed && side_killing && other_killed < side_killing,
	          "the sidecar is stopped after the other tasks: %s", r.out);
	char *pid_text = cli_slurp(pidfile);
	cr_assert(pid_text);
	cr_assert_not(cli_pid_alive((pid_t)atoi(pid_text)), "the other task survived its leader");
	free(pid_text);
	cli_result_clear(&r);
	free(job);
}

/* Nomad runs poststop tasks after a stop too: a Ctrl-C stops the main task and
 * the cleanup still happens; the run itself is reported as failed. */
Test(lifecycle, sigterm_stops_main_tasks_and_poststop_still_runs)
{
	char *tasks[] = {
		task("main", "echo up > " DATA "/up; exec sleep 1000", "\"KillTimeout\": 2000000000"),
		task("cleanup", "echo cleaned > " DATA "/cleanup", "\"Lifecycle\": {\"Hook\": \"poststop\"}"),
		NULL,
	};
	char *job = write_job("stopped", NULL, tasks);
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	int out_fd;
	pid_t pid = cli_spawn(argv, &out_fd);
	char *seen = cli_read_until(out_fd, "Started", DEADLINE_MS);
	cr_assert(seen, "the main task never started");
	free(seen);
	kill(pid, SIGTERM);
	char *rest = cli_read_until(out_fd, "cleanup       Terminated", DEADLINE_MS);
	cr_assert(rest, "poststop did not run after SIGTERM");
	free(rest);
	int status = cli_wait(pid, DEADLINE_MS);
	cr_assert_neq(status, -1, "drover did not exit after SIGTERM");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "an interrupted run is a failure");
	close(out_fd);
	char *cleaned = alloc_data("cleanup");
	cr_assert(cleaned && strcmp(cleaned, "cleaned\n") == 0);
	free(cleaned);
	free(job);
}
