/* A file a driver writes, as root, into the task's state directory
 * (drover_task_config.state_dir: root-owned, 0700, per task, out of every
 * task's reach) for the task to read through a read-only bind: the
 * resolv.conf of the group's DNS block (plugin_resolv.h), the hosts file of
 * its network (plugin_hosts.h). Never the task or allocation directory,
 * where a task could plant a symlink under the name between two starts and
 * have root write through it. */
#ifndef PLUGIN_STATE_FILE_H
#define PLUGIN_STATE_FILE_H

#include <drover/driver.h>

/* Writes `text` as <state_dir>/<name>, 0644 whatever the umask (a task of
 * any user reads it through the bind, whatever the mode of the directory):
 * relative to the state directory opened O_DIRECTORY|O_NOFOLLOW and
 * refused unless it belongs to this process's user and no one else may
 * write it; through a temporary ".<name>.tmp" made
 * O_CREAT|O_EXCL|O_NOFOLLOW and renamed over the name, so that a task still
 * reading the previous one (a restart) never sees half a file. *path_out
 * (malloc()ed) is the absolute path to bind. `why` says what needs the file
 * in the message when the host gave no state directory ("the group
 * network's DNS block"). */
int plugin_state_file_write(const drover_task_config *cfg, const char *name, const char *text,
                            const char *why, char **path_out, drover_err *err);

#endif
