/* `drover status` as an operator used to Nomad reads it: the allocations
 * table, status JOB, status ALLOC, the states Nomad would report, and -json as
 * Nomad's API JSON. Real tasks under drover-shim, a real state store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <yajl/yajl_tree.h>

#include "cli_harness.h"
#include "tests/test_support.h"
#include "tests/test_wait.h"

#define DEADLINE_MS 30000

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(cli_status, .init = setup, .fini = teardown, .timeout = 120);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

/* A job of type `type` with the given task objects (JSON) in group "g". */
static char *write_job(const char *id, const char *type, const char *restart, const char *tasks)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"%s\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   "   \"RestartPolicy\": %s,\n"
	                   "   \"Tasks\": [%s]}]}}\n",
	                   id, type, restart, tasks) > 0);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", id);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

static char *sh_task(const char *name, const char *script)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Name\": \"%s\", \"Driver\": \"raw_exec\", \"Env\": {\"ROOT\": \"%s\"},"
	                   " \"KillTimeout\": 2000000000,"
	                   " \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}}",
	                   name, env.root, script) > 0);
	return text;
}

#define NO_RESTART "{\"Attempts\": 0, \"Mode\": \"fail\"}"

static void drover(cli_result *r, const char *cmd, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = {cmd, "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, a1, a2, a3, NULL};
	cli_run(r, DEADLINE_MS, argv);
}

static const char *detach(const char *job)
{
	static char id[64];
	cli_result r;
	drover(&r, "run", "-detach", job, NULL);
	cr_assert_eq(r.exit_code, 0, "run -detach: %s %s", r.out, r.err);
	const char *p = strstr(r.out, "==> Allocation \"");
	cr_assert(p, "%s", r.out);
	p += strlen("==> Allocation \"");
	snprintf(id, sizeof(id), "%.36s", p);
	cli_result_clear(&r);
	return id;
}

static void run_attached(const char *job)
{
	cli_result r;
	drover(&r, "run", job, NULL, NULL);
	cli_result_clear(&r);
}

/* The value of the first "Key   = value" line after `from`, or NULL. */
static const char *field(const char *from, const char *key)
{
	static char value[512];
	size_t klen = strlen(key);
	for (const char *p = from; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) != 0)
			continue;
		const char *v = p + klen + strspn(p + klen, " ");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " ");
		snprintf(value, sizeof(value), "%.*s", (int)strcspn(v, "\n"), v);
		return value;
	}
	return NULL;
}

/* The section of task `task` in `drover status ALLOC`. */
static const char *task_section(const char *out, const char *task, const char *state)
{
	char key[128];
	snprintf(key, sizeof(key), "Task \"%s\" is \"%s\"", task, state);
	return strstr(out, key);
}

/* Every line of a table starts its column `name` at the same offset as the
 * header does. */
static void assert_aligned(const char *table, const char *name, size_t rows)
{
	const char *head = strstr(table, name);
	cr_assert(head, "no column %s in: %s", name, table);
	const char *line = head;
	while (line > table && line[-1] != '\n')
		line--;
	size_t col = (size_t)(head - line);
	for (size_t i = 0; i < rows; i++) {
		line = strchr(line, '\n');
		cr_assert(line && line[1], "fewer than %zu rows: %s", rows, table);
		line++;
		cr_assert(strlen(line) > col && line[col - 1] == ' ' && line[col - 2] == ' ' &&
		          line[col] != ' ',
		          "column %s of row %zu does not start at %zu: %s", name, i + 1, col, table);
	}
}

