/* Crash consistency with real processes: a driver that segfaults in start()
 * (the crash_in_start ABI fixture), a runner killed during a restart delay,
 * a lost, truncated or damaged state database while tasks run, and `drover
 * stop` on a full file system. */
#include "crash_support.h"

#include <sys/mount.h>

static void setup(void)
{
	static const char *const fixtures[] = {"crash_in_start", NULL};
	cs_setup(fixtures);
}

TestSuite(crash, .init = setup, .fini = cs_teardown, .timeout = 240);

static char *segv_job(const char *name, int count)
{
	return cs_job(name, count, NULL,
	              "{\"Name\": \"nap\", \"Driver\": \"crash_in_start\", \"Config\": {}}");
}

static char *sleep_job(const char *name)
{
	char *t = cs_sh_task("t", "exec sleep 1000", NULL);
	char *job = cs_job(name, 1, NULL, t);
	free(t);
	return job;
}

static char *task_row(const char *alloc, const char *column)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT %s FROM tasks WHERE alloc_id = ?1", column);
	return cs_query(sql, alloc);
}

Test(crash, driver_crash_in_start_is_reported_recorded_and_contained)
{
	/* Attached: reported, non-zero, the allocation failed with the reason. */
	char *job = segv_job("segv", 1);
	cli_result r;
	cs_drover(&r, "run", job, NULL);
	cr_assert_eq(r.signal, 0, "drover run died of signal %d: %s", r.signal, r.err);
	cr_assert_neq(r.exit_code, 0, "%s", r.err);
	cr_assert(strstr(r.err, "driver \"crash_in_start\""), "%s", r.err);
	cr_assert(strstr(r.err, "crashed with SIGSEGV in crash_in_start.start"), "%s", r.err);
	cr_assert(strstr(r.err, "recorded failed"), "%s", r.err);
	cli_result_clear(&r);
	char *first = cs_query("SELECT id FROM allocations ORDER BY created_ms LIMIT 1", NULL);
	cr_assert(first[0]);
	char *status = cs_query("SELECT client_status FROM allocations WHERE id = ?1", first);
	cr_assert_str_eq(status, "failed");
	free(status);
	char *ev = cs_events(first, "Driver Failure");
	cr_assert(strstr(ev, "drover died while crash_in_start.start ran"), "events: %s", ev);
	free(ev);

	/* An agent supervising another allocation stays up when a detached
	 * runner crashes, and `run -detach` says what happened. */
	char *sleeper = sleep_job("sleeper");
	cs_drover(&r, "run", "-detach", sleeper);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char ids[1][40];
	cr_assert_eq(cs_printed_allocs(r.out, ids, 1), 1);
	cli_result_clear(&r);
	cs_kill9(cs_runner_pid());
	cs_agent a = cs_agent_start();
	free(cs_agent_expect(&a, "adopted 1 allocation"));
	char *pid_before = task_row(ids[0], "pid");

	cs_drover(&r, "run", "-detach", job);
	cr_assert_neq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.err, "died before it had started every task"), "%s", r.err);
	char segv_ids[1][40];
	cr_assert_eq(cs_printed_allocs(r.out, segv_ids, 1), 1, "run -detach hid the allocation: %s",
	             r.out);
	cli_result_clear(&r);
	char *state = task_row(segv_ids[0], "state");
	cr_assert_str_eq(state, "dead");
	free(state);
	ev = cs_events(segv_ids[0], "Driver Failure");
	cr_assert(strstr(ev, "drover died while crash_in_start.start ran"), "events: %s", ev);
	free(ev);
	cr_assert(cli_pid_alive(a.pid), "the agent died");
	char *pid_after = task_row(ids[0], "pid");
	cr_assert_str_eq(pid_before, pid_after);
	cr_assert(cli_pid_alive(atoi(pid_after)));

	/* stop and gc clean the crashed allocations up. */
	cs_drover(&r, "stop", segv_ids[0], NULL);
	cr_assert_eq(r.exit_code, 0, "stop: %s %s", r.out, r.err);
	cli_result_clear(&r);
	cs_drover(&r, "gc", NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "gc: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, first), "gc kept %s: %s", first, r.out);
	cr_assert(strstr(r.out, segv_ids[0]), "gc kept %s: %s", segv_ids[0], r.out);
	cli_result_clear(&r);
	cr_assert_eq(cs_query_int("SELECT count(*) FROM allocations", NULL), 1);
	cs_agent_stop(&a);
	cs_drover(&r, "stop", ids[0], NULL);
	cli_result_clear(&r);
	free(pid_before);
	free(pid_after);
	free(first);
	free(sleeper);
	free(job);
}

