/* The agent's client.host_volume declarations (Nomad's client config):
 *
 *   "client": {"host_volume": {"data": {"path": "/srv/data", "read_only": false}}}
 *
 * as well as HCL-to-JSON's list forms ("host_volume": [{"data": [{...}]}]). A
 * job's group volume of Type "host" names one by its Source; the path is the
 * operator's, so trusted. */
#ifndef DROVER_HOST_HOST_VOLUME_H
#define DROVER_HOST_HOST_VOLUME_H

#include <drover/driver.h>

#include "agent_config.h"
#include "jobspec.h"
#include "schema_check.h"

/* Checks the block `host_volume` of the config file `path`: every entry an
 * object with an absolute "path" and an optional boolean "read_only". */
int drover_host_volumes_check(const char *path, const drover_value *host_volume,
                              drover_errlist *errors);

/* The declaration `name`: 0 with *path and *read_only, -ENOENT when the agent
 * declares no such volume (`err` names it and what to do). */
int drover_host_volume_find(const drover_agent_config *cfg, const char *name, const char **path,
                            int *read_only, drover_err *err);

/* The host path a mount binds, checked at every (re)start: the declared
 * `path` must exist and be a directory or a regular file; *canonical
 * (malloc'd) is its realpath. The path is the operator's, so its own symlinks
 * are followed; nothing of it comes from a job or a task. */
int drover_host_volume_resolve(const char *name, const char *path, char **canonical,
                               drover_err *err);

/* A task's mounts as drivers get them (drover_task_config.mounts). */
typedef struct drover_task_mounts {
	drover_mount *items;
	const drover_mount **ptrs;   /* NULL-ended; NULL when the task has none */
	char **sources;              /* the resolved host paths, owned */
	size_t count;
} drover_task_mounts;

/* Joins the task's VolumeMounts to the group's Volumes and the agent's
 * declarations: read-only when any of the three says so. -ENOENT naming an
 * undeclared volume; the resolution's error for a path that is gone. */
int drover_task_mounts_build(const drover_agent_config *cfg, const drover_jobspec_group *g,
                             const drover_jobspec_task *t, drover_task_mounts *out,
                             drover_err *err);
void drover_task_mounts_clear(drover_task_mounts *m);

#endif
