/* `drover agent` with the three drivers of the built plugin directory
 * (raw_exec, exec, docker):
 *  - idle, no allocation: its RSS and PSS, sampled once a second after it
 *    logged that it started (fingerprints done);
 *  - re-adoption: 1000 sleeping raw_exec tasks started by `drover run
 *    -detach`, whose runner is killed (SIGKILL) so that a first agent adopts
 *    them; then the agent is killed (SIGKILL) and started again, and the time
 *    from its spawn to the last of its "Adopted" task events (one per task, on
 *    its stderr) is measured. The event is read, never polled for.
 * Every task is stopped at the end (SIGTERM to the agent, which leaves them
 * running and releases them, then `drover stop` of each allocation), also
 * when a measurement fails.
 *
 * Knobs: BENCH_AGENT_IDLE_SECONDS (default 10), BENCH_READOPT_TASKS (1000),
 * BENCH_READOPT_REPEAT (3). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_jobs.h"
#include "json.h"
#include "value_tree.h"

extern char **environ;

typedef struct agent_proc {
	pid_t pid;
	int fd;           /* its stdout and stderr */
	char buf[65536];  /* an incomplete line */
	size_t len;
} agent_proc;

typedef struct agent_bench {
	bench_cli cli;
	agent_proc agent;
	pid_t runner;
	char **alloc_ids;
	size_t count;
} agent_bench;

static void agent_spawn(const bench_cli *cli, agent_proc *a)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		bench_die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	const char *argv[] = {cli->drover,    "agent",        "-config",  cli->agent_config,
	                      "-plugin-dir", cli->plugin_dir, "-data-dir", cli->data_dir,
	                      NULL};
	int rc = posix_spawn(&a->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0)
		bench_die("cannot run \"%s agent\": %s", argv[0], strerror(rc));
	a->fd = p[0];
	a->len = 0;
}

/* Reads the agent's output line by line until `done(line, data)` says so;
 * -ETIMEDOUT at the deadline, -EPIPE when the agent closed its output. */
static int agent_read(agent_proc *a, long long deadline_ns, int (*done)(const char *, void *),
                      void *data)
{
	for (;;) {
		char *nl;
		while ((nl = memchr(a->buf, '\n', a->len))) {
			*nl = '\0';
			int stop = done(a->buf, data);
			size_t used = (size_t)(nl - a->buf) + 1;
			memmove(a->buf, nl + 1, a->len - used);
			a->len -= used;
			if (stop)
				return 0;
		}
		if (a->len == sizeof(a->buf))
			a->len = 0; /* a line longer than the buffer: not one we wait for */
		long long left = (deadline_ns - bench_now_ns()) / 1000000;
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = a->fd, .events = POLLIN};
		int n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		ssize_t r = read(a->fd, a->buf + a->len, sizeof(a->buf) - a->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		a->len += (size_t)r;
	}
}

