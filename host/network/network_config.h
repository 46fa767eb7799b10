/* The agent options of group networking (Nomad's spelling, `client` block):
 *   client.bridge_network_name    the bridge allocations join ("nomad")
 *   client.bridge_network_subnet  their addresses (host-local IPAM, "172.26.64.0/20")
 *   client.cni_path               where the CNI plugin binaries are, ':'-separated
 *                                 ("/usr/lib/cni", Debian's containernetworking-plugins;
 *                                 Nomad's own default is /opt/cni/bin)
 */
#ifndef DROVER_HOST_NETWORK_NETWORK_CONFIG_H
#define DROVER_HOST_NETWORK_NETWORK_CONFIG_H

#include <limits.h>

#include "../agent_config.h"

#define DROVER_BRIDGE_NAME_DEFAULT "nomad"
#define DROVER_BRIDGE_SUBNET_DEFAULT "172.26.64.0/20"
#define DROVER_CNI_PATH_DEFAULT "/usr/lib/cni"

typedef struct drover_network_config {
	char bridge_name[16];  /* an interface name: at most 15 bytes */
	char subnet[64];
	char cni_path[PATH_MAX];
} drover_network_config;

/* Checks the three keys of the agent config's `client` object; one line in
 * `errors` per bad value, naming the key. */
int drover_network_config_check(const char *path, const drover_value *client,
                                drover_errlist *errors);

/* The options of a checked agent config, defaults for those unset. */
void drover_network_config_load(const drover_agent_config *cfg, drover_network_config *out);

#endif
