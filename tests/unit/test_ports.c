/* Port allocation against real sockets: the range, reserved collisions, the
 * caller's in-use set, a port the test itself holds, exhaustion. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "agent_config.h"
#include "network/ports.h"

static drover_ports_config config(int min, int max)
{
	drover_ports_config c = {.min_dynamic_port = min, .max_dynamic_port = max};
	strcpy(c.host_ip, "127.0.0.1");
	return c;
}

/* A listening TCP socket on 127.0.0.1 at an ephemeral port the kernel picks. */
static int listen_any(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(fd, 1), 0);
	socklen_t len = sizeof(sin);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int bind_udp(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                          .sin_addr.s_addr = htonl(INADDR_ANY)};
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

Test(ports, config_defaults_to_nomad_range_and_loopback)
{
	drover_ports_config c;
	drover_err err = {{0}};
	cr_assert_eq(drover_ports_config_load(NULL, &c, &err), 0, "%s", err.message);
	cr_assert_eq(c.min_dynamic_port, 20000);
	cr_assert_eq(c.max_dynamic_port, 32000);
	cr_assert_str_eq(c.host_ip, "127.0.0.1");
}

static int load_config(const char *text, drover_agent_config *cfg)
{
	char path[] = "/tmp/drover-ports-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	drover_errlist errors = {0};
	int rc = drover_agent_config_load(path, cfg, &errors);
	cr_assert_eq(rc, 0, "%s", errors.count ? errors.lines[0] : "");
	drover_errlist_clear(&errors);
	unlink(path);
	return rc;
}

Test(ports, config_reads_range_and_network_interface)
{
	drover_agent_config cfg = {0};
	load_config("{\"client\": {\"min_dynamic_port\": 40000, \"max_dynamic_port\": 40100,"
	            " \"network_interface\": \"lo\"}}",
	            &cfg);
	drover_ports_config c;
	drover_err err = {{0}};
	cr_assert_eq(drover_ports_config_load(&cfg, &c, &err), 0, "%s", err.message);
	cr_assert_eq(c.min_dynamic_port, 40000);
	cr_assert_eq(c.max_dynamic_port, 40100);
	cr_assert_str_eq(c.host_ip, "127.0.0.1");
	drover_agent_config_clear(&cfg);

	load_config("{\"client\": {\"network_interface\": \"no-such-if0\"}}", &cfg);
	cr_assert_eq(drover_ports_config_load(&cfg, &c, &err), -EADDRNOTAVAIL);
	cr_assert(strstr(err.message, "client.network_interface \"no-such-if0\""), "%s", err.message);
	drover_agent_config_clear(&cfg);
}

Test(ports, dynamic_ports_come_from_the_range_and_reserved_keep_their_value)
{
	drover_ports_config c = config(41000, 41999);
	drover_port want[] = {{.label = "http"}, {.label = "db", .to = 5432}, {.label = "adm", .value = 41500}};
	drover_port_set in_use = {{0}};
	drover_alloc_ports got = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_ports_assign(&c, want, 3, &in_use, "Networks", &got, &err), 0, "%s", err.message);
	cr_assert_eq(got.count, 3);
	for (int i = 0; i < 2; i++) {
		cr_assert(got.ports[i].value >= 41000 && got.ports[i].value <= 41999, "%d", got.ports[i].value);
		cr_assert_neq(got.ports[i].value, 41500, "a dynamic port took the reserved one");
		cr_assert(drover_port_set_has(&in_use, got.ports[i].value));
	}
	cr_assert_neq(got.ports[0].value, got.ports[1].value);
	cr_assert_eq(got.ports[2].value, 41500);
	cr_assert(drover_port_set_has(&in_use, 41500));
	cr_assert_eq(want[0].value, 0, "the job's ports are not modified");

	drover_strv env = {0};
	cr_assert_eq(drover_ports_env(&got, &env), 0);
	char buf[64];
	snprintf(buf, sizeof(buf), "%d", got.ports[0].value);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_PORT_http"), buf);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_HOST_PORT_http"), buf);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_PORT_http"), buf);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_IP_http"), "127.0.0.1");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_HOST_IP_http"), "127.0.0.1");
	snprintf(buf, sizeof(buf), "127.0.0.1:%d", got.ports[0].value);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ADDR_http"), buf);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_HOST_ADDR_http"), buf);
	/* With To, the task-side port is To; the host side stays the host's. */
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_PORT_db"), "5432");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_PORT_db"), "5432");
	snprintf(buf, sizeof(buf), "%d", got.ports[1].value);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_HOST_PORT_db"), buf);
	snprintf(buf, sizeof(buf), "127.0.0.1:%d", got.ports[1].value);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ADDR_db"), buf);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_PORT_adm"), "41500");
	drover_strv_clear(&env);
	drover_alloc_ports_clear(&got);
}

Test(ports, reserved_port_of_a_live_allocation_is_an_error_naming_label_and_port)
{
	drover_ports_config c = config(41000, 41999);
	drover_port want[] = {{.label = "http"}, {.label = "lb", .value = 8889}};
	drover_port_set in_use = {{0}};
	drover_port_set_add(&in_use, 8889);
	drover_port_set before = in_use;
	drover_alloc_ports got = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_ports_assign(&c, want, 2, &in_use, "job \"j\", group \"g\"", &got, &err),
	             -EADDRINUSE);
	cr_assert(strstr(err.message, "job \"j\", group \"g\": reserved port \"lb\" (8889)"), "%s",
	          err.message);
	cr_assert_null(got.ports);
	cr_assert_eq(memcmp(&before, &in_use, sizeof(before)), 0, "a failure must not change the set");

	/* Two reserved ports of one allocation on the same number collide too. */
	drover_port twice[] = {{.label = "a", .value = 9000}, {.label = "b", .value = 9000}};
	drover_port_set empty = {{0}};
	cr_assert_eq(drover_ports_assign(&c, twice, 2, &empty, "Networks", &got, &err), -EADDRINUSE);
	cr_assert(strstr(err.message, "\"b\" (9000)"), "%s", err.message);
}

