/* drover stop: stops the tasks of an allocation through their driver, with
 * each task's KillSignal and KillTimeout, and records the result. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <drover/driver.h>

#include "commands.h"
#include "network/alloc_network.h"
#include "state_recover.h"

/* Kills first, records after: the records may fail (a full disk) without
 * keeping the task alive. The exit is recorded here only when no live owner
 * watches the allocation; a live owner records it itself, once. */
static int stop_task(drover_state *st, drover_ralloc *a, drover_rtask *t, int owner_alive)
{
	drover_err err = {{0}};
	char msg[128];
	snprintf(msg, sizeof(msg), "Sent interrupt. Waiting %lldms before force killing",
	         t->spec->kill_timeout_ms);
	/* Before the signal: the task's runner reads it as "a user stopped this
	 * task" and does not restart it. Its failure (a full disk) stops nothing. */
	int killing_recorded = drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(),
	                                              "Killing", msg, &err) == 0;
	int rc = t->plugin->desc->stop(t->plugin->ctx, t->task, t->spec->kill_signal,
	                               t->spec->kill_timeout_ms, &err);
	if (rc < 0) {
		fprintf(stderr, "drover stop: task \"%s\": %s\n", t->row.name,
		        drover_display(err.message[0] ? err.message : strerror(-rc)));
		return rc;
	}
	drover_exit_result res = {.struct_size = sizeof(res)};
	if ((rc = t->plugin->desc->wait(t->plugin->ctx, t->task, 0, &res, &err)) < 0) {
		fprintf(stderr, "drover stop: task \"%s\": %s\n", t->row.name,
		        drover_display(err.message[0] ? err.message : strerror(-rc)));
		return rc;
	}
	printf("Task \"%s\" stopped: exit code %d, signal %d\n", t->row.name, res.exit_code,
	       res.signal);
	if (!killing_recorded ||
	    drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(), "Killed",
	                           "Task successfully killed", &err) < 0)
		fprintf(stderr, "drover stop: task \"%s\" is stopped, but recording it failed: %s\n",
		        t->row.name, err.message);
	if (!owner_alive)
		drover_rtask_record_exit(st, a, t, &res);
	return 0;
}

/* A task that is not running: pending, or its start under way. */
static int stop_unstarted(drover_state *st, drover_ralloc *a, drover_rtask *t, int owner_alive)
{
	drover_err err = {{0}};
	if (owner_alive) {
		/* Its owner reads the desired status before every start and after
		 * every start it makes. */
		printf("Task \"%s\" is %s by pid %d, which stops it (desired status stop)\n", t->row.name,
		       strcmp(t->row.state, "starting") == 0 ? "being started" : "waiting to be started",
		       a->alloc.owner_pid);
		return 0;
	}
	if (strcmp(t->row.state, "starting") == 0) {
		char msg[DROVER_ERR_MESSAGE_MAX + 256];
		drover_rtask_settle_start(t, msg, sizeof(msg));
		printf("Task \"%s\" was being started when its owner died: %s\n", t->row.name, msg);
		if (drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(), "Driver Failure",
		                           msg, &err) < 0 ||
		    drover_state_task_set_failed(st, a->alloc.id, t->row.name, &err) < 0 ||
		    drover_state_alloc_refresh_status(st, a->alloc.id, &err) < 0)
			fprintf(stderr, "drover stop: task \"%s\": recording it failed: %s\n", t->row.name,
			        err.message);
		return 0;
	}
	printf("Task \"%s\" was never started; it will not be\n", t->row.name);
	drover_exit_result res = {.struct_size = sizeof(res)};
	if (drover_state_event_add(st, a->alloc.id, t->row.name, drover_now_ms(), "Killed",
	                           "Task was never started: the allocation was stopped", &err) < 0 ||
	    drover_state_task_set_exited(st, a->alloc.id, t->row.name, &res, &err) < 0 ||
	    drover_state_alloc_refresh_status(st, a->alloc.id, &err) < 0)
		fprintf(stderr, "drover stop: task \"%s\": recording it failed: %s\n", t->row.name,
		        err.message);
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
			/* A full disk must not keep the task that fills it alive. */
			fprintf(stderr, "drover stop: cannot record the desired status stop: %s; stopping "
			        "the tasks anyway\n",
			        drover_display(err.message));
		}
		int owner_alive = drover_ralloc_owner_alive(&a);
		for (size_t i = 0; exit_code == DROVER_EXIT_OK && i < a.count; i++) {
			drover_rtask *t = &a.tasks[i];
			if (only && strcmp(only, t->row.name) != 0)
				continue;
			if (!t->row.problem && (strcmp(t->row.state, "pending") == 0 ||
			                        strcmp(t->row.state, "starting") == 0)) {
				stop_unstarted(st, &a, t, owner_alive);
				continue;
			}
			int dead = drover_rtask_refresh(st, &a, t, &err);
			if (dead == 1) {
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
				        t->error[0] ? t->error
				        : dead < 0 && err.message[0] ? err.message
				        : "its driver did not recover it and gave no reason");
				exit_code = DROVER_EXIT_FAILURE;
				continue;
			}
			if (stop_task(st, &a, t, owner_alive) < 0)
				exit_code = DROVER_EXIT_FAILURE;
		}
		/* Nobody watches the allocation to give its namespace back once
		 * its tasks are gone: this command does (an owner does it itself). */
		if (!only && !owner_alive && exit_code == DROVER_EXIT_OK &&
		    drover_alloc_network_down(&ctx, st, a.alloc.id, &err) < 0)
			fprintf(stderr, "drover stop: allocation \"%s\": %s; `drover gc` tries again\n",
			        a.alloc.id, drover_display(err.message));
		drover_ralloc_clear(&a);
	}
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
