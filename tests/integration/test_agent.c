/* `drover agent` with real processes: adoption after kill -9 (same pids, no
 * restart), exits that happened while no host ran, the data dir lock, damaged
 * state rows and task directories, SIGTERM leaving tasks running, and a
 * detached runner dying while an agent watches it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "cli_harness.h"
#include "tests/test_support.h"
#include "tests/test_wait.h"

#define DEADLINE_MS 30000

static cli_env env;
static char agent_config[400];

static void setup(void)
{
	cli_env_setup(&env);
	char *text = NULL;
	cr_assert(asprintf(&text, "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},"
	                          " \"client\": {\"fingerprint_interval\": \"300ms\"}}\n") > 0);
	char *p = cli_write_file(&env, "agent.json", text);
	snprintf(agent_config, sizeof(agent_config), "%s", p);
	free(p);
	free(text);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(agent, .init = setup, .fini = teardown, .timeout = 180);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

static void drover(cli_result *r, const char *cmd, const char *a1, const char *a2)
{
	const char *argv[] = {cmd, "-config", agent_config, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, a1, a2, NULL};
	cli_run(r, DEADLINE_MS, argv);
}

/* A batch job of one group whose tasks run the given shell scripts. */
static char *write_job(const char *name, const char *const *tasks, size_t n)
{
	char *body = strdup(""), *next = NULL;
	for (size_t i = 0; i < n; i++) {
		cr_assert(asprintf(&next,
		                   "%s%s{\"Name\": \"t%zu\", \"Driver\": \"raw_exec\","
		                   " \"Env\": {\"ROOT\": \"%s\"}, \"KillTimeout\": 1000000000,"
		                   " \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}}",
		                   body, i ? ",\n" : "", i, env.root, tasks[i]) > 0);
		free(body);
		body = next;
	}
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\", \"TaskGroups\": [{\"Name\": "
	                   "\"g\", \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},"
	                   " \"Tasks\": [%s]}]}}\n",
	                   name, body) > 0);
	free(body);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

/* run -detach; the allocation id into `id` (37 bytes). */
static void detach(const char *job, char *id)
{
	cli_result r;
	drover(&r, "run", "-detach", job);
	cr_assert_eq(r.exit_code, 0, "run -detach: %s %s", r.out, r.err);
	const char *p = strstr(r.out, "==> Allocation \"");
	cr_assert(p, "no allocation printed: %s", r.out);
	snprintf(id, 37, "%s", p + strlen("==> Allocation \""));
	cli_result_clear(&r);
}

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

static void kill9(pid_t pid)
{
	cr_assert_eq(kill(pid, SIGKILL), 0, "kill %d: %s", (int)pid, strerror(errno));
	/* Our child (the agent) is reaped here; a detached runner by init. */
	waitpid(pid, NULL, 0);
	cr_assert(cli_wait_gone(pid, DEADLINE_MS), "pid %d survived SIGKILL", (int)pid);
}

typedef struct agent_proc {
	pid_t pid;
	int fd;       /* its stdout and stderr */
	char *seen;   /* everything read so far */
	size_t used;  /* seen[0..used) was matched already */
} agent_proc;

