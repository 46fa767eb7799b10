/* The group network a task config carries (drover_task_config.network, ABI
 * 1.3), read only as far as the host that filled it knows it: every member
 * appended since must be looked for with PLUGIN_NETWORK_HAS. */
#ifndef PLUGIN_NETWORK_H
#define PLUGIN_NETWORK_H

#include <stddef.h>

#include <drover/driver.h>

/* cfg->network, or NULL from a host older than ABI 1.3 (or no cfg). */
static inline const drover_network *plugin_network_of(const drover_task_config *cfg)
{
	if (!cfg || cfg->struct_size < offsetof(drover_task_config, network) + sizeof(cfg->network))
		return NULL;
	return cfg->network;
}

/* 1 when `net` is there and its host filled `member`. */
#define PLUGIN_NETWORK_HAS(net, member)                                                  \
	((net) && (net)->struct_size >= offsetof(drover_network, member) + sizeof((net)->member))

#endif
