/* One task writing to stdout as fast as it can, through drover-shim's pipe
 * into size-rotated log files (MaxFiles 10 x MaxFileSizeMB 10), against
 * `head -c BYTES /dev/zero > file` in the same directory; with the shim's CPU.
 *
 * The task is `sh -c 'head -c BYTES /dev/zero; echo done > FIFO; exec sleep'`:
 * the FIFO tells the benchmark the last byte was written to the pipe, and the
 * task stays alive so that the shim's /proc/<pid>/stat can still be read; it
 * is then stopped through the driver. The time ends when the task wrote its
 * last byte into the pipe, so up to one pipe buffer (64 KiB) may still be on
 * its way to the log file: nothing against a GiB.
 *
 * Knobs: BENCH_LOG_BYTES (default 1 GiB), BENCH_LOG_REPEAT (default 5). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_rawexec.h"

#define MAX_FILES 10
#define MAX_FILE_MB 10

static bench_rawexec rx;
static bench_task task;

static void stop_task(void *data)
{
	(void)data;
	bench_task_stop(&rx, &task);
}

/* Waits for the task's line in the FIFO; fatal after timeout_ms or when the
 * task died first. */
static void wait_done(int fifo, long long timeout_ms)
{
	long long deadline = bench_now_ns() + timeout_ms * 1000000LL;
	for (;;) {
		struct pollfd p = {.fd = fifo, .events = POLLIN};
		long long left = (deadline - bench_now_ns()) / 1000000LL;
		if (left <= 0)
			bench_die("the writing task did not finish within %lld ms", timeout_ms);
		/* Short slices only to notice a task that died: the wake-up is the
		 * FIFO becoming readable. */
		int n = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			bench_die("poll: %s", strerror(errno));
		if (n > 0) {
			char buf[16];
			if (read(fifo, buf, sizeof(buf)) > 0)
				return;
		}
		if (bench_proc_start_time(task.pid) == 0)
			bench_die("the writing task (pid %d) exited before it reported done", (int)task.pid);
	}
}

/* The rotation kept at most MAX_FILES files, none over the size limit, and
 * something was written: else the figure measured nothing. */
static void check_logs(const char *log_dir)
{
	DIR *d = opendir(log_dir);
	if (!d)
		bench_die("cannot read the log dir \"%s\": %s", log_dir, strerror(errno));
	struct dirent *e;
	int files = 0;
	unsigned long long total = 0;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".stdout."))
			continue;
		char path[1024];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", log_dir, e->d_name);
		if (stat(path, &st) < 0)
			bench_die("stat \"%s\": %s", path, strerror(errno));
		if ((unsigned long long)st.st_size > MAX_FILE_MB * 1024ULL * 1024ULL)
			bench_die("log file \"%s\" has %lld bytes, over MaxFileSizeMB %d", path,
			          (long long)st.st_size, MAX_FILE_MB);
		files++;
		total += (unsigned long long)st.st_size;
	}
	closedir(d);
	if (files == 0 || files > MAX_FILES || total == 0)
		bench_die("log dir \"%s\": %d stdout files holding %llu bytes (expected 1 to %d files)",
		          log_dir, files, total, MAX_FILES);
}

int main(void)
{
	bench_begin("bench_logs");
	long long bytes = bench_env_count("BENCH_LOG_BYTES", 1LL << 30, 1LL << 40);
	long long repeat = bench_env_count("BENCH_LOG_REPEAT", 5, 1000);
	char *root = bench_tmpdir("logs");
	char fifo_path[512], count[32];
	snprintf(fifo_path, sizeof(fifo_path), "%s/done.fifo", root);
	snprintf(count, sizeof(count), "%lld", bytes);
	if (mkfifo(fifo_path, 0600) < 0)
		bench_die("mkfifo \"%s\": %s", fifo_path, strerror(errno));
	/* O_RDWR: never at end-of-file, and never blocks on open. */
	int fifo = open(fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		bench_die("open \"%s\": %s", fifo_path, strerror(errno));
	bench_rawexec_open(&rx, 0);
	bench_on_cleanup(stop_task, NULL);

	const char *script = "head -c \"$0\" /dev/zero; echo done > \"$1\"; exec sleep 3600";
	const char *task_argv[] = {"/bin/sh", "-c", script, count, fifo_path, NULL};
	bench_samples drv = {0}, base = {0}, shim_cpu = {0};
	long hz = sysconf(_SC_CLK_TCK);
	double mib = (double)bytes / (1024.0 * 1024.0);
	for (long long i = 0; i < repeat; i++) {
		drover_err err = {{0}};
		bench_task_prepare(&task, root, (int)i);
		long long t0 = bench_now_ns();
		if (bench_task_start(&rx, &task, task_argv, MAX_FILES, MAX_FILE_MB, &err) < 0)
			bench_die("raw_exec start of the writer (run %lld): %s", i + 1, err.message);
		wait_done(fifo, 600000);
		long long t1 = bench_now_ns();
		unsigned long long ticks;
		if (bench_proc_cpu_ticks(task.shim_pid, &ticks) < 0)
			bench_die("cannot read the CPU time of drover-shim pid %d", (int)task.shim_pid);
		double secs = (double)(t1 - t0) / 1e9;
		bench_samples_add(&drv, mib / secs);
		bench_samples_add(&shim_cpu, 100.0 * ((double)ticks / (double)hz) / secs);
		bench_task_stop(&rx, &task);
		check_logs(task.log_dir);
		bench_rm_rf(task.alloc_dir);

		/* The baseline: the same head, through the same shell, into a file. */
		char out[512];
		const char *cmd = "head -c \"$0\" /dev/zero > \"$1\"";
		snprintf(out, sizeof(out), "%s/baseline.out", root);
		const char *base_argv[] = {"/bin/sh", "-c", cmd, count, out, NULL};
		t0 = bench_now_ns();
		pid_t pid = bench_spawn(base_argv, NULL);
		int status = bench_wait_child(pid, 600000, "the baseline writer");
		t1 = bench_now_ns();
		struct stat st;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(out, &st) < 0 ||
		    st.st_size != bytes)
			bench_die("the baseline writer failed (wait status %d) or wrote a short file",
			          status);
		unlink(out);
		bench_samples_add(&base, mib / ((double)(t1 - t0) / 1e9));
		fprintf(stderr, "bench_logs: run %lld: through the shim %.0f MiB/s (shim CPU %.0f%%), "
		        "head > file %.0f MiB/s\n", i + 1, drv.v[i], shim_cpu.v[i], base.v[i]);
	}
	bench_result("log_throughput", "unit", "MiB/s");
	bench_result_samples("log_throughput", "samples", &drv);
	bench_result_samples("log_throughput", "baseline", &base);
	bench_result("log_throughput", "note",
	             "%lld runs of %.0f MiB each from /dev/zero via head(1), through drover-shim into "
	             "logs rotated at MaxFiles %d x MaxFileSizeMB %d, against the same head into one "
	             "file in the same directory (%s)",
	             repeat, mib, MAX_FILES, MAX_FILE_MB, root);
	bench_result("log_shim_cpu", "unit", "%s", "% of a core");
	bench_result_samples("log_shim_cpu", "samples", &shim_cpu);
	bench_result("log_shim_cpu", "note",
	             "drover-shim utime+stime while it moved the task's output into the log files, "
	             "over the same wall time as the throughput figure");
	close(fifo);
	bench_samples_clear(&drv);
	bench_samples_clear(&base);
	bench_samples_clear(&shim_cpu);
	return bench_finish();
}