static agent_proc agent_start(void)
{
	int p[2];
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	const char *drover_bin = getenv("DROVER_TEST_DROVER");
	cr_assert(drover_bin);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl(drover_bin, drover_bin, "agent", "-config", agent_config, "-plugin-dir",
		      plugin_dir(), "-data-dir", env.data_dir, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	return (agent_proc){.pid = pid, .fd = p[0], .seen = strdup("")};
}

/* Reads the agent's log until `needle` appears after what earlier calls
 * matched; fails the test after the deadline. */
static char *agent_expect(agent_proc *a, const char *needle)
{
	char *hit;
	while (!(hit = strstr(a->seen + a->used, needle))) {
		/* cli_read_until keeps what it read beyond the needle: so do we. */
		char *text = cli_read_until(a->fd, needle, DEADLINE_MS);
		cr_assert(text, "the agent never logged \"%s\"; it said:\n%s", needle, a->seen);
		char *joined = NULL;
		cr_assert(asprintf(&joined, "%s%s", a->seen, text) > 0);
		free(text);
		free(a->seen);
		a->seen = joined;
	}
	a->used = (size_t)(hit - a->seen) + strlen(needle);
	return strdup(hit);
}

static void agent_kill9(agent_proc *a)
{
	kill9(a->pid);
	close(a->fd);
	free(a->seen);
	a->seen = NULL;
}

/* Task line of `drover status ALLOC`: state, pid and restarts. */
typedef struct task_status {
	char state[16];
	int pid;
	int restarts;
	int exit_code;
	char *text; /* the whole status output */
} task_status;

static void status_of(const char *alloc, const char *task, task_status *out)
{
	cli_result r;
	drover(&r, "status", alloc, NULL);
	cr_assert_eq(r.exit_code, 0, "status: %s %s", r.out, r.err);
	/* `drover status ALLOC`: a `Task "NAME" is "STATE"` line, then its
	 * "Key = value" lines up to the next blank line. */
	char key[64];
	snprintf(key, sizeof(key), "Task \"%s\" is \"", task);
	const char *p = strstr(r.out, key);
	cr_assert(p, "no task %s in: %s", task, r.out);
	p += strlen(key);
	*out = (task_status){.exit_code = -1000};
	sscanf(p, "%15[a-z]", out->state);
	const char *end = strstr(p, "\n\n");
	if (!end)
		end = p + strlen(p);
	const char *q = strstr(p, "\nPid ");
	if (q && q < end)
		out->pid = atoi(strchr(q, '=') + 1);
	q = strstr(p, "\nTotal Restarts ");
	if (q && q < end)
		out->restarts = atoi(strchr(q, '=') + 1);
	q = strstr(p, "\nExit Code ");
	if (q && q < end)
		out->exit_code = atoi(strchr(q, '=') + 1);
	out->text = r.out;
	r.out = NULL;
	cli_result_clear(&r);
}

static int exists(void *path)
{
	return access(path, F_OK) == 0;
}

/* Waits until the shim of task `task` recorded an exit in its private state
 * directory (it renames the file into place: inotify sees it arrive). */
static void wait_exit_status(const char *alloc, const char *task)
{
	char dir[600], path[620];
	snprintf(dir, sizeof(dir), "%s/run/%s/%s", env.data_dir, alloc, task);
	snprintf(path, sizeof(path), "%s/exit-status", dir);
	cr_assert(test_wait_in_dir(dir, exists, path, DEADLINE_MS), "%s never appeared", path);
}

/* Starts a job of `n` sleeping tasks detached and kills its runner: the
 * tasks run on with no host. */
static void orphan_job(const char *name, size_t n, char *id)
{
	const char *scripts[] = {"exec sleep 1000", "exec sleep 1000", "exec sleep 1000"};
	cr_assert(n <= 3);
	char *job = write_job(name, scripts, n);
	detach(job, id);
	free(job);
	kill9(runner_pid());
}

Test(agent, kill9_loop_readopts_same_pids_without_restart)
{
	char id[40];
	orphan_job("loop", 2, id);
	task_status before[2];
	status_of(id, "t0", &before[0]);
	status_of(id, "t1", &before[1]);
	cr_assert_str_eq(before[0].state, "running");
	cr_assert_gt(before[0].pid, 0);
	for (int iter = 0; iter < 5; iter++) {
		agent_proc a = agent_start();
		free(agent_expect(&a, "adopted 1 allocation"));
		free(agent_expect(&a, "Adopted"));
		for (int k = 0; k < 2; k++) {
			task_status s;
			status_of(id, k ? "t1" : "t0", &s);
			cr_assert_str_eq(s.state, "running", "iteration %d: %s", iter, s.text);
			cr_assert_eq(s.pid, before[k].pid, "iteration %d: task t%d has pid %d, not %d", iter,
			             k, s.pid, before[k].pid);
			cr_assert_eq(s.restarts, 0, "iteration %d: %s", iter, s.text);
			cr_assert(cli_pid_alive(s.pid), "iteration %d: pid %d is gone", iter, s.pid);
			free(s.text);
		}
		agent_kill9(&a);
	}
	free(before[0].text);
	free(before[1].text);
}

Test(agent, exit_while_no_host_ran_is_reported_with_its_true_code)
{
	char fifo[400];
	snprintf(fifo, sizeof(fifo), "%s/fifo", env.root);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	const char *scripts[] = {"read x < $ROOT/fifo; exit 7"};
	char *job = write_job("exit7", scripts, 1);
	char id[40];
	detach(job, id);
	free(job);
	agent_proc a = agent_start();
	/* The agent's runner owns nothing: the detached runner does. */
	kill9(runner_pid());
	free(agent_expect(&a, "adopted 1 allocation"));
	agent_kill9(&a);
	/* No host at all now: the task exits. */
	int fd = open(fifo, O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "x\n", 2), 2);
	close(fd);
	wait_exit_status(id, "t0");
	a = agent_start();
	free(agent_expect(&a, "Exit Code: 7"));
	task_status s;
	status_of(id, "t0", &s);
	cr_assert_str_eq(s.state, "dead", "%s", s.text);
	cr_assert_eq(s.exit_code, 7, "%s", s.text);
	cr_assert_eq(s.restarts, 0, "%s", s.text);
	free(s.text);
	agent_kill9(&a);
}

