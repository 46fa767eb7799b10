/* Nomad's BasePlugin service: who this plugin is, its config schema, its config. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bridge.h"
#include "cty_msgpack.h"
#include "hclspec.h"
#include "schema_check.h"
#include "value_tree.h"

void nomad_rpc_plugin_info(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	ProtobufCMessage *req = nomad_call_request(call, &BP_DESC(plugin_info_request));
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	static char *versions[] = {NOMAD_PLUGIN_API_VERSION};
	BP(PluginInfoResponse) resp = BP_INIT(PLUGIN_INFO_RESPONSE);
	resp.type = BP_C(PLUGIN_TYPE__DRIVER);
	resp.n_plugin_api_versions = 1;
	resp.plugin_api_versions = versions;
	resp.plugin_version = (char *)(b->plugin->desc->version ? b->plugin->desc->version : "");
	resp.name = (char *)b->plugin->desc->name;
	nomad_call_reply(call, &resp.base);
}

void nomad_rpc_config_schema(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	ProtobufCMessage *req = nomad_call_request(call, &BP_DESC(config_schema_request));
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	_cleanup_arena_ nomad_arena arena = {0};
	BP(ConfigSchemaResponse) resp = BP_INIT(CONFIG_SCHEMA_RESPONSE);
	resp.spec = nomad_hclspec_from_schema(b->plugin->desc->plugin_schema, &arena);
	if (!resp.spec)
		return nomad_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	nomad_call_reply(call, &resp.base);
}

/* Decodes, checks and hands the options to the driver's set_config, the way
 * drover's loader does for `plugin.<name>.config` of the agent config. */
static int configure(nomad_bridge *b, const uint8_t *buf, size_t len, drover_err *err)
{
	const drover_plugin *p = b->plugin;
	_cleanup_arena_ nomad_arena arena = {0};
	drover_value raw;
	int rc = nomad_cty_decode(buf, len, p->desc->plugin_schema, &arena, &raw, err);
	if (rc < 0) {
		char why[DROVER_ERR_MESSAGE_MAX];
		snprintf(why, sizeof(why), "%s", err->message);
		return drover_err_set(err, rc, "plugin \"%s\" config: %s", p->desc->name, why);
	}
	char where[160];
	snprintf(where, sizeof(where), "plugin \"%s\" config", p->desc->name);
	drover_errlist problems = {0};
	drover_value checked = {.type = DROVER_VALUE_NULL};
	rc = drover_schema_check(p->desc->plugin_schema, &raw, where, &checked, &problems);
	if (rc < 0) {
		char *joined = NULL;
		size_t jl = 0;
		FILE *f = open_memstream(&joined, &jl);
		for (size_t i = 0; f && i < problems.count; i++)
			fprintf(f, "%s%s", i ? "; " : "", problems.lines[i]);
		if (f)
			fclose(f);
		drover_err_set(err, rc, "%s", joined ? joined : "invalid plugin config");
		free(joined);
		drover_errlist_clear(&problems);
		drover_value_clear(&checked);
		return rc;
	}
	drover_errlist_clear(&problems);
	if (DROVER_PLUGIN_HAS(p, set_config)) {
		static const drover_value empty = {.type = DROVER_VALUE_OBJECT};
		drover_err derr = {{0}};
		rc = p->desc->set_config(p->ctx, checked.type == DROVER_VALUE_OBJECT ? &checked : &empty,
		                         &derr);
		if (rc < 0)
			drover_err_set(err, rc, "driver \"%s\" refused its config: %s", p->desc->name,
			               derr.message[0] ? derr.message : strerror(-rc));
	}
	drover_value_clear(&checked);
	return rc < 0 ? rc : 0;
}

void nomad_rpc_set_config(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	BP(SetConfigRequest) *req =
		(BP(SetConfigRequest) *)nomad_call_request(call, &BP_DESC(set_config_request));
	if (!req)
		return;
	drover_err err = {{0}};
	int rc = 0;
	pthread_mutex_lock(&b->lock);
	if (b->configured) {
		/* The SDK calls set_config once per plugin: a repeat of the same
		 * config is fine, another one needs a new plugin process. */
		if (b->config_len != req->msgpack_config.len ||
		    memcmp(b->config_bytes, req->msgpack_config.data, b->config_len) != 0)
			rc = drover_err_set(&err, -EALREADY,
			                    "plugin \"%s\" is already configured with another config: "
			                    "restart the plugin to change it", b->plugin->desc->name);
	} else {
		rc = configure(b, req->msgpack_config.data, req->msgpack_config.len, &err);
		if (rc == 0) {
			b->config_bytes = malloc(req->msgpack_config.len + 1);
			if (b->config_bytes)
				memcpy(b->config_bytes, req->msgpack_config.data, req->msgpack_config.len);
			b->config_len = req->msgpack_config.len;
			b->configured = 1;
		}
	}
	pthread_mutex_unlock(&b->lock);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (rc < 0)
		return nomad_call_finish(call, rc == -EALREADY ? GRPC_STATUS_FAILED_PRECONDITION
		                                               : GRPC_STATUS_INVALID_ARGUMENT,
		                         err.message);
	BP(SetConfigResponse) resp = BP_INIT(SET_CONFIG_RESPONSE);
	nomad_call_reply(call, &resp.base);
}
