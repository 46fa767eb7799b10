#include "config.h"

#include "jobspec.h"
#include "jobspec_util.h"
#include "json.h"
#include "strset.h"
#include "value_tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const js_key job_keys[] = {
	{"ID", JS_USED},
	{"Name", JS_USED},
	{"Type", JS_USED},
	{"Namespace", JS_USED},
	{"Region", JS_USED},
	{"Datacenters", JS_USED},
	{"Meta", JS_USED},
	{"TaskGroups", JS_USED},
	{"ParentID", JS_IGNORED},
	{"Priority", JS_IGNORED},
	{"AllAtOnce", JS_IGNORED},
	{"NodePool", JS_IGNORED},
	{"Constraints", JS_IGNORED},
	{"Affinities", JS_IGNORED},
	{"Spreads", JS_IGNORED},
	{"Update", JS_IGNORED},
	{"Multiregion", JS_IGNORED},
	{"Periodic", JS_IGNORED},
	{"ParameterizedJob", JS_IGNORED},
	{"Dispatched", JS_IGNORED},
	{"DispatchIdempotencyToken", JS_IGNORED},
	{"Payload", JS_IGNORED},
	{"Reschedule", JS_IGNORED},
	{"Migrate", JS_IGNORED},
	{"UI", JS_IGNORED},
	{"ConsulToken", JS_IGNORED},
	{"ConsulNamespace", JS_IGNORED},
	{"VaultToken", JS_IGNORED},
	{"VaultNamespace", JS_IGNORED},
	{"NomadTokenID", JS_IGNORED},
	{"Stop", JS_IGNORED},
	{"Status", JS_IGNORED},
	{"StatusDescription", JS_IGNORED},
	{"Stable", JS_IGNORED},
	{"Version", JS_IGNORED},
	{"VersionTag", JS_IGNORED},
	{"SubmitTime", JS_IGNORED},
	{"CreateIndex", JS_IGNORED},
	{"ModifyIndex", JS_IGNORED},
	{"JobModifyIndex", JS_IGNORED},
	JS_KEYS_END,
};

static const char *const job_types[] = {"service", "batch", "system", "sysbatch"};

void drover_jobspec_clear(drover_jobspec *job)
{
	free(job->id);
	free(job->name);
	free(job->type);
	free(job->namespace_);
	free(job->region);
	for (size_t i = 0; job->datacenters && i < job->datacenter_count; i++)
		free(job->datacenters[i]);
	free(job->datacenters);
	js_kv_free(job->meta, job->meta_count);
	for (size_t i = 0; job->groups && i < job->group_count; i++)
		js_group_clear(&job->groups[i]);
	free(job->groups);
	for (size_t i = 0; job->ignored && i < job->ignored_count; i++)
		free(job->ignored[i]);
	free(job->ignored);
	memset(job, 0, sizeof(*job));
}

size_t drover_jobspec_cap_kill_timeout(drover_jobspec *job, long long max_ms)
{
	size_t capped = 0;
	for (size_t g = 0; g < job->group_count; g++)
		for (size_t t = 0; t < job->groups[g].task_count; t++) {
			drover_jobspec_task *task = &job->groups[g].tasks[t];
			if (task->kill_timeout_ms > max_ms) {
				task->kill_timeout_ms = max_ms;
				capped++;
			}
		}
	return capped;
}

/* ID and Name: one is required, each defaults to the other. */
static char *parse_identity(js_ctx *c, const drover_value *v, drover_jobspec *job)
{
	const char *id = NULL, *name = NULL;
	int rid = js_get_string(c, v, "ID", "job", NULL, &id);
	int rname = js_get_string(c, v, "Name", "job", NULL, &name);
	if (rid > 0 && !id[0])
		rid = 0;
	if (rname > 0 && !name[0])
		rname = 0;
	if (rid == 0 && rname == 0) {
		js_report(c, "job: \"ID\" or \"Name\" is required (the job's name)");
		return js_strdup(c, "job");
	}
	if (rid > 0 && !js_check_name(c, "job", "ID", id))
		rid = -1;
	if (rname > 0 && !js_check_name(c, "job", "Name", name))
		rname = -1;
	if (rid < 0 || rname < 0)
		return js_strdup(c, "job");
	job->id = js_strdup(c, rid > 0 ? id : name);
	job->name = js_strdup(c, rname > 0 ? name : id);
	char *shown = js_display(c, job->name ? job->name : "");
	char *where = js_printf(c, "job \"%s\"", shown);
	js_display_free(shown);
	return where;
}

