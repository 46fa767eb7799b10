/* Nomad's runtime interpolation: `${...}` in a task's Config strings and Env
 * values, resolved on this host just before the driver starts the task.
 *
 * A reference is `${` NAME `}` where NAME is made of letters, digits, '_',
 * '-' and '.', exactly as Nomad's client matches it. NAME resolves to:
 *   node.unique.id, node.unique.name, node.datacenter, node.region, node.class
 *   attr.<attribute>   the node's attributes (kernel.name, driver.raw_exec, ...)
 *   meta.<key>         the task's Meta merged over the group's and the job's,
 *                      then the node's client.meta (Nomad's meaning of meta.*)
 *   env.<VAR>          a variable of the task's environment
 *   <VAR>              a variable of the task's environment (NOMAD_PORT_http, ...)
 * Like Nomad, a reference that resolves to nothing is left as written, and so
 * is anything that is not a reference (an unterminated `${`, `${a b}`); there
 * is no escape (`$${` is HCL's, already gone from API JSON): a `$` before a
 * reference stays a `$` in front of the resolved value.
 */
#ifndef DROVER_HOST_INTERPOLATE_H
#define DROVER_HOST_INTERPOLATE_H

#include <drover/driver.h>

#include "jobspec.h"
#include "nodeinfo.h"

/* No interpolated string grows past this: a job file cannot make the host
 * build a gigabyte from a few kilobytes of repeated references. */
#define DROVER_INTERPOLATE_MAX_LEN (1024 * 1024)

typedef struct drover_interp_scope {
	const char *const *env;           /* "KEY=VALUE", NULL-ended; may be NULL */
	const drover_kv *meta[3];         /* job, group, task Meta: the later wins */
	size_t meta_count[3];
	const drover_node_info *node;     /* may be NULL: no node.*, attr.* */
	size_t max_len;                   /* 0: DROVER_INTERPOLATE_MAX_LEN */
} drover_interp_scope;

/* *out is a new string; an over-long result is -E2BIG naming `field`. */
int drover_interpolate_string(const drover_interp_scope *scope, const char *in, const char *field,
                              char **out, drover_err *err);

/* The length `in` would have once interpolated, computed without building
 * it: 0, or -E2BIG as soon as it passes `max`. */
int drover_interpolate_measure(const drover_interp_scope *scope, const char *in, size_t max,
                               size_t *len);

/* A deep copy of `in` with every string interpolated (object keys are kept as
 * written). Errors name `field` and the path inside it: `Config.args[2]`. */
int drover_interpolate_value(const drover_interp_scope *scope, const drover_value *in,
                             const char *field, drover_value *out, drover_err *err);

/* The task's Config, interpolated against its finished environment; errors
 * name job, group, task and the field ("Config.args[1]"). */
int drover_interpolate_task_config(const drover_interp_scope *scope, const drover_jobspec *job,
                                   const drover_jobspec_group *group,
                                   const drover_jobspec_task *task, const drover_value *config,
                                   drover_value *out, drover_err *err);

/* The scope of a task: its environment, its job/group/task Meta, the node. */
void drover_interp_scope_for_task(drover_interp_scope *scope, const drover_jobspec *job,
                                  const drover_jobspec_group *group,
                                  const drover_jobspec_task *task, const drover_strv *env,
                                  const drover_node_info *node);

#endif
