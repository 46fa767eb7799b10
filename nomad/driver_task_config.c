/* Nomad's TaskConfig as a drover_task_config. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "cty_msgpack.h"
#include "schema_check.h"
#include "util.h"
#include "value_tree.h"

/* At most this many entries in each DNS list (as drover's own job files). */
#define NOMAD_DNS_MAX_ENTRIES 32

int nomad_signal_number(const char *name, int fallback)
{
	if (!name || !*name)
		return fallback;
	int signo = drover_signal_from_name(name);
	return signo > 0 ? signo : -EINVAL;
}

static const char *env_of(const DP(TaskConfig) *tc, const char *key)
{
	for (size_t i = 0; i < tc->n_env; i++)
		if (tc->env[i]->key && strcmp(tc->env[i]->key, key) == 0)
			return tc->env[i]->value;
	return NULL;
}

/* The checked config is copied into the arena so that everything the task
 * config points at has one owner. */
static int keep_checked(nomad_arena *a, drover_value *dst, const drover_value *src)
{
	*dst = *src;
	switch (src->type) {
	case DROVER_VALUE_STRING:
		dst->u.string.ptr = nomad_arena_strndup(a, src->u.string.ptr, src->u.string.len);
		return dst->u.string.ptr ? 0 : -ENOMEM;
	case DROVER_VALUE_ARRAY: {
		drover_value *items = NOMAD_NEWN(a, drover_value, src->u.array.count);
		if (!items)
			return -ENOMEM;
		for (size_t i = 0; i < src->u.array.count; i++)
			if (keep_checked(a, &items[i], &src->u.array.items[i]) < 0)
				return -ENOMEM;
		dst->u.array.items = items;
		return 0;
	}
	case DROVER_VALUE_OBJECT: {
		size_t n = src->u.object.count;
		const char **keys = NOMAD_NEWN(a, const char *, n);
		drover_value *values = NOMAD_NEWN(a, drover_value, n);
		if (!keys || !values)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			keys[i] = nomad_arena_strdup(a, src->u.object.keys[i]);
			if (!keys[i] || keep_checked(a, &values[i], &src->u.object.values[i]) < 0)
				return -ENOMEM;
		}
		dst->u.object.keys = keys;
		dst->u.object.values = values;
		return 0;
	}
	default:
		return 0;
	}
}

/* One DNSConfig list as a NULL-ended array in the arena; empty, not NULL,
 * for an empty list (the block is there: the driver's resolv.conf then takes
 * the host's entries for it). The entries are checked by the drivers that
 * write them (plugin_resolv.h); the count is bounded here. */
static int dns_list(nomad_arena *a, char **items, size_t n, const char *field,
                    const char *task, const char *const **out, drover_err *err)
{
	if (n > NOMAD_DNS_MAX_ENTRIES)
		return drover_err_set(err, -EINVAL, "task \"%s\": \"dns.%s\" has %zu entries; at "
		                      "most %d are accepted", task, field, n, NOMAD_DNS_MAX_ENTRIES);
	const char **list = NOMAD_NEWN(a, const char *, n + 1);
	if (!list)
		return drover_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!items[i] || !items[i][0])
			return drover_err_set(err, -EINVAL, "task \"%s\": \"dns.%s\" entry %zu is "
			                      "empty", task, field, i);
		list[i] = items[i];
	}
	list[n] = NULL;
	*out = list;
	return 0;
}

