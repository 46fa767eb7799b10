/* The state store through the `drover` binary: run -detach, then the
 * daemonless commands from fresh drover processes, with real tasks under
 * drover-shim that outlive every drover process. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cli_harness.h"
#include "tests/test_support.h"

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

TestSuite(cli_state, .init = setup, .fini = teardown, .timeout = 120);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A batch job of one raw_exec task running `sh -c SCRIPT` (which may use
 * $ROOT); no restarts, so an exit is final and the detached runner ends with
 * its task. */
static char *write_job(const char *name, const char *script, const char *extra)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   "   \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},\n"
	                   "   \"Tasks\": [{\n"
	                   "   \"Name\": \"t\", \"Driver\": \"raw_exec\", \"Env\": {\"ROOT\": \"%s\"},\n"
	                   "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}%s%s\n"
	                   " }]}]}}\n",
	                   name, env.root, script, extra ? ",\n   " : "", extra ? extra : "") > 0);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

/* drover CMD <common options> ARGS... */
static void drover(cli_result *r, const char *cmd, const char *a1, const char *a2, const char *a3,
                   const char *a4)
{
	const char *argv[] = {cmd, "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, a1, a2, a3, a4, NULL};
	cli_run(r, DEADLINE_MS, argv);
}

/* run -detach; returns the allocation id (static buffer). */
static const char *detach(const char *job)
{
	static char id[64];
	cli_result r;
	drover(&r, "run", "-detach", job, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "run -detach: stdout: %s stderr: %s", r.out, r.err);
	const char *p = strstr(r.out, "==> Allocation \"");
	cr_assert(p, "no allocation printed: %s", r.out);
	p += strlen("==> Allocation \"");
	size_t len = strcspn(p, "\"");
	cr_assert_eq(len, 36, "not an allocation id: %s", r.out);
	snprintf(id, sizeof(id), "%.*s", (int)len, p);
	cli_result_clear(&r);
	return id;
}

static void touch(const char *name)
{
	char *p = cli_write_file(&env, name, "");
	free(p);
}

/* The pid of the detached runner of the last run, from its log. */
static pid_t runner_pid(void)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/drover-run.log", env.data_dir);
	char *log = cli_slurp(path);
	cr_assert(log, "no %s", path);
	const char *last = NULL, *p = log;
	while ((p = strstr(p, "detached runner pid "))) {
		last = p;
		p++;
	}
	cr_assert(last, "runner pid not logged: %s", log);
	pid_t pid = (pid_t)atoi(last + strlen("detached runner pid "));
	free(log);
	return pid;
}

/* The value of a "Key   = value" line of `drover status ALLOC` (the first
 * one: the allocation's, or the first task's), or NULL. Static buffer. */
static const char *status_field(const char *out, const char *key)
{
	static char value[256];
	size_t klen = strlen(key);
	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) != 0 || (p[klen] != ' ' && p[klen] != '='))
			continue;
		const char *v = p + klen + strspn(p + klen, " ");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " ");
		size_t n = strcspn(v, "\n");
		snprintf(value, sizeof(value), "%.*s", (int)n, v);
		return value;
	}
	return NULL;
}

static int status_int(const char *out, const char *key)
{
	const char *v = status_field(out, key);
	return v ? atoi(v) : -1000;
}

static int status_is(const char *out, const char *key, const char *value)
{
	const char *v = status_field(out, key);
	return v && strcmp(v, value) == 0;
}

static int status_pid(const char *out)
{
	return status_int(out, "Pid");
}

