/* The group network's DNS block for a docker task. As Nomad's docker driver
 * does, drover then writes the resolv.conf itself (plugin_resolv.h, in the
 * task's root-only state directory) and binds it read-only at
 * /etc/resolv.conf, in every network mode: Docker refuses its own Dns,
 * DnsSearch and DnsOptions for a container that joins another's network
 * (`container:<pause>`, the group's namespace), and one path gives the same
 * file in host and bridge mode. The task config's dns_servers,
 * dns_search_domains and dns_options are then not used (Nomad: "Docker
 * driver dns options are not compatible with task dns options"); without a
 * DNS block they go to HostConfig as before. */
#ifndef DOCKER_DNS_H
#define DOCKER_DNS_H

#include <drover/driver.h>

/* 1 when the group has a DNS block: the container's resolv.conf is drover's. */
int docker_dns_managed(const drover_task_config *cfg);

/* With a DNS block: writes the task's resolv.conf and sets *line to the
 * Binds entry "<state_dir>/resolv.conf:/etc/resolv.conf:ro[,<selinux label>]"
 * (malloc()ed). Without one: *line = NULL. `label` is the plugin's
 * volumes.selinuxlabel, or NULL. */
int docker_dns_bind(const drover_task_config *cfg, const char *label, char **line,
                    drover_err *err);

#endif
