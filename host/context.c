#include "config.h"

#include "context.h"

#include "crash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "build_tree.h"
#include "display.h"
#include "host_services.h"
#include "loader_cache.h"

static const drover_value *options_for(void *data, const char *name)
{
	return drover_agent_config_plugin_options(data, name);
}

static int open_context(const drover_common_opts *opts, drover_context *ctx, int lazy)
{
	*ctx = (drover_context){0};
	if (opts->config_path) {
		drover_errlist errors = {0};
		int rc = drover_agent_config_load(opts->config_path, &ctx->config, &errors);
		drover_errlist_print(stderr, &errors, "drover: ");
		drover_errlist_clear(&errors);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < ctx->config.ignored_count; i++)
			fprintf(stderr, "drover: %s: \"%s\" is a Nomad agent setting drover does not use, ignoring\n",
			        opts->config_path, ctx->config.ignored[i]);
	}
	const char *plugin_dir = opts->plugin_dir ? opts->plugin_dir
	                         : ctx->config.plugin_dir ? ctx->config.plugin_dir
	                         : getenv("DROVER_PLUGIN_DIR") ? getenv("DROVER_PLUGIN_DIR")
	                         : drover_build_tree_plugin_dir() ? drover_build_tree_plugin_dir()
	                                                          : DROVER_PLUGINDIR;
	const char *data_dir = opts->data_dir ? opts->data_dir
	                       : ctx->config.data_dir ? ctx->config.data_dir
	                       : getenv("DROVER_DATA_DIR") ? getenv("DROVER_DATA_DIR")
	                                                   : DROVER_DATADIR;
	ctx->plugin_dir = strdup(plugin_dir);
	ctx->data_dir = strdup(data_dir);
	drover_crash_set_data_dir(data_dir);
	drover_loader_cache_set_data_dir(data_dir);
	if (!ctx->plugin_dir || !ctx->data_dir) {
		drover_context_close(ctx);
		return -ENOMEM;
	}
	ctx->services = drover_host_services(&ctx->config);
	if (lazy) {
		ctx->lazy = 1;
		return 0;
	}
	ctx->scanned = 1;
	int rc = drover_loader_load_dir(ctx->plugin_dir, &ctx->services, options_for, &ctx->config,
	                                &ctx->plugins, &ctx->plugin_errors);
	if (rc < 0) {
		for (size_t i = 0; i < ctx->plugin_errors.count; i++)
			fprintf(stderr, "drover: %s\n", ctx->plugin_errors.lines[i]);
		fprintf(stderr, "drover: no plugins loaded from \"%s\": set -plugin-dir, or plugin_dir in the agent config\n",
		        ctx->plugin_dir);
		drover_context_close(ctx);
		return rc;
	}
	return 0;
}

int drover_context_open(const drover_common_opts *opts, drover_context *ctx)
{
	return open_context(opts, ctx, 0);
}

int drover_context_open_lazy(const drover_common_opts *opts, drover_context *ctx)
{
	return open_context(opts, ctx, 1);
}

/* Prints the refusals added since `from`: each is printed once, when it
 * happens, however many drivers the command asks for. */
static void report_new_errors(drover_context *ctx, size_t from)
{
	for (size_t i = from; i < ctx->plugin_errors.count; i++)
		fprintf(stderr, "drover: plugin skipped: %s\n", ctx->plugin_errors.lines[i]);
}

drover_plugin *drover_context_plugin(drover_context *ctx, const char *name)
{
	drover_plugin *p = drover_plugin_set_find(&ctx->plugins, name);
	if (p || !ctx->lazy)
		return p;
	size_t before = ctx->plugin_errors.count;
	if (drover_loader_load_named(ctx->plugin_dir, name, &ctx->services, options_for, &ctx->config,
	                             &ctx->plugins, &ctx->plugin_errors) < 0 &&
	    !ctx->scanned) {
		ctx->scanned = 1;
		if (drover_loader_load_dir(ctx->plugin_dir, &ctx->services, options_for, &ctx->config,
		                           &ctx->plugins, &ctx->plugin_errors) < 0)
			fprintf(stderr, "drover: no plugins loaded from \"%s\": set -plugin-dir, or plugin_dir in the agent config\n",
			        ctx->plugin_dir);
	}
	report_new_errors(ctx, before);
	return drover_plugin_set_find(&ctx->plugins, name);
}

void drover_context_report_plugin_errors(const drover_context *ctx)
{
	for (size_t i = 0; i < ctx->plugin_errors.count; i++)
		fprintf(stderr, "drover: plugin skipped: %s\n", ctx->plugin_errors.lines[i]);
}

void drover_context_close(drover_context *ctx)
{
	drover_plugin_set_clear(&ctx->plugins);
	drover_errlist_clear(&ctx->plugin_errors);
	drover_agent_config_clear(&ctx->config);
	free(ctx->plugin_dir);
	free(ctx->data_dir);
	*ctx = (drover_context){0};
}
