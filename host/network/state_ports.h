/* An allocation's (or a task's) host ports, decided in one place.
 *
 * One start passes a task's ports through here once: in one store
 * transaction the ports recorded for (alloc, task) are read back (a resumed
 * allocation, a task prepared again keep theirs), or new ones are chosen
 * past every port a live allocation holds and recorded. Being one
 * transaction, no other drover process can claim a port between the choice
 * and the record, so there is nothing to retry. The row-level calls
 * (drover_state_ports_claim, _get, _in_use) are declared in state_store.h.
 */
#ifndef DROVER_HOST_NETWORK_STATE_PORTS_H
#define DROVER_HOST_NETWORK_STATE_PORTS_H

#include "../state_store.h"
#include "ports.h"

/* `out` gets one port per `want`, in its order, Values filled in. A
 * ReservedPort a live allocation holds is -EADDRINUSE naming `where`, the
 * label and the port; an exhausted range is drover_ports_assign's
 * -EADDRNOTAVAIL. On success the ports are added to `in_use` (may be NULL). */
int drover_state_ports_take(drover_state *st, const drover_ports_config *cfg,
                            const drover_port *want, size_t count, drover_port_set *in_use,
                            const char *where, const char *alloc_id, const char *task,
                            drover_alloc_ports *out, drover_err *err);

#endif
