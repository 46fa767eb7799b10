/* libFuzzer target: the path of `drover validate JOB.json` without the plugin
 * loader: the JSON reader, the job structure, each task's Config checked
 * against its driver's schema (the docker driver's real table; raw_exec's and
 * exec's command/args), then the task size limits. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "docker_schema.h"
#include "jobspec.h"
#include "json.h"
#include "nodeinfo.h"
#include "schema_check.h"
#include "task_limits.h"
#include "value_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Validation interpolates without a node: no node.* or attr.* resolve. */
const char *drover_node_info_attr(const drover_node_info *n, const char *key)
{
	(void)n;
	(void)key;
	return NULL;
}

static const drover_field command_schema[] = {
	{"command", DROVER_FIELD_STRING, 1, NULL, "", NULL},
	{"args", DROVER_FIELD_STRING_LIST, 0, NULL, "", NULL},
	DROVER_FIELD_END,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	drover_value doc = {.type = DROVER_VALUE_NULL};
	drover_err err = {{0}};
	if (drover_json_parse("fuzz.json", (const char *)data, size, &doc, &err) < 0)
		return 0;
	drover_jobspec job = {0};
	drover_errlist errors = {0};
	if (drover_jobspec_from_value(&doc, &job, &errors) == 0) {
		for (size_t g = 0; g < job.group_count; g++) {
			const drover_jobspec_group *group = &job.groups[g];
			for (size_t t = 0; t < group->task_count; t++) {
				const drover_jobspec_task *task = &group->tasks[t];
				const drover_field *schema =
					strcmp(task->driver, "docker") == 0 ? docker_task_schema : command_schema;
				drover_value cfg = {.type = DROVER_VALUE_NULL};
				if (drover_schema_check(schema, &task->config, "fuzz", &cfg, &errors) == 0)
					drover_task_check_limits(&job, group, task, &cfg, "fuzz", &errors);
				drover_value_clear(&cfg);
			}
		}
		drover_jobspec_clear(&job);
	}
	/* the printing path of validate, into nowhere */
	FILE *null = fopen("/dev/null", "we");
	if (null) {
		drover_errlist_print(null, &errors, NULL);
		fclose(null);
	}
	drover_errlist_clear(&errors);
	drover_value_clear(&doc);
	return 0;
}
