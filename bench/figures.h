/* The figures doc/performance.md reports: issue 17's table, in its order, then
 * issue 7's figures that hold and are kept, then rows measured for context. A
 * figure no program measured is still listed, as "not measured: <absent>". */
#ifndef DROVER_BENCH_FIGURES_H
#define DROVER_BENCH_FIGURES_H

#include <stddef.h>

typedef enum bench_target_kind {
	BENCH_TARGET_NONE,     /* "report the ratio", or a context row */
	BENCH_TARGET_RATIO_LE, /* median / baseline median <= target */
	BENCH_TARGET_RATIO_GE, /* median / baseline median >= target */
	BENCH_TARGET_VALUE_LE, /* median <= target, in the figure's unit */
	BENCH_TARGET_VALUE_LT, /* median < target */
} bench_target_kind;

typedef enum bench_section {
	BENCH_SECTION_ISSUE,   /* issue 17's table: targets to meet */
	BENCH_SECTION_HELD,    /* issue 7's figures already met: kept measured */
	BENCH_SECTION_CONTEXT, /* no target: explains the others */
} bench_section;

typedef struct bench_figure {
	const char *id;          /* as the programs write it in bench/results */
	const char *name;
	const char *baseline;    /* NULL: no baseline */
	bench_target_kind kind;
	double target;
	const char *target_text; /* the target as the issue states it */
	const char *absent;      /* the reason shown when nothing measured it */
	bench_section section;
} bench_figure;

extern const bench_figure bench_figures[];
extern const size_t bench_figure_count;

#endif
