#include "config.h"

#include "agent_config.h"
#include "host_volume.h"
#include "network/network_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "value_tree.h"

/* Top-level keys of Nomad's agent config that a drover host has no use for:
 * accepted so that an existing Nomad client config can be pointed at drover. */
static const char *const nomad_agent_keys_ignored[] = {
	"log_level", "log_json", "log_file", "log_rotate_bytes",
	"log_rotate_duration", "log_rotate_max_files", "bind_addr", "enable_debug", "ports",
	"addresses", "advertise", "server", "consul", "vault", "telemetry", "acl", "ui", "tls",
	"leave_on_interrupt", "leave_on_terminate", "disable_update_check", "limits", "autopilot",
	"audit", "sentinel", "enable_syslog", "syslog_facility", "http_api_response_headers",
	"disable_anonymous_signature", "reporting", "keyring", NULL,
};

/* Keys of Nomad's `client` block; drover reads chroot_env (exec driver), host_volume,
 * node_class, meta, network_interface, min_dynamic_port, max_dynamic_port,
 * max_kill_timeout, bridge_network_name, bridge_network_subnet and cni_path,
 * and passes the block on to drivers through drover_host.agent_config. */
static const char *const nomad_client_keys[] = {
	"enabled", "state_dir", "alloc_dir", "servers", "node_class", "node_pool", "meta", "options",
	"network_interface", "network_speed", "cpu_total_compute", "memory_total_mb", "reserved",
	"chroot_env", "host_volume", "host_network", "max_kill_timeout", "min_dynamic_port",
	"max_dynamic_port", "cni_path", "cni_config_dir", "bridge_network_name",
	"bridge_network_subnet", "gc_interval", "gc_disk_usage_threshold", "gc_inode_usage_threshold",
	"gc_max_allocs", "gc_parallel_destroys", "no_host_uuid", "cgroup_parent", "artifact",
	"template", "drain_on_shutdown", "server_join", "disable_remote_exec", "cpu_disable_dmidecode",
	"preferred_address_family",
	/* drover's own: how often `drover agent` fingerprints the drivers again */
	"fingerprint_interval", NULL,
};

static int in_list(const char *const *list, const char *key)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], key) == 0)
			return 1;
	return 0;
}

/* HCL-to-JSON writes a block as a list holding one object. */
static const drover_value *unwrap_block(const drover_value *v)
{
	if (v && v->type == DROVER_VALUE_ARRAY && v->u.array.count == 1 &&
	    v->u.array.items[0].type == DROVER_VALUE_OBJECT)
		return &v->u.array.items[0];
	return v;
}

static int take_string(const char *path, const drover_value *doc, const char *key, char **out,
                       drover_errlist *errors)
{
	const drover_value *v = drover_value_get(doc, key);
	if (!v || v->type == DROVER_VALUE_NULL)
		return 0;
	if (v->type != DROVER_VALUE_STRING || v->u.string.len == 0) {
		drover_errlist_add(errors, "%s: \"%s\" must be a non-empty string, not %s", path, key,
		                   drover_value_type_name(v->type));
		return -EINVAL;
	}
	*out = strdup(v->u.string.ptr);
	return *out ? 0 : -ENOMEM;
}

/* Builds {"<driver>": {"config": {...}}} from either accepted form, checking the
 * shape: every driver entry is a block whose only keys are `config` and `args`. */
