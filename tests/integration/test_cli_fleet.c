/* Many allocations at once, as the fleet benchmark makes them: a detached
 * runner stopping all of its tasks on SIGTERM (on a bounded set of threads,
 * with the store writes batched), and `drover status` listing all of them from
 * the store, with and without a live runner watching. Real tasks under
 * drover-shim, a real state store; no timing is asserted. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <yajl/yajl_tree.h>

#include "cli_harness.h"
#include "tests/test_support.h"

#define DEADLINE_MS 120000
/* More stubborn tasks than the runner's first set of stop workers (32): each
 * holds its worker for its whole KillTimeout, so the runner must add workers
 * to signal the ones queued behind them. */
#define OBEDIENT 16
#define STUBBORN 40

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(cli_fleet, .init = setup, .fini = teardown, .timeout = 300);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

static void drover(cli_result *r, const char *cmd, const char *a1, const char *a2)
{
	const char *argv[] = {cmd, "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, a1, a2, NULL};
	cli_run(r, DEADLINE_MS, argv);
}

/* Group `name` of `count` allocations of one raw_exec task "t" running sh
 * `script`, KillTimeout 1 s. */
static void group(char *buf, size_t len, const char *name, int count, const char *script)
{
	snprintf(buf, len,
	         "{\"Name\": \"%s\", \"Count\": %d,"
	         " \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},"
	         " \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\", \"KillSignal\": \"SIGTERM\","
	         "  \"KillTimeout\": 1000000000,"
	         "  \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}}]}",
	         name, count, script);
}

/* run -detach of a service job with the given groups; returns the runner's pid. */
static pid_t detach(const char *groups)
{
	char *text = NULL;
	cr_assert(asprintf(&text, "{\"Job\": {\"ID\": \"fleet\", \"Type\": \"service\","
	                          " \"TaskGroups\": [%s]}}\n", groups) > 0);
	char *job = cli_write_file(&env, "fleet.json", text);
	cli_result r;
	drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "run -detach: %s %s", r.out, r.err);
	cli_result_clear(&r);
	free(job);
	free(text);
	char path[400];
	snprintf(path, sizeof(path), "%s/drover-run.log", env.data_dir);
	char *log = cli_slurp(path);
	cr_assert(log, "no %s", path);
	const char *p = strstr(log, "detached runner pid ");
	cr_assert(p, "no runner pid in %s", log);
	pid_t pid = (pid_t)atoi(p + strlen("detached runner pid "));
	free(log);
	cr_assert(pid > 0);
	return pid;
}

static yajl_val at(yajl_val v, const char *a, const char *b, const char *c)
{
	const char *path[] = {a, b, c, NULL};
	return yajl_tree_get(v, path, yajl_t_any);
}

/* `drover status -json`, parsed: an array of `count` allocations. */
static yajl_val status_json(size_t count)
{
	cli_result r;
	drover(&r, "status", "-json", NULL);
	cr_assert_eq(r.exit_code, 0, "status -json: %s", r.err);
	char errbuf[256];
	yajl_val doc = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
	cr_assert(doc && YAJL_IS_ARRAY(doc), "%s: %.300s", errbuf, r.out);
	cr_assert_eq(doc->u.array.len, count, "status -json lists %zu allocations, not %zu",
	             doc->u.array.len, count);
	cli_result_clear(&r);
	return doc;
}

/* The string value, "" when absent or not a string. */
static const char *str(yajl_val v)
{
	return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";
}

static int has_event(yajl_val task, const char *type)
{
	yajl_val events = at(task, "Events", NULL, NULL);
	for (size_t i = 0; events && YAJL_IS_ARRAY(events) && i < events->u.array.len; i++) {
		if (strcmp(str(at(events->u.array.values[i], "Type", NULL, NULL)), type) == 0)
			return 1;
	}
	return 0;
}

/* The Terminated event's signal, -1 without one. */
static int terminated_signal(yajl_val task)
{
	yajl_val events = at(task, "Events", NULL, NULL);
	int sig = -1;
	for (size_t i = 0; events && YAJL_IS_ARRAY(events) && i < events->u.array.len; i++) {
		yajl_val e = events->u.array.values[i];
		if (strcmp(str(at(e, "Type", NULL, NULL)), "Terminated") == 0)
			sig = (int)YAJL_GET_INTEGER(at(e, "Signal", NULL, NULL));
	}
	return sig;
}

/* Every task running, each with a live pid; the pids go to `pids`. */
static void assert_all_running(yajl_val doc, pid_t *pids)
{
	for (size_t i = 0; i < doc->u.array.len; i++) {
		yajl_val a = doc->u.array.values[i];
		yajl_val state = at(a, "TaskStates", "t", "State");
		yajl_val pid = at(a, "TaskStates", "t", "Pid");
		cr_assert_str_eq(str(state), "running", "allocation %zu", i);
		cr_assert_str_eq(str(at(a, "ClientStatus", NULL, NULL)), "running");
		cr_assert(YAJL_IS_INTEGER(pid) && YAJL_GET_INTEGER(pid) > 0, "allocation %zu: no Pid", i);
		pids[i] = (pid_t)YAJL_GET_INTEGER(pid);
		cr_assert(cli_pid_alive(pids[i]), "allocation %zu: task pid %d is not alive", i,
		          (int)pids[i]);
	}
}

