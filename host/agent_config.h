/* The agent config file (-config FILE): JSON with Nomad's key names.
 *
 *   {"data_dir": "/var/lib/drover", "plugin_dir": "/usr/lib/drover/plugins",
 *    "plugin": {"raw_exec": {"config": {"enabled": true}}},
 *    "client": {"chroot_env": {"/bin": "/bin"}}}
 *
 * Nomad's HCL-to-JSON list-of-one form ("plugin": [{"raw_exec": [{"config": [{...}]}]}])
 * is accepted too. Keys of Nomad's agent config that drover does not act on are
 * accepted and reported as ignored; anything else is an error naming it.
 */
#ifndef DROVER_HOST_AGENT_CONFIG_H
#define DROVER_HOST_AGENT_CONFIG_H

#include <drover/driver.h>

#include "schema_check.h"

typedef struct drover_agent_config {
	char *path;          /* the file read, NULL when none */
	char *plugin_dir;    /* NULL when unset */
	char *data_dir;      /* NULL when unset */
	drover_value doc;    /* the whole document (an object), for drover_host.agent_config */
	drover_value plugin; /* "plugin", normalised to {"<driver>": {"config": {...}}} */
	char **ignored;      /* keys accepted but not acted on */
	size_t ignored_count;
	long long max_kill_timeout_ms; /* client.max_kill_timeout; 0 when unset */
} drover_agent_config;

/* Nomad's default for client.max_kill_timeout: no task's KillTimeout makes a
 * stop wait longer than this. */
#define DROVER_DEFAULT_MAX_KILL_TIMEOUT_MS 30000LL

/* Reads `path`; every problem becomes one line in `errors` naming the file and
 * the key. -EINVAL (or -errno for an unreadable file) leaves `cfg` empty. */
int drover_agent_config_load(const char *path, drover_agent_config *cfg, drover_errlist *errors);

/* The raw `config` object of plugin `driver`, or NULL when the operator gave none. */
const drover_value *drover_agent_config_plugin_options(const drover_agent_config *cfg,
                                                       const char *driver);

/* A value by dotted path ("client.chroot_env"), or NULL. */
const drover_value *drover_agent_config_lookup(const drover_agent_config *cfg, const char *path);

/* client.max_kill_timeout in ms, or the default (30s) when unset or cfg is NULL. */
long long drover_agent_config_max_kill_timeout_ms(const drover_agent_config *cfg);

void drover_agent_config_clear(drover_agent_config *cfg);

#endif
