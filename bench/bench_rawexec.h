/* The raw_exec plugin at the driver level, as the host runs it: the built .so
 * loaded with dlopen and given the host's proc_* services (host/proc.c), so
 * that start() returns once drover-shim reported the task exec'd. */
#ifndef DROVER_BENCH_RAWEXEC_H
#define DROVER_BENCH_RAWEXEC_H

#include <sys/types.h>

#include <drover/driver.h>

typedef struct bench_rawexec {
	void *so;
	const drover_driver *drv;
	drover_host host;
	void *ctx;
} bench_rawexec;

/* dlopen($BENCH_RAWEXEC_SO or the built plugin), init, set_config
 * {"enabled": true, "no_cgroups": no_cgroups}; closed by a cleanup hook, so
 * `rx` must live until the program ends (static). Fatal on failure. */
void bench_rawexec_open(bench_rawexec *rx, int no_cgroups);

typedef struct bench_task {
	char id[96];
	char alloc_id[64];
	char alloc_dir[256];
	char task_dir[300];
	char log_dir[300];
	char state_dir[300]; /* the shim's private directory (0700), as the host makes it */
	drover_task *task;   /* NULL when not running */
	pid_t shim_pid;
	pid_t pid;
} bench_task;

/* The allocation directory <root>/a<index> with the task's directories,
 * prepared before anything is timed. */
void bench_task_prepare(bench_task *t, const char *root, int index);

/* start() of argv with these log limits; 0 or the driver's negative code with
 * err filled. On success t->shim_pid and t->pid are set (through inspect). */
int bench_task_start(bench_rawexec *rx, bench_task *t, const char *const *argv,
                     unsigned log_max_files, unsigned long long log_max_file_size_mb,
                     drover_err *err);

/* Waits for a task that exits on its own (blocking wait), then destroys it. */
void bench_task_reap(bench_rawexec *rx, bench_task *t);

/* stop (SIGTERM, 5 s, then SIGKILL) through the driver, wait, destroy. Safe on
 * a task that is not running. Fatal on failure. */
void bench_task_stop(bench_rawexec *rx, bench_task *t);

#endif
