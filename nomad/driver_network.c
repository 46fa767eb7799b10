/* Nomad's CreateNetwork and DestroyNetwork, for a driver that must make the
 * group's network namespace itself (capabilities.must_initiate_network:
 * docker, whose containers can only join a namespace another container
 * holds, here a pause container). Nomad's client calls CreateNetwork before
 * any task of a bridge-mode group starts, runs CNI in the path it gets, hands
 * the IsolationSpec to every task, and after the last one CNI DEL, then
 * DestroyNetwork with the same spec.
 *
 * The bridge does what drover's own host does (host/network/alloc_network.c):
 * the driver's create_network gives a namespace file of its holder process
 * (/proc/<pid>/ns/net), which the bridge pins at /run/netns/<alloc_id>, the
 * stable path Nomad gets; the handle it returns is kept in the allocation's
 * private directory (state_dir.c) and also sent in the spec's Labels, hex,
 * so that tasks get it back (drover_network.created_handle) and
 * DestroyNetwork finds it even when the record is gone. Calls for one
 * allocation are serialized by the bridge's net_lock. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bridge.h"
#include "display.h"
#include "jobspec.h"
#include "network/netns.h"

/* Nomad's client makes HostsConfig (hostname and address for the tasks'
 * /etc/hosts) from this label of the spec, a convention of its docker
 * driver (client/allocrunner/network_hook.go). */
#define NOMAD_SANDBOX_HOSTNAME_LABEL "docker_sandbox_hostname"

int nomad_network_initiator(const nomad_bridge *b)
{
	const drover_plugin *p = b->plugin;
	drover_capabilities caps = {.struct_size = sizeof(caps)};
	if (!DROVER_PLUGIN_HAS(p, capabilities) || !DROVER_PLUGIN_HAS(p, create_network) ||
	    !DROVER_PLUGIN_HAS(p, destroy_network))
		return 0;
	return p->desc->capabilities(p->ctx, &caps) == 0 && caps.must_initiate_network;
}

