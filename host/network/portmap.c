#include "config.h"

#include "portmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

static const char *label_of(const drover_port *p)
{
	return p->label ? p->label : "(unlabelled)";
}

static int valid_ip(const char *ip)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

static void gen_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

char *drover_portmap_json(const drover_alloc_ports *ports, const char *host_ip_or_null,
                          drover_err *err)
{
	/* Checked first: the plugin would take a bad address or port and fail
	 * later with a message that no longer says which port. */
	if (host_ip_or_null && !valid_ip(host_ip_or_null)) {
		drover_err_set(err, -EINVAL, "port mapping: host IP \"%.64s\" is not an IP address",
		               host_ip_or_null);
		return NULL;
	}
	for (size_t i = 0; ports && i < ports->count; i++) {
		const drover_port *p = &ports->ports[i];
		if (p->value < 1 || p->value > 65535 || p->to > 65535) {
			drover_err_set(err, -EINVAL,
			               "port mapping: port \"%s\": host port %d / To %d is not a port number",
			               label_of(p), p->value, p->to);
			return NULL;
		}
	}
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g) {
		drover_err_set(err, -ENOMEM, "port mapping: out of memory");
		return NULL;
	}
	static const char *const protocols[] = {"tcp", "udp"};
	yajl_gen_array_open(g);
	for (size_t i = 0; ports && i < ports->count; i++) {
		const drover_port *p = &ports->ports[i];
		/* To unset (0) or -1 ("same as the host port") maps to the host port. */
		int container_port = p->to > 0 ? p->to : p->value;
		for (size_t k = 0; k < sizeof(protocols) / sizeof(*protocols); k++) {
			yajl_gen_map_open(g);
			gen_key(g, "hostPort");
			yajl_gen_integer(g, p->value);
			gen_key(g, "containerPort");
			yajl_gen_integer(g, container_port);
			gen_key(g, "protocol");
			gen_key(g, protocols[k]);
			if (host_ip_or_null) {
				gen_key(g, "hostIP");
				gen_key(g, host_ip_or_null);
			}
			yajl_gen_map_close(g);
		}
	}
	yajl_gen_array_close(g);
	const unsigned char *buf = NULL;
	size_t len = 0;
	char *out = NULL;
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		out = strndup((const char *)buf, len);
	yajl_gen_free(g);
	if (!out)
		drover_err_set(err, -ENOMEM, "port mapping: out of memory");
	return out;
}
