/* Nomad's Driver service, the calls about the driver as a whole: its task
 * schema, its capabilities, its fingerprint. The per-task calls are in
 * driver_tasks.c. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bridge.h"
#include "hclspec.h"

static void rpc_health_check(nomad_call *call, void *data)
{
	(void)data;
	Grpc__Health__V1__HealthCheckRequest *req = (Grpc__Health__V1__HealthCheckRequest *)
		nomad_call_request(call, &grpc__health__v1__health_check_request__descriptor);
	if (!req)
		return;
	/* go-plugin registers its health server for the service "plugin" only. */
	int known = strcmp(req->service, "plugin") == 0 || req->service[0] == '\0';
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (!known)
		return nomad_call_finish(call, GRPC_STATUS_NOT_FOUND, "unknown service");
	Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	resp.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	nomad_call_reply(call, &resp.base);
}

/* go-plugin's Kill: answer, then stop serving; main() removes the socket. */
static void rpc_controller_shutdown(nomad_call *call, void *data)
{
	(void)data;
	ProtobufCMessage *req = nomad_call_request(call, &plugin__empty__descriptor);
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	Plugin__Empty resp = PLUGIN__EMPTY__INIT;
	nomad_call_reply(call, &resp.base);
	nomad_server_shutdown();
}

void nomad_rpc_task_config_schema(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	ProtobufCMessage *req = nomad_call_request(call, &DP_DESC(task_config_schema_request));
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	_cleanup_arena_ nomad_arena arena = {0};
	DP(TaskConfigSchemaResponse) resp = DP_INIT(TASK_CONFIG_SCHEMA_RESPONSE);
	resp.spec = nomad_hclspec_from_schema(b->plugin->desc->task_schema, &arena);
	if (!resp.spec)
		return nomad_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	nomad_call_reply(call, &resp.base);
}

void nomad_rpc_capabilities(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	ProtobufCMessage *req = nomad_call_request(call, &DP_DESC(capabilities_request));
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	drover_capabilities caps = {.struct_size = sizeof(caps), .network_modes = DROVER_NET_MODE_HOST};
	if (DROVER_PLUGIN_HAS(b->plugin, capabilities) &&
	    b->plugin->desc->capabilities(b->plugin->ctx, &caps) < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL,
		                         "the driver could not tell its capabilities");
	DP(DriverCapabilities) dc = DP_INIT(DRIVER_CAPABILITIES);
	dc.send_signals = caps.send_signals != 0;
	dc.exec = caps.exec != 0;
	dc.fs_isolation = caps.fs_isolation == DROVER_FS_ISOLATION_IMAGE
	                      ? DP_C(DRIVER_CAPABILITIES__FSISOLATION__IMAGE)
	                  : caps.fs_isolation == DROVER_FS_ISOLATION_CHROOT
	                      ? DP_C(DRIVER_CAPABILITIES__FSISOLATION__CHROOT)
	                      : DP_C(DRIVER_CAPABILITIES__FSISOLATION__NONE);
	DP(NetworkIsolationSpec__NetworkIsolationMode) modes[4];
	size_t n = 0;
	if (caps.network_modes & DROVER_NET_MODE_HOST)
		modes[n++] = DP_C(NETWORK_ISOLATION_SPEC__NETWORK_ISOLATION_MODE__HOST);
	/* GROUP for a driver that joins a namespace it is given (exec: the
	 * NetworkIsolationSpec path, driver_task_config.c), and for one that
	 * must make it itself (docker's pause container) when it can:
	 * must_create_network then has Nomad's client call CreateNetwork
	 * (driver_network.c) instead of making the namespace. */
	int initiator = caps.must_initiate_network && nomad_network_initiator(b);
	if ((caps.network_modes & DROVER_NET_MODE_GROUP) &&
	    (!caps.must_initiate_network || initiator))
		modes[n++] = DP_C(NETWORK_ISOLATION_SPEC__NETWORK_ISOLATION_MODE__GROUP);
	dc.must_create_network = initiator != 0;
	if (caps.network_modes & DROVER_NET_MODE_TASK)
		modes[n++] = DP_C(NETWORK_ISOLATION_SPEC__NETWORK_ISOLATION_MODE__TASK);
	if (caps.network_modes & DROVER_NET_MODE_NONE)
		modes[n++] = DP_C(NETWORK_ISOLATION_SPEC__NETWORK_ISOLATION_MODE__NONE);
	dc.n_network_isolation_modes = n;
	dc.network_isolation_modes = modes;
	/* Left false (log collection on): the task's output goes to the FIFOs
	 * of TaskConfig.stdout_path/stderr_path (output_fifo.c), which Nomad's
	 * log collector (logmon) reads and rotates into alloc/logs. */
	dc.disable_log_collection = 0;
	DP(CapabilitiesResponse) resp = DP_INIT(CAPABILITIES_RESPONSE);
	resp.capabilities = &dc;
	nomad_call_reply(call, &resp.base);
}

