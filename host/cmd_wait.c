/* drover wait: blocks until every task of an allocation is dead, watching the
 * drivers' wait descriptors (no polling). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "state_recover.h"

/* 0 when every task is dead, negative on a task that cannot be watched. */
static int wait_all(drover_state *st, drover_ralloc *a)
{
	struct pollfd *fds = calloc(a->count ? a->count : 1, sizeof(*fds));
	size_t *owner = calloc(a->count ? a->count : 1, sizeof(*owner));
	int rc = fds && owner ? 0 : -ENOMEM;
	while (rc == 0) {
		size_t n = 0;
		for (size_t i = 0; i < a->count && rc == 0; i++) {
			drover_rtask *t = &a->tasks[i];
			drover_err err = {{0}};
			int dead = drover_rtask_refresh(st, a, t, &err);
			if (dead == 1)
				continue;
			if (dead < 0 || !t->task) {
				fprintf(stderr, "drover wait: task \"%s\" cannot be watched: %s\n", t->row.name,
				        dead < 0 ? err.message : t->error[0] ? t->error : "not started");
				rc = -EIO;
				break;
			}
			int fd = t->plugin->desc->wait_fd(t->plugin->ctx, t->task, &err);
			if (fd == -ESRCH) {
				/* Exited since the refresh: a blocking wait returns at once. */
				drover_exit_result res = {.struct_size = sizeof(res)};
				if ((rc = t->plugin->desc->wait(t->plugin->ctx, t->task, 0, &res, &err)) < 0)
					fprintf(stderr, "drover wait: task \"%s\": %s\n", t->row.name, drover_display(err.message));
				else
					drover_rtask_record_exit(st, a, t, &res);
				continue;
			}
			if (fd < 0) {
				fprintf(stderr, "drover wait: task \"%s\": %s\n", t->row.name, drover_display(err.message));
				rc = fd;
				break;
			}
			owner[n] = i;
			fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
		}
		if (rc < 0 || n == 0) {
			for (size_t k = 0; k < n; k++)
				close(fds[k].fd);
			break;
		}
		while (poll(fds, n, -1) < 0 && errno == EINTR)
			;
		for (size_t k = 0; k < n; k++)
			close(fds[k].fd);
	}
	free(fds);
	free(owner);
	return rc;
}

int drover_cmd_wait(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover wait: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count != 1) {
		if (!opts.help)
			fprintf(stderr, "drover wait: expected one ALLOC, got %zu arguments\n\n", args.count);
		drover_flags_print_help(opts.help ? stdout : stderr, "drover wait [options] ALLOC",
		                        "Blocks until every task of the allocation is dead, then prints\n"
		                        "each task's exit. Exits 0 only when every task exited 0.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover wait", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_ralloc a;
	int exit_code = DROVER_EXIT_FAILURE;
	if (drover_cmd_load_alloc("drover wait", &ctx, st, args.items[0], &a) == 0) {
		if (wait_all(st, &a) == 0) {
			exit_code = DROVER_EXIT_OK;
			for (size_t i = 0; i < a.count; i++) {
				drover_rtask *t = &a.tasks[i];
				printf("Task \"%s\": exit code %d, signal %d%s\n", t->row.name, t->row.exit_code,
				       t->row.signal, t->row.oom_killed ? ", OOM killed" : "");
				if (t->row.failed || t->row.exit_code != 0 || t->row.signal != 0)
					exit_code = DROVER_EXIT_FAILURE;
			}
		}
		drover_ralloc_clear(&a);
	}
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
