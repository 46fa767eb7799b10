#include "config.h"

#include "nodeinfo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void drover_node_info_set_attribute(void *sink, const char *key, const char *value)
{
	drover_node_info *n = sink;
	if (!key || !value)
		return;
	for (size_t i = 0; i < n->attr_keys.count; i++) {
		if (strcmp(n->attr_keys.items[i], key) == 0) {
			char *copy = strdup(value);
			if (copy) {
				free(n->attr_values.items[i]);
				n->attr_values.items[i] = copy;
			}
			return;
		}
	}
	if (drover_strv_push(&n->attr_keys, key) == 0 && drover_strv_push(&n->attr_values, value) < 0) {
		free(n->attr_keys.items[--n->attr_keys.count]);
		n->attr_keys.items[n->attr_keys.count] = NULL;
	}
}

const char *drover_node_info_attr(const drover_node_info *n, const char *key)
{
	for (size_t i = 0; i < n->attr_keys.count; i++)
		if (strcmp(n->attr_keys.items[i], key) == 0)
			return n->attr_values.items[i];
	return NULL;
}

void drover_node_info_fingerprint(drover_node_info *n, drover_plugin_set *plugins)
{
	for (size_t i = 0; plugins && i < plugins->count; i++) {
		drover_plugin *p = plugins->plugins[i];
		drover_fingerprint fp = {.struct_size = sizeof(fp), .sink = n,
		                         .set_attribute = drover_node_info_set_attribute};
		drover_err err = {{0}};
		(void)drover_plugin_fingerprint(p, 0, &fp, &err);
	}
}

static int uuid_ok(const char *s)
{
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[36] == '\0' || (s[36] == '\n' && s[37] == '\0');
}

static int read_id(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* The id survives restarts, as Nomad's client-id does: created once through a
 * temporary file hard-linked into place, so two processes starting together
 * agree on one id. */
static int persistent_id(const char *data_dir, char *id, size_t len, drover_err *err)
{
	_cleanup_(drover_freep) char *dir = drover_strdup_printf("%s/client", data_dir);
	_cleanup_(drover_freep) char *path = drover_strdup_printf("%s/client/client-id", data_dir);
	if (!dir || !path)
		return drover_err_set(err, -ENOMEM, "out of memory");
	char buf[64];
	int rc = read_id(path, buf, sizeof(buf));
	if (rc == -ENOENT) {
		if ((rc = drover_mkdir_p(dir, 0700)) < 0)
			return drover_err_set(err, rc, "cannot create \"%s\": %s", dir, strerror(-rc));
		_cleanup_(drover_freep) char *tmp = drover_strdup_printf("%s.%ld.tmp", path, (long)getpid());
		char fresh[37];
		if (!tmp || drover_uuid_v4(fresh, sizeof(fresh)) < 0)
			return drover_err_set(err, -ENOMEM, "cannot make a node id");
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return drover_err_set(err, -errno, "cannot write \"%s\": %s", tmp, strerror(errno));
		int ok = dprintf(fd, "%s\n", fresh) == 37 && fsync(fd) == 0;
		close(fd);
		if (ok && link(tmp, path) < 0 && errno != EEXIST)
			ok = 0;
		unlink(tmp);
		if (!ok)
			return drover_err_set(err, -EIO, "cannot write the node id to \"%s\"", path);
		rc = read_id(path, buf, sizeof(buf));
	}
	if (rc < 0)
		return drover_err_set(err, rc, "cannot read the node id from \"%s\": %s", path, strerror(-rc));
	if (!uuid_ok(buf))
		return drover_err_set(err, -EINVAL,
		                      "\"%s\" does not hold a node id (a UUID); remove it to get a new one", path);
	snprintf(id, len, "%.36s", buf);
	return 0;
}

/* /etc/os-release's ID and VERSION_ID, Nomad's os.name and os.version. */
static void os_release(drover_node_info *n)
{
	FILE *f = fopen("/etc/os-release", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		const char *key = strncmp(line, "ID=", 3) == 0           ? "os.name"
		                  : strncmp(line, "VERSION_ID=", 11) == 0 ? "os.version"
		                                                          : NULL;
		if (!key)
			continue;
		char *v = strchr(line, '=') + 1;
		v[strcspn(v, "\n")] = '\0';
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = '\0';
		}
		drover_node_info_set_attribute(n, key, v);
	}
	fclose(f);
}

static const char *config_string(const drover_agent_config *cfg, const char *path,
                                 const char *fallback)
{
	const drover_value *v = cfg ? drover_agent_config_lookup(cfg, path) : NULL;
	return v && v->type == DROVER_VALUE_STRING ? v->u.string.ptr : fallback;
}

int drover_node_info_load(const drover_agent_config *cfg, const char *data_dir,
                          drover_node_info *out, drover_err *err)
{
	drover_node_info n = {0};
	char id[37];
	int rc = data_dir ? persistent_id(data_dir, id, sizeof(id), err)
	                  : drover_uuid_v4(id, sizeof(id));
	if (rc < 0) {
		if (!data_dir)
			drover_err_set(err, rc, "cannot make a node id");
		return rc;
	}
	char host[256] = "localhost";
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	n.id = strdup(id);
	n.name = strdup(config_string(cfg, "name", host));
	n.datacenter = strdup(config_string(cfg, "datacenter", "dc1"));
	n.region = strdup(config_string(cfg, "region", "global"));
	n.node_class = strdup(config_string(cfg, "client.node_class", ""));
	const drover_value *meta = cfg ? drover_agent_config_lookup(cfg, "client.meta") : NULL;
	n.meta = meta && meta->type == DROVER_VALUE_OBJECT ? meta : NULL;

	struct utsname u;
	if (uname(&u) == 0) {
		char name[sizeof(u.sysname)];
		snprintf(name, sizeof(name), "%s", u.sysname);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		/* Nomad's kernel.version is the numeric part of the release
		 * ("6.1.0" of "6.1.0-18-amd64"); kernel.release keeps all of it. */
		char version[sizeof(u.release)];
		snprintf(version, sizeof(version), "%s", u.release);
		version[strspn(version, "0123456789.")] = '\0';
		drover_node_info_set_attribute(&n, "kernel.name", name);
		drover_node_info_set_attribute(&n, "kernel.release", u.release);
		drover_node_info_set_attribute(&n, "kernel.version", version);
		drover_node_info_set_attribute(&n, "kernel.arch", u.machine);
		drover_node_info_set_attribute(&n, "cpu.arch", u.machine);
	}
	char cores[32];
	snprintf(cores, sizeof(cores), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	drover_node_info_set_attribute(&n, "cpu.numcores", cores);
	drover_node_info_set_attribute(&n, "unique.hostname", host);
	os_release(&n);
	if (!n.id || !n.name || !n.datacenter || !n.region || !n.node_class ||
	    !drover_node_info_attr(&n, "unique.hostname")) {
		drover_node_info_clear(&n);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	*out = n;
	return 0;
}

void drover_node_info_clear(drover_node_info *n)
{
	free(n->id);
	free(n->name);
	free(n->datacenter);
	free(n->region);
	free(n->node_class);
	drover_strv_clear(&n->attr_keys);
	drover_strv_clear(&n->attr_values);
	*n = (drover_node_info){0};
}
