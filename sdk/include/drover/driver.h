/* drover SDK: the task-driver plugin ABI, major 1.
 *
 * A driver is a shared object that exports exactly one symbol,
 * drover_driver_entry_v1, a function with no side effects returning a pointer to
 * a static const drover_driver descriptor. The host reads the descriptor before
 * it runs any other code of the plugin, refuses it when the major differs or the
 * minor is newer than its own, and treats methods beyond the descriptor's
 * struct_size as absent.
 *
 * Versioning
 *   A minor release only appends: new methods at the end of drover_driver, new
 *   services at the end of drover_host, new members at the end of the other
 *   size-prefixed structs. A changed meaning gets a new method, never a changed
 *   signature. Anything else is a new major, with a new entry symbol name.
 *
 * Errors
 *   Every fallible method returns 0 on success or a negative errno-style code
 *   (-EINVAL, -ENOENT, ...) and then fills `err->message` with a sentence the
 *   host shows to the user: what failed, on what, and what to do where there is
 *   something to do. A plugin never exits, aborts or writes to stdout/stderr: it
 *   logs through drover_host.log.
 *
 * Ownership
 *   Everything the host passes in (configs, values, strings) is owned by the host
 *   and valid only for the duration of the call. A drover_handle returned by
 *   start is allocated by the plugin with malloc() and freed by the host with
 *   free(). A drover_task belongs to the plugin until destroy succeeds.
 *
 * Threading
 *   init, set_config and fini are called once each, in that order, from one
 *   thread, with no other call of the same plugin in flight. Every other method
 *   may be called from any thread and concurrently with any other method, except
 *   that the host never makes two calls on the same drover_task at once and never
 *   calls anything on a task after destroy succeeded on it. A plugin that keeps
 *   state shared between tasks protects it itself.
 *
 * Waiting without a thread per task
 *   wait_fd gives the host a file descriptor that becomes readable (POLLIN) when
 *   the task may have exited; the host polls all of them from one thread and then
 *   calls wait with DROVER_WAIT_NOHANG. Several tasks may share one descriptor
 *   (for example one event stream for every container): the host then calls wait
 *   on each task that returned it.
 */
#ifndef DROVER_DRIVER_H
#define DROVER_DRIVER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <drover/schema.h>
#include <drover/value.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DROVER_ABI_MAJOR 1
#define DROVER_ABI_MINOR 3

/* The one symbol a plugin exports. The major is part of its name so that a
 * plugin of another major has no symbol this host looks for. */
#define DROVER_DRIVER_ENTRY_SYMBOL "drover_driver_entry_v1"

#if defined(__GNUC__)
#define DROVER_EXPORT __attribute__((visibility("default")))
#else
#define DROVER_EXPORT
#endif

/* ------------------------------------------------------------------ errors */

#define DROVER_ERR_MESSAGE_MAX 512

typedef struct drover_err {
	char message[DROVER_ERR_MESSAGE_MAX];
} drover_err;

/* Fill `err` (which may be NULL) and return `code`, so that a method can end with
 * `return drover_err_set(err, -EINVAL, "...", ...);`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int drover_err_set(drover_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ----------------------------------------------------------------- logging */

typedef enum drover_log_level {
	DROVER_LOG_ERROR = 0,
	DROVER_LOG_WARN = 1,
	DROVER_LOG_INFO = 2,
	DROVER_LOG_DEBUG = 3
} drover_log_level;

/* ------------------------------------------------------------ capabilities */

typedef enum drover_fs_isolation {
	DROVER_FS_ISOLATION_NONE = 0,
	DROVER_FS_ISOLATION_CHROOT = 1,
	DROVER_FS_ISOLATION_IMAGE = 2
} drover_fs_isolation;

/* Network isolation modes a driver supports, as a bit set. */
#define DROVER_NET_MODE_HOST (1u << 0)
#define DROVER_NET_MODE_GROUP (1u << 1)
#define DROVER_NET_MODE_TASK (1u << 2)
#define DROVER_NET_MODE_NONE (1u << 3)

