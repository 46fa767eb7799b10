/* The drover_host services table the host hands every plugin's init. */
#ifndef DROVER_HOST_HOST_SERVICES_H
#define DROVER_HOST_HOST_SERVICES_H

#include <drover/driver.h>

#include "agent_config.h"

/* The table, with `config` answering drover_host.agent_config. host_data is
 * filled per plugin by the loader (it points at the drover_plugin). */
drover_host drover_host_services(const drover_agent_config *config);

/* Log lines of a lower priority than `level` are dropped (DROVER_LOG_INFO by
 * default; DROVER_LOG_LEVEL=debug|info|warn|error in the environment). */
void drover_host_set_log_level(drover_log_level level);

#endif
