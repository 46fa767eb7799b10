#include <errno.h>

#include <criterion/criterion.h>
#include <string.h>

#include "taskenv.h"

Test(taskenv, nomad_variables_meta_precedence_and_host_filtering)
{
	drover_kv job_meta[] = {{"owner", "a"}, {"tier", "job"}};
	drover_kv group_meta[] = {{"tier", "group"}};
	drover_kv task_meta[] = {{"rack-id.x", "r1"}};
	drover_kv task_env[] = {{"PATH", "/task/bin"}, {"NOMAD_TASK_NAME", "overridden"}};
	char *dcs[] = {"dc9"};
	drover_jobspec_task task = {.name = "web", .env = task_env, .env_count = 2, .meta = task_meta,
	                            .meta_count = 1, .cpu_mhz = 500, .memory_mb = 256, .memory_max_mb = 512};
	drover_jobspec_group group = {.name = "g", .count = 1, .meta = group_meta, .meta_count = 1};
	drover_jobspec job = {.id = "j1", .name = "job-one", .namespace_ = "default", .region = "global",
	                      .datacenters = dcs, .datacenter_count = 1, .meta = job_meta, .meta_count = 2};
	drover_allocdir dirs = {.alloc_dir = "/d/alloc/1234", .shared_dir = "/d/alloc/1234/alloc",
	                        .log_dir = "/d/alloc/1234/alloc/logs"};
	char *host_env[] = {"HOME=/root", "VAULT_TOKEN=secret", "NOMAD_ALLOC_ID=stale", "PATH=/usr/bin", NULL};
	drover_taskenv_input in = {.job = &job, .group = &group, .task = &task,
	                           .alloc_id = "12345678-aaaa-4bbb-8ccc-dddddddddddd", .alloc_index = 3,
	                           .dirs = &dirs, .task_dir = "/d/alloc/1234/web", .host_env = host_env};
	drover_strv env = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_taskenv_build(&in, &env, &err), 0, "%s", err.message);
	const struct {
		const char *key, *value;
	} want[] = {
		{"HOME", "/root"},
		{"NOMAD_ALLOC_DIR", "/d/alloc/1234/alloc"},
		{"NOMAD_TASK_DIR", "/d/alloc/1234/web/local"},
		{"NOMAD_SECRETS_DIR", "/d/alloc/1234/web/secrets"},
		{"NOMAD_ALLOC_ID", "12345678-aaaa-4bbb-8ccc-dddddddddddd"},
		{"NOMAD_SHORT_ALLOC_ID", "12345678"},
		{"NOMAD_ALLOC_NAME", "job-one.g[3]"},
		{"NOMAD_ALLOC_INDEX", "3"},
		{"NOMAD_GROUP_NAME", "g"},
		{"NOMAD_JOB_ID", "j1"},
		{"NOMAD_JOB_NAME", "job-one"},
		{"NOMAD_DC", "dc9"},
		{"NOMAD_MEMORY_LIMIT", "256"},
		{"NOMAD_MEMORY_MAX_LIMIT", "512"},
		{"NOMAD_CPU_LIMIT", "500"},
		{"NOMAD_META_owner", "a"},
		{"NOMAD_META_OWNER", "a"},
		{"NOMAD_META_tier", "group"},
		{"NOMAD_META_rack-id.x", "r1"},
		{"NOMAD_META_RACK_ID_X", "r1"},
		{"PATH", "/task/bin"},
		{"NOMAD_TASK_NAME", "overridden"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *got = drover_env_get(&env, want[i].key);
		cr_assert(got, "%s missing", want[i].key);
		cr_assert_str_eq(got, want[i].value, "%s", want[i].key);
	}
	cr_assert_null(drover_env_get(&env, "VAULT_TOKEN"), "a credential leaked into the task");
	drover_strv_clear(&env);
}

/* Nomad's NOMAD_DC is the datacenter of the node running the task. */
Test(taskenv, nomad_dc_is_the_nodes_datacenter)
{
	char *dcs[] = {"dc-of-job"};
	drover_jobspec_task task = {.name = "web", .cpu_mhz = 100, .memory_mb = 300};
	drover_jobspec_group group = {.name = "g", .count = 1};
	drover_jobspec job = {.id = "j", .name = "j", .namespace_ = "default", .region = "global",
	                      .datacenters = dcs, .datacenter_count = 1};
	drover_allocdir dirs = {.alloc_dir = "/d/a", .shared_dir = "/d/a/alloc",
	                        .log_dir = "/d/a/alloc/logs"};
	char *host_env[] = {NULL};
	drover_node_info node = {.datacenter = "dc-of-node"};
	drover_taskenv_input in = {.job = &job, .group = &group, .task = &task,
	                           .alloc_id = "12345678-aaaa-4bbb-8ccc-dddddddddddd",
	                           .dirs = &dirs, .task_dir = "/d/a/web", .host_env = host_env,
	                           .node = &node};
	drover_strv env = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_taskenv_build(&in, &env, &err), 0, "%s", err.message);
	cr_assert_str_eq(drover_env_get(&env, "NOMAD_DC"), "dc-of-node");
	drover_strv_clear(&env);
}

/* The port variables of one group with three ports: To set, To unset, and
 * To = -1 ("the same as the host port"), in network mode `mode`. */
