/* The state store against a real SQLite database in a temporary directory. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "network/state_ports.h"
#include "state_store.h"

static char root[64];
static char db_path[128];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/drover-state-XXXXXX");
	cr_assert(mkdtemp(root));
	snprintf(db_path, sizeof(db_path), "%s/state.db", root);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(state_store, .init = setup, .fini = teardown, .timeout = 60);

static drover_state *open_store(void)
{
	drover_state *st = NULL;
	drover_err err = {{0}};
	int rc = drover_state_open(root, &st, &err);
	cr_assert_eq(rc, 0, "open: %s", err.message);
	return st;
}

/* Raw SQL on the file, as another program (or a damaged disk) would write it. */
static void raw_sql(const char *sql)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
	sqlite3_close(db);
}

static void put_alloc(drover_state *st, const char *id)
{
	drover_state_alloc a = {
		.id = (char *)id, .job_id = "web", .job_name = "web", .job_json = "{\"ID\": \"web\"}",
		.group_name = "g", .alloc_index = 0, .alloc_name = "web.g[0]", .alloc_dir = "/nowhere",
	};
	drover_err err = {{0}};
	cr_assert_eq(drover_state_alloc_put(st, &a, &err), 0, "%s", err.message);
}

static void put_task(drover_state *st, const char *alloc, const char *name)
{
	drover_state_task t = {.alloc_id = (char *)alloc, .name = (char *)name, .driver = "raw_exec"};
	drover_err err = {{0}};
	cr_assert_eq(drover_state_task_put(st, &t, &err), 0, "%s", err.message);
}

Test(state_store, records_allocations_tasks_handles_and_exits)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	put_alloc(st, "0a1b2c3d-0000-4000-8000-000000000001");
	put_task(st, "0a1b2c3d-0000-4000-8000-000000000001", "t");
	const unsigned char handle[] = {1, 0, 2, 0xff, 0};
	cr_assert_eq(drover_state_task_set_running(st, "0a1b2c3d-0000-4000-8000-000000000001", "t",
	                                           4242, handle, sizeof(handle), 1000, &err),
	             0, "%s", err.message);
	drover_state_task *tasks;
	size_t n;
	cr_assert_eq(drover_state_task_list(st, "0a1b2c3d-0000-4000-8000-000000000001", &tasks, &n, &err), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(tasks[0].state, "running");
	cr_assert_eq(tasks[0].pid, 4242);
	cr_assert_eq(tasks[0].handle_len, sizeof(handle));
	cr_assert_eq(memcmp(tasks[0].handle, handle, sizeof(handle)), 0, "the handle is bytes, NULs included");
	cr_assert_null(tasks[0].problem);
	drover_state_tasks_free(tasks, n);

	drover_exit_result res = {.struct_size = sizeof(res), .exit_code = 7, .exited_at_ms = 2000};
	cr_assert_eq(drover_state_task_set_exited(st, "0a1b2c3d-0000-4000-8000-000000000001", "t", &res, &err), 0);
	cr_assert_eq(drover_state_task_list(st, "0a1b2c3d-0000-4000-8000-000000000001", &tasks, &n, &err), 0);
	cr_assert_str_eq(tasks[0].state, "dead");
	cr_assert_eq(tasks[0].exit_code, 7);
	cr_assert_eq(tasks[0].failed, 1);
	cr_assert_eq(tasks[0].finished_ms, 2000);
	drover_state_tasks_free(tasks, n);

	cr_assert_eq(drover_state_task_set_exited(st, "0a1b2c3d-0000-4000-8000-000000000001", "nope", &res, &err),
	             -ENOENT);
	cr_assert(strstr(err.message, "\"nope\""), "%s", err.message);

	cr_assert_eq(drover_state_alloc_set_status(st, "0a1b2c3d-0000-4000-8000-000000000001", "stop", NULL, &err), 0);
	drover_state_alloc a;
	cr_assert_eq(drover_state_alloc_get(st, "0a1b2c3d-0000-4000-8000-000000000001", &a, &err), 0);
	cr_assert_str_eq(a.desired_status, "stop");
	cr_assert_str_eq(a.client_status, "pending");
	cr_assert_str_eq(a.job_json, "{\"ID\": \"web\"}");
	cr_assert_null(a.problem);
	drover_state_alloc_clear(&a);

	cr_assert_eq(drover_state_alloc_delete(st, "0a1b2c3d-0000-4000-8000-000000000001", &err), 0);
	cr_assert_eq(drover_state_task_list(st, "0a1b2c3d-0000-4000-8000-000000000001", &tasks, &n, &err), 0);
	cr_assert_eq(n, 0, "deleting an allocation deletes its tasks");
	free(tasks);
	drover_state_close(st);
}

