/* drover signal: sends a signal to one task through its driver. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "state_recover.h"

/* "SIGHUP", "HUP", "hup" or a number 1..SIGRTMAX; 0 when it is none of them. */
static int parse_signal(const char *s)
{
	if (*s >= '0' && *s <= '9') {
		char *end;
		errno = 0;
		long n = strtol(s, &end, 10);
		return *end || errno || n < 1 || n > SIGRTMAX ? 0 : (int)n;
	}
	return drover_signal_from_name(s);
}

int drover_cmd_signal(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover signal: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count != 3) {
		if (!opts.help)
			fprintf(stderr, "drover signal: expected ALLOC TASK SIGNAL, got %zu arguments\n\n", args.count);
		drover_flags_print_help(opts.help ? stdout : stderr,
		                        "drover signal [options] ALLOC TASK SIGNAL",
		                        "Sends SIGNAL (SIGHUP, HUP or a number) to the task's process.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	int signo = parse_signal(args.items[2]);
	if (signo <= 0) {
		fprintf(stderr, "drover signal: \"%.64s\" is not a signal (SIGHUP, HUP or 1..%d)\n",
		        args.items[2], SIGRTMAX);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover signal", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_ralloc a;
	int exit_code = DROVER_EXIT_FAILURE;
	if (drover_cmd_load_alloc("drover signal", &ctx, st, args.items[0], &a) == 0) {
		drover_rtask *t = drover_ralloc_find_task(&a, args.items[1]);
		if (!t)
			fprintf(stderr, "drover signal: allocation \"%s\" has no task \"%.64s\"\n", a.alloc.id,
			        args.items[1]);
		else if (drover_rtask_refresh(st, &a, t, &err) == 1 || !t->task)
			fprintf(stderr, "drover signal: task \"%s\" is not running%s%s\n", t->row.name,
			        t->error[0] ? ": " : "", t->error);
		else if (!t->plugin->desc->signal)
			fprintf(stderr, "drover signal: driver %s does not support signals\n",
			        t->plugin->desc->name);
		else if (t->plugin->desc->signal(t->plugin->ctx, t->task, signo, &err) < 0)
			fprintf(stderr, "drover signal: task \"%s\": %s\n", t->row.name, drover_display(err.message));
		else {
			char msg[64];
			snprintf(msg, sizeof(msg), "Task being sent signal %s", drover_signal_name(signo));
			drover_state_event_add(st, a.alloc.id, t->row.name, drover_now_ms(), "Signaling", msg,
			                       &err);
			exit_code = DROVER_EXIT_OK;
		}
		drover_ralloc_clear(&a);
	}
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
