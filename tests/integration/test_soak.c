/* The crash-consistency soak: tasks started by `drover run -detach` and by
 * `drover agent`, with the runner and the agent killed with SIGKILL at random
 * points of the start path, many times. Afterwards every task runs exactly
 * once (task processes equal running rows, no duplicate of any task), the
 * pids are unchanged across an agent restart, no task process is unknown to
 * the store, and after stop no process and no cgroup is left. Bounded: about
 * half a minute on two cores; the figures are printed. */
#include "crash_support.h"

#include <time.h>

#define SOAK_RUNNER_KILLS 20
#define SOAK_AGENT_KILLS 16
#define SOAK_COUNT 5 /* allocations per job */

static void setup(void)
{
	cs_setup(NULL);
}

TestSuite(soak, .init = setup, .fini = cs_teardown, .timeout = 300);

static unsigned rnd(unsigned max)
{
	return (unsigned)random() % max;
}

/* Fault injection, not waiting for an event: the kill lands at a random
 * point of whatever the process is doing. */
static void random_pause(unsigned max_ms)
{
	unsigned ms = rnd(max_ms + 1);
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int runner_lines(void)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/drover-run.log", cs_env.data_dir);
	char *log = cli_slurp(path);
	int n = 0;
	for (const char *p = log; p && (p = strstr(p, "detached runner pid ")); p++)
		n++;
	free(log);
	return n;
}

typedef struct lines_arg {
	int want;
} lines_arg;

static int has_lines(void *arg)
{
	return runner_lines() >= ((lines_arg *)arg)->want;
}

/* `drover run -detach JOB` in the background; returns once its runner logged
 * its pid, then kills that runner at a random point of its start path. */
static void detach_and_kill(const char *job, int *runner_kills)
{
	int before = runner_lines();
	const char *bin = getenv("DROVER_TEST_DROVER");
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 1);
		dup2(null, 2);
		execl(bin, bin, "run", "-config", cs_config, "-plugin-dir", cs_plugins, "-data-dir",
		      cs_env.data_dir, "-detach", job, (char *)NULL);
		_exit(127);
	}
	lines_arg want = {before + 1};
	cr_assert(test_wait_in_dir(cs_env.data_dir, has_lines, &want, CS_DEADLINE_MS),
	          "the detached runner never started");
	random_pause(250);
	pid_t runner = cs_runner_pid();
	if (kill(runner, SIGKILL) == 0)
		(*runner_kills)++;
	cr_assert(cli_wait_gone(runner, CS_DEADLINE_MS));
	cr_assert_neq(cli_wait(pid, CS_DEADLINE_MS), -1, "run -detach hung");
}

static int settled(void *arg)
{
	(void)arg;
	return cs_query_int("SELECT count(*) FROM tasks WHERE state IN ('pending', 'starting')",
	                    NULL) == 0;
}

/* The NOMAD_ALLOC_ID of a process, or "" (malloc'd). */
static char *alloc_of(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return strdup("");
	buf[len] = '\0';
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1)
		if (strncmp(buf + off, "NOMAD_ALLOC_ID=", 15) == 0)
			return strdup(buf + off + 15);
	return strdup("");
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Running rows' pids, sorted; returns how many. */
static size_t running_pids(int *pids, size_t max)
{
	sqlite3 *db = cs_db();
	sqlite3_stmt *s = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT pid FROM tasks WHERE state = 'running'", -1, &s,
	                                NULL),
	             SQLITE_OK);
	size_t n = 0;
	while (sqlite3_step(s) == SQLITE_ROW && n < max)
		pids[n++] = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	qsort(pids, n, sizeof(*pids), int_cmp);
	return n;
}

/* Any cgroup left of these allocations (v2 drover.slice, v1 drover/). */
static int cgroups_left(char ids[][40], size_t n)
{
	static const char *const parents[] = {"/sys/fs/cgroup/drover.slice",
	                                      "/sys/fs/cgroup/memory/drover",
	                                      "/sys/fs/cgroup/cpu/drover",
	                                      "/sys/fs/cgroup/pids/drover"};
	int left = 0;
	for (size_t p = 0; p < sizeof(parents) / sizeof(parents[0]); p++) {
		DIR *d = opendir(parents[p]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)))
			for (size_t i = 0; i < n; i++)
				if (strncmp(e->d_name, ids[i], 36) == 0) {
					fprintf(stderr, "soak: cgroup %s/%s is left\n", parents[p], e->d_name);
					left++;
				}
		closedir(d);
	}
	return left;
}

