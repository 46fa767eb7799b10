#include "config.h"

#include "alloc_network.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../display.h"
#include "../json.h"
#include "../proc.h"
#include "../util.h"
#include "../value_tree.h"
#include "admin_chain.h"
#include "bridge_config.h"
#include "cni.h"
#include "netns.h"
#include "network_config.h"
#include "network_store.h"

#define CNI_IFNAME "eth0"

int drover_alloc_network_wanted(const drover_jobspec_group *group)
{
	const char *mode = group->network.mode;
	return mode && (strcmp(mode, "bridge") == 0 || strcmp(mode, "none") == 0);
}

drover_plugin *drover_alloc_network_initiator(drover_plugin *const *plugins, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		drover_plugin *p = plugins[i];
		drover_capabilities caps = {.struct_size = sizeof(caps)};
		if (p && DROVER_PLUGIN_HAS(p, capabilities) && p->desc->capabilities(p->ctx, &caps) == 0 &&
		    caps.must_initiate_network && DROVER_PLUGIN_HAS(p, create_network))
			return p;
	}
	return NULL;
}

static int parse_text(const char *what, const char *text, drover_value *out, drover_err *err)
{
	*out = (drover_value){.type = DROVER_VALUE_NULL};
	if (!text)
		return 0;
	return drover_json_parse(what, text, strlen(text), out, err);
}

typedef struct progress {
	drover_state *st;
	drover_state_network *row;
	char *so_far; /* row->result while adding: owned here */
} progress;

/* The result so far is recorded before the next plugin runs: a DEL after a
 * crash (or the undo of a failed ADD) then gets the addresses the firewall
 * and portmap rules name. */
static void record_progress(void *data, const char *so_far)
{
	progress *p = data;
	drover_err err = {{0}};
	char *copy = strdup(so_far);
	if (!copy)
		return;
	free(p->so_far);
	p->so_far = p->row->result = copy;
	if (p->st && drover_state_network_put(p->st, p->row, &err) < 0)
		fprintf(stderr, "drover: allocation \"%s\": recording the network setup: %s, ignoring\n",
		        p->row->alloc_id, drover_display(err.message));
}

static void request_for(drover_network_request *req, const char *alloc_id, const char *job_id,
                        const char *group, const char *mode, const char *hostname,
                        const char *run_dir)
{
	*req = (drover_network_request){
		.struct_size = sizeof(*req),
		.alloc_id = alloc_id,
		.job_id = job_id ? job_id : "",
		.group_name = group ? group : "",
		.mode = mode,
		.hostname = hostname,
		.state_dir = run_dir,
	};
}

