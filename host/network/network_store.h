/* Group network namespaces in the state store (table alloc_networks), one
 * row per allocation in bridge or none mode, written intent before effect:
 *   "adding"  before the namespace is made and CNI ADD runs: whoever finds
 *             it with its owner dead runs CNI DEL, removes the namespace
 *             (and the driver's holder) and the row;
 *   "ready"   once ADD succeeded, with its result: tasks join netns_name.
 * The row keeps the configuration list and runtime values ADD was given,
 * so that DEL gets the same ones even if the agent options changed since. */
#ifndef DROVER_HOST_NETWORK_NETWORK_STORE_H
#define DROVER_HOST_NETWORK_NETWORK_STORE_H

#include <stddef.h>

#include "../state_store.h"

typedef struct drover_state_network {
	char *alloc_id;
	char *state;          /* "adding" or "ready" */
	char *mode;           /* "bridge" or "none" */
	char *netns_name;     /* under /run/netns */
	char *driver;         /* the driver whose create_network made it, or NULL */
	void *handle;         /* what create_network returned */
	size_t handle_len;
	char *conflist;       /* JSON */
	char *runtime_config; /* JSON */
	char *result;         /* the ADD's final result, JSON; NULL while adding */
	char *address;        /* the allocation's IPv4 address, or NULL */
	int owner_pid;        /* the process setting it up */
	unsigned long long owner_start;
} drover_state_network;

/* Inserts or replaces the row of n->alloc_id. */
int drover_state_network_put(drover_state *st, const drover_state_network *n, drover_err *err);
/* -ENOENT when the allocation has no row. */
int drover_state_network_get(drover_state *st, const char *alloc_id, drover_state_network *out,
                             drover_err *err);
int drover_state_network_list(drover_state *st, drover_state_network **out, size_t *count,
                              drover_err *err);
int drover_state_network_delete(drover_state *st, const char *alloc_id, drover_err *err);
void drover_state_network_clear(drover_state_network *n);
void drover_state_networks_free(drover_state_network *n, size_t count);

#endif
