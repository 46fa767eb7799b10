/* The pause container of a group network (see docker_network.h). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_container.h"
#include "docker_handle.h"
#include "docker_hosts.h"
#include "docker_image.h"
#include "docker_json.h"
#include "docker_network.h"
#include "docker_state.h"
#include "plugin_network.h"

/* What an inspection of the pause container tells. */
typedef struct pause_state {
	int exists;
	int running;
	int pid;
	char id[DOCKER_ID_MAX + 1];
	char alloc_id[128]; /* its alloc_id label, "" when none */
} pause_state;

/* "nomad_init_<alloc_id>", as Nomad names it, with what docker refuses in a
 * name replaced by '_' (an alloc id is a UUID: nothing is). */
static int pause_name(const char *alloc_id, char *buf, size_t len)
{
	size_t plen = strlen(DOCKER_NETWORK_NAME_PREFIX);

	if (!alloc_id || !alloc_id[0] || plen + strlen(alloc_id) >= len)
		return -EINVAL;
	snprintf(buf, len, "%s%s", DOCKER_NETWORK_NAME_PREFIX, alloc_id);
	for (char *p = buf + plen; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			*p = '_';
	return 0;
}

/* GET /containers/<id or name>/json; exists = 0 for a 404. */
static int pause_inspect(docker_client *c, const char *ref, pause_state *st, drover_err *err)
{
	docker_request req;
	docker_response resp;
	char path[300];
	yajl_val v = NULL;
	long long pid = 0;
	const char *s;
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "/containers/%.200s/json", ref);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == -ENOENT && resp.status == 404) {
		docker_response_free(&resp);
		return 0;
	}
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the pause container's inspection", &v,
		                      err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	s = docker_json_str(v, "Id", NULL);
	if (!s || strlen(s) != DOCKER_ID_MAX) {
		yajl_tree_free(v);
		return drover_err_set(err, -EPROTO, "docker: the inspection of container \"%s\" has "
		                      "no valid Id", ref);
	}
	st->exists = 1;
	memcpy(st->id, s, DOCKER_ID_MAX + 1);
	st->running = docker_json_bool(v, "State", "Running", NULL);
	if (docker_json_int(&pid, v, "State", "Pid", NULL) == 0 && pid > 0 && pid < (1 << 30))
		st->pid = (int)pid;
	s = docker_json_str(v, "Config", "Labels", DOCKER_LABEL_ALLOC_ID, NULL);
	snprintf(st->alloc_id, sizeof(st->alloc_id), "%s", s ? s : "");
	yajl_tree_free(v);
	return 0;
}

/* A call whose answer matters only through its status. */
static int call(docker_client *c, const char *method, const char *path, const char *body,
                long *status, docker_response *out, drover_err *err)
{
	docker_request req;
	docker_response resp;
	int r;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.upload_fd = -1;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = body ? "application/json" : NULL;
	r = docker_http_do(c, &req, &resp, err);
	if (status)
		*status = resp.status;
	if (out)
		*out = resp;
	else
		docker_response_free(&resp);
	return r;
}


static char *pause_body(const docker_settings *s, const drover_network_request *req)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	char *body = NULL;
	int bad = 0;

	if (!g)
		return NULL;
	bad |= yajl_gen_map_open(g);
	bad |= docker_gen_key_str(g, "Image", s->infra_image);
	/* Tasks joining with "container:" take this hostname (docker refuses one
	 * of their own there). */
	if (req->hostname && req->hostname[0])
		bad |= docker_gen_key_str(g, "Hostname", req->hostname);
	bad |= docker_gen_key(g, "Labels");
	bad |= yajl_gen_map_open(g);
	bad |= docker_gen_key_str(g, DOCKER_LABEL_ALLOC_ID, req->alloc_id);
	if (req->job_id)
		bad |= docker_gen_key_str(g, "com.hashicorp.nomad.job_id", req->job_id);
	if (req->group_name)
		bad |= docker_gen_key_str(g, "com.hashicorp.nomad.task_group_name", req->group_name);
	bad |= docker_gen_key_str(g, DOCKER_LABEL_NETWORK_DIR, req->state_dir);
	bad |= yajl_gen_map_close(g);
	bad |= docker_gen_key(g, "HostConfig");
	bad |= yajl_gen_map_open(g);
	/* Loopback only: the host puts the CNI interfaces in. No restart policy
	 * (Nomad sets unless-stopped): a restarted pause container would hold a
	 * new, empty namespace, not the one the host bind-mounted and configured,
	 * and the tasks that joined the old one would not follow. */
	bad |= docker_gen_key_str(g, "NetworkMode", "none");
	bad |= yajl_gen_map_close(g);
	bad |= yajl_gen_map_close(g);
	if (!bad)
		body = docker_gen_take(g, NULL);
	yajl_gen_free(g);
	return body;
}

