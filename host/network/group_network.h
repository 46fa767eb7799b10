/* The group network a task's driver is told about (drover_task_config.network).
 *
 * host/network/ is drover's one room for networking: the group's namespace,
 * CNI, ports and their claims. This file only turns the job's group network
 * block into the SDK's view of it.
 */
#ifndef DROVER_HOST_NETWORK_GROUP_NETWORK_H
#define DROVER_HOST_NETWORK_GROUP_NETWORK_H

#include <drover/driver.h>

#include "../jobspec.h"
#include "alloc_network.h"

/* Fills `out` from the group's network block and, when the allocation has a
 * network of its own, from `net` (NULL in mode "host"): every pointer points
 * into `group` or `net`, so `out` lives no longer than they do. A group
 * without a network block is mode "host". */
void drover_group_network_view(const drover_jobspec_group *group, const drover_alloc_net *net,
                               drover_network *out);

#endif
