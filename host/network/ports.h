/* Host ports for allocations: Nomad's ReservedPorts and DynamicPorts.
 *
 * Dynamic ports come from the agent's range (client.min_dynamic_port ..
 * client.max_dynamic_port, Nomad's defaults 20000 .. 32000) and never collide
 * with a reserved port, with a port the caller says live allocations hold, or
 * with a port something on the host has bound right now (probed with bind()).
 * Every port of an allocation is exported as Nomad does: NOMAD_PORT_<label>,
 * NOMAD_HOST_PORT_<label>, NOMAD_ALLOC_PORT_<label>, NOMAD_IP_<label>,
 * NOMAD_HOST_IP_<label>, NOMAD_ADDR_<label>, NOMAD_HOST_ADDR_<label>, and in
 * bridge mode NOMAD_ALLOC_{INTERFACE,IP,ADDR}_<label>.
 */
#ifndef DROVER_HOST_NETWORK_PORTS_H
#define DROVER_HOST_NETWORK_PORTS_H

#include <stddef.h>

#include "../agent_config.h"
#include "../jobspec.h"
#include "../util.h"

#define DROVER_DYNAMIC_PORT_MIN_DEFAULT 20000
#define DROVER_DYNAMIC_PORT_MAX_DEFAULT 32000
#define DROVER_HOST_IP_MAX 64

typedef struct drover_ports_config {
	int min_dynamic_port;
	int max_dynamic_port;
	/* The address tasks are told to listen on (NOMAD_IP_<label>): the first IPv4
	 * address of client.network_interface, else 127.0.0.1. */
	char host_ip[DROVER_HOST_IP_MAX];
} drover_ports_config;

/* Ports taken, one bit each: filled by the caller with the ports of live
 * allocations; drover_ports_assign adds what it hands out. */
typedef struct drover_port_set {
	unsigned char bits[65536 / 8];
} drover_port_set;

void drover_port_set_add(drover_port_set *set, int port);
int drover_port_set_has(const drover_port_set *set, int port);

/* The ports of one allocation (or of one task, for legacy task-level networks),
 * every Value filled in. */
typedef struct drover_alloc_ports {
	drover_port *ports;
	size_t count;
	char host_ip[DROVER_HOST_IP_MAX];
} drover_alloc_ports;

/* Defaults, then the agent config's client.min_dynamic_port,
 * client.max_dynamic_port and client.network_interface. An interface without an
 * IPv4 address is an error naming it. */
int drover_ports_config_load(const drover_agent_config *cfg, drover_ports_config *out,
                             drover_err *err);

/* 1 when nothing on the host holds `port` right now (TCP and UDP, on 0.0.0.0,
 * 127.0.0.1 and `ip` when it is another address), else 0. */
int drover_port_is_free(const char *ip, int port);

/* Gives every port of `want` a host port. A reserved port (Value > 0) already
 * in `in_use` is -EADDRINUSE naming `where`, its label and the port; a dynamic
 * port is chosen from the range, starting at a random point so that two
 * drover processes rarely race for the same port; an exhausted range is
 * -EADDRNOTAVAIL with a message saying what was skipped and which keys widen
 * it. On success every port given out is added to `in_use`; on failure
 * `in_use` and `out` are untouched. */
int drover_ports_assign(const drover_ports_config *cfg, const drover_port *want, size_t count,
                        drover_port_set *in_use, const char *where, drover_alloc_ports *out,
                        drover_err *err);

/* Sets the NOMAD_*_<label> variables of every port in `env`, Nomad's
 * addPorts (client/taskenv/env.go), the same in every network mode: the
 * task-side NOMAD_PORT_ and NOMAD_ALLOC_PORT_ are To, or the host port when
 * To < 1 (unset, or -1 "same as the host port"); NOMAD_HOST_PORT_ is the
 * host port; NOMAD_IP_, NOMAD_HOST_IP_ the host address; NOMAD_ADDR_,
 * NOMAD_HOST_ADDR_ host address:host port. */
int drover_ports_env(const drover_alloc_ports *ports, drover_strv *env);

/* Bridge mode adds, per port, where the allocation's own namespace answers
 * (Nomad's addNomadAllocNetwork, set once the CNI result is known):
 * NOMAD_ALLOC_INTERFACE_<label> = `interface` (NULL: "eth0", the name
 * Nomad's bridge gives it), NOMAD_ALLOC_IP_<label> = `alloc_ip`,
 * NOMAD_ALLOC_ADDR_<label> = alloc_ip:(To, or the host port when To < 1). */
int drover_ports_alloc_env(const drover_alloc_ports *ports, const char *alloc_ip,
                           const char *interface, drover_strv *env);

/* `out` holds a copy of `want` (labels duplicated) with `host_ip`: the ports
 * as they stand, Values as given. -ENOMEM leaves `out` empty. */
int drover_alloc_ports_copy(const drover_port *want, size_t count, const char *host_ip,
                            drover_alloc_ports *out);

void drover_alloc_ports_clear(drover_alloc_ports *ports);

#endif