Test(agent, second_agent_is_refused_naming_the_holder)
{
	agent_proc a = agent_start();
	free(agent_expect(&a, "fingerprint every"));
	cli_result r;
	drover(&r, "agent", NULL, NULL);
	cr_assert_eq(r.exit_code, 1, "second agent: %d %s", r.exit_code, r.err);
	char want[64];
	snprintf(want, sizeof(want), "in use by another drover agent (pid %d", (int)a.pid);
	cr_assert(strstr(r.err, want), "message: %s", r.err);
	cli_result_clear(&r);
	agent_kill9(&a);
}

Test(agent, stale_lock_of_a_killed_agent_does_not_block)
{
	agent_proc a = agent_start();
	free(agent_expect(&a, "fingerprint every"));
	agent_kill9(&a);
	char path[400];
	snprintf(path, sizeof(path), "%s/agent.lock", env.data_dir);
	char *text = cli_slurp(path);
	cr_assert(text && atoi(text) == a.pid, "lock file holds \"%s\", not pid %d", text ? text : "",
	          (int)a.pid);
	free(text);
	agent_proc b = agent_start();
	free(agent_expect(&b, "fingerprint every"));
	text = cli_slurp(path);
	cr_assert(text && atoi(text) == b.pid, "lock file holds \"%s\", not pid %d", text ? text : "",
	          (int)b.pid);
	free(text);
	agent_kill9(&b);
}

static void sql(const char *stmt)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/state.db", env.data_dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, stmt, NULL, NULL, &msg), SQLITE_OK, "%s: %s", stmt,
	             msg ? msg : "");
	sqlite3_close(db);
}

static void wait_gone(int pid)
{
	cr_assert(cli_wait_gone(pid, DEADLINE_MS), "pid %d is still running", pid);
}

Test(agent, corrupt_handle_kills_the_leftover_task_and_reports_it)
{
	char id[40];
	orphan_job("corrupt", 1, id);
	task_status s;
	status_of(id, "t0", &s);
	int pid = s.pid;
	free(s.text);
	cr_assert(cli_pid_alive(pid));
	sql("UPDATE tasks SET handle = x'6761726261676521' WHERE name = 't0'");
	agent_proc a = agent_start();
	free(agent_expect(&a, "what was left of it was killed"));
	/* Killed before recover returned: no wait for it to go. */
	cr_assert(!cli_pid_alive(pid), "the task pid %d survived its damaged handle", pid);
	free(agent_expect(&a, "Terminated"));
	status_of(id, "t0", &s);
	cr_assert_str_eq(s.state, "dead", "%s", s.text);
	cr_assert(strstr(s.text, "what was left of it was killed"), "%s", s.text);
	free(s.text);
	agent_kill9(&a);
}

Test(agent, damaged_row_without_a_blob_still_kills_the_task)
{
	char id[40];
	orphan_job("textrow", 1, id);
	task_status s;
	status_of(id, "t0", &s);
	int pid = s.pid;
	free(s.text);
	sql("UPDATE tasks SET handle = 'not a blob' WHERE name = 't0'");
	agent_proc a = agent_start();
	free(agent_expect(&a, "damaged state row"));
	wait_gone(pid);
	agent_kill9(&a);
}

