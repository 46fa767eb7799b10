/* drover run: every task of a job, attached, with task events on stdout. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "context.h"
#include "jobspec.h"
#include "runner.h"

int drover_cmd_run(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover run: %s\n", err.message);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help) {
		drover_flags_print_help(stdout, "drover run [options] JOB.json",
		                        "Validates the job, then runs every task of every group (Count\n"
		                        "allocations each) and prints task events as they happen. Ctrl-C or\n"
		                        "SIGTERM stops the tasks gracefully: KillSignal, KillTimeout, then\n"
		                        "SIGKILL. Exits 0 only when every task exited 0.",
		                        flags);
		drover_strv_clear(&args);
		return DROVER_EXIT_OK;
	}
	if (args.count != 1) {
		fprintf(stderr, "drover run: expected one job file, got %zu arguments (see -help)\n",
		        args.count);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	if (drover_context_open(&opts, &ctx) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context_report_plugin_errors(&ctx);

	drover_jobspec job = {0};
	drover_errlist errors = {0};
	drover_job_configs configs = {0};
	int rc = drover_jobspec_load(args.items[0], &job, &errors);
	if (rc == 0) {
		for (size_t i = 0; i < job.ignored_count; i++)
			fprintf(stderr, "drover: %s: \"%s\" is not used by drover, ignoring\n", args.items[0],
			        job.ignored[i]);
		rc = drover_job_check(&ctx, &job, 1, &configs, &errors);
	}
	for (size_t i = 0; i < errors.count; i++)
		fprintf(stderr, "%s\n", errors.lines[i]);
	int exit_code = DROVER_EXIT_FAILURE;
	if (rc == 0) {
		rc = drover_runner_run(&ctx, &job, &configs, stdout);
		if (rc < 0)
			fprintf(stderr, "drover run: %s\n", strerror(-rc));
		exit_code = rc == 0 ? DROVER_EXIT_OK : DROVER_EXIT_FAILURE;
	} else {
		fprintf(stderr, "drover run: nothing was started\n");
	}
	drover_job_configs_clear(&configs);
	drover_errlist_clear(&errors);
	drover_jobspec_clear(&job);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}