static int normalise_plugins(const char *path, const drover_value *plugins, drover_value *out,
                             drover_errlist *errors)
{
	plugins = unwrap_block(plugins);
	if (plugins->type != DROVER_VALUE_OBJECT) {
		drover_errlist_add(errors, "%s: \"plugin\" must be an object of driver names, not %s",
		                   path, drover_value_type_name(plugins->type));
		return -EINVAL;
	}
	int rc = 0;
	for (size_t i = 0; i < plugins->u.object.count; i++) {
		const char *name = plugins->u.object.keys[i];
		const drover_value *entry = unwrap_block(&plugins->u.object.values[i]);
		if (entry->type != DROVER_VALUE_OBJECT) {
			drover_errlist_add(errors, "%s: plugin \"%s\" must be an object with a \"config\" block, not %s",
			                   path, name, drover_value_type_name(entry->type));
			rc = -EINVAL;
			continue;
		}
		for (size_t k = 0; k < entry->u.object.count; k++) {
			const char *key = entry->u.object.keys[k];
			const drover_value *val = unwrap_block(&entry->u.object.values[k]);
			if (strcmp(key, "config") == 0 && val->type != DROVER_VALUE_OBJECT &&
			    val->type != DROVER_VALUE_NULL) {
				drover_errlist_add(errors, "%s: plugin \"%s\" config must be an object, not %s",
				                   path, name, drover_value_type_name(val->type));
				rc = -EINVAL;
			} else if (strcmp(key, "config") != 0 && strcmp(key, "args") != 0) {
				drover_errlist_add(errors, "%s: plugin \"%s\": unknown key \"%s\" (known keys: config, args)",
				                   path, name, key);
				rc = -EINVAL;
			}
		}
	}
	if (rc < 0)
		return rc;

	/* Copy, then unwrap the list-of-one forms in the copy. */
	size_t n = plugins->u.object.count;
	const char **keys = calloc(n + 1, sizeof(*keys));
	drover_value *values = calloc(n + 1, sizeof(*values));
	if (!keys || !values) {
		free(keys);
		free(values);
		return -ENOMEM;
	}
	drover_value result = {.type = DROVER_VALUE_OBJECT};
	result.u.object.keys = keys;
	result.u.object.values = values;
	for (size_t i = 0; i < n; i++) {
		const drover_value *entry = unwrap_block(&plugins->u.object.values[i]);
		const drover_value *cfg = unwrap_block(drover_value_get(entry, "config"));
		drover_value wrapper = {.type = DROVER_VALUE_OBJECT};
		const char **wkeys = calloc(1, sizeof(*wkeys));
		drover_value *wvalues = calloc(1, sizeof(*wvalues));
		keys[i] = strdup(plugins->u.object.keys[i]);
		result.u.object.count = i + 1;
		if (!wkeys || !wvalues || !keys[i]) {
			free(wkeys);
			free(wvalues);
			drover_value_clear(&result);
			return -ENOMEM;
		}
		wrapper.u.object.keys = wkeys;
		wrapper.u.object.values = wvalues;
		values[i] = wrapper;
		if (cfg && cfg->type == DROVER_VALUE_OBJECT) {
			wkeys[0] = strdup("config");
			if (!wkeys[0] || drover_value_copy(&wvalues[0], cfg) < 0) {
				drover_value_clear(&result);
				return -ENOMEM;
			}
			values[i].u.object.count = 1;
		}
	}
	*out = result;
	return 0;
}

/* Keys drover reads as strings: the node's identity for ${node.*}. */
static const char *const top_string_keys[] = {"region", "datacenter", "name", NULL};
static const char *const client_string_keys[] = {"node_class", "network_interface", NULL};

static int check_strings(const char *path, const drover_value *obj, const char *const *keys,
                         const char *prefix, drover_errlist *errors)
{
	int rc = 0;
	for (size_t i = 0; keys[i]; i++) {
		const drover_value *v = drover_value_get(obj, keys[i]);
		if (v && v->type != DROVER_VALUE_NULL && v->type != DROVER_VALUE_STRING) {
			drover_errlist_add(errors, "%s: %s%s must be a string, not %s", path, prefix, keys[i],
			                   drover_value_type_name(v->type));
			rc = -EINVAL;
		}
	}
	return rc;
}

