/* host/status_json.c writes `drover status -json` without yajl. Its text must
 * stay what yajl's beautifier wrote, and what drover_gen_print made of it:
 * every output here is parsed with yajl_tree, generated again by yajl (four
 * spaces of indent, C1 controls escaped as drover_gen_print escapes them) and
 * compared byte for byte; the strings must read back as they were, hostile
 * ones included. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "commands.h"
#include "status_json.h"

/* A task name and messages a job or a task could have written: C0 controls,
 * quote, backslash, solidus, DEL, a C1 control (CSI, U+009B), a 0xc2 that
 * starts no C1 control, and non-ASCII text. */
#define HOSTILE_NAME "t\x1b[2J\"\\/\xc2\x9b"
#define HOSTILE_MSG "line\n\ttab\r\b\f\x01\x1f\x7f caf\xc3\xa9 \xc2\xa0 \xc2\x85 end"

static void gen_tree(yajl_gen g, yajl_val v)
{
	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];
			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			gen_tree(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			gen_tree(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_INTEGER(v)) {
		yajl_gen_integer(g, YAJL_GET_INTEGER(v));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		cr_assert(YAJL_IS_NULL(v), "status -json wrote a value that is no integer");
		yajl_gen_null(g);
	}
}

/* What yajl and drover_gen_print write for the document `text` holds. */
static char *through_yajl(const char *text, yajl_val *tree)
{
	char errbuf[256];
	*tree = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	cr_assert_not_null(*tree, "the output does not parse: %s\n%s", errbuf, text);
	yajl_gen g = yajl_gen_alloc(NULL);
	cr_assert_not_null(g);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	gen_tree(g, *tree);
	char *out = NULL;
	size_t len = 0;
	FILE *saved = stdout, *mem = open_memstream(&out, &len);
	cr_assert_not_null(mem);
	stdout = mem;
	drover_gen_print(g);
	stdout = saved;
	fclose(mem);
	yajl_gen_free(g);
	return out;
}

static char *written(void (*write)(FILE *, const void *, size_t), const void *arg, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	cr_assert_not_null(mem);
	write(mem, arg, n);
	fclose(mem);
	cr_assert_eq(strlen(out), len, "a NUL byte in the output");
	return out;
}

static void write_list(FILE *f, const void *allocs, size_t n)
{
	status_json_list(f, allocs, n);
}

static void write_one(FILE *f, const void *alloc, size_t n)
{
	(void)n;
	status_json_one(f, alloc);
}