Test(cli_status, no_argument_prints_one_aligned_row_per_allocation)
{
	char *t = sh_task("t", "exit 0");
	char *short_job = write_job("a", "batch", NO_RESTART, t);
	char *long_job = write_job("a-much-longer-job-name", "batch", NO_RESTART, t);
	run_attached(short_job);
	run_attached(long_job);
	cli_result r;
	drover(&r, "status", NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "ID ", 3) == 0, "a table header first: %s", r.out);
	const char *cols[] = {"Job", "Group", "Desired", "Status", "Created"};
	for (size_t i = 0; i < 5; i++)
		assert_aligned(r.out, cols[i], 2);
	size_t lines = 0;
	for (const char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	cr_assert_eq(lines, 3, "a header and one line per allocation, no events: %s", r.out);
	cr_assert(strstr(r.out, "complete"), "%s", r.out);
	cli_result_clear(&r);
	free(t);
	free(short_job);
	free(long_job);
}

Test(cli_status, job_id_shows_the_job_and_only_its_allocations)
{
	char *t = sh_task("t", "exit 0");
	char *one = write_job("first", "batch", NO_RESTART, t);
	char *two = write_job("second", "batch", NO_RESTART, t);
	run_attached(one);
	run_attached(two);
	cli_result r;
	drover(&r, "status", "first", NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "status JOB: %s %s", r.out, r.err);
	cr_assert_str_eq(field(r.out, "ID"), "first", "%s", r.out);
	cr_assert_str_eq(field(r.out, "Status"), "dead", "%s", r.out);
	cr_assert(strstr(r.out, "\nSummary\n") && strstr(r.out, "\nAllocations\n"), "%s", r.out);
	cr_assert_null(strstr(r.out, "second"), "another job's allocation is listed: %s", r.out);
	cli_result_clear(&r);
	drover(&r, "status", "no-such-job", NULL, NULL);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "no job and no allocation \"no-such-job\""), "%s", r.err);
	cli_result_clear(&r);
	free(t);
	free(one);
	free(two);
}

/* A failing task kills its sibling: the event types differ in length, and
 * the events table stays aligned (the Sibling Task Failed type used to push
 * its message out of line). */
