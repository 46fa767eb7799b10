/* drover status: allocations and tasks from the state store, with each
 * running task asked (through its driver) whether it really still runs. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "commands.h"
#include "state_recover.h"

typedef struct status_opts {
	int json;
	int stats;
	size_t events;
} status_opts;

static void refresh_all(drover_state *st, drover_ralloc *a)
{
	for (size_t i = 0; i < a->count; i++) {
		drover_err err = {{0}};
		if (drover_rtask_refresh(st, a, &a->tasks[i], &err) < 0)
			snprintf(a->tasks[i].error, sizeof(a->tasks[i].error), "%s", err.message);
	}
}

static int task_stats(drover_rtask *t, drover_task_stats *out)
{
	drover_err err = {{0}};
	*out = (drover_task_stats){.struct_size = sizeof(*out)};
	if (!t->task || strcmp(t->row.state, "running") != 0 || !t->plugin->desc->stats)
		return -ENOTSUP;
	return t->plugin->desc->stats(t->plugin->ctx, t->task, out, &err);
}

/* The driver's own line about a live task (container id, supervisor pid). */
static int task_detail(drover_rtask *t, char *buf, size_t len)
{
	drover_err err = {{0}};
	drover_task_status s = {.struct_size = sizeof(s)};
	if (!t->task || strcmp(t->row.state, "running") != 0 || !t->plugin->desc->inspect ||
	    t->plugin->desc->inspect(t->plugin->ctx, t->task, &s, &err) < 0 || !s.detail[0])
		return 0;
	snprintf(buf, len, "%s", s.detail);
	return 1;
}

static void print_text(drover_state *st, drover_ralloc *a, const status_opts *o)
{
	char when[32];
	drover_format_time(a->alloc.created_ms, when, sizeof(when));
	printf("Allocation %s\n  Job %s, group %s, name %s\n  Desired: %s  Status: %s  Created: %s\n",
	       a->alloc.id, a->job.id, a->group->name, a->alloc.alloc_name, a->alloc.desired_status,
	       a->alloc.client_status, when);
	for (size_t i = 0; i < a->count; i++) {
		drover_rtask *t = &a->tasks[i];
		printf("  Task \"%s\" (%s): %s", t->row.name, t->row.driver ? t->row.driver : "?",
		       t->row.state);
		if (t->row.pid)
			printf(", pid %d", t->row.pid);
		if (strcmp(t->row.state, "dead") == 0)
			printf(", exit code %d, signal %d%s%s", t->row.exit_code, t->row.signal,
			       t->row.oom_killed ? ", OOM killed" : "", t->row.failed ? ", failed" : "");
		printf(", restarts %d\n", t->row.restarts);
		if (t->error[0])
			printf("    Problem: %s\n", t->error);
		char detail[256];
		if (task_detail(t, detail, sizeof(detail)))
			printf("    Driver: %s\n", detail);
		drover_task_stats s;
		if (o->stats && task_stats(t, &s) == 0)
			printf("    CPU: user %llu ms, system %llu ms; memory: RSS %llu KiB, pids %llu\n",
			       s.cpu_user_ns / 1000000, s.cpu_system_ns / 1000000,
			       s.memory_rss_bytes / 1024, s.pids);
		drover_state_event *ev;
		size_t n;
		drover_err err = {{0}};
		if (drover_state_event_list(st, a->alloc.id, t->row.name, o->events, &ev, &n, &err) < 0) {
			printf("    Events: %s\n", err.message);
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			drover_format_time(ev[k].time_ms, when, sizeof(when));
			printf("    %s  %-14s  %s\n", when, ev[k].type ? ev[k].type : "",
			       ev[k].message ? ev[k].message : "");
		}
		drover_state_events_free(ev, n);
	}
}

static void gen_key(yajl_gen g, const char *k)
{
	drover_gen_string(g, k);
}

