/* Building the create-container body (see docker_container.h). */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docker_container.h"
#include "docker_cpu.h"
#include "docker_dns.h"
#include "docker_hosts.h"
#include "docker_json.h"
#include "docker_network.h"
#include "plugin_resolve.h"

/* Docker's default capability set, lower case without "cap_". */
static const char *const docker_default_caps[] = {
	"audit_write", "chown", "dac_override", "fowner", "fsetid", "kill", "mknod",
	"net_bind_service", "net_raw", "setfcap", "setgid", "setpcap", "setuid", "sys_chroot",
	NULL
};

typedef struct build {
	const docker_settings *s;
	const drover_task_config *cfg;
	const drover_value *c; /* the config block */
	yajl_gen g;
	drover_err *err;
	const char *task;
	long long cpu_period, cpu_quota; /* 0: no hard limit */
	/* "container:<pause>" when the task joins its group's network
	 * (docker_network.c): no NetworkMode of its own, no published ports. */
	char group_net_mode[256];
} build;

#define GEN(expr)                                                                    \
	do {                                                                         \
		if ((expr) != yajl_gen_status_ok)                                     \
			return drover_err_set(b->err, -ENOMEM, "task \"%s\": out of memory " \
			                      "building the container",                   \
			                      b->task);                                    \
	} while (0)

