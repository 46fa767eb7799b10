/* Memory per raw_exec task: the proportional set size (PSS, smaps_rollup) of
 * each drover-shim while its task sleeps. The task's own memory is the task's,
 * not drover's, and is not counted.
 *
 * Knob: BENCH_MEM_TASKS (default 100), how many tasks run at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_rawexec.h"

static struct {
	bench_rawexec rx;
	bench_task *tasks;
	long long count;
} m;

static void stop_all(void *data)
{
	(void)data;
	for (long long i = 0; i < m.count; i++)
		bench_task_stop(&m.rx, &m.tasks[i]);
}

int main(void)
{
	static const char *const sleep_argv[] = {"/bin/sleep", "3600", NULL};
	bench_begin("bench_memory");
	long long n = bench_env_count("BENCH_MEM_TASKS", 100, 100000);
	char *root = bench_tmpdir("memory");
	bench_raise_limits("shim_pss", n * 2 + 256);
	bench_rawexec_open(&m.rx, 0);
	m.tasks = calloc((size_t)n, sizeof(*m.tasks));
	if (!m.tasks)
		bench_die("out of memory");
	bench_on_cleanup(stop_all, NULL);
	for (long long i = 0; i < n; i++) {
		drover_err err = {{0}};
		bench_task_prepare(&m.tasks[i], root, (int)i);
		if (bench_task_start(&m.rx, &m.tasks[i], sleep_argv, 1, 1, &err) < 0)
			bench_die("raw_exec start of /bin/sleep (task %lld): %s", i + 1, err.message);
		m.count = i + 1;
	}
	bench_samples pss = {0}, rss = {0};
	for (long long i = 0; i < n; i++) {
		unsigned long long p, r;
		pid_t shim = m.tasks[i].shim_pid;
		if (bench_proc_pss_kib(shim, &p) < 0 || bench_proc_rss_kib(shim, &r) < 0)
			bench_die("cannot read the memory of drover-shim pid %d (task %lld)", (int)shim,
			          i + 1);
		bench_samples_add(&pss, (double)p);
		bench_samples_add(&rss, (double)r);
	}
	bench_result("shim_pss", "unit", "KiB");
	bench_result_samples("shim_pss", "samples", &pss);
	bench_result("shim_pss", "note",
	             "PSS of each of %lld drover-shim processes while their /bin/sleep tasks ran; "
	             "their RSS median was %.0f KiB (RSS counts shared libc pages in full)",
	             n, bench_samples_median(&rss));
	fprintf(stderr, "bench_memory: shim PSS median %.0f KiB, RSS median %.0f KiB\n",
	        bench_samples_median(&pss), bench_samples_median(&rss));
	bench_samples_clear(&pss);
	bench_samples_clear(&rss);
	return bench_finish();
}
