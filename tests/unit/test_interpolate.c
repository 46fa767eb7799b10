/* ${...} interpolation: every namespace, nested Config, Env, and hostile input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "interpolate.h"
#include "json.h"
#include "taskenv.h"
#include "value_tree.h"

static drover_node_info node;
static drover_kv job_meta[] = {{"x", "job"}, {"only_job", "j"}};
static drover_kv group_meta[] = {{"x", "group"}, {"g", "gv"}};
static drover_kv task_meta[] = {{"x", "task"}};
static const char *const env[] = {"NOMAD_PORT_http=23456", "NOMAD_TASK_DIR=/a/t/local",
                                  "HOME=/root", NULL};
static drover_interp_scope scope;

static void setup(void)
{
	drover_err err = {{0}};
	cr_assert_eq(drover_node_info_load(NULL, NULL, &node, &err), 0, "%s", err.message);
	drover_node_info_set_attribute(&node, "driver.raw_exec", "1");
	scope = (drover_interp_scope){
		.env = env,
		.meta = {job_meta, group_meta, task_meta},
		.meta_count = {2, 2, 1},
		.node = &node,
	};
}

static void teardown(void)
{
	drover_node_info_clear(&node);
}

static int parse(const char *text, drover_value *out, drover_err *err)
{
	return drover_json_parse("test", text, strlen(text), out, err);
}

TestSuite(interpolate, .init = setup, .fini = teardown);

static char *interp(const char *in)
{
	char *out = NULL;
	drover_err err = {{0}};
	cr_assert_eq(drover_interpolate_string(&scope, in, "Config.x", &out, &err), 0, "%s", err.message);
	return out;
}

#define assert_interp(in, want)                                                               \
	do {                                                                                   \
		char *got_ = interp(in);                                                       \
		cr_assert_str_eq(got_, want, "\"%s\" gave \"%s\", expected \"%s\"", in, got_, want); \
		free(got_);                                                                    \
	} while (0)

Test(interpolate, task_environment_and_env_namespace)
{
	assert_interp("--port=${NOMAD_PORT_http}", "--port=23456");
	assert_interp("${NOMAD_TASK_DIR}/conf", "/a/t/local/conf");
	assert_interp("${env.HOME}|${HOME}", "/root|/root");
	assert_interp("no references at all", "no references at all");
	assert_interp("", "");
}

Test(interpolate, meta_merges_job_group_task_then_node_meta)
{
	drover_value client_meta;
	drover_err err = {{0}};
	cr_assert_eq(parse("{\"rack\": \"r9\", \"x\": \"node\"}", &client_meta, &err), 0, "%s",
	             err.message);
	node.meta = &client_meta;
	assert_interp("${meta.x}", "task");
	assert_interp("${meta.g}", "gv");
	assert_interp("${meta.only_job}", "j");
	assert_interp("${meta.rack}", "r9");
	node.meta = NULL;
	drover_value_clear(&client_meta);
}

Test(interpolate, node_and_attr_namespaces)
{
	char want[512];
	snprintf(want, sizeof(want), "%s %s dc1 global ", node.id, node.name);
	assert_interp("${node.unique.id} ${node.unique.name} ${node.datacenter} ${node.region} ${node.class}",
	              want);
	assert_interp("${attr.kernel.name}", "linux");
	assert_interp("${attr.driver.raw_exec}", "1");
	char *cores = interp("${attr.cpu.numcores}");
	cr_assert_gt(atoi(cores), 0, "cpu.numcores: %s", cores);
	free(cores);
	char *version = interp("${attr.kernel.version}");
	cr_assert(version[0] >= '0' && version[0] <= '9' && strspn(version, "0123456789.") == strlen(version),
	          "kernel.version: %s", version);
	free(version);
	char *host = interp("${attr.unique.hostname}");
	cr_assert_str_eq(host, node.name);
	free(host);
}

/* Nomad leaves what it cannot resolve as written, and what is not a
 * reference is plain text. */
Test(interpolate, unknown_unterminated_and_nested_are_literal)
{
	assert_interp("${nope} ${meta.nope} ${attr.nope} ${node.nope}",
	              "${nope} ${meta.nope} ${attr.nope} ${node.nope}");
	assert_interp("${NOMAD_PORT_http", "${NOMAD_PORT_http");
	assert_interp("${", "${");
	assert_interp("$", "$");
	assert_interp("${}", "${}");
	assert_interp("${a b}", "${a b}");
	assert_interp("${a${NOMAD_PORT_http}}", "${a23456}");
	assert_interp("{${HOME}}", "{/root}");
	assert_interp("$$${HOME}", "$$/root");
	/* No escape in the runtime: $${ is HCL's, and a $ before a reference stays. */
	assert_interp("$${HOME}", "$/root");
}

