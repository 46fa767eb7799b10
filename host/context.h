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
	int lazy;                     /* plugins load on demand (drover_context_plugin) */
	int scanned;                  /* the whole plugin directory was loaded */
} drover_context;

/* Reads -config, resolves the directories (flag, then config file, then the
 * built-in default) and loads the plugins. Problems with the config file are
 * printed to stderr and fail; refused plugins are only recorded in
 * plugin_errors (the others are usable). */
int drover_context_open(const drover_common_opts *opts, drover_context *ctx);

/* The same, but loads no plugin: drover_context_plugin loads the ones the
 * command turns out to need. A command that runs one raw_exec job, or shows
 * allocations whose tasks have exited, then neither probes nor fingerprints
 * docker, and a broken plugin next to the one it uses does not concern it. */
int drover_context_open_lazy(const drover_common_opts *opts, drover_context *ctx);

/* The loaded driver `name`, loading it first when the context is lazy: the
 * file <plugin_dir>/<name>.so, and when that does not provide it, every other
 * file of the directory (once), so that "not loaded" messages and their
 * suggestions see what `drover plugins` sees. Refused plugins are printed as
 * drover_context_report_plugin_errors does, when they are refused. NULL when
 * no plugin provides `name`. */
drover_plugin *drover_context_plugin(drover_context *ctx, const char *name);

/* Prints each refused plugin as a warning line on stderr. */
void drover_context_report_plugin_errors(const drover_context *ctx);

void drover_context_close(drover_context *ctx);

#endif
