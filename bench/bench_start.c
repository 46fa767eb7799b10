/* raw_exec start-to-running latency of /bin/true against posix_spawn of it,
 * at the driver level; a whole `drover run` of a job of one /bin/true task
 * against posix_spawn-and-wait of /bin/true; and, for context, whole `drover
 * status` (table), `drover validate` and `drover logs -tail 10` against the
 * same baseline.
 *
 * Knobs: BENCH_START_REPEAT (default 200), BENCH_RUN_REPEAT (default 30). */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_jobs.h"
#include "bench_rawexec.h"

extern char **environ;

static const char *const true_argv[] = {"/bin/true", NULL};

/* posix_spawn returns once the child exec'd (glibc spawns with CLONE_VFORK):
 * the same moment raw_exec's start() reports. */
static double spawn_true_ms(int wait_for_exit)
{
	pid_t pid;
	long long t0 = bench_now_ns();
	int rc = posix_spawn(&pid, true_argv[0], NULL, NULL, (char *const *)true_argv, environ);
	if (rc != 0)
		bench_die("posix_spawn /bin/true: %s", strerror(rc));
	long long t1 = bench_now_ns();
	int status = bench_wait_child(pid, 10000, "/bin/true");
	long long t2 = bench_now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_die("/bin/true failed (wait status %d)", status);
	return (double)((wait_for_exit ? t2 : t1) - t0) / 1e6;
}

/* `figure` with the plugin's defaults (as root: a cgroup per task in every v1
 * controller drover uses) or with no_cgroups, to show what the cgroups cost. */
static void driver_latency(const char *root, const char *figure, bench_rawexec *rx, int no_cgroups)
{
	long long repeat = bench_env_count("BENCH_START_REPEAT", 200, 100000);
	bench_samples drv = {0}, base = {0};
	bench_rawexec_open(rx, no_cgroups);
	for (long long i = 0; i < repeat; i++) {
		bench_task t;
		drover_err err = {{0}};
		bench_task_prepare(&t, root, (int)i);
		long long t0 = bench_now_ns();
		int rc = bench_task_start(rx, &t, true_argv, 1, 1, &err);
		long long t1 = bench_now_ns();
		if (rc < 0)
			bench_die("raw_exec start of /bin/true (run %lld): %s", i + 1, err.message);
		bench_task_reap(rx, &t);
		bench_samples_add(&drv, (double)(t1 - t0) / 1e6);
		bench_samples_add(&base, spawn_true_ms(0));
		bench_rm_rf(t.alloc_dir);
	}
	bench_result(figure, "unit", "ms");
	bench_result_samples(figure, "samples", &drv);
	bench_result_samples(figure, "baseline", &base);
	bench_result(figure, "note",
	             "%lld runs, interleaved with the baseline; start() returns once drover-shim "
	             "reported the task exec'd (it includes the double fork that detaches the shim)%s",
	             repeat, no_cgroups ? "; plugin option no_cgroups = true"
	                                : (geteuid() == 0 ? "; plugin defaults, as root: the task "
	                                                    "gets its own cgroups"
	                                                  : "; not root: no cgroups"));
	fprintf(stderr, "bench_start: %s: raw_exec start() median %.3f ms, posix_spawn %.3f ms\n",
	        figure, bench_samples_median(&drv), bench_samples_median(&base));
	bench_samples_clear(&drv);
	bench_samples_clear(&base);
}

/* `repeat` whole runs of argv (exit 0), each followed by the baseline, as
 * figure `figure`. */
static void whole_cli(const char *figure, const char *const *argv, long long repeat,
                      const char *what, const char *note)
{
	bench_samples run = {0}, base = {0};
	for (long long i = 0; i < repeat; i++) {
		long long t0 = bench_now_ns();
		int rc = bench_run(argv, 60000, NULL);
		long long t1 = bench_now_ns();
		if (rc != 0)
			bench_die("%s exited %d (run %lld)", what, rc, i + 1);
		bench_samples_add(&run, (double)(t1 - t0) / 1e6);
		bench_samples_add(&base, spawn_true_ms(1));
	}
	bench_result(figure, "unit", "ms");
	bench_result_samples(figure, "samples", &run);
	bench_result_samples(figure, "baseline", &base);
	bench_result(figure, "note", "%lld runs of %s; baseline is posix_spawn plus waitpid of "
	             "/bin/true", repeat, note);
	fprintf(stderr, "bench_start: %s median %.3f ms, spawn+wait %.3f ms\n", what,
	        bench_samples_median(&run), bench_samples_median(&base));
	bench_samples_clear(&run);
	bench_samples_clear(&base);
}

/* `drover validate` of the one-task job, and `drover logs -tail 10` of a task
 * that wrote 1000 lines: what an operator pays for two everyday commands. */
