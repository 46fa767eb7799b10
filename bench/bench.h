/* What every benchmark program shares: samples and the results file, timing,
 * /proc readings, limits, child processes with deadlines, cleanup on failure.
 *
 * A benchmark reports numbers; it never passes or fails on them. It does fail
 * (bench_die: message on stderr, cleanup hooks run, exit status 1) when a
 * measurement itself breaks, so `make bench` never writes a table from a run
 * that did not happen.
 *
 * Results: each program appends lines "<figure id>\t<key>\t<value>" to
 * $BENCH_RESULTS_DIR/<program>.tsv; bench_report turns them into
 * doc/performance.md. Keys: "samples" and "baseline" (raw numbers, one line
 * each, space-separated; the report computes median/p95/p99 so that every row
 * is computed the same way), "unit", "baseline_name", "note", "partial". */
#ifndef DROVER_BENCH_H
#define DROVER_BENCH_H

#include <stddef.h>
#include <sys/types.h>

/* ------------------------------------------------------------- failing */

/* Prints "<program>: <message>" on stderr, runs the cleanup hooks (newest
 * first) and exits 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Registers fn(data) to run on bench_die and on bench_finish, newest first:
 * every task or process a program starts is stopped even when it fails. */
void bench_on_cleanup(void (*fn)(void *data), void *data);

/* Runs the cleanup hooks, closes the results file; exit status 0. */
int bench_finish(void);

/* ------------------------------------------------------------- results */

typedef struct bench_samples {
	double *v;
	size_t n, cap;
} bench_samples;

void bench_samples_add(bench_samples *s, double value);
void bench_samples_clear(bench_samples *s);
double bench_samples_median(const bench_samples *s);

/* Opens $BENCH_RESULTS_DIR/<program>.tsv (BENCH_RESULTS_DIR defaults to
 * "."); `program` also prefixes bench_die messages. */
void bench_begin(const char *program);
void bench_result(const char *figure, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bench_result_samples(const char *figure, const char *key, const bench_samples *s);

/* ------------------------------------------------------------- environment */

/* An overridable knob: the environment variable `name` as a positive integer,
 * else `def`. A malformed or out-of-range value is fatal, naming the variable. */
long long bench_env_count(const char *name, long long def, long long max);

/* A path the build compiled in, overridable by the environment variable. */
const char *bench_env_path(const char *name, const char *def);

/* Raises RLIMIT_NOFILE (soft, and hard when allowed) to at least `need` and
 * RLIMIT_NPROC to unlimited when allowed; fatal when NOFILE cannot reach
 * `need`. Records what it did as a "note" of `figure`. */
void bench_raise_limits(const char *figure, long long need_nofile);

/* ------------------------------------------------------------- time, /proc */

long long bench_now_ns(void); /* CLOCK_MONOTONIC */

/* utime + stime of the process, in clock ticks (/proc/<pid>/stat fields 14, 15). */
int bench_proc_cpu_ticks(pid_t pid, unsigned long long *ticks);
/* Time on CPU in ns (/proc/<pid>/schedstat, first field): the same CPU time
 * as utime+stime without the clock-tick rounding. */
int bench_proc_cpu_ns(pid_t pid, unsigned long long *ns);
/* /proc/<pid>/stat field 22, 0 when the process is gone. */
unsigned long long bench_proc_start_time(pid_t pid);
/* "Pss:" of /proc/<pid>/smaps_rollup, in KiB. */
int bench_proc_pss_kib(pid_t pid, unsigned long long *kib);
/* "VmRSS:" of /proc/<pid>/status, in KiB. */
int bench_proc_rss_kib(pid_t pid, unsigned long long *kib);

/* ------------------------------------------------------------- processes */

/* posix_spawn of argv (argv[0] an absolute path) with stdout to `stdout_path`
 * (NULL: /dev/null); returns the pid, fatal on failure. */
pid_t bench_spawn(const char *const *argv, const char *stdout_path);

/* Waits for a child with a deadline; returns its wait status. Fatal (after
 * killing it) when the deadline passes. */
int bench_wait_child(pid_t pid, long long timeout_ms, const char *what);

/* Runs argv to its end (deadline timeout_ms) with stdout captured into
 * *out (malloc'd, NUL-ended; NULL to discard) and stderr passed through;
 * returns the exit status (-1 when killed by a signal). */
int bench_run(const char *const *argv, long long timeout_ms, char **out);

/* Waits until the process `pid` (not necessarily a child) has exited, through
 * a pidfd; -ETIMEDOUT after timeout_ms, -ESRCH when it was already gone. */
int bench_wait_gone(pid_t pid, long long timeout_ms);

/* ------------------------------------------------------------- files */

/* A fresh directory /tmp/drover-bench-<tag>.XXXXXX, removed by a cleanup hook. */
char *bench_tmpdir(const char *tag);
void bench_write_file(const char *path, const char *text);
void bench_rm_rf(const char *path);

#endif
