/* The CNI network configuration list of Nomad's built-in bridge network,
 * from the agent options, and the portmap plugin's runtime values from an
 * allocation's ports. */
#ifndef DROVER_HOST_NETWORK_BRIDGE_CONFIG_H
#define DROVER_HOST_NETWORK_BRIDGE_CONFIG_H

#include <stddef.h>

#include <drover/driver.h>

#include "../jobspec.h"
#include "network_config.h"
#include "ports.h"

/* The iptables chain the firewall plugin lets operators add rules to, as
 * Nomad names it. */
#define DROVER_CNI_ADMIN_CHAIN "NOMAD-ADMIN"

/* Mode "bridge": loopback; bridge (client.bridge_network_name, gateway,
 * masquerade, hairpin off, host-local IPAM over client.bridge_network_subnet
 * with a default route); firewall (iptables, admin chain NOMAD-ADMIN);
 * portmap (portMappings, snat). Mode "none": loopback only, so the
 * namespace has lo up and nothing else. The list's name is the bridge name
 * ("nomad" by default, as Nomad's): host-local keeps its leases under
 * /var/lib/cni/networks/<name>, so two bridges never share a lease file. */
int drover_bridge_conflist(const drover_network_config *cfg, const char *mode, drover_value *out,
                           drover_err *err);

/* {"portMappings": [...]} for the portmap plugin: drover_portmap_json's
 * array (each port's host port to To, or to itself when To is 0 or -1, tcp
 * and udp, on the ports' host IP, as Nomad's CNI setup does). */
int drover_bridge_runtime_config(const drover_alloc_ports *ports, drover_value *out,
                                 drover_err *err);

#endif
