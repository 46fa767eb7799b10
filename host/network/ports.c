#include "config.h"

#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

void drover_port_set_add(drover_port_set *set, int port)
{
	if (port > 0 && port < 65536)
		set->bits[port / 8] |= (unsigned char)(1u << (port % 8));
}

int drover_port_set_has(const drover_port_set *set, int port)
{
	if (port <= 0 || port >= 65536)
		return 0;
	return (set->bits[port / 8] >> (port % 8)) & 1;
}

static int interface_ipv4(const char *name, char *buf, size_t len, drover_err *err)
{
	struct ifaddrs *list = NULL;
	if (getifaddrs(&list) < 0)
		return drover_err_set(err, -errno, "client.network_interface \"%s\": cannot list interfaces: %s",
		                      name, strerror(errno));
	int found = 0;
	for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, name) != 0)
			continue;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
		found = inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len) != NULL;
	}
	freeifaddrs(list);
	if (!found)
		return drover_err_set(err, -EADDRNOTAVAIL,
		                      "client.network_interface \"%.64s\" has no IPv4 address on this host (see `ip -4 addr`)",
		                      name);
	return 0;
}

int drover_ports_config_load(const drover_agent_config *cfg, drover_ports_config *out,
                             drover_err *err)
{
	drover_ports_config c = {.min_dynamic_port = DROVER_DYNAMIC_PORT_MIN_DEFAULT,
	                         .max_dynamic_port = DROVER_DYNAMIC_PORT_MAX_DEFAULT};
	snprintf(c.host_ip, sizeof(c.host_ip), "127.0.0.1");
	const drover_value *v = cfg ? drover_agent_config_lookup(cfg, "client.min_dynamic_port") : NULL;
	if (v && v->type == DROVER_VALUE_INT)
		c.min_dynamic_port = (int)v->u.integer;
	v = cfg ? drover_agent_config_lookup(cfg, "client.max_dynamic_port") : NULL;
	if (v && v->type == DROVER_VALUE_INT)
		c.max_dynamic_port = (int)v->u.integer;
	/* agent_config checks these when it loads; a range that slipped through
	 * would make every allocation fail later with a less clear message. */
	if (c.min_dynamic_port < 1 || c.max_dynamic_port > 65535 ||
	    c.min_dynamic_port > c.max_dynamic_port)
		return drover_err_set(err, -EINVAL,
		                      "client.min_dynamic_port (%d) and client.max_dynamic_port (%d) must be a range within 1-65535",
		                      c.min_dynamic_port, c.max_dynamic_port);
	v = cfg ? drover_agent_config_lookup(cfg, "client.network_interface") : NULL;
	if (v && v->type == DROVER_VALUE_STRING && v->u.string.len > 0) {
		int rc = interface_ipv4(v->u.string.ptr, c.host_ip, sizeof(c.host_ip), err);
		if (rc < 0)
			return rc;
	}
	*out = c;
	return 0;
}

/* bind() without SO_REUSEADDR fails for any socket holding the port, listening
 * or not, and a wildcard bind also fails when a specific address holds it. */
