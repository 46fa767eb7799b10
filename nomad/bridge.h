/* The bridge's state: one drover driver served as a Nomad task-driver plugin. */
#ifndef DROVER_NOMAD_BRIDGE_H
#define DROVER_NOMAD_BRIDGE_H

#include <pthread.h>

#include "arena.h"
#include "loader.h"
#include "pb.h"
#include "server.h"

/* Nomad's base plugin API version the bridge implements (semantic version). */
#define NOMAD_PLUGIN_API_VERSION "0.1.0"

/* How often the Fingerprint stream asks the driver again, unless
 * DROVER_NOMAD_FINGERPRINT_INTERVAL_MS says otherwise. Nomad re-sends what it
 * gets when health changes; the stream only sends when something changed. */
#define NOMAD_FINGERPRINT_INTERVAL_MS 30000

typedef struct nomad_task nomad_task;

typedef struct nomad_bridge {
	drover_plugin *plugin;    /* loaded and initialised */
	pthread_mutex_t lock;     /* configured, config_bytes, tasks */
	pthread_mutex_t net_lock; /* held across CreateNetwork and DestroyNetwork */
	int configured;
	uint8_t *config_bytes;    /* the msgpack SetConfig accepted, to accept it again */
	size_t config_len;
	nomad_task *tasks;
	/* TaskEvents subscribers wait on this for new events */
	pthread_cond_t events_cond;
	struct nomad_event *events; /* every event since start, oldest first */
	size_t event_count;
} nomad_bridge;

/* output_fifo.c: Nomad's stdout_path/stderr_path FIFOs for the spawns of
 * the task whose state_dir is `state_dir`, while registered. NULL when Nomad
 * sent none (or out of memory: the task then logs to drover's files). */
typedef struct nomad_output nomad_output;
nomad_output *nomad_output_register(const char *state_dir, const char *stdout_path,
                                    const char *stderr_path);
void nomad_output_unregister(nomad_output *o);
/* The proc_spawn host service drivers get from the bridge. */
int nomad_proc_spawn(void *host_data, const drover_spawn_request *req, drover_proc *out,
                     drover_err *err);

/* The method table nomad_server_run serves. */
extern const nomad_method nomad_bridge_methods[];

/* base_service.c */
void nomad_rpc_plugin_info(nomad_call *call, void *data);
void nomad_rpc_config_schema(nomad_call *call, void *data);
void nomad_rpc_set_config(nomad_call *call, void *data);

/* driver_service.c */
void nomad_rpc_task_config_schema(nomad_call *call, void *data);
void nomad_rpc_capabilities(nomad_call *call, void *data);
void nomad_rpc_fingerprint(nomad_call *call, void *data);

/* driver_tasks.c */
void nomad_rpc_start_task(nomad_call *call, void *data);
void nomad_rpc_recover_task(nomad_call *call, void *data);
void nomad_rpc_wait_task(nomad_call *call, void *data);
void nomad_rpc_stop_task(nomad_call *call, void *data);
void nomad_rpc_destroy_task(nomad_call *call, void *data);
void nomad_rpc_inspect_task(nomad_call *call, void *data);
void nomad_rpc_signal_task(nomad_call *call, void *data);
void nomad_rpc_task_stats(nomad_call *call, void *data);
void nomad_rpc_task_events(nomad_call *call, void *data);
void nomad_rpc_exec_task(nomad_call *call, void *data);

/* The task `id` with its lock held (every driver call on it holds it), or
 * NULL with the call finished NOT_FOUND. */
nomad_task *nomad_task_lock(nomad_bridge *b, nomad_call *call, const char *id);
void nomad_task_unlock(nomad_bridge *b, nomad_task *t);
drover_task *nomad_task_driver_task(const nomad_task *t);

/* state_dir.c: the bridge's data directory (DROVER_NOMAD_DATA_DIR, else
 * the configured default) and the tasks' private state directories in it,
 * <data>/run/<alloc_id>/<task>, created 0700 without following links. */