typedef struct drover_capabilities {
	uint32_t struct_size;          /* set by the host */
	int send_signals;              /* signal() works */
	int exec;                      /* exec() works */
	drover_fs_isolation fs_isolation;
	uint32_t network_modes;        /* DROVER_NET_MODE_* */
	/* Since ABI 1.3. 1 when a group network namespace its tasks join must be
	 * made by this driver (create_network), not by the host: docker, whose
	 * containers can share only a namespace another container holds (Nomad's
	 * MustInitiateNetwork). */
	int must_initiate_network;
} drover_capabilities;

/* ------------------------------------------------------------- fingerprint */

typedef enum drover_health {
	DROVER_HEALTH_UNDETECTED = 0,
	DROVER_HEALTH_UNHEALTHY = 1,
	DROVER_HEALTH_HEALTHY = 2
} drover_health;

#define DROVER_HEALTH_DESCRIPTION_MAX 256

typedef struct drover_fingerprint {
	uint32_t struct_size; /* set by the host */
	drover_health health;
	char description[DROVER_HEALTH_DESCRIPTION_MAX];
	/* Set by the host: records the client attribute `key` (Nomad's spelling,
	 * "driver.<name>", "driver.<name>.version", ...). Callable only during the
	 * fingerprint call. */
	void *sink;
	void (*set_attribute)(void *sink, const char *key, const char *value);
} drover_fingerprint;

/* ------------------------------------------------------------------- tasks */

typedef struct drover_task drover_task; /* the plugin's own, opaque to the host */

/* What the host asks a driver to start, or to recover. */
/* Since ABI 1.2: one of the task's host volume mounts (Nomad's group
 * `Volumes` of type "host" joined to the task's `VolumeMounts`), resolved by the
 * host against the agent's `client.host_volume` declarations. */
typedef struct drover_mount {
	uint32_t struct_size;
	const char *volume;       /* the group volume's name (for messages) */
	const char *source;       /* the host directory the operator declared:
	                             trusted, absolute */
	const char *destination;  /* where the task sees it, from the job: NOT trusted;
	                             a driver resolves it beneath the task's root
	                             without following symlinks */
	int read_only;            /* 1 when the agent, the group volume or the mount says so */
	const char *propagation;  /* "private", "host-to-task" or "bidirectional" */
} drover_mount;

/* Since ABI 1.3: the task group's network (Nomad's group `network` block), as
 * the host set it up before the group's first task started. */
typedef struct drover_network {
	uint32_t struct_size;
	const char *mode;         /* "host", "bridge" or "none" */
	/* The allocation's network namespace, a path the driver can open and
	 * setns(2) into (a bind-mounted namespace file, or /proc/<pid>/ns/net of a
	 * driver's holder process); NULL in mode "host". Trusted: made by the host
	 * or by a driver's create_network. */
	const char *netns_path;
	/* The group network's DNS block, each NULL-ended; all three NULL when the
	 * block is absent (the task then keeps the resolv.conf it would have had).
	 * A driver writes them into the task's /etc/resolv.conf, in every mode. */
	const char *const *dns_servers;
	const char *const *dns_searches;
	const char *const *dns_options;
	const char *hostname;     /* the group network's Hostname, NULL when unset */
	/* What create_network returned (handle bytes), when the driver made the
	 * namespace; NULL/0 when the host did. */
	const void *created_handle;
	size_t created_handle_len;
	/* The allocation's address in the group network (Nomad's
	 * NetworkIsolationSpec.HostsConfig.Address), as text: what a driver
	 * writes into the task's /etc/hosts beside the hostname. NULL when the
	 * network has none (mode "host" or "none"). */
	const char *address;
} drover_network;

/* Since ABI 1.3: what create_network and destroy_network are asked about. */
typedef struct drover_network_request {
	uint32_t struct_size;
	const char *alloc_id;
	const char *job_id;
	const char *group_name;
	const char *mode;         /* "bridge" or "none" */
	const char *hostname;     /* NULL when unset */
	const char *state_dir;    /* root-only directory of the allocation (<data_dir>/run/<alloc>) */
} drover_network_request;

