/* What every subcommand starts from: the agent config, the plugin and data
 * directories, and the loaded plugins. */
#ifndef DROVER_HOST_CONTEXT_H
#define DROVER_HOST_CONTEXT_H

#include "agent_config.h"
#include "cli_options.h"
#include "loader.h"

typedef struct drover_context {
	drover_agent_config config;
	char *plugin_dir;
	char *data_dir;
	drover_host services;
	drover_plugin_set plugins;
	drover_errlist plugin_errors; /* plugins refused while loading, one line each */
} drover_context;

/* Reads -config, resolves the directories (flag, then config file, then the
 * built-in default) and loads the plugins. Problems with the config file are
 * printed to stderr and fail; refused plugins are only recorded in
 * plugin_errors (the others are usable). */
int drover_context_open(const drover_common_opts *opts, drover_context *ctx);

/* Prints each refused plugin as a warning line on stderr. */
void drover_context_report_plugin_errors(const drover_context *ctx);

void drover_context_close(drover_context *ctx);

#endif