Test(state_store, resolves_unique_prefixes_only)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	put_alloc(st, "abc00000-0000-4000-8000-000000000001");
	put_alloc(st, "abd00000-0000-4000-8000-000000000002");
	char *id = NULL;
	cr_assert_eq(drover_state_alloc_resolve(st, "abc", &id, &err), 0, "%s", err.message);
	cr_assert_str_eq(id, "abc00000-0000-4000-8000-000000000001");
	free(id);
	cr_assert_eq(drover_state_alloc_resolve(st, "ab", &id, &err), -EEXIST);
	cr_assert(strstr(err.message, "ambiguous"), "%s", err.message);
	cr_assert_eq(drover_state_alloc_resolve(st, "ff", &id, &err), -ENOENT);
	cr_assert_eq(drover_state_alloc_resolve(st, "%", &id, &err), -EINVAL, "a LIKE wildcard is not a prefix");
	cr_assert_eq(drover_state_alloc_resolve(st, "", &id, &err), -EINVAL);
	drover_state_close(st);
}

Test(state_store, keeps_only_the_last_events_per_task)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	put_alloc(st, "e0000000-0000-4000-8000-000000000001");
	for (int i = 0; i < DROVER_STATE_EVENTS_KEPT + 20; i++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "event %d", i);
		cr_assert_eq(drover_state_event_add(st, "e0000000-0000-4000-8000-000000000001", "t", i,
		                                    "Driver", msg, &err),
		             0, "%s", err.message);
	}
	cr_assert_eq(drover_state_event_add(st, "e0000000-0000-4000-8000-000000000001", "other", 1,
	                                    "Started", "x", &err), 0);
	drover_state_event *ev;
	size_t n;
	cr_assert_eq(drover_state_event_list(st, "e0000000-0000-4000-8000-000000000001", "t", 1000, &ev, &n, &err), 0);
	cr_assert_eq(n, DROVER_STATE_EVENTS_KEPT);
	cr_assert_str_eq(ev[0].message, "event 20", "oldest kept first");
	cr_assert_str_eq(ev[n - 1].message, "event 69");
	drover_state_events_free(ev, n);
	cr_assert_eq(drover_state_event_list(st, "e0000000-0000-4000-8000-000000000001", NULL, 3, &ev, &n, &err), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(ev[2].task, "other");
	drover_state_events_free(ev, n);
	drover_state_close(st);
}

Test(state_store, refuses_a_newer_schema_naming_file_and_versions)
{
	drover_state_close(open_store());
	raw_sql("PRAGMA user_version = 99");
	drover_state *st = NULL;
	drover_err err = {{0}};
	cr_assert_eq(drover_state_open(root, &st, &err), -EPROTO);
	cr_assert_null(st);
	cr_assert(strstr(err.message, db_path), "file not named: %s", err.message);
	cr_assert(strstr(err.message, "99"), "its version not named: %s", err.message);
	char ours[16];
	snprintf(ours, sizeof(ours), "%d", DROVER_STATE_SCHEMA_VERSION);
	cr_assert(strstr(err.message, ours), "our version not named: %s", err.message);
}