typedef struct drover_task_config {
	uint32_t struct_size;
	const char *id;           /* "<alloc_id>/<task_name>": unique among live tasks */
	const char *job_id;
	const char *job_name;
	const char *group_name;
	const char *task_name;
	const char *alloc_id;
	const char *alloc_name;   /* "<job>.<group>[<index>]" */
	int alloc_index;
	const char *alloc_dir;    /* the allocation directory: holds alloc/ and <task>/ */
	const char *task_dir;     /* <alloc_dir>/<task_name>: holds local/, secrets/, tmp/ */
	const char *log_dir;      /* <alloc_dir>/alloc/logs */
	const char *const *env;   /* the task's whole environment, "KEY=VALUE", NULL-ended */
	const drover_value *config; /* the task's `config` block: validated, defaults applied */
	const char *user;         /* the task's `User`, or NULL for the driver's default */
	long long cpu_mhz;        /* Resources.CPU */
	long long memory_mb;      /* Resources.MemoryMB */
	long long memory_max_mb;  /* Resources.MemoryMaxMB, 0 when unset */
	int kill_signal;          /* signal number, from KillSignal (default SIGINT) */
	long long kill_timeout_ms;/* from KillTimeout (default 5000) */
	unsigned log_max_files;   /* LogConfig.MaxFiles */
	unsigned long long log_max_file_size_mb; /* LogConfig.MaxFileSizeMB */
	/* Task events raised while start, recover or stop runs ("Downloading image",
	 * ...): callable only during those calls. */
	void *event_sink;
	void (*emit_event)(void *event_sink, const char *type, const char *message);
	/* Since ABI 1.2 (absent when struct_size does not cover it). A directory
	 * only the host's user can write (root-owned, 0700, outside every
	 * directory a task can see or write: <data_dir>/run/<alloc_id>/<task>),
	 * created by the host before start/recover, one per task, removed by
	 * `drover gc`. Give it as drover_spawn_request.state_dir: drover-shim
	 * keeps the task's exit status and pids there. A driver may keep its own
	 * files there too (create them with O_EXCL|O_NOFOLLOW). Never give a
	 * directory the task can write (task_dir, alloc_dir): the task could then
	 * forge the pids and exit status the host acts on. */
	const char *state_dir;
	/* Since ABI 1.2. 1 when the job set KillSignal; 0 when kill_signal holds
	 * the default (SIGINT), so that a driver with a default of its own uses it
	 * (docker: the image's STOPSIGNAL, as `docker stop` does). */
	int kill_signal_set;
	/* Since ABI 1.2. The task's host volume mounts, NULL-ended; NULL when
	 * none. A driver that cannot honour them refuses the start naming them. */
	const drover_mount *const *mounts;
	/* Since ABI 1.2. The labels of the task's own legacy ports (task-level
	 * Resources.Networks, as opposed to the group's Networks), NULL-ended;
	 * NULL when none. Their numbers are in env as NOMAD_HOST_PORT_<label>.
	 * Nomad's docker driver publishes every one of them. */
	const char *const *task_ports;
	/* Since ABI 1.3. The group's network (mode "host" when the group has no
	 * network block); never NULL from a 1.3 host. A driver that cannot honour the mode
	 * (see capabilities.network_modes) refuses the start naming it. */
	const drover_network *network;
} drover_task_config;

/* The opaque, versioned driver state that start returns and recover receives
 * after a restart of the host. The plugin allocates `data` with malloc(); the
 * host frees it. Put a version in the first bytes so that a newer plugin can
 * still read an older handle. */
typedef struct drover_handle {
	void *data;
	size_t len;
} drover_handle;

/* Since ABI 1.3: what create_network made. */
typedef struct drover_network_created {
	uint32_t struct_size;     /* set by the host */
	/* A path to the namespace the host can open (e.g. /proc/<pid>/ns/net),
	 * malloc()ed by the plugin, freed by the host. The host bind-mounts it
	 * to a path of its own, which is what tasks then get as netns_path. */
	char *netns_path;
	/* Plugin-owned bytes (e.g. the holder container's id), malloc()ed, freed
	 * by the host, kept in the state store and given back to destroy_network
	 * and to every task (drover_network.created_handle). */
	drover_handle handle;
} drover_network_created;

