/* drover gc: removes the directories and records of dead allocations. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
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
		                        "every allocation whose tasks are all dead. A running allocation is\n"
		                        "never touched.",
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
		int dead = 1;
		for (size_t k = 0; k < a.count; k++)
			if (drover_rtask_refresh(st, &a, &a.tasks[k], &err) != 1)
				dead = 0;
		if (dead) {
			int rc = remove_alloc_dir(ctx.data_dir, &a.alloc);
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
	printf("%zu allocation(s) removed\n", removed);
	drover_state_allocs_free(list, count);
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