const char *nomad_data_dir(void);
int nomad_state_dir(const char *alloc_id, const char *task, char *out, size_t size,
                    drover_err *err);
void nomad_state_dir_remove(const char *alloc_id, const char *task);
/* <data>/run/<alloc_id>, created 0700 like the tasks' directories in it: the
 * drover_network_request.state_dir of the allocation's network. */
int nomad_alloc_run_dir(const char *alloc_id, char *out, size_t size, drover_err *err);

/* The network record of an allocation whose namespace the driver made
 * (CreateNetwork): the handle its create_network returned, in
 * <data>/run/<alloc_id>/alloc/network. "alloc" is the one name Nomad refuses
 * for a task, so it is no task's state directory; it also keeps
 * <data>/run/<alloc_id> (the driver's state_dir) until DestroyNetwork. */
#define NOMAD_NETWORK_RECORD_DIR "alloc"
#define NOMAD_NETWORK_RECORD_MAX 4096
/* Replaces the record, whole (written aside, then renamed). */
int nomad_network_record_write(const char *alloc_id, const void *data, size_t len,
                               drover_err *err);
/* 0 and *data (malloc'd, *len bytes), or a negative errno (-ENOENT: none). */
int nomad_network_record_read(const char *alloc_id, void **data, size_t *len);
/* Removes the record and the allocation's directory when no task's is left. */
void nomad_network_record_remove(const char *alloc_id);

/* driver_network.c: CreateNetwork and DestroyNetwork, for a driver that
 * must make the group's namespace (capabilities.must_initiate_network). */
void nomad_rpc_create_network(nomad_call *call, void *data);
void nomad_rpc_destroy_network(nomad_call *call, void *data);
/* 1 when the driver makes group namespaces itself (must_initiate_network
 * with create_network and destroy_network), so that Nomad asks the bridge. */
int nomad_network_initiator(const nomad_bridge *b);
/* The label of NetworkIsolationSpec.Labels that carries the driver's network
 * handle, hex-encoded (Nomad gives the labels back to tasks and to
 * DestroyNetwork). */
#define NOMAD_NETWORK_HANDLE_LABEL "drover_network_handle"
/* Decodes that label of `spec` into `arena`: 0 with *data and *len, or -ENOENT (-EINVAL: not hex). */
int nomad_network_handle_label(const DP(NetworkIsolationSpec) *spec, nomad_arena *arena,
                               void **data, size_t *len);

/* exec_stream.c: `nomad alloc exec`, interactive, with a pty when asked. */
void nomad_rpc_exec_task_streaming(nomad_call *call, void *data);

/* A task config decoded for the driver; everything lives in `arena`. */
typedef struct nomad_task_config {
	drover_task_config cfg;
	drover_value config;
	char state_dir[4096];
	drover_network network; /* cfg.network: Nomad's NetworkIsolationSpec */
} nomad_task_config;

/* driver_task_config.c: Nomad's TaskConfig as the drover_task_config the
 * driver gets, its driver config decoded (cty msgpack) and checked against
 * the task schema with the messages drover's own host gives. 0, or -EINVAL
 * with `err` saying what is wrong. */
int nomad_task_config_map(const nomad_bridge *b, const DP(TaskConfig) *tc, nomad_arena *arena,
                          nomad_task_config *out, drover_err *err);

/* A signal name as Nomad sends it ("SIGTERM", "TERM", "" = default) as a
 * number, or -EINVAL. */
int nomad_signal_number(const char *name, int fallback);



/* bridge.c: opens the driver at `path` through drover's loader (the ABI
 * checks of the host) and calls its init with drover's host services. 0, or a
 * negative errno with `err` naming the file and the reason. */
int nomad_bridge_open(nomad_bridge *b, const char *path, drover_err *err);

/* Calls the driver's fini: tasks keep running (Nomad recovers them through a
 * new plugin process). */
void nomad_bridge_close(nomad_bridge *b);
#endif