Test(cli_fleet, sigterm_to_the_runner_stops_every_task_and_records_each_as_killed)
{
	char obedient[600], stubborn[600], groups[1300];
	group(obedient, sizeof(obedient), "obedient", OBEDIENT, "exec sleep 600");
	/* Ignores SIGTERM (sleep inherits the ignored disposition): only the
	 * SIGKILL after KillTimeout ends it. */
	group(stubborn, sizeof(stubborn), "stubborn", STUBBORN, "trap '' TERM; sleep 600");
	snprintf(groups, sizeof(groups), "%s, %s", obedient, stubborn);
	pid_t runner = detach(groups);

	size_t n = OBEDIENT + STUBBORN;
	pid_t pids[OBEDIENT + STUBBORN];
	yajl_val doc = status_json(n);
	assert_all_running(doc, pids);
	yajl_tree_free(doc);

	cr_assert_eq(kill(runner, SIGTERM), 0, "kill: %s", strerror(errno));
	cr_assert(cli_wait_gone(runner, DEADLINE_MS), "the runner did not stop its tasks");
	for (size_t i = 0; i < n; i++)
		cr_assert(cli_wait_gone(pids[i], 10000), "task pid %d still runs after its runner "
		          "stopped", (int)pids[i]);

	doc = status_json(n);
	for (size_t i = 0; i < n; i++) {
		yajl_val a = doc->u.array.values[i];
		yajl_val t = at(a, "TaskStates", "t", NULL);
		const char *grp = str(at(a, "TaskGroup", NULL, NULL));
		cr_assert_str_eq(str(at(t, "State", NULL, NULL)), "dead",
		                 "allocation %zu of %s", i, grp);
		/* Killed by drover: dead but not failed, as Nomad shows it. */
		cr_assert(YAJL_IS_FALSE(at(t, "Failed", NULL, NULL)), "allocation %zu failed", i);
		cr_assert(has_event(t, "Killing"), "allocation %zu of %s: no Killing event", i, grp);
		cr_assert(has_event(t, "Killed"), "allocation %zu of %s: no Killed event", i, grp);
		int sig = terminated_signal(t);
		/* KillSignal for those that heed it, SIGKILL after KillTimeout for the others. */
		cr_assert_eq(sig, strcmp(grp, "stubborn") == 0 ? SIGKILL : SIGTERM,
		             "allocation %zu of %s: Terminated with signal %d", i, grp, sig);
		cr_assert_str_eq(str(at(a, "ClientStatus", NULL, NULL)), "complete");
	}
	yajl_tree_free(doc);
}

/* The parent of a process: a task's drover-shim. */
static pid_t parent_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *stat = cli_slurp(path);
	cr_assert(stat, "cannot read %s", path);
	const char *p = strrchr(stat, ')');
	int ppid = 0;
	cr_assert(p && sscanf(p + 1, " %*c %d", &ppid) == 1, "%s", stat);
	free(stat);
	return (pid_t)ppid;
}

Test(cli_fleet, status_lists_every_allocation_watched_or_not)
{
	char g[600];
	group(g, sizeof(g), "g", 30, "exec sleep 600");
	pid_t runner = detach(g);
	pid_t pids[30];

	/* Watched by the live runner: answered from the store. */
	yajl_val doc = status_json(30);
	assert_all_running(doc, pids);
	yajl_tree_free(doc);
	cli_result r;
	drover(&r, "status", NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	size_t rows = 0;
	for (const char *p = r.out; (p = strstr(p, " running")); p++)
		rows++;
	cr_assert_eq(rows, 30, "the table shows %zu running allocations:\n%s", rows, r.out);
	cli_result_clear(&r);

	/* Nobody watches any more: a task whose drover-shim runs is running, and
	 * for one whose shim is gone too the driver is asked, which finds the exit
	 * nobody recorded. */
	cr_assert_eq(kill(runner, SIGKILL), 0);
	cr_assert(cli_wait_gone(runner, DEADLINE_MS));
	pid_t shim = parent_of(pids[7]);
	cr_assert_eq(kill(pids[7], SIGKILL), 0);
	cr_assert(cli_wait_gone(shim, DEADLINE_MS), "drover-shim pid %d outlived its task", (int)shim);
	doc = status_json(30);
	size_t running = 0;
	for (size_t i = 0; i < 30; i++) {
		yajl_val a = doc->u.array.values[i];
		const char *state = str(at(a, "TaskStates", "t", "State"));
		if (strcmp(state, "running") == 0)
			running++;
		else
			cr_assert_eq(YAJL_GET_INTEGER(at(a, "TaskStates", "t", "Pid")), 0,
			             "a dead task has no pid");
	}
	yajl_tree_free(doc);
	cr_assert_eq(running, 29, "%zu tasks running, expected 29", running);

	/* Stopped through the store, one allocation after the other. */
	doc = status_json(30);
	for (size_t i = 0; i < 30; i++) {
		const char *id = str(at(doc->u.array.values[i], "ID", NULL, NULL));
		drover(&r, "stop", id, NULL);
		cr_assert_eq(r.exit_code, 0, "stop %s: %s", id, r.err);
		cli_result_clear(&r);
	}
	yajl_tree_free(doc);
	for (size_t i = 0; i < 30; i++)
		cr_assert(cli_wait_gone(pids[i], 10000), "task pid %d still runs", (int)pids[i]);
}
