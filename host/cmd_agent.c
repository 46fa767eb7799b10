/* drover agent: the long-running host over a data dir (see agent.h). */
#include "config.h"

#include <stdio.h>

#include "agent.h"
#include "commands.h"
#include "context.h"

int drover_cmd_agent(int argc, char **argv)
{
	drover_common_opts opts = {0};
	const drover_flag flags[] = {{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover agent: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count != 0) {
		if (!opts.help)
			fprintf(stderr, "drover agent: takes no arguments, got %zu (the agent config goes in -config FILE)\n\n", args.count);
		drover_flags_print_help(opts.help ? stdout : stderr, "drover agent [options]",
		                        "Runs as the long-lived host of the data dir (one agent per data\n"
		                        "dir: <data_dir>/agent.lock). Adopts every live allocation whose\n"
		                        "runner is gone, applies restart policies and lifecycles, adopts\n"
		                        "the allocations of `run -detach` runners when they die, fingerprints\n"
		                        "the drivers every client.fingerprint_interval (30s) and logs health\n"
		                        "changes to stderr. SIGTERM or SIGINT: exits and leaves every task\n"
		                        "running, like a Nomad client.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	drover_strv_clear(&args);
	drover_context ctx;
	if (drover_context_open(&opts, &ctx) < 0)
		return DROVER_EXIT_USAGE;
	drover_context_report_plugin_errors(&ctx);
	drover_agent_settings settings;
	drover_agent_settings_load(&ctx, &settings);
	int rc = drover_agent_run(&ctx, &settings, stderr);
	drover_context_close(&ctx);
	return rc < 0 ? DROVER_EXIT_FAILURE : DROVER_EXIT_OK;
}