Test(state_store, migrates_a_version_1_database_keeping_its_rows)
{
	/* The schema as drover wrote it at version 1: no events table. */
	raw_sql("CREATE TABLE allocations ("
	        " id TEXT PRIMARY KEY, job_id TEXT, job_name TEXT, job_json TEXT, group_name TEXT,"
	        " alloc_index INTEGER, alloc_name TEXT, alloc_dir TEXT, desired_status TEXT,"
	        " client_status TEXT, created_ms INTEGER, modified_ms INTEGER);"
	        "CREATE TABLE tasks ("
	        " alloc_id TEXT NOT NULL REFERENCES allocations(id) ON DELETE CASCADE, name TEXT NOT NULL,"
	        " driver TEXT, state TEXT, pid INTEGER, handle BLOB, exit_code INTEGER, signal INTEGER,"
	        " oom_killed INTEGER, failed INTEGER, restarts INTEGER, started_ms INTEGER,"
	        " finished_ms INTEGER, PRIMARY KEY (alloc_id, name));"
	        "INSERT INTO allocations VALUES ('a1000000-0000-4000-8000-000000000001', 'j', 'j', '{}',"
	        " 'g', 0, 'j.g[0]', '/x', 'run', 'running', 1, 1);"
	        "PRAGMA user_version = 1;");
	drover_state *st = open_store();
	drover_err err = {{0}};
	drover_state_alloc a;
	cr_assert_eq(drover_state_alloc_get(st, "a1000000-0000-4000-8000-000000000001", &a, &err), 0,
	             "%s", err.message);
	cr_assert_str_eq(a.client_status, "running");
	drover_state_alloc_clear(&a);
	cr_assert_eq(drover_state_event_add(st, "a1000000-0000-4000-8000-000000000001", "t", 1,
	                                    "Started", "x", &err), 0, "events table missing: %s", err.message);
	drover_state_close(st);

	sqlite3 *db;
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), DROVER_STATE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

Test(state_store, reports_corrupt_rows_without_hiding_the_others)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	put_alloc(st, "c0000000-0000-4000-8000-000000000001");
	put_task(st, "c0000000-0000-4000-8000-000000000001", "good");
	put_task(st, "c0000000-0000-4000-8000-000000000001", "texthandle");
	put_task(st, "c0000000-0000-4000-8000-000000000001", "badstate");
	put_task(st, "c0000000-0000-4000-8000-000000000001", "nodriver");
	drover_state_close(st);
	raw_sql("UPDATE tasks SET state = 'running', handle = 'not a blob' WHERE name = 'texthandle';"
	        "UPDATE tasks SET state = 'exploded' WHERE name = 'badstate';"
	        "UPDATE tasks SET driver = NULL WHERE name = 'nodriver';"
	        "INSERT INTO allocations (id, created_ms) VALUES ('c0000000-0000-4000-8000-000000000002', 2);");
	st = open_store();
	drover_state_task *tasks;
	size_t n;
	cr_assert_eq(drover_state_task_list(st, "c0000000-0000-4000-8000-000000000001", &tasks, &n, &err), 0);
	cr_assert_eq(n, 4);
	cr_assert_null(tasks[0].problem);
	cr_assert(tasks[1].problem && strstr(tasks[1].problem, "handle"), "%s", tasks[1].problem);
	cr_assert_null(tasks[1].handle);
	cr_assert(tasks[2].problem && strstr(tasks[2].problem, "exploded"), "%s", tasks[2].problem);
	cr_assert(tasks[3].problem && strstr(tasks[3].problem, "driver"), "%s", tasks[3].problem);
	drover_state_tasks_free(tasks, n);

	drover_state_alloc *allocs;
	cr_assert_eq(drover_state_alloc_list(st, &allocs, &n, &err), 0);
	cr_assert_eq(n, 2);
	/* created_ms 2: the damaged row sorts first. */
	cr_assert_str_eq(allocs[0].id, "c0000000-0000-4000-8000-000000000002");
	cr_assert(allocs[0].problem && strstr(allocs[0].problem, "job_id"), "%s", allocs[0].problem);
	cr_assert_null(allocs[1].problem);
	drover_state_allocs_free(allocs, n);
	drover_state_close(st);
}

