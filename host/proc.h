/* The host side of drover-shim: the proc_* host services of drover/driver.h.
 *
 * Protocol between host and shim (the shim side is host/shim/):
 *   drover-shim is started with its parameters on the command line and the
 *   task's argv after "--". It detaches (own session, not the host's child),
 *   forks the task as the leader of a new process group, and writes to fd 3
 *   one line: "ok <task_pid> <task_starttime> <shim_pid> <shim_starttime>\n" or
 *   "error <message>\n" (for example when exec failed), then closes it.
 *   When the task exits the shim drains the pipes, kills what is left of the
 *   task's process group, writes <state_dir>/exit-status atomically (write to a
 *   temporary file, fsync, rename) as "exit_code=N\nsignal=N\noom_killed=N\n
 *   exited_at_ms=N\n" and exits.
 */
#ifndef DROVER_HOST_PROC_H
#define DROVER_HOST_PROC_H

#include <drover/driver.h>

/* Where drover-shim is: set once at start-up (DROVER_SHIM env var, else the
 * configured libexecdir path, else next to the running binary for the build tree). */
void drover_proc_set_shim_path(const char *path);
const char *drover_proc_shim_path(void);

int drover_proc_spawn(void *host_data, const drover_spawn_request *req, drover_proc *out,
                      drover_err *err);
int drover_proc_wait_fd(void *host_data, const drover_proc *proc, drover_err *err);
int drover_proc_status(void *host_data, const drover_proc *proc, drover_exit_result *res,
                       drover_err *err);
int drover_proc_signal(void *host_data, const drover_proc *proc, int signo, int group,
                       drover_err *err);
int drover_proc_stop(void *host_data, const drover_proc *proc, int signo, long long timeout_ms,
                     drover_err *err);

/* /proc/<pid>/stat field 22 (starttime), 0 when the process does not exist. */
unsigned long long drover_proc_start_time(int pid);

#endif