Test(interpolate, output_is_bounded_and_the_error_names_the_field)
{
	scope.max_len = 1000;
	size_t n = 200;
	char *in = malloc(n * 20 + 1);
	in[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strcat(in, "${NOMAD_TASK_DIR}");
	char *out = NULL;
	drover_err err = {{0}};
	cr_assert_eq(drover_interpolate_string(&scope, in, "job \"j\": Env.BIG", &out, &err), -E2BIG);
	cr_assert_null(out);
	cr_assert(strstr(err.message, "job \"j\": Env.BIG") && strstr(err.message, "1000 bytes"), "%s",
	          err.message);
	free(in);
	/* A huge plain string under the default limit passes through intact. */
	scope.max_len = 0;
	size_t big = 512 * 1024;
	in = malloc(big + 1);
	memset(in, '$', big);
	in[big] = '\0';
	cr_assert_eq(drover_interpolate_string(&scope, in, "f", &out, &err), 0, "%s", err.message);
	cr_assert_eq(strlen(out), big);
	free(out);
	free(in);
}

Test(interpolate, nested_config_objects_and_arrays)
{
	drover_value cfg, got;
	drover_err err = {{0}};
	cr_assert_eq(parse("{\"command\": \"/bin/${meta.x}\", \"n\": 5, \"ok\": true,"
	                               " \"args\": [\"-p\", \"${NOMAD_PORT_http}\", [\"${HOME}\", null]],"
	                               " \"env\": {\"${HOME}\": {\"deep\": \"${attr.kernel.name}\"}}}",
	                               &cfg, &err),
	             0, "%s", err.message);
	drover_jobspec job = {.name = "j"};
	drover_jobspec_group group = {.name = "g"};
	drover_jobspec_task task = {.name = "t"};
	cr_assert_eq(drover_interpolate_task_config(&scope, &job, &group, &task, &cfg, &got, &err), 0,
	             "%s", err.message);
	cr_assert_str_eq(drover_value_get_string(&got, "command", ""), "/bin/task");
	cr_assert_eq(drover_value_get_int(&got, "n", 0), 5);
	cr_assert_eq(drover_value_get_bool(&got, "ok", 0), 1);
	const drover_value *args = drover_value_get(&got, "args");
	cr_assert_eq(args->u.array.count, 3);
	cr_assert_str_eq(args->u.array.items[1].u.string.ptr, "23456");
	cr_assert_eq(args->u.array.items[1].u.string.len, 5);
	cr_assert_str_eq(args->u.array.items[2].u.array.items[0].u.string.ptr, "/root");
	cr_assert_eq(args->u.array.items[2].u.array.items[1].type, DROVER_VALUE_NULL);
	/* Keys are names, not values: kept as written. */
	const drover_value *e = drover_value_get(drover_value_get(&got, "env"), "${HOME}");
	cr_assert(e, "object keys must not be interpolated");
	cr_assert_str_eq(drover_value_get_string(e, "deep", ""), "linux");
	/* The input is untouched. */
	cr_assert_str_eq(drover_value_get_string(&cfg, "command", ""), "/bin/${meta.x}");
	drover_value_clear(&got);

	/* Too long once replaced: the error names job, group, task and the path. */
	scope.max_len = 8;
	cr_assert_eq(drover_interpolate_task_config(&scope, &job, &group, &task, &cfg, &got, &err), -E2BIG);
	cr_assert(strstr(err.message, "job \"j\", group \"g\", task \"t\": Config.command"), "%s",
	          err.message);
	scope.max_len = 4;
	cr_assert_eq(drover_interpolate_task_config(&scope, &job, &group, &task,
	                                            drover_value_get(&cfg, "args"), &got, &err),
	             -E2BIG);
	cr_assert(strstr(err.message, "Config[1]"), "%s", err.message);
	drover_value_clear(&cfg);
}

/* Env values are interpolated by taskenv against the NOMAD_* variables and the
 * node; one Env entry does not see another. */
Test(interpolate, env_values_through_taskenv)
{
	drover_kv task_env[] = {{"ADDR", "${NOMAD_ADDR_http}"}, {"DC", "${node.datacenter}"},
	                        {"SELF", "${ADDR}"}, {"M", "${meta.x}"}};
	drover_jobspec_task task = {.name = "t", .env = task_env, .env_count = 4, .meta = task_meta,
	                            .meta_count = 1};
	drover_jobspec_group group = {.name = "g", .count = 1};
	drover_jobspec job = {.id = "j", .name = "j", .namespace_ = "default", .region = "global"};
	drover_allocdir dirs = {.alloc_dir = "/d/a", .shared_dir = "/d/a/alloc", .log_dir = "/d/a/alloc/logs"};
	drover_port ports[] = {{.label = "http", .value = 24000}};
	drover_alloc_ports gp = {.ports = ports, .count = 1, .host_ip = "127.0.0.1"};
	drover_taskenv_input in = {.job = &job, .group = &group, .task = &task,
	                           .alloc_id = "12345678-aaaa-4bbb-8ccc-dddddddddddd",
	                           .dirs = &dirs, .task_dir = "/d/a/t", .group_ports = &gp, .node = &node};
	drover_strv out = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_taskenv_build(&in, &out, &err), 0, "%s", err.message);
	cr_assert_str_eq(drover_env_get(&out, "ADDR"), "127.0.0.1:24000");
	cr_assert_str_eq(drover_env_get(&out, "DC"), "dc1");
	cr_assert_str_eq(drover_env_get(&out, "SELF"), "${ADDR}");
	cr_assert_str_eq(drover_env_get(&out, "M"), "task");
	drover_strv_clear(&out);
}
