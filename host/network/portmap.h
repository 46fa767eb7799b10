/* The CNI portmap plugin's runtimeConfig for an allocation's ports.
 *
 * Nomad passes the portmap plugin one mapping per group port and protocol
 * (client/allocrunner/networking_cni.go, getPortMapping): tcp and udp, host
 * port Value, container port To (Value when To < 1), and the port's host IP
 * unless the client ignores it. The CNI invoker puts this array under
 * "runtimeConfig": {"portMappings": ...} of the portmap plugin's config.
 */
#ifndef DROVER_HOST_NETWORK_PORTMAP_H
#define DROVER_HOST_NETWORK_PORTMAP_H

#include "../util.h"
#include "ports.h"

/* A malloc'd JSON array
 *   [{"hostPort":H,"containerPort":T,"protocol":"tcp","hostIP":"..."}, ...]
 * with a tcp and a udp entry per port, in the ports' order; "[]" for none.
 * `host_ip_or_null` NULL leaves "hostIP" out (the plugin then maps every host
 * address, as Nomad's ignore-host-IP setting does); Nomad's default is the
 * ports' own host_ip. A port without a host port yet, a port number or an IP
 * that is not one is -EINVAL naming the label; NULL is returned then. */
char *drover_portmap_json(const drover_alloc_ports *ports, const char *host_ip_or_null,
                          drover_err *err);

#endif
