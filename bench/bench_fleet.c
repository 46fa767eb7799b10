/* 1000 raw_exec tasks through the drover binary: `drover run -detach` of a
 * job with Count 1000 until it returns with every task started (each start
 * returned once its drover-shim reported the exec), checked with `drover
 * status -json`, against 1000 posix_spawns of the same command. On the first
 * run, with every task sleeping: CPU of the host (the detached runner that
 * watches all the tasks) plus every shim over BENCH_IDLE_SECONDS, in 10 s
 * windows, and the memory of the runner and of the shims at that scale. Every
 * run ends with SIGTERM to the runner, which stops each task through the
 * driver (KillSignal, KillTimeout) as Ctrl-C does; a failure stops what is
 * left with `drover stop`.
 *
 * Knobs: BENCH_FLEET_TASKS (default 1000), BENCH_FLEET_REPEAT (default 3),
 * BENCH_IDLE_SECONDS (default 60). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_jobs.h"
#include "json.h"
#include "value_tree.h"

extern char **environ;

typedef struct fleet {
	bench_cli cli;
	long long n;
	pid_t runner;
	char **alloc_ids;
	pid_t *shims;
	unsigned long long *shim_start;
	size_t count;       /* allocations seen in status */
} fleet;

static const drover_value *obj_get(const drover_value *v, const char *key)
{
	if (!v || v->type != DROVER_VALUE_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->u.object.count; i++)
		if (strcmp(v->u.object.keys[i], key) == 0)
			return &v->u.object.values[i];
	return NULL;
}

static const char *obj_str(const drover_value *v, const char *key)
{
	const drover_value *s = obj_get(v, key);
	return s && s->type == DROVER_VALUE_STRING ? s->u.string.ptr : NULL;
}

