/* The portmap plugin's runtimeConfig as Nomad builds it (getPortMapping in
 * client/allocrunner/networking_cni.go): a tcp and a udp mapping per port,
 * To < 1 mapping to the host port, hostIP only when asked for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "network/portmap.h"

static drover_alloc_ports two_ports(drover_port p[2])
{
	p[0] = (drover_port){.label = "http", .value = 23456, .to = 8080};
	p[1] = (drover_port){.label = "db", .value = 9000};
	drover_alloc_ports ap = {.ports = p, .count = 2};
	strcpy(ap.host_ip, "10.1.2.3");
	return ap;
}

Test(portmap, tcp_and_udp_per_port_with_host_ip)
{
	drover_port p[2];
	drover_alloc_ports ap = two_ports(p);
	drover_err err = {{0}};
	char *json = drover_portmap_json(&ap, ap.host_ip, &err);
	cr_assert_not_null(json, "%s", err.message);
	cr_assert_str_eq(json,
	                 "[{\"hostPort\":23456,\"containerPort\":8080,\"protocol\":\"tcp\",\"hostIP\":\"10.1.2.3\"},"
	                 "{\"hostPort\":23456,\"containerPort\":8080,\"protocol\":\"udp\",\"hostIP\":\"10.1.2.3\"},"
	                 "{\"hostPort\":9000,\"containerPort\":9000,\"protocol\":\"tcp\",\"hostIP\":\"10.1.2.3\"},"
	                 "{\"hostPort\":9000,\"containerPort\":9000,\"protocol\":\"udp\",\"hostIP\":\"10.1.2.3\"}]");
	free(json);
}

Test(portmap, null_host_ip_leaves_host_ip_out)
{
	drover_port p[2];
	drover_alloc_ports ap = two_ports(p);
	drover_err err = {{0}};
	char *json = drover_portmap_json(&ap, NULL, &err);
	cr_assert_not_null(json, "%s", err.message);
	cr_assert_null(strstr(json, "hostIP"), "%s", json);
	cr_assert_not_null(strstr(json, "{\"hostPort\":9000,\"containerPort\":9000,\"protocol\":\"udp\"}"),
	                   "%s", json);
	free(json);
}

Test(portmap, to_minus_one_maps_to_the_host_port)
{
	drover_port p = {.label = "same", .value = 24000, .to = -1};
	drover_alloc_ports ap = {.ports = &p, .count = 1};
	drover_err err = {{0}};
	char *json = drover_portmap_json(&ap, NULL, &err);
	cr_assert_not_null(json, "%s", err.message);
	cr_assert_str_eq(json, "[{\"hostPort\":24000,\"containerPort\":24000,\"protocol\":\"tcp\"},"
	                       "{\"hostPort\":24000,\"containerPort\":24000,\"protocol\":\"udp\"}]");
	free(json);
}

Test(portmap, no_ports_is_an_empty_array)
{
	drover_alloc_ports ap = {0};
	drover_err err = {{0}};
	char *json = drover_portmap_json(&ap, "127.0.0.1", &err);
	cr_assert_not_null(json, "%s", err.message);
	cr_assert_str_eq(json, "[]");
	free(json);
	json = drover_portmap_json(NULL, NULL, &err);
	cr_assert_not_null(json, "%s", err.message);
	cr_assert_str_eq(json, "[]");
	free(json);
}

Test(portmap, bad_input_is_an_error_naming_it)
{
	drover_port p = {.label = "web", .value = 0, .to = 80};
	drover_alloc_ports ap = {.ports = &p, .count = 1};
	drover_err err = {{0}};
	cr_assert_null(drover_portmap_json(&ap, NULL, &err));
	cr_assert_not_null(strstr(err.message, "\"web\""), "%s", err.message);

	p.value = 20000;
	err = (drover_err){{0}};
	cr_assert_null(drover_portmap_json(&ap, "10.0.0.1\",\"x", &err));
	cr_assert_not_null(strstr(err.message, "is not an IP address"), "%s", err.message);
}
