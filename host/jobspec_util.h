/* Internal to the jobspec module: reading typed keys out of Nomad API JSON
 * objects, with every problem reported once, naming job, group, task and key. */
#ifndef DROVER_HOST_JOBSPEC_UTIL_H
#define DROVER_HOST_JOBSPEC_UTIL_H

#include "jobspec.h"
#include "value_tree.h"

typedef struct js_ctx {
	drover_errlist *errors;
	drover_jobspec *job; /* receives the ignored keys */
	const char *job_type; /* decides restart defaults */
	int failed;           /* set by every report, even a line lost to ENOMEM */
	int oom;
} js_ctx;

typedef enum js_key_kind {
	JS_USED,    /* drover reads it */
	JS_IGNORED, /* Nomad has it, drover does not act on it */
} js_key_kind;

typedef struct js_key {
	const char *name;
	js_key_kind kind;
} js_key;

#define JS_KEYS_END { NULL, JS_USED }

void js_report(js_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* printf into a new string; NULL (and c->oom set) on ENOMEM. */
char *js_printf(js_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `s` made safe to show between quotes: control characters and quotes escaped,
 * cut after 64 characters. Never NULL (a static placeholder on ENOMEM). */
char *js_display(js_ctx *c, const char *s);
void js_display_free(char *s);

/* Reports keys of `obj` that are not in `keys`, and records ignored keys whose
 * value is not empty under "<ignored_prefix>.<key>". `prefix` ("Resources") is
 * prepended to key names in messages. */
void js_check_keys(js_ctx *c, const drover_value *obj, const js_key *keys, const char *where,
                   const char *prefix, const char *ignored_prefix);

/* Records "<ignored_prefix>.<key>" (or "key") in job->ignored. */
void js_add_ignored(js_ctx *c, const char *ignored_prefix, const char *key);

/* Getters: 0 when the key is absent or null, 1 with *out set, -1 when the value
 * has the wrong type (reported, naming `where` and "prefix.key"). */
int js_get_string(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                  const char *prefix, const char **out);
int js_get_int(js_ctx *c, const drover_value *obj, const char *key, const char *where,
               const char *prefix, long long *out);
/* An integer between min and max; out of range is reported as "too large" or
 * "too small" with the limit (and `unit`, " MHz"), returning -1. */
int js_get_int_range(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                     const char *prefix, long long min, long long max, const char *unit,
                     long long *out);
int js_get_bool(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                const char *prefix, int *out);
int js_get_object(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                  const char *prefix, const drover_value **out);
int js_get_array(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                 const char *prefix, const drover_value **out);
/* A duration in nanoseconds, >= 0, returned in milliseconds. */
int js_get_duration_ms(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                       const char *prefix, long long *out_ms);

/* An object of strings (Env, Meta) copied in file order. */
void js_get_string_map(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                       drover_kv **out, size_t *count);
void js_kv_free(drover_kv *kv, size_t count);

/* Reports a name that cannot be a directory name; 1 when it is usable. */
int js_check_name(js_ctx *c, const char *where, const char *key, const char *name);

char *js_strdup(js_ctx *c, const char *s);

/* Networks[] with their ReservedPorts and DynamicPorts, appended to *ports. */
/* With `group_net` (group Networks), at most one network, whose Mode, Hostname
 * and DNS go there; without it (a task's legacy Resources.Networks) only
 * mode "host" is accepted and Hostname and DNS are reported as ignored. */
void js_get_networks(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                     const char *prefix, const char *ignored_prefix, drover_port **ports,
                     size_t *count, drover_group_network *group_net);
void js_ports_free(drover_port *ports, size_t count);
/* A network's Mode, Hostname and DNS into `out` (the group's only network). */
void js_get_group_network(js_ctx *c, const drover_value *net, const char *where,
                          const char *path, drover_group_network *out);
void js_group_network_clear(drover_group_network *n);

/* RestartPolicy: fields present in the object override `*inout`. */
void js_get_restart(js_ctx *c, const drover_value *obj, const char *where,
                    const char *ignored_prefix, drover_restart_policy *inout);
/* Nomad's defaults for the job type. */
void js_restart_defaults(js_ctx *c, const char *job_type, drover_restart_policy *out);

int js_parse_group(js_ctx *c, const drover_value *v, size_t index, const char *job_where,
                   drover_jobspec_group *out);
int js_parse_task(js_ctx *c, const drover_value *v, size_t gi, size_t ti, const char *group_where,
                  const drover_restart_policy *group_restart, drover_jobspec_task *out);
void js_group_clear(drover_jobspec_group *g);

/* The group's Volumes (host volumes only) and a task's VolumeMounts; then
 * every mount checked to name one of the group's volumes. */
void js_get_volumes(js_ctx *c, const drover_value *obj, const char *where,
                    drover_jobspec_group *g);
void js_get_volume_mounts(js_ctx *c, const drover_value *obj, const char *where,
                          drover_jobspec_task *t);
void js_check_volume_mounts(js_ctx *c, const char *where, const drover_jobspec_group *g);
void js_volumes_free(drover_volume *v, size_t n);
void js_volume_mounts_free(drover_volume_mount *m, size_t n);
void js_task_clear(drover_jobspec_task *t);

#endif