typedef struct drover_exit_result {
	uint32_t struct_size; /* set by the host */
	int exit_code;
	int signal;           /* terminating signal, 0 when the task exited */
	int oom_killed;
	long long exited_at_ms; /* wall clock, milliseconds since the epoch; 0 unknown */
	char error[256];      /* why the result is incomplete, if it is ("" otherwise) */
} drover_exit_result;

/* wait flags */
#define DROVER_WAIT_NOHANG 1

typedef enum drover_task_state {
	DROVER_TASK_UNKNOWN = 0,
	DROVER_TASK_RUNNING = 1,
	DROVER_TASK_EXITED = 2
} drover_task_state;

typedef struct drover_task_status {
	uint32_t struct_size; /* set by the host */
	drover_task_state state;
	int pid;              /* the task's main process on the host, 0 when none */
	long long started_at_ms;
	long long completed_at_ms;
	int exit_code;
	int signal;
	int oom_killed;
	char detail[256];     /* a driver-specific line: container id, ... */
} drover_task_status;

typedef struct drover_task_stats {
	uint32_t struct_size; /* set by the host */
	long long timestamp_ms;
	unsigned long long cpu_user_ns;
	unsigned long long cpu_system_ns;
	unsigned long long memory_rss_bytes;
	unsigned long long memory_usage_bytes;
	unsigned long long memory_max_usage_bytes;
	unsigned long long pids;
} drover_task_stats;

typedef struct drover_event {
	uint32_t struct_size;
	const char *type;
	const char *message;
	long long time_ms;
} drover_event;

typedef struct drover_exec_request {
	uint32_t struct_size;
	const char *const *argv;  /* NULL-ended; argv[0] is the command */
	const char *const *env;   /* extra "KEY=VALUE" on top of the task's, or NULL */
	int stdin_fd;             /* -1: /dev/null */
	int stdout_fd;
	int stderr_fd;
	long long timeout_ms;     /* 0: none */
	int tty;
} drover_exec_request;

/* ----------------------------------------------------- supervised processes
 *
 * drover-shim is the per-task supervisor the host offers drivers: it runs
 * detached from the host, holds the task's stdout and stderr and writes the
 * rotated log files, reaps the task and records its exit status in `state_dir`.
 * A driver keeps the drover_proc it is given in its handle and hands it back
 * to the proc_* services after a restart of the host.
 *
 * The state directory
 *   drover-shim keeps two files in the spawn request's state_dir, each
 *   replaced atomically (written to a temporary name created with
 *   O_EXCL|O_NOFOLLOW in the same directory, then renamed):
 *     pids         one line "<task_pid> <task_starttime> <shim_pid>
 *                  <shim_starttime>\n" (decimal; starttime is field 22 of
 *                  /proc/<pid>/stat, which tells a reused pid), written once
 *                  the task's exec succeeded and kept after its exit;
 *     exit-status  "exit_code=N\nsignal=N\noom_killed=N\nexited_at_ms=N\n",
 *                  written (and fsynced) when the task has exited.
 *   A stale exit-status is removed when a new shim starts. Read them only
 *   through the proc_* services (proc_find rebuilds a drover_proc from the
 *   pids file when a handle is lost).
 */
#define DROVER_PATH_MAX 4096

typedef struct drover_spawn_request {
	uint32_t struct_size;
	const char *const *argv;  /* NULL-ended; argv[0] is an absolute path, or a name
	                             looked up in the PATH of `env` */
	const char *const *env;   /* NULL-ended "KEY=VALUE" */
	const char *work_dir;     /* NULL: state_dir (which a task that changes
	                             its uid cannot enter: give one) */
	/* Where the shim records the task's files (see "The state directory"
	 * below): drover_task_config.state_dir. It must exist, be owned by the
	 * host's user and be writable by nobody else; spawn refuses any other. */
	const char *state_dir;
	const char *log_dir;
	const char *log_name;     /* files are <log_dir>/<log_name>.stdout.N / .stderr.N */
	unsigned log_max_files;
	unsigned long long log_max_file_size; /* bytes */
	int uid;                  /* -1: keep */
	int gid;                  /* -1: keep */
	/* NULL: the task stays in the shim's cgroups. Else a ":"-separated list of
	 * absolute cgroup directories ("/sys/fs/cgroup/memory/x:/sys/fs/cgroup/cpu/x",
	 * or one directory of a v2 hierarchy) that must exist: the task writes its
	 * pid into each one's cgroup.procs before it drops privileges and execs, so
	 * it runs its first instruction inside them and every child it forks is
	 * counted and limited there. The shim's own process stays outside; when the
	 * task exits the shim SIGKILLs what is left in them and records oom_killed=1
	 * when their memory.events / memory.oom_control oom_kill count grew. The
	 * driver creates, limits and removes the cgroups. */
	const char *cgroup;
	/* Since ABI 1.1. 0: inherited from the shim; 1..1000: written to the task's
	 * /proc/self/oom_score_adj before exec (Nomad's oom_score_adj). */
	int oom_score_adj;
} drover_spawn_request;

