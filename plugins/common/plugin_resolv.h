/* The resolv.conf a task gets from its group network's DNS block (Nomad's
 * `network { dns { servers searches options } }`), as Nomad's
 * drivers/shared/resolvconf makes it: a list the block gives replaces the
 * host's, a list it leaves empty is the host's (/etc/resolv.conf), and a block
 * that lists nothing gives a copy of the host's file.
 *
 * The file is written by root, so it is kept where no task can reach: the
 * task's state directory (drover_task_config.state_dir, root-owned, 0700),
 * never the task or allocation directory, where a task could plant a symlink
 * under the name between two starts and have root write through it. The
 * file itself is 0644: a driver bind-mounts it read-only at /etc/resolv.conf
 * of the task (exec) or container (docker), where a task of any user reads
 * it through the mount whatever the mode of the directory it lives in. */
#ifndef PLUGIN_RESOLV_H
#define PLUGIN_RESOLV_H

#include <stddef.h>

#include <drover/driver.h>

/* The file's name in the state directory. */
#define PLUGIN_RESOLV_NAME "resolv.conf"

/* 1 when the task's group network has a DNS block (the task then gets a
 * resolv.conf of drover's), 0 when it keeps the resolv.conf it would have had. */
int plugin_resolv_wanted(const drover_task_config *cfg);

/* The text of the resolv.conf for `net`'s DNS block, with the host's
 * resolv.conf read from `host_path` (NULL: /etc/resolv.conf; a missing file
 * counts as an empty one) for what the block leaves out. "search" line first,
 * then one "nameserver" line per server, then "options", as Docker writes it.
 * Every entry is checked again (the job file is not trusted and a driver may
 * be run by another host): one word of printable characters, a server an IP
 * address; a bad one is refused naming it. *out is malloc()ed. */
int plugin_resolv_render(const drover_network *net, const char *host_path, char **out,
                         drover_err *err);

/* Renders the task's resolv.conf and writes it, 0644, as
 * <state_dir>/resolv.conf (plugin_state_file.h: a temporary file made
 * O_CREAT|O_EXCL|O_NOFOLLOW in the state directory, refused unless no one
 * else may write it, renamed over the name). *path_out (malloc()ed) is the
 * absolute path to bind. Call it only when plugin_resolv_wanted(). */
int plugin_resolv_write(const drover_task_config *cfg, char **path_out, drover_err *err);

#endif