static void assert_like_yajl(const char *text, yajl_val *tree)
{
	char *expected = through_yajl(text, tree);
	cr_assert_str_eq(text, expected, "status_json and yajl differ");
	free(expected);
	/* No raw control reaches a terminal: C0 but newline, C1 as UTF-8. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		cr_assert(*p >= 0x20 || *p == '\n', "raw control 0x%02x at offset %zu", *p,
		          (size_t)(p - (const unsigned char *)text));
		cr_assert(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f),
		          "raw C1 control at offset %zu", (size_t)(p - (const unsigned char *)text));
	}
}

static drover_state_event events[] = {
	{.task = "web", .time_ms = 1700000000123, .type = "Received", .message = "Task received by client"},
	{.task = "web", .time_ms = 1700000000500, .type = "Terminated",
	 .message = "Exit Code: 3, Signal: 9, OOM Killed"},
	{.task = "web", .time_ms = 1700000000600, .type = "Restarting", .message = HOSTILE_MSG},
	{.task = "web", .time_ms = 1700000000700, .type = "Driver Failure", .message = ""},
};

static void fill(status_alloc *a, status_task *tasks)
{
	*a = (status_alloc){
		.alloc = {.id = "0b6c3a1e-5f7d-4c2a-9e8b-1d2f3a4b5c6d", .job_id = "web\"job\\",
		          .group_name = "g", .alloc_name = "web.g[0]", .alloc_dir = "/data/alloc/0b6c",
		          .desired_status = "run", .created_ms = 1700000000000, .modified_ms = 0},
		.tasks = tasks,
		.count = 2,
		.client_status = "running",
		.client_description = "Tasks are running",
	};
	tasks[0] = (status_task){
		.row = {.name = "web", .driver = "raw_exec", .state = "dead", .pid = 4242,
		        .exit_code = -3, .restarts = 2, .started_ms = 1700000000100,
		        .finished_ms = 1700000000999},
		.events = events,
		.event_count = sizeof(events) / sizeof(events[0]),
		.state = "dead",
		.failed = 1,
		.started = 1,
	};
	snprintf(tasks[0].problem, sizeof(tasks[0].problem), "%s", HOSTILE_MSG);
	tasks[1] = (status_task){
		.row = {.name = HOSTILE_NAME, .driver = "raw_exec", .state = "running", .pid = 77,
		        .started_ms = 1700000000010},
		.state = "running",
		.started = 1,
		.has_stats = 1,
		.stats = {.cpu_user_ns = 123456789012ULL, .memory_rss_bytes = 4096, .pids = 1},
	};
	snprintf(tasks[1].detail, sizeof(tasks[1].detail), "pid 77, cgroup %s", HOSTILE_NAME);
}

static const char *str_at(yajl_val v, const char **path)
{
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);
	cr_assert_not_null(s, "no string at %s", path[0]);
	return YAJL_GET_STRING(s);
}

Test(status_json, list_is_yajls_text_and_strings_read_back)
{
	status_task tasks[2][2];
	status_alloc allocs[3];
	fill(&allocs[0], tasks[0]);
	fill(&allocs[1], tasks[1]);
	allocs[1].alloc.id = "second";
	allocs[2] = (status_alloc){.alloc = {.id = "no-tasks", .alloc_dir = ""},
	                           .client_status = "pending", .client_description = ""};
	char *text = written(write_list, allocs, 3);
	yajl_val tree;
	assert_like_yajl(text, &tree);
	cr_assert(YAJL_IS_ARRAY(tree) && tree->u.array.len == 3);
	yajl_val first = tree->u.array.values[0];
	const char *job[] = {"JobID", NULL};
	cr_assert_str_eq(str_at(first, job), "web\"job\\");
	const char *msg[] = {"TaskStates", "web", "Problem", NULL};
	cr_assert_str_eq(str_at(first, msg), HOSTILE_MSG);
	const char *detail[] = {"TaskStates", HOSTILE_NAME, "Detail", NULL};
	cr_assert_str_eq(str_at(first, detail), "pid 77, cgroup " HOSTILE_NAME);
	const char *evs[] = {"TaskStates", "web", "Events", NULL};
	yajl_val ev = yajl_tree_get(first, evs, yajl_t_array);
	cr_assert(ev && ev->u.array.len == 4);
	const char *m[] = {"Message", NULL}, *t[] = {"Time", NULL}, *code[] = {"ExitCode", NULL};
	cr_assert_str_eq(str_at(ev->u.array.values[2], m), HOSTILE_MSG);
	cr_assert_eq(YAJL_GET_INTEGER(yajl_tree_get(ev->u.array.values[0], t, yajl_t_number)),
	             1700000000123LL * 1000000);
	cr_assert_eq(YAJL_GET_INTEGER(yajl_tree_get(ev->u.array.values[1], code, yajl_t_number)), 3);
	yajl_tree_free(tree);
	free(text);
}

Test(status_json, one_allocation_and_an_empty_list)
{
	status_task tasks[2];
	status_alloc a;
	fill(&a, tasks);
	char *text = written(write_one, &a, 1);
	yajl_val tree;
	assert_like_yajl(text, &tree);
	cr_assert(YAJL_IS_OBJECT(tree));
	yajl_tree_free(tree);
	free(text);

	text = written(write_list, NULL, 0);
	cr_assert_str_eq(text, "[\n\n]\n\n");
	free(text);
}