Test(cli_status, alloc_detail_has_task_sections_and_aligned_events)
{
	char *a = sh_task("fails", "exit 3");
	char *b = sh_task("sibling", "exec sleep 600");
	char *tasks = NULL;
	cr_assert(asprintf(&tasks, "%s, %s", a, b) > 0);
	char *job = write_job("pair", "batch", NO_RESTART, tasks);
	run_attached(job);
	cli_result r;
	drover(&r, "status", "pair", NULL, NULL);
	const char *row = strstr(r.out, "\nAllocations\n");
	cr_assert(row, "%s", r.out);
	char id[9];
	row = strchr(row + 13, '\n') + 1;
	snprintf(id, sizeof(id), "%.8s", row);
	cli_result_clear(&r);

	drover(&r, "status", id, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert_str_eq(field(r.out, "Client Status"), "failed", "%s", r.out);
	const char *f = task_section(r.out, "fails", "dead");
	const char *s = task_section(r.out, "sibling", "dead");
	cr_assert(f && s, "%s", r.out);
	cr_assert_str_eq(field(f, "Exit Code"), "3", "%s", r.out);
	cr_assert_str_eq(field(f, "Failed"), "true", "%s", r.out);
	/* Killed because its sibling failed: dead, and not a failure of its own. */
	cr_assert_str_eq(field(s, "Failed"), "false", "%s", r.out);
	const char *events = strstr(s, "Recent Events:\n");
	cr_assert(events, "%s", r.out);
	cr_assert(strstr(events, "Sibling Task Failed"), "%s", r.out);
	events += strlen("Recent Events:\n");
	size_t rows = 0;
	for (const char *p = strchr(events, '\n'); p && p[1] && p[1] != '\n'; p = strchr(p + 1, '\n'))
		rows++;
	assert_aligned(events, "Type", rows);
	assert_aligned(events, "Description", rows);
	cli_result_clear(&r);
	free(a);
	free(b);
	free(tasks);
	free(job);
}

Test(cli_status, task_that_never_started_shows_no_exit_code)
{
	char *t = NULL;
	cr_assert(asprintf(&t, "{\"Name\": \"t\", \"Driver\": \"raw_exec\","
	                       " \"Config\": {\"command\": \"%s/no-such-program\"}}", env.root) > 0);
	char *job = write_job("never", "batch", NO_RESTART, t);
	run_attached(job);
	cli_result r;
	drover(&r, "status", "never", NULL, NULL);
	const char *row = strstr(r.out, "\nAllocations\n");
	cr_assert(row, "%s", r.out);
	row = strchr(row + 13, '\n') + 1;
	char id[9];
	snprintf(id, sizeof(id), "%.8s", row);
	cli_result_clear(&r);
	drover(&r, "status", id, NULL, NULL);
	const char *s = task_section(r.out, "t", "dead");
	cr_assert(s, "%s", r.out);
	cr_assert_null(field(s, "Exit Code"), "a task that never ran has no exit code: %s", r.out);
	cr_assert_str_eq(field(s, "Started At"), "N/A", "%s", r.out);
	cr_assert_str_eq(field(s, "Failed"), "true", "%s", r.out);
	cli_result_clear(&r);
	free(t);
	free(job);
}

/* A service job stopped by its operator is complete, as in Nomad. */
Test(cli_status, service_job_stopped_by_the_user_is_complete)
{
	char *t = sh_task("t", "exec sleep 600");
	char *job = write_job("svc", "service", "{\"Attempts\": 3, \"Delay\": 50000000, \"Mode\": \"fail\"}", t);
	const char *id = detach(job);
	cli_result r;
	drover(&r, "stop", id, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	drover(&r, "status", id, NULL, NULL);
	cr_assert_str_eq(field(r.out, "Desired Status"), "stop", "%s", r.out);
	cr_assert_str_eq(field(r.out, "Client Status"), "complete", "%s", r.out);
	const char *s = task_section(r.out, "t", "dead");
	cr_assert(s, "%s", r.out);
	cr_assert_str_eq(field(s, "Failed"), "false", "%s", r.out);
	cli_result_clear(&r);
	free(t);
	free(job);
}

typedef struct restarting_probe {
	const char *id;
	char *out;
} restarting_probe;

static int shows_restarting(void *arg)
{
	restarting_probe *p = arg;
	cli_result r;
	drover(&r, "status", p->id, NULL, NULL);
	int ok = strstr(r.out, "Restarting") != NULL;
	if (ok) {
		free(p->out);
		p->out = r.out;
		r.out = NULL;
	}
	cli_result_clear(&r);
	return ok;
}

/* Between two runs the task is pending and the allocation pending (Nomad),
 * not dead and failed; `drover stop ALLOC TASK` then keeps it stopped. */
Test(cli_status, restart_delay_is_pending_and_a_user_stop_stays_stopped)
{
	char *t = sh_task("t", "echo run >> $ROOT/runs; exit 1");
	char *job = write_job("flap", "service",
	                      "{\"Attempts\": 5, \"Delay\": 600000000000, \"Interval\": 3600000000000,"
	                      " \"Mode\": \"fail\"}", t);
	const char *id = detach(job);
	restarting_probe p = {.id = id};
	cr_assert(test_wait_in_dir(env.data_dir, shows_restarting, &p, DEADLINE_MS),
	          "no Restarting event");
	const char *s = task_section(p.out, "t", "pending");
	cr_assert(s, "waiting out its restart delay, the task is pending: %s", p.out);
	cr_assert_str_eq(field(p.out, "Client Status"), "pending", "%s", p.out);
	free(p.out);

	char path[400];
	snprintf(path, sizeof(path), "%s/drover-run.log", env.data_dir);
	char *log = cli_slurp(path);
	cr_assert(log, "no %s", path);
	const char *rp = strstr(log, "detached runner pid ");
	cr_assert(rp, "%s", log);
	pid_t runner = (pid_t)atoi(rp + strlen("detached runner pid "));
	free(log);

	cli_result r;
	drover(&r, "stop", id, "t", NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "stopped"), "%s", r.out);
	cli_result_clear(&r);
	/* Its only task stopped, the runner ends now, not when the 600 s delay
	 * would have run out. */
	cr_assert(test_wait_gone(runner, DEADLINE_MS),
	          "the runner is still waiting out the restart delay of a stopped task");
	drover(&r, "status", id, NULL, NULL);
	cr_assert(task_section(r.out, "t", "dead"), "stopped stays stopped: %s", r.out);
	cr_assert_str_eq(field(r.out, "Total Restarts"), "1", "%s", r.out);
	cli_result_clear(&r);
	free(t);
	free(job);
}

/* A running task is stopped by `drover stop ALLOC TASK`; the runner that
 * watches it, whose policy would restart it at once, leaves it stopped and
 * ends (its only task is dead). */
Test(cli_status, stop_of_one_task_is_not_undone_by_the_restart_policy)
{
	char *t = sh_task("t", "echo run >> $ROOT/runs; exec sleep 600");
	char *job = write_job("keep", "service",
	                      "{\"Attempts\": 5, \"Delay\": 10000000, \"Interval\": 3600000000000,"
	                      " \"Mode\": \"fail\"}", t);
	const char *id = detach(job);
	char path[400];
	snprintf(path, sizeof(path), "%s/drover-run.log", env.data_dir);
	char *log = cli_slurp(path);
	cr_assert(log, "no %s", path);
	const char *p = strstr(log, "detached runner pid ");
	cr_assert(p, "%s", log);
	pid_t runner = (pid_t)atoi(p + strlen("detached runner pid "));
	free(log);
	cli_result r;
	drover(&r, "stop", id, "t", NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	cr_assert(test_wait_gone(runner, DEADLINE_MS), "the runner restarted the stopped task");
	drover(&r, "status", id, NULL, NULL);
	cr_assert(task_section(r.out, "t", "dead"), "%s", r.out);
	cr_assert_str_eq(field(r.out, "Total Restarts"), "0", "%s", r.out);
	cr_assert_str_eq(field(r.out, "Client Status"), "complete", "%s", r.out);
	cli_result_clear(&r);
	snprintf(path, sizeof(path), "%s/runs", env.root);
	char *runs = cli_slurp(path);
	cr_assert(runs && strcmp(runs, "run\n") == 0, "one run: \"%s\"", runs);
	free(runs);
	free(t);
	free(job);
}

static yajl_val get(yajl_val v, const char *a, const char *b)
{
	const char *path[] = {a, b, NULL};
	return yajl_tree_get(v, path, yajl_t_any);
}

/* Nomad's api.Allocation / api.TaskState / api.TaskEvent: times of events and
 * creation in nanoseconds, StartedAt/FinishedAt as RFC 3339. */
Test(cli_status, json_is_nomads_api_json)
{
	char *t = sh_task("t", "exit 7");
	char *job = write_job("api", "batch", NO_RESTART, t);
	run_attached(job);
	cli_result r;
	drover(&r, "status", "-json", NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	char errbuf[256];
	yajl_val doc = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
	cr_assert(doc && YAJL_IS_ARRAY(doc) && doc->u.array.len == 1, "%s: %s", errbuf, r.out);
	yajl_val a = doc->u.array.values[0];
	const char *strings[] = {"ID", "Name", "Namespace", "JobID", "TaskGroup", "DesiredStatus",
	                         "ClientStatus", "ClientDescription", "EvalID", "NodeID"};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		cr_assert(YAJL_IS_STRING(get(a, strings[i], NULL)), "%s: %s", strings[i], r.out);
	cr_assert_str_eq(YAJL_GET_STRING(get(a, "ClientStatus", NULL)), "failed");
	cr_assert_str_eq(YAJL_GET_STRING(get(a, "JobID", NULL)), "api");
	yajl_val created = get(a, "CreateTime", NULL);
	cr_assert(YAJL_IS_INTEGER(created) && YAJL_GET_INTEGER(created) > 1000000000000000000LL,
	          "CreateTime in nanoseconds: %s", r.out);
	cr_assert(YAJL_IS_INTEGER(get(a, "ModifyTime", NULL)));
	yajl_val ts = get(a, "TaskStates", "t");
	cr_assert(YAJL_IS_OBJECT(ts), "%s", r.out);
	const char *sp[] = {"State", NULL};
	cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(ts, sp, yajl_t_string)), "dead");
	const char *fp[] = {"Failed", NULL};
	cr_assert(YAJL_IS_TRUE(yajl_tree_get(ts, fp, yajl_t_any)), "%s", r.out);
	const char *rp[] = {"Restarts", NULL};
	cr_assert(YAJL_IS_INTEGER(yajl_tree_get(ts, rp, yajl_t_any)));
	const char *times[] = {"StartedAt", "FinishedAt", "LastRestart"};
	for (size_t i = 0; i < 3; i++) {
		const char *tp[] = {times[i], NULL};
		const char *v = YAJL_GET_STRING(yajl_tree_get(ts, tp, yajl_t_string));
		cr_assert(v && strlen(v) >= 20 && v[4] == '-' && v[10] == 'T' && v[strlen(v) - 1] == 'Z',
		          "%s is not RFC 3339: %s", times[i], v ? v : "(missing)");
	}
	const char *lp[] = {"LastRestart", NULL};
	cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(ts, lp, yajl_t_string)), "0001-01-01T00:00:00Z");
	const char *ep[] = {"Events", NULL};
	yajl_val events = yajl_tree_get(ts, ep, yajl_t_array);
	cr_assert(events && events->u.array.len >= 2, "%s", r.out);
	int terminated = 0;
	for (size_t i = 0; i < events->u.array.len; i++) {
		yajl_val e = events->u.array.values[i];
		const char *tp[] = {"Time", NULL}, *typ[] = {"Type", NULL}, *dp[] = {"DisplayMessage", NULL},
		           *xp[] = {"ExitCode", NULL}, *dt[] = {"Details", NULL},
		           *fk[] = {"FailsTask", NULL};
		yajl_val time = yajl_tree_get(e, tp, yajl_t_any);
		cr_assert(YAJL_IS_INTEGER(time) && YAJL_GET_INTEGER(time) > 1000000000000000000LL,
		          "event Time in nanoseconds: %s", r.out);
		cr_assert(YAJL_IS_STRING(yajl_tree_get(e, dp, yajl_t_any)));
		cr_assert(YAJL_IS_OBJECT(yajl_tree_get(e, dt, yajl_t_any)));
		cr_assert(yajl_tree_get(e, fk, yajl_t_any) &&
		          (YAJL_IS_TRUE(yajl_tree_get(e, fk, yajl_t_any)) ||
		           YAJL_IS_FALSE(yajl_tree_get(e, fk, yajl_t_any))));
		yajl_val type = yajl_tree_get(e, typ, yajl_t_string);
		cr_assert(type, "an event without a Type: %s", r.out);
		if (strcmp(type->u.string, "Terminated") == 0) {
			terminated = 1;
			cr_assert_eq(YAJL_GET_INTEGER(yajl_tree_get(e, xp, yajl_t_any)), 7, "%s", r.out);
			const char *ec[] = {"Details", "exit_code", NULL};
			cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(e, ec, yajl_t_string)), "7");
		}
	}
	cr_assert(terminated, "no Terminated event: %s", r.out);
	yajl_tree_free(doc);
	cli_result_clear(&r);

	/* status -json ALLOC: one object, as /v1/allocation/<id>. */
	drover(&r, "status", "-json", "api", NULL);
	cr_assert(r.out[0] == '[', "status -json JOB lists the job's allocations: %s", r.out);
	cli_result_clear(&r);
	free(t);
	free(job);
}
