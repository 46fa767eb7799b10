/* drover exec: runs a command inside a task, through the driver's exec. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "state_recover.h"

int drover_cmd_exec(int argc, char **argv)
{
	drover_common_opts opts = {0};
	int tty = 0;
	const drover_flag flags[] = {
		{"t", NULL, &tty,
		 "give CMD a pseudo-terminal (docker; this terminal passes keys through raw)"},
		{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover exec: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count < 3) {
		if (!opts.help)
			fprintf(stderr, "drover exec: expected ALLOC TASK -- CMD [ARGS...], got %zu arguments\n\n", args.count);
		drover_flags_print_help(opts.help ? stdout : stderr,
		                        "drover exec [options] ALLOC TASK -- CMD [ARGS...]",
		                        "Runs CMD inside the task (its environment, its isolation) with\n"
		                        "this terminal's stdin, stdout and stderr; exits with CMD's code.\n"
		                        "stdin is forwarded until its end, which CMD sees as EOF.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover exec", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_ralloc a;
	int exit_code = DROVER_EXIT_FAILURE;
	if (drover_cmd_load_alloc("drover exec", &ctx, st, args.items[0], &a) == 0) {
		drover_rtask *t = drover_ralloc_find_task(&a, args.items[1]);
		int code = 0;
		drover_exec_request req = {
			.struct_size = sizeof(req),
			.argv = (const char *const *)args.items + 2,
			.stdin_fd = 0,
			.stdout_fd = 1,
			.stderr_fd = 2,
			.tty = tty,
		};
		struct termios saved;
		/* The remote terminal interprets keys (Ctrl-C, line editing): ours
		 * passes them through untouched while CMD runs. */
		int raw = req.tty && isatty(0) && tcgetattr(0, &saved) == 0;
		if (!t)
			fprintf(stderr, "drover exec: allocation \"%s\" has no task \"%.64s\"\n", a.alloc.id,
			        args.items[1]);
		else if (!t->plugin)
			fprintf(stderr, "drover exec: task \"%s\": %s\n", t->row.name, drover_display(t->error));
		else if (!t->plugin->desc->exec)
			fprintf(stderr, "drover exec: driver %s does not support exec\n",
			        t->plugin->desc->name);
		else if (drover_rtask_refresh(st, &a, t, &err) == 1 || !t->task)
			fprintf(stderr, "drover exec: task \"%s\" is not running%s%s\n", t->row.name,
			        t->error[0] ? ": " : "", t->error);
		else {
			if (raw) {
				struct termios r = saved;
				cfmakeraw(&r);
				tcsetattr(0, TCSANOW, &r);
			}
			int rc = t->plugin->desc->exec(t->plugin->ctx, t->task, &req, &code, &err);
			if (raw)
				tcsetattr(0, TCSANOW, &saved);
			if (rc < 0)
				fprintf(stderr, "drover exec: task \"%s\": %s\n", t->row.name,
				        drover_display(err.message));
			else
				exit_code = code;
		}
		drover_ralloc_clear(&a);
	}
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