Test(ports, ports_of_live_allocations_are_skipped)
{
	drover_ports_config c = config(42000, 42004);
	drover_port_set in_use = {{0}};
	for (int p = 42000; p <= 42004; p++)
		if (p != 42003)
			drover_port_set_add(&in_use, p);
	drover_port want[] = {{.label = "http"}};
	drover_alloc_ports got = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_ports_assign(&c, want, 1, &in_use, "Networks", &got, &err), 0, "%s", err.message);
	cr_assert_eq(got.ports[0].value, 42003);
	drover_alloc_ports_clear(&got);
}

/* The test holds a real listener and a real UDP socket in a two-port range:
 * the allocator must see both through bind() and refuse to hand them out. */
Test(ports, ports_bound_on_the_host_are_skipped)
{
	int held = 0;
	int fd = listen_any(&held);
	cr_assert_eq(drover_port_is_free("127.0.0.1", held), 0, "a listening port reported free");
	int other = held < 65535 ? held + 1 : held - 1;
	int udp = bind_udp(other);
	int lo = held < other ? held : other, hi = held < other ? other : held;
	drover_ports_config c = config(lo, hi);
	drover_port_set in_use = {{0}};
	drover_port want[] = {{.label = "http"}};
	drover_alloc_ports got = {0};
	drover_err err = {{0}};
	if (udp >= 0) {
		cr_assert_eq(drover_port_is_free("127.0.0.1", other), 0, "a UDP-bound port reported free");
		cr_assert_eq(drover_ports_assign(&c, want, 1, &in_use, "Networks", &got, &err), -EADDRNOTAVAIL);
		cr_assert(strstr(err.message, "0 taken by allocations, 2 bound on the host"), "%s", err.message);
		close(udp);
	}
	/* The other port freed: it is the one given, every time. */
	for (int round = 0; round < 5; round++) {
		drover_port_set fresh = {{0}};
		cr_assert_eq(drover_ports_assign(&c, want, 1, &fresh, "Networks", &got, &err), 0, "%s",
		             err.message);
		cr_assert_eq(got.ports[0].value, other);
		drover_alloc_ports_clear(&got);
	}
	close(fd);
}

Test(ports, exhausted_range_is_a_clear_error)
{
	drover_ports_config c = config(43000, 43002);
	drover_port_set in_use = {{0}};
	drover_port want[] = {{.label = "a"}, {.label = "b"}, {.label = "c"}, {.label = "d"}};
	drover_alloc_ports got = {0};
	drover_err err = {{0}};
	int rc = drover_ports_assign(&c, want, 4, &in_use, "job \"j\", group \"g\"", &got, &err);
	cr_assert_eq(rc, -EADDRNOTAVAIL, "%s", err.message);
	cr_assert(strstr(err.message, "job \"j\", group \"g\": no free dynamic port for \"d\" in 43000-43002"),
	          "%s", err.message);
	cr_assert(strstr(err.message, "client.max_dynamic_port"), "%s", err.message);
	drover_port_set empty = {{0}};
	cr_assert_eq(memcmp(&empty, &in_use, sizeof(empty)), 0, "a failure must not change the set");
}

Test(ports, set_ignores_out_of_range_ports)
{
	drover_port_set s = {{0}};
	drover_port_set_add(&s, 0);
	drover_port_set_add(&s, -5);
	drover_port_set_add(&s, 65536);
	drover_port_set_add(&s, 65535);
	cr_assert_eq(drover_port_set_has(&s, 0), 0);
	cr_assert_eq(drover_port_set_has(&s, 65536), 0);
	cr_assert_eq(drover_port_set_has(&s, 65535), 1);
}

/* Nomad: To = -1 and To unset both mean the task listens on the host port;
 * the bridge-mode NOMAD_ALLOC_ADDR_ is the allocation's address with the
 * task-side port, and nothing is set without that address. */
Test(ports, env_to_minus_one_and_unset_and_bridge_alloc_addresses)
{
	drover_port p[] = {{.label = "minus", .value = 24001, .to = -1},
	                   {.label = "unset", .value = 24002},
	                   {.label = "mapped", .value = 24003, .to = 80}};
	drover_alloc_ports ap = {.ports = p, .count = 3, .host_ip = "127.0.0.1"};
	drover_strv env = {0};
	cr_assert_eq(drover_ports_env(&ap, &env), 0);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_PORT_minus"), "24001");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_PORT_minus"), "24001");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_PORT_unset"), "24002");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ADDR_mapped"), "127.0.0.1:24003");
	cr_assert_eq(drover_ports_alloc_env(&ap, NULL, NULL, &env), 0);
	cr_assert_null(drover_env_get(&env, "NOMAD_ALLOC_IP_mapped"));
	cr_assert_eq(drover_ports_alloc_env(&ap, "10.88.0.2", "eth0", &env), 0);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_ADDR_minus"), "10.88.0.2:24001");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_ADDR_unset"), "10.88.0.2:24002");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_ADDR_mapped"), "10.88.0.2:80");
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_ALLOC_INTERFACE_mapped"), "eth0");
	drover_strv_clear(&env);
}
