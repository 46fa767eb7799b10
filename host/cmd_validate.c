/* drover validate: a job file checked against the drivers' schemas. */
#include "config.h"

#include <stdio.h>

#include "commands.h"
#include "context.h"
#include "jobspec.h"
#include "runner.h"

/* A valid raw_exec job that the agent config does not enable would fail at
 * `drover run` with "driver is not usable": say so now, without failing the
 * validation (the job may be meant for another agent). Read from the agent
 * config rather than by fingerprinting the plugin: validate runs no driver
 * code beyond loading. */
static void warn_disabled_raw_exec(drover_context *ctx, const drover_jobspec *job, const char *path)
{
	int used = 0;
	for (size_t g = 0; g < job->group_count && !used; g++)
		for (size_t t = 0; t < job->groups[g].task_count && !used; t++)
			used = strcmp(job->groups[g].tasks[t].driver, "raw_exec") == 0;
	if (!used || !drover_context_plugin(ctx, "raw_exec"))
		return;
	const drover_value *opts = drover_agent_config_plugin_options(&ctx->config, "raw_exec");
	if (opts && drover_value_get_bool(opts, "enabled", 0))
		return;
	fprintf(stderr,
	        "drover validate: warning: %s: driver \"raw_exec\" is disabled in this agent config, "
	        "so drover run will refuse the job: set \"plugin\": {\"raw_exec\": {\"config\": "
	        "{\"enabled\": true}}} in the agent config (-config)\n",
	        path);
}

int drover_cmd_validate(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover validate: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help) {
		drover_flags_print_help(stdout, "drover validate [options] JOB.json",
		                        "Checks a job file (Nomad's API JSON, wrapped in {\"Job\": ...} or\n"
		                        "bare) and each task's config against its driver's schema. Exits 0\n"
		                        "when the job is valid, 1 with one line per problem otherwise.",
		                        flags);
		drover_strv_clear(&args);
		return DROVER_EXIT_OK;
	}
	if (args.count != 1) {
		fprintf(stderr, "drover validate: expected one job file, got %zu arguments (see -help)\n",
		        args.count);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	if (drover_context_open_lazy(&opts, &ctx) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context_report_plugin_errors(&ctx);

	drover_jobspec job = {0};
	drover_errlist errors = {0};
	int rc = drover_jobspec_load(args.items[0], &job, &errors);
	if (rc == 0) {
		for (size_t i = 0; i < job.ignored_count; i++)
			fprintf(stderr, "drover: %s: \"%s\" is not used by drover, ignoring\n", args.items[0],
			        job.ignored[i]);
		rc = drover_job_check(&ctx, &job, 0, NULL, &errors);
	}
	drover_errlist_print(stderr, &errors, NULL);
	if (rc == 0)
		warn_disabled_raw_exec(&ctx, &job, args.items[0]);
	if (rc == 0)
		printf("Job validation successful\n");
	drover_errlist_clear(&errors);
	drover_jobspec_clear(&job);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return rc == 0 ? DROVER_EXIT_OK : DROVER_EXIT_FAILURE;
}
