/* Host ports in the state store, and an allocation's (or a task's) host
 * ports decided in one place.
 *
 * One start passes a task's ports through here once: in one store
 * transaction the ports recorded for (alloc, task) are read back (a resumed
 * allocation, a task prepared again keep theirs), or new ones are chosen
 * past every port a live allocation holds and recorded. Being one
 * transaction, no other drover process can claim a port between the choice
 * and the record, so there is nothing to retry.
 */
#ifndef DROVER_HOST_NETWORK_STATE_PORTS_H
#define DROVER_HOST_NETWORK_STATE_PORTS_H

#include "../state_store.h"
#include "ports.h"

/* The rows of the ports table (created by state_store.c's migration 3 -> 4,
 * where every table is): every host port an allocation holds, the group's
 * under task "" and a task's own (the legacy Resources.Networks) under its
 * name. A port belongs to one live allocation at a time. */
typedef struct drover_state_port {
	char *label;
	int value;   /* the host port */
	int to;      /* the port inside the task's network, 0 when unset */
} drover_state_port;

/* Claims every port for (alloc_id, task) in one transaction: a port held by an
 * allocation that still has a task not dead fails the whole claim with
 * -EADDRINUSE, *conflict set to its index and the holder named in `err`; a
 * port left by a dead allocation is taken over. */
int drover_state_ports_claim(drover_state *st, const char *alloc_id, const char *task,
                             const drover_state_port *ports, size_t count, size_t *conflict,
                             drover_err *err);
/* The ports recorded for (alloc_id, task), in label order; none is 0 / NULL. */
int drover_state_ports_get(drover_state *st, const char *alloc_id, const char *task,
                           drover_state_port **out, size_t *count, drover_err *err);
/* Every port held by a live allocation (one with a task not dead). */
int drover_state_ports_in_use(drover_state *st, int **ports, size_t *count, drover_err *err);
void drover_state_ports_free(drover_state_port *ports, size_t count);

/* `out` gets one port per `want`, in its order, Values filled in. A
 * ReservedPort a live allocation holds is -EADDRINUSE naming `where`, the
 * label and the port; an exhausted range is drover_ports_assign's
 * -EADDRNOTAVAIL. On success the ports are added to `in_use` (may be NULL). */
int drover_state_ports_take(drover_state *st, const drover_ports_config *cfg,
                            const drover_port *want, size_t count, drover_port_set *in_use,
                            const char *where, const char *alloc_id, const char *task,
                            drover_alloc_ports *out, drover_err *err);

#endif