int drover_alloc_network_up(drover_context *ctx, drover_state *st, const drover_jobspec *job,
                            const drover_jobspec_group *group, const char *alloc_id,
                            const drover_alloc_ports *ports, drover_plugin *initiator,
                            const char *run_dir, drover_alloc_net *out, drover_err *err)
{
	const char *mode = group->network.mode;
	drover_network_config cfg;
	drover_value conflist = {.type = DROVER_VALUE_NULL}, runtime = {.type = DROVER_VALUE_NULL};
	_cleanup_(drover_freep) char *conf_text = NULL;
	_cleanup_(drover_freep) char *runtime_text = NULL;
	_cleanup_(drover_freep) char *result = NULL;
	drover_network_created created = {.struct_size = sizeof(created)};
	drover_network_request req;
	drover_state_network row = {0};
	progress pr = {.st = st, .row = &row};
	char path[128];
	int rc, made = 0;

	*out = (drover_alloc_net){0};
	drover_network_config_load(&ctx->config, &cfg);
	if ((rc = drover_netns_path(alloc_id, path, sizeof(path), err)) < 0 ||
	    (rc = drover_bridge_conflist(&cfg, mode, &conflist, err)) < 0 ||
	    (rc = drover_bridge_runtime_config(strcmp(mode, "bridge") == 0 ? ports : NULL, &runtime,
	                                       err)) < 0)
		goto fail;
	if (!(conf_text = drover_json_text(&conflist, NULL)) ||
	    !(runtime_text = drover_json_text(&runtime, NULL))) {
		rc = drover_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	/* Nomad's forwarding rule, before anything is made (it changes no
	 * allocation's state). */
	if (strcmp(mode, "bridge") == 0 && (rc = drover_admin_chain_ensure(&cfg, err)) < 0)
		goto fail;
	row = (drover_state_network){
		.alloc_id = (char *)alloc_id,
		.state = "adding",
		.mode = (char *)mode,
		.netns_name = (char *)alloc_id,
		.driver = initiator ? (char *)initiator->desc->name : NULL,
		.conflist = conf_text,
		.runtime_config = runtime_text,
		.owner_pid = (int)getpid(),
		.owner_start = drover_proc_start_time((int)getpid()),
	};
	/* Intent before effect: what cannot be recorded is not made. */
	if (st && (rc = drover_state_network_put(st, &row, err)) < 0)
		goto fail;
	request_for(&req, alloc_id, job->id, group->name, mode, group->network.hostname, run_dir);
	if (initiator) {
		if ((rc = initiator->desc->create_network(initiator->ctx, &req, &created, err)) < 0)
			goto undo;
		row.handle = created.handle.data;
		row.handle_len = created.handle.len;
		if (st && (rc = drover_state_network_put(st, &row, err)) < 0)
			goto undo;
		if (!created.netns_path) {
			rc = drover_err_set(err, -EINVAL, "driver \"%s\" made a network but gave no "
			                    "namespace path", initiator->desc->name);
			goto undo;
		}
	}
	rc = drover_netns_create(alloc_id, created.netns_path, err);
	if (rc == -EEXIST) {
		/* Left by a setup nobody recorded: nothing can be using it. */
		drover_err ignored = {{0}};
		drover_netns_destroy(alloc_id, &ignored);
		rc = drover_netns_create(alloc_id, created.netns_path, err);
	}
	if (rc < 0)
		goto undo;
	made = 1;
	drover_cni_runtime rt = {
		.cni_path = cfg.cni_path,
		.container_id = alloc_id,
		.netns_path = path,
		.ifname = CNI_IFNAME,
	};
	if ((rc = drover_cni_add(&rt, &conflist, &runtime, record_progress, &pr, &result, err)) < 0)
		goto undo;
	row.state = "ready";
	row.result = result;
	if (drover_cni_result_ipv4(result, out->address, sizeof(out->address)) == 0)
		row.address = out->address;
	if (st && (rc = drover_state_network_put(st, &row, err)) < 0)
		goto undo;
	snprintf(out->netns_path, sizeof(out->netns_path), "%s", path);
	out->handle = created.handle.data;
	out->handle_len = created.handle.len;
	created.handle.data = NULL;
	free(created.netns_path);
	free(pr.so_far);
	drover_value_clear(&conflist);
	drover_value_clear(&runtime);
	return 0;
undo: {
	/* Everything this call made goes, in reverse; the row last, so that a
	 * crash in here still leaves it for cleanup. */
	drover_err ignored = {{0}};
	int clean = 1;
	if (made) {
		drover_cni_runtime del = {.cni_path = cfg.cni_path, .container_id = alloc_id,
		                          .netns_path = path, .ifname = CNI_IFNAME};
		if (drover_cni_del(&del, &conflist, &runtime, row.result, &ignored) < 0) {
			fprintf(stderr, "drover: allocation \"%s\": undoing the network setup: %s\n",
			        alloc_id, drover_display(ignored.message));
			clean = 0;
		}
		if (drover_netns_destroy(alloc_id, &ignored) < 0)
			clean = 0;
	}
	if (initiator && (created.handle.data || created.netns_path) &&
	    initiator->desc->destroy_network(initiator->ctx, &req, created.handle.data,
	                                     created.handle.len, &ignored) < 0)
		clean = 0;
	if (st && clean)
		drover_state_network_delete(st, alloc_id, &ignored);
}
fail:
	free(pr.so_far);
	free(created.handle.data);
	free(created.netns_path);
	drover_value_clear(&conflist);
	drover_value_clear(&runtime);
	return rc;
}

int drover_alloc_network_recover(drover_state *st, const char *alloc_id, drover_alloc_net *out,
                                 drover_err *err)
{
	drover_state_network row;
	*out = (drover_alloc_net){0};
	int rc = drover_state_network_get(st, alloc_id, &row, err);
	if (rc < 0)
		return rc;
	if (strcmp(row.state, "ready") != 0) {
		drover_state_network_clear(&row);
		return drover_err_set(err, -ENOENT, "the network setup of allocation \"%s\" never "
		                      "finished", alloc_id);
	}
	drover_err ignored = {{0}};
	if (drover_netns_exists(row.netns_name, &ignored) != 1 ||
	    drover_netns_path(row.netns_name, out->netns_path, sizeof(out->netns_path), err) < 0) {
		drover_state_network_clear(&row);
		return drover_err_set(err, -ESTALE, "the network namespace of allocation \"%s\" is "
		                      "gone (%s/%s)", alloc_id, DROVER_NETNS_DIR, alloc_id);
	}
	snprintf(out->address, sizeof(out->address), "%s", row.address ? row.address : "");
	out->handle = row.handle;
	out->handle_len = row.handle_len;
	row.handle = NULL;
	drover_state_network_clear(&row);
	return 0;
}

int drover_alloc_network_down(drover_context *ctx, drover_state *st, const char *alloc_id,
                              drover_err *err)
{
	drover_state_network row;
	int rc = drover_state_network_get(st, alloc_id, &row, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	drover_network_config cfg;
	drover_network_config_load(&ctx->config, &cfg);
	drover_value conflist = {.type = DROVER_VALUE_NULL}, runtime = {.type = DROVER_VALUE_NULL};
	char path[128];
	drover_err perr = {{0}};
	if ((rc = drover_netns_path(row.netns_name, path, sizeof(path), err)) < 0)
		goto out;
	if (parse_text("recorded CNI configuration", row.conflist, &conflist, &perr) < 0 ||
	    parse_text("recorded CNI runtime values", row.runtime_config, &runtime, &perr) < 0) {
		/* Written by drover itself: damage means the DEL cannot be done. */
		rc = drover_err_set(err, -EUCLEAN, "allocation \"%s\": the recorded network is "
		                    "damaged: %s", alloc_id, perr.message);
		goto out;
	}
	if (conflist.type != DROVER_VALUE_NULL) {
		drover_cni_runtime rt = {.cni_path = cfg.cni_path, .container_id = alloc_id,
		                         .netns_path = path, .ifname = CNI_IFNAME};
		rc = drover_cni_del(&rt, &conflist, runtime.type == DROVER_VALUE_NULL ? NULL : &runtime,
		                    row.result, err);
	}
	drover_value_clear(&conflist);
	drover_value_clear(&runtime);
	if (rc < 0)
		goto out;
	if (row.driver) {
		drover_plugin *p = drover_context_plugin(ctx, row.driver);
		if (!p || !DROVER_PLUGIN_HAS(p, destroy_network)) {
			rc = drover_err_set(err, -ENOENT, "allocation \"%s\": driver \"%s\", which made its "
			                    "network, is not loaded: its network stays until it is",
			                    alloc_id, row.driver);
			goto out;
		}
		_cleanup_(drover_freep) char *run_dir =
			drover_strdup_printf("%s/run/%s", ctx->data_dir, alloc_id);
		drover_network_request req;
		request_for(&req, alloc_id, NULL, NULL, row.mode, NULL, run_dir);
		if ((rc = p->desc->destroy_network(p->ctx, &req, row.handle, row.handle_len, err)) < 0)
			goto out;
	}
	if ((rc = drover_netns_destroy(row.netns_name, err)) < 0)
		goto out;
	rc = drover_state_network_delete(st, alloc_id, err);
out:
	drover_value_clear(&conflist);
	drover_value_clear(&runtime);
	drover_state_network_clear(&row);
	return rc;
}

void drover_alloc_network_cleanup(drover_context *ctx, drover_state *st)
{
	drover_state_network *rows = NULL;
	size_t count = 0;
	drover_err err = {{0}};
	if (drover_state_network_list(st, &rows, &count, &err) < 0) {
		fprintf(stderr, "drover: %s, ignoring\n", drover_display(err.message));
		return;
	}
	for (size_t i = 0; i < count; i++) {
		drover_state_network *n = &rows[i];
		if (drover_state_owner_alive(n->owner_pid, n->owner_start))
			continue;
		drover_state_alloc a = {0};
		int gone = drover_state_alloc_get(st, n->alloc_id, &a, &err) == -ENOENT;
		drover_state_alloc_clear(&a);
		if (strcmp(n->state, "ready") == 0 && !gone)
			continue;
		if (drover_alloc_network_down(ctx, st, n->alloc_id, &err) < 0)
			fprintf(stderr, "drover: allocation \"%s\": removing a network left behind: %s, "
			        "ignoring\n", n->alloc_id, drover_display(err.message));
	}
	drover_state_networks_free(rows, count);
}

void drover_alloc_net_clear(drover_alloc_net *n)
{
	free(n->handle);
	*n = (drover_alloc_net){0};
}