/* TaskConfig.NetworkIsolationSpec and DNS as the task's drover_network. */
static int network_map(const nomad_bridge *b, const DP(TaskConfig) *tc, nomad_arena *a,
                       drover_network *net, drover_err *err)
{
	*net = (drover_network){.struct_size = sizeof(*net), .mode = "host"};
	/* The group's namespace, made by Nomad's client (exec joins the path it
	 * is given) or by CreateNetwork for a driver that makes it (docker):
	 * the path is what drover's own host gives as netns_path. Nomad's
	 * "bridge" and "none" groups both come as GROUP. */
	const DP(NetworkIsolationSpec) *ns = tc->network_isolation_spec;
	if (ns && ns->mode == DP_C(NETWORK_ISOLATION_SPEC__NETWORK_ISOLATION_MODE__GROUP) &&
	    ns->path && ns->path[0]) {
		if (ns->path[0] != '/')
			return drover_err_set(err, -EINVAL, "task \"%s\": the network isolation spec's "
			                      "\"path\" \"%.200s\" is not absolute", tc->name, ns->path);
		net->mode = "bridge";
		net->netns_path = ns->path;
		const DP(HostsConfig) *hc = ns->hostsconfig;
		if (hc && hc->hostname && hc->hostname[0])
			net->hostname = hc->hostname;
		if (hc && hc->address && hc->address[0])
			net->address = hc->address;
		/* What the driver's create_network returned: the bridge's record
		 * of the allocation, else the spec's label. */
		if (nomad_network_initiator(b)) {
			void *handle = NULL, *label = NULL;
			size_t len = 0;
			if (nomad_network_record_read(tc->alloc_id, &handle, &len) == 0) {
				char *copy = nomad_arena_alloc(a, len ? len : 1);
				if (!copy) {
					free(handle);
					return drover_err_set(err, -ENOMEM, "out of memory");
				}
				memcpy(copy, handle, len);
				free(handle);
				net->created_handle = copy;
				net->created_handle_len = len;
			} else if (nomad_network_handle_label(ns, a, &label, &len) == 0) {
				net->created_handle = label;
				net->created_handle_len = len;
			}
		}
	}
	const DP(DNSConfig) *dns = tc->dns;
	int rc;
	if (dns && ((rc = dns_list(a, dns->servers, dns->n_servers, "servers", tc->name,
	                           &net->dns_servers, err)) < 0 ||
	            (rc = dns_list(a, dns->searches, dns->n_searches, "searches", tc->name,
	                           &net->dns_searches, err)) < 0 ||
	            (rc = dns_list(a, dns->options, dns->n_options, "options", tc->name,
	                           &net->dns_options, err)) < 0))
		return rc;
	return 0;
}

