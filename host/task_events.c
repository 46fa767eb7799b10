#include "config.h"

#include "task_events.h"

#include <stdarg.h>

#include "util.h"

static drover_task_event_recorder recorder;
static void *recorder_data;

void drover_task_events_set_recorder(drover_task_event_recorder fn, void *data)
{
	recorder = fn;
	recorder_data = data;
}

void drover_task_event_print(FILE *out, const char *alloc_id, const char *task, const char *type,
                             const char *fmt, ...)
{
	char when[32];
	char message[512];
	va_list ap;
	drover_format_time(drover_now_ms(), when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* One call per line: lines from concurrent tasks never interleave. */
	fprintf(out, "%s  %.8s  %-12s  %-14s  %s\n", when, alloc_id, task, type, message);
	fflush(out);
	if (recorder)
		recorder(recorder_data, alloc_id, task, type, message);
}
