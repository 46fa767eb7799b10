/* The /etc/hosts of a docker task in a group network (mode "bridge"), as
 * Nomad's docker driver makes it (drivers/shared/hostnames): the task joins
 * the pause container's namespace ("container:<pause>"), where Docker would
 * give it the pause container's hosts file, made for NetworkMode "none"
 * before CNI gave the namespace its address, and would refuse ExtraHosts.
 * drover writes a hosts file of its own instead (plugin_hosts.h, in the
 * task's root-only state directory): localhost, "<address> <hostname>" of
 * the allocation, then the task's extra_hosts, and binds it read-only at
 * /etc/hosts; extra_hosts then goes into the file and not to Docker.
 *
 * The host name is the group network's Hostname, else the pause container's
 * (Docker names it by the first 12 digits of its id, which is what Nomad
 * writes too). Without an address (mode "none") the task keeps the pause
 * container's hosts file, and extra_hosts is refused (docker_network.c). In
 * host mode nothing changes: extra_hosts goes to Docker's ExtraHosts. */
#ifndef DOCKER_HOSTS_H
#define DOCKER_HOSTS_H

#include <drover/driver.h>

/* 1 when the task gets drover's /etc/hosts (a group network with an address
 * and a host name). */
int docker_hosts_managed(const drover_task_config *cfg);

/* When managed: validates extra_hosts (refused naming the field and the
 * entry), writes the task's hosts file and sets *line to the Binds entry
 * "<state_dir>/hosts:/etc/hosts:ro[,<selinux label>]" (malloc()ed).
 * Otherwise *line = NULL. `label` is the plugin's volumes.selinuxlabel, or
 * NULL. */
int docker_hosts_bind(const drover_task_config *cfg, const char *label, char **line,
                      drover_err *err);

#endif
