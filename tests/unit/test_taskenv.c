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
