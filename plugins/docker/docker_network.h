/* Group networks (Nomad's `network { mode = "bridge" | "none" }`) on the docker
 * side. Docker can put a container into another container's network
 * namespace (NetworkMode "container:<id>") but not into a namespace file, so
 * the allocation's namespace is held by a pause container of the plugin's
 * `infra_image`, made by create_network as Nomad's CreateNetwork does:
 * named "nomad_init_<alloc_id>", NetworkMode "none" (loopback only: the host
 * then runs CNI in it through /proc/<pid>/ns/net), Hostname from the group.
 * Task containers of the group join it with "container:<pause id>" and
 * publish no ports (the portmap CNI plugin maps them to the namespace).
 *
 * The network handle is text, versioned by its first line:
 *   version 1: "drover-docker-net 1\n<64 hex container id>\n" */
#ifndef DROVER_DOCKER_NETWORK_H
#define DROVER_DOCKER_NETWORK_H

#include <stddef.h>

#include <drover/driver.h>

#include "docker_http.h"
#include "docker_settings.h"

#define DOCKER_NETWORK_NAME_PREFIX "nomad_init_"
/* The pause container's label: the allocation's root-only run directory
 * (drover_network_request.state_dir). The dangling-container reaper leaves
 * the container alone while that directory exists, as it does for a task's
 * container with com.drover.alloc_dir. */
#define DOCKER_LABEL_NETWORK_DIR "com.drover.network_state_dir"

/* create_network and destroy_network (see driver.h). */
int docker_network_create(docker_client *c, const docker_settings *s,
                          const drover_network_request *req, drover_network_created *out,
                          drover_err *err);
int docker_network_destroy(docker_client *c, const drover_network_request *req,
                           const void *handle, size_t len, drover_err *err);

/* The group network a task joins: cfg->network when its mode is "bridge" or
 * "none" (and the host is new enough to tell), else NULL (the task has the
 * network its own config asks for, as before ABI 1.3). */
const drover_network *docker_network_of(const drover_task_config *cfg);

/* For a task joining a group network: refuses the task config fields that
 * cannot go with a shared namespace (network_mode, hostname, mac_address,
 * network_aliases, ipv4/ipv6_address; dns_* unless the group has a DNS
 * block, which replaces them; extra_hosts unless drover writes the task's
 * /etc/hosts, which then holds them: docker_hosts.h),
 * naming them, and writes the task's NetworkMode
 * "container:<pause id>" (the id from the network's handle, else the pause
 * container's name) into `mode`. */
int docker_network_task_mode(const drover_task_config *cfg, char *mode, size_t len,
                             drover_err *err);

/* Before a task joining a group network is created: its pause container must
 * be running, else the task is refused saying so (docker's own message names
 * neither the allocation nor what to do). */
int docker_network_check_joinable(docker_client *c, const drover_task_config *cfg,
                                  drover_err *err);

/* The handle (malloc'd) and its reading; decode refuses anything else. */
int docker_network_handle_encode(const char *container_id, void **data, size_t *len);
int docker_network_handle_decode(const void *data, size_t len, char *container_id,
                                 drover_err *err);

#endif