static void port_env(const char *mode, const char *alloc_ip, const char *interface,
                     drover_strv *env)
{
	static drover_port ports[] = {{.label = "http", .value = 23000, .to = 8080},
	                              {.label = "plain", .value = 23001},
	                              {.label = "same", .value = 23002, .to = -1}};
	static drover_alloc_ports gp = {.ports = ports, .count = 3, .host_ip = "192.0.2.7"};
	static drover_jobspec_task task = {.name = "web", .cpu_mhz = 100, .memory_mb = 300};
	static drover_jobspec job = {.id = "j", .name = "j", .namespace_ = "default",
	                             .region = "global"};
	static drover_allocdir dirs = {.alloc_dir = "/d/a", .shared_dir = "/d/a/alloc",
	                               .log_dir = "/d/a/alloc/logs"};
	static char *host_env[] = {NULL};
	drover_jobspec_group group = {.name = "g", .count = 1, .network = {.mode = (char *)mode}};
	drover_taskenv_input in = {.job = &job, .group = &group, .task = &task,
	                           .alloc_id = "12345678-aaaa-4bbb-8ccc-dddddddddddd",
	                           .dirs = &dirs, .task_dir = "/d/a/web", .host_env = host_env,
	                           .group_ports = &gp, .alloc_ip = alloc_ip,
	                           .alloc_interface = interface};
	drover_err err = {{0}};
	cr_assert_eq(drover_taskenv_build(&in, env, &err), 0, "%s", err.message);
}

static void expect(const drover_strv *env, const char *key, const char *value)
{
	const char *got = drover_env_get(env, key);
	if (!value) {
		cr_assert_null(got, "%s is set (%s)", key, got);
		return;
	}
	cr_assert(got, "%s missing", key);
	cr_assert_str_eq(got, value, "%s", key);
}

/* Nomad's addPorts (client/taskenv/env.go), which does not look at the
 * network mode: the task side is To (the host port when To is unset or -1),
 * every address is the host's with the host port. */
static void expect_host_values(const drover_strv *env)
{
	expect(env, "NOMAD_PORT_http", "8080");
	expect(env, "NOMAD_ALLOC_PORT_http", "8080");
	expect(env, "NOMAD_HOST_PORT_http", "23000");
	expect(env, "NOMAD_IP_http", "192.0.2.7");
	expect(env, "NOMAD_HOST_IP_http", "192.0.2.7");
	expect(env, "NOMAD_ADDR_http", "192.0.2.7:23000");
	expect(env, "NOMAD_HOST_ADDR_http", "192.0.2.7:23000");
	expect(env, "NOMAD_PORT_plain", "23001");
	expect(env, "NOMAD_ALLOC_PORT_plain", "23001");
	expect(env, "NOMAD_HOST_PORT_plain", "23001");
	expect(env, "NOMAD_ADDR_plain", "192.0.2.7:23001");
	expect(env, "NOMAD_PORT_same", "23002");
	expect(env, "NOMAD_ALLOC_PORT_same", "23002");
	expect(env, "NOMAD_HOST_PORT_same", "23002");
	expect(env, "NOMAD_HOST_ADDR_same", "192.0.2.7:23002");
}

Test(taskenv, host_mode_ports_take_nomads_values)
{
	drover_strv env = {0};
	/* An address given by mistake in host mode is not used. */
	port_env("host", "10.88.0.5", NULL, &env);
	expect_host_values(&env);
	expect(&env, "NOMAD_ALLOC_IP_http", NULL);
	expect(&env, "NOMAD_ALLOC_ADDR_http", NULL);
	expect(&env, "NOMAD_ALLOC_INTERFACE_http", NULL);
	drover_strv_clear(&env);
	port_env(NULL, NULL, NULL, &env); /* no network block: host mode */
	expect_host_values(&env);
	expect(&env, "NOMAD_ALLOC_IP_http", NULL);
	drover_strv_clear(&env);
}

/* Bridge mode: the same host values, plus where the allocation's own
 * namespace answers (Nomad's addNomadAllocNetwork): its address, its
 * interface, and address:To (the host port when To is unset or -1). */
Test(taskenv, bridge_mode_ports_take_nomads_values)
{
	drover_strv env = {0};
	port_env("bridge", "10.88.0.5", NULL, &env);
	expect_host_values(&env);
	expect(&env, "NOMAD_ALLOC_IP_http", "10.88.0.5");
	expect(&env, "NOMAD_ALLOC_INTERFACE_http", "eth0");
	expect(&env, "NOMAD_ALLOC_ADDR_http", "10.88.0.5:8080");
	expect(&env, "NOMAD_ALLOC_ADDR_plain", "10.88.0.5:23001");
	expect(&env, "NOMAD_ALLOC_ADDR_same", "10.88.0.5:23002");
	expect(&env, "NOMAD_ALLOC_IP_same", "10.88.0.5");
	drover_strv_clear(&env);

	port_env("bridge", "10.88.0.9", "eth1", &env);
	expect(&env, "NOMAD_ALLOC_INTERFACE_plain", "eth1");
	drover_strv_clear(&env);
}

/* Without a known address (bridge not set up yet) and in mode none, where
 * Nomad has no network status, the NOMAD_ALLOC_{IP,ADDR,INTERFACE}_ are left
 * out; the host values stay. */
Test(taskenv, alloc_address_variables_need_a_bridge_address)
{
	drover_strv env = {0};
	port_env("bridge", NULL, NULL, &env);
	expect_host_values(&env);
	expect(&env, "NOMAD_ALLOC_IP_http", NULL);
	expect(&env, "NOMAD_ALLOC_ADDR_http", NULL);
	drover_strv_clear(&env);
	port_env("none", "10.88.0.5", NULL, &env);
	expect(&env, "NOMAD_ALLOC_IP_http", NULL);
	expect(&env, "NOMAD_ALLOC_INTERFACE_http", NULL);
	drover_strv_clear(&env);
}
