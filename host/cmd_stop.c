/* drover stop: stops the tasks of an allocation through their driver, with
 * each task's KillSignal and KillTimeout, and records the result. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "state_recover.h"

static int stop_task(drover_state *st, drover_ralloc *a, drover_rtask *t)
{
	drover_err err = {{0}};
	char msg[128];
	snprintf(msg, sizeof(msg), "Sent interrupt. Waiting %lldms before force killing",
	         t->spec->kill_timeout_ms);
	drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(), "Killing", msg, &err);
	int rc = t->plugin->desc->stop(t->plugin->ctx, t->task, t->spec->kill_signal,
	                               t->spec->kill_timeout_ms, &err);
	if (rc < 0) {
		fprintf(stderr, "drover stop: task \"%s\": %s\n", t->row.name, drover_display(err.message));
		return rc;
	}
	drover_exit_result res = {.struct_size = sizeof(res)};
	if ((rc = t->plugin->desc->wait(t->plugin->ctx, t->task, 0, &res, &err)) < 0) {
		fprintf(stderr, "drover stop: task \"%s\": %s\n", t->row.name, drover_display(err.message));
		return rc;
	}
	drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(), "Killed",
	                       "Task successfully killed", &err);
	drover_rtask_record_exit(st, a, t, &res);
	printf("Task \"%s\" stopped: exit code %d, signal %d\n", t->row.name, res.exit_code,
	       res.signal);
	return 0;
}

/* The task's last event is "Restarting": its runner starts it after a delay. */
static int waiting_to_restart(drover_state *st, const char *alloc_id, const char *task)
{
	drover_err err = {{0}};
	drover_state_event *ev = NULL;
	size_t n = 0;
	if (drover_state_event_list(st, alloc_id, task, 1, &ev, &n, &err) < 0)
		return 0;
	int restarting = n == 1 && ev[0].type && strcmp(ev[0].type, "Restarting") == 0;
	drover_state_events_free(ev, n);
	return restarting;
}

int drover_cmd_stop(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover stop: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count < 1 || args.count > 2) {
		if (!opts.help)
			fprintf(stderr, "drover stop: expected ALLOC and at most one TASK, got %zu arguments\n\n", args.count);
		drover_flags_print_help(opts.help ? stdout : stderr, "drover stop [options] ALLOC [TASK]",
		                        "Stops every running task of the allocation (or only TASK): its\n"
		                        "KillSignal, then SIGKILL after its KillTimeout. The allocation's\n"
		                        "desired status becomes stop.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover stop", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_ralloc a;
	int exit_code = DROVER_EXIT_FAILURE;
	if (drover_cmd_load_alloc("drover stop", &ctx, st, args.items[0], &a) == 0) {
		const char *only = args.count == 2 ? args.items[1] : NULL;
		exit_code = DROVER_EXIT_OK;
		if (only && !drover_ralloc_find_task(&a, only)) {
			fprintf(stderr, "drover stop: allocation \"%s\" has no task \"%s\"\n", a.alloc.id, only);
			exit_code = DROVER_EXIT_FAILURE;
		} else if (!only &&
		           drover_state_alloc_set_status(st, a.alloc.id, "stop", NULL, &err) < 0) {
			fprintf(stderr, "drover stop: %s\n", drover_display(err.message));
			exit_code = DROVER_EXIT_FAILURE;
		}
		for (size_t i = 0; exit_code == DROVER_EXIT_OK && i < a.count; i++) {
			drover_rtask *t = &a.tasks[i];
			if (only && strcmp(only, t->row.name) != 0)
				continue;
			if (drover_rtask_refresh(st, &a, t, &err) == 1) {
				/* Dead between two runs: the runner watching it must not
				 * start it again after the delay. */
				if (only && waiting_to_restart(st, a.alloc.id, t->row.name)) {
					drover_state_event_add(st, a.alloc.id, t->row.name, drover_now_ms(), "Killed",
					                       "Task stopped by user while waiting to restart", &err);
					printf("Task \"%s\" stopped while waiting to restart\n", t->row.name);
				} else {
					printf("Task \"%s\" is not running\n", t->row.name);
				}
				continue;
			}
			if (!t->task) {
				fprintf(stderr, "drover stop: task \"%s\" cannot be reached: %s\n", t->row.name,
				        t->error[0] ? t->error : err.message);
				exit_code = DROVER_EXIT_FAILURE;
				continue;
			}
			if (stop_task(st, &a, t) < 0)
				exit_code = DROVER_EXIT_FAILURE;
		}
		drover_ralloc_clear(&a);
	}
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
