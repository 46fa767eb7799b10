#include "config.h"

#include "network_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Linux interface name (IFNAMSIZ - 1 bytes), of the characters a bridge
 * name can carry into iptables rules and CNI state paths unquoted. */
static int valid_ifname(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 15 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* An IPv4 CIDR "a.b.c.d/n" with n in 1..30 (room for a gateway and one
 * allocation). */
static int valid_cidr(const char *s)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in_addr in;
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return 0;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	char *end;
	long bits = strtol(slash + 1, &end, 10);
	return inet_pton(AF_INET, addr, &in) == 1 && slash[1] >= '0' && slash[1] <= '9' && !*end &&
	       bits >= 1 && bits <= 30;
}

static int valid_cni_path(const char *s)
{
	const char *p = s;
	if (!*s)
		return 0;
	while (*p) {
		size_t n = strcspn(p, ":");
		if (n == 0 || p[0] != '/')
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return 1;
}

int drover_network_config_check(const char *path, const drover_value *client,
                                drover_errlist *errors)
{
	static const struct {
		const char *key;
		int (*valid)(const char *);
		const char *want;
	} keys[] = {
		{"bridge_network_name", valid_ifname,
		 "an interface name of at most 15 characters (letters, digits, '_', '.', '-')"},
		{"bridge_network_subnet", valid_cidr, "an IPv4 subnet in CIDR form such as \"172.26.64.0/20\""},
		{"cni_path", valid_cni_path, "absolute directories separated by ':'"},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const drover_value *v = drover_value_get(client, keys[i].key);
		if (!v || v->type == DROVER_VALUE_NULL)
			continue;
		if (v->type != DROVER_VALUE_STRING || !keys[i].valid(v->u.string.ptr)) {
			drover_errlist_add(errors, "%s: client.%s must be %s", path, keys[i].key,
			                   keys[i].want);
			rc = -EINVAL;
		}
	}
	return rc;
}

void drover_network_config_load(const drover_agent_config *cfg, drover_network_config *out)
{
	const drover_value *v;
	snprintf(out->bridge_name, sizeof(out->bridge_name), "%s", DROVER_BRIDGE_NAME_DEFAULT);
	snprintf(out->subnet, sizeof(out->subnet), "%s", DROVER_BRIDGE_SUBNET_DEFAULT);
	snprintf(out->cni_path, sizeof(out->cni_path), "%s", DROVER_CNI_PATH_DEFAULT);
	if (!cfg)
		return;
	if ((v = drover_agent_config_lookup(cfg, "client.bridge_network_name")) &&
	    v->type == DROVER_VALUE_STRING && valid_ifname(v->u.string.ptr))
		snprintf(out->bridge_name, sizeof(out->bridge_name), "%s", v->u.string.ptr);
	if ((v = drover_agent_config_lookup(cfg, "client.bridge_network_subnet")) &&
	    v->type == DROVER_VALUE_STRING && valid_cidr(v->u.string.ptr))
		snprintf(out->subnet, sizeof(out->subnet), "%s", v->u.string.ptr);
	if ((v = drover_agent_config_lookup(cfg, "client.cni_path")) &&
	    v->type == DROVER_VALUE_STRING && valid_cni_path(v->u.string.ptr))
		snprintf(out->cni_path, sizeof(out->cni_path), "%s", v->u.string.ptr);
}
