/* What this host is, as Nomad's ${node.*} and ${attr.*} name it.
 *
 * node.unique.id is a UUID kept in <data_dir>/client/client-id (created on
 * first use, as Nomad's client does), node.unique.name the agent config's
 * `name` or the hostname, node.datacenter `datacenter` (default "dc1"),
 * node.region `region` (default "global"), node.class `client.node_class`.
 * Attributes: kernel.name, kernel.version, kernel.arch, cpu.numcores,
 * unique.hostname, os.name, os.version, plus whatever the drivers report when
 * fingerprinted (driver.raw_exec, ...).
 */
#ifndef DROVER_HOST_NODEINFO_H
#define DROVER_HOST_NODEINFO_H

#include "agent_config.h"
#include "loader.h"
#include "util.h"

typedef struct drover_node_info {
	char *id;
	char *name;
	char *datacenter;
	char *region;
	char *node_class;           /* "" when unset */
	drover_strv attr_keys;      /* "kernel.name", ... */
	drover_strv attr_values;    /* same index as attr_keys */
	const drover_value *meta;   /* client.meta (node meta), borrowed from the config; may be NULL */
} drover_node_info;

/* Fills `out` from the agent config (may be NULL), the data dir (may be NULL:
 * then the id is a fresh random one, not persisted) and the running kernel. */
int drover_node_info_load(const drover_agent_config *cfg, const char *data_dir,
                          drover_node_info *out, drover_err *err);

/* Records (or replaces) attribute `key`; the fingerprint sink signature. */
void drover_node_info_set_attribute(void *node, const char *key, const char *value);

/* Fingerprints every loaded driver into the node's attributes. A driver whose
 * fingerprint fails simply adds nothing. */
void drover_node_info_fingerprint(drover_node_info *node, drover_plugin_set *plugins);

/* The value of attribute `key`, or NULL. */
const char *drover_node_info_attr(const drover_node_info *node, const char *key);

void drover_node_info_clear(drover_node_info *node);

#endif
