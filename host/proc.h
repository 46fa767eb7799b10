/* The host side of drover-shim: the proc_* host services of drover/driver.h.
 *
 * Protocol between host and shim (the shim side is host/shim/):
 *   Command line: drover-shim --state-dir DIR --log-dir DIR --log-name NAME
 *   --log-max-files N --log-max-size BYTES [--work-dir DIR] [--uid N] [--gid N]
 *   [--cgroup DIR[:DIR...]] [--oom-score-adj N] -- ARGV... The shim's own
 *   environment is the task's, passed on unchanged; argv[0] without a slash
 *   is looked up in its PATH.
 *
 *   Detaching: the host clones a helper with CLONE_VM | CLONE_VFORK (no copy
 *   of its page tables) and every signal blocked; the helper clones the shim
 *   child the same way and exits once that child exec'd or died, so the shim
 *   is never the host's child and the host resumes only after the exec. The
 *   shim child calls setsid() (the shim leads its own session), puts /dev/null
 *   on fds 0-2 and the write end of the report pipe on fd 3, closes every
 *   other fd and execs the shim with every signal still blocked. A failed
 *   clone or exec is handed back through memory shared with the host.
 *
 *   The shim sets its signal mask (SIGCHLD blocked, for its signalfd, and
 *   nothing else), becomes a child subreaper, ignores SIGHUP/SIGINT/SIGPIPE/SIGTERM,
 *   removes a stale <state_dir>/exit-status, opens the log files, forks the
 *   task as the leader of a new process group (stdin /dev/null, stdout/stderr
 *   pipes to the shim, no other fd). Before it execs, the task child writes
 *   --oom-score-adj to /proc/self/oom_score_adj and its pid into the
 *   cgroup.procs of every --cgroup directory, then drops to --gid/--uid.
 *   The state directory must be one only the host's user can write (spawn
 *   refuses another: drover_task_config.state_dir, <data_dir>/run/<alloc>/<task>);
 *   the shim opens it once (O_DIRECTORY|O_NOFOLLOW) and creates, renames and
 *   removes its files only relative to that descriptor, each temporary file
 *   with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; the host reads them relative
 *   to the directory with O_NOFOLLOW|O_NONBLOCK, regular files only.
 *   Once the task's exec succeeded, the shim writes <state_dir>/pids
 *   atomically (temporary file, rename) as one line
 *   "<task_pid> <task_starttime> <shim_pid> <shim_starttime>\n", so that a
 *   host whose handle for the task is lost or damaged can still find, check
 *   (start times) and kill what is left of it; the file stays after the exit.
 *   The shim writes to fd 3 one line, then closes it:
 *     "ok <task_pid> <task_starttime> <shim_pid> <shim_starttime>
"  (starttime:
 *       /proc/<pid>/stat field 22), sent once the task's exec succeeded; or
 *     "error <errno> <message>
" when the start failed (bad option, log file,
 *       chdir, credentials, exec: "cannot run \"cmd\": No such file or
 *       directory"); the shim then exits 127 without an exit status and
 *       nothing of the task is left.
 *   The host waits at most 10 s for the line.
 *
 *   When the task exits the shim drains the pipes, SIGKILLs what is left of the
 *   task's process group, every other child of its own (orphans reparented
 *   to it) and every member of the --cgroup directories, reaps them all, sets
 *   oom_killed=1 when the oom_kill count of their memory.events (v2) or
 *   memory.oom_control (v1) grew while the task ran, writes <state_dir>/exit-status atomically (write to
 *   a temporary file, fsync, rename, fsync the directory) as
 *   "exit_code=N\nsignal=N\noom_killed=N\nexited_at_ms=N\n" and exits 0. A task
 *   killed by signal S has signal=S and exit_code=128+S, as Nomad reports it.
 *   A shim that is gone (its pid no longer has its start time, or is a zombie)
 *   without that file died without recording a status.
 *
 *   Logs: with --stdout-fifo PATH --stderr-fifo PATH (host-internal, from
 *   drover_proc_spawn_ex) each stream goes unchanged to that FIFO, opened
 *   O_NOFOLLOW, FIFOs only (host/shim/shim_fifo.h); otherwise to
 *   <log_dir>/<log_name>.stdout.N and .stderr.N, continuing at the
 *   highest N present; a file never passes --log-max-size, a line that fits
 *   in one file is never split, and at most --log-max-files files are kept.
 */
#ifndef DROVER_HOST_PROC_H
#define DROVER_HOST_PROC_H

#include <drover/driver.h>

/* Where drover-shim is: the DROVER_SHIM environment variable, else the path
 * given to drover_proc_set_shim_path, else the installed
 * $(pkglibexecdir)/drover-shim. */
void drover_proc_set_shim_path(const char *path);
const char *drover_proc_shim_path(void);

/* Called by drover_proc_spawn once the shim exec'd, before it reports on the
 * task: the state store records the shim of the start under way. */
typedef void (*drover_proc_spawn_hook)(const char *state_dir, int shim_pid,
                                       unsigned long long shim_start);
void drover_proc_set_spawn_hook(drover_proc_spawn_hook hook);

int drover_proc_spawn(void *host_data, const drover_spawn_request *req, drover_proc *out,
                      drover_err *err);
/* Host-internal (not in the SDK): where the task's output goes instead of
 * drover's rotated log files. drover-nomad-driver passes Nomad's
 * TaskConfig.stdout_path/stderr_path, FIFOs read by Nomad's log collector;
 * the shim gets them as --stdout-fifo/--stderr-fifo (see shim_fifo.h). Both
 * or neither. */
typedef struct drover_proc_spawn_opts {
	const char *stdout_fifo;
	const char *stderr_fifo;
} drover_proc_spawn_opts;
int drover_proc_spawn_ex(void *host_data, const drover_spawn_request *req,
                         const drover_proc_spawn_opts *opts, drover_proc *out, drover_err *err);
int drover_proc_wait_fd(void *host_data, const drover_proc *proc, drover_err *err);
int drover_proc_status(void *host_data, const drover_proc *proc, drover_exit_result *res,
                       drover_err *err);
int drover_proc_signal(void *host_data, const drover_proc *proc, int signo, int group,
                       drover_err *err);
int drover_proc_stop(void *host_data, const drover_proc *proc, int signo, long long timeout_ms,
                     drover_err *err);
int drover_proc_find(void *host_data, const char *state_dir, drover_proc *out, drover_err *err);

/* /proc/<pid>/stat field 22 (starttime), 0 when the process does not exist. */
unsigned long long drover_proc_start_time(int pid);
/* `pid` still has `start_time` (not a reused pid) and is not a zombie. */
int drover_proc_alive(int pid, unsigned long long start_time);

#endif