/* Creates and starts the pause container; *id gets its id. Nothing is left
 * when it fails. */
static int pause_make(docker_client *c, const docker_settings *s,
                      const drover_network_request *req, const char *name, const char *who,
                      char *id, drover_err *err)
{
	char path[300], *body = pause_body(s, req);
	docker_response resp;
	yajl_val v = NULL;
	const char *sid;
	long status = 0;
	int r;

	if (!body)
		return drover_err_set(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/containers/create?name=%s", name);
	r = call(c, "POST", path, body, &status, &resp, err);
	free(body);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the answer to container create", &v, err);
	docker_response_free(&resp);
	if (r == -EEXIST && status == 409)
		return r; /* another create_network of this allocation got there first */
	if (r < 0) {
		char inner[DROVER_ERR_MESSAGE_MAX];
		snprintf(inner, sizeof(inner), "%s", err ? err->message : "");
		return drover_err_set(err, r, "%s: creating pause container \"%s\": %s", who, name,
		                      inner);
	}
	sid = docker_json_str(v, "Id", NULL);
	if (!sid || strlen(sid) != DOCKER_ID_MAX) {
		yajl_tree_free(v);
		docker_container_remove(c, name, NULL);
		return drover_err_set(err, -EPROTO, "%s: container create answered no valid Id", who);
	}
	memcpy(id, sid, DOCKER_ID_MAX + 1);
	yajl_tree_free(v);
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if ((r = call(c, "POST", path, NULL, NULL, NULL, err)) < 0) {
		char inner[DROVER_ERR_MESSAGE_MAX];
		snprintf(inner, sizeof(inner), "%s", err ? err->message : "");
		docker_container_remove(c, id, NULL);
		return drover_err_set(err, r, "%s: starting pause container \"%s\" (infra_image "
		                      "\"%s\"): %s", who, name, s->infra_image, inner);
	}
	return 0;
}

static int check_request(const drover_network_request *req, drover_err *err)
{
	if (!req || req->struct_size < offsetof(drover_network_request, state_dir) +
	                                   sizeof(req->state_dir))
		return drover_err_set(err, -EINVAL, "docker: the network request is too small for "
		                      "this driver (ABI 1.3)");
	if (!req->alloc_id || !req->alloc_id[0])
		return drover_err_set(err, -EINVAL, "docker: the network request has no alloc_id");
	return 0;
}

int docker_network_create(docker_client *c, const docker_settings *s,
                          const drover_network_request *req, drover_network_created *out,
                          drover_err *err)
{
	char name[200], who[300], *image_id = NULL, *path; /* image_id: pulled or found once */
	pause_state st;
	int r, attempt;

	if ((r = check_request(req, err)) < 0)
		return r;
	if (!out || out->struct_size < offsetof(drover_network_created, handle) +
	                                   sizeof(out->handle))
		return drover_err_set(err, -EINVAL, "docker: the network result is too small for this "
		                      "driver (ABI 1.3)");
	if (!req->mode || (strcmp(req->mode, "bridge") != 0 && strcmp(req->mode, "none") != 0))
		return drover_err_set(err, -EINVAL, "docker: network mode \"%.32s\" of allocation "
		                      "\"%.64s\" is not one a pause container holds (bridge, none)",
		                      req->mode ? req->mode : "", req->alloc_id);
	/* The reaper spares the pause container while this directory exists. */
	if (!req->state_dir || req->state_dir[0] != '/')
		return drover_err_set(err, -EINVAL, "docker: the network request of allocation "
		                      "\"%.64s\" has no absolute state_dir", req->alloc_id);
	if (pause_name(req->alloc_id, name, sizeof(name)) < 0)
		return drover_err_set(err, -EINVAL, "docker: alloc_id \"%.64s\" is too long for a "
		                      "container name", req->alloc_id);
	snprintf(who, sizeof(who), "network of allocation \"%.64s\"", req->alloc_id);
	for (attempt = 0;; attempt++) {
		if ((r = pause_inspect(c, name, &st, err)) < 0) {
			free(image_id);
			return r;
		}
		if (st.exists && strcmp(st.alloc_id, req->alloc_id) != 0) {
			free(image_id);
			return drover_err_set(err, -EEXIST, "%s: a container named \"%s\" exists that is "
			                      "not this allocation's (label %s=\"%.64s\"): remove it",
			                      who, name, DOCKER_LABEL_ALLOC_ID, st.alloc_id);
		}
		if (st.exists && st.running && st.pid > 0)
			break; /* idempotent: the allocation's namespace is there */
		/* A dead one (the daemon restarted, someone killed it) holds no
		 * namespace any more: a new one replaces it. */
		if (st.exists && (r = docker_container_remove(c, st.id, err)) < 0) {
			free(image_id);
			return r;
		}
		if (attempt == 2) {
			free(image_id);
			return drover_err_set(err, -EIO, "%s: pause container \"%s\" of infra_image "
			                      "\"%s\" exits as soon as it starts: is it a pause image?",
			                      who, name, s->infra_image);
		}
		if (!image_id && (r = docker_image_ensure_infra(c, s, who, &image_id, err)) < 0)
			return r;
		r = pause_make(c, s, req, name, who, st.id, err);
		if (r == -EEXIST)
			continue;
		if (r < 0) {
			free(image_id);
			return r;
		}
	}
	free(image_id);
	/* The namespace file of the container's init process: the host
	 * bind-mounts it under /run/netns, which keeps the namespace alive and
	 * findable without this pid. */
	path = malloc(48);
	if (!path)
		return drover_err_set(err, -ENOMEM, "out of memory");
	snprintf(path, 48, "/proc/%d/ns/net", st.pid);
	if (docker_network_handle_encode(st.id, &out->handle.data, &out->handle.len) < 0) {
		free(path);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	out->netns_path = path;
	return 0;
}

int docker_network_destroy(docker_client *c, const drover_network_request *req,
                           const void *handle, size_t len, drover_err *err)
{
	char name[200], id[DOCKER_ID_MAX + 1];
	pause_state st;
	int r;

	if ((r = check_request(req, err)) < 0)
		return r;
	if (pause_name(req->alloc_id, name, sizeof(name)) < 0)
		return drover_err_set(err, -EINVAL, "docker: alloc_id \"%.64s\" is too long for a "
		                      "container name", req->alloc_id);
	/* The handle's container first; the name finds it when the handle is
	 * lost or damaged, and also a second one a later create made. */
	if (handle && len && docker_network_handle_decode(handle, len, id, NULL) == 0 &&
	    (r = docker_container_remove(c, id, err)) < 0)
		return r;
	if ((r = pause_inspect(c, name, &st, err)) < 0)
		return r;
	if (!st.exists)
		return 0;
	if (strcmp(st.alloc_id, req->alloc_id) != 0)
		return drover_err_set(err, -EEXIST, "docker: container \"%s\" is not the pause "
		                      "container of allocation \"%.64s\" (label %s=\"%.64s\"): left "
		                      "alone", name, req->alloc_id, DOCKER_LABEL_ALLOC_ID, st.alloc_id);
	return docker_container_remove(c, st.id, err);
}

const drover_network *docker_network_of(const drover_task_config *cfg)
{
	const drover_network *n = plugin_network_of(cfg);

	if (!PLUGIN_NETWORK_HAS(n, mode) || !n->mode)
		return NULL;
	if (strcmp(n->mode, "bridge") == 0 || strcmp(n->mode, "none") == 0)
		return n;
	return NULL;
}

/* The pause container a task joins: the id in the network's handle, else
 * its name. */
static int pause_ref(const drover_task_config *cfg, char *ref, size_t len)
{
	const drover_network *n = docker_network_of(cfg);

	if (n && n->struct_size >= offsetof(drover_network, created_handle_len) +
	                               sizeof(n->created_handle_len) &&
	    n->created_handle && n->created_handle_len &&
	    len > DOCKER_ID_MAX &&
	    docker_network_handle_decode(n->created_handle, n->created_handle_len, ref, NULL) == 0)
		return 0;
	return pause_name(cfg->alloc_id, ref, len);
}

int docker_network_task_mode(const drover_task_config *cfg, char *mode, size_t len,
                             drover_err *err)
{
	/* Docker refuses each of these next to a "container:" network mode;
	 * network_mode itself would take the task out of the group's network. */
	static const struct {
		const char *field, *why;
		/* No conflict when a group DNS block replaces the field
		 * (docker_dns.h), or when drover's /etc/hosts holds it
		 * (docker_hosts.h). */
		enum { ALWAYS, UNLESS_DNS, UNLESS_HOSTS } unless;
	} conflicts[] = {
		{ "network_mode", "the task joins the group's network namespace; remove "
		                  "network_mode, or give the group network mode \"host\"", ALWAYS },
		{ "hostname", "the tasks share the group's network namespace and take the "
		              "group network's Hostname: set that instead", ALWAYS },
		{ "mac_address", "the task has no interface of its own in the group's network "
		                 "namespace", ALWAYS },
		{ "extra_hosts", "the task shares the pause container's /etc/hosts: drover writes "
		                 "one of its own, with them, only in a network with an address "
		                 "(mode \"bridge\")", UNLESS_HOSTS },
		{ "network_aliases", "they apply only to a user-defined network", ALWAYS },
		{ "ipv4_address", "it applies only to a user-defined network", ALWAYS },
		{ "ipv6_address", "it applies only to a user-defined network", ALWAYS },
		{ "dns_servers", "the task shares /etc/resolv.conf with the group's pause "
		                 "container: give the group network a DNS block instead", UNLESS_DNS },
		{ "dns_search_domains", "the task shares /etc/resolv.conf with the group's pause "
		                        "container: give the group network a DNS block instead", UNLESS_DNS },
		{ "dns_options", "the task shares /etc/resolv.conf with the group's pause "
		                 "container: give the group network a DNS block instead", UNLESS_DNS },
	};
	const drover_network *n = docker_network_of(cfg);
	const char *task = cfg->task_name ? cfg->task_name : "?";
	char ref[200];
	int has_dns, has_hosts;

	if (!n)
		return drover_err_set(err, -EINVAL, "task \"%s\": the task is in no group network",
		                      task);
	has_dns = n->struct_size >= offsetof(drover_network, dns_options) + sizeof(n->dns_options) &&
	          (n->dns_servers || n->dns_searches || n->dns_options);
	has_hosts = docker_hosts_managed(cfg);
	for (size_t i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		const drover_value *v = drover_value_get(cfg->config, conflicts[i].field);
		if ((conflicts[i].unless == UNLESS_DNS && has_dns) ||
		    (conflicts[i].unless == UNLESS_HOSTS && has_hosts) || !v ||
		    v->type == DROVER_VALUE_NULL ||
		    (v->type == DROVER_VALUE_STRING && !v->u.string.ptr[0]) ||
		    (v->type == DROVER_VALUE_ARRAY && v->u.array.count == 0))
			continue;
		return drover_err_set(err, -EINVAL, "task \"%s\": docker config \"%s\" cannot be "
		                      "used in a group with network mode \"%s\": %s",
		                      task, conflicts[i].field, n->mode, conflicts[i].why);
	}
	if (pause_ref(cfg, ref, sizeof(ref)) < 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": no allocation id to find the "
		                      "group's pause container by", task);
	if ((size_t)snprintf(mode, len, "container:%s", ref) >= len)
		return drover_err_set(err, -ENAMETOOLONG, "task \"%s\": the pause container's name "
		                      "is too long", task);
	return 0;
}

int docker_network_check_joinable(docker_client *c, const drover_task_config *cfg,
                                  drover_err *err)
{
	const drover_network *n = docker_network_of(cfg);
	const char *task = cfg->task_name ? cfg->task_name : "?";
	char ref[200], name[200];
	pause_state st;
	int r;

	if (!n)
		return 0;
	if (pause_ref(cfg, ref, sizeof(ref)) < 0 || pause_name(cfg->alloc_id, name, sizeof(name)) < 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": no allocation id to find the "
		                      "group's pause container by", task);
	if ((r = pause_inspect(c, ref, &st, err)) < 0)
		return r;
	if (!st.exists || !st.running)
		return drover_err_set(err, -ENOENT, "task \"%s\": the group's network (mode \"%s\") "
		                      "is held by pause container \"%s\", which %s: the allocation's "
		                      "network must be made (create_network) before its tasks start",
		                      task, n->mode, name, st.exists ? "is not running" : "does not "
		                      "exist");
	return 0;
}
