/* A task's environment, as Nomad builds it: the host's environment less the
 * secrets it must not leak, the NOMAD_* variables, NOMAD_META_*, then the
 * task's Env (which wins). */
#ifndef DROVER_HOST_TASKENV_H
#define DROVER_HOST_TASKENV_H

#include <drover/driver.h>

#include "allocdir.h"
#include "jobspec.h"
#include "util.h"

typedef struct drover_taskenv_input {
	const drover_jobspec *job;
	const drover_jobspec_group *group;
	const drover_jobspec_task *task;
	const char *alloc_id;
	int alloc_index;
	const drover_allocdir *dirs;
	const char *task_dir;
	char *const *host_env; /* usually environ */
} drover_taskenv_input;

int drover_taskenv_build(const drover_taskenv_input *in, drover_strv *env, drover_err *err);

/* "<job>.<group>[<index>]", Nomad's allocation name. */
char *drover_taskenv_alloc_name(const drover_jobspec *job, const drover_jobspec_group *group,
                                int index);

#endif
