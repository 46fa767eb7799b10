/* bench_report RESULTS_DIR OUTPUT [NOTES]: doc/performance.md from the
 * results the benchmark programs wrote (see bench.h for the format): the
 * machine, then every figure of bench/figures.c with median, p95 and p99, the
 * baseline measured in the same run, the ratio, the target and whether it is
 * met. NOTES, a hand-written Markdown file, is appended as it is (why targets
 * were missed, what would close them). $BENCH_NOTE adds a line under the
 * machine (for example that it was shared with other builds). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "figures.h"

typedef struct record {
	char *figure, *key, *value;
} record;

static record *records;
static size_t nrecords;

/* "bench_report: <what> "<path>": <errno message>" and exit 1. */
static void die(const char *what, const char *path)
{
	fprintf(stderr, "bench_report: %s \"%s\": %s\n", what, path, strerror(errno));
	exit(1);
}

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);
	if (!q) {
		fprintf(stderr, "bench_report: out of memory\n");
		exit(1);
	}
	return q;
}

static void read_results(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		die("cannot read the results dir", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".tsv") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			die("cannot read", path);
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, f)) > 0) {
			line[strcspn(line, "\n")] = '\0';
			char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
			if (!tab2) {
				fprintf(stderr, "bench_report: %s: malformed line \"%.80s\"\n", path, line);
				exit(1);
			}
			*tab1 = *tab2 = '\0';
			records = xrealloc(records, (nrecords + 1) * sizeof(*records));
			records[nrecords].figure = strdup(line);
			records[nrecords].key = strdup(tab1 + 1);
			records[nrecords].value = strdup(tab2 + 1);
			nrecords++;
		}
		free(line);
		fclose(f);
	}
	closedir(d);
}

static const char *find(const char *figure, const char *key)
{
	for (size_t i = 0; i < nrecords; i++)
		if (strcmp(records[i].figure, figure) == 0 && strcmp(records[i].key, key) == 0)
			return records[i].value;
	return NULL;
}

typedef struct stats {
	size_t n;
	double median, p95, p99;
} stats;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles: the smallest sample with at least p% of the
 * samples at or below it (with few runs, p95 and p99 are the maximum). */
static int compute(const char *list, stats *s)
{
	double *v = NULL;
	size_t n = 0;
	const char *p = list;
	while (p && *p) {
		char *end;
		double x = strtod(p, &end);
		if (end == p)
			break;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = x;
		p = end;
	}
	if (n == 0) {
		free(v);
		return -1;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	s->n = n;
	s->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s->p95 = v[(size_t)ceil(0.95 * (double)n) - 1];
	s->p99 = v[(size_t)ceil(0.99 * (double)n) - 1];
	free(v);
	return 0;
}

static const char *num(double x, char *buf, size_t len)
{
	double a = fabs(x);
	snprintf(buf, len, a == 0 ? "0" : a < 10 ? "%.3f" : a < 1000 ? "%.1f" : "%.0f", x);
	return buf;
}

static void machine(FILE *out)
{
	char model[256] = "unknown", line[512];
	unsigned long long mem_kib = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &mem_kib) == 1)
			break;
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(out, "## Machine\n\n");
	fprintf(out, "- CPU: %s, %ld cores online\n", model, sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(out, "- memory: %.1f GiB\n", (double)mem_kib / (1024.0 * 1024.0));
	fprintf(out, "- kernel: %s %s (%s)\n", u.sysname, u.release, u.machine);
	fprintf(out, "- run: %s, as %s\n", when, geteuid() == 0 ? "root" : "an unprivileged user");
	fprintf(out, "- load average (1, 5, 15 min) when each program started:");
	for (size_t i = 0; i < nrecords; i++)
		if (strcmp(records[i].figure, "_load") == 0)
			fprintf(out, " %s `%.*s`;", records[i].key,
			        (int)strcspn(records[i].value, "/") - 2, records[i].value);
	fprintf(out, "\n");
	const char *note = getenv("BENCH_NOTE");
	if (note && *note)
		fprintf(out, "- %s\n", note);
	fprintf(out, "\n");
}

