/* Failing loudly, cleanup hooks, the results file and the environment knobs. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"

static struct {
	const char *program;
	FILE *results;
	struct {
		void (*fn)(void *);
		void *data;
	} hooks[64];
	size_t nhooks;
} b = {.program = "bench"};

static void run_hooks(void)
{
	/* A hook that fails calls bench_die, which lands here again: each hook
	 * is popped before it runs so that it never runs twice. */
	while (b.nhooks > 0) {
		b.nhooks--;
		b.hooks[b.nhooks].fn(b.hooks[b.nhooks].data);
	}
}

void bench_die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", b.program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fprintf(stderr, "%s: measurement failed; stopping what was started\n", b.program);
	run_hooks();
	exit(1);
}

void bench_on_cleanup(void (*fn)(void *data), void *data)
{
	if (b.nhooks == sizeof(b.hooks) / sizeof(b.hooks[0]))
		bench_die("too many cleanup hooks");
	b.hooks[b.nhooks].fn = fn;
	b.hooks[b.nhooks].data = data;
	b.nhooks++;
}

int bench_finish(void)
{
	run_hooks();
	if (b.results && fclose(b.results) != 0) {
		b.results = NULL;
		bench_die("cannot write the results file: %s", strerror(errno));
	}
	b.results = NULL;
	return 0;
}

void bench_samples_add(bench_samples *s, double value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			bench_die("out of memory");
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = value;
}

void bench_samples_clear(bench_samples *s)
{
	free(s->v);
	*s = (bench_samples){0};
}

static int cmp_double(const void *a, const void *b2)
{
	double x = *(const double *)a, y = *(const double *)b2;
	return x < y ? -1 : x > y;
}

double bench_samples_median(const bench_samples *s)
{
	if (s->n == 0)
		bench_die("median of no samples");
	double *v = malloc(s->n * sizeof(*v));
	if (!v)
		bench_die("out of memory");
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_double);
	double m = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	free(v);
	return m;
}

void bench_begin(const char *program)
{
	const char *dir = getenv("BENCH_RESULTS_DIR");
	char path[PATH_MAX];
	b.program = program;
	snprintf(path, sizeof(path), "%s/%s.tsv", dir && *dir ? dir : ".", program);
	b.results = fopen(path, "w");
	if (!b.results)
		bench_die("cannot create the results file \"%s\": %s", path, strerror(errno));
	/* Progress lines go to stderr; make's log keeps them in order. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	/* The load when each program began tells a reader whether the machine
	 * was busy with something else. */
	char load[128] = "unknown";
	FILE *f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fgets(load, sizeof(load), f))
			load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	bench_result("_load", program, "%s", load);
}

void bench_result(const char *figure, const char *key, const char *fmt, ...)
{
	va_list ap;
	if (!b.results)
		bench_die("bench_result before bench_begin");
	fprintf(b.results, "%s\t%s\t", figure, key);
	va_start(ap, fmt);
	vfprintf(b.results, fmt, ap);
	va_end(ap);
	fputc('\n', b.results);
	if (fflush(b.results) != 0)
		bench_die("cannot write the results file: %s", strerror(errno));
}

void bench_result_samples(const char *figure, const char *key, const bench_samples *s)
{
	if (s->n == 0)
		bench_die("figure %s: no %s samples were taken", figure, key);
	fprintf(b.results, "%s\t%s\t", figure, key);
	for (size_t i = 0; i < s->n; i++)
		fprintf(b.results, i ? " %.6g" : "%.6g", s->v[i]);
	fputc('\n', b.results);
	if (fflush(b.results) != 0)
		bench_die("cannot write the results file: %s", strerror(errno));
}

long long bench_env_count(const char *name, long long def, long long max)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0 || v > max)
		bench_die("environment variable %s=\"%.40s\": expected a whole number from 1 to %lld",
		          name, s, max);
	return v;
}

const char *bench_env_path(const char *name, const char *def)
{
	const char *s = getenv(name);
	return s && *s ? s : def;
}

void bench_raise_limits(const char *figure, long long need_nofile)
{
	struct rlimit nofile, nproc;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0 || getrlimit(RLIMIT_NPROC, &nproc) < 0)
		bench_die("getrlimit: %s", strerror(errno));
	rlim_t old_soft = nofile.rlim_cur, old_hard = nofile.rlim_max;
	if (nofile.rlim_cur < (rlim_t)need_nofile) {
		if (nofile.rlim_max < (rlim_t)need_nofile) {
			struct rlimit want = {(rlim_t)need_nofile, (rlim_t)need_nofile};
			if (setrlimit(RLIMIT_NOFILE, &want) < 0)
				bench_die("RLIMIT_NOFILE: need %lld open files, the hard limit is %llu and "
				          "cannot be raised (%s): run as root or raise it (ulimit -Hn)",
				          need_nofile, (unsigned long long)nofile.rlim_max, strerror(errno));
		} else {
			nofile.rlim_cur = nofile.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
				bench_die("RLIMIT_NOFILE: %s", strerror(errno));
		}
	}
	getrlimit(RLIMIT_NOFILE, &nofile);
	int nproc_raised = 0;
	if (nproc.rlim_cur != RLIM_INFINITY) {
		struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
		nproc_raised = setrlimit(RLIMIT_NPROC, &inf) == 0;
	}
	getrlimit(RLIMIT_NPROC, &nproc);
	bench_result(figure, "note",
	             "RLIMIT_NOFILE (soft/hard) was %llu/%llu, now %llu/%llu (at least %lld needed); RLIMIT_NPROC %s%s%.0llu",
	             (unsigned long long)old_soft, (unsigned long long)old_hard,
	             (unsigned long long)nofile.rlim_cur, (unsigned long long)nofile.rlim_max,
	             need_nofile, nproc.rlim_cur == RLIM_INFINITY ? "unlimited" : "",
	             nproc_raised ? " (raised)" : "",
	             nproc.rlim_cur == RLIM_INFINITY ? 0ULL : (unsigned long long)nproc.rlim_cur);
}
