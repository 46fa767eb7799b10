/* Nomad job files (API JSON) as drover reads them.
 *
 * Accepts `{"Job": {...}}` as printed by `nomad job run -output` and the bare job
 * object. Keys are Nomad's spelling. Durations are nanoseconds, as in Nomad's API.
 */
#ifndef DROVER_HOST_JOBSPEC_H
#define DROVER_HOST_JOBSPEC_H

#include <stddef.h>

#include <drover/driver.h>

#include "schema_check.h"

typedef struct drover_kv {
	char *key;
	char *value;
} drover_kv;

typedef struct drover_port {
	char *label;
	int value;   /* ReservedPorts: the host port; DynamicPorts: 0 until allocated */
	int to;      /* the port inside the task's network, 0 when unset */
	char *host_network;
} drover_port;

/* A group's Volumes entry of Type "host": Source names a client.host_volume. */
typedef struct drover_volume {
	char *name;                /* the key of Volumes */
	char *source;              /* Source: the agent's client.host_volume name */
	int read_only;             /* ReadOnly */
} drover_volume;

/* A task's VolumeMounts entry. */
typedef struct drover_volume_mount {
	char *volume;              /* Volume: a key of the group's Volumes */
	char *destination;         /* Destination: the path inside the task */
	int read_only;             /* ReadOnly */
	char *propagation;         /* PropagationMode: "private" (default), "host-to-task",
	                              "bidirectional" */
} drover_volume_mount;

typedef struct drover_restart_policy {
	int attempts;
	long long interval_ms;
	long long delay_ms;
	char *mode;                /* "fail" or "delay" */
} drover_restart_policy;

typedef struct drover_jobspec_task {
	char *name;
	char *driver;
	char *user;                /* NULL when unset */
	drover_value config;       /* the raw Config object, DROVER_VALUE_NULL when absent */
	drover_kv *env;            /* Env, in file order */
	size_t env_count;
	drover_kv *meta;           /* task Meta */
	size_t meta_count;
	long long cpu_mhz;         /* Resources.CPU, default 100 */
	long long memory_mb;       /* Resources.MemoryMB, default 300 */
	long long memory_max_mb;   /* Resources.MemoryMaxMB, 0 when unset */
	drover_port *ports;        /* legacy task-level Resources.Networks[].{Dynamic,Reserved}Ports */
	size_t port_count;
	int kill_signal;           /* from KillSignal ("SIGINT", "SIGTERM", ...); default SIGINT */
	int kill_signal_set;       /* KillSignal was given: drivers with their own default
	                              (docker's STOPSIGNAL) use it only when not */
	long long kill_timeout_ms; /* KillTimeout (ns in the file), default 5 s */
	unsigned log_max_files;    /* LogConfig.MaxFiles, default 10 */
	unsigned long long log_max_file_size_mb; /* LogConfig.MaxFileSizeMB, default 10 */
	char *lifecycle_hook;      /* Lifecycle.Hook: "prestart", "poststart", "poststop" or NULL */
	int lifecycle_sidecar;
	int leader;
	drover_restart_policy restart; /* the group's, overridden by the task's RestartPolicy */
	drover_volume_mount *mounts;   /* VolumeMounts */
	size_t mount_count;
} drover_jobspec_task;

/* The group's network block (Networks[0]): its mode, Hostname and DNS.
 * Its ports are the group's `ports`. */
typedef struct drover_group_network {
	char *mode;                /* "host" (also when there is no block), "bridge" or "none" */
	char *hostname;            /* Hostname, NULL when unset */
	int has_dns;               /* a DNS block was given: the lists below replace resolv.conf */
	char **dns_servers;        /* DNS.Servers, NULL-ended (NULL when empty) */
	char **dns_searches;       /* DNS.Searches */
	char **dns_options;        /* DNS.Options */
} drover_group_network;

typedef struct drover_jobspec_group {
	char *name;
	int count;                 /* Count, default 1 */
	drover_jobspec_task *tasks;
	size_t task_count;
	drover_kv *meta;
	size_t meta_count;
	drover_port *ports;        /* Networks[].ReservedPorts and DynamicPorts */
	size_t port_count;
	drover_restart_policy restart; /* job-type defaults applied where absent */
	drover_volume *volumes;    /* Volumes of Type "host" */
	size_t volume_count;
	drover_group_network network;
} drover_jobspec_group;

typedef struct drover_jobspec {
	char *id;                  /* ID, defaults to Name */
	char *name;                /* Name, defaults to ID; one of them is required */
	char *type;                /* Type: "service" (default), "batch", "system", "sysbatch" */
	char *namespace_;          /* Namespace, default "default" */
	char *region;              /* Region, default "global" */
	char **datacenters;
	size_t datacenter_count;
	drover_kv *meta;
	size_t meta_count;
	drover_jobspec_group *groups;
	size_t group_count;
	/* Job-level keys Nomad has but drover does not act on, to be reported once
	 * as ignored (dotted paths: "Constraints", "TaskGroups[0].Update"...). */
	char **ignored;
	size_t ignored_count;
} drover_jobspec;

/* Builds `*job` from a parsed document (wrapped or bare). Structural problems
 * (missing Name/ID, a group without tasks, a task without Driver, wrong types,
 * keys Nomad does not have, a negative Count, an unknown KillSignal, duplicate
 * group or task names...) are appended to `errors`, each naming job, group, task
 * and key; returns -EINVAL when there was any, and `job` is then cleared.
 * Does not look at a task's Config: that is drover_jobspec_check_drivers'. */
int drover_jobspec_from_value(const drover_value *doc, drover_jobspec *job, drover_errlist *errors);

/* Reads, parses and builds: JSON syntax errors come back as one errors line
 * "<path>:<line>:<column>: ...". */
int drover_jobspec_load(const char *path, drover_jobspec *job, drover_errlist *errors);

/* Reports a job file that could not be read or parsed (`rc`, `err` from
 * drover_json_parse_file): "job file ..." so it is not mistaken for the agent
 * config; for a file that is not JSON at all, the hint that drover reads Nomad's API JSON
 * (an HCL job file is the usual cause). */
void drover_jobspec_file_error(drover_errlist *errors, const char *path, int rc,
                               const drover_err *err);

/* Lowers every task's KillTimeout above `max_ms` to it, as Nomad's client
 * applies its max_kill_timeout; returns how many tasks were capped. */
size_t drover_jobspec_cap_kill_timeout(drover_jobspec *job, long long max_ms);

/* 1 when `s` is a host name a group network may carry (its Hostname, a
 * CreateNetwork request's): dot-separated labels of letters, digits and
 * '-', none empty, none starting with '-', at most 63 characters each and
 * 253 in all. Nothing else can reach a resolver or /etc/hosts as one name. */
int drover_jobspec_hostname_ok(const char *s);

void drover_jobspec_clear(drover_jobspec *job);

/* The group's volume `name`, or NULL. */
const drover_volume *drover_jobspec_group_volume(const drover_jobspec_group *g, const char *name);

#endif
