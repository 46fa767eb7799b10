/* The docker fingerprint (see docker_fingerprint.h). */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_fingerprint.h"
#include "docker_json.h"

static void set_attr(drover_fingerprint *out, const char *key, const char *value)
{
	if (out->set_attribute && value)
		out->set_attribute(out->sink, key, value);
}

static int get_json(docker_client *c, const char *path, yajl_val *v, drover_err *err)
{
	docker_request req;
	docker_response resp;
	int r;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	req.timeout_ms = 10000;
	r = docker_http_do(c, &req, &resp, err);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, path, v, err);
	docker_response_free(&resp);
	return r;
}

/* The IPv4 address of interface `name` into buf; 0 or -ENOENT. */
static int iface_ipv4(const char *name, char *buf, size_t len)
{
	struct ifaddrs *all, *a;
	int r = -ENOENT;

	if (!name || getifaddrs(&all) < 0)
		return -ENOENT;
	for (a = all; a; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && strcmp(a->ifa_name, name) == 0 &&
		    inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr, buf,
		              (socklen_t)len)) {
			r = 0;
			break;
		}
	freeifaddrs(all);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int docker_fingerprint_run(docker_client *c, const docker_settings *s, drover_fingerprint *out,
                           drover_err *err)
{
	docker_response version;
	yajl_val v = NULL, info = NULL, net = NULL, runtimes, cfgs;
	drover_err probe;
	int r;

	(void)err;
	memset(&version, 0, sizeof(version));
	/* Every fingerprint asks again: that is how a returning daemon is noticed. */
	r = docker_client_negotiate(c, &version, &probe);
	if (r == 0)
		r = docker_json_parse(version.body, version.len, "GET /version", &v, &probe);
	docker_response_free(&version);
	if (r < 0) {
		out->health = DROVER_HEALTH_UNHEALTHY;
		snprintf(out->description, sizeof(out->description),
		         "Failed to connect to docker daemon: %.200s", probe.message);
		return 0;
	}
	if (get_json(c, "/info", &info, &probe) < 0) {
		yajl_tree_free(v);
		out->health = DROVER_HEALTH_UNHEALTHY;
		snprintf(out->description, sizeof(out->description),
		         "Failed to read the docker daemon's info: %.190s", probe.message);
		return 0;
	}
	out->health = DROVER_HEALTH_HEALTHY;
	snprintf(out->description, sizeof(out->description), "Healthy");
	set_attr(out, "driver.docker", "1");
	set_attr(out, "driver.docker.version", docker_json_str(v, "Version", NULL));
	set_attr(out, "driver.docker.os_type", docker_json_str(info, "OSType", NULL));
	if (s->allow_privileged)
		set_attr(out, "driver.docker.privileged.enabled", "1");
	if (s->volumes_enabled)
		set_attr(out, "driver.docker.volumes.enabled", "1");
	runtimes = docker_json_at(info, "Runtimes", NULL);
	if (YAJL_IS_OBJECT(runtimes) && runtimes->u.object.len) {
		size_t n = runtimes->u.object.len, total = 1;
		const char **names = calloc(n, sizeof(*names));
		char *joined;
		if (names) {
			for (size_t i = 0; i < n; i++) {
				names[i] = runtimes->u.object.keys[i];
				total += strlen(names[i]) + 1;
			}
			qsort(names, n, sizeof(*names), cmp_str);
			joined = calloc(1, total);
			if (joined) {
				for (size_t i = 0; i < n; i++) {
					if (i)
						strcat(joined, ",");
					strcat(joined, names[i]);
				}
				set_attr(out, "driver.docker.runtimes", joined);
				free(joined);
			}
			free(names);
		}
	}
	/* No bridge (dockerd --bridge=none) is not an error: the attribute is absent. */
	if (get_json(c, "/networks/bridge", &net, &probe) == 0) {
		const char *gw = NULL;
		char addr[64];
		cfgs = docker_json_at(net, "IPAM", "Config", NULL);
		if (YAJL_IS_ARRAY(cfgs) && cfgs->u.array.len)
			gw = docker_json_str(cfgs->u.array.values[0], "Gateway", NULL);
		/* The default bridge often records no gateway: its interface has it. */
		if (!gw && iface_ipv4(docker_json_str(net, "Options", "com.docker.network.bridge.name",
		                                      NULL), addr, sizeof(addr)) == 0)
			gw = addr;
		set_attr(out, "driver.docker.bridge_ip", gw);
		yajl_tree_free(net);
	}
	yajl_tree_free(info);
	yajl_tree_free(v);
	return 0;
}
