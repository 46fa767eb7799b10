/* The /etc/hosts a task in a group network gets (Nomad's
 * drivers/shared/hostnames, which its docker driver binds at /etc/hosts when
 * the task shares the allocation's network namespace): localhost and the
 * usual IPv6 names, then "<address> <hostname>" for the allocation's own
 * address in the group network, then the task's extra_hosts (docker), as
 * "<IP> <host>".
 *
 * Nomad writes it only when the network has both an address and a host
 * name; without either the task keeps the hosts file it would have had. So
 * does drover: no file in mode "host" or "none" (no address), none when the
 * caller has no host name for the namespace.
 *
 * Unlike Nomad's (0644 in the allocation directory, bound read-write so that
 * the tasks of an allocation may edit it), drover's is written by root in
 * the task's root-only state directory (plugin_state_file.h), anew at every
 * start, and bound read-only: a task can plant nothing where root writes. */
#ifndef PLUGIN_HOSTS_H
#define PLUGIN_HOSTS_H

#include <drover/driver.h>

/* The file's name in the state directory. */
#define PLUGIN_HOSTS_NAME "hosts"

/* The allocation's address in its group network when the task is in one
 * that has an address (a mode other than "host" and "none", and a host of
 * ABI 1.3 that tells it), else NULL: then the task gets no hosts file. */
const char *plugin_hosts_address(const drover_task_config *cfg);

/* The text of the hosts file. `extra` (NULL-ended, may be NULL) holds
 * "host:IP" entries, split at the first ':' (so that IP may be IPv6), from
 * the task config field that `field` names in messages (docker: `docker
 * config "extra_hosts"`). Everything is checked
 * again, since it lands in a file every resolver of the task reads: the
 * address and each IP must parse as IPv4 or IPv6, the host name and each
 * host must be a host name (letters, digits, '-', '_', '.'; no blank, no
 * newline, no '#'); a bad one is refused naming the field and the entry.
 * *out is malloc()ed. */
int plugin_hosts_render(const char *address, const char *hostname, const char *const *extra,
                        const char *field, char **out, drover_err *err);

/* Renders the task's hosts file for plugin_hosts_address(cfg) and `hostname`
 * and writes it, 0644, as <state_dir>/hosts (plugin_state_file.h);
 * *path_out (malloc()ed) is the absolute path to bind read-only at
 * /etc/hosts. Call it only when plugin_hosts_address() is not NULL. */
int plugin_hosts_write(const drover_task_config *cfg, const char *hostname,
                       const char *const *extra, const char *field, char **path_out,
                       drover_err *err);

#endif
