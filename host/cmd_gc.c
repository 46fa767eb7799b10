/* drover gc: removes the directories and records of dead allocations. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "network/alloc_network.h"
#include "state_orphans.h"
#include "state_recover.h"

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) {
		fprintf(stderr, "drover gc: cannot remove \"%s\": %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Only a directory the data dir's alloc/ holds is removed: a damaged or
 * hostile row must not point gc at anything else. */
static int remove_alloc_dir(const char *data_dir, const drover_state_alloc *a)
{
	char real_data[PATH_MAX];
	_cleanup_(drover_freep) char *expect = NULL;
	if (!realpath(data_dir, real_data) ||
	    !(expect = drover_strdup_printf("%s/alloc/%s", real_data, a->id)))
		return -errno;
	if (!a->id[0] || strchr(a->id, '/') || strcmp(a->id, ".") == 0 || strcmp(a->id, "..") == 0)
		return -EINVAL;
	/* The host's private files about its tasks (drover-shim's state). */
	_cleanup_(drover_freep) char *run = drover_strdup_printf("%s/run/%s", real_data, a->id);
	if (!run)
		return -ENOMEM;
	if (nftw(run, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return -EIO;
	char real_alloc[PATH_MAX];
	if (!realpath(a->alloc_dir, real_alloc))
		return errno == ENOENT ? 0 : -errno;
	if (strcmp(real_alloc, expect) != 0) {
		fprintf(stderr, "drover gc: allocation \"%s\": directory \"%s\" is not \"%s\", not removing it\n",
		        a->id, a->alloc_dir, expect);
		return -EPERM;
	}
	return nftw(expect, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -EIO;
}

int drover_cmd_gc(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover gc: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count != 0) {
		if (!opts.help)
			fprintf(stderr, "drover gc: takes no arguments, got %zu\n\n", args.count);
		drover_flags_print_help(opts.help ? stdout : stderr, "drover gc [options]",
		                        "Removes the directory, the private run directory and the records of\n"
		                        "every allocation whose tasks are gone, whatever its recorded status.\n"
		                        "A running allocation, or one a live drover process may still start,\n"
		                        "is never touched.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover gc", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	int exit_code = DROVER_EXIT_OK;
	drover_state_alloc *list = NULL;
	size_t count = 0;
	if (drover_state_alloc_list(st, &list, &count, &err) < 0) {
		fprintf(stderr, "drover gc: %s\n", drover_display(err.message));
		exit_code = DROVER_EXIT_FAILURE;
	}
	size_t removed = 0;
	for (size_t i = 0; i < count; i++) {
		drover_ralloc a;
		if (drover_ralloc_load(&ctx, st, list[i].id, &a, &err) < 0) {
			fprintf(stderr, "drover gc: allocation \"%s\": %s, keeping it\n", list[i].id,
			        err.message);
			continue;
		}
		/* Whatever its row says, an allocation is gone when nothing of it can
		 * run any more: no live owner will start or restart anything, and no
		 * task is running (one its driver could not recover had what was
		 * left of it killed by that driver). */
		int owner_alive = drover_ralloc_owner_alive(&a);
		int dead = 1;
		for (size_t k = 0; k < a.count; k++) {
			drover_rtask *t = &a.tasks[k];
			const char *state = t->row.state;
			if (strcmp(state, "starting") == 0 && !owner_alive) {
				char msg[DROVER_ERR_MESSAGE_MAX + 256];
				drover_rtask_settle_start(t, msg, sizeof(msg));
				drover_state_event_add(st, a.alloc.id, t->row.name, drover_now_ms(),
				                       "Driver Failure", msg, NULL);
				continue;
			}
			if ((strcmp(state, "pending") == 0 || strcmp(state, "starting") == 0) && owner_alive)
				dead = 0;
			else if (t->task && drover_rtask_refresh(st, &a, t, &err) != 1)
				dead = 0;
			else if (!t->task && strcmp(state, "running") == 0 && !t->recover_called) {
				/* Its driver never looked at it (not loaded, quarantined):
				 * it may run, so its directory stays. */
				fprintf(stderr, "drover gc: allocation \"%s\": task \"%s\": %s, keeping it\n",
				        a.alloc.id, t->row.name, t->error[0] ? t->error : "not recovered");
				dead = 0;
			}
		}
		if (dead) {
			/* Its namespace and CNI state first: the row that says what
			 * to DEL goes only once that worked. */
			int rc = drover_alloc_network_down(&ctx, st, a.alloc.id, &err);
			if (rc < 0)
				fprintf(stderr, "drover gc: allocation \"%s\": %s, keeping it\n", a.alloc.id,
				        drover_display(err.message));
			if (rc == 0)
				rc = remove_alloc_dir(ctx.data_dir, &a.alloc);
			if (rc == 0 && drover_state_alloc_delete(st, a.alloc.id, &err) == 0) {
				printf("Removed allocation %s\n", a.alloc.id);
				removed++;
			} else {
				if (rc == 0)
					fprintf(stderr, "drover gc: %s\n", drover_display(err.message));
				exit_code = DROVER_EXIT_FAILURE;
			}
		}
		drover_ralloc_clear(&a);
	}
	/* Namespaces whose setup died half-way, or whose allocation is gone. */
	drover_alloc_network_cleanup(&ctx, st);
	/* Directories of allocations that were never recorded (their runner died
	 * between making the directory and recording it) and hold nothing that
	 * runs. */
	_cleanup_(drover_freep) char *root = drover_strdup_printf("%s/alloc", ctx.data_dir);
	DIR *d = root ? opendir(root) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		drover_state_alloc probe = {0};
		if (e->d_name[0] == '.' || strspn(e->d_name, "0123456789abcdef-") != strlen(e->d_name) ||
		    drover_state_alloc_get(st, e->d_name, &probe, &err) != -ENOENT) {
			drover_state_alloc_clear(&probe);
			continue;
		}
		_cleanup_(drover_freep) char *dir = drover_strdup_printf("%s/%s", root, e->d_name);
		/* A runner records its allocation right after making the directory:
		 * one younger than a minute may be on its way into the store. */
		struct stat sb;
		if (!dir || stat(dir, &sb) < 0 || time(NULL) - sb.st_mtime < 60 ||
		    drover_state_orphan_dir_live(ctx.data_dir, e->d_name))
			continue;
		drover_state_alloc unrecorded = {.id = e->d_name, .alloc_dir = dir};
		if (remove_alloc_dir(ctx.data_dir, &unrecorded) == 0) {
			printf("Removed unrecorded allocation directory %s\n", dir);
			removed++;
		} else {
			exit_code = DROVER_EXIT_FAILURE;
		}
	}
	if (d)
		closedir(d);
	printf("%zu allocation(s) removed\n", removed);
	drover_state_allocs_free(list, count);
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