static int field_error(build *b, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int field_error(build *b, int code, const char *field, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return drover_err_set(b->err, code, "task \"%s\": docker config \"%s\": %s", b->task,
	                      field, what);
}

static const char *get_str(build *b, const char *key)
{
	const char *v = drover_value_get_string(b->c, key, NULL);
	return v && v[0] ? v : NULL;
}

/* The task config's dns_* fields, which a group DNS block replaces: its
 * resolv.conf is bound instead (docker_dns.h), as in Nomad. */
static int dns_overridden(build *b, const char *key)
{
	return strncmp(key, "dns_", 4) == 0 && docker_dns_managed(b->cfg);
}

/* A list of strings from the config as a JSON array under `json_key`. */
static int gen_list(build *b, const char *key, const char *json_key)
{
	const drover_value *v = drover_value_get(b->c, key);
	size_t i;

	if (!v || v->type == DROVER_VALUE_NULL || dns_overridden(b, key))
		return 0;
	if (v->type != DROVER_VALUE_ARRAY)
		return field_error(b, -EINVAL, key, "must be a list of strings");
	GEN(docker_gen_key(b->g, json_key));
	GEN(yajl_gen_array_open(b->g));
	for (i = 0; i < v->u.array.count; i++) {
		const drover_value *it = &v->u.array.items[i];
		if (it->type != DROVER_VALUE_STRING)
			return field_error(b, -EINVAL, key, "item %zu is not a string", i);
		GEN(docker_gen_str(b->g, it->u.string.ptr));
	}
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

/* A map of strings from the config as a JSON object under `json_key`. */
static int gen_map(build *b, const drover_value *v, const char *field, const char *json_key)
{
	size_t i;

	if (!v || v->type == DROVER_VALUE_NULL)
		return 0;
	if (v->type != DROVER_VALUE_OBJECT)
		return field_error(b, -EINVAL, field, "must be a map of strings");
	GEN(docker_gen_key(b->g, json_key));
	GEN(yajl_gen_map_open(b->g));
	for (i = 0; i < v->u.object.count; i++) {
		const drover_value *it = &v->u.object.values[i];
		if (it->type != DROVER_VALUE_STRING)
			return field_error(b, -EINVAL, field, "the value of \"%.64s\" is not a string",
			                   v->u.object.keys[i]);
		GEN(docker_gen_key_str(b->g, v->u.object.keys[i], it->u.string.ptr));
	}
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

char *docker_container_name(const drover_task_config *cfg)
{
	const char *task = cfg->task_name ? cfg->task_name : "task";
	const char *alloc = cfg->alloc_id ? cfg->alloc_id : "alloc";
	size_t n = strlen(task) + strlen(alloc) + 2;
	char *name = malloc(n);

	if (!name)
		return NULL;
	snprintf(name, n, "%s-%s", task, alloc);
	for (char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			*p = '_';
	if (!isalnum((unsigned char)name[0]))
		name[0] = 'x';
	return name;
}

static const char *env_lookup(const drover_task_config *cfg, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; cfg->env && cfg->env[i]; i++)
		if (strncmp(cfg->env[i], key, kl) == 0 && cfg->env[i][kl] == '=')
			return cfg->env[i] + kl + 1;
	return NULL;
}

static int gen_env(build *b)
{
	/* Inside the container the task's directories are at Nomad's fixed places. */
	static const char *const overrides[] = { "NOMAD_ALLOC_DIR=/alloc", "NOMAD_TASK_DIR=/local",
		                                 "NOMAD_SECRETS_DIR=/secrets", NULL };

	GEN(docker_gen_key(b->g, "Env"));
	GEN(yajl_gen_array_open(b->g));
	for (size_t i = 0; b->cfg->env && b->cfg->env[i]; i++) {
		const char *e = b->cfg->env[i];
		int skip = 0;
		for (size_t o = 0; overrides[o]; o++) {
			size_t kl = strchr(overrides[o], '=') - overrides[o] + 1;
			if (strncmp(e, overrides[o], kl) == 0)
				skip = 1;
		}
		if (skip)
			continue;
		/* Nomad's port_map: inside the container NOMAD_PORT_<label> is the
		 * mapped (container) port; NOMAD_HOST_PORT_<label> stays the host's. */
		if (strncmp(e, "NOMAD_PORT_", 11) == 0 && strchr(e, '=')) {
			const drover_value *pm = drover_value_get(b->c, "port_map");
			char label[160], mapped_env[200];
			size_t ll = (size_t)(strchr(e, '=') - (e + 11));
			const drover_value *m;
			if (ll < sizeof(label)) {
				memcpy(label, e + 11, ll);
				label[ll] = '\0';
				m = pm && pm->type == DROVER_VALUE_OBJECT ? drover_value_get(pm, label) : NULL;
				if (m && (m->type == DROVER_VALUE_INT || m->type == DROVER_VALUE_STRING)) {
					if (m->type == DROVER_VALUE_INT)
						snprintf(mapped_env, sizeof(mapped_env), "NOMAD_PORT_%s=%lld",
						         label, (long long)m->u.integer);
					else
						snprintf(mapped_env, sizeof(mapped_env), "NOMAD_PORT_%s=%.16s",
						         label, m->u.string.ptr);
					GEN(docker_gen_str(b->g, mapped_env));
					continue;
				}
			}
		}
		GEN(docker_gen_str(b->g, e));
	}
	for (size_t o = 0; overrides[o]; o++)
		GEN(docker_gen_str(b->g, overrides[o]));
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

static int gen_labels(build *b)
{
	static const struct {
		const char *name;
		size_t offset;
	} extra[] = {
		{ "job_name", offsetof(drover_task_config, job_name) },
		{ "job_id", offsetof(drover_task_config, job_id) },
		{ "task_group_name", offsetof(drover_task_config, group_name) },
		{ "task_name", offsetof(drover_task_config, task_name) },
	};
	const drover_value *labels = drover_value_get(b->c, "labels");

	GEN(docker_gen_key(b->g, "Labels"));
	GEN(yajl_gen_map_open(b->g));
	GEN(docker_gen_key_str(b->g, DOCKER_LABEL_ALLOC_ID, b->cfg->alloc_id ? b->cfg->alloc_id : ""));
	GEN(docker_gen_key_str(b->g, DOCKER_LABEL_TASK_NAME, b->task));
	if (b->cfg->alloc_dir)
		GEN(docker_gen_key_str(b->g, DOCKER_LABEL_ALLOC_DIR, b->cfg->alloc_dir));
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		const char *value = *(const char *const *)((const char *)b->cfg + extra[i].offset);
		char key[64];
		int want = 0;
		if (!value || strcmp(extra[i].name, "task_name") == 0)
			continue;
		for (size_t g = 0; b->s->extra_labels && b->s->extra_labels[g]; g++)
			if (fnmatch(b->s->extra_labels[g], extra[i].name, 0) == 0)
				want = 1;
		if (!want)
			continue;
		snprintf(key, sizeof(key), "com.hashicorp.nomad.%s", extra[i].name);
		GEN(docker_gen_key_str(b->g, key, value));
	}
	if (labels && labels->type == DROVER_VALUE_OBJECT) {
		for (size_t i = 0; i < labels->u.object.count; i++) {
			const drover_value *v = &labels->u.object.values[i];
			const char *k = labels->u.object.keys[i];
			if (strncmp(k, "com.hashicorp.nomad.", 20) == 0)
				return field_error(b, -EINVAL, "labels",
				                   "\"%.64s\": the com.hashicorp.nomad. prefix is "
				                   "reserved for the labels drover sets",
				                   k);
			if (v->type != DROVER_VALUE_STRING)
				return field_error(b, -EINVAL, "labels",
				                   "the value of \"%.64s\" is not a string", k);
			GEN(docker_gen_key_str(b->g, k, v->u.string.ptr));
		}
	} else if (labels && labels->type != DROVER_VALUE_NULL) {
		return field_error(b, -EINVAL, "labels", "must be a map of strings");
	}
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

/* The labels of ports to publish: `ports` plus the keys of `port_map`. */
static int port_of(build *b, const char *label, long long *host_port, const char **host_ip,
                   long long *container_port)
{
	const drover_value *port_map = drover_value_get(b->c, "port_map");
	const drover_value *mapped = drover_value_get(port_map, label);
	char key[160];
	const char *v;
	char *end;

	snprintf(key, sizeof(key), "NOMAD_HOST_PORT_%s", label);
	v = env_lookup(b->cfg, key);
	if (!v) {
		snprintf(key, sizeof(key), "NOMAD_PORT_%s", label);
		v = env_lookup(b->cfg, key);
	}
	if (!v)
		return field_error(b, -EINVAL, "ports",
		                   "port \"%.64s\" is not one of the group's network ports (no "
		                   "NOMAD_HOST_PORT_%.64s in the task environment)",
		                   label, label);
	*host_port = strtoll(v, &end, 10);
	if (*end || *host_port <= 0 || *host_port > 65535)
		return field_error(b, -EINVAL, "ports", "port \"%.64s\" has no valid number (\"%.16s\")",
		                   label, v);
	snprintf(key, sizeof(key), "NOMAD_IP_%s", label);
	*host_ip = env_lookup(b->cfg, key);
	/* Publishing on every interface would be a surprise: only where asked. */
	if (!*host_ip || !(*host_ip)[0])
		*host_ip = "127.0.0.1";
	*container_port = *host_port;
	if (mapped) {
		if (mapped->type == DROVER_VALUE_INT)
			*container_port = mapped->u.integer;
		else if (mapped->type == DROVER_VALUE_STRING)
			*container_port = strtoll(mapped->u.string.ptr, &end, 10);
		else
			*container_port = -1;
		if ((mapped->type == DROVER_VALUE_STRING && (*end || end == mapped->u.string.ptr)) ||
		    *container_port <= 0 || *container_port > 65535)
			return field_error(b, -EINVAL, "port_map",
			                   "\"%.64s\" must map to a port number between 1 and 65535",
			                   label);
	}
	return 0;
}

static int collect_port_labels(build *b, const char ***labels, size_t *n)
{
	const drover_value *ports = drover_value_get(b->c, "ports");
	const drover_value *port_map = drover_value_get(b->c, "port_map");
	size_t cap = 0, count = 0;
	const char **list;

	/* A task with legacy task-level networks publishes every one of its
	 * ports, as Nomad's driver does (the container port is the port_map
	 * entry, else the host port). */
	const char *const *task_ports =
		b->cfg->struct_size >= offsetof(drover_task_config, task_ports) +
		                               sizeof(b->cfg->task_ports) ?
		b->cfg->task_ports :
		NULL;

	if (ports && ports->type == DROVER_VALUE_ARRAY)
		cap += ports->u.array.count;
	for (size_t i = 0; task_ports && task_ports[i]; i++)
		cap++;
	if (port_map && port_map->type == DROVER_VALUE_OBJECT)
		cap += port_map->u.object.count;
	else if (port_map && port_map->type != DROVER_VALUE_NULL)
		return field_error(b, -EINVAL, "port_map", "must be a map of port label to number");
	list = calloc(cap + 1, sizeof(*list));
	if (!list)
		return drover_err_set(b->err, -ENOMEM, "out of memory");
	for (size_t i = 0; ports && ports->type == DROVER_VALUE_ARRAY && i < ports->u.array.count; i++) {
		if (ports->u.array.items[i].type != DROVER_VALUE_STRING) {
			free(list);
			return field_error(b, -EINVAL, "ports", "item %zu is not a port label", i);
		}
		list[count++] = ports->u.array.items[i].u.string.ptr;
	}
	for (size_t i = 0; port_map && port_map->type == DROVER_VALUE_OBJECT &&
	                   i < port_map->u.object.count; i++) {
		int dup = 0;
		for (size_t j = 0; j < count; j++)
			if (strcmp(list[j], port_map->u.object.keys[i]) == 0)
				dup = 1;
		if (!dup)
			list[count++] = port_map->u.object.keys[i];
	}
	for (size_t i = 0; task_ports && task_ports[i]; i++) {
		int dup = 0;
		for (size_t j = 0; j < count; j++)
			if (strcmp(list[j], task_ports[i]) == 0)
				dup = 1;
		if (!dup)
			list[count++] = task_ports[i];
	}
	*labels = list;
	*n = count;
	return 0;
}

static int gen_exposed_ports(build *b, const char **labels, size_t n)
{
	GEN(docker_gen_key(b->g, "ExposedPorts"));
	GEN(yajl_gen_map_open(b->g));
	for (size_t i = 0; i < n; i++) {
		long long hp, cp;
		const char *ip;
		char key[32];
		int r = port_of(b, labels[i], &hp, &ip, &cp);
		if (r < 0)
			return r;
		for (int proto = 0; proto < 2; proto++) {
			snprintf(key, sizeof(key), "%lld/%s", cp, proto ? "udp" : "tcp");
			GEN(docker_gen_key(b->g, key));
			GEN(yajl_gen_map_open(b->g));
			GEN(yajl_gen_map_close(b->g));
		}
	}
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

static int gen_port_bindings(build *b, const char **labels, size_t n)
{
	GEN(docker_gen_key(b->g, "PortBindings"));
	GEN(yajl_gen_map_open(b->g));
	for (size_t i = 0; i < n; i++) {
		long long hp, cp;
		const char *ip;
		char key[32], hps[16];
		int r = port_of(b, labels[i], &hp, &ip, &cp);
		if (r < 0)
			return r;
		snprintf(hps, sizeof(hps), "%lld", hp);
		for (int proto = 0; proto < 2; proto++) {
			snprintf(key, sizeof(key), "%lld/%s", cp, proto ? "udp" : "tcp");
			GEN(docker_gen_key(b->g, key));
			GEN(yajl_gen_array_open(b->g));
			GEN(yajl_gen_map_open(b->g));
			GEN(docker_gen_key_str(b->g, "HostIp", ip));
			GEN(docker_gen_key_str(b->g, "HostPort", hps));
			GEN(yajl_gen_map_close(b->g));
			GEN(yajl_gen_array_close(b->g));
		}
	}
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

/* Lexically normalizes an absolute path ("/a/./b/../c" -> "/a/c") in place. */
static void path_clean(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 1 && seg[0] == '.')
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

static int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The host side of a bind: relative paths are under the task directory; a path
 * outside the allocation directory needs volumes.enabled. malloc'd in *out.
 *
 * A path inside the allocation directory is the tasks' to change: it is
 * resolved beneath the allocation directory at every start and restart
 * (docker_container_build runs for each), refusing every symlink, so that a
 * container that swapped "local/esc" for a link to /etc during its previous
 * run does not get the host's /etc bound on the next one. dockerd gets the
 * canonical path just checked to name the resolved directory. `create`: create
 * a missing source as dockerd does for Binds (but without following links). */
static int bind_source(build *b, const char *field, const char *src, int create,
                       char **out)
{
	size_t n = strlen(src) + strlen(b->cfg->task_dir) + 2;
	plugin_resolved res = PLUGIN_RESOLVED_INIT;
	char *path, *alloc, what[300];
	size_t alen;
	int r;

	if (!src[0])
		return field_error(b, -EINVAL, field, "the host path is empty");
	if (strlen(src) > 4000)
		return field_error(b, -ENAMETOOLONG, field, "the host path is too long");
	path = malloc(n);
	if (!path)
		return drover_err_set(b->err, -ENOMEM, "out of memory");
	if (src[0] == '/')
		snprintf(path, n, "%s", src);
	else
		snprintf(path, n, "%s/%s", b->cfg->task_dir, src);
	path_clean(path);
	alloc = strdup(b->cfg->alloc_dir);
	if (!alloc) {
		free(path);
		return drover_err_set(b->err, -ENOMEM, "out of memory");
	}
	path_clean(alloc);
	if (!path_within(path, alloc)) {
		free(alloc);
		if (b->s->volumes_enabled) {
			/* A host path the operator lets job authors bind. */
			*out = path;
			return 0;
		}
		r = field_error(b, -EPERM, field,
		                "host path \"%.200s\" is outside the allocation directory and "
		                "the docker plugin's volumes are disabled: set "
		                "volumes.enabled in the plugin options to allow it",
		                src);
		free(path);
		return r;
	}
	alen = strlen(alloc);
	snprintf(what, sizeof(what), "task \"%s\": docker config \"%s\"", b->task, field);
	r = plugin_resolve_beneath(b->cfg->alloc_dir, path + (alen > 1 ? alen : 0),
	                           PLUGIN_RESOLVE_DIR_OR_FILE | (create ? PLUGIN_RESOLVE_MKDIR : 0),
	                           what, &res, b->err);
	free(alloc);
	free(path);
	if (r < 0)
		return r;
	*out = res.path;
	res.path = NULL;
	plugin_resolved_free(&res);
	return 0;
}

/* One of the binds every container gets (alloc/, local/, secrets/), checked
 * like a task's own: the directory the host made, not a link in its place. */
static int standard_bind(build *b, const char *base, const char *name, const char *target,
                         const char *label)
{
	plugin_resolved res = PLUGIN_RESOLVED_INIT;
	char line[DROVER_PATH_MAX * 2 + 32], what[300];
	int r;

	snprintf(what, sizeof(what), "task \"%s\": the %s/ directory", b->task, name);
	/* Created when missing, as dockerd creates a missing Binds source (the
	 * host makes them all; a driver test or another host may not). */
	if ((r = plugin_resolve_beneath(base, name, PLUGIN_RESOLVE_MKDIR, what, &res, b->err)) < 0)
		return r;
	if (!S_ISDIR(res.st.st_mode)) {
		plugin_resolved_free(&res);
		return drover_err_set(b->err, -ENOTDIR, "%s is not a directory", what);
	}
	snprintf(line, sizeof(line), "%s:%s%s%s", res.path, target, label ? ":" : "",
	         label ? label : "");
	plugin_resolved_free(&res);
	GEN(docker_gen_str(b->g, line));
	return 0;
}

/* The task's host volumes (VolumeMounts): binds whatever volumes.enabled
 * says, since the operator declared them in client.host_volume. Docker
 * resolves the destination inside the container's root itself. */
static int gen_host_volume_binds(build *b, char *line, size_t len)
{
	static const struct {
		const char *mode, *docker;
	} propagation[] = { { "private", "rprivate" },
		            { "host-to-task", "rslave" },
		            { "bidirectional", "rshared" } };
	const char *label = b->s->selinux_label;
	const drover_mount *const *mounts =
		b->cfg->struct_size >= offsetof(drover_task_config, mounts) + sizeof(b->cfg->mounts) ?
		b->cfg->mounts :
		NULL;

	for (size_t i = 0; mounts && mounts[i]; i++) {
		const drover_mount *m = mounts[i];
		plugin_resolved res = PLUGIN_RESOLVED_INIT;
		const char *prop = NULL;
		char field[48], what[300];
		int r;

		snprintf(field, sizeof(field), "VolumeMounts[%zu]", i);
		for (size_t p = 0; p < sizeof(propagation) / sizeof(propagation[0]); p++)
			if (m->propagation && strcmp(m->propagation, propagation[p].mode) == 0)
				prop = propagation[p].docker;
		if (!m->destination || m->destination[0] != '/' || strpbrk(m->destination, ":,"))
			return drover_err_set(b->err, -EINVAL,
			                      "%s (volume \"%.64s\"): \"Destination\" \"%.200s\" must "
			                      "be an absolute path inside the container, without ':' or ','",
			                      field, m->volume, m->destination ? m->destination : "");
		if (!m->source || m->source[0] != '/')
			return drover_err_set(b->err, -EINVAL,
			                      "%s (volume \"%.64s\"): the host path \"%.200s\" is not "
			                      "absolute",
			                      field, m->volume, m->source ? m->source : "");
		/* The operator's path, checked again right before dockerd gets it:
		 * still a directory or a file, and by its canonical name. */
		snprintf(what, sizeof(what), "task \"%s\": %s (host volume \"%.64s\")", b->task,
		         field, m->volume);
		if ((r = plugin_resolve_beneath(m->source, ".", PLUGIN_RESOLVE_DIR_OR_FILE, what, &res,
		                                b->err)) < 0)
			return r;
		if (strpbrk(res.path, ":,")) {
			r = drover_err_set(b->err, -EINVAL, "%s: the host path \"%.200s\" cannot be "
			                   "bound: it holds ':' or ','",
			                   what, res.path);
			plugin_resolved_free(&res);
			return r;
		}
		snprintf(line, len, "%s:%s:%s%s%s%s%s", res.path, m->destination,
		         m->read_only ? "ro" : "rw", prop ? "," : "", prop ? prop : "",
		         label ? "," : "", label ? label : "");
		plugin_resolved_free(&res);
		GEN(docker_gen_str(b->g, line));
	}
	return 0;
}

/* A bind of a file the driver wrote into the task's state directory from
 * the group network (docker_dns.h, docker_hosts.h); none when `make` gives no
 * line. */
typedef int (*state_bind_fn)(const drover_task_config *cfg, const char *label, char **line,
                             drover_err *err);

static int gen_state_bind(build *b, state_bind_fn make)
{
	char *line = NULL;
	yajl_gen_status st;
	int r;

	if ((r = make(b->cfg, b->s->selinux_label, &line, b->err)) < 0) {
		char msg[DROVER_ERR_MESSAGE_MAX];
		snprintf(msg, sizeof(msg), "%s", b->err->message);
		return drover_err_set(b->err, r, "task \"%s\": %s", b->task, msg);
	}
	if (!line)
		return 0;
	st = docker_gen_str(b->g, line);
	free(line);
	GEN(st);
	return 0;
}

static int gen_binds(build *b)
{
	const drover_value *vols = drover_value_get(b->c, "volumes");
	char line[DROVER_PATH_MAX * 2 + 32];
	int r;
	/* volumes.selinuxlabel relabels every bind of the task, whether or not
	 * volumes are enabled, as in Nomad. */
	const char *label = b->s->selinux_label;
	int r0;

	GEN(docker_gen_key(b->g, "Binds"));
	GEN(yajl_gen_array_open(b->g));
	/* alloc/logs read-only over the read-write alloc/, as exec binds it: the
	 * logger writes the logs, never the task, and a container that could
	 * write there could plant links and FIFOs for the rotation, delete or
	 * forge its own and its siblings' logs. */
	if ((r0 = standard_bind(b, b->cfg->alloc_dir, "alloc", "/alloc", label)) < 0 ||
	    (r0 = standard_bind(b, b->cfg->alloc_dir, "alloc/logs", "/alloc/logs",
	                        label ? (b->s->selinux_label[0] == 'Z' ? "ro,Z" : "ro,z")
	                              : "ro")) < 0 ||
	    (r0 = standard_bind(b, b->cfg->task_dir, "local", "/local", label)) < 0 ||
	    (r0 = standard_bind(b, b->cfg->task_dir, "secrets", "/secrets", label)) < 0)
		return r0;
	for (size_t i = 0; vols && vols->type == DROVER_VALUE_ARRAY && i < vols->u.array.count; i++) {
		const drover_value *it = &vols->u.array.items[i];
		char field[32], *src = NULL, *copy, *target, *mode;

		snprintf(field, sizeof(field), "volumes[%zu]", i);
		if (it->type != DROVER_VALUE_STRING)
			return field_error(b, -EINVAL, field, "must be \"host_path:container_path\"");
		copy = strdup(it->u.string.ptr);
		if (!copy)
			return drover_err_set(b->err, -ENOMEM, "out of memory");
		target = strchr(copy, ':');
		if (!target || target == copy || target[1] != '/') {
			free(copy);
			return field_error(b, -EINVAL, field,
			                   "\"%.200s\" is not \"host_path:/container/path[:ro|rw]\"",
			                   it->u.string.ptr);
		}
		*target++ = '\0';
		mode = strchr(target, ':');
		if (mode) {
			*mode++ = '\0';
			if (strcmp(mode, "ro") && strcmp(mode, "rw")) {
				r = field_error(b, -EINVAL, field, "mode \"%.16s\" is not ro or rw",
				                mode);
				free(copy);
				return r;
			}
		}
		/* With a volume_driver, a bare name is that driver's volume, as in
		 * Nomad; paths are binds as always. */
		if (get_str(b, "volume_driver") && copy[0] != '/' && copy[0] != '.' &&
		    !strchr(copy, '/'))
			r = (src = strdup(copy)) ? 0 : drover_err_set(b->err, -ENOMEM, "out of memory");
		else
			r = bind_source(b, field, copy, 1, &src);
		if (r < 0) {
			free(copy);
			return r;
		}
		/* Docker takes one mode field, "ro,z": Nomad's plain ":z"
		 * suffix would make "src:dst:ro:z", which the daemon refuses. */
		snprintf(line, sizeof(line), "%s:%s%s%s%s%s", src, target, mode || label ? ":" : "",
		         mode ? mode : "", mode && label ? "," : "", label ? label : "");
		free(src);
		free(copy);
		GEN(docker_gen_str(b->g, line));
	}
	/* The group network's resolv.conf last (Nomad appends it), then its
	 * hosts file. */
	if ((r = gen_host_volume_binds(b, line, sizeof(line))) < 0 ||
	    (r = gen_state_bind(b, docker_dns_bind)) < 0 ||
	    (r = gen_state_bind(b, docker_hosts_bind)) < 0)
		return r;
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

/* VolumeOptions of a volume mount: NoCopy, Labels, DriverConfig. */
static int gen_volume_options(build *b, const drover_value *m, const char *field)
{
	const drover_value *vo = drover_value_get(m, "volume_options");
	const drover_value *dc = drover_value_get(vo, "driver_config");
	const char *driver = drover_value_get_string(dc, "name", NULL);
	char sub[96];
	int r;

	if (!vo || vo->type != DROVER_VALUE_OBJECT)
		return 0;
	GEN(docker_gen_key(b->g, "VolumeOptions"));
	GEN(yajl_gen_map_open(b->g));
	GEN(docker_gen_key_bool(b->g, "NoCopy", drover_value_get_bool(vo, "no_copy", 0)));
	snprintf(sub, sizeof(sub), "%s.volume_options.labels", field);
	if ((r = gen_map(b, drover_value_get(vo, "labels"), sub, "Labels")) < 0)
		return r;
	if (dc && dc->type == DROVER_VALUE_OBJECT) {
		GEN(docker_gen_key(b->g, "DriverConfig"));
		GEN(yajl_gen_map_open(b->g));
		if (driver && driver[0])
			GEN(docker_gen_key_str(b->g, "Name", driver));
		snprintf(sub, sizeof(sub), "%s.volume_options.driver_config.options", field);
		if ((r = gen_map(b, drover_value_get(dc, "options"), sub, "Options")) < 0)
			return r;
		GEN(yajl_gen_map_close(b->g));
	}
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

static int gen_mount_one(build *b, const drover_value *m, const char *field);

/* `mount` and its older spelling `mounts` both land in Mounts. */
static int gen_mounts(build *b)
{
	static const char *const keys[] = { "mount", "mounts" };
	size_t total = 0;

	for (size_t k = 0; k < 2; k++) {
		const drover_value *l = drover_value_get(b->c, keys[k]);
		if (l && l->type == DROVER_VALUE_ARRAY)
			total += l->u.array.count;
	}
	if (!total)
		return 0;
	GEN(docker_gen_key(b->g, "Mounts"));
	GEN(yajl_gen_array_open(b->g));
	for (size_t k = 0; k < 2; k++) {
		const drover_value *l = drover_value_get(b->c, keys[k]);
		for (size_t i = 0; l && l->type == DROVER_VALUE_ARRAY && i < l->u.array.count; i++) {
			char field[48];
			int r;
			snprintf(field, sizeof(field), "%s[%zu]", keys[k], i);
			if ((r = gen_mount_one(b, &l->u.array.items[i], field)) < 0)
				return r;
		}
	}
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

static int gen_mount_one(build *b, const drover_value *m, const char *field)
{
	{
		const char *type = drover_value_get_string(m, "type", "volume");
		const char *target = drover_value_get_string(m, "target", NULL);
		const char *source = drover_value_get_string(m, "source", NULL);

		if (m->type != DROVER_VALUE_OBJECT)
			return field_error(b, -EINVAL, field, "must be a block");
		if (strcmp(type, "volume") != 0 && drover_value_get(m, "volume_options"))
			return field_error(b, -EINVAL, field,
			                   "volume_options applies to type \"volume\" only");
		if (!target || target[0] != '/')
			return field_error(b, -EINVAL, field, "\"target\" must be an absolute path in "
			                   "the container");
		GEN(yajl_gen_map_open(b->g));
		GEN(docker_gen_key_str(b->g, "Target", target));
		GEN(docker_gen_key_bool(b->g, "ReadOnly", drover_value_get_bool(m, "readonly", 0)));
		if (strcmp(type, "bind") == 0) {
			char *src = NULL;
			int r;
			if (!source)
				return field_error(b, -EINVAL, field, "a bind mount needs \"source\"");
			if ((r = bind_source(b, field, source, 0, &src)) < 0)
				return r;
			GEN(docker_gen_key_str(b->g, "Type", "bind"));
			r = docker_gen_key_str(b->g, "Source", src);
			free(src);
			GEN(r);
			const char *prop = drover_value_get_string(
				drover_value_get(m, "bind_options"), "propagation", NULL);
			if (prop) {
				static const char *const ok[] = { "private", "rprivate", "shared",
					                          "rshared", "slave", "rslave", NULL };
				int valid = 0;
				for (size_t k = 0; ok[k]; k++)
					valid |= strcmp(ok[k], prop) == 0;
				if (!valid)
					return field_error(b, -EINVAL, field,
					                   "bind_options.propagation \"%.32s\" is not one of "
					                   "private, rprivate, shared, rshared, slave, rslave",
					                   prop);
				GEN(docker_gen_key(b->g, "BindOptions"));
				GEN(yajl_gen_map_open(b->g));
				GEN(docker_gen_key_str(b->g, "Propagation", prop));
				GEN(yajl_gen_map_close(b->g));
			}
		} else if (strcmp(type, "volume") == 0) {
			if (!b->s->volumes_enabled)
				return field_error(b, -EPERM, field,
				                   "volume mounts need volumes.enabled in the docker "
				                   "plugin options");
			GEN(docker_gen_key_str(b->g, "Type", "volume"));
			if (source)
				GEN(docker_gen_key_str(b->g, "Source", source));
			int r = gen_volume_options(b, m, field);
			if (r < 0)
				return r;
		} else if (strcmp(type, "tmpfs") == 0) {
			const drover_value *t = drover_value_get(m, "tmpfs_options");
			long long size = drover_value_get_int(t, "size", 0);
			long long mode = drover_value_get_int(t, "mode", 0);
			if (source)
				return field_error(b, -EINVAL, field, "a tmpfs mount takes no \"source\"");
			if (size < 0 || mode < 0 || mode > 07777)
				return field_error(b, -EINVAL, field,
				                   "tmpfs_options: size must be >= 0 and mode a file mode");
			GEN(docker_gen_key_str(b->g, "Type", "tmpfs"));
			if (size || mode) {
				GEN(docker_gen_key(b->g, "TmpfsOptions"));
				GEN(yajl_gen_map_open(b->g));
				if (size)
					GEN(docker_gen_key_int(b->g, "SizeBytes", size));
				if (mode)
					GEN(docker_gen_key_int(b->g, "Mode", mode));
				GEN(yajl_gen_map_close(b->g));
			}
		} else {
			return field_error(b, -EINVAL, field,
			                   "type \"%.32s\" is not one of bind, volume, tmpfs", type);
		}
		GEN(yajl_gen_map_close(b->g));
	}
	return 0;
}

static int gen_devices(build *b)
{
	const drover_value *devs = drover_value_get(b->c, "devices");

	if (!devs || devs->type != DROVER_VALUE_ARRAY || devs->u.array.count == 0)
		return 0;
	GEN(docker_gen_key(b->g, "Devices"));
	GEN(yajl_gen_array_open(b->g));
	for (size_t i = 0; i < devs->u.array.count; i++) {
		const drover_value *d = &devs->u.array.items[i];
		const char *host = drover_value_get_string(d, "host_path", NULL);
		const char *cont = drover_value_get_string(d, "container_path", host);
		const char *perms = drover_value_get_string(d, "cgroup_permissions", "rwm");
		char field[48];

		snprintf(field, sizeof(field), "devices[%zu]", i);
		if (!host || host[0] != '/')
			return field_error(b, -EINVAL, field, "\"host_path\" must be an absolute path");
		if (!cont || cont[0] != '/')
			return field_error(b, -EINVAL, field,
			                   "\"container_path\" must be an absolute path");
		if (!perms[0] || strspn(perms, "rwm") != strlen(perms) || strlen(perms) > 3)
			return field_error(b, -EINVAL, field,
			                   "\"cgroup_permissions\" \"%.16s\" must be made of r, w and m",
			                   perms);
		GEN(yajl_gen_map_open(b->g));
		GEN(docker_gen_key_str(b->g, "PathOnHost", host));
		GEN(docker_gen_key_str(b->g, "PathInContainer", cont));
		GEN(docker_gen_key_str(b->g, "CgroupPermissions", perms));
		GEN(yajl_gen_map_close(b->g));
	}
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

static int gen_ulimits(build *b)
{
	const drover_value *u = drover_value_get(b->c, "ulimit");

	if (!u || u->type != DROVER_VALUE_OBJECT || u->u.object.count == 0)
		return 0;
	GEN(docker_gen_key(b->g, "Ulimits"));
	GEN(yajl_gen_array_open(b->g));
	for (size_t i = 0; i < u->u.object.count; i++) {
		const char *name = u->u.object.keys[i];
		const drover_value *v = &u->u.object.values[i];
		char *end;
		long long soft, hard;

		if (v->type != DROVER_VALUE_STRING)
			return field_error(b, -EINVAL, "ulimit", "the value of \"%.32s\" is not a string",
			                   name);
		errno = 0;
		soft = strtoll(v->u.string.ptr, &end, 10);
		hard = soft;
		if (*end == ':')
			hard = strtoll(end + 1, &end, 10);
		if (errno || *end || end == v->u.string.ptr || soft < 0 || hard < soft)
			return field_error(b, -EINVAL, "ulimit",
			                   "\"%.32s\" = \"%.32s\" is not \"limit\" or \"soft:hard\" "
			                   "with soft <= hard",
			                   name, v->u.string.ptr);
		GEN(yajl_gen_map_open(b->g));
		GEN(docker_gen_key_str(b->g, "Name", name));
		GEN(docker_gen_key_int(b->g, "Soft", soft));
		GEN(docker_gen_key_int(b->g, "Hard", hard));
		GEN(yajl_gen_map_close(b->g));
	}
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

static int strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* "CAP_NET_ADMIN", "net_admin" -> "net_admin" in buf. */
static void cap_norm(const char *in, char *buf, size_t len)
{
	size_t o = 0;
	if (strncasecmp(in, "cap_", 4) == 0)
		in += 4;
	for (; *in && o + 1 < len; in++)
		buf[o++] = (char)tolower((unsigned char)*in);
	buf[o] = '\0';
}

static int cap_listed(const drover_value *list, const char *cap)
{
	char buf[64];
	for (size_t i = 0; list && list->type == DROVER_VALUE_ARRAY && i < list->u.array.count; i++) {
		if (list->u.array.items[i].type != DROVER_VALUE_STRING)
			continue;
		cap_norm(list->u.array.items[i].u.string.ptr, buf, sizeof(buf));
		if (strcmp(buf, cap) == 0 || strcmp(buf, "all") == 0)
			return 1;
	}
	return 0;
}

/* cap_add must stay within allow_caps; defaults outside allow_caps are dropped,
 * as Nomad does for NET_RAW. */
static int gen_caps(build *b)
{
	const drover_value *add = drover_value_get(b->c, "cap_add");
	const drover_value *drop = drover_value_get(b->c, "cap_drop");
	int allow_all = strv_has(b->s->allow_caps, "all");
	char buf[64], up[72];
	int r;

	for (size_t i = 0; add && add->type == DROVER_VALUE_ARRAY && i < add->u.array.count; i++) {
		const drover_value *it = &add->u.array.items[i];
		if (it->type != DROVER_VALUE_STRING)
			return field_error(b, -EINVAL, "cap_add", "item %zu is not a string", i);
		cap_norm(it->u.string.ptr, buf, sizeof(buf));
		if (!allow_all && !strv_has(b->s->allow_caps, buf))
			return field_error(b, -EPERM, "cap_add",
			                   "capability \"%.32s\" is not in the docker plugin's "
			                   "allow_caps",
			                   it->u.string.ptr);
	}
	if ((r = gen_list(b, "cap_add", "CapAdd")) < 0)
		return r;
	GEN(docker_gen_key(b->g, "CapDrop"));
	GEN(yajl_gen_array_open(b->g));
	for (size_t i = 0; drop && drop->type == DROVER_VALUE_ARRAY && i < drop->u.array.count; i++) {
		const drover_value *it = &drop->u.array.items[i];
		if (it->type != DROVER_VALUE_STRING)
			return field_error(b, -EINVAL, "cap_drop", "item %zu is not a string", i);
		GEN(docker_gen_str(b->g, it->u.string.ptr));
	}
	if (!allow_all && !cap_listed(drop, "all")) {
		for (size_t i = 0; docker_default_caps[i]; i++) {
			const char *cap = docker_default_caps[i];
			if (strv_has(b->s->allow_caps, cap) || cap_listed(drop, cap) ||
			    cap_listed(add, cap))
				continue;
			snprintf(up, sizeof(up), "%s", cap);
			for (char *p = up; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			GEN(docker_gen_str(b->g, up));
		}
	}
	GEN(yajl_gen_array_close(b->g));
	return 0;
}

static int check_mode(build *b, const char *field, const char *mode, int allow_container)
{
	if (!mode)
		return 0;
	if (strcmp(mode, "host") == 0) {
		if (!b->s->allow_privileged)
			return field_error(b, -EPERM, field,
			                   "\"host\" needs allow_privileged = true in the docker "
			                   "plugin options");
		return 0;
	}
	if (strcmp(mode, "private") == 0 || strcmp(mode, "shareable") == 0 ||
	    strcmp(mode, "none") == 0)
		return 0;
	if (allow_container && strncmp(mode, "container:", 10) == 0 && mode[10])
		return 0;
	return field_error(b, -EINVAL, field, "\"%.64s\" is not a mode drover supports (host%s)",
	                   mode, allow_container ? ", private, shareable, none, container:<id>" : "");
}

/* cpu_hard_limit: a CFS quota worth the task's MHz share of the host, as
 * Nomad computes it. */
static int check_cpu(build *b)
{
	long long period = drover_value_get_int(b->c, "cpu_cfs_period", 0);
	long long total;
	int cores;

	if (period < 0 || period > DOCKER_CFS_PERIOD_MAX ||
	    (period > 0 && period < DOCKER_CFS_QUOTA_MIN))
		return field_error(b, -EINVAL, "cpu_cfs_period",
		                   "%lld is not a period between %lld and %lld microseconds", period,
		                   DOCKER_CFS_QUOTA_MIN, DOCKER_CFS_PERIOD_MAX);
	if (!drover_value_get_bool(b->c, "cpu_hard_limit", 0))
		return 0;
	if (b->cfg->cpu_mhz <= 0)
		return field_error(b, -EINVAL, "cpu_hard_limit", "the task has no Resources.CPU to "
		                   "limit it to");
	if (docker_cpu_host(&total, &cores) < 0)
		return field_error(b, -ENOTSUP, "cpu_hard_limit",
		                   "the host's CPU frequency cannot be read (cpufreq, /proc/cpuinfo)");
	b->cpu_period = period ? period : DOCKER_CFS_PERIOD_DEFAULT;
	b->cpu_quota = docker_cpu_quota(b->cfg->cpu_mhz, total, cores, b->cpu_period);
	return 0;
}

static int gen_host_config(build *b)
{
	const drover_task_config *cfg = b->cfg;
	const char *s;
	long long soft_mb = cfg->memory_mb, hard_mb = cfg->memory_max_mb;
	long long task_hard = drover_value_get_int(b->c, "memory_hard_limit", 0);
	long long pids = drover_value_get_int(b->c, "pids_limit", 0);
	long long shm = drover_value_get_int(b->c, "shm_size", 0);
	long long oom = drover_value_get_int(b->c, "oom_score_adj", 0);
	const drover_value *logging = drover_value_get(b->c, "logging");
	const drover_value *hc = drover_value_get(b->c, "healthchecks");
	const char **labels = NULL;
	size_t nlabels = 0;
	int r;

	(void)hc;
	if (task_hard < 0 || task_hard > 1024LL * 1024 * 1024)
		return field_error(b, -EINVAL, "memory_hard_limit", "must be a number of MiB >= 0");
	if (task_hard)
		hard_mb = task_hard;
	if (hard_mb && hard_mb < soft_mb)
		return field_error(b, -EINVAL, "memory_hard_limit",
		                   "%lld MiB is below the task's memory of %lld MiB", hard_mb, soft_mb);
	if (pids < 0)
		return field_error(b, -EINVAL, "pids_limit", "must be >= 0");
	if (b->s->pids_limit > 0 && pids > b->s->pids_limit)
		return field_error(b, -EPERM, "pids_limit",
		                   "%lld is above the docker plugin's pids_limit of %lld", pids,
		                   b->s->pids_limit);
	if (!pids)
		pids = b->s->pids_limit;
	if (shm < 0)
		return field_error(b, -EINVAL, "shm_size", "must be a number of bytes >= 0");
	if (oom < -1000 || oom > 1000)
		return field_error(b, -EINVAL, "oom_score_adj", "must be between -1000 and 1000");
	if (drover_value_get_bool(b->c, "privileged", 0) && !b->s->allow_privileged)
		return field_error(b, -EPERM, "privileged",
		                   "needs allow_privileged = true in the docker plugin options");
	if ((r = check_mode(b, "ipc_mode", get_str(b, "ipc_mode"), 1)) < 0 ||
	    (r = check_mode(b, "pid_mode", get_str(b, "pid_mode"), 1)) < 0 ||
	    (r = check_mode(b, "uts_mode", get_str(b, "uts_mode"), 0)) < 0 ||
	    (r = check_mode(b, "userns_mode", get_str(b, "userns_mode"), 0)) < 0)
		return r;
	if ((s = get_str(b, "volume_driver")) && !b->s->volumes_enabled)
		return field_error(b, -EPERM, "volume_driver",
		                   "volume drivers need volumes.enabled in the docker plugin "
		                   "options");
	if ((s = get_str(b, "cpuset_cpus")) &&
	    (strlen(s) > 256 || strspn(s, "0123456789,-") != strlen(s)))
		return field_error(b, -EINVAL, "cpuset_cpus",
		                   "\"%.64s\" is not a list of CPUs such as \"0-2,4\"", s);
	if ((r = check_cpu(b)) < 0)
		return r;
	if ((s = get_str(b, "runtime")) != NULL) {
		if (!strv_has(b->s->allow_runtimes, s))
			return field_error(b, -EPERM, "runtime",
			                   "\"%.64s\" is not in the docker plugin's allow_runtimes", s);
	}

	GEN(docker_gen_key(b->g, "HostConfig"));
	GEN(yajl_gen_map_open(b->g));
	if ((r = gen_binds(b)) < 0 || (r = gen_mounts(b)) < 0 || (r = gen_devices(b)) < 0 ||
	    (r = gen_ulimits(b)) < 0 || (r = gen_caps(b)) < 0)
		return r;
	if (hard_mb) {
		GEN(docker_gen_key_int(b->g, "Memory", hard_mb * 1024 * 1024));
		GEN(docker_gen_key_int(b->g, "MemoryReservation", soft_mb * 1024 * 1024));
		GEN(docker_gen_key_int(b->g, "MemorySwap", hard_mb * 1024 * 1024));
	} else if (soft_mb > 0) {
		GEN(docker_gen_key_int(b->g, "Memory", soft_mb * 1024 * 1024));
		/* As Nomad: no swap beyond the memory limit. */
		GEN(docker_gen_key_int(b->g, "MemorySwap", soft_mb * 1024 * 1024));
	}
	if (cfg->cpu_mhz > 0)
		GEN(docker_gen_key_int(b->g, "CpuShares", cfg->cpu_mhz < 2 ? 2 : cfg->cpu_mhz));
	if (b->cpu_period) {
		GEN(docker_gen_key_int(b->g, "CpuPeriod", b->cpu_period));
		GEN(docker_gen_key_int(b->g, "CpuQuota", b->cpu_quota));
	}
	if ((s = get_str(b, "cpuset_cpus")))
		GEN(docker_gen_key_str(b->g, "CpusetCpus", s));
	if ((s = get_str(b, "volume_driver")))
		GEN(docker_gen_key_str(b->g, "VolumeDriver", s));
	if (pids)
		GEN(docker_gen_key_int(b->g, "PidsLimit", pids));
	if (shm)
		GEN(docker_gen_key_int(b->g, "ShmSize", shm));
	if (oom)
		GEN(docker_gen_key_int(b->g, "OomScoreAdj", oom));
	GEN(docker_gen_key_bool(b->g, "Privileged", drover_value_get_bool(b->c, "privileged", 0)));
	GEN(docker_gen_key_bool(b->g, "ReadonlyRootfs",
	                        drover_value_get_bool(b->c, "readonly_rootfs", 0)));
	if (drover_value_get_bool(b->c, "init", 0))
		GEN(docker_gen_key_bool(b->g, "Init", 1));
	if ((s = get_str(b, "ipc_mode")))
		GEN(docker_gen_key_str(b->g, "IpcMode", s));
	if ((s = get_str(b, "pid_mode")))
		GEN(docker_gen_key_str(b->g, "PidMode", s));
	if ((s = get_str(b, "uts_mode")))
		GEN(docker_gen_key_str(b->g, "UTSMode", s));
	if ((s = get_str(b, "userns_mode")))
		GEN(docker_gen_key_str(b->g, "UsernsMode", s));
	if ((s = get_str(b, "runtime")))
		GEN(docker_gen_key_str(b->g, "Runtime", s));
	GEN(docker_gen_key_str(b->g, "NetworkMode",
	                       b->group_net_mode[0] ? b->group_net_mode
	                       : (s = get_str(b, "network_mode")) ? s : "bridge"));
	if ((r = gen_list(b, "dns_servers", "Dns")) < 0 ||
	    (r = gen_list(b, "dns_search_domains", "DnsSearch")) < 0 ||
	    (r = gen_list(b, "dns_options", "DnsOptions")) < 0 ||
	    (r = gen_list(b, "security_opt", "SecurityOpt")) < 0 ||
	    (r = gen_list(b, "group_add", "GroupAdd")) < 0)
		return r;
	{
		const drover_value *hosts = drover_value_get(b->c, "extra_hosts");
		for (size_t i = 0; hosts && hosts->type == DROVER_VALUE_ARRAY &&
		                   i < hosts->u.array.count; i++) {
			const drover_value *it = &hosts->u.array.items[i];
			if (it->type != DROVER_VALUE_STRING || !strchr(it->u.string.ptr, ':') ||
			    it->u.string.ptr[0] == ':')
				return field_error(b, -EINVAL, "extra_hosts",
				                   "item %zu is not \"hostname:IP\"", i);
		}
		/* With drover's /etc/hosts they are in that file, and Docker
		 * refuses ExtraHosts beside a "container:" network mode. */
		if (!docker_hosts_managed(b->cfg) &&
		    (r = gen_list(b, "extra_hosts", "ExtraHosts")) < 0)
			return r;
	}
	if ((r = gen_map(b, drover_value_get(b->c, "sysctl"), "sysctl", "Sysctls")) < 0 ||
	    (r = gen_map(b, drover_value_get(b->c, "storage_opt"), "storage_opt", "StorageOpt")) < 0)
		return r;
	{
		const char *type = drover_value_get_string(logging, "type", NULL);
		const char *driver = drover_value_get_string(logging, "driver", NULL);
		const drover_value *lconf = drover_value_get(logging, "config");
		if (type && driver && strcmp(type, driver) != 0)
			return field_error(b, -EINVAL, "logging",
			                   "\"type\" and \"driver\" name different drivers (\"%.32s\", "
			                   "\"%.32s\"): give one",
			                   type, driver);
		if (!type)
			type = driver;
		GEN(docker_gen_key(b->g, "LogConfig"));
		GEN(yajl_gen_map_open(b->g));
		if (type || (lconf && lconf->type != DROVER_VALUE_NULL)) {
			/* The task's block wins whole; a config alone keeps the
			 * plugin's driver, whose options it is most likely for. */
			GEN(docker_gen_key_str(b->g, "Type",
			                       type ? type
			                            : b->s->log_type ? b->s->log_type : "json-file"));
			if ((r = gen_map(b, lconf, "logging.config", "Config")) < 0)
				return r;
		} else {
			/* The plugin's logging block (Nomad's default: small
			 * json-file files, since drover keeps its own copies). */
			char *const *kv = b->s->log_config;
			GEN(docker_gen_key_str(b->g, "Type",
			                       b->s->log_type ? b->s->log_type : "json-file"));
			GEN(docker_gen_key(b->g, "Config"));
			GEN(yajl_gen_map_open(b->g));
			for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
				GEN(docker_gen_key_str(b->g, kv[i], kv[i + 1]));
			GEN(yajl_gen_map_close(b->g));
		}
		GEN(yajl_gen_map_close(b->g));
	}
	if (!b->group_net_mode[0] && (r = collect_port_labels(b, &labels, &nlabels)) < 0)
		return r;
	if (nlabels) {
		r = gen_port_bindings(b, labels, nlabels);
		if (r < 0) {
			free(labels);
			return r;
		}
	}
	free(labels);
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

/* Modes that are not a network of the user's: aliases and addresses have
 * nowhere to go there. */
static int user_network(const char *mode)
{
	static const char *const builtin[] = { "bridge", "default", "host", "none", NULL };

	if (!mode || !mode[0] || strncmp(mode, "container:", 10) == 0)
		return 0;
	for (size_t i = 0; builtin[i]; i++)
		if (strcmp(mode, builtin[i]) == 0)
			return 0;
	return 1;
}

/* network_aliases, ipv4_address, ipv6_address: the endpoint of the container
 * in its user-defined network (NetworkingConfig.EndpointsConfig). */
static int gen_networking(build *b)
{
	static const char *const fields[] = { "network_aliases", "ipv4_address", "ipv6_address" };
	const char *mode = get_str(b, "network_mode");
	const char *v4 = get_str(b, "ipv4_address"), *v6 = get_str(b, "ipv6_address");
	const drover_value *aliases = drover_value_get(b->c, "network_aliases");
	int any = v4 || v6 || (aliases && aliases->type == DROVER_VALUE_ARRAY &&
	                       aliases->u.array.count);
	unsigned char addr[16];
	int r;

	if (!any)
		return 0;
	if (!user_network(mode)) {
		for (size_t i = 0; i < 3; i++)
			if (drover_value_get(b->c, fields[i]) &&
			    drover_value_get(b->c, fields[i])->type != DROVER_VALUE_NULL)
				return field_error(b, -EINVAL, fields[i],
				                   "applies only to a user-defined network: set "
				                   "network_mode to the network's name (not \"%.32s\")",
				                   mode ? mode : "bridge");
	}
	if (v4 && inet_pton(AF_INET, v4, addr) != 1)
		return field_error(b, -EINVAL, "ipv4_address", "\"%.64s\" is not an IPv4 address", v4);
	if (v6 && inet_pton(AF_INET6, v6, addr) != 1)
		return field_error(b, -EINVAL, "ipv6_address", "\"%.64s\" is not an IPv6 address", v6);
	GEN(docker_gen_key(b->g, "NetworkingConfig"));
	GEN(yajl_gen_map_open(b->g));
	GEN(docker_gen_key(b->g, "EndpointsConfig"));
	GEN(yajl_gen_map_open(b->g));
	GEN(docker_gen_key(b->g, mode));
	GEN(yajl_gen_map_open(b->g));
	if ((r = gen_list(b, "network_aliases", "Aliases")) < 0)
		return r;
	if (v4 || v6) {
		GEN(docker_gen_key(b->g, "IPAMConfig"));
		GEN(yajl_gen_map_open(b->g));
		if (v4)
			GEN(docker_gen_key_str(b->g, "IPv4Address", v4));
		if (v6)
			GEN(docker_gen_key_str(b->g, "IPv6Address", v6));
		GEN(yajl_gen_map_close(b->g));
	}
	GEN(yajl_gen_map_close(b->g));
	GEN(yajl_gen_map_close(b->g));
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

static int gen_body(build *b)
{
	const char *s;
	const drover_value *hc = drover_value_get(b->c, "healthchecks");
	const char **labels = NULL;
	size_t nlabels = 0;
	int r;

	GEN(yajl_gen_map_open(b->g));
	GEN(docker_gen_key_str(b->g, "Image", drover_value_get_string(b->c, "image", "")));
	if ((s = get_str(b, "command"))) {
		const drover_value *args = drover_value_get(b->c, "args");
		GEN(docker_gen_key(b->g, "Cmd"));
		GEN(yajl_gen_array_open(b->g));
		GEN(docker_gen_str(b->g, s));
		for (size_t i = 0; args && args->type == DROVER_VALUE_ARRAY && i < args->u.array.count;
		     i++) {
			if (args->u.array.items[i].type != DROVER_VALUE_STRING)
				return field_error(b, -EINVAL, "args", "item %zu is not a string", i);
			GEN(docker_gen_str(b->g, args->u.array.items[i].u.string.ptr));
		}
		GEN(yajl_gen_array_close(b->g));
	} else if ((r = gen_list(b, "args", "Cmd")) < 0) {
		/* Without a command, args go to the image's entrypoint, as in Nomad. */
		return r;
	}
	if ((r = gen_list(b, "entrypoint", "Entrypoint")) < 0)
		return r;
	if ((s = get_str(b, "work_dir"))) {
		if (s[0] != '/')
			return field_error(b, -EINVAL, "work_dir",
			                   "\"%.64s\" must be an absolute path in the container", s);
		GEN(docker_gen_key_str(b->g, "WorkingDir", s));
	}
	if (b->cfg->user && b->cfg->user[0])
		GEN(docker_gen_key_str(b->g, "User", b->cfg->user));
	if ((s = get_str(b, "hostname")))
		GEN(docker_gen_key_str(b->g, "Hostname", s));
	if ((s = get_str(b, "mac_address")))
		GEN(docker_gen_key_str(b->g, "MacAddress", s));
	GEN(docker_gen_key_bool(b->g, "Tty", drover_value_get_bool(b->c, "tty", 0)));
	if (drover_value_get_bool(b->c, "interactive", 0)) {
		GEN(docker_gen_key_bool(b->g, "OpenStdin", 1));
		GEN(docker_gen_key_bool(b->g, "AttachStdin", 1));
	}
	if (drover_value_get_bool(hc, "disable", 0)) {
		GEN(docker_gen_key(b->g, "Healthcheck"));
		GEN(yajl_gen_map_open(b->g));
		GEN(docker_gen_key(b->g, "Test"));
		GEN(yajl_gen_array_open(b->g));
		GEN(docker_gen_str(b->g, "NONE"));
		GEN(yajl_gen_array_close(b->g));
		GEN(yajl_gen_map_close(b->g));
	}
	if ((r = gen_env(b)) < 0 || (r = gen_labels(b)) < 0)
		return r;
	if (!b->group_net_mode[0] && (r = collect_port_labels(b, &labels, &nlabels)) < 0)
		return r;
	if (nlabels)
		r = gen_exposed_ports(b, labels, nlabels);
	free(labels);
	if (r < 0 || (r = gen_host_config(b)) < 0 || (r = gen_networking(b)) < 0)
		return r;
	GEN(yajl_gen_map_close(b->g));
	return 0;
}

int docker_container_build(const docker_settings *s, const drover_task_config *cfg,
                           docker_create_spec *out, drover_err *err)
{
	build b;
	int r;
	const char *image;

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.cfg = cfg;
	b.c = cfg->config;
	b.err = err;
	b.task = cfg->task_name ? cfg->task_name : "?";
	image = drover_value_get_string(b.c, "image", NULL);
	if (!image || !image[0])
		return field_error(&b, -EINVAL, "image", "is required");
	if (!cfg->alloc_dir || !cfg->task_dir)
		return drover_err_set(err, -EINVAL, "task \"%s\": the allocation and task directories "
		                      "are not set",
		                      b.task);
	if (docker_network_of(cfg) &&
	    (r = docker_network_task_mode(cfg, b.group_net_mode, sizeof(b.group_net_mode), err)) < 0)
		return r;
	b.g = yajl_gen_alloc(NULL);
	if (!b.g)
		return drover_err_set(err, -ENOMEM, "out of memory");
	r = gen_body(&b);
	if (r == 0) {
		memset(out, 0, sizeof(*out));
		out->body = docker_gen_take(b.g, &out->body_len);
		out->name = docker_container_name(cfg);
		if (!out->body || !out->name) {
			docker_create_spec_free(out);
			r = drover_err_set(err, -ENOMEM, "out of memory");
		}
	}
	yajl_gen_free(b.g);
	return r;
}

void docker_create_spec_free(docker_create_spec *spec)
{
	free(spec->name);
	free(spec->body);
	memset(spec, 0, sizeof(*spec));
}
