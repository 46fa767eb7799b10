/* Finding what is left of a task whose handle is lost or damaged: the pids
 * file drover-shim writes into the task's state directory (see host/proc.h)
 * names the task and the shim, with their start times so that a reused pid is
 * never mistaken for them. */
#ifndef PLUGIN_LEFTOVERS_H
#define PLUGIN_LEFTOVERS_H

#include <drover/driver.h>

#define PLUGIN_PIDS_FILE "pids"

/* Reads <state_dir>/pids into *proc (state_dir included): 0, -ENOENT when
 * there is none, -EINVAL when it is damaged. */
int plugin_leftovers_read(const char *state_dir, drover_proc *proc);

/* SIGKILLs the task's process group when the task is still the recorded
 * process; 1 when something was killed, 0 when nothing of it was left. */
int plugin_leftovers_kill_task(const drover_proc *proc);

#endif