Test(crash, agent_restarts_in_place_and_quarantines_a_driver_that_keeps_crashing)
{
	/* Each allocation waits in a prestart task for $ROOT/go, then starts the
	 * crashing task: the agent, not the runner, runs those starts. */
	char *gate = cs_sh_task("gate", "while [ ! -e $ROOT/go ]; do sleep 0.05; done",
	                        "\"Lifecycle\": {\"Hook\": \"prestart\"},");
	char *tasks = NULL;
	cr_assert(asprintf(&tasks, "%s, {\"Name\": \"nap\", \"Driver\": \"crash_in_start\", "
	                           "\"Config\": {}}", gate) > 0);
	char *job = cs_job("gated", 4, NULL, tasks);
	char *sleeper = sleep_job("sleeper");
	cli_result r;
	cs_drover(&r, "run", "-detach", sleeper);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char sleeper_id[1][40];
	cs_printed_allocs(r.out, sleeper_id, 1);
	cli_result_clear(&r);
	cs_kill9(cs_runner_pid());
	cs_drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	cs_kill9(cs_runner_pid());
	char *pid_before = task_row(sleeper_id[0], "pid");

	cs_agent a = cs_agent_start();
	free(cs_agent_expect(&a, "adopted 5 allocations"));
	char go[400];
	snprintf(go, sizeof(go), "%s/go", cs_env.root);
	cr_assert_eq(close(open(go, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	for (int i = 0; i < 3; i++) {
		free(cs_agent_expect(&a, "crashed with SIGSEGV in crash_in_start.start"));
		free(cs_agent_expect(&a, "starting the agent again"));
	}
	free(cs_agent_expect(&a, "driver \"crash_in_start\" is quarantined"));
	/* The fourth allocation is failed with the quarantine, not crashed. */
	free(cs_agent_expect(&a, "Driver Failure"));
	cr_assert(cli_pid_alive(a.pid), "the agent is gone");
	cr_assert_eq(cs_query_int("SELECT count(*) FROM events WHERE type = 'Driver Failure' AND"
	                          " message LIKE 'drover died while crash_in_start.start ran%'",
	                          NULL),
	             3);
	cr_assert(cs_wait_count("SELECT count(*) FROM events WHERE type = 'Driver Failure' AND"
	                        " message LIKE '%is quarantined%'", 1),
	          "agent log:\n%s", a.seen);
	cr_assert(cs_wait_count("SELECT count(*) FROM tasks WHERE name = 'nap' AND state = 'dead'"
	                        " AND failed = 1", 4));
	char *pid_after = task_row(sleeper_id[0], "pid");
	cr_assert_str_eq(pid_before, pid_after, "the other allocation's task was restarted");
	cr_assert(cli_pid_alive(atoi(pid_after)));
	cs_agent_stop(&a);
	cs_drover(&r, "stop", sleeper_id[0], NULL);
	cli_result_clear(&r);
	free(pid_before);
	free(pid_after);
	free(gate);
	free(tasks);
	free(job);
	free(sleeper);
}

static int log_has_restarting(void *path)
{
	char *log = cli_slurp(path);
	int hit = log && strstr(log, "Restarting");
	free(log);
	return hit;
}

Test(crash, pending_restart_survives_the_death_of_its_runner)
{
	char *flaky = cs_sh_task("flaky", "if [ -e $ROOT/second ]; then exec sleep 1000; fi; "
	                                  "touch $ROOT/second; exit 3", NULL);
	char *sibling = cs_sh_task("sibling", "exec sleep 1000", NULL);
	char *tasks = NULL;
	cr_assert(asprintf(&tasks, "%s, %s", flaky, sibling) > 0);
	char *job = cs_job("flaky", 1,
	                   "\"RestartPolicy\": {\"Attempts\": 2, \"Interval\": 600000000000,"
	                   " \"Delay\": 3000000000, \"Mode\": \"fail\"},",
	                   tasks);
	cli_result r;
	cs_drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char id[1][40];
	cs_printed_allocs(r.out, id, 1);
	cli_result_clear(&r);
	char log[400];
	snprintf(log, sizeof(log), "%s/drover-run.log", cs_env.data_dir);
	cr_assert(test_wait_in_dir(cs_env.data_dir, log_has_restarting, log, CS_DEADLINE_MS),
	          "the runner never scheduled the restart");
	cs_kill9(cs_runner_pid());
	char *due = cs_query("SELECT restart_due_ms FROM tasks WHERE alloc_id = ?1 AND"
	                     " name = 'flaky'", id[0]);
	cr_assert_gt(atoll(due), 0, "no restart due time recorded");
	free(due);
	char *sibling_pid = cs_query("SELECT pid FROM tasks WHERE alloc_id = ?1 AND"
	                             " name = 'sibling'", id[0]);

	cs_agent a = cs_agent_start();
	free(cs_agent_expect(&a, "Restart scheduled by the previous owner"));
	free(cs_agent_expect(&a, "Task started by client"));
	char *state = cs_query("SELECT state || ' ' || restarts FROM tasks WHERE alloc_id = ?1 AND"
	                       " name = 'flaky'", id[0]);
	cr_assert_str_eq(state, "running 1");
	free(state);
	char *pid_now = cs_query("SELECT pid FROM tasks WHERE alloc_id = ?1 AND name = 'sibling'",
	                         id[0]);
	cr_assert_str_eq(pid_now, sibling_pid, "the healthy sibling was restarted or killed");
	cr_assert(cli_pid_alive(atoi(pid_now)));
	char *killed = cs_events(id[0], "Sibling Task Failed");
	cr_assert_str_eq(killed, "");
	free(killed);
	cs_agent_stop(&a);
	cs_drover(&r, "stop", id[0], NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	free(pid_now);
	free(sibling_pid);
	free(flaky);
	free(sibling);
	free(tasks);
	free(job);
}

/* Runs a sleeping task detached; returns its allocation id (40 bytes). */
static void running_task(char *id, int *pid)
{
	char *job = sleep_job("victim");
	cli_result r;
	cs_drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char ids[1][40];
	cr_assert_eq(cs_printed_allocs(r.out, ids, 1), 1);
	snprintf(id, 40, "%s", ids[0]);
	cli_result_clear(&r);
	char *p = task_row(id, "pid");
	*pid = atoi(p);
	free(p);
	cr_assert(cli_pid_alive(*pid));
	free(job);
}

static void assert_refused_naming(const char *cmd, const char *a1, const char *alloc, int pid)
{
	cli_result r;
	cs_drover(&r, cmd, a1, NULL);
	cr_assert_neq(r.exit_code, 0, "%s went on: %s %s", cmd, r.out, r.err);
	cr_assert(strstr(r.err, alloc), "%s did not name %s: %s", cmd, alloc, r.err);
	char pidtext[32];
	snprintf(pidtext, sizeof(pidtext), "pid %d", pid);
	cr_assert(strstr(r.err, pidtext), "%s did not name %s: %s", cmd, pidtext, r.err);
	cli_result_clear(&r);
}

static void lost_database(const char *how)
{
	char id[40];
	int pid;
	running_task(id, &pid);
	pid_t runner = cs_runner_pid();
	cs_kill9(runner);
	char db[400], wal[420];
	snprintf(db, sizeof(db), "%s/state.db", cs_env.data_dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	if (strcmp(how, "truncated") == 0) {
		cr_assert_eq(truncate(db, 0), 0);
		unlink(wal);
	} else if (strcmp(how, "wal") == 0) {
		cr_assert_eq(unlink(wal), 0, "no -wal: %s", strerror(errno));
	} else {
		FILE *f = fopen(db, "r+");
		cr_assert(f);
		char junk[8192];
		memset(junk, 'x', sizeof(junk));
		cr_assert_eq(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
		fclose(f);
		unlink(wal);
	}
	assert_refused_naming("status", NULL, id, pid);
	char *job = sleep_job("another");
	assert_refused_naming("run", job, id, pid);
	cli_result r;
	cs_drover(&r, "run", "-detach", job);
	cr_assert_neq(r.exit_code, 0);
	cr_assert(strstr(r.err, "nothing was started"), "%s", r.err);
	cli_result_clear(&r);
	int pids[8];
	char marker[400];
	snprintf(marker, sizeof(marker), "ROOT=%s", cs_env.root);
	cr_assert_eq(cs_task_processes(marker, pids, 8), 1, "a task started on a lost database");
	/* The agent refuses too, naming it, and does not crash-loop. */
	const char *argv[] = {"agent", "-config", cs_config, "-plugin-dir", cs_plugins, "-data-dir",
	                      cs_env.data_dir, NULL};
	cli_run(&r, CS_DEADLINE_MS, argv);
	cr_assert_neq(r.exit_code, 0);
	cr_assert(strstr(r.err, id), "%s", r.err);
	cli_result_clear(&r);
	kill(pid, SIGKILL);
	free(job);
}

Test(crash, truncated_database_with_running_tasks_is_refused_naming_them)
{
	lost_database("truncated");
}

Test(crash, deleted_wal_with_running_tasks_is_refused_naming_them)
{
	lost_database("wal");
}

Test(crash, damaged_database_with_running_tasks_is_refused_naming_them)
{
	lost_database("damaged");
}

Test(crash, stop_works_on_a_full_file_system)
{
	drover_test_require(geteuid() == 0, "stop on a full disk mounts a tmpfs: run as root");
	/* The data dir on a small tmpfs of its own. */
	int mounted = mount("tmpfs", cs_env.data_dir, "tmpfs", 0, "size=4m,mode=0711");
	drover_test_require(mounted == 0 || errno != EPERM,
	                    "stop on a full disk mounts a tmpfs: this root may not mount");
	cr_assert_eq(mounted, 0, "mount: %s", strerror(errno));
	/* The task fills the disk once the test saw its start recorded ($ROOT/go):
	 * a disk that fills while the start is being recorded is another case. */
	char *filler = cs_sh_task("filler",
	                          "while [ ! -e $ROOT/go ]; do sleep 0.05; done; "
	                          "cat /dev/zero > $NOMAD_ALLOC_DIR/data/fill; "
	                          "touch $NOMAD_ALLOC_DIR/data/full; exec sleep 1000", NULL);
	char *job = cs_job("filler", 1, NULL, filler);
	cli_result r;
	cs_drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char id[1][40];
	cs_printed_allocs(r.out, id, 1);
	cli_result_clear(&r);
	cr_assert(cs_wait_count("SELECT count(*) FROM tasks WHERE state = 'running' AND pid > 0", 1),
	          "the start was never recorded");
	char go[400];
	snprintf(go, sizeof(go), "%s/go", cs_env.root);
	cr_assert_eq(close(open(go, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	char dir[400], full[450];
	snprintf(dir, sizeof(dir), "%s/alloc/%s/alloc/data", cs_env.data_dir, id[0]);
	snprintf(full, sizeof(full), "%s/full", dir);
	cr_assert(test_wait_in_dir(dir, cs_exists, full, CS_DEADLINE_MS), "the disk never filled");
	char *pid = task_row(id[0], "pid");
	cr_assert(cli_pid_alive(atoi(pid)));
	cs_drover(&r, "stop", id[0], NULL);
	cr_assert_eq(r.exit_code, 0, "stop on a full disk: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "stopped"), "%s", r.out);
	cli_result_clear(&r);
	cr_assert(cli_wait_gone(atoi(pid), CS_DEADLINE_MS), "the task survived the stop");
	free(pid);
	cs_kill9(cs_runner_pid());
	cr_assert_eq(umount2(cs_env.data_dir, MNT_DETACH), 0, "umount: %s", strerror(errno));
	free(filler);
	free(job);
}

Test(crash, agent_adopts_within_a_second_an_allocation_created_after_it_started)
{
	cs_agent a = cs_agent_start();
	free(cs_agent_expect(&a, "fingerprint every 30000 ms"));
	/* Created after the agent's first scan; the next fingerprint is 30 s away. */
	char id[40];
	int pid;
	running_task(id, &pid);
	pid_t runner = cs_runner_pid();
	free(cs_agent_expect(&a, "watching pid"));
	long long t0 = test_wait_now_ms();
	cs_kill9(runner);
	free(cs_agent_expect(&a, "adopted 1 allocation"));
	long long took = test_wait_now_ms() - t0;
	fprintf(stderr, "adoption took %lld ms after the runner's death\n", took);
	cr_assert_lt(took, 1000, "adopted %lld ms after the owner died", took);
	free(cs_agent_expect(&a, "Adopted"));
	char *now = task_row(id, "pid");
	cr_assert_eq(atoi(now), pid, "the task was started again");
	free(now);
	cs_agent_stop(&a);
	cli_result r;
	cs_drover(&r, "stop", id, NULL);
	cli_result_clear(&r);
}

Test(crash, wait_follows_a_task_behind_a_prestart_and_stop_records_terminated_once)
{
	char *gate = cs_sh_task("gate", "while [ ! -e $ROOT/go ]; do sleep 0.05; done",
	                        "\"Lifecycle\": {\"Hook\": \"prestart\"},");
	char *main_task = cs_sh_task("main", "exit 0", NULL);
	char *tasks = NULL;
	cr_assert(asprintf(&tasks, "%s, %s", gate, main_task) > 0);
	char *job = cs_job("gated", 1, NULL, tasks);
	cli_result r;
	cs_drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char id[1][40];
	cs_printed_allocs(r.out, id, 1);
	cli_result_clear(&r);
	/* `drover wait` while "main" is pending behind the prestart task. */
	const char *argv[] = {"wait", "-config", cs_config, "-plugin-dir", cs_plugins, "-data-dir",
	                      cs_env.data_dir, id[0], NULL};
	int out_fd = -1;
	pid_t waiter = cli_spawn(argv, &out_fd);
	char go[400];
	snprintf(go, sizeof(go), "%s/go", cs_env.root);
	cr_assert_eq(close(open(go, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	char *out = cli_read_until(out_fd, "Task \"main\"", CS_DEADLINE_MS);
	cr_assert(out, "drover wait did not follow the pending task");
	int st = cli_wait(waiter, CS_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "drover wait: status %d, said %s", st, out);
	free(out);
	close(out_fd);

	/* One Terminated event per exit, even when another process stops the task. */
	char *sleeper = sleep_job("sleeper");
	cs_drover(&r, "run", "-detach", sleeper);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char sid[1][40];
	cs_printed_allocs(r.out, sid, 1);
	cli_result_clear(&r);
	cs_drover(&r, "stop", sid[0], NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	cr_assert(cs_wait_count("SELECT count(*) FROM tasks WHERE state = 'dead' AND name = 't'", 1));
	/* The runner records the exit it saw; stop does not record it again. */
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE alloc_id = '%s' AND"
	                           " type = 'Terminated'", sid[0]);
	cr_assert(cs_wait_count(sql, 1));
	cs_drover(&r, "status", sid[0], NULL);
	cli_result_clear(&r);
	cr_assert_eq(cs_query_int(sql, NULL), 1, "Terminated recorded more than once");
	free(gate);
	free(main_task);
	free(tasks);
	free(job);
	free(sleeper);
}

Test(crash, a_desired_stop_is_honoured_by_the_owner_and_by_the_next_agent)
{
	char *gate = cs_sh_task("gate", "exec sleep 1000", "\"Lifecycle\": {\"Hook\": \"prestart\"},");
	char *main_task = cs_sh_task("main", "exec sleep 1000", NULL);
	char *tasks = NULL;
	cr_assert(asprintf(&tasks, "%s, %s", gate, main_task) > 0);
	char *job = cs_job("stopped", 2, NULL, tasks);
	cli_result r;
	cs_drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	char ids[2][40];
	cr_assert_eq(cs_printed_allocs(r.out, ids, 2), 2);
	cli_result_clear(&r);

	/* Owner alive: stop kills the prestart task; the runner must not start
	 * "main" behind it. */
	cs_drover(&r, "stop", ids[0], NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "Task \"main\" is waiting to be started by pid"), "%s", r.out);
	cli_result_clear(&r);
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tasks WHERE alloc_id = '%s' AND"
	                           " state = 'dead'", ids[0]);
	cr_assert(cs_wait_count(sql, 2), "the owner did not end the stopped allocation");

	/* Owner dead: desired stop set behind the store's back (as a stop whose
	 * kills had not all happened when it was recorded); the next agent stops
	 * the allocation instead of running it on. */
	cs_kill9(cs_runner_pid());
	char db[400];
	snprintf(db, sizeof(db), "%s/state.db", cs_env.data_dir);
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 10000);
	char upd[200];
	snprintf(upd, sizeof(upd), "UPDATE allocations SET desired_status = 'stop' WHERE id = '%s'",
	         ids[1]);
	cr_assert_eq(sqlite3_exec(h, upd, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	char *gate_pid = cs_query("SELECT pid FROM tasks WHERE alloc_id = ?1 AND name = 'gate'", ids[1]);
	cr_assert(cli_pid_alive(atoi(gate_pid)));
	cs_agent a = cs_agent_start();
	free(cs_agent_expect(&a, "adopted 1 allocation"));
	cr_assert(cli_wait_gone(atoi(gate_pid), CS_DEADLINE_MS), "the agent ran a stopped allocation on");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tasks WHERE alloc_id = '%s' AND"
	                           " state = 'dead'", ids[1]);
	cr_assert(cs_wait_count(sql, 2));
	cr_assert_eq(cs_query_int("SELECT count(*) FROM tasks WHERE name = 'main' AND pid != 0", NULL),
	             0, "a main task of a stopped allocation was started");
	cs_agent_stop(&a);
	free(gate_pid);
	free(gate);
	free(main_task);
	free(tasks);
	free(job);
}