typedef struct drover_proc {
	uint32_t struct_size;
	int pid;                  /* the task; leader of its own process group */
	int shim_pid;
	unsigned long long pid_start_time;  /* /proc/<pid>/stat starttime: tells a reused pid */
	unsigned long long shim_start_time;
	long long started_at_ms;
	char state_dir[DROVER_PATH_MAX];
} drover_proc;

/* ----------------------------------------------------------- host services */

typedef struct drover_host {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	void *host_data; /* pass back as the first argument of every service */

	/* A line in the host's log, tagged with the driver's name. */
	void (*log)(void *host_data, drover_log_level level, const char *message);

	/* A value of the agent config by dotted path ("client.chroot_env", "data_dir"),
	 * or NULL when absent. Valid until fini. */
	const drover_value *(*agent_config)(void *host_data, const char *path);

	/* Start argv under a new drover-shim. On success `out` describes the running
	 * task; on failure nothing is left running. */
	int (*proc_spawn)(void *host_data, const drover_spawn_request *req, drover_proc *out,
	                  drover_err *err);
	/* A descriptor (the caller closes it) that becomes readable when the
	 * supervised task has exited and its status is recorded; -ESRCH when that has
	 * already happened. */
	int (*proc_wait_fd)(void *host_data, const drover_proc *proc, drover_err *err);
	/* 0 and `res` filled when the task has exited, -EAGAIN while it runs. */
	int (*proc_status)(void *host_data, const drover_proc *proc, drover_exit_result *res,
	                   drover_err *err);
	/* Send `signo` to the task, or to its whole process group when `group`. */
	int (*proc_signal)(void *host_data, const drover_proc *proc, int signo, int group,
	                   drover_err *err);
	/* Send `signo`, wait up to timeout_ms for the exit, then SIGKILL the whole
	 * process group; returns when the exit status is recorded. */
	int (*proc_stop)(void *host_data, const drover_proc *proc, int signo, long long timeout_ms,
	                 drover_err *err);
	/* Since ABI 1.2 (NULL in an older host: check struct_size). Rebuilds the
	 * drover_proc of the task last spawned with `state_dir` from the shim's
	 * pids file (see "The state directory"), for a driver whose handle is lost
	 * or damaged and that must kill what is left (recover's contract):
	 * started_at_ms is the time the file was written. The other proc_*
	 * services check start times, so a stale file names nothing they would
	 * act on. 0; -ENOENT when no task was ever started there; -EBADMSG when the
	 * file is damaged; -EINVAL for a state_dir that is not an absolute path.
	 * No side effects: callable from recover. */
	int (*proc_find)(void *host_data, const char *state_dir, drover_proc *out, drover_err *err);
} drover_host;

/* -------------------------------------------------------------- descriptor */

typedef void (*drover_event_fn)(void *sink, const drover_event *event);

