#include "config.h"

#include "status_text.h"

#include <string.h>

#include "display.h"
#include "util.h"

/* A table whose cells are already escaped for the terminal: every column as
 * wide as its widest cell, two spaces between columns, as Nomad's columnize. */
#define TABLE_MAX_COLS 8

typedef struct table {
	size_t cols;
	size_t rows;
	char **cells; /* rows * cols, row 0 the header */
} table;

static void table_add(table *t, const char *const *cells)
{
	char **grown = realloc(t->cells, (t->rows + 1) * t->cols * sizeof(*grown));
	if (!grown)
		return;
	t->cells = grown;
	for (size_t c = 0; c < t->cols; c++)
		t->cells[t->rows * t->cols + c] = strdup(drover_display(cells[c]));
	t->rows++;
}

static void table_print(FILE *out, table *t)
{
	size_t width[TABLE_MAX_COLS] = {0};
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cells[r * t->cols + c];
			size_t len = s ? strlen(s) : 0;
			if (len > width[c])
				width[c] = len;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cells[r * t->cols + c];
			if (c + 1 == t->cols)
				fprintf(out, "%s\n", s ? s : "");
			else
				fprintf(out, "%-*s  ", (int)width[c], s ? s : "");
		}
	}
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (table){0};
}

static void short_id(const char *id, int full, char *buf, size_t len)
{
	snprintf(buf, len, full ? "%s" : "%.8s", id ? id : "");
}

void status_text_table(FILE *out, const status_alloc *allocs, size_t count, int full_ids)
{
	table t = {.cols = 6};
	const char *head[] = {"ID", "Job", "Group", "Desired", "Status", "Created"};
	table_add(&t, head);
	for (size_t i = 0; i < count; i++) {
		const status_alloc *a = &allocs[i];
		char id[64], when[32];
		short_id(a->alloc.id, full_ids, id, sizeof(id));
		drover_format_time(a->alloc.created_ms, when, sizeof(when));
		const char *row[] = {id, a->alloc.job_id, a->alloc.group_name, a->alloc.desired_status,
		                     a->client_status, when};
		table_add(&t, row);
	}
	table_print(out, &t);
}

/* "key = value" lines, the keys padded to the longest, as Nomad's formatKV. */
typedef struct kv {
	const char *key;
	char value[DROVER_ERR_MESSAGE_MAX];
} kv;

static void kv_print(FILE *out, const kv *lines, size_t n)
{
	size_t width = 0;
	for (size_t i = 0; i < n; i++)
		if (lines[i].key && strlen(lines[i].key) > width)
			width = strlen(lines[i].key);
	for (size_t i = 0; i < n; i++)
		if (lines[i].key)
			fprintf(out, "%-*s = %s\n", (int)width, lines[i].key, drover_display(lines[i].value));
}

static void time_or_na(long long ms, char *buf, size_t len)
{
	if (ms > 0)
		drover_format_time(ms, buf, len);
	else
		snprintf(buf, len, "N/A");
}

static void print_task(FILE *out, const status_task *t, size_t events)
{
	kv lines[12];
	size_t n = 0;
	char when[32];

	fprintf(out, "\nTask \"%s\" is \"%s\"\n", drover_display(t->row.name), t->state);
	lines[n].key = "Driver";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s", t->row.driver ? t->row.driver : "?");
	if (strcmp(t->state, "running") == 0 && t->row.pid) {
		lines[n].key = "Pid";
		snprintf(lines[n++].value, sizeof(lines[0].value), "%d", t->row.pid);
	}
	time_or_na(t->started ? t->row.started_ms : 0, when, sizeof(when));
	lines[n].key = "Started At";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s", when);
	time_or_na(strcmp(t->state, "dead") == 0 ? t->row.finished_ms : 0, when, sizeof(when));
	lines[n].key = "Finished At";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s", when);
	/* A task that never ran has no exit to show. */
	if (strcmp(t->row.state, "dead") == 0 && t->started) {
		lines[n].key = "Exit Code";
		snprintf(lines[n++].value, sizeof(lines[0].value), "%d", t->row.exit_code);
		lines[n].key = "Signal";
		snprintf(lines[n++].value, sizeof(lines[0].value), "%d", t->row.signal);
		if (t->row.oom_killed) {
			lines[n].key = "OOM Killed";
			snprintf(lines[n++].value, sizeof(lines[0].value), "true");
		}
	}
	lines[n].key = "Failed";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s", t->failed ? "true" : "false");
	lines[n].key = "Total Restarts";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%d", t->row.restarts);
	if (t->detail[0]) {
		lines[n].key = "Driver Detail";
		snprintf(lines[n++].value, sizeof(lines[0].value), "%s", t->detail);
	}
	if (t->has_stats) {
		lines[n].key = "Resources";
		snprintf(lines[n++].value, sizeof(lines[0].value),
		         "CPU user %llu ms, system %llu ms; memory RSS %llu KiB; pids %llu",
		         (unsigned long long)(t->stats.cpu_user_ns / 1000000),
		         (unsigned long long)(t->stats.cpu_system_ns / 1000000),
		         (unsigned long long)(t->stats.memory_rss_bytes / 1024),
		         (unsigned long long)t->stats.pids);
	}
	if (t->problem[0]) {
		lines[n].key = "Problem";
		snprintf(lines[n++].value, sizeof(lines[0].value), "%s", t->problem);
	}
	kv_print(out, lines, n);
	if (!t->event_count || !events)
		return;
	fputs("\nRecent Events:\n", out);
	table tab = {.cols = 3};
	const char *head[] = {"Time", "Type", "Description"};
	table_add(&tab, head);
	size_t first = t->event_count > events ? t->event_count - events : 0;
	/* Newest first, as Nomad lists them. */
	for (size_t k = t->event_count; k-- > first;) {
		drover_format_time(t->events[k].time_ms, when, sizeof(when));
		const char *row[] = {when, t->events[k].type ? t->events[k].type : "",
		                     t->events[k].message ? t->events[k].message : ""};
		table_add(&tab, row);
	}
	table_print(out, &tab);
}