Test(state_store, a_file_that_is_not_a_database_is_an_error_naming_it)
{
	FILE *f = fopen(db_path, "w");
	cr_assert(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database at all\n", f);
	fclose(f);
	drover_state *st = NULL;
	drover_err err = {{0}};
	cr_assert_lt(drover_state_open(root, &st, &err), 0);
	cr_assert(strstr(err.message, db_path), "%s", err.message);
}

/* Two processes writing at full speed into one database: every write must
 * succeed (the busy timeout queues them), none may see SQLITE_BUSY. */
static int writer(const char *prefix)
{
	drover_state *st = NULL;
	drover_err err = {{0}};
	if (drover_state_open(root, &st, &err) < 0) {
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
	for (int i = 0; i < 150; i++) {
		char id[64];
		snprintf(id, sizeof(id), "%s%07d-0000-4000-8000-000000000000", prefix, i);
		drover_state_alloc a = {.id = id, .job_id = "j", .job_name = "j", .job_json = "{}",
		                        .group_name = "g", .alloc_name = "j.g[0]", .alloc_dir = "/x"};
		drover_state_task t = {.alloc_id = id, .name = "t", .driver = "raw_exec"};
		if (drover_state_alloc_put(st, &a, &err) < 0 || drover_state_task_put(st, &t, &err) < 0 ||
		    drover_state_event_add(st, id, "t", i, "Received", "x", &err) < 0 ||
		    drover_state_task_set_running(st, id, "t", i + 1, "h", 1, i, &err) < 0) {
			fprintf(stderr, "write %d: %s\n", i, err.message);
			drover_state_close(st);
			return 1;
		}
	}
	drover_state_close(st);
	return 0;
}

Test(state_store, two_processes_write_concurrently_without_busy_errors)
{
	int go[2];
	cr_assert_eq(pipe(go), 0);
	pid_t pids[2];
	const char *prefixes[2] = {"a", "b"};
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		cr_assert_geq(pids[k], 0);
		if (pids[k] == 0) {
			char c;
			close(go[1]);
			/* Both start together, when the parent closes the pipe. */
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			_exit(writer(prefixes[k]));
		}
	}
	close(go[0]);
	close(go[1]);
	for (int k = 0; k < 2; k++) {
		int status;
		cr_assert_eq(waitpid(pids[k], &status, 0), pids[k]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", k);
	}
	drover_state *st = open_store();
	drover_state_alloc *allocs;
	size_t n;
	drover_err err = {{0}};
	cr_assert_eq(drover_state_alloc_list(st, &allocs, &n, &err), 0);
	cr_assert_eq(n, 300, "every write of both processes landed");
	drover_state_allocs_free(allocs, n);
	drover_state_close(st);
}

/* A port belongs to one live allocation: a second claim fails naming the
 * holder and leaves nothing half-claimed; once the holder is dead its port is
 * taken over; the ports of (alloc, task) come back as recorded. */
Test(state_store, ports_are_held_by_one_live_allocation_at_a_time)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	const char *a = "0a1b2c3d-0000-4000-8000-0000000000a1";
	const char *b = "0a1b2c3d-0000-4000-8000-0000000000b2";
	put_alloc(st, a);
	put_task(st, a, "t");
	put_alloc(st, b);
	put_task(st, b, "t");
	drover_state_port mine[] = {{.label = "http", .value = 21000, .to = 8080},
	                            {.label = "admin", .value = 21001}};
	size_t conflict = 99;
	cr_assert_eq(drover_state_ports_claim(st, a, "", mine, 2, &conflict, &err), 0, "%s",
	             err.message);

	drover_state_port theirs[] = {{.label = "db", .value = 21002}, {.label = "web", .value = 21001}};
	int rc = drover_state_ports_claim(st, b, "", theirs, 2, &conflict, &err);
	cr_assert_eq(rc, -EADDRINUSE);
	cr_assert_eq(conflict, 1);
	cr_assert(strstr(err.message, "21001") && strstr(err.message, a), "%s", err.message);
	int *used;
	size_t n;
	cr_assert_eq(drover_state_ports_in_use(st, &used, &n, &err), 0, "%s", err.message);
	cr_assert_eq(n, 2, "the failed claim left port 21002 behind");
	free(used);

	drover_state_port *got;
	cr_assert_eq(drover_state_ports_get(st, a, "", &got, &n, &err), 0, "%s", err.message);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(got[0].label, "admin");
	cr_assert_eq(got[0].value, 21001);
	cr_assert_str_eq(got[1].label, "http");
	cr_assert_eq(got[1].value, 21000);
	cr_assert_eq(got[1].to, 8080);
	drover_state_ports_free(got, n);

	drover_exit_result res = {.struct_size = sizeof(res), .exit_code = 0};
	cr_assert_eq(drover_state_task_set_exited(st, a, "t", &res, &err), 0, "%s", err.message);
	cr_assert_eq(drover_state_ports_in_use(st, &used, &n, &err), 0);
	cr_assert_eq(n, 0, "a dead allocation holds no port");
	free(used);
	cr_assert_eq(drover_state_ports_claim(st, b, "", theirs, 2, &conflict, &err), 0, "%s",
	             err.message);
	cr_assert_eq(drover_state_ports_get(st, b, "", &got, &n, &err), 0);
	cr_assert_eq(n, 2, "port 21001 taken over from the dead allocation");
	drover_state_ports_free(got, n);
	drover_state_close(st);
}

/* One call decides an allocation's ports: chosen past the ports live
 * allocations hold and recorded, then read back as recorded (what a resumed
 * allocation or a restarted task gets), a held ReservedPort refused by name. */
Test(state_store, ports_take_chooses_records_and_reads_back)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	const char *a = "0a1b2c3d-0000-4000-8000-0000000000a1";
	const char *b = "0a1b2c3d-0000-4000-8000-0000000000b2";
	put_alloc(st, a);
	put_task(st, a, "t");
	put_alloc(st, b);
	put_task(st, b, "t");
	drover_ports_config cfg = {.min_dynamic_port = 43100, .max_dynamic_port = 43101};
	strcpy(cfg.host_ip, "127.0.0.1");
	drover_port want[] = {{.label = "http", .to = 8080}};
	drover_alloc_ports pa = {0}, pb = {0};
	drover_port_set in_use = {{0}};
	cr_assert_eq(drover_state_ports_take(st, &cfg, want, 1, &in_use, "Networks", a, "", &pa, &err),
	             0, "%s", err.message);
	cr_assert_eq(pa.count, 1);
	cr_assert(pa.ports[0].value == 43100 || pa.ports[0].value == 43101, "%d", pa.ports[0].value);
	cr_assert_eq(pa.ports[0].to, 8080);
	cr_assert_str_eq(pa.host_ip, "127.0.0.1");
	cr_assert(drover_port_set_has(&in_use, pa.ports[0].value));

	/* Another allocation, with no memory of the first: the store keeps them apart. */
	cr_assert_eq(drover_state_ports_take(st, &cfg, want, 1, NULL, "Networks", b, "", &pb, &err),
	             0, "%s", err.message);
	cr_assert_neq(pb.ports[0].value, pa.ports[0].value);

	drover_alloc_ports again = {0};
	cr_assert_eq(drover_state_ports_take(st, &cfg, want, 1, NULL, "Networks", a, "", &again, &err),
	             0, "%s", err.message);
	cr_assert_eq(again.ports[0].value, pa.ports[0].value, "read back as recorded");
	drover_alloc_ports_clear(&again);

	drover_port reserved[] = {{.label = "fixed", .value = pb.ports[0].value}};
	const char *c = "0a1b2c3d-0000-4000-8000-0000000000c3";
	put_alloc(st, c);
	put_task(st, c, "t");
	int rc = drover_state_ports_take(st, &cfg, reserved, 1, NULL, "job \"j\"", c, "", &again, &err);
	cr_assert_eq(rc, -EADDRINUSE);
	cr_assert(strstr(err.message, "\"fixed\"") && strstr(err.message, "job \"j\""), "%s",
	          err.message);
	drover_state_port *got;
	size_t n;
	cr_assert_eq(drover_state_ports_get(st, c, "", &got, &n, &err), 0);
	cr_assert_eq(n, 0, "a refused take records nothing");
	drover_state_ports_free(got, n);
	drover_alloc_ports_clear(&pa);
	drover_alloc_ports_clear(&pb);
	drover_state_close(st);
}

