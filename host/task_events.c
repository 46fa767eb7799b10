#include "config.h"

#include "task_events.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
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

/* Lines held back while the runner batches its store writes: a line reports
 * what the store says only once that is committed, as when each write
 * committed on its own before its line was printed. */
typedef struct held_line {
	FILE *out;
	char *text;
} held_line;
static held_line *held;
static size_t nheld;
static int holding;

void drover_task_events_hold(int on)
{
	pthread_mutex_lock(&line_lock);
	holding = on;
	if (!on) {
		for (size_t i = 0; i < nheld; i++) {
			fputs(held[i].text, held[i].out);
			free(held[i].text);
			if (i + 1 == nheld || held[i + 1].out != held[i].out)
				fflush(held[i].out);
		}
		free(held);
		held = NULL;
		nheld = 0;
	}
	pthread_mutex_unlock(&line_lock);
}

/* Holds the line when holding; 0 when it must be printed now. */
static int hold_line(FILE *out, const char *when, const char *alloc_id, const char *task,
                     const char *type, const char *message)
{
	char *text = NULL;
	if (!holding)
		return 0;
	held_line *grown = realloc(held, (nheld + 1) * sizeof(*held));
	if (!grown)
		return 0;
	held = grown;
	text = drover_strdup_printf("%s  %.8s  %-12s  %-14s  %s\n", when, alloc_id,
	                            drover_display(task), drover_display(type),
	                            drover_display(message));
	if (!text)
		return 0;
	held[nheld++] = (held_line){out, text};
	return 1;
}

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
	/* Recorded first: whoever reads the line finds the event in the store. */
	if (recorder)
		recorder(recorder_data, alloc_id, task, type, message);
	pthread_mutex_lock(&line_lock);
	if (!progress && !open_out && hold_line(out, when, alloc_id, task, type, message)) {
		pthread_mutex_unlock(&line_lock);
		return;
	}
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
}
