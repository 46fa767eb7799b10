/* The container a task becomes: the body of POST /containers/create built from
 * the task's config block, its resources and environment, and the plugin
 * options that gate what a task may ask for (volumes, privileges, caps,
 * runtimes, pids). Every rejected value is an error naming the field. */
#ifndef DROVER_DOCKER_CONTAINER_H
#define DROVER_DOCKER_CONTAINER_H

#include <stddef.h>

#include <drover/driver.h>

#include "docker_settings.h"

/* The labels every container of drover carries (Nomad's spelling), so that a
 * container can be found again by allocation and task. */
#define DOCKER_LABEL_ALLOC_ID "com.hashicorp.nomad.alloc_id"
#define DOCKER_LABEL_TASK_NAME "com.hashicorp.nomad.task_name"
/* The allocation directory of the task: while it exists, some drover
 * process (a runner, an agent, `drover status`) may still reach the task, so
 * the reaper leaves the container alone; `drover gc` removes the directory. */
#define DOCKER_LABEL_ALLOC_DIR "com.drover.alloc_dir"

typedef struct docker_create_spec {
	char *name;     /* "<task>-<alloc_id>", made of [a-zA-Z0-9_.-] */
	char *body;     /* JSON, NUL-terminated */
	size_t body_len;
} docker_create_spec;

int docker_container_build(const docker_settings *s, const drover_task_config *cfg,
                           docker_create_spec *out, drover_err *err);
void docker_create_spec_free(docker_create_spec *spec);

/* "<task>-<alloc_id>" with every character docker refuses in a name replaced
 * by '_'; malloc'd. */
char *docker_container_name(const drover_task_config *cfg);

#endif