static void parse_type(js_ctx *c, const drover_value *v, const char *where, drover_jobspec *job)
{
	const char *type = "service";
	if (js_get_string(c, v, "Type", where, NULL, &type) > 0 && !type[0])
		type = "service";
	size_t i = 0;
	for (; i < sizeof(job_types) / sizeof(job_types[0]); i++)
		if (strcmp(type, job_types[i]) == 0)
			break;
	if (i == sizeof(job_types) / sizeof(job_types[0])) {
		char *shown = js_display(c, type);
		js_report(c, "%s: \"Type\" must be \"service\", \"batch\", \"system\" or \"sysbatch\", not \"%s\"",
		          where, shown);
		js_display_free(shown);
		type = "service";
	}
	job->type = js_strdup(c, type);
	c->job_type = job->type ? job->type : "service";
}

static void parse_datacenters(js_ctx *c, const drover_value *v, const char *where,
                              drover_jobspec *job)
{
	const drover_value *dcs = NULL;
	if (js_get_array(c, v, "Datacenters", where, NULL, &dcs) <= 0 || dcs->u.array.count == 0)
		return;
	job->datacenters = calloc(dcs->u.array.count, sizeof(*job->datacenters));
	if (!job->datacenters) {
		c->oom = c->failed = 1;
		return;
	}
	for (size_t i = 0; i < dcs->u.array.count; i++) {
		const drover_value *dc = &dcs->u.array.items[i];
		if (dc->type != DROVER_VALUE_STRING) {
			js_report(c, "%s: \"Datacenters[%zu]\" must be a string, not %s", where, i,
			          drover_value_type_name(dc->type));
			continue;
		}
		job->datacenters[job->datacenter_count++] = js_strdup(c, dc->u.string.ptr);
	}
}

static void parse_groups(js_ctx *c, const drover_value *v, const char *where, drover_jobspec *job)
{
	const drover_value *groups = NULL;
	int r = js_get_array(c, v, "TaskGroups", where, NULL, &groups);
	if (r == 0 || (r > 0 && groups->u.array.count == 0)) {
		js_report(c, "%s: \"TaskGroups\" is required and must list at least one group", where);
		return;
	}
	if (r < 0)
		return;
	size_t n = groups->u.array.count;
	job->groups = calloc(n, sizeof(*job->groups));
	if (!job->groups) {
		c->oom = c->failed = 1;
		return;
	}
	drover_strset names = {0};
	for (size_t i = 0; i < n; i++) {
		job->group_count = i + 1;
		/* a group with other problems still takes its name */
		js_parse_group(c, &groups->u.array.items[i], i, where, &job->groups[i]);
		if (!job->groups[i].name)
			continue;
		size_t j = 0;
		int added = drover_strset_add(&names, job->groups[i].name, i, &j);
		if (added < 0)
			c->oom = c->failed = 1;
		else if (added == 0)
			js_report(c, "%s: group name \"%s\" is used twice (TaskGroups[%zu] and TaskGroups[%zu]); group names in a job must be unique",
			          where, job->groups[i].name, j, i);
	}
	drover_strset_clear(&names);
}