typedef struct drover_driver {
	/* These three never move, in any major. */
	uint32_t struct_size; /* sizeof(drover_driver) as the plugin was built */
	uint16_t abi_major;   /* DROVER_ABI_MAJOR as the plugin was built */
	uint16_t abi_minor;   /* DROVER_ABI_MINOR as the plugin was built */

	const char *name;        /* the `Driver` of job files: [a-z0-9_]+ */
	const char *version;
	const char *description;

	/* Schemas as data (see schema.h); NULL: no fields accepted. */
	const drover_field *plugin_schema;
	const drover_field *task_schema;

	/* Required. `host` stays valid until fini. */
	int (*init)(const drover_host *host, void **ctx, drover_err *err);
	/* Required. Releases everything; tasks keep running. */
	void (*fini)(void *ctx);
	/* Optional. The plugin options (agent config `plugin.<name>.config`),
	 * validated against plugin_schema with defaults applied. Called once after init,
	 * also when the operator gave no options. */
	int (*set_config)(void *ctx, const drover_value *config, drover_err *err);
	/* Optional: NULL means no signals, no exec, no isolation, host network. */
	int (*capabilities)(void *ctx, drover_capabilities *out);
	/* Required. Health, description and attributes. */
	int (*fingerprint)(void *ctx, drover_fingerprint *out, drover_err *err);

	/* Required. On failure nothing is left running and *task is untouched. */
	int (*start)(void *ctx, const drover_task_config *cfg, drover_task **task,
	             drover_handle *handle, drover_err *err);
	/* Required. Re-attaches to a task started by an earlier host process.
	 * `handle` may be damaged, truncated or NULL (a corrupt state row); `cfg`
	 * is always the task's full config (task_dir, alloc_id, task_name...), so
	 * the driver can find the task's remains without the handle. A failing
	 * recover leaves nothing of the task running: whatever is left of it
	 * (found through its cgroup, pid files, container labels...) is killed
	 * first, and the message says so, so that the host may start the task again
	 * without ever making two copies. */
	int (*recover)(void *ctx, const drover_task_config *cfg, const void *handle, size_t len,
	               drover_task **task, drover_err *err);
	/* Required. See "Waiting without a thread per task" above; -ESRCH when the
	 * task has already exited (call wait). */
	int (*wait_fd)(void *ctx, drover_task *task, drover_err *err);
	/* Required. With DROVER_WAIT_NOHANG returns -EAGAIN while the task runs;
	 * without it, blocks until the task exits. */
	int (*wait)(void *ctx, drover_task *task, int flags, drover_exit_result *res,
	            drover_err *err);
	/* Required. Send `signo`, wait up to timeout_ms, then kill everything of the
	 * task. Returns when the task has exited. */
	int (*stop)(void *ctx, drover_task *task, int signo, long long timeout_ms, drover_err *err);
	/* Required. Frees the task; -EBUSY for a running task unless `force`, which
	 * kills it first. */
	int (*destroy)(void *ctx, drover_task *task, int force, drover_err *err);

	/* Optional. */
	int (*inspect)(void *ctx, drover_task *task, drover_task_status *out, drover_err *err);
	int (*stats)(void *ctx, drover_task *task, drover_task_stats *out, drover_err *err);
	/* Hands the task's pending driver events to `emit`, oldest first. */
	int (*events)(void *ctx, drover_task *task, drover_event_fn emit, void *sink,
	              drover_err *err);
	int (*signal)(void *ctx, drover_task *task, int signo, drover_err *err);
	/* Runs a command inside the task's isolation; *exit_code set on success. */
	int (*exec)(void *ctx, drover_task *task, const drover_exec_request *req, int *exit_code,
	            drover_err *err);
	/* Background work (image GC, reapers) the long-running agent calls every few
	 * seconds. */
	int (*periodic)(void *ctx, drover_err *err);

	/* Since ABI 1.3, optional: required with capabilities.must_initiate_network.
	 * Makes the allocation's network namespace (docker: a pause container of
	 * `infra_image` holding it) before any task of the group starts; the host
	 * then runs CNI in it. Idempotent per alloc_id: a namespace that already
	 * exists for the allocation is returned again. On failure nothing is left. */
	int (*create_network)(void *ctx, const drover_network_request *req,
	                      drover_network_created *out, drover_err *err);
	/* Since ABI 1.3, optional: removes what create_network made; `handle` may
	 * be NULL (damaged state): the driver then finds it by alloc_id. 0 when
	 * there was nothing left. */
	int (*destroy_network)(void *ctx, const drover_network_request *req, const void *handle,
	                       size_t len, drover_err *err);
} drover_driver;

/* The entry point every plugin defines, once:
 *
 *   DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void) { return &my_driver; }
 */
typedef const drover_driver *(*drover_driver_entry_fn)(void);
DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* DROVER_DRIVER_H */
