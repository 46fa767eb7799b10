/* A task's environment, as Nomad builds it: the host's environment less the
 * secrets it must not leak, the NOMAD_* variables, NOMAD_META_*, the port
 * variables (NOMAD_PORT_<label>, ... see ports.h), then the task's Env (which
 * wins), its values interpolated (interpolate.h) against everything before. */
#ifndef DROVER_HOST_TASKENV_H
#define DROVER_HOST_TASKENV_H

#include <drover/driver.h>

#include "allocdir.h"
#include "jobspec.h"
#include "nodeinfo.h"
#include "network/ports.h"
#include "util.h"

typedef struct drover_taskenv_input {
	const drover_jobspec *job;
	const drover_jobspec_group *group;
	const drover_jobspec_task *task;
	const char *alloc_id;
	int alloc_index;
	const drover_allocdir *dirs;
	const char *task_dir;
	/* environ for drivers without image isolation (raw_exec, exec), NULL
	 * for the others (docker): as Nomad's task runner, which gives the
	 * client's variables only to drivers whose FSIsolation is not "image".
	 * A container gets exactly the task's environment, never the
	 * operator's SHELL, HOME, PWD or a PATH hiding the image's. */
	char *const *host_env;
	const drover_alloc_ports *group_ports; /* the allocation's ports, or NULL */
	const drover_alloc_ports *task_ports;  /* legacy task-level ports, or NULL */
	const drover_node_info *node;          /* for ${node.*}/${attr.*} in Env, or NULL */
	/* Group network mode "bridge": the allocation's address in its namespace
	 * and that interface's name (the CNI result's; NULL: "eth0"), for
	 * NOMAD_ALLOC_{IP,ADDR,INTERFACE}_<label>. NULL in other modes, or while
	 * not known: those variables are then left out, as Nomad does. */
	const char *alloc_ip;
	const char *alloc_interface;
} drover_taskenv_input;

/* An Env value that cannot be interpolated is an error naming job, group,
 * task and "Env.<KEY>". */
int drover_taskenv_build(const drover_taskenv_input *in, drover_strv *env, drover_err *err);

/* "<job>.<group>[<index>]", Nomad's allocation name. */
char *drover_taskenv_alloc_name(const drover_jobspec *job, const drover_jobspec_group *group,
                                int index);

#endif