static int check_client(const char *path, const drover_value *client, drover_errlist *errors,
                        long long *max_kill_timeout_ms)
{
	client = unwrap_block(client);
	if (client->type != DROVER_VALUE_OBJECT) {
		drover_errlist_add(errors, "%s: \"client\" must be an object, not %s", path,
		                   drover_value_type_name(client->type));
		return -EINVAL;
	}
	int rc = 0;
	for (size_t i = 0; i < client->u.object.count; i++) {
		if (!in_list(nomad_client_keys, client->u.object.keys[i])) {
			drover_errlist_add(errors, "%s: client: unknown key \"%s\"", path,
			                   client->u.object.keys[i]);
			rc = -EINVAL;
		}
	}
	if (check_strings(path, client, client_string_keys, "client.", errors) < 0)
		rc = -EINVAL;
	long long ports[2] = {20000, 32000};
	static const char *const port_keys[] = {"min_dynamic_port", "max_dynamic_port"};
	for (int i = 0; i < 2; i++) {
		const drover_value *v = drover_value_get(client, port_keys[i]);
		if (!v || v->type == DROVER_VALUE_NULL)
			continue;
		if (v->type != DROVER_VALUE_INT || v->u.integer < 1 || v->u.integer > 65535) {
			drover_errlist_add(errors, "%s: client.%s must be a port number between 1 and 65535",
			                   path, port_keys[i]);
			rc = -EINVAL;
			ports[i] = -1;
		} else {
			ports[i] = v->u.integer;
		}
	}
	if (ports[0] > 0 && ports[1] > 0 && ports[0] > ports[1]) {
		drover_errlist_add(errors, "%s: client.min_dynamic_port (%lld) is above client.max_dynamic_port (%lld)",
		                   path, ports[0], ports[1]);
		rc = -EINVAL;
	}
	const drover_value *fpi = drover_value_get(client, "fingerprint_interval");
	long long fpi_ms;
	if (fpi && fpi->type != DROVER_VALUE_NULL &&
	    (fpi->type != DROVER_VALUE_STRING ||
	     drover_parse_duration_ms(fpi->u.string.ptr, &fpi_ms) < 0 || fpi_ms < 100)) {
		drover_errlist_add(errors, "%s: client.fingerprint_interval must be a duration of at "
		                   "least 100ms such as \"30s\" (a number and one of ms, s, m, h)",
		                   path);
		rc = -EINVAL;
	}
	/* Nomad caps every task's kill_timeout at this (default 30s): a job file
	 * cannot make a stop wait forever for a task that ignores its signal. */
	const drover_value *mkt = drover_value_get(client, "max_kill_timeout");
	long long mkt_ms;
	if (mkt && mkt->type != DROVER_VALUE_NULL) {
		if (mkt->type != DROVER_VALUE_STRING ||
		    drover_parse_duration_ms(mkt->u.string.ptr, &mkt_ms) < 0 || mkt_ms < 1) {
			drover_errlist_add(errors, "%s: client.max_kill_timeout must be a positive duration "
			                   "such as \"30s\" (a number and one of ms, s, m, h)",
			                   path);
			rc = -EINVAL;
		} else {
			*max_kill_timeout_ms = mkt_ms;
		}
	}
	const drover_value *meta = drover_value_get(client, "meta");
	if (meta && meta->type != DROVER_VALUE_NULL) {
		int ok = meta->type == DROVER_VALUE_OBJECT;
		for (size_t i = 0; ok && i < meta->u.object.count; i++)
			ok = meta->u.object.values[i].type == DROVER_VALUE_STRING;
		if (!ok) {
			drover_errlist_add(errors, "%s: client.meta must map keys to strings", path);
			rc = -EINVAL;
		}
	}
	if (drover_host_volumes_check(path, drover_value_get(client, "host_volume"), errors) < 0)
		rc = -EINVAL;
	if (drover_network_config_check(path, client, errors) < 0)
		rc = -EINVAL;
	const drover_value *chroot = drover_value_get(client, "chroot_env");
	if (chroot && chroot->type != DROVER_VALUE_NULL) {
		int ok = chroot->type == DROVER_VALUE_OBJECT;
		for (size_t i = 0; ok && i < chroot->u.object.count; i++)
			ok = chroot->u.object.values[i].type == DROVER_VALUE_STRING;
		if (!ok) {
			drover_errlist_add(errors, "%s: client.chroot_env must map host paths to task paths (strings)",
			                   path);
			rc = -EINVAL;
		}
	}
	return rc;
}