/* ------------------------------------------------------------ fingerprint */

typedef struct fp_attrs {
	nomad_arena *arena;
	ST(Attribute) **values;
	DP(FingerprintResponse__AttributesEntry) **entries;
	size_t count, cap;
} fp_attrs;

static void fp_set_attribute(void *sink, const char *key, const char *value)
{
	fp_attrs *fa = sink;
	if (!key || !value || fa->count == fa->cap)
		return;
	ST(Attribute) *attr = PB_NEW(fa->arena, ST(Attribute), ST_INIT(ATTRIBUTE));
	DP(FingerprintResponse__AttributesEntry) *e = PB_NEW(
		fa->arena, DP(FingerprintResponse__AttributesEntry), DP_INIT(FINGERPRINT_RESPONSE__ATTRIBUTES_ENTRY));
	if (!attr || !e)
		return;
	/* drover's attributes are strings; Nomad's booleans ("driver.raw_exec")
	 * are written "1"/"true" by drivers: Nomad compares them as strings in
	 * constraints either way, so only the obvious booleans change type. */
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		attr->value_case = HASHICORP__NOMAD__PLUGINS__SHARED__STRUCTS__ATTRIBUTE__VALUE_BOOL_VAL;
		attr->bool_val = value[0] == 't';
	} else {
		attr->value_case = HASHICORP__NOMAD__PLUGINS__SHARED__STRUCTS__ATTRIBUTE__VALUE_STRING_VAL;
		attr->string_val = nomad_arena_strdup(fa->arena, value);
	}
	e->key = nomad_arena_strdup(fa->arena, key);
	e->value = attr;
	if (e->key && (attr->value_case != HASHICORP__NOMAD__PLUGINS__SHARED__STRUCTS__ATTRIBUTE__VALUE_STRING_VAL || attr->string_val))
		fa->entries[fa->count++] = e;
}

/* One fingerprint, packed, so that the stream can tell whether it changed. */
static int fingerprint_once(nomad_bridge *b, uint8_t **packed, size_t *len)
{
	_cleanup_arena_ nomad_arena arena = {0};
	fp_attrs fa = {.arena = &arena, .cap = 256};
	fa.entries = NOMAD_NEWN(&arena, DP(FingerprintResponse__AttributesEntry) *, fa.cap);
	if (!fa.entries)
		return -ENOMEM;
	drover_fingerprint fp = {.struct_size = sizeof(fp), .sink = &fa,
	                         .set_attribute = fp_set_attribute};
	drover_err err = {{0}};
	DP(FingerprintResponse) resp = DP_INIT(FINGERPRINT_RESPONSE);
	int rc = drover_plugin_fingerprint(b->plugin, 1, &fp, &err);
	if (rc < 0) {
		resp.health = DP_C(FINGERPRINT_RESPONSE__HEALTH_STATE__UNHEALTHY);
		resp.health_description = err.message[0] ? err.message : (char *)"fingerprint failed";
	} else {
		resp.health = fp.health == DROVER_HEALTH_HEALTHY
		                  ? DP_C(FINGERPRINT_RESPONSE__HEALTH_STATE__HEALTHY)
		              : fp.health == DROVER_HEALTH_UNHEALTHY
		                  ? DP_C(FINGERPRINT_RESPONSE__HEALTH_STATE__UNHEALTHY)
		                  : DP_C(FINGERPRINT_RESPONSE__HEALTH_STATE__UNDETECTED);
		fp.description[sizeof(fp.description) - 1] = '\0';
		resp.health_description = fp.description;
	}
	resp.n_attributes = fa.count;
	resp.attributes = fa.entries;
	*len = protobuf_c_message_get_packed_size(&resp.base);
	*packed = malloc(*len ? *len : 1);
	if (!*packed)
		return -ENOMEM;
	protobuf_c_message_pack(&resp.base, *packed);
	return 0;
}

