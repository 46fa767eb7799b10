/* The cgroup of a raw_exec or exec task, as Nomad's drivers keep one when they
 * run as root: to enforce MemoryMB / MemoryMaxMB and CPU shares, to kill the whole
 * process tree on stop however it detached itself, and to report statistics.
 *
 * Where the hierarchies are mounted is asked of libcgroup (cgroup_init,
 * cgroup_get_subsys_mount_point) once per process, not on every task start;
 * the cgroups themselves are plain directories
 * and files of cgroupfs and are handled as such, so that the same code runs
 * against a directory tree imitating cgroupfs (DROVER_CGROUP_ROOT, for tests).
 *
 * Layout:
 *   v1: <mount of C>/drover/<alloc_id>.<task> for C in memory, cpu, cpuacct,
 *       pids, freezer (those that are mounted)
 *   v2: <root>/drover.slice/<alloc_id>.<task>.scope
 * The task joins them before its first instruction: drover-shim's task child
 * writes its pid into each directory's cgroup.procs (drover_spawn_request.cgroup).
 */
#ifndef PLUGIN_CGROUP_H
#define PLUGIN_CGROUP_H

#include <drover/driver.h>

#define PLUGIN_CGROUP_MAX_DIRS 8

typedef struct plugin_cgroup {
	int version;          /* 1 or 2; 0: the task has no cgroup */
	int managed;          /* created by us: limits written, removed on destroy */
	int devices;          /* plugin_cgroup_plan_devices: the device allow list applies */
	size_t n;
	struct {
		char controller[32]; /* v1: "memory", ...; v2: "" */
		char *path;
	} dirs[PLUGIN_CGROUP_MAX_DIRS];
} plugin_cgroup;

/* The override of the cgroupfs root (tests): a directory holding
 * cgroup.controllers is taken as a v2 hierarchy, any other as a v1 one with a
 * directory per controller. NULL: ask libcgroup. */
#define PLUGIN_CGROUP_ROOT_ENV "DROVER_CGROUP_ROOT"

/* Decides the task's cgroup directories. v1_override (string map
 * controller -> path) and v2_override (path) are the task's or the plugin's
 * cgroup_v1_override / cgroup_v2_override: the task then joins those existing
 * cgroups and drover neither creates, limits nor removes them. Relative
 * override paths are relative to the hierarchy's root. With no hierarchy
 * found, cg->version stays 0 and 0 is returned. */
int plugin_cgroup_plan(plugin_cgroup *cg, const char *alloc_id, const char *task_name,
                        const drover_value *v1_override, const char *v2_override,
                        drover_err *err);

/* The task's devices are restricted to plugin_devices.h's allow list (exec;
 * not raw_exec, which isolates nothing). Call after plugin_cgroup_plan, for
 * start and recover alike: on v1 it adds the task's devices cgroup
 * (<mount of devices>/drover/<alloc_id>.<task>) to the directories the task
 * joins and removes; on v2 the task's one cgroup gets the program.
 * plugin_cgroup_create then applies the list. Nothing for a cgroup drover
 * does not manage, nor on v1 without a devices hierarchy (returns 0). */
int plugin_cgroup_plan_devices(plugin_cgroup *cg, drover_err *err);

/* Creates the managed directories and writes the limits: memory hard limit
 * MemoryMaxMB when set (else MemoryMB), soft limit MemoryMB only when
 * MemoryMaxMB is set (v1 memory.soft_limit_in_bytes, v2 memory.low), as
 * Nomad's executor does; CPU shares (v1 cpu.shares, v2
 * cpu.weight converted as runc does), pids.max when pids_max > 0, and the
 * device allow list when planned (plugin_cgroup_plan_devices). Checks that
 * override directories exist. */
int plugin_cgroup_create(plugin_cgroup *cg, long long cpu_mhz, long long memory_mb,
                         long long memory_max_mb, long long pids_max, drover_err *err);

/* "dir1:dir2:..." for drover_spawn_request.cgroup; malloc()ed, NULL when none
 * (or out of memory, with -ENOMEM in *rc). */
char *plugin_cgroup_join_list(const plugin_cgroup *cg, int *rc);

/* Kills every process in the task's cgroups (v2 cgroup.kill when there is one,
 * else freeze, SIGKILL each member, thaw) and waits up to timeout_ms for them to
 * be gone. */
int plugin_cgroup_kill(const plugin_cgroup *cg, long long timeout_ms, drover_err *err);

/* CPU, memory and process count of the cgroup; -ENOENT when the files are not
 * there (the caller falls back to /proc). */
int plugin_cgroup_stats(const plugin_cgroup *cg, drover_task_stats *s, drover_err *err);

/* Whether a cgroup hierarchy is mounted with the `favordynmods` option
 * (Linux 6.0+), read from /proc/self/mountinfo: 1 when one is, 0 when cgroups
 * are mounted without it, -1 when none is mounted or the table is unreadable.
 * The kernel applies the option to the one lock every `cgroup.procs` write and
 * every cgroup migration takes, whichever hierarchy carries it: with it, moving
 * a task's first process into its cgroups never waits for an RCU grace period
 * (the cost is paid by fork and exit instead). Read on every call, so that an
 * operator's remount is seen at the next fingerprint. */
int plugin_cgroup_favordynmods(void);

/* Removes the managed directories (an override is left alone). */
int plugin_cgroup_remove(plugin_cgroup *cg, drover_err *err);

void plugin_cgroup_free(plugin_cgroup *cg);

#endif