int drover_agent_config_load(const char *path, drover_agent_config *cfg, drover_errlist *errors)
{
	drover_agent_config c = {0};
	drover_err err = {{0}};
	int rc = drover_json_parse_file(path, &c.doc, &err);
	if (rc < 0) {
		drover_errlist_add(errors, "agent config (-config): %s", err.message);
		return rc;
	}
	if (c.doc.type != DROVER_VALUE_OBJECT) {
		drover_errlist_add(errors, "%s: the agent config must be a JSON object, not %s", path,
		                   drover_value_type_name(c.doc.type));
		drover_value_clear(&c.doc);
		return -EINVAL;
	}
	rc = 0;
	for (size_t i = 0; i < c.doc.u.object.count; i++) {
		const char *key = c.doc.u.object.keys[i];
		const drover_value *val = &c.doc.u.object.values[i];
		if (strcmp(key, "plugin_dir") == 0 || strcmp(key, "data_dir") == 0 ||
		    in_list(top_string_keys, key))
			continue;
		if (strcmp(key, "plugin") == 0) {
			if (val->type != DROVER_VALUE_NULL &&
			    normalise_plugins(path, val, &c.plugin, errors) < 0)
				rc = -EINVAL;
		} else if (strcmp(key, "client") == 0) {
			if (val->type != DROVER_VALUE_NULL && check_client(path, val, errors, &c.max_kill_timeout_ms) < 0)
				rc = -EINVAL;
		} else if (in_list(nomad_agent_keys_ignored, key)) {
			char **grown = realloc(c.ignored, (c.ignored_count + 1) * sizeof(*grown));
			if (!grown || !(grown[c.ignored_count] = strdup(key))) {
				if (grown)
					c.ignored = grown;
				rc = -ENOMEM;
				break;
			}
			c.ignored = grown;
			c.ignored_count++;
		} else {
			drover_errlist_add(errors, "%s: unknown key \"%s\" (drover reads data_dir, plugin_dir, name, region, datacenter, plugin, client)",
			                   path, key);
			rc = -EINVAL;
		}
	}
	if (check_strings(path, &c.doc, top_string_keys, "", errors) < 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = take_string(path, &c.doc, "plugin_dir", &c.plugin_dir, errors);
	if (rc == 0)
		rc = take_string(path, &c.doc, "data_dir", &c.data_dir, errors);
	if (rc == 0 && !(c.path = strdup(path)))
		rc = -ENOMEM;
	if (rc < 0) {
		drover_agent_config_clear(&c);
		return rc;
	}
	*cfg = c;
	return 0;
}

const drover_value *drover_agent_config_plugin_options(const drover_agent_config *cfg,
                                                       const char *driver)
{
	return drover_value_get(drover_value_get(&cfg->plugin, driver), "config");
}

const drover_value *drover_agent_config_lookup(const drover_agent_config *cfg, const char *path)
{
	_cleanup_(drover_freep) char *copy = strdup(path);
	if (!copy || cfg->doc.type != DROVER_VALUE_OBJECT)
		return NULL;
	const drover_value *v = &cfg->doc;
	char *save = NULL;
	for (char *part = strtok_r(copy, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
		v = drover_value_get(unwrap_block(v), part);
	return v ? unwrap_block(v) : NULL;
}

long long drover_agent_config_max_kill_timeout_ms(const drover_agent_config *cfg)
{
	return cfg && cfg->max_kill_timeout_ms > 0 ? cfg->max_kill_timeout_ms
	                                           : DROVER_DEFAULT_MAX_KILL_TIMEOUT_MS;
}

void drover_agent_config_clear(drover_agent_config *cfg)
{
	free(cfg->path);
	free(cfg->plugin_dir);
	free(cfg->data_dir);
	drover_value_clear(&cfg->doc);
	drover_value_clear(&cfg->plugin);
	for (size_t i = 0; i < cfg->ignored_count; i++)
		free(cfg->ignored[i]);
	free(cfg->ignored);
	*cfg = (drover_agent_config){0};
}