static long fingerprint_interval_ms(void)
{
	const char *env = getenv("DROVER_NOMAD_FINGERPRINT_INTERVAL_MS");
	long v = env ? strtol(env, NULL, 10) : 0;
	return v > 0 ? v : NOMAD_FINGERPRINT_INTERVAL_MS;
}

/* Sends the fingerprint now, then again whenever it changes, until the
 * client goes away. */
void nomad_rpc_fingerprint(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	ProtobufCMessage *req = nomad_call_request(call, &DP_DESC(fingerprint_request));
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	uint8_t *last = NULL;
	size_t last_len = 0;
	long interval = fingerprint_interval_ms();
	for (;;) {
		uint8_t *now = NULL;
		size_t len = 0;
		if (fingerprint_once(b, &now, &len) < 0) {
			free(last);
			return nomad_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		}
		if (!last || len != last_len || memcmp(now, last, len) != 0) {
			DP(FingerprintResponse) *msg = (DP(FingerprintResponse) *)protobuf_c_message_unpack(
				&DP_DESC(fingerprint_response), NULL, len, now);
			int rc = msg ? nomad_call_send(call, &msg->base) : -ENOMEM;
			if (msg)
				protobuf_c_message_free_unpacked(&msg->base, NULL);
			if (rc < 0) {
				free(now);
				break;
			}
			free(last);
			last = now;
			last_len = len;
		} else {
			free(now);
		}
		if (nomad_call_gone(call, interval))
			break;
	}
	free(last);
	nomad_call_finish(call, GRPC_STATUS_CANCELLED, "fingerprint stream ended");
}

#define DRIVER "/hashicorp.nomad.plugins.drivers.proto.Driver/"
#define BASE "/hashicorp.nomad.plugins.base.proto.BasePlugin/"

const nomad_method nomad_bridge_methods[] = {
	{"/grpc.health.v1.Health/Check", rpc_health_check},
	{"/plugin.GRPCController/Shutdown", rpc_controller_shutdown},
	{BASE "PluginInfo", nomad_rpc_plugin_info},
	{BASE "ConfigSchema", nomad_rpc_config_schema},
	{BASE "SetConfig", nomad_rpc_set_config},
	{DRIVER "TaskConfigSchema", nomad_rpc_task_config_schema},
	{DRIVER "Capabilities", nomad_rpc_capabilities},
	{DRIVER "Fingerprint", nomad_rpc_fingerprint},
	{DRIVER "StartTask", nomad_rpc_start_task},
	{DRIVER "RecoverTask", nomad_rpc_recover_task},
	{DRIVER "WaitTask", nomad_rpc_wait_task},
	{DRIVER "StopTask", nomad_rpc_stop_task},
	{DRIVER "DestroyTask", nomad_rpc_destroy_task},
	{DRIVER "InspectTask", nomad_rpc_inspect_task},
	{DRIVER "SignalTask", nomad_rpc_signal_task},
	{DRIVER "TaskStats", nomad_rpc_task_stats},
	{DRIVER "TaskEvents", nomad_rpc_task_events},
	{DRIVER "ExecTask", nomad_rpc_exec_task},
	{DRIVER "ExecTaskStreaming", nomad_rpc_exec_task_streaming},
	{DRIVER "CreateNetwork", nomad_rpc_create_network},
	{DRIVER "DestroyNetwork", nomad_rpc_destroy_network},
	/* Not listed (the go-plugin broker and stdio): the server answers
	 * UNIMPLEMENTED, which go-plugin treats as "not supported". */
	{NULL, NULL},
};
