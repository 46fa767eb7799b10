#include "config.h"

#include "task_events.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "display.h"
#include "util.h"

static drover_task_event_recorder recorder;
static void *recorder_data;

void drover_task_events_set_recorder(drover_task_event_recorder fn, void *data)
{
	recorder = fn;
	recorder_data = data;
}

/* The progress line left open on a terminal: the stream and the task whose
 * last event was "Pulling", or NULL. Events come from several task threads. */
static pthread_mutex_t line_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *open_out;
static char open_key[256];

void drover_task_event_print(FILE *out, const char *alloc_id, const char *task, const char *type,
                             const char *fmt, ...)
{
	char when[32];
	char message[512];
	char key[256];
	va_list ap;
	int progress;

	drover_format_time(drover_now_ms(), when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), "%s/%s", alloc_id, task);
	/* Pull progress comes every 2 s for as long as the pull lasts: on a
	 * terminal it rewrites one line rather than scrolling the others away. */
	progress = strcmp(type, "Pulling") == 0 && isatty(fileno(out));
	pthread_mutex_lock(&line_lock);
	if (open_out == out && progress && strcmp(open_key, key) == 0)
		fputs("\r\033[K", out);
	else if (open_out)
		fputc('\n', open_out);
	if (open_out && open_out != out)
		fflush(open_out);
	/* One call per line: lines from concurrent tasks never interleave. */
	fprintf(out, "%s  %.8s  %-12s  %-14s  %s%s", when, alloc_id, drover_display(task),
	        drover_display(type), drover_display(message), progress ? "" : "\n");
	fflush(out);
	open_out = progress ? out : NULL;
	if (progress)
		memcpy(open_key, key, sizeof(key));
	pthread_mutex_unlock(&line_lock);
	if (recorder)
		recorder(recorder_data, alloc_id, task, type, message);
}