Test(agent, missing_task_directory_is_reported_failed)
{
	char id[40];
	orphan_job("nodir", 1, id);
	task_status s;
	status_of(id, "t0", &s);
	int pid = s.pid;
	free(s.text);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/alloc/%s/t0'", env.data_dir, id);
	cr_assert_eq(system(cmd), 0);
	agent_proc a = agent_start();
	free(agent_expect(&a, "is missing"));
	wait_gone(pid);
	status_of(id, "t0", &s);
	cr_assert_str_eq(s.state, "dead", "%s", s.text);
	cr_assert(strstr(s.text, "Client Status      = failed"), "%s", s.text);
	free(s.text);
	cr_assert(cli_pid_alive(a.pid), "the agent died on a missing task directory");
	agent_kill9(&a);
}

Test(agent, sigterm_exits_and_leaves_tasks_running)
{
	char id[40];
	orphan_job("term", 1, id);
	task_status s;
	status_of(id, "t0", &s);
	int pid = s.pid;
	free(s.text);
	agent_proc a = agent_start();
	free(agent_expect(&a, "Adopted"));
	cr_assert_eq(kill(a.pid, SIGTERM), 0);
	int st = cli_wait(a.pid, DEADLINE_MS);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "agent exit status %d", st);
	close(a.fd);
	free(a.seen);
	cr_assert(cli_pid_alive(pid), "SIGTERM of the agent killed task pid %d", pid);
	status_of(id, "t0", &s);
	cr_assert_str_eq(s.state, "running", "%s", s.text);
	free(s.text);
	/* Ownership was released: the next agent adopts it at once. */
	agent_proc b = agent_start();
	free(agent_expect(&b, "Adopted"));
	status_of(id, "t0", &s);
	cr_assert_eq(s.pid, pid, "%s", s.text);
	free(s.text);
	agent_kill9(&b);
}

/* The idle agent fingerprints docker every round, but only a docker task
 * needs libcurl and the TLS, SSH, LDAP and Kerberos libraries under it
 * (plugins/docker/docker_curl.h): a healthy docker is seen without mapping it. */
Test(agent, fingerprints_docker_without_loading_libcurl)
{
	drover_test_require(access("/var/run/docker.sock", F_OK) == 0,
	                    "no dockerd on /var/run/docker.sock (scripts/test-services.sh start)");
	agent_proc a = agent_start();
	free(agent_expect(&a, "driver \"docker\" is healthy"));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)a.pid);
	char *maps = cli_slurp(path);
	cr_assert(maps, "cannot read %s", path);
	cr_assert(strstr(maps, "docker.so"), "the docker driver is not loaded:\n%s", maps);
	cr_assert_null(strstr(maps, "libcurl"), "the idle agent mapped libcurl:\n%s", maps);
	free(maps);
	cr_assert_eq(kill(a.pid, SIGTERM), 0);
	int st = cli_wait(a.pid, DEADLINE_MS);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "agent exit status %d", st);
	close(a.fd);
	free(a.seen);
}

Test(agent, adopts_the_allocation_of_a_detached_runner_that_dies)
{
	agent_proc a = agent_start();
	free(agent_expect(&a, "fingerprint every"));
	const char *scripts[] = {"exec sleep 1000"};
	char *job = write_job("late", scripts, 1);
	char id[40];
	detach(job, id);
	free(job);
	pid_t runner = runner_pid();
	char want[64];
	snprintf(want, sizeof(want), "watching pid %d", (int)runner);
	free(agent_expect(&a, want));
	task_status s;
	status_of(id, "t0", &s);
	int pid = s.pid;
	free(s.text);
	kill9(runner);
	/* Two watches see the death: the runner's pidfd and the store's lock; the
	 * adoption may be logged before or after the pid's end, so both lines are
	 * looked for from the same point. */
	size_t mark = a.used;
	snprintf(want, sizeof(want), "pid %d is gone", (int)runner);
	free(agent_expect(&a, want));
	a.used = mark;
	free(agent_expect(&a, "Adopted"));
	status_of(id, "t0", &s);
	cr_assert_eq(s.pid, pid, "%s", s.text);
	cr_assert_str_eq(s.state, "running", "%s", s.text);
	free(s.text);
	agent_kill9(&a);
}