static void run_drover(const fleet *f, const char *const *args, char **out, long long timeout_ms,
                       const char *what)
{
	const char *argv[16] = {f->cli.drover, args[0], "-config", f->cli.agent_config,
	                        "-plugin-dir", f->cli.plugin_dir, "-data-dir", f->cli.data_dir};
	size_t n = 8;
	for (size_t i = 1; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int rc = bench_run(argv, timeout_ms, out);
	if (rc != 0)
		bench_die("%s exited %d%s%s", what, rc, out && *out ? ":\n" : "", out && *out ? *out : "");
}

/* The stop of last resort: every allocation whose shim still runs. */
static void fleet_cleanup(void *data)
{
	fleet *f = data;
	if (f->runner > 0 && bench_proc_start_time(f->runner)) {
		kill(f->runner, SIGTERM);
		if (bench_wait_gone(f->runner, 300000) == -ETIMEDOUT)
			fprintf(stderr, "bench_fleet: the runner pid %d did not stop in 300 s\n", (int)f->runner);
	}
	for (size_t i = 0; i < f->count; i++) {
		if (!f->shims[i] || bench_proc_start_time(f->shims[i]) != f->shim_start[i])
			continue;
		const char *args[] = {"stop", f->alloc_ids[i], NULL};
		run_drover(f, args, NULL, 60000, "drover stop");
	}
	for (size_t i = 0; i < f->count; i++)
		free(f->alloc_ids[i]);
	free(f->alloc_ids);
	free(f->shims);
	free(f->shim_start);
	f->alloc_ids = NULL;
	f->shims = NULL;
	f->shim_start = NULL;
	f->count = 0;
}

static pid_t runner_pid(const fleet *f)
{
	char path[400], line[256];
	snprintf(path, sizeof(path), "%s/drover-run.log", f->cli.data_dir);
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

/* The parent of the task's process: its drover-shim (it reaps the task). */
static int parent_of(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	int ppid = 0;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* `drover status -json`: every allocation's task running, with its shim. */
static double check_all_running(fleet *f)
{
	char *out = NULL;
	const char *args[] = {"status", "-json", NULL};
	long long t0 = bench_now_ns();
	run_drover(f, args, &out, 600000, "drover status -json");
	long long t1 = bench_now_ns();
	drover_value doc = {.type = DROVER_VALUE_NULL};
	drover_err err = {{0}};
	if (drover_json_parse("drover status -json", out, strlen(out), &doc, &err) < 0)
		bench_die("%s", err.message);
	free(out);
	if (doc.type != DROVER_VALUE_ARRAY || (long long)doc.u.array.count != f->n)
		bench_die("drover status -json listed %zu allocations, expected %lld",
		          doc.type == DROVER_VALUE_ARRAY ? doc.u.array.count : 0, f->n);
	f->alloc_ids = calloc((size_t)f->n, sizeof(*f->alloc_ids));
	f->shims = calloc((size_t)f->n, sizeof(*f->shims));
	f->shim_start = calloc((size_t)f->n, sizeof(*f->shim_start));
	if (!f->alloc_ids || !f->shims || !f->shim_start)
		bench_die("out of memory");
	size_t bad = 0;
	for (size_t i = 0; i < doc.u.array.count; i++) {
		const drover_value *a = &doc.u.array.items[i];
		const drover_value *t = obj_get(obj_get(a, "TaskStates"), "t");
		const char *id = obj_str(a, "ID"), *state = obj_str(t, "State");
		const drover_value *pidv = obj_get(t, "Pid");
		int pid = pidv && pidv->type == DROVER_VALUE_INT ? (int)pidv->u.integer : 0;
		int shim = pid > 0 ? parent_of(pid) : 0;
		if (!id)
			bench_die("drover status -json: an allocation without an ID");
		f->alloc_ids[f->count] = strdup(id);
		if (!state || strcmp(state, "running") != 0 || shim <= 1) {
			if (bad++ == 0)
				fprintf(stderr, "bench_fleet: allocation %s: task state %s, pid %d, parent %d\n",
				        id, state ? state : "?", pid, shim);
		} else {
			f->shims[f->count] = shim;
			f->shim_start[f->count] = bench_proc_start_time(shim);
		}
		f->count++;
	}
	drover_value_clear(&doc);
	if (bad)
		bench_die("%zu of %lld tasks are not running after drover run -detach returned", bad, f->n);
	return (double)(t1 - t0) / 1e6;
}

static double spawn_baseline(long long n)
{
	static const char *const argv[] = {"/bin/sleep", "3600", NULL};
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	if (!pids)
		bench_die("out of memory");
	long long t0 = bench_now_ns();
	long long i;
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = posix_spawn(&pids[i], argv[0], NULL, NULL, (char *const *)argv, environ);
	long long t1 = bench_now_ns();
	for (long long k = 0; k < i - (rc != 0); k++) {
		kill(pids[k], SIGKILL);
		waitpid(pids[k], NULL, 0);
	}
	free(pids);
	if (rc != 0)
		bench_die("posix_spawn number %lld of /bin/sleep: %s", i, strerror(rc));
	return (double)(t1 - t0) / 1e6;
}

/* What the file system alone charges for the allocations' layout: for each of
 * n allocations the directories and files drover makes (host/allocdir.c:
 * alloc/<id>/{alloc/{logs,tmp,data},<task>/{local,secrets,tmp}}, the two log
 * files, run/<id>/<task>/pids), with mkdir and creat only, under `root` on the
 * fleet's file system. Left in place until the end: removing them would make
 * the next run's inode allocation slower (ext4 skips recently freed inodes). */
static double dirs_baseline(const char *root, long long n)
{
	static const char *const dirs[] = {"a", "a/alloc", "a/alloc/logs", "a/alloc/tmp",
	                                   "a/alloc/data", "a/t", "a/t/local", "a/t/secrets",
	                                   "a/t/tmp", "r", "r/t"};
	static const char *const files[] = {"a/alloc/logs/t.stdout.0", "a/alloc/logs/t.stderr.0",
	                                    "r/t/pids"};
	char path[512];
	snprintf(path, sizeof(path), "%s/dirs", root);
	if (mkdir(path, 0700) < 0)
		bench_die("mkdir \"%s\": %s", path, strerror(errno));
	long long t0 = bench_now_ns();
	for (long long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/dirs/%lld", root, i);
		if (mkdir(path, 0711) < 0)
			bench_die("mkdir \"%s\": %s", path, strerror(errno));
		for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
			snprintf(path, sizeof(path), "%s/dirs/%lld/%s", root, i, dirs[k]);
			if (mkdir(path, 0711) < 0)
				bench_die("mkdir \"%s\": %s", path, strerror(errno));
		}
		for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
			snprintf(path, sizeof(path), "%s/dirs/%lld/%s", root, i, files[k]);
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0)
				bench_die("creat \"%s\": %s", path, strerror(errno));
			close(fd);
		}
	}
	return (double)(bench_now_ns() - t0) / 1e6;
}

static unsigned long long ticks_of(pid_t pid, const char *what)
{
	unsigned long long t;
	if (bench_proc_cpu_ticks(pid, &t) < 0)
		bench_die("cannot read the CPU time of %s pid %d: did it exit?", what, (int)pid);
	return t;
}