static void gen_json(yajl_gen g, drover_state *st, drover_ralloc *a, const status_opts *o)
{
	yajl_gen_map_open(g);
	gen_key(g, "ID"), drover_gen_string(g, a->alloc.id);
	gen_key(g, "JobID"), drover_gen_string(g, a->job.id);
	gen_key(g, "TaskGroup"), drover_gen_string(g, a->group->name);
	gen_key(g, "Name"), drover_gen_string(g, a->alloc.alloc_name);
	gen_key(g, "AllocDir"), drover_gen_string(g, a->alloc.alloc_dir);
	gen_key(g, "DesiredStatus"), drover_gen_string(g, a->alloc.desired_status);
	gen_key(g, "ClientStatus"), drover_gen_string(g, a->alloc.client_status);
	gen_key(g, "CreateTime"), yajl_gen_integer(g, a->alloc.created_ms);
	gen_key(g, "TaskStates");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < a->count; i++) {
		drover_rtask *t = &a->tasks[i];
		gen_key(g, t->row.name);
		yajl_gen_map_open(g);
		gen_key(g, "Driver"), drover_gen_string(g, t->row.driver);
		gen_key(g, "State"), drover_gen_string(g, t->row.state);
		gen_key(g, "Pid"), yajl_gen_integer(g, t->row.pid);
		gen_key(g, "ExitCode"), yajl_gen_integer(g, t->row.exit_code);
		gen_key(g, "Signal"), yajl_gen_integer(g, t->row.signal);
		gen_key(g, "OOMKilled"), yajl_gen_bool(g, t->row.oom_killed);
		gen_key(g, "Failed"), yajl_gen_bool(g, t->row.failed);
		gen_key(g, "Restarts"), yajl_gen_integer(g, t->row.restarts);
		gen_key(g, "StartedAt"), yajl_gen_integer(g, t->row.started_ms);
		gen_key(g, "FinishedAt"), yajl_gen_integer(g, t->row.finished_ms);
		gen_key(g, "Problem"), drover_gen_string(g, t->error[0] ? t->error : NULL);
		char detail[256];
		gen_key(g, "Detail"), drover_gen_string(g, task_detail(t, detail, sizeof(detail)) ? detail : NULL);
		drover_task_stats s;
		if (o->stats && task_stats(t, &s) == 0) {
			gen_key(g, "Stats");
			yajl_gen_map_open(g);
			gen_key(g, "CPUUserNs"), yajl_gen_integer(g, (long long)s.cpu_user_ns);
			gen_key(g, "CPUSystemNs"), yajl_gen_integer(g, (long long)s.cpu_system_ns);
			gen_key(g, "MemoryRSS"), yajl_gen_integer(g, (long long)s.memory_rss_bytes);
			gen_key(g, "Pids"), yajl_gen_integer(g, (long long)s.pids);
			yajl_gen_map_close(g);
		}
		gen_key(g, "Events");
		yajl_gen_array_open(g);
		drover_state_event *ev;
		size_t n;
		drover_err err = {{0}};
		if (drover_state_event_list(st, a->alloc.id, t->row.name, o->events, &ev, &n, &err) == 0) {
			for (size_t k = 0; k < n; k++) {
				yajl_gen_map_open(g);
				gen_key(g, "Time"), yajl_gen_integer(g, ev[k].time_ms);
				gen_key(g, "Type"), drover_gen_string(g, ev[k].type);
				gen_key(g, "Message"), drover_gen_string(g, ev[k].message);
				yajl_gen_map_close(g);
			}
			drover_state_events_free(ev, n);
		}
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

int drover_cmd_status(int argc, char **argv)
{
	drover_common_opts opts = {0};
	status_opts o = {.events = 5};
	const drover_flag flags[] = {
		{"json", NULL, &o.json, "print the allocations as JSON"},
		{"stats", NULL, &o.stats, "add CPU and memory use of running tasks"},
		{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover status: %s\n", err.message);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count > 1) {
		drover_flags_print_help(opts.help ? stdout : stderr, "drover status [options] [ALLOC]",
		                        "Shows the allocations recorded in the data dir (or the one whose\n"
		                        "id starts with ALLOC) with their tasks: state, pid, exit code,\n"
		                        "signal, OOM kill, restarts and recent events. A task recorded as\n"
		                        "running is asked through its driver, and an exit that happened\n"
		                        "meanwhile is recorded.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover status", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	int exit_code = DROVER_EXIT_OK;
	drover_state_alloc *list = NULL;
	size_t count = 0;
	if (args.count == 1) {
		char *id = NULL;
		if (drover_state_alloc_resolve(st, args.items[0], &id, &err) < 0) {
			fprintf(stderr, "drover status: %s\n", err.message);
			exit_code = DROVER_EXIT_FAILURE;
		} else {
			list = calloc(1, sizeof(*list));
			if (list) {
				list[0].id = id;
				count = 1;
			} else {
				free(id);
			}
		}
		o.events = 10;
	} else if (drover_state_alloc_list(st, &list, &count, &err) < 0) {
		fprintf(stderr, "drover status: %s\n", err.message);
		exit_code = DROVER_EXIT_FAILURE;
	}
	yajl_gen g = o.json ? yajl_gen_alloc(NULL) : NULL;
	if (g) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_array_open(g);
	}
	if (exit_code == DROVER_EXIT_OK && count == 0 && !o.json)
		printf("No allocations in %s\n", drover_state_path(st));
	for (size_t i = 0; i < count; i++) {
		drover_ralloc a;
		if (drover_ralloc_load(&ctx, st, list[i].id, &a, &err) < 0) {
			fprintf(stderr, "drover status: allocation \"%s\": %s\n", list[i].id, err.message);
			exit_code = DROVER_EXIT_FAILURE;
			continue;
		}
		refresh_all(st, &a);
		/* The refresh may have changed the client status. */
		drover_state_alloc fresh;
		if (drover_state_alloc_get(st, a.alloc.id, &fresh, &err) == 0) {
			drover_state_alloc_clear(&a.alloc);
			a.alloc = fresh;
		}
		if (g)
			gen_json(g, st, &a, &o);
		else
			print_text(st, &a, &o);
		drover_ralloc_clear(&a);
	}
	if (g) {
		yajl_gen_array_close(g);
		drover_gen_print(g);
		yajl_gen_free(g);
	}
	drover_state_allocs_free(list, count);
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
