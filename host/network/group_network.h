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

/* Fills `out` from the group's network block; every pointer points into
 * `group` (or to `netns_path`, NULL in mode "host"), so `out` lives no longer
 * than they do. A group without a network block is mode "host". */
void drover_group_network_view(const drover_jobspec_group *group, const char *netns_path,
                               const void *created_handle, size_t created_handle_len,
                               drover_network *out);

#endif