static unsigned long long ns_of(pid_t pid, const char *what)
{
	unsigned long long ns;
	if (bench_proc_cpu_ns(pid, &ns) < 0)
		bench_die("cannot read /proc/%d/schedstat of %s: did it exit?", (int)pid, what);
	return ns;
}

static void idle_cpu(fleet *f, long long seconds)
{
	long hz = sysconf(_SC_CLK_TCK);
	long long window = seconds < 10 ? seconds : 10;
	bench_samples total = {0};
	unsigned long long host_all = 0, shims_all = 0, ns_all = 0;
	fprintf(stderr, "bench_fleet: measuring CPU of the runner and %zu shims over %lld s\n",
	        f->count, seconds);
	for (long long done = 0; done + window <= seconds; done += window) {
		unsigned long long host0 = ticks_of(f->runner, "the runner"), shims0 = 0;
		unsigned long long ns0 = ns_of(f->runner, "the runner"), ns1;
		for (size_t i = 0; i < f->count; i++) {
			shims0 += ticks_of(f->shims[i], "drover-shim");
			ns0 += ns_of(f->shims[i], "drover-shim");
		}
		long long t0 = bench_now_ns();
		/* The measurement window itself: nothing is awaited here. */
		struct timespec ts = {.tv_sec = (time_t)window};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		long long t1 = bench_now_ns();
		unsigned long long host1 = ticks_of(f->runner, "the runner"), shims1 = 0;
		ns1 = ns_of(f->runner, "the runner");
		for (size_t i = 0; i < f->count; i++) {
			if (bench_proc_start_time(f->shims[i]) != f->shim_start[i])
				bench_die("drover-shim pid %d exited while its task should sleep", (int)f->shims[i]);
			shims1 += ticks_of(f->shims[i], "drover-shim");
			ns1 += ns_of(f->shims[i], "drover-shim");
		}
		ns_all += ns1 - ns0;
		double secs = (double)(t1 - t0) / 1e9;
		double ticks = (double)(host1 - host0 + shims1 - shims0);
		bench_samples_add(&total, 100.0 * ticks / (double)hz / secs);
		host_all += host1 - host0;
		shims_all += shims1 - shims0;
	}
	bench_result("idle_cpu", "unit", "%s", "% of a core");
	bench_result_samples("idle_cpu", "samples", &total);
	bench_result("idle_cpu", "note",
	             "utime+stime (clock ticks of 1/%ld s) of the detached runner and %zu drover-shim "
	             "processes, %lld s in %lld s windows, all tasks sleeping; over the whole time: "
	             "runner %llu ticks, shims %llu ticks (one tick in %lld s is %.4f%% of a core); "
	             "their on-CPU time from /proc/<pid>/schedstat, which has no tick rounding: "
	             "%.3f ms in all, %.5f%% of a core",
	             hz, f->count, seconds, window, host_all, shims_all, seconds,
	             100.0 / (double)hz / (double)seconds, (double)ns_all / 1e6,
	             100.0 * (double)ns_all / 1e9 / (double)seconds);
	bench_samples_clear(&total);
}

static void memory_at_scale(fleet *f)
{
	unsigned long long rss, pss;
	if (bench_proc_rss_kib(f->runner, &rss) < 0 || bench_proc_pss_kib(f->runner, &pss) < 0)
		bench_die("cannot read the memory of the runner pid %d", (int)f->runner);
	bench_samples s = {0};
	bench_samples_add(&s, (double)rss);
	bench_result("runner_rss", "unit", "KiB");
	bench_result_samples("runner_rss", "samples", &s);
	bench_result("runner_rss", "note",
	             "RSS of the detached `drover run` process (raw_exec loaded) watching %zu running "
	             "tasks; PSS %llu KiB", f->count, pss);
	bench_samples_clear(&s);
	for (size_t i = 0; i < f->count; i++) {
		if (bench_proc_pss_kib(f->shims[i], &pss) < 0)
			bench_die("cannot read the PSS of drover-shim pid %d", (int)f->shims[i]);
		bench_samples_add(&s, (double)pss);
	}
	bench_result("shim_pss_fleet", "unit", "KiB");
	bench_result_samples("shim_pss_fleet", "samples", &s);
	bench_result("shim_pss_fleet", "note", "PSS of each of the %zu drover-shim processes", f->count);
	bench_samples_clear(&s);
}