static void agent_kill(agent_proc *a, int sig)
{
	if (a->pid <= 0)
		return;
	kill(a->pid, sig);
	if (bench_wait_gone(a->pid, 120000) == -ETIMEDOUT) {
		fprintf(stderr, "bench_agent: the agent pid %d ignored signal %d for 120 s: killed\n",
		        (int)a->pid, sig);
		kill(a->pid, SIGKILL);
	}
	waitpid(a->pid, NULL, 0);
	a->pid = 0;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

static int started_line(const char *line, void *data)
{
	(void)data;
	if (strstr(line, "fingerprint every")) {
		fprintf(stderr, "bench_agent: %s\n", line);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------- idle memory */

static void idle_memory(const char *root)
{
	long long seconds = bench_env_count("BENCH_AGENT_IDLE_SECONDS", 10, 3600);
	static agent_bench b;
	bench_cli_setup(&b.cli, root);
	agent_spawn(&b.cli, &b.agent);
	int rc = agent_read(&b.agent, bench_now_ns() + 60 * 1000000000LL, started_line, NULL);
	if (rc < 0)
		bench_die("the agent did not log its start within 60 s (%s)", strerror(-rc));
	bench_samples rss = {0}, pss = {0};
	for (long long i = 0; i < seconds; i++) {
		/* The sampling period itself: nothing is awaited. */
		struct timespec ts = {.tv_sec = 1};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		unsigned long long r, p;
		if (bench_proc_rss_kib(b.agent.pid, &r) < 0 || bench_proc_pss_kib(b.agent.pid, &p) < 0)
			bench_die("cannot read the memory of the agent pid %d: did it exit?",
			          (int)b.agent.pid);
		bench_samples_add(&rss, (double)r);
		bench_samples_add(&pss, (double)p);
	}
	agent_kill(&b.agent, SIGTERM);
	bench_result("host_idle_3plugins", "unit", "KiB");
	bench_result_samples("host_idle_3plugins", "samples", &rss);
	bench_result("host_idle_3plugins", "note",
	             "VmRSS of `drover agent` with the plugin directory %s (raw_exec, exec, docker "
	             "loaded and fingerprinted, a dockerd answering), no allocation, sampled once a "
	             "second for %lld s after it logged its start; PSS median %.0f KiB",
	             b.cli.plugin_dir, seconds, bench_samples_median(&pss));
	fprintf(stderr, "bench_agent: idle agent RSS median %.0f KiB, PSS %.0f KiB\n",
	        bench_samples_median(&rss), bench_samples_median(&pss));
	bench_samples_clear(&rss);
	bench_samples_clear(&pss);
}

/* ------------------------------------------------------------- re-adoption */

static void run_drover(const bench_cli *cli, const char *const *args, char **out,
                       long long timeout_ms, const char *what)
{
	const char *argv[16] = {cli->drover, args[0], "-config", cli->agent_config,
	                        "-plugin-dir", cli->plugin_dir, "-data-dir", cli->data_dir};
	size_t n = 8;
	for (size_t i = 1; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int rc = bench_run(argv, timeout_ms, out);
	if (rc != 0)
		bench_die("%s exited %d%s%s", what, rc, out && *out ? ":\n" : "", out && *out ? *out : "");
}

/* The allocation ids, from `drover status -json`. */
static void list_allocs(agent_bench *b)
{
	char *out = NULL;
	const char *args[] = {"status", "-json", NULL};
	run_drover(&b->cli, args, &out, 600000, "drover status -json");
	drover_value doc = {.type = DROVER_VALUE_NULL};
	drover_err err = {{0}};
	if (drover_json_parse("drover status -json", out, strlen(out), &doc, &err) < 0)
		bench_die("%s", err.message);
	free(out);
	if (doc.type != DROVER_VALUE_ARRAY)
		bench_die("drover status -json: not an array");
	b->alloc_ids = calloc(doc.u.array.count + 1, sizeof(*b->alloc_ids));
	if (!b->alloc_ids)
		bench_die("out of memory");
	for (size_t i = 0; i < doc.u.array.count; i++) {
		const drover_value *a = &doc.u.array.items[i];
		for (size_t k = 0; a->type == DROVER_VALUE_OBJECT && k < a->u.object.count; k++)
			if (strcmp(a->u.object.keys[k], "ID") == 0 &&
			    a->u.object.values[k].type == DROVER_VALUE_STRING)
				b->alloc_ids[b->count++] = strdup(a->u.object.values[k].u.string.ptr);
	}
	drover_value_clear(&doc);
}

static void readopt_cleanup(void *data)
{
	agent_bench *b = data;
	/* SIGTERM: the agent leaves every task running and releases it. */
	agent_kill(&b->agent, SIGTERM);
	if (b->runner > 0 && bench_proc_start_time(b->runner)) {
		kill(b->runner, SIGKILL);
		bench_wait_gone(b->runner, 60000);
	}
	b->runner = 0;
	if (!b->alloc_ids)
		list_allocs(b);
	fprintf(stderr, "bench_agent: stopping %zu allocations\n", b->count);
	for (size_t i = 0; i < b->count; i++) {
		const char *args[] = {"stop", b->alloc_ids[i], NULL};
		run_drover(&b->cli, args, NULL, 60000, "drover stop");
		free(b->alloc_ids[i]);
	}
	free(b->alloc_ids);
	b->alloc_ids = NULL;
	b->count = 0;
}

static pid_t runner_pid(const bench_cli *cli)
{
	char path[400], line[256];
	snprintf(path, sizeof(path), "%s/drover-run.log", cli->data_dir);
	FILE *log = fopen(path, "re");
	if (!log)
		bench_die("cannot read \"%s\": %s", path, strerror(errno));
	int pid = 0;
	while (fgets(line, sizeof(line), log))
		if (sscanf(line, "drover: detached runner pid %d", &pid) == 1)
			break;
	fclose(log);
	if (pid <= 0)
		bench_die("no \"detached runner pid\" line in \"%s\"", path);
	return pid;
}

typedef struct adopted {
	long long want, seen;
} adopted;

static int adopted_line(const char *line, void *data)
{
	adopted *a = data;
	if (strstr(line, " Adopted "))
		a->seen++;
	else if (strstr(line, "cannot adopt") || strstr(line, "failed"))
		fprintf(stderr, "bench_agent: agent: %s\n", line);
	return a->seen == a->want;
}

/* Starts an agent and reads its output until it logged `n` adoptions; ms. */
static double agent_adopt_all(agent_bench *b, long long n)
{
	adopted seen = {.want = n};
	long long t0 = bench_now_ns();
	agent_spawn(&b->cli, &b->agent);
	int rc = agent_read(&b->agent, t0 + 600 * 1000000000LL, adopted_line, &seen);
	long long t1 = bench_now_ns();
	if (rc < 0)
		bench_die("the agent logged %lld of %lld \"Adopted\" events (%s)", seen.seen, n,
		          rc == -ETIMEDOUT ? "600 s deadline" : "its output closed");
	return (double)(t1 - t0) / 1e6;
}

static void readopt(const char *root)
{
	static const char *const sleep_args[] = {"3600", NULL};
	static agent_bench b;
	long long n = bench_env_count("BENCH_READOPT_TASKS", 1000, 10000);
	long long repeat = bench_env_count("BENCH_READOPT_REPEAT", 3, 100);
	bench_raise_limits("agent_readopt", n * 4 + 1024);
	bench_cli_setup(&b.cli, root);
	b.agent.fd = -1;
	char *job = bench_job_write(&b.cli, "readopt", "service", n, "/bin/sleep", sleep_args);
	const char *args[] = {"run", "-detach", job, NULL};
	bench_on_cleanup(readopt_cleanup, &b);
	fprintf(stderr, "bench_agent: starting %lld tasks\n", n);
	run_drover(&b.cli, args, NULL, 600000, "drover run -detach");
	b.runner = runner_pid(&b.cli);
	list_allocs(&b);
	if ((long long)b.count != n)
		bench_die("drover status -json listed %zu allocations, expected %lld", b.count, n);
	/* The runner dies without stopping its tasks; the first agent adopts them. */
	kill(b.runner, SIGKILL);
	if (bench_wait_gone(b.runner, 60000) == -ETIMEDOUT)
		bench_die("the runner pid %d survived SIGKILL for 60 s", (int)b.runner);
	b.runner = 0;
	double first = agent_adopt_all(&b, n);
	fprintf(stderr, "bench_agent: first agent adopted %lld tasks from the dead runner in %.0f ms\n",
	        n, first);
	bench_samples s = {0};
	for (long long i = 0; i < repeat; i++) {
		agent_kill(&b.agent, SIGKILL);
		double ms = agent_adopt_all(&b, n);
		bench_samples_add(&s, ms);
		fprintf(stderr, "bench_agent: restart %lld: %lld tasks re-adopted in %.0f ms\n", i + 1, n,
		        ms);
	}
	bench_result("agent_readopt", "unit", "ms");
	bench_result_samples("agent_readopt", "samples", &s);
	bench_result("agent_readopt", "note",
	             "%lld restarts: `drover agent` killed (SIGKILL) while owning %lld running "
	             "raw_exec tasks (/bin/sleep), started again; from its spawn (config, plugin "
	             "load and fingerprint of the three drivers, state store) to its %lldth "
	             "\"Adopted\" task event on stderr; the first agent took them over from a "
	             "killed `run -detach` runner in %.0f ms",
	             repeat, n, n, first);
	bench_samples_clear(&s);
	free(job);
}

int main(void)
{
	bench_begin("bench_agent");
	idle_memory(bench_tmpdir("agent-idle"));
	readopt(bench_tmpdir("agent-readopt"));
	return bench_finish();
}
