/* drover wait: blocks until every task of an allocation is dead, watching the
 * drivers' wait descriptors (no polling). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "commands.h"
#include "state_recover.h"

/* A task its live owner has yet to start (pending, behind a prestart task;
 * its start under way) or to restart: watched through the store. */
static int owner_will_run(const drover_ralloc *a, const drover_rtask *t)
{
	if (!drover_ralloc_owner_alive(a))
		return 0;
	return strcmp(t->row.state, "pending") == 0 || strcmp(t->row.state, "starting") == 0 ||
	       (strcmp(t->row.state, "dead") == 0 && t->row.restart_due_ms > 0) ||
	       (strcmp(t->row.state, "running") == 0 && !t->task && !t->error[0]);
}

/* 0 when every task is dead, negative on a task that cannot be watched. */
static int wait_all(drover_context *ctx, drover_state *st, drover_ralloc *a)
{
	/* The store's directory: every write of another drover process shows up
	 * as a change of state.db-wal (no polling). */
	_cleanup_(drover_freep) char *dir = strdup(drover_state_path(st));
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0 && inotify_add_watch(ino, slash ? dir : ".", IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		close(ino);
		ino = -1;
	}
	struct pollfd *fds = calloc(a->count + 1, sizeof(*fds));
	size_t *owner = calloc(a->count ? a->count : 1, sizeof(*owner));
	int rc = fds && owner ? 0 : -ENOMEM;
	while (rc == 0) {
		size_t n = 0;
		int watch_store = 0;
		for (size_t i = 0; i < a->count && rc == 0; i++) {
			drover_rtask *t = &a->tasks[i];
			drover_err err = {{0}};
			if (ino >= 0 && owner_will_run(a, t)) {
				watch_store = 1;
				continue;
			}
			int dead = drover_rtask_refresh(st, a, t, &err);
			if (dead == 1)
				continue;
			if (dead == 0 && !t->task && strcmp(t->row.state, "running") != 0) {
				fprintf(stderr, "drover wait: task \"%s\" cannot be watched: it is %s and "
				        "no drover process owns its allocation: run `drover agent` to go on "
				        "with it, or `drover stop`\n",
				        t->row.name, t->row.state);
				rc = -EIO;
				break;
			}
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
		if (rc < 0 || (n == 0 && !watch_store)) {
			for (size_t k = 0; k < n; k++)
				close(fds[k].fd);
			break;
		}
		size_t task_fds = n;
		if (watch_store)
			fds[n++] = (struct pollfd){.fd = ino, .events = POLLIN};
		while (poll(fds, n, -1) < 0 && errno == EINTR)
			;
		for (size_t k = 0; k < task_fds; k++)
			close(fds[k].fd);
		if (watch_store) {
			char buf[4096];
			while (read(ino, buf, sizeof(buf)) > 0)
				;
			/* What the owner recorded since: load the allocation again. */
			drover_err err = {{0}};
			_cleanup_(drover_freep) char *id = strdup(a->alloc.id);
			drover_ralloc_clear(a);
			if (!id || drover_ralloc_load(ctx, st, id, a, &err) < 0) {
				fprintf(stderr, "drover wait: %s\n", id ? err.message : "out of memory");
				rc = -EIO;
			}
		}
	}
	free(fds);
	free(owner);
	if (ino >= 0)
		close(ino);
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
		if (wait_all(&ctx, st, &a) == 0) {
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