Test(cli_state, detached_run_then_status_reports_exit_code_after_everything_is_gone)
{
	char *job = write_job("seven", "while [ ! -e $ROOT/go ]; do sleep 0.05; done; exit 7", NULL);
	const char *id = detach(job);
	pid_t runner = runner_pid();
	cli_result r;
	drover(&r, "status", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "is \"running\"") && status_pid(r.out) > 0,
	          "the task is recorded as started: %s", r.out);
	cli_result_clear(&r);

	touch("go");
	cr_assert(cli_wait_gone(runner, DEADLINE_MS), "the detached runner did not end with its task");
	drover(&r, "status", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "dead"), "%s", r.out);
	cr_assert_eq(status_int(r.out, "Exit Code"), 7, "%s", r.out);
	cr_assert(status_is(r.out, "Client Status", "failed"), "%s", r.out);
	cr_assert(strstr(r.out, "Terminated"), "events recorded: %s", r.out);
	cli_result_clear(&r);

	drover(&r, "status", "-json", NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"ExitCode\": 7"), "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(cli_state, task_survives_kill_9_of_the_runner_and_status_learns_its_exit)
{
	char *job = write_job("survivor", "while [ ! -e $ROOT/go ]; do sleep 0.05; done; exit 7", NULL);
	const char *id = detach(job);
	pid_t runner = runner_pid();
	cli_result r;
	drover(&r, "status", id, NULL, NULL, NULL);
	int pid = status_pid(r.out);
	cr_assert_gt(pid, 0, "no pid: %s", r.out);
	cli_result_clear(&r);

	kill(runner, SIGKILL);
	cr_assert(cli_wait_gone(runner, DEADLINE_MS));
	cr_assert(cli_pid_alive(pid), "the task died with its runner");
	char prefix[9];
	snprintf(prefix, sizeof(prefix), "%.8s", id);
	drover(&r, "status", prefix, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "running"), "%s", r.out);
	cr_assert_eq(status_pid(r.out), pid, "same task, same pid: %s", r.out);
	cli_result_clear(&r);

	touch("go");
	/* Nobody watches the task now: status itself must learn the exit. */
	drover(&r, "wait", prefix, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1, "wait fails on a non-zero exit: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "exit code 7"), "%s", r.out);
	cli_result_clear(&r);
	drover(&r, "status", prefix, NULL, NULL, NULL);
	cr_assert_eq(status_int(r.out, "Exit Code"), 7, "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

/* The detached runner applies the task's restart policy and records each
 * restart; its count is what status shows. */
Test(cli_state, detached_runner_restarts_by_policy_and_status_counts_them)
{
	char *job = write_job("flaky", "echo run >> $ROOT/runs; exit 3",
	                      "\"RestartPolicy\": {\"Attempts\": 2, \"Delay\": 100000000,"
	                      " \"Interval\": 600000000000, \"Mode\": \"fail\"}");
	const char *id = detach(job);
	pid_t runner = runner_pid();
	cr_assert(cli_wait_gone(runner, DEADLINE_MS), "the runner did not give up after 2 restarts");
	cli_result r;
	drover(&r, "status", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert_eq(status_int(r.out, "Total Restarts"), 2, "two restarts recorded: %s", r.out);
	cr_assert_eq(status_int(r.out, "Exit Code"), 3, "%s", r.out);
	cr_assert(strstr(r.out, "Not Restarting"), "the final event: %s", r.out);
	cli_result_clear(&r);
	char path[400];
	snprintf(path, sizeof(path), "%s/runs", env.root);
	char *runs = cli_slurp(path);
	cr_assert(runs && strcmp(runs, "run\nrun\nrun\n") == 0, "three runs: \"%s\"", runs);
	free(runs);
	free(job);
}

/* `drover stop` from another process wins over the restart policy of the
 * runner that watches the task. */
Test(cli_state, stop_is_not_undone_by_the_runners_restart_policy)
{
	char *job = write_job("stubborn", "exec sleep 600",
	                      "\"RestartPolicy\": {\"Attempts\": 5, \"Delay\": 50000000,"
	                      " \"Interval\": 600000000000, \"Mode\": \"fail\"}");
	const char *id = detach(job);
	pid_t runner = runner_pid();
	cli_result r;
	drover(&r, "stop", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	cr_assert(cli_wait_gone(runner, DEADLINE_MS), "the runner restarted a stopped task");
	drover(&r, "status", id, NULL, NULL, NULL);
	cr_assert(strstr(r.out, "dead"), "%s", r.out);
	cr_assert_eq(status_int(r.out, "Total Restarts"), 0, "%s", r.out);
	cr_assert_null(strstr(r.out, "Restarting"), "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(cli_state, status_of_a_running_task_after_runner_kill_records_the_exit_itself)
{
	char *job = write_job("lonely", "while [ ! -e $ROOT/go ]; do sleep 0.05; done; exit 5", NULL);
	const char *id = detach(job);
	pid_t runner = runner_pid();
	kill(runner, SIGKILL);
	cr_assert(cli_wait_gone(runner, DEADLINE_MS));
	cli_result r;
	drover(&r, "status", "-verbose", id, NULL, NULL);
	const char *shim = strstr(r.out, "drover-shim pid ");
	cr_assert(shim, "the driver's detail names the shim: %s", r.out);
	pid_t shim_pid = (pid_t)atoi(shim + strlen("drover-shim pid "));
	cli_result_clear(&r);
	touch("go");
	/* The shim exits once it has recorded the task's exit status. */
	cr_assert(cli_wait_gone(shim_pid, DEADLINE_MS), "the task and its shim did not exit");
	/* The task has exited but the store still says running: status asks. */
	drover(&r, "status", id, NULL, NULL, NULL);
	cr_assert(strstr(r.out, "dead") && status_int(r.out, "Exit Code") == 5, "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

/* Nobody watches the task, but its drover-shim runs: the store is the answer,
 * and status loads no driver (here the plugin directory is empty, so asking
 * one would fail and say so). -stats does ask. */
Test(cli_state, status_of_an_unwatched_task_whose_shim_runs_asks_no_driver)
{
	char *job = write_job("supervised", "while [ ! -e $ROOT/go ]; do sleep 0.05; done; exit 4",
	                      NULL);
	const char *id = detach(job);
	pid_t runner = runner_pid();
	kill(runner, SIGKILL);
	cr_assert(cli_wait_gone(runner, DEADLINE_MS));
	char *empty = NULL;
	cr_assert(asprintf(&empty, "%s/no-plugins", env.root) > 0);
	cr_assert_eq(mkdir(empty, 0755), 0, "%s: %s", empty, strerror(errno));
	const char *argv[] = {"status", "-config", env.config_enabled, "-plugin-dir", empty,
	                      "-data-dir", env.data_dir, id, NULL};
	cli_result r;
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(status_is(r.out, "State", "running") || strstr(r.out, "is \"running\""), "%s",
	          r.out);
	cr_assert_eq(r.err[0], '\0', "status asked for a driver: %s", r.err);
	cr_assert_null(status_field(r.out, "Problem"), "status asked for a driver: %s", r.out);
	cli_result_clear(&r);

	drover(&r, "status", "-stats", id, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(status_field(r.out, "Resources"), "-stats did not ask the driver: %s", r.out);
	cli_result_clear(&r);

	touch("go");
	drover(&r, "wait", id, NULL, NULL, NULL);
	cli_result_clear(&r);
	free(empty);
	free(job);
}

Test(cli_state, logs_tail_and_follow)
{
	char *job = write_job("talker",
	                      "for i in 1 2 3 4 5; do echo line $i; done; echo err >&2;"
	                      " while [ ! -e $ROOT/go ]; do sleep 0.05; done; echo after",
	                      NULL);
	const char *id = detach(job);
	const char *argv[] = {"logs", "-f", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, id, "t", NULL};
	int fd;
	pid_t pid = cli_spawn(argv, &fd);
	char *seen = cli_read_until(fd, "line 5\n", DEADLINE_MS);
	cr_assert(seen, "logs -f never showed the output");
	free(seen);

	cli_result r;
	drover(&r, "logs", "-tail", "2", id, "t");
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "line 4\nline 5\n");
	cli_result_clear(&r);
	drover(&r, "logs", "--stderr", id, "t", NULL);
	cr_assert_str_eq(r.out, "err\n");
	cli_result_clear(&r);
	drover(&r, "logs", "-tail", "many", id, "t");
	cr_assert_eq(r.exit_code, 2);
	cr_assert(strstr(r.err, "-tail"), "%s", r.err);
	cli_result_clear(&r);

	touch("go");
	seen = cli_read_until(fd, "after\n", DEADLINE_MS);
	cr_assert(seen, "logs -f missed the output written later");
	free(seen);
	int status = cli_wait(pid, DEADLINE_MS);
	cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "logs -f must end when the task is dead");
	close(fd);
	free(job);
}

/* Sum of the sizes of <data>/alloc/<id>/alloc/logs/t.stdout.*, their count,
 * the largest, and whether every file ends with a whole line. */
static void stdout_files(const char *id, long long *total, int *count, long long *largest,
                         int *whole_lines)
{
	char pattern[600];
	snprintf(pattern, sizeof(pattern), "%s/alloc/%s/alloc/logs/t.stdout.*", env.data_dir, id);
	glob_t g;
	*total = *largest = 0;
	*count = 0;
	*whole_lines = 1;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		cr_assert_eq(stat(g.gl_pathv[i], &st), 0);
		*total += st.st_size;
		*count += 1;
		if (st.st_size > *largest)
			*largest = st.st_size;
		if (st.st_size > 0) {
			char last = 0;
			int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC);
			cr_assert(fd >= 0);
			cr_assert_eq(pread(fd, &last, 1, st.st_size - 1), 1);
			close(fd);
			if (last != '\n')
				*whole_lines = 0;
		}
	}
	globfree(&g);
}

/* A task that writes as fast as it can: 3 files of 1 MiB at most, whatever it
 * wrote (about 22 MiB), and no line cut at a file's end. */
Test(cli_state, log_rotation_stays_within_its_bound_under_a_fast_writer)
{
	char *job = write_job("firehose",
	                      "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij | head -n 400000",
	                      "\"LogConfig\": {\"MaxFiles\": 3, \"MaxFileSizeMB\": 1}");
	const char *id = detach(job);
	cli_result r;
	drover(&r, "wait", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	long long total, largest;
	int count, whole;
	stdout_files(id, &total, &count, &largest, &whole);
	cr_assert_leq(count, 3, "%d files kept, MaxFiles is 3", count);
	cr_assert_geq(count, 2, "the output was rotated: %d file(s)", count);
	cr_assert_leq(largest, 1024 * 1024, "a file of %lld bytes passed MaxFileSizeMB 1", largest);
	cr_assert_leq(total, 3 * 1024 * 1024, "%lld bytes on disk, the bound is 3 MiB", total);
	cr_assert(whole, "a file ends in the middle of a line");
	free(job);
}

/* logs -f started before the output follows it from file .0 through the
 * rotations to the end: every line once, in order. */
Test(cli_state, logs_follow_crosses_rotations_without_loss)
{
	enum { LINES = 300000 }; /* about 2 MB of "N\n": three 1 MiB files */
	char *job = write_job("rotor",
	                      "while [ ! -e $ROOT/go ]; do sleep 0.05; done; seq 1 300000",
	                      "\"LogConfig\": {\"MaxFiles\": 5, \"MaxFileSizeMB\": 1}");
	const char *id = detach(job);
	const char *argv[] = {"logs", "-f", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, id, "t", NULL};
	int fd;
	pid_t pid = cli_spawn(argv, &fd);
	touch("go");
	char *seen = cli_read_until(fd, "\n300000\n", DEADLINE_MS);
	cr_assert(seen, "logs -f did not reach the last line");
	int status = cli_wait(pid, DEADLINE_MS);
	cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "logs -f must end when the task is dead");
	close(fd);
	long long total, largest;
	int count, whole;
	stdout_files(id, &total, &count, &largest, &whole);
	cr_assert_geq(count, 2, "the test needs a rotation: %d file(s)", count);
	size_t at = 0, len = strlen(seen);
	for (int i = 1; i <= LINES; i++) {
		char want[16];
		int n = snprintf(want, sizeof(want), "%d\n", i);
		cr_assert(at + (size_t)n <= len && memcmp(seen + at, want, (size_t)n) == 0,
		          "line %d missing or out of order at byte %zu", i, at);
		at += (size_t)n;
	}
	cr_assert_eq(at, len, "%zu bytes after the last line", len - at);
	free(seen);
	free(job);
}

Test(cli_state, stop_uses_kill_signal_then_kill_timeout)
{
	char *job = write_job("stubborn", "trap '' INT; echo ready; while true; do sleep 0.05; done",
	                      "\"KillTimeout\": 500000000");
	const char *id = detach(job);
	cli_result r;
	long long t0 = now_ms();
	drover(&r, "stop", id, NULL, NULL, NULL);
	long long took = now_ms() - t0;
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "signal 9"), "SIGINT is ignored: SIGKILL expected: %s", r.out);
	cr_assert_geq(took, 450, "SIGKILL came before the 500ms KillTimeout (%lld ms)", took);
	cli_result_clear(&r);
	drover(&r, "status", id, NULL, NULL, NULL);
	cr_assert(status_is(r.out, "Desired Status", "stop"), "%s", r.out);
	cr_assert(strstr(r.out, "Killed"), "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(cli_state, signal_reaches_the_task)
{
	char *job = write_job("hup", "trap 'echo got hup; exit 0' HUP; echo ready; while true; do sleep 0.05; done",
	                      NULL);
	const char *id = detach(job);
	const char *argv[] = {"logs", "-f", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, id, "t", NULL};
	int fd;
	pid_t pid = cli_spawn(argv, &fd);
	char *seen = cli_read_until(fd, "ready\n", DEADLINE_MS);
	cr_assert(seen);
	free(seen);
	cli_result r;
	drover(&r, "signal", id, "t", "NOT-A-SIGNAL", NULL);
	cr_assert_eq(r.exit_code, 2);
	cr_assert(strstr(r.err, "NOT-A-SIGNAL"), "%s", r.err);
	cli_result_clear(&r);
	drover(&r, "signal", id, "t", "HUP", NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	cli_result_clear(&r);
	seen = cli_read_until(fd, "got hup\n", DEADLINE_MS);
	cr_assert(seen, "the task never saw SIGHUP");
	free(seen);
	cr_assert_neq(cli_wait(pid, DEADLINE_MS), -1);
	close(fd);
	drover(&r, "wait", id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "the task exited 0 after HUP: %s %s", r.out, r.err);
	cli_result_clear(&r);
	free(job);
}

Test(cli_state, gc_removes_dead_allocations_only)
{
	char *done = write_job("done", "exit 0", NULL);
	char *busy = write_job("busy", "while [ ! -e $ROOT/go ]; do sleep 0.05; done", NULL);
	char dead_id[64];
	snprintf(dead_id, sizeof(dead_id), "%s", detach(done));
	const char *live_id = detach(busy);
	cli_result r;
	drover(&r, "wait", dead_id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	drover(&r, "gc", NULL, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, dead_id), "%s", r.out);
	cr_assert_null(strstr(r.out, live_id), "a running allocation was collected: %s", r.out);
	cli_result_clear(&r);
	char path[512];
	snprintf(path, sizeof(path), "%s/alloc/%s", env.data_dir, dead_id);
	cr_assert_neq(access(path, F_OK), 0, "%s still exists", path);
	snprintf(path, sizeof(path), "%s/alloc/%s", env.data_dir, live_id);
	cr_assert_eq(access(path, F_OK), 0, "%s was removed", path);
	drover(&r, "status", dead_id, NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1, "the record is gone too");
	cli_result_clear(&r);
	touch("go");
	drover(&r, "wait", live_id, NULL, NULL, NULL);
	cli_result_clear(&r);
	free(done);
	free(busy);
}

Test(cli_state, exec_runs_inside_the_task_with_its_environment)
{
	char *job = write_job("execme", "while [ ! -e $ROOT/go ]; do sleep 0.05; done", NULL);
	const char *id = detach(job);
	cli_result r;
	const char *argv[] = {"exec", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, id, "t", "--", "/bin/sh", "-c",
	                      "echo in $NOMAD_TASK_NAME; exit 3", NULL};
	cli_run(&r, DEADLINE_MS, argv);
	touch("go");
	cr_assert_eq(r.exit_code, 3, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "in t"), "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(cli_state, two_drover_commands_at_once_on_one_data_dir)
{
	char *job = write_job("twice", "exit 0", NULL);
	const char *argv[] = {"run", "-detach", "-config", env.config_enabled, "-plugin-dir",
	                      plugin_dir(), "-data-dir", env.data_dir, job, NULL};
	int fd1, fd2;
	pid_t a = cli_spawn(argv, &fd1);
	pid_t b = cli_spawn(argv, &fd2);
	int sa = cli_wait(a, DEADLINE_MS), sb = cli_wait(b, DEADLINE_MS);
	cr_assert(sa != -1 && WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "first run failed");
	cr_assert(sb != -1 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "second run failed");
	char *o1 = cli_read_until(fd1, "created", 1000), *o2 = cli_read_until(fd2, "created", 1000);
	cr_assert(o1 && o2);
	for (int k = 0; k < 2; k++) {
		char id[37];
		const char *p = strchr(k ? o2 : o1, '"');
		snprintf(id, sizeof(id), "%.36s", p + 1);
		cli_result r;
		drover(&r, "wait", id, NULL, NULL, NULL);
		cr_assert_eq(r.exit_code, 0, "%s: %s %s", id, r.out, r.err);
		cli_result_clear(&r);
	}
	free(o1);
	free(o2);
	close(fd1);
	close(fd2);
	cli_result r;
	drover(&r, "status", "-json", NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	const char *p = r.out;
	int n = 0;
	while ((p = strstr(p, "\"ClientStatus\": \"complete\""))) {
		n++;
		p++;
	}
	cr_assert_eq(n, 2, "%s", r.out);
	cli_result_clear(&r);
	free(job);
}

Test(cli_state, commands_have_help_and_refuse_unknown_allocations)
{
	const char *commands[] = {"status", "logs", "wait", "stop", "signal", "exec", "gc"};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		cli_result r;
		const char *argv[] = {commands[i], "--help", NULL};
		cli_run(&r, DEADLINE_MS, argv);
		cr_assert_eq(r.exit_code, 0, "%s --help: %s", commands[i], r.err);
		cr_assert(strstr(r.out, "Usage: drover"), "%s", r.out);
		cli_result_clear(&r);
	}
	cli_result r;
	drover(&r, "status", "ffff", NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "\"ffff\""), "%s", r.err);
	cli_result_clear(&r);
	drover(&r, "wait", "../../etc", NULL, NULL, NULL);
	cr_assert_eq(r.exit_code, 1);
	cr_assert(strstr(r.err, "not an allocation id"), "%s", r.err);
	cli_result_clear(&r);
}