static double stop_fleet(fleet *f)
{
	long long t0 = bench_now_ns();
	if (kill(f->runner, SIGTERM) < 0)
		bench_die("kill of the runner pid %d: %s", (int)f->runner, strerror(errno));
	int rc = bench_wait_gone(f->runner, 600000);
	if (rc < 0 && rc != -ESRCH)
		bench_die("the runner pid %d did not stop its tasks within 600 s", (int)f->runner);
	long long t1 = bench_now_ns();
	for (size_t i = 0; i < f->count; i++)
		if (f->shims[i] && bench_proc_start_time(f->shims[i]) == f->shim_start[i] &&
		    bench_wait_gone(f->shims[i], 10000) == -ETIMEDOUT)
			bench_die("drover-shim pid %d still runs after the runner stopped", (int)f->shims[i]);
	f->runner = 0;
	return (double)(t1 - t0) / 1e6;
}

int main(void)
{
	static fleet f;
	static const char *const sleep_args[] = {"3600", NULL};
	bench_begin("bench_fleet");
	long long n = bench_env_count("BENCH_FLEET_TASKS", 1000, 10000);
	long long repeat = bench_env_count("BENCH_FLEET_REPEAT", 3, 20);
	long long idle = bench_env_count("BENCH_IDLE_SECONDS", 60, 86400);
	/* The runner holds a pidfd per task besides SQLite and the plugins. */
	bench_raise_limits("fleet_start", n * 4 + 1024);
	bench_samples start = {0}, base = {0}, status = {0}, stop = {0}, dirs = {0};
	bench_on_cleanup(fleet_cleanup, &f);
	for (long long r = 0; r < repeat; r++) {
		char *root = bench_tmpdir("fleet");
		bench_samples_add(&dirs, dirs_baseline(root, n));
		f.n = n;
		bench_cli_setup(&f.cli, root);
		char *job = bench_job_write(&f.cli, "fleet", "service", n, "/bin/sleep", sleep_args);
		char *out = NULL;
		const char *args[] = {"run", "-detach", job, NULL};
		long long t0 = bench_now_ns();
		run_drover(&f, args, &out, 600000, "drover run -detach");
		long long t1 = bench_now_ns();
		f.runner = runner_pid(&f);
		long long created = 0;
		for (const char *p = out; (p = strstr(p, "==> Allocation \"")); p++)
			created++;
		free(out);
		if (created != n)
			bench_die("drover run -detach reported %lld allocations, expected %lld", created, n);
		bench_samples_add(&status, check_all_running(&f));
		bench_samples_add(&start, (double)(t1 - t0) / 1e6);
		bench_samples_add(&base, spawn_baseline(n));
		fprintf(stderr, "bench_fleet: run %lld: %lld tasks running after %.0f ms (posix_spawn: %.0f ms)\n",
		        r + 1, n, start.v[r], base.v[r]);
		if (r == 0) {
			memory_at_scale(&f);
			idle_cpu(&f, idle);
		}
		bench_samples_add(&stop, stop_fleet(&f));
		fleet_cleanup(&f); /* finds nothing left running; frees the lists */
		free(job);
	}
	bench_result("fleet_start", "unit", "ms");
	bench_result_samples("fleet_start", "samples", &start);
	bench_result_samples("fleet_start", "baseline", &base);
	bench_result("fleet_start", "note",
	             "%lld runs of `drover run -detach` of a job with Count %lld (one /bin/sleep "
	             "task each) from spawn to return, every task confirmed running by `drover "
	             "status -json` afterwards; baseline: %lld posix_spawns of /bin/sleep",
	             repeat, n, n);
	bench_result("fleet_dirs", "unit", "ms");
	bench_result_samples("fleet_dirs", "samples", &dirs);
	bench_result("fleet_dirs", "note",
	             "before each run, in the same file system as its data dir: %lld times the 12 "
	             "directories and 3 files drover makes per allocation, with mkdir and creat "
	             "alone (what the file system charges for Nomad's allocation layout)", n);
	bench_result("fleet_status", "unit", "ms");
	bench_result_samples("fleet_status", "samples", &status);
	bench_result("fleet_status", "note",
	             "`drover status -json` over %lld running allocations, from spawn to exit, "
	             "while the detached runner watches them (so answered from the state store, "
	             "no driver asked)", n);
	bench_result("fleet_stop", "unit", "ms");
	bench_result_samples("fleet_stop", "samples", &stop);
	bench_result("fleet_stop", "note",
	             "SIGTERM to the detached runner until it exited, having stopped %lld tasks "
	             "through the driver", n);
	bench_samples_clear(&start);
	bench_samples_clear(&base);
	bench_samples_clear(&status);
	bench_samples_clear(&stop);
	bench_samples_clear(&dirs);
	return bench_finish();
}