static void row(FILE *out, const bench_figure *fig, size_t *missed)
{
	char a[32], b[32], c[32], d[32], e[32], g[32];
	const char *unit = find(fig->id, "unit"), *samples = find(fig->id, "samples");
	const char *base = find(fig->id, "baseline"), *partial = find(fig->id, "partial");
	stats s, bs;
	if (!samples || compute(samples, &s) < 0) {
		fprintf(out, "| %s | | | | | | %s | | %s | not measured: %s |\n", fig->name,
		        fig->baseline ? fig->baseline : "", fig->target_text,
		        fig->absent ? fig->absent : "its program wrote no samples");
		return;
	}
	int have_base = base && compute(base, &bs) == 0;
	double ratio = have_base && bs.median != 0 ? s.median / bs.median : NAN;
	fprintf(out, "| %s | %s | %zu | %s | %s | %s | ", fig->name, unit ? unit : "",
	        s.n, num(s.median, a, sizeof(a)), num(s.p95, b, sizeof(b)),
	        num(s.p99, c, sizeof(c)));
	if (have_base)
		fprintf(out, "%s: %s (p95 %s, p99 %s) | %sx | ", fig->baseline, num(bs.median, d, sizeof(d)),
		        num(bs.p95, e, sizeof(e)), num(bs.p99, g, sizeof(g)),
		        num(ratio, a, sizeof(a)));
	else
		fprintf(out, "%s | | ", fig->baseline ? fig->baseline : "");
	int met = -1;
	switch (fig->kind) {
	case BENCH_TARGET_NONE:
		break;
	case BENCH_TARGET_RATIO_LE:
		met = have_base ? ratio <= fig->target : -1;
		break;
	case BENCH_TARGET_RATIO_GE:
		met = have_base ? ratio >= fig->target : -1;
		break;
	case BENCH_TARGET_VALUE_LE:
		met = s.median <= fig->target;
		break;
	case BENCH_TARGET_VALUE_LT:
		met = s.median < fig->target;
		break;
	}
	const char *verdict = fig->kind == BENCH_TARGET_NONE
	                              ? (fig->section == BENCH_SECTION_CONTEXT ? "context" : "reported")
	                      : met < 0                      ? "no baseline measured"
	                      : met                          ? "met"
	                                                     : "**missed**";
	if (met == 0)
		(*missed)++;
	fprintf(out, "%s | %s%s%s |\n", fig->target_text, verdict, partial ? "; partial: " : "",
	        partial ? partial : "");
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_report RESULTS_DIR OUTPUT [NOTES.md]\n");
		return 2;
	}
	read_results(argv[1]);
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *out = fopen(tmp, "we");
	if (!out)
		die("cannot create", tmp);
	fprintf(out, "# drover performance\n\n"
	             "Generated by `make bench` (bench/, written by bench/bench_report): each figure "
	             "against its baseline measured in the same run. Median, p95 and p99 are over "
	             "the runs of each figure (nearest rank: with fewer than 20 runs p95 is the "
	             "maximum, with fewer than 100 runs p99 is). The ratio is median over baseline "
	             "median. The benchmark reports numbers; nothing passes or fails on them.\n\n");
	machine(out);
	size_t missed = 0;
	static const char *const header =
		"| figure | unit | runs | median | p95 | p99 | baseline: median (p95, p99) | ratio | "
		"target | result |\n|---|---|---|---|---|---|---|---|---|---|\n";
	static const struct {
		bench_section section;
		const char *title;
	} sections[] = {
		{BENCH_SECTION_ISSUE, "## Figures of issue 17\n\nIn the order of the issue's table, "
		                      "with its targets.\n\n"},
		{BENCH_SECTION_HELD, "\n## Figures that held (issue 7), kept measured\n\n"},
		{BENCH_SECTION_CONTEXT, "\n## Context\n\nMeasured in the same run to explain the "
		                        "figures above; no targets.\n\n"},
	};
	for (size_t k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
		fprintf(out, "%s%s", sections[k].title, header);
		for (size_t i = 0; i < bench_figure_count; i++)
			if (bench_figures[i].section == sections[k].section)
				row(out, &bench_figures[i], &missed);
	}
	fprintf(out, "\n## How each figure was measured\n\n");
	for (size_t i = 0; i < bench_figure_count; i++) {
		int any = 0;
		for (size_t k = 0; k < nrecords; k++)
			if (strcmp(records[k].figure, bench_figures[i].id) == 0 &&
			    strcmp(records[k].key, "note") == 0) {
				fprintf(out, any ? " %s." : "- **%s**: %s.", any ? records[k].value
				                                               : bench_figures[i].name,
				        records[k].value);
				any = 1;
			}
		if (any)
			fprintf(out, "\n");
	}
	fprintf(out, "\n%zu target%s missed in this run.\n", missed, missed == 1 ? "" : "s");
	if (argc == 4) {
		FILE *notes = fopen(argv[3], "re");
		if (!notes)
			die("cannot read the notes", argv[3]);
		char buf[4096];
		size_t n;
		fprintf(out, "\n");
		while ((n = fread(buf, 1, sizeof(buf), notes)) > 0)
			fwrite(buf, 1, n, out);
		fclose(notes);
	}
	if (fclose(out) != 0 || rename(tmp, argv[2]) < 0)
		die("cannot write", argv[2]);
	return 0;
}