static int can_bind(int family, int type, const char *ip, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (family != AF_INET || inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return 1; /* not an address we can probe: nothing learnt */
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

int drover_port_is_free(const char *ip, int port)
{
	const char *addrs[] = {"0.0.0.0", "127.0.0.1", ip};
	size_t n = (ip && strcmp(ip, "0.0.0.0") != 0 && strcmp(ip, "127.0.0.1") != 0) ? 3 : 2;
	for (size_t i = 0; i < n; i++)
		if (!can_bind(AF_INET, SOCK_STREAM, addrs[i], port) ||
		    !can_bind(AF_INET, SOCK_DGRAM, addrs[i], port))
			return 0;
	return 1;
}

void drover_alloc_ports_clear(drover_alloc_ports *p)
{
	for (size_t i = 0; p->ports && i < p->count; i++) {
		free(p->ports[i].label);
		free(p->ports[i].host_network);
	}
	free(p->ports);
	*p = (drover_alloc_ports){0};
}

int drover_alloc_ports_copy(const drover_port *want, size_t count, const char *host_ip,
                            drover_alloc_ports *out)
{
	drover_alloc_ports result = {0};
	snprintf(result.host_ip, sizeof(result.host_ip), "%s", host_ip ? host_ip : "");
	result.ports = calloc(count ? count : 1, sizeof(*result.ports));
	if (!result.ports)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++, result.count++) {
		drover_port *p = &result.ports[i];
		*p = want[i];
		p->label = want[i].label ? strdup(want[i].label) : NULL;
		p->host_network = want[i].host_network ? strdup(want[i].host_network) : NULL;
		if ((want[i].label && !p->label) || (want[i].host_network && !p->host_network)) {
			result.count++;
			drover_alloc_ports_clear(&result);
			return -ENOMEM;
		}
	}
	*out = result;
	return 0;
}

static const char *label_of(const drover_port *p)
{
	return p->label ? p->label : "(unlabelled)";
}

int drover_ports_assign(const drover_ports_config *cfg, const drover_port *want, size_t count,
                        drover_port_set *in_use, const char *where, drover_alloc_ports *out,
                        drover_err *err)
{
	drover_alloc_ports result = {0};
	if (drover_alloc_ports_copy(want, count, cfg->host_ip, &result) < 0)
		return drover_err_set(err, -ENOMEM, "%s: out of memory", where);
	/* Worked on a copy so that a failure leaves the caller's set as it was. */
	drover_port_set *taken = malloc(sizeof(*taken));
	if (!taken) {
		drover_alloc_ports_clear(&result);
		return drover_err_set(err, -ENOMEM, "%s: out of memory", where);
	}
	*taken = *in_use;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		drover_port *p = &result.ports[i];
		if (p->value <= 0)
			continue;
		if (drover_port_set_has(taken, p->value))
			rc = drover_err_set(err, -EADDRINUSE,
			                    "%s: reserved port \"%s\" (%d) is already used by another allocation or port of this one",
			                    where, label_of(p), p->value);
		drover_port_set_add(taken, p->value);
	}
	unsigned span = (unsigned)(cfg->max_dynamic_port - cfg->min_dynamic_port + 1);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		drover_port *p = &result.ports[i];
		if (p->value > 0)
			continue;
		unsigned start = 0;
		if (getrandom(&start, sizeof(start), GRND_NONBLOCK) != (ssize_t)sizeof(start))
			start = (unsigned)getpid();
		unsigned allocated = 0, bound = 0;
		for (unsigned k = 0; k < span && p->value <= 0; k++) {
			int candidate = cfg->min_dynamic_port + (int)((start + k) % span);
			if (drover_port_set_has(taken, candidate))
				allocated++;
			else if (!drover_port_is_free(result.host_ip, candidate))
				bound++;
			else
				p->value = candidate;
		}
		if (p->value <= 0)
			rc = drover_err_set(err, -EADDRNOTAVAIL,
			                    "%s: no free dynamic port for \"%s\" in %d-%d (%u taken by allocations, %u bound on the host); widen client.min_dynamic_port/client.max_dynamic_port",
			                    where, label_of(p), cfg->min_dynamic_port, cfg->max_dynamic_port,
			                    allocated, bound);
		else
			drover_port_set_add(taken, p->value);
	}
	if (rc == 0) {
		*in_use = *taken;
		*out = result;
	} else {
		drover_alloc_ports_clear(&result);
	}
	free(taken);
	return rc;
}

static int set_var(drover_strv *env, const char *prefix, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_var(drover_strv *env, const char *prefix, const char *label, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *value = NULL;
	int n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	char *entry = drover_strdup_printf("%s%s=%s", prefix, label, value);
	free(value);
	return drover_env_set(env, entry);
}

/* Nomad's scheduler turns To = -1 into the host port (nomad/structs/
 * network.go); 0 means "no mapping": the task listens on the host port. */
static int task_port_of(const drover_port *p)
{
	return p->to > 0 ? p->to : p->value;
}

int drover_ports_env(const drover_alloc_ports *ports, drover_strv *env)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && ports && i < ports->count; i++) {
		const drover_port *p = &ports->ports[i];
		if (!p->label)
			continue;
		const char *ip = ports->host_ip;
		/* As Nomad: the task-side port is To when set (-1 means "same as the
		 * host port"), the address is always the host's. */
		int task_port = task_port_of(p);
		rc = set_var(env, "NOMAD_PORT_", p->label, "%d", task_port);
		if (rc == 0) rc = set_var(env, "NOMAD_ALLOC_PORT_", p->label, "%d", task_port);
		if (rc == 0) rc = set_var(env, "NOMAD_HOST_PORT_", p->label, "%d", p->value);
		if (rc == 0) rc = set_var(env, "NOMAD_IP_", p->label, "%s", ip);
		if (rc == 0) rc = set_var(env, "NOMAD_HOST_IP_", p->label, "%s", ip);
		if (rc == 0) rc = set_var(env, "NOMAD_ADDR_", p->label, "%s:%d", ip, p->value);
		if (rc == 0) rc = set_var(env, "NOMAD_HOST_ADDR_", p->label, "%s:%d", ip, p->value);
	}
	return rc;
}

int drover_ports_alloc_env(const drover_alloc_ports *ports, const char *alloc_ip,
                           const char *interface, drover_strv *env)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && ports && alloc_ip && i < ports->count; i++) {
		const drover_port *p = &ports->ports[i];
		if (!p->label)
			continue;
		rc = set_var(env, "NOMAD_ALLOC_INTERFACE_", p->label, "%s", interface ? interface : "eth0");
		if (rc == 0) rc = set_var(env, "NOMAD_ALLOC_IP_", p->label, "%s", alloc_ip);
		if (rc == 0)
			rc = set_var(env, "NOMAD_ALLOC_ADDR_", p->label, "%s:%d", alloc_ip, task_port_of(p));
	}
	return rc;
}
