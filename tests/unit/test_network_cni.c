/* host/network/cni.c and bridge_config.c against small plugin programs
 * (shell scripts written per test) that record what the CNI protocol gave
 * them: environment, stdin, call order. The real plugins are exercised by
 * tests/integration/test_network.sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "agent_config.h"
#include "json.h"
#include "network/bridge_config.h"
#include "network/cni.h"
#include "network/network_config.h"
#include "util.h"
#include "value_tree.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/drover-cni-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(network_cni, .init = setup, .fini = teardown, .timeout = 30);

/* A plugin `name` that logs its command, saves its env and stdin, then runs `body`. */
static void plugin(const char *name, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\necho \"$CNI_COMMAND %s\" >> %s/calls\nenv > %s/%s.$CNI_COMMAND.env\n"
	           "cat > %s/%s.$CNI_COMMAND.in\n%s\n",
	        name, dir, dir, name, dir, name, body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, 0755), 0);
}

static char *slurp(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s is missing", path);
	char *buf = calloc(1, 65536);
	cr_assert_not_null(buf);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static drover_value parse(const char *text)
{
	drover_value v;
	drover_err err = {{0}};
	cr_assert_eq(drover_json_parse("test", text, strlen(text), &v, &err), 0, "%s", err.message);
	return v;
}

static const char list_text[] =
	"{\"cniVersion\": \"0.4.0\", \"name\": \"t\", \"plugins\": ["
	"{\"type\": \"first\", \"x\": 1},"
	"{\"type\": \"second\", \"capabilities\": {\"portMappings\": true}}]}";

static drover_cni_runtime runtime(void)
{
	static char path[80];
	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	return (drover_cni_runtime){.cni_path = path, .container_id = "c1",
	                            .netns_path = "/run/netns/c1", .ifname = "eth0",
	                            .timeout_ms = 5000};
}

static int progress_calls;
static void count_progress(void *data, const char *so_far)
{
	(void)data;
	cr_assert(strstr(so_far, "10.1.2.3/24"), "progress: %s", so_far);
	progress_calls++;
}

Test(network_cni, add_chains_prev_result_and_gives_the_protocol_environment)
{
	plugin("first", "echo '{\"cniVersion\": \"0.4.0\", \"ips\": [{\"version\": \"4\", "
	                "\"address\": \"10.1.2.3/24\"}]}'");
	plugin("second", "sed 's/.*\"prevResult\":\\({[^}]*}[^}]*}\\).*/\\1/' "
	                 "< $(dirname $0)/second.ADD.in");
	drover_value list = parse(list_text), rc_value = parse("{\"portMappings\": [1], \"other\": 2}");
	drover_cni_runtime rt = runtime();
	drover_err err = {{0}};
	char *result = NULL;
	progress_calls = 0;
	cr_assert_eq(drover_cni_add(&rt, &list, &rc_value, count_progress, NULL, &result, &err), 0,
	             "%s", err.message);
	cr_assert_eq(progress_calls, 1);
	char addr[64];
	cr_assert_eq(drover_cni_result_ipv4(result, addr, sizeof(addr)), 0, "result: %s", result);
	cr_assert_str_eq(addr, "10.1.2.3");
	char *env = slurp("first.ADD.env");
	const char *want[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/run/netns/c1",
	                      "CNI_IFNAME=eth0", "CNI_PATH=/nonexistent:"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(strstr(env, want[i]), "%s not in the environment:\n%s", want[i], env);
	char *in1 = slurp("first.ADD.in"), *in2 = slurp("second.ADD.in");
	cr_assert(strstr(in1, "\"cniVersion\":\"0.4.0\"") && strstr(in1, "\"name\":\"t\"") &&
	          strstr(in1, "\"x\":1"), "first's config: %s", in1);
	cr_assert_null(strstr(in1, "prevResult"), "first got a prevResult: %s", in1);
	cr_assert_null(strstr(in1, "runtimeConfig"), "first declared no capability: %s", in1);
	cr_assert(strstr(in2, "\"prevResult\":{") && strstr(in2, "10.1.2.3/24"), "second: %s", in2);
	cr_assert(strstr(in2, "\"runtimeConfig\":{\"portMappings\":[1]}"), "second: %s", in2);
	free(env);
	free(in1);
	free(in2);
	free(result);
	drover_value_clear(&list);
	drover_value_clear(&rc_value);
}

Test(network_cni, del_runs_every_plugin_in_reverse_with_the_add_result)
{
	plugin("first", "exit 0");
	plugin("second", "echo '{\"code\": 11, \"msg\": \"gone\"}'; exit 1");
	drover_value list = parse(list_text);
	drover_cni_runtime rt = runtime();
	drover_err err = {{0}};
	int rc = drover_cni_del(&rt, &list, NULL, "{\"ips\": [{\"address\": \"10.9.9.9/24\"}]}", &err);
	cr_assert_lt(rc, 0, "the failure of one plugin is reported");
	cr_assert(strstr(err.message, "CNI plugin \"second\" DEL failed: gone (code 11)"), "%s",
	          err.message);
	char *calls = slurp("calls");
	cr_assert_str_eq(calls, "DEL second\nDEL first\n", "a failed DEL still calls the others");
	char *in = slurp("first.DEL.in");
	cr_assert(strstr(in, "\"prevResult\":{\"ips\":[{\"address\":\"10.9.9.9/24\"}]}"), "%s", in);
	free(in);
	free(calls);
	drover_value_clear(&list);
}

Test(network_cni, a_plugin_error_is_shown_as_it_said_it_escaped)
{
	plugin("first", "printf '{\"code\": 7, \"msg\": \"bad\\\\u001b[2Jthing\", \"details\": "
	                "\"line1\\\\nline2\"}'; exit 1");
	plugin("second", "exit 0");
	drover_value list = parse(list_text);
	drover_cni_runtime rt = runtime();
	drover_err err = {{0}};
	char *result = NULL;
	cr_assert_lt(drover_cni_add(&rt, &list, NULL, NULL, NULL, &result, &err), 0);
	cr_assert_str_eq(err.message,
	                 "CNI plugin \"first\" ADD failed: bad\\x1b[2Jthing: line1\\x0aline2 (code 7)");
	char *calls = slurp("calls");
	cr_assert_str_eq(calls, "ADD first\n", "the chain stops at the failure");
	free(calls);
	drover_value_clear(&list);
}

Test(network_cni, a_missing_plugin_and_a_silent_crash_are_named)
{
	drover_value list = parse(list_text);
	drover_cni_runtime rt = runtime();
	drover_err err = {{0}};
	char *result = NULL;
	cr_assert_eq(drover_cni_add(&rt, &list, NULL, NULL, NULL, &result, &err), -ENOENT);
	cr_assert(strstr(err.message, "CNI plugin \"first\" not found in client.cni_path"), "%s",
	          err.message);
	plugin("first", "echo 'no route to frobnicate' >&2; exit 3");
	cr_assert_lt(drover_cni_add(&rt, &list, NULL, NULL, NULL, &result, &err), 0);
	cr_assert(strstr(err.message, "exited with status 3: no route to frobnicate"), "%s",
	          err.message);
	drover_value_clear(&list);
}

Test(network_cni, a_plugin_past_the_timeout_is_killed)
{
	plugin("first", "exec sleep 30");
	drover_value list = parse(list_text);
	drover_cni_runtime rt = runtime();
	rt.timeout_ms = 300;
	drover_err err = {{0}};
	char *result = NULL;
	long long t0 = drover_monotonic_ms();
	cr_assert_eq(drover_cni_add(&rt, &list, NULL, NULL, NULL, &result, &err), -ETIMEDOUT);
	cr_assert_lt(drover_monotonic_ms() - t0, 5000);
	cr_assert(strstr(err.message, "did not finish within 300 ms"), "%s", err.message);
	drover_value_clear(&list);
}

Test(network_cni, bridge_list_and_port_mappings_are_nomads)
{
	drover_network_config cfg;
	drover_network_config_load(NULL, &cfg);
	cr_assert_str_eq(cfg.bridge_name, "nomad");
	cr_assert_str_eq(cfg.subnet, "172.26.64.0/20");
	cr_assert_str_eq(cfg.cni_path, "/usr/lib/cni");
	drover_value list;
	drover_err err = {{0}};
	cr_assert_eq(drover_bridge_conflist(&cfg, "bridge", &list, &err), 0, "%s", err.message);
	const drover_value *plugins = drover_value_get(&list, "plugins");
	const char *types[] = {"loopback", "bridge", "firewall", "portmap"};
	cr_assert_eq(plugins->u.array.count, 4);
	for (size_t i = 0; i < 4; i++)
		cr_assert_str_eq(drover_value_get_string(&plugins->u.array.items[i], "type", ""), types[i]);
	const drover_value *br = &plugins->u.array.items[1];
	cr_assert_str_eq(drover_value_get_string(br, "bridge", ""), "nomad");
	cr_assert(drover_value_get_bool(br, "isGateway", 0) && drover_value_get_bool(br, "ipMasq", 0));
	cr_assert_str_eq(drover_value_get_string(&plugins->u.array.items[2], "iptablesAdminChainName",
	                                         ""), "NOMAD-ADMIN");
	drover_value_clear(&list);
	cr_assert_eq(drover_bridge_conflist(&cfg, "none", &list, &err), 0);
	cr_assert_eq(drover_value_get(&list, "plugins")->u.array.count, 1);
	drover_value_clear(&list);

	drover_port ports[] = {{.label = "a", .value = 25000, .to = 8080},
	                       {.label = "b", .value = 25001, .to = 0},
	                       {.label = "c", .value = 25002, .to = -1}};
	drover_alloc_ports alloc = {.ports = ports, .count = 3, .host_ip = "127.0.0.1"};
	drover_value rc;
	cr_assert_eq(drover_bridge_runtime_config(&alloc, &rc, &err), 0, "%s", err.message);
	const drover_value *pm = drover_value_get(&rc, "portMappings");
	cr_assert_eq(pm->u.array.count, 6, "tcp and udp for each port");
	long long want[][2] = {{25000, 8080}, {25000, 8080}, {25001, 25001},
	                       {25001, 25001}, {25002, 25002}, {25002, 25002}};
	for (size_t i = 0; i < 6; i++) {
		const drover_value *m = &pm->u.array.items[i];
		cr_assert_eq(drover_value_get_int(m, "hostPort", 0), want[i][0]);
		cr_assert_eq(drover_value_get_int(m, "containerPort", 0), want[i][1]);
		cr_assert_str_eq(drover_value_get_string(m, "protocol", ""), i % 2 ? "udp" : "tcp");
		cr_assert_str_eq(drover_value_get_string(m, "hostIP", ""), "127.0.0.1");
	}
	drover_value_clear(&rc);
	cr_assert_eq(drover_bridge_runtime_config(NULL, &rc, &err), 0, "mode none: no ports");
	cr_assert_eq(drover_value_get(&rc, "portMappings")->u.array.count, 0);
	drover_value_clear(&rc);
}

Test(network_cni, agent_options_are_checked_naming_the_key)
{
	const char *bad[][2] = {
		{"\"bridge_network_name\": \"much-too-long-name0\"", "client.bridge_network_name"},
		{"\"bridge_network_name\": \"a b\"", "client.bridge_network_name"},
		{"\"bridge_network_subnet\": \"10.0.0.0\"", "client.bridge_network_subnet"},
		{"\"bridge_network_subnet\": \"10.0.0.0/33\"", "client.bridge_network_subnet"},
		{"\"cni_path\": \"opt/cni\"", "client.cni_path"},
		{"\"cni_path\": 3", "client.cni_path"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128], text[256];
		snprintf(path, sizeof(path), "%s/agent.json", dir);
		snprintf(text, sizeof(text), "{\"client\": {%s}}", bad[i][0]);
		FILE *f = fopen(path, "w");
		fputs(text, f);
		fclose(f);
		drover_agent_config cfg = {0};
		drover_errlist errors = {0};
		cr_assert_lt(drover_agent_config_load(path, &cfg, &errors), 0, "%s accepted", text);
		cr_assert(errors.count && strstr(errors.lines[0], bad[i][1]), "%s: %s", text,
		          errors.count ? errors.lines[0] : "(no error)");
		drover_errlist_clear(&errors);
		drover_agent_config_clear(&cfg);
	}
	char path[128];
	snprintf(path, sizeof(path), "%s/agent.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"client\": {\"bridge_network_name\": \"br-x\", \"bridge_network_subnet\": "
	      "\"10.5.0.0/24\", \"cni_path\": \"/opt/cni/bin:/usr/lib/cni\"}}", f);
	fclose(f);
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	cr_assert_eq(drover_agent_config_load(path, &cfg, &errors), 0, "%s",
	             errors.count ? errors.lines[0] : "");
	drover_network_config net;
	drover_network_config_load(&cfg, &net);
	cr_assert_str_eq(net.bridge_name, "br-x");
	cr_assert_str_eq(net.subnet, "10.5.0.0/24");
	cr_assert_str_eq(net.cni_path, "/opt/cni/bin:/usr/lib/cni");
	drover_agent_config_clear(&cfg);
}

Test(network_cni, check_runs_in_order_with_the_add_result)
{
	plugin("first", "exit 0");
	plugin("second", "exit 0");
	drover_value list = parse(list_text);
	drover_cni_runtime rt = runtime();
	drover_err err = {{0}};
	cr_assert_eq(drover_cni_check(&rt, &list, NULL, "{\"ips\": []}", &err), 0, "%s", err.message);
	char *calls = slurp("calls");
	cr_assert_str_eq(calls, "CHECK first\nCHECK second\n");
	char *in = slurp("second.CHECK.in");
	cr_assert(strstr(in, "\"prevResult\":{\"ips\":[]}"), "%s", in);
	free(in);
	free(calls);
	drover_value_clear(&list);
}