void status_text_alloc(FILE *out, const status_alloc *a, size_t events)
{
	kv lines[9];
	size_t n = 0;
	char when[32];
#define KV(k, ...) (lines[n].key = (k), snprintf(lines[n++].value, sizeof(lines[0].value), __VA_ARGS__))
	KV("ID", "%s", a->alloc.id);
	KV("Name", "%s", a->alloc.alloc_name ? a->alloc.alloc_name : "");
	KV("Job ID", "%s", a->alloc.job_id ? a->alloc.job_id : "");
	KV("Task Group", "%s", a->alloc.group_name ? a->alloc.group_name : "");
	KV("Desired Status", "%s", a->alloc.desired_status ? a->alloc.desired_status : "");
	KV("Client Status", "%s", a->client_status);
	KV("Client Description", "%s", a->client_description);
	drover_format_time(a->alloc.created_ms, when, sizeof(when));
	KV("Created", "%s", when);
	KV("Alloc Dir", "%s", a->alloc.alloc_dir ? a->alloc.alloc_dir : "");
#undef KV
	kv_print(out, lines, n);
	for (size_t i = 0; i < a->count; i++)
		print_task(out, &a->tasks[i], events);
}

void status_text_job(FILE *out, const char *job_id, const status_alloc *allocs, size_t count,
                     int full_ids)
{
	int live = 0;
	for (size_t i = 0; i < count; i++)
		live |= strcmp(allocs[i].client_status, "running") == 0 ||
		        strcmp(allocs[i].client_status, "pending") == 0;
	kv lines[3];
	size_t n = 0;
	lines[n].key = "ID";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s", job_id);
	lines[n].key = "Name";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s",
	         count && allocs[0].alloc.job_name ? allocs[0].alloc.job_name : job_id);
	/* Nomad's job status: running while an allocation is live, else dead. */
	lines[n].key = "Status";
	snprintf(lines[n++].value, sizeof(lines[0].value), "%s", live ? "running" : "dead");
	kv_print(out, lines, n);

	fputs("\nSummary\n", out);
	table sum = {.cols = 5};
	const char *head[] = {"Task Group", "Starting", "Running", "Failed", "Complete"};
	table_add(&sum, head);
	for (size_t i = 0; i < count; i++) {
		const char *group = allocs[i].alloc.group_name ? allocs[i].alloc.group_name : "";
		size_t k;
		for (k = 0; k < i; k++)
			if (allocs[k].alloc.group_name && strcmp(allocs[k].alloc.group_name, group) == 0)
				break;
		if (k < i)
			continue; /* counted with the first allocation of its group */
		int c[4] = {0};
		for (k = i; k < count; k++) {
			if (!allocs[k].alloc.group_name || strcmp(allocs[k].alloc.group_name, group) != 0)
				continue;
			const char *s = allocs[k].client_status;
			c[strcmp(s, "pending") == 0 ? 0 : strcmp(s, "running") == 0 ? 1
			  : strcmp(s, "failed") == 0 ? 2 : 3]++;
		}
		char n0[16], n1[16], n2[16], n3[16];
		snprintf(n0, sizeof(n0), "%d", c[0]);
		snprintf(n1, sizeof(n1), "%d", c[1]);
		snprintf(n2, sizeof(n2), "%d", c[2]);
		snprintf(n3, sizeof(n3), "%d", c[3]);
		const char *row[] = {group, n0, n1, n2, n3};
		table_add(&sum, row);
	}
	table_print(out, &sum);
	fputs("\nAllocations\n", out);
	status_text_table(out, allocs, count, full_ids);
}
