/* drover status: Nomad's views of the allocations in the state store. With no
 * argument the allocations table; with a job id that job; with an allocation
 * id (or a prefix) that allocation in detail. Drivers are asked only about
 * tasks the store records as running, and for many allocations only about
 * those no live runner or agent watches. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "state_recover.h"
#include "status_json.h"
#include "status_text.h"

typedef struct status_opts {
	int json;
	int stats;
	int verbose;
} status_opts;

static void load_failed(const char *id, const char *message, void *data)
{
	fprintf(stderr, "drover status: allocation \"%s\": %s\n", id, drover_display(message));
	*(int *)data = DROVER_EXIT_FAILURE;
}

static int print_many(drover_context *ctx, drover_state *st, const status_opts *o,
                      const char *job_id, drover_state_alloc *list, size_t count)
{
	int exit_code = DROVER_EXIT_OK;
	drover_state_alloc **rows = calloc(count ? count : 1, sizeof(*rows));
	status_alloc *allocs = calloc(count ? count : 1, sizeof(*allocs));
	if (!rows || !allocs) {
		free(rows);
		free(allocs);
		fprintf(stderr, "drover status: out of memory\n");
		return DROVER_EXIT_FAILURE;
	}
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		if (!job_id || (list[i].job_id && strcmp(list[i].job_id, job_id) == 0))
			rows[n++] = &list[i];
	/* Allocations a live owner watches come from the store alone (two
	 * queries for all of them); -json asks the drivers for their detail only
	 * about the others, and `drover status ALLOC -json` about its tasks. */
	status_load_opts lo = {.stats = o->stats, .inspect = o->json};
	size_t loaded = status_alloc_load_many(ctx, st, rows, n, &lo, allocs, load_failed,
	                                       &exit_code);
	/* Written whole at the end: one write for a thousand allocations. */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (o->json) {
		status_json_list(stdout, allocs, loaded);
	} else if (job_id) {
		status_text_job(stdout, job_id, allocs, loaded, o->verbose);
	} else if (loaded == 0 && exit_code == DROVER_EXIT_OK) {
		printf("No allocations in %s\n", drover_display(drover_state_path(st)));
	} else {
		status_text_table(stdout, allocs, loaded, o->verbose);
	}
	fflush(stdout);
	for (size_t i = 0; i < loaded; i++)
		status_alloc_clear(&allocs[i]);
	free(allocs);
	free(rows);
	return exit_code;
}

static int print_one(drover_context *ctx, drover_state *st, const status_opts *o, const char *id)
{
	status_alloc a;
	drover_err err = {{0}};
	/* The drivers' detail line is for -verbose and -json: the plain view is
	 * the store's, and loads no driver (host/status_view.h). */
	status_load_opts lo = {.stats = o->stats, .inspect = o->verbose || o->json};
	if (status_alloc_load(ctx, st, id, &lo, &a, &err) < 0) {
		fprintf(stderr, "drover status: allocation \"%s\": %s\n", id, drover_display(err.message));
		return DROVER_EXIT_FAILURE;
	}
	if (o->json) {
		status_json_one(stdout, &a);
	} else {
		status_text_alloc(stdout, &a, o->verbose ? DROVER_STATE_EVENTS_KEPT : 10);
	}
	status_alloc_clear(&a);
	return DROVER_EXIT_OK;
}

int drover_cmd_status(int argc, char **argv)
{
	drover_common_opts opts = {0};
	status_opts o = {0};
	const drover_flag flags[] = {
		{"json", NULL, &o.json, "print Nomad's API JSON for the allocations"},
		{"stats", NULL, &o.stats, "add CPU and memory use of running tasks"},
		{"verbose", NULL, &o.verbose, "full ids, and every recorded event"},
		{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover status: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count > 1) {
		if (!opts.help)
			fprintf(stderr, "drover status: expected at most one allocation or job id, got %zu arguments\n\n",
			        args.count);
		drover_flags_print_help(opts.help ? stdout : stderr, "drover status [options] [ALLOC|JOB]",
		                        "With no argument, lists the allocations in the data dir (ID, Job,\n"
		                        "Group, Desired, Status, Created), as `nomad job status` does.\n"
		                        "With a job id, that job: its groups' summary and allocations.\n"
		                        "With an allocation id (or a unique prefix of one), that allocation\n"
		                        "as `nomad alloc status` shows it: each task's state, exit,\n"
		                        "restarts and recent events. States read as Nomad's. The state\n"
		                        "store is the answer: a driver is asked only with -stats, for its\n"
		                        "detail line (-verbose, -json, of one ALLOC), or about a task\n"
		                        "recorded as running that no runner or agent watches and whose\n"
		                        "drover-shim is gone, and an exit that happened meanwhile is then\n"
		                        "recorded. -json prints Nomad's API JSON (an array of allocations;\n"
		                        "one object for ALLOC).",
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
	if (drover_state_alloc_list(st, &list, &count, &err) < 0) {
		fprintf(stderr, "drover status: %s\n", drover_display(err.message));
		exit_code = DROVER_EXIT_FAILURE;
	} else if (args.count == 0) {
		exit_code = print_many(&ctx, st, &o, NULL, list, count);
	} else {
		const char *arg = args.items[0];
		int is_job = 0;
		for (size_t i = 0; i < count && !is_job; i++)
			is_job = list[i].job_id && strcmp(list[i].job_id, arg) == 0;
		char *id = NULL;
		int rc;
		if (is_job) {
			exit_code = print_many(&ctx, st, &o, arg, list, count);
		} else if ((rc = drover_state_alloc_resolve(st, arg, &id, &err)) < 0) {
			if (rc == -ENOENT || rc == -EINVAL)
				fprintf(stderr, "drover status: no job and no allocation \"%s\" in %s\n",
				        drover_display(arg), drover_display(drover_state_path(st)));
			else
				fprintf(stderr, "drover status: %s\n", drover_display(err.message));
			exit_code = DROVER_EXIT_FAILURE;
		} else {
			exit_code = print_one(&ctx, st, &o, id);
			free(id);
		}
	}
	drover_state_allocs_free(list, count);
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
