/* Nomad's forwarding rule for its bridge: before it sets an allocation up,
 * Nomad makes sure the iptables chain NOMAD-ADMIN (the firewall plugin's
 * admin chain, jumped to from CNI-FORWARD) accepts what is forwarded to the
 * bridge's subnet:
 *
 *   -A NOMAD-ADMIN -o <bridge> -d <subnet> -j ACCEPT
 *
 * so that a connection from another machine to a mapped port passes a
 * FORWARD chain whose policy is DROP (as dockerd sets it). The rule is
 * shared by every allocation on the bridge and stays, as Nomad's does. */
#ifndef DROVER_HOST_NETWORK_ADMIN_CHAIN_H
#define DROVER_HOST_NETWORK_ADMIN_CHAIN_H

#include <drover/driver.h>

#include "network_config.h"

/* Creates the chain when missing and appends the rule when it is not there
 * (iptables -w, run from PATH). */
int drover_admin_chain_ensure(const drover_network_config *cfg, drover_err *err);

#endif