/* `{"Job": {...}}` (nomad job run -output) or the job itself. */
static const drover_value *unwrap(js_ctx *c, const drover_value *doc)
{
	if (!doc || doc->type != DROVER_VALUE_OBJECT) {
		js_report(c, "job: the job file must hold a JSON object (a job, or {\"Job\": {...}} as `nomad job run -output` prints), not %s",
		          drover_value_type_name(doc ? doc->type : DROVER_VALUE_NULL));
		return NULL;
	}
	const drover_value *inner = drover_value_get(doc, "Job");
	if (!inner)
		return doc;
	if (inner->type != DROVER_VALUE_OBJECT) {
		js_report(c, "job: \"Job\" must be an object, not %s", drover_value_type_name(inner->type));
		return NULL;
	}
	for (size_t i = 0; i < doc->u.object.count; i++) {
		if (strcmp(doc->u.object.keys[i], "Job") == 0)
			continue;
		char *shown = js_display(c, doc->u.object.keys[i]);
		js_report(c, "job: unknown key \"%s\" beside \"Job\": a wrapped job file holds only {\"Job\": {...}}",
		          shown);
		js_display_free(shown);
	}
	return inner;
}

int drover_jobspec_from_value(const drover_value *doc, drover_jobspec *job, drover_errlist *errors)
{
	drover_jobspec tmp = {0};
	js_ctx c = {.errors = errors, .job = &tmp, .job_type = "service"};
	const drover_value *v = unwrap(&c, doc);
	if (v) {
		char *where = parse_identity(&c, v, &tmp);
		if (where) {
			js_check_keys(&c, v, job_keys, where, NULL, NULL);
			parse_type(&c, v, where, &tmp);
			const char *s = "default";
			if (js_get_string(&c, v, "Namespace", where, NULL, &s) > 0 && !s[0])
				s = "default";
			tmp.namespace_ = js_strdup(&c, s);
			s = "global";
			if (js_get_string(&c, v, "Region", where, NULL, &s) > 0 && !s[0])
				s = "global";
			tmp.region = js_strdup(&c, s);
			parse_datacenters(&c, v, where, &tmp);
			js_get_string_map(&c, v, "Meta", where, &tmp.meta, &tmp.meta_count);
			parse_groups(&c, v, where, &tmp);
		}
		free(where);
	}
	if (c.oom)
		drover_errlist_add(errors, "job: out of memory while reading the job");
	if (c.failed || c.oom) {
		drover_jobspec_clear(&tmp);
		memset(job, 0, sizeof(*job));
		return c.oom ? -ENOMEM : -EINVAL;
	}
	*job = tmp;
	return 0;
}

void drover_jobspec_file_error(drover_errlist *errors, const char *path, int rc,
                               const drover_err *err)
{
	size_t plen = strlen(path);
	/* Syntax errors start with "<path>:line:col:" (kept first, for editors);
	 * one on line 1 means the file is not JSON at all, an HCL job file most
	 * of the time. */
	int syntax = rc == -EINVAL && strncmp(err->message, path, plen) == 0 && err->message[plen] == ':';
	if (syntax && strncmp(err->message + plen, ":1:", 3) == 0)
		drover_errlist_add(errors,
		                   "%s (the job file is not JSON: drover reads Nomad's API JSON, not HCL; "
		                   "`nomad job run -output job.nomad.hcl > job.json` converts one)",
		                   err->message);
	else if (syntax)
		drover_errlist_add(errors, "%s", err->message);
	else
		drover_errlist_add(errors, "job file: %s", err->message);
}

int drover_jobspec_load(const char *path, drover_jobspec *job, drover_errlist *errors)
{
	drover_err err = {{0}};
	drover_value doc = {.type = DROVER_VALUE_NULL};
	int rc = drover_json_parse_file(path, &doc, &err);
	if (rc < 0) {
		drover_jobspec_file_error(errors, path, rc, &err);
		memset(job, 0, sizeof(*job));
		return rc;
	}
	/* Structural messages get the file name in front, as the syntax errors have. */
	drover_errlist local = {0};
	rc = drover_jobspec_from_value(&doc, job, &local);
	for (size_t i = 0; i < local.count; i++)
		drover_errlist_add(errors, "%s: %s", path, local.lines[i]);
	drover_errlist_clear(&local);
	drover_value_clear(&doc);
	return rc;
}
