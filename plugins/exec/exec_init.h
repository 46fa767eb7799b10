/* drover-exec-init: the helper the exec driver runs as each task's argv under
 * drover-shim (which has already put it in the task's cgroups). It is not
 * setuid: it runs as root because the shim does, builds the task's isolation
 * and execs the task's command with what is left of its privileges.
 *
 *   drover-exec-init run  --root TASK_DIR --alloc ALLOC_DIR [--bind SRC=DST]...
 *                         [--volume-ro SRC=DST] [--volume-rw SRC=DST]...
 *                         [--pid-ns] [--ipc-ns] [--no-pivot-root] [--netns PATH]
 *                         COMMON -- CMD ARGS...
 *   drover-exec-init join --pid PID COMMON -- CMD ARGS...
 *   COMMON: --uid N --gid N [--groups G,G...] [--caps N,N...] [--work-dir DIR]
 *
 * run: new mount namespace (and PID / IPC namespaces when asked), fork; the
 * child (pid 1 of the new PID namespace) builds the root in TASK_DIR and, with
 * a PID namespace, forks the command and reaps orphans while it runs. The
 * helper stays the shim's child, forwards signals and exits as the command did.
 * --netns: the allocation's network namespace (group network mode bridge or
 * none), entered first (exec_netns.c).
 * join: enters the namespaces and root of the process PID (the task's pid 1),
 * for the driver's exec method.
 *
 * run also takes --resolv-conf FILE (bound read-only at the root's
 * /etc/resolv.conf), --hosts FILE (bound read-only at the root's /etc/hosts)
 * and --hostname NAME (a UTS namespace of the task's own with that name):
 * the group network's DNS block, hosts file and Hostname (exec_init_dns.c).
 *
 * Failures are written to stderr (the task's stderr log) and end the helper
 * with status 127. */
#ifndef EXEC_INIT_H
#define EXEC_INIT_H

#include <sys/types.h>

#define EXEC_INIT_MAX_BINDS 64
#define EXEC_INIT_MAX_GROUPS 64
#define EXEC_INIT_MAX_CAPS 64

typedef struct exec_init_opts {
	int join;                 /* mode */
	pid_t join_pid;
	const char *root;         /* the task directory */
	const char *alloc;        /* the allocation directory: holds alloc/ */
	size_t nbinds;
	struct {
		const char *src, *dst;
	} binds[EXEC_INIT_MAX_BINDS];
	size_t nvolumes;          /* host volumes: SRC the operator's, DST the job's */
	struct {
		const char *src, *dst;
		int read_only;
	} volumes[EXEC_INIT_MAX_BINDS];
	int pid_ns, ipc_ns, no_pivot_root;
	const char *netns;        /* the allocation's network namespace, or NULL */
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[EXEC_INIT_MAX_GROUPS];
	size_t ncaps;
	int caps[EXEC_INIT_MAX_CAPS];
	const char *work_dir;     /* inside the root; NULL: "/" */
	char **argv;
	const char *resolv_conf;  /* bound at /etc/resolv.conf; NULL: the root's own */
	const char *hosts;        /* bound at /etc/hosts; NULL: the root's own */
	const char *hostname;     /* a UTS namespace with this name; NULL: the host's */
} exec_init_opts;

/* Prints "drover-exec-init: <what>: <strerror(e)>" and exits 127. */
void exec_init_die(int e, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* setns(2) into the network namespace at `path` (NULL: stays). */
void exec_netns_enter(const char *path);

/* In the task's new mount namespace: drops its copies of the host's
 * pinned network namespaces (/run/netns). */
void exec_netns_drop_pins(void);

/* Builds the task's root under o->root and makes it the process's root
 * (pivot_root, or chroot with no_pivot_root). In the new mount namespace. */
void exec_init_fs_build(const exec_init_opts *o);

/* Drops to the task's user, groups and capabilities, sets no_new_privs, loads
 * the seccomp filter, closes every descriptor above 2 and execs o->argv. */
void exec_init_become_task(const exec_init_opts *o) __attribute__((noreturn));

/* exec_init_dns.c: the group network's host name (a UTS namespace of the
 * task's own, before the others are made), its resolv.conf and hosts file
 * (bound in the root being built, `rootfd`) and, for join, the task's UTS
 * namespace. */
void exec_init_dns_uts(const exec_init_opts *o);
void exec_init_dns_bind(const exec_init_opts *o, int rootfd);
void exec_init_dns_join_uts(pid_t pid);

#endif