int nomad_task_config_map(const nomad_bridge *b, const DP(TaskConfig) *tc, nomad_arena *a,
                          nomad_task_config *out, drover_err *err)
{
	const drover_driver *desc = b->plugin->desc;
	memset(out, 0, sizeof(*out));
	if (!tc || !tc->id || !*tc->id || !tc->name || !*tc->name)
		return drover_err_set(err, -EINVAL, "task config: \"id\" and \"name\" are required");
	if (!tc->alloc_dir || tc->alloc_dir[0] != '/')
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": \"alloc_dir\" must be an absolute path, got \"%s\"",
		                      tc->name, tc->alloc_dir ? tc->alloc_dir : "");
	if (strchr(tc->name, '/') || strcmp(tc->name, ".") == 0 || strcmp(tc->name, "..") == 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": a task name cannot be a path",
		                      tc->name);
	/* As Nomad: alloc/ is the allocation's shared directory beside the
	 * tasks', and the bridge's network record beside their state. */
	if (strcmp(tc->name, NOMAD_NETWORK_RECORD_DIR) == 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": a task cannot be named \"%s\"",
		                      tc->name, NOMAD_NETWORK_RECORD_DIR);
	if (!tc->alloc_id || !*tc->alloc_id || strchr(tc->alloc_id, '/') ||
	    strcmp(tc->alloc_id, ".") == 0 || strcmp(tc->alloc_id, "..") == 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": \"alloc_id\" \"%s\" is not an "
		                      "allocation id", tc->name, tc->alloc_id ? tc->alloc_id : "");

	char where[256];
	snprintf(where, sizeof(where), "job \"%s\", group \"%s\", task \"%s\", driver \"%s\" config",
	         tc->job_name ? tc->job_name : "", tc->task_group_name ? tc->task_group_name : "",
	         tc->name, desc->name);
	drover_value raw;
	int rc = nomad_cty_decode(tc->msgpack_driver_config.data, tc->msgpack_driver_config.len,
	                          desc->task_schema, a, &raw, err);
	if (rc < 0) {
		char why[DROVER_ERR_MESSAGE_MAX];
		snprintf(why, sizeof(why), "%s", err->message);
		return drover_err_set(err, rc, "%s: %s", where, why);
	}
	drover_errlist problems = {0};
	drover_value checked = {.type = DROVER_VALUE_NULL};
	rc = drover_schema_check(desc->task_schema, &raw, where, &checked, &problems);
	if (rc < 0) {
		char msg[DROVER_ERR_MESSAGE_MAX] = "";
		size_t used = 0;
		for (size_t i = 0; i < problems.count && used < sizeof(msg); i++)
			used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "; " : "",
			                         problems.lines[i]);
		drover_errlist_clear(&problems);
		drover_value_clear(&checked);
		return drover_err_set(err, rc, "%s", msg[0] ? msg : "invalid task config");
	}
	drover_errlist_clear(&problems);
	if (checked.type != DROVER_VALUE_OBJECT)
		checked = (drover_value){.type = DROVER_VALUE_OBJECT};
	rc = keep_checked(a, &out->config, &checked);
	drover_value_clear(&checked);
	if (rc < 0)
		return drover_err_set(err, rc, "out of memory");

	const char **env = NOMAD_NEWN(a, const char *, tc->n_env + 1);
	if (!env)
		return drover_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < tc->n_env; i++) {
		size_t len = strlen(tc->env[i]->key) + strlen(tc->env[i]->value) + 2;
		char *kv = nomad_arena_alloc(a, len);
		if (!kv)
			return drover_err_set(err, -ENOMEM, "out of memory");
		snprintf(kv, len, "%s=%s", tc->env[i]->key, tc->env[i]->value);
		env[i] = kv;
	}

	drover_task_config *cfg = &out->cfg;
	cfg->struct_size = sizeof(*cfg);
	cfg->id = tc->id;
	cfg->job_id = tc->job_id;
	cfg->job_name = tc->job_name;
	cfg->group_name = tc->task_group_name;
	cfg->task_name = tc->name;
	cfg->alloc_id = tc->alloc_id;
	/* Nomad passes the alloc's name and index only in the task environment. */
	cfg->alloc_name = env_of(tc, "NOMAD_ALLOC_NAME");
	const char *index = env_of(tc, "NOMAD_ALLOC_INDEX");
	cfg->alloc_index = index ? atoi(index) : 0;
	cfg->alloc_dir = tc->alloc_dir;
	size_t dl = strlen(tc->alloc_dir) + strlen(tc->name) + 16;
	char *task_dir = nomad_arena_alloc(a, dl), *log_dir = nomad_arena_alloc(a, dl);
	if (!task_dir || !log_dir)
		return drover_err_set(err, -ENOMEM, "out of memory");
	snprintf(task_dir, dl, "%s/%s", tc->alloc_dir, tc->name);
	snprintf(log_dir, dl, "%s/alloc/logs", tc->alloc_dir);
	cfg->task_dir = task_dir;
	cfg->log_dir = log_dir;
	cfg->env = env;
	cfg->config = &out->config;
	cfg->user = tc->user && *tc->user ? tc->user : NULL;
	const DP(AllocatedTaskResources) *ar =
		tc->resources ? tc->resources->allocated_resources : NULL;
	cfg->cpu_mhz = ar && ar->cpu ? ar->cpu->cpu_shares : 0;
	cfg->memory_mb = ar && ar->memory ? ar->memory->memory_mb : 0;
	cfg->memory_max_mb = ar && ar->memory ? ar->memory->memory_max_mb : 0;
	/* Nomad sends the kill signal and timeout with StopTask, not here. */
	cfg->kill_signal = SIGINT;
	cfg->kill_timeout_ms = 5000;
	/* Nomad's default LogConfig: 10 files of 10 MB. */
	cfg->log_max_files = 10;
	cfg->log_max_file_size_mb = 10;
	rc = nomad_state_dir(tc->alloc_id, tc->name, out->state_dir, sizeof(out->state_dir), err);
	if (rc < 0)
		return rc;
	cfg->state_dir = out->state_dir;
	if ((rc = network_map(b, tc, a, &out->network, err)) < 0)
		return rc;
	cfg->network = &out->network;
	return 0;
}