Test(state_store, start_intent_counts_attempts_and_keeps_the_shim_and_restart_due)
{
	static const char id[] = "0a1b2c3d-0000-4000-8000-0000000000aa";
	drover_state *st = open_store();
	drover_err err = {{0}};
	put_alloc(st, id);
	put_task(st, id, "t");
	int attempt = 0;
	cr_assert_eq(drover_state_task_set_starting(st, id, "t", "/run/x/t", &attempt, &err), 0, "%s",
	             err.message);
	cr_assert_eq(attempt, 1);
	cr_assert_eq(drover_state_task_set_shim(st, "/run/x/t", 4321, 99, &err), 0, "%s", err.message);
	cr_assert_eq(drover_state_alloc_refresh_status(st, id, &err), 0);
	drover_state_alloc a;
	cr_assert_eq(drover_state_alloc_get(st, id, &a, &err), 0);
	cr_assert_str_eq(a.client_status, "running", "a start under way counts as running");
	drover_state_alloc_clear(&a);
	drover_state_task *tasks;
	size_t n;
	cr_assert_eq(drover_state_task_list(st, id, &tasks, &n, &err), 0);
	cr_assert_str_eq(tasks[0].state, "starting");
	cr_assert_null(tasks[0].problem);
	cr_assert_str_eq(tasks[0].state_dir, "/run/x/t");
	cr_assert_eq(tasks[0].shim_pid, 4321);
	cr_assert_eq(tasks[0].shim_start, 99);
	drover_state_tasks_free(tasks, n);

	cr_assert_eq(drover_state_task_set_restart_due(st, id, "t", 1, 123456, &err), 0);
	cr_assert_eq(drover_state_task_set_starting(st, id, "t", "/run/x/t", &attempt, &err), 0);
	cr_assert_eq(attempt, 2);
	cr_assert_eq(drover_state_task_list(st, id, &tasks, &n, &err), 0);
	cr_assert_eq(tasks[0].restart_due_ms, 0, "a start ends the pending restart");
	cr_assert_eq(tasks[0].shim_pid, 0, "a new attempt forgets the previous shim");
	cr_assert_eq(tasks[0].restarts, 1);
	drover_state_tasks_free(tasks, n);
	cr_assert_eq(drover_state_task_set_starting(st, id, "nope", "/x", NULL, &err), -ENOENT);

	int count = 0, signo = 0;
	char *call = NULL;
	cr_assert_eq(drover_state_fault_add(st, "segv", "/p/segv.so@1", "start", SIGSEGV, &err), 0);
	cr_assert_eq(drover_state_fault_add(st, "segv", "/p/segv.so@2", "recover", SIGBUS, &err), 0);
	cr_assert_eq(drover_state_fault_count(st, "segv", "/p/segv.so@1", 0, &count, &call, &signo,
	                                      &err),
	             0);
	cr_assert_eq(count, 1, "a replaced plugin file starts afresh");
	cr_assert_str_eq(call, "start");
	cr_assert_eq(signo, SIGSEGV);
	free(call);
	drover_state_close(st);
}