static char *hex_encode(nomad_arena *a, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *out = nomad_arena_alloc(a, len * 2 + 1);
	const unsigned char *p = data;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	return out;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int nomad_network_handle_label(const DP(NetworkIsolationSpec) *spec, nomad_arena *arena,
                               void **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	for (size_t i = 0; spec && i < spec->n_labels; i++) {
		const char *k = spec->labels[i]->key, *v = spec->labels[i]->value;
		if (!k || strcmp(k, NOMAD_NETWORK_HANDLE_LABEL) != 0 || !v)
			continue;
		size_t n = strlen(v);
		if (n == 0 || n % 2 || n / 2 > NOMAD_NETWORK_RECORD_MAX)
			return -EINVAL;
		unsigned char *out = nomad_arena_alloc(arena, n / 2);
		if (!out)
			return -ENOMEM;
		for (size_t j = 0; j < n / 2; j++) {
			int hi = hex_value(v[2 * j]), lo = hex_value(v[2 * j + 1]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[j] = (unsigned char)(hi << 4 | lo);
		}
		*data = out;
		*len = n / 2;
		return 0;
	}
	return -ENOENT;
}

/* An allocation id that can name the pinned namespace and the private
 * directory: what Nomad sends (a UUID) passes. */
static int check_alloc_id(const char *rpc, const char *alloc_id, char *netns, size_t size,
                          drover_err *err)
{
	drover_err why = {{0}};
	char shown[100];
	if (!alloc_id || !alloc_id[0])
		return drover_err_set(err, -EINVAL, "%s: \"alloc_id\" is required", rpc);
	if (drover_netns_path(alloc_id, netns, size, &why) < 0)
		return drover_err_set(err, -EINVAL, "%s: \"alloc_id\" \"%s\" is not an allocation id "
		                      "(at most 64 letters, digits, '.', '_' and '-', not starting "
		                      "with '.')", rpc,
		                      drover_display_escape(shown, sizeof(shown), alloc_id, 80, 1));
	return 0;
}

/* 1 when the files at `a` and `b` are the same namespace. */
static int same_namespace(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static grpc_status_code status_of(int rc)
{
	return rc == -EINVAL ? GRPC_STATUS_INVALID_ARGUMENT
	       : rc == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED
	                       : GRPC_STATUS_INTERNAL;
}

/* The work of CreateNetwork, under net_lock. */
static int create_network(nomad_bridge *b, const char *alloc_id, const char *hostname,
                          const char *netns, nomad_arena *a, DP(NetworkIsolationSpec) *spec,
                          int *created_out, drover_err *err)
{
	const drover_plugin *p = b->plugin;
	char run_dir[4096];
	drover_err ignored = {{0}};
	int rc = nomad_alloc_run_dir(alloc_id, run_dir, sizeof(run_dir), err);
	if (rc < 0)
		return rc;
	/* A namespace this allocation has pinned already is in use (Nomad asks
	 * again after its own restart): it is never taken down here. */
	int was_pinned = drover_netns_exists(alloc_id, &ignored) == 1;
	drover_network_request req = {
		.struct_size = sizeof(req),
		.alloc_id = alloc_id,
		/* Nomad names "bridge" and "none" groups alike (GROUP isolation):
		 * the holder is the same for both, with loopback only, and Nomad's
		 * client runs CNI in it for "bridge". */
		.mode = "bridge",
		.hostname = hostname && hostname[0] ? hostname : NULL,
		.state_dir = run_dir,
	};
	drover_network_created made = {.struct_size = sizeof(made)};
	rc = p->desc->create_network(p->ctx, &req, &made, err);
	if (rc < 0) {
		if (!was_pinned)
			nomad_network_record_remove(alloc_id);
		return rc;
	}
	int pinned_here = 0;
	if (!made.netns_path) {
		rc = drover_err_set(err, -EPROTO, "driver \"%s\" made the network of allocation \"%s\" "
		                    "but gave no namespace path", p->desc->name, alloc_id);
		goto undo;
	}
	if (made.handle.len > NOMAD_NETWORK_RECORD_MAX) {
		rc = drover_err_set(err, -EPROTO, "driver \"%s\": the network handle of allocation "
		                    "\"%s\" is %zu bytes, more than %d", p->desc->name, alloc_id,
		                    made.handle.len, NOMAD_NETWORK_RECORD_MAX);
		goto undo;
	}
	/* The same namespace as the pin: Nomad's client configured it already
	 * (Created false). Another (the holder was replaced): pinned anew. */
	*created_out = !(was_pinned && same_namespace(netns, made.netns_path));
	if (*created_out) {
		/* The old pin, or an empty file a crash left in its place. */
		if ((rc = drover_netns_destroy(alloc_id, err)) < 0)
			goto undo;
		if ((rc = drover_netns_create(alloc_id, made.netns_path, err)) < 0)
			goto undo;
		pinned_here = 1;
	}
	if ((rc = nomad_network_record_write(alloc_id, made.handle.data, made.handle.len, err)) < 0)
		goto undo;

	spec->mode = DP_C(NETWORK_ISOLATION_SPEC__NETWORK_ISOLATION_MODE__GROUP);
	spec->path = nomad_arena_strdup(a, netns);
	DP(NetworkIsolationSpec__LabelsEntry) **labels =
		NOMAD_NEWN(a, DP(NetworkIsolationSpec__LabelsEntry) *, 2);
	size_t n = 0;
	if (labels && made.handle.len) {
		DP(NetworkIsolationSpec__LabelsEntry) *e = PB_NEW(
			a, DP(NetworkIsolationSpec__LabelsEntry), DP_INIT(NETWORK_ISOLATION_SPEC__LABELS_ENTRY));
		if (e) {
			e->key = (char *)NOMAD_NETWORK_HANDLE_LABEL;
			e->value = hex_encode(a, made.handle.data, made.handle.len);
			labels[n++] = e;
		}
	}
	if (labels && req.hostname) {
		DP(NetworkIsolationSpec__LabelsEntry) *e = PB_NEW(
			a, DP(NetworkIsolationSpec__LabelsEntry), DP_INIT(NETWORK_ISOLATION_SPEC__LABELS_ENTRY));
		if (e) {
			e->key = (char *)NOMAD_SANDBOX_HOSTNAME_LABEL;
			e->value = nomad_arena_strdup(a, req.hostname);
			labels[n++] = e;
		}
	}
	spec->labels = labels;
	spec->n_labels = n;
	free(made.netns_path);
	free(made.handle.data);
	if (a->failed)
		return drover_err_set(err, -ENOMEM, "out of memory");
	return 0;
undo:
	/* Nomad's client does not call DestroyNetwork when CreateNetwork
	 * failed: what was made here goes now, unless it was in use before. */
	if (!was_pinned) {
		if (pinned_here)
			drover_netns_destroy(alloc_id, &ignored);
		p->desc->destroy_network(p->ctx, &req, made.handle.data, made.handle.len, &ignored);
		nomad_network_record_remove(alloc_id);
	}
	free(made.netns_path);
	free(made.handle.data);
	return rc;
}

void nomad_rpc_create_network(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(CreateNetworkRequest) *req =
		(DP(CreateNetworkRequest) *)nomad_call_request(call, &DP_DESC(create_network_request));
	if (!req)
		return;
	_cleanup_arena_ nomad_arena arena = {0};
	drover_err err = {{0}};
	char netns[128], shown[100];
	int rc;
	if (!nomad_network_initiator(b)) {
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return nomad_call_finish(call, GRPC_STATUS_UNIMPLEMENTED,
		                         "this driver does not make network namespaces: Nomad's client "
		                         "makes them (its capabilities do not say must_create_network)");
	}
	if ((rc = check_alloc_id("CreateNetwork", req->alloc_id, netns, sizeof(netns), &err)) == 0 &&
	    req->hostname && req->hostname[0] && !drover_jobspec_hostname_ok(req->hostname))
		rc = drover_err_set(&err, -EINVAL, "CreateNetwork: \"hostname\" \"%s\" is not a host "
		                    "name (letters, digits, '-' and dots, labels of at most 63 "
		                    "characters, none starting with '-')",
		                    drover_display_escape(shown, sizeof(shown), req->hostname, 80, 1));
	DP(NetworkIsolationSpec) spec = DP_INIT(NETWORK_ISOLATION_SPEC);
	int created = 0;
	if (rc == 0) {
		pthread_mutex_lock(&b->net_lock);
		rc = create_network(b, req->alloc_id, req->hostname, netns, &arena, &spec, &created,
		                    &err);
		pthread_mutex_unlock(&b->net_lock);
	}
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (rc < 0)
		return nomad_call_finish(call, status_of(rc),
		                         err.message[0] ? err.message : strerror(-rc));
	DP(CreateNetworkResponse) resp = DP_INIT(CREATE_NETWORK_RESPONSE);
	resp.isolation_spec = &spec;
	resp.created = created != 0;
	nomad_call_reply(call, &resp.base);
}

void nomad_rpc_destroy_network(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(DestroyNetworkRequest) *req =
		(DP(DestroyNetworkRequest) *)nomad_call_request(call, &DP_DESC(destroy_network_request));
	if (!req)
		return;
	_cleanup_arena_ nomad_arena arena = {0};
	drover_err err = {{0}};
	char netns[128];
	int rc;
	if (!nomad_network_initiator(b)) {
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return nomad_call_finish(call, GRPC_STATUS_UNIMPLEMENTED,
		                         "this driver does not make network namespaces: Nomad's client "
		                         "makes them (its capabilities do not say must_create_network)");
	}
	rc = check_alloc_id("DestroyNetwork", req->alloc_id, netns, sizeof(netns), &err);
	if (rc == 0) {
		const drover_plugin *p = b->plugin;
		char run_dir[4096];
		snprintf(run_dir, sizeof(run_dir), "%s/run/%s", nomad_data_dir(), req->alloc_id);
		drover_network_request nreq = {.struct_size = sizeof(nreq), .alloc_id = req->alloc_id,
		                               .mode = "bridge", .state_dir = run_dir};
		pthread_mutex_lock(&b->net_lock);
		/* The handle: the bridge's record, else the spec's label; without
		 * either the driver finds its holder by the allocation id. An
		 * allocation with nothing left is not an error (Nomad may ask
		 * twice, or after a failed create). */
		void *handle = NULL, *label = NULL;
		size_t len = 0;
		if (nomad_network_record_read(req->alloc_id, &handle, &len) < 0 &&
		    nomad_network_handle_label(req->isolation_spec, &arena, &label, &len) < 0)
			len = 0;
		rc = p->desc->destroy_network(p->ctx, &nreq, handle ? handle : label, len, &err);
		/* The pin goes in any case (Nomad ran CNI DEL before): a namespace
		 * no one holds any more is freed with its interfaces. */
		drover_err nerr = {{0}};
		int nrc = drover_netns_destroy(req->alloc_id, &nerr);
		/* A record kept lets a retry find the holder again. */
		if (rc == 0 && nrc == 0)
			nomad_network_record_remove(req->alloc_id);
		else if (rc == 0)
			rc = drover_err_set(&err, nrc, "%s", nerr.message);
		pthread_mutex_unlock(&b->net_lock);
		free(handle);
	}
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (rc < 0)
		return nomad_call_finish(call, status_of(rc),
		                         err.message[0] ? err.message : strerror(-rc));
	DP(DestroyNetworkResponse) resp = DP_INIT(DESTROY_NETWORK_RESPONSE);
	nomad_call_reply(call, &resp.base);
}