static void other_commands(bench_cli *cli, const char *job, long long repeat)
{
	const char *validate_argv[] = {cli->drover, "validate", "-config", cli->agent_config,
	                               "-plugin-dir", cli->plugin_dir, job, NULL};
	whole_cli("validate_cli", validate_argv, repeat, "drover validate",
	          "`drover validate job.json` (one raw_exec task) from spawn to exit");

	static const char *const seq_args[] = {"1", "1000", NULL};
	char *seq = bench_job_write(cli, "seq", "batch", 1, "/usr/bin/seq", seq_args);
	const char *run_argv[] = {cli->drover, "run", "-config", cli->agent_config,
	                          "-plugin-dir", cli->plugin_dir, "-data-dir", cli->data_dir,
	                          seq, NULL};
	char *out = NULL, alloc[40] = "";
	int rc = bench_run(run_argv, 60000, &out);
	/* Its event lines: "<time>  <alloc id prefix>  <task>  <type> ...". */
	if (rc != 0 || !out || sscanf(out, "%*s %39s", alloc) != 1)
		bench_die("drover run of the seq job exited %d without an allocation id", rc);
	free(out);
	const char *logs_argv[] = {cli->drover, "logs", "-config", cli->agent_config,
	                           "-plugin-dir", cli->plugin_dir, "-data-dir", cli->data_dir,
	                           "-tail", "10", alloc, NULL};
	whole_cli("logs_tail", logs_argv, repeat, "drover logs -tail 10",
	          "`drover logs -tail 10 ALLOC` of a finished raw_exec task whose stdout has 1000 "
	          "lines, from spawn to exit");
	free(seq);
}

static void whole_run(const char *root)
{
	long long repeat = bench_env_count("BENCH_RUN_REPEAT", 30, 100000);
	bench_cli cli;
	bench_samples run = {0}, base = {0};
	bench_cli_setup(&cli, root);
	char *job = bench_job_write(&cli, "true", "batch", 1, "/bin/true", NULL);
	const char *argv[] = {cli.drover,     "run",        "-config", cli.agent_config,
	                      "-plugin-dir", cli.plugin_dir, "-data-dir", cli.data_dir,
	                      job,           NULL};
	for (long long i = 0; i < repeat; i++) {
		long long t0 = bench_now_ns();
		int rc = bench_run(argv, 60000, NULL);
		long long t1 = bench_now_ns();
		if (rc != 0)
			bench_die("drover run of a /bin/true job exited %d (run %lld)", rc, i + 1);
		bench_samples_add(&run, (double)(t1 - t0) / 1e6);
		bench_samples_add(&base, spawn_true_ms(1));
	}
	bench_result("run_true", "unit", "ms");
	bench_result_samples("run_true", "samples", &run);
	bench_result_samples("run_true", "baseline", &base);
	bench_result("run_true", "note",
	             "%lld runs of `drover run job.json` (one task, /bin/true) from spawn to exit: "
	             "config, plugin load with its probe fork, state store, shim, wait, "
	             "exit recorded; baseline is posix_spawn plus waitpid of /bin/true",
	             repeat);
	fprintf(stderr, "bench_start: drover run median %.3f ms, spawn+wait %.3f ms\n",
	        bench_samples_median(&run), bench_samples_median(&base));
	bench_samples_clear(&run);
	bench_samples_clear(&base);

	/* `drover status` over the allocations just run (all complete): what an
	 * operator pays to look, with no driver needed for a dead task. */
	const char *status_argv[] = {cli.drover, "status", "-config", cli.agent_config,
	                             "-plugin-dir", cli.plugin_dir, "-data-dir", cli.data_dir,
	                             NULL};
	for (long long i = 0; i < repeat; i++) {
		long long t0 = bench_now_ns();
		int rc = bench_run(status_argv, 60000, NULL);
		long long t1 = bench_now_ns();
		if (rc != 0)
			bench_die("drover status exited %d (run %lld)", rc, i + 1);
		bench_samples_add(&run, (double)(t1 - t0) / 1e6);
		bench_samples_add(&base, spawn_true_ms(1));
	}
	bench_result("status_table", "unit", "ms");
	bench_result_samples("status_table", "samples", &run);
	bench_result_samples("status_table", "baseline", &base);
	bench_result("status_table", "note",
	             "%lld runs of `drover status` (table, %lld complete allocations) from spawn to "
	             "exit; baseline is posix_spawn plus waitpid of /bin/true",
	             repeat, repeat);
	fprintf(stderr, "bench_start: drover status median %.3f ms, spawn+wait %.3f ms\n",
	        bench_samples_median(&run), bench_samples_median(&base));
	bench_samples_clear(&run);
	bench_samples_clear(&base);
	other_commands(&cli, job, repeat);
	free(job);
}

int main(void)
{
	static bench_rawexec rx_default, rx_nocg;
	char *root;
	/* In the cgroup v2 test VM (`make bench` runs this there too, through
	 * tests/vm/drover-vm-run.sh): only the start latency, under its own id
	 * and results file; the rest is too slow to be worth it under software
	 * emulation. */
	if (getenv("DROVER_IN_TEST_VM")) {
		bench_begin("bench_start_v2");
		root = bench_tmpdir("start");
		driver_latency(root, "rawexec_start_v2", &rx_default, 0);
		return bench_finish();
	}
	bench_begin("bench_start");
	root = bench_tmpdir("start");
	driver_latency(root, "rawexec_start", &rx_default, 0);
	driver_latency(root, "rawexec_start_nocg", &rx_nocg, 1);
	whole_run(root);
	return bench_finish();
}