Test(soak, kill9_runner_and_agent_in_the_start_path_never_duplicates_or_loses_a_task)
{
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	char *t = cs_sh_task("t", "exec sleep 1000", NULL);
	char *job = cs_job("soak", SOAK_COUNT, NULL, t);
	free(t);
	int runner_kills = 0, agent_kills = 0;
	long long t0 = test_wait_now_ms();

	/* Runners alone, killed while they start their allocations. */
	for (int i = 0; i < SOAK_RUNNER_KILLS / 2; i++)
		detach_and_kill(job, &runner_kills);

	/* With an agent that adopts what they leave and is killed in turn while it
	 * starts the pending tasks. */
	cs_agent a = cs_agent_start();
	for (int i = 0; i < SOAK_AGENT_KILLS; i++) {
		if (i < SOAK_RUNNER_KILLS - SOAK_RUNNER_KILLS / 2)
			detach_and_kill(job, &runner_kills);
		random_pause(300);
		cs_agent_stop(&a);
		agent_kills++;
		a = cs_agent_start();
	}
	cr_assert(test_wait_in_dir(cs_env.data_dir, settled, NULL, 60000),
	          "tasks stayed pending or starting under a live agent");

	int tasks = cs_query_int("SELECT count(*) FROM tasks", NULL);
	int running = cs_query_int("SELECT count(*) FROM tasks WHERE state = 'running'", NULL);
	int interrupted = cs_query_int("SELECT count(*) FROM events WHERE type = 'Driver Failure'"
	                               " AND message LIKE 'drover died while raw_exec.start ran%'",
	                               NULL);
	int failed_other = cs_query_int("SELECT count(*) FROM tasks WHERE state = 'dead'", NULL) -
	                   interrupted;
	cr_assert_leq(tasks, runner_kills * SOAK_COUNT, "more tasks than were asked for");

	/* Exactly once: every task process is a running row, and no task has two. */
	char marker[400];
	snprintf(marker, sizeof(marker), "ROOT=%s", cs_env.root);
	int procs[512], rows[512];
	size_t nprocs = cs_task_processes(marker, procs, 512);
	size_t nrows = running_pids(rows, 512);
	int duplicates = 0;
	for (size_t i = 0; i < nprocs; i++) {
		char *ai = alloc_of(procs[i]);
		for (size_t k = i + 1; k < nprocs; k++) {
			char *ak = alloc_of(procs[k]);
			if (ai[0] && strcmp(ai, ak) == 0) {
				duplicates++;
				char *row = cs_query("SELECT state || ' pid ' || pid || ' attempt ' ||"
				                     " start_attempt || ' shim ' || shim_pid FROM tasks"
				                     " WHERE alloc_id = ?1", ai);
				char *ev = cs_query("SELECT group_concat(type || ': ' || message, char(10))"
				                    " FROM events WHERE alloc_id = ?1", ai);
				fprintf(stderr, "soak: DUPLICATE of allocation %s: pids %d and %d; row: %s; "
				        "events:\n%s\n", ai, procs[i], procs[k], row, ev);
				free(row);
				free(ev);
			}
			free(ak);
		}
		free(ai);
	}
	qsort(procs, nprocs < 512 ? nprocs : 512, sizeof(int), int_cmp);
	fprintf(stderr,
	        "soak: %d runner kills, %d agent kills, %d tasks: %d running, %d failed as "
	        "interrupted starts, %d otherwise dead; %zu task processes; duplicates %d; %lld ms\n",
	        runner_kills, agent_kills, tasks, running, interrupted, failed_other, nprocs,
	        duplicates, test_wait_now_ms() - t0);
	cr_assert_eq(duplicates, 0);
	cr_assert_eq(failed_other, 0, "tasks died for another reason than an interrupted start");
	cr_assert_eq(nprocs, nrows, "%zu task processes, %zu running rows", nprocs, nrows);
	for (size_t i = 0; i < nrows; i++)
		cr_assert_eq(procs[i], rows[i], "process %d is not the running row's %d", procs[i],
		             rows[i]);

	/* Same pids after one more agent restart. */
	cs_agent_stop(&a);
	a = cs_agent_start();
	free(cs_agent_expect(&a, "adopted"));
	cr_assert(test_wait_in_dir(cs_env.data_dir, settled, NULL, CS_DEADLINE_MS));
	int again[512];
	size_t nagain = running_pids(again, 512);
	cr_assert_eq(nagain, nrows);
	for (size_t i = 0; i < nrows; i++) {
		cr_assert_eq(again[i], rows[i], "pid %d changed across an agent restart", rows[i]);
		cr_assert(cli_pid_alive(again[i]));
	}
	cs_agent_stop(&a);

	/* Stop everything: no process, no cgroup left. */
	char ids[128][40];
	size_t nids = 0;
	sqlite3 *db = cs_db();
	sqlite3_stmt *s = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id FROM allocations", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && nids < 128)
		snprintf(ids[nids++], 40, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	for (size_t i = 0; i < nids; i++) {
		cli_result r;
		cs_drover(&r, "stop", ids[i], NULL);
		cr_assert_eq(r.exit_code, 0, "stop %s: %s %s", ids[i], r.out, r.err);
		cli_result_clear(&r);
	}
	for (size_t i = 0; i < nrows; i++)
		cr_assert(cli_wait_gone(rows[i], CS_DEADLINE_MS), "pid %d survived stop", rows[i]);
	cr_assert_eq(cs_task_processes(marker, procs, 512), 0, "task processes outlived stop");
	cr_assert_eq(cgroups_left(ids, nids), 0);
	free(job);
}