static unsigned file_mode(const char *suffix)
{
	char path[160];
	struct stat sb;
	snprintf(path, sizeof(path), "%s%s", db_path, suffix);
	cr_assert_eq(lstat(path, &sb), 0, "%s: %s", path, strerror(errno));
	return sb.st_mode & 07777;
}

/* Issue 11, attack 6: the database holds every job's Env and registry
 * passwords; no other user may read it, its WAL or its shared memory, and a
 * world-readable file left by an older drover is narrowed. The data dir is
 * traversable (tasks of other uids reach alloc/) but not listable. */
Test(state_store, database_files_are_private)
{
	drover_state *st = open_store();
	put_alloc(st, "0a1b2c3d-0000-4000-8000-000000000009");
	cr_assert_eq(file_mode(""), 0600);
	cr_assert_eq(file_mode("-wal"), 0600);
	cr_assert_eq(file_mode("-shm"), 0600);
	cr_assert_eq(file_mode(".lock"), 0600);
	drover_state_close(st);

	cr_assert_eq(chmod(db_path, 0644), 0);
	char side[160];
	snprintf(side, sizeof(side), "%s-wal", db_path);
	chmod(side, 0644);
	cr_assert_eq(chmod(root, 0755), 0);
	st = open_store();
	cr_assert_eq(file_mode(""), 0600);
	struct stat sb;
	if (stat(side, &sb) == 0)
		cr_assert_eq(sb.st_mode & 077, 0, "-wal mode %o", sb.st_mode & 07777);
	cr_assert_eq(stat(root, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0711, "data dir mode %o", sb.st_mode & 07777);
	drover_state_close(st);
}
