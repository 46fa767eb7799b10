/* The group network's DNS block and Hostname for an exec task: the plugin's
 * half. At each start it writes the task's resolv.conf into the task's state
 * directory (plugin_resolv.h) and tells drover-exec-init, through its argv,
 * to bind it read-only at /etc/resolv.conf in the task's root
 * (--resolv-conf=PATH), to give the task a UTS namespace of its own with
 * the group's host name (--hostname=NAME) and, in a group network with an
 * address (mode bridge), to bind the hosts file that maps that name to the
 * address read-only at /etc/hosts (plugin_hosts.h, --hosts=PATH).
 * exec_init_dns.c is the other half. */
#ifndef EXEC_DNS_H
#define EXEC_DNS_H

#include <drover/driver.h>

/* Adds what `cfg`'s group network asks for to the NULL-ended, malloc()ed
 * drover-exec-init argv *run_argv (before its "--"), writing the resolv.conf
 * first; leaves the argv as it is when the group has no DNS block and no
 * host name for the task. The Hostname is the network namespace's (Nomad:
 * "the hostname assigned to the network namespace"): honoured when the task
 * joins a group namespace (mode bridge or none), not in host mode, where the
 * task shares the host's network and its name. The hosts file goes with
 * the name: without a Hostname the task keeps its root's /etc/hosts, as
 * Nomad writes none without one. */
int exec_dns_prepare(const drover_task_config *cfg, char ***run_argv, drover_err *err);

#endif
