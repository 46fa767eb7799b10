/* An allocation's group network in mode "bridge" or "none": its namespace,
 * its CNI setup and their record, from before the first task starts until
 * the allocation is stopped or collected.
 *
 * up:   records the intent (state store row "adding"), makes the namespace
 *       (/run/netns/<alloc id>, or the driver's create_network pinned
 *       there), runs CNI ADD (Nomad's bridge list, or loopback alone for
 *       "none"), records "ready" with the result.
 * down: CNI DEL in reverse order with what ADD was given and returned, the
 *       driver's destroy_network, the namespace, the row. Idempotent.
 * A crash anywhere in up leaves an "adding" row whose owner is dead:
 * drover_alloc_network_cleanup (agent start, run, gc) takes it down. */
#ifndef DROVER_HOST_NETWORK_ALLOC_NETWORK_H
#define DROVER_HOST_NETWORK_ALLOC_NETWORK_H

#include <stddef.h>

#include "../context.h"
#include "../jobspec.h"
#include "../state_store.h"
#include "ports.h"

typedef struct drover_alloc_net {
	char netns_path[128];  /* what tasks join (drover_network.netns_path) */
	void *handle;          /* create_network's handle (malloc'd), or NULL */
	size_t handle_len;
	char address[64];      /* the allocation's IPv4 address; "" in mode none */
} drover_alloc_net;

/* 1 when the group's mode needs a namespace ("bridge", "none"). */
int drover_alloc_network_wanted(const drover_jobspec_group *group);

/* The driver that must make the namespace (capabilities.must_initiate_network)
 * among the group's tasks' plugins, or NULL when the host makes it. */
drover_plugin *drover_alloc_network_initiator(drover_plugin *const *plugins, size_t count);

/* Sets up the network of a new allocation. `ports` are its group ports,
 * every Value assigned. `initiator` as drover_alloc_network_initiator says.
 * `run_dir` is the allocation's private directory (the driver's state_dir).
 * On failure nothing is left (what could not be undone is reported and
 * left to cleanup). */
int drover_alloc_network_up(drover_context *ctx, drover_state *st, const drover_jobspec *job,
                            const drover_jobspec_group *group, const char *alloc_id,
                            const drover_alloc_ports *ports, drover_plugin *initiator,
                            const char *run_dir, drover_alloc_net *out, drover_err *err);

/* The recorded, ready network of a resumed allocation, whose namespace must
 * still exist: it is used again, never made anew. -ENOENT when there is no
 * ready record, -ESTALE when the namespace is gone. */
int drover_alloc_network_recover(drover_state *st, const char *alloc_id, drover_alloc_net *out,
                                 drover_err *err);

/* Tears down what the store records for `alloc_id`; 0 when nothing is. A
 * failed CNI DEL keeps the namespace and the row, so it can be retried. */
int drover_alloc_network_down(drover_context *ctx, drover_state *st, const char *alloc_id,
                              drover_err *err);

/* Takes down every network whose setup was under way in a process that is
 * gone ("adding", owner dead), and every one left by an allocation the store
 * no longer has. Problems go to stderr. */
void drover_alloc_network_cleanup(drover_context *ctx, drover_state *st);

void drover_alloc_net_clear(drover_alloc_net *n);

#endif
