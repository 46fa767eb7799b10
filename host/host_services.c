#include "config.h"

#include "host_services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display.h"
#include "loader.h"
#include "proc.h"

static const drover_agent_config *services_config;
static drover_log_level services_log_level = DROVER_LOG_INFO;
static int services_log_level_from_env;

static void services_log(void *host_data, drover_log_level level, const char *message)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	if (!services_log_level_from_env) {
		const char *env = getenv("DROVER_LOG_LEVEL");
		for (int i = 0; env && i < 4; i++)
			if (strcmp(env, names[i]) == 0)
				services_log_level = (drover_log_level)i;
		services_log_level_from_env = 1;
	}
	if (level > services_log_level || level < DROVER_LOG_ERROR)
		return;
	const drover_plugin *plugin = host_data;
	const char *name = plugin && plugin->desc && plugin->desc->name ? plugin->desc->name : "?";
	/* One fprintf per line, so lines of concurrent tasks do not interleave. */
	fprintf(stderr, "drover: [%s] %s: %s\n", name, names[level], drover_display(message));
}

static const drover_value *services_agent_config(void *host_data, const char *path)
{
	(void)host_data;
	if (!services_config || !path)
		return NULL;
	return drover_agent_config_lookup(services_config, path);
}

drover_host drover_host_services(const drover_agent_config *config)
{
	services_config = config;
	drover_host host = {
		.struct_size = sizeof(drover_host),
		.abi_major = DROVER_ABI_MAJOR,
		.abi_minor = DROVER_ABI_MINOR,
		.host_data = NULL,
		.log = services_log,
		.agent_config = services_agent_config,
		.proc_spawn = drover_proc_spawn,
		.proc_wait_fd = drover_proc_wait_fd,
		.proc_status = drover_proc_status,
		.proc_signal = drover_proc_signal,
		.proc_stop = drover_proc_stop,
		.proc_find = drover_proc_find,
	};
	return host;
}

void drover_host_set_log_level(drover_log_level level)
{
	services_log_level = level;
	services_log_level_from_env = 1;
}
