#include "config.h"

#include "taskenv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "interpolate.h"

/* Host variables that carry credentials: Nomad's default env.denylist. */
static const char *const host_env_denied[] = {
	"CONSUL_TOKEN", "CONSUL_HTTP_TOKEN", "VAULT_TOKEN", "NOMAD_TOKEN", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", NULL,
};

static int host_var_allowed(const char *entry)
{
	/* The host's own NOMAD_* would be mistaken for this task's. */
	if (strncmp(entry, "NOMAD_", 6) == 0 || strncmp(entry, "DROVER_", 7) == 0)
		return 0;
	for (size_t i = 0; host_env_denied[i]; i++) {
		size_t len = strlen(host_env_denied[i]);
		if (strncmp(entry, host_env_denied[i], len) == 0 && entry[len] == '=')
			return 0;
	}
	return strchr(entry, '=') != NULL;
}

char *drover_taskenv_alloc_name(const drover_jobspec *job, const drover_jobspec_group *group,
                                int index)
{
	return drover_strdup_printf("%s.%s[%d]", job->name, group->name, index);
}

static int set(drover_strv *env, const char *key, const char *value)
{
	return drover_env_set(env, drover_strdup_printf("%s=%s", key, value));
}

static int set_int(drover_strv *env, const char *key, long long value)
{
	return drover_env_set(env, drover_strdup_printf("%s=%lld", key, value));
}

/* Nomad exports each meta key as given and upper-cased, '.' and '-' as '_'. */
static int set_meta(drover_strv *env, const drover_kv *meta, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		_cleanup_(drover_freep) char *upper = strdup(meta[i].key);
		if (!upper)
			return -ENOMEM;
		for (char *p = upper; *p; p++)
			*p = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
		int rc = drover_env_set(env, drover_strdup_printf("NOMAD_META_%s=%s", meta[i].key, meta[i].value));
		if (rc == 0 && strcmp(upper, meta[i].key) != 0)
			rc = drover_env_set(env, drover_strdup_printf("NOMAD_META_%s=%s", upper, meta[i].value));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Nomad interpolates Env against the environment built so far and the node,
 * so every value is resolved before any of them is set: one Env entry never
 * sees another. */
static int interpolated_env(const drover_taskenv_input *in, drover_strv *env, drover_err *err)
{
	const drover_jobspec_task *t = in->task;
	drover_interp_scope scope;
	drover_interp_scope_for_task(&scope, in->job, in->group, t, env, in->node);
	char **values = calloc(t->env_count ? t->env_count : 1, sizeof(*values));
	if (!values)
		return drover_err_set(err, -ENOMEM, "cannot build the environment of task \"%s\": out of memory",
		                      t->name);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t->env_count; i++) {
		char field[300];
		snprintf(field, sizeof(field), "job \"%.64s\", group \"%.64s\", task \"%.64s\": Env.%.64s",
		         in->job->name, in->group->name, t->name, t->env[i].key);
		rc = drover_interpolate_string(&scope, t->env[i].value, field, &values[i], err);
	}
	for (size_t i = 0; rc == 0 && i < t->env_count; i++)
		rc = set(env, t->env[i].key, values[i]);
	if (rc < 0 && !err->message[0])
		drover_err_set(err, rc, "cannot build the environment of task \"%s\": %s", t->name,
		               strerror(-rc));
	for (size_t i = 0; i < t->env_count; i++)
		free(values[i]);
	free(values);
	return rc;
}

int drover_taskenv_build(const drover_taskenv_input *in, drover_strv *out, drover_err *err)
{
	drover_strv env = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && in->host_env && in->host_env[i]; i++)
		if (host_var_allowed(in->host_env[i]))
			rc = drover_strv_push(&env, in->host_env[i]);

	_cleanup_(drover_freep) char *alloc_name = drover_taskenv_alloc_name(in->job, in->group, in->alloc_index);
	_cleanup_(drover_freep) char *local = drover_strdup_printf("%s/local", in->task_dir);
	_cleanup_(drover_freep) char *secrets = drover_strdup_printf("%s/secrets", in->task_dir);
	char short_id[9] = {0};
	strncpy(short_id, in->alloc_id, 8);
	if (!alloc_name || !local || !secrets)
		rc = -ENOMEM;

	const drover_jobspec_task *t = in->task;
	if (rc == 0) rc = set(&env, "NOMAD_ALLOC_DIR", in->dirs->shared_dir);
	if (rc == 0) rc = set(&env, "NOMAD_TASK_DIR", local);
	if (rc == 0) rc = set(&env, "NOMAD_SECRETS_DIR", secrets);
	if (rc == 0) rc = set(&env, "NOMAD_ALLOC_ID", in->alloc_id);
	if (rc == 0) rc = set(&env, "NOMAD_SHORT_ALLOC_ID", short_id);
	if (rc == 0) rc = set(&env, "NOMAD_ALLOC_NAME", alloc_name);
	if (rc == 0) rc = set_int(&env, "NOMAD_ALLOC_INDEX", in->alloc_index);
	if (rc == 0) rc = set(&env, "NOMAD_TASK_NAME", t->name);
	if (rc == 0) rc = set(&env, "NOMAD_GROUP_NAME", in->group->name);
	if (rc == 0) rc = set(&env, "NOMAD_JOB_ID", in->job->id);
	if (rc == 0) rc = set(&env, "NOMAD_JOB_NAME", in->job->name);
	if (rc == 0) rc = set(&env, "NOMAD_NAMESPACE", in->job->namespace_);
	if (rc == 0) rc = set(&env, "NOMAD_REGION", in->job->region);
	/* Nomad takes the datacenter from the node the task runs on; the job's
	 * first datacenter stands in when no node info was loaded. */
	if (rc == 0 && in->node && in->node->datacenter)
		rc = set(&env, "NOMAD_DC", in->node->datacenter);
	else if (rc == 0 && in->job->datacenter_count > 0)
		rc = set(&env, "NOMAD_DC", in->job->datacenters[0]);
	if (rc == 0) rc = set_int(&env, "NOMAD_MEMORY_LIMIT", t->memory_mb);
	if (rc == 0 && t->memory_max_mb > 0)
		rc = set_int(&env, "NOMAD_MEMORY_MAX_LIMIT", t->memory_max_mb);
	if (rc == 0) rc = set_int(&env, "NOMAD_CPU_LIMIT", t->cpu_mhz);
	/* Meta merges job, then group, then task: the most specific wins. */
	if (rc == 0) rc = set_meta(&env, in->job->meta, in->job->meta_count);
	if (rc == 0) rc = set_meta(&env, in->group->meta, in->group->meta_count);
	if (rc == 0) rc = set_meta(&env, t->meta, t->meta_count);
	if (rc == 0) rc = drover_ports_env(in->group_ports, &env);
	/* Only in bridge mode has the allocation an address of its own (Nomad
	 * sets these from the bridge's CNI result; mode none has none). */
	const char *mode = in->group->network.mode;
	if (rc == 0 && mode && strcmp(mode, "bridge") == 0)
		rc = drover_ports_alloc_env(in->group_ports, in->alloc_ip, in->alloc_interface, &env);
	if (rc == 0) rc = drover_ports_env(in->task_ports, &env);
	if (rc == 0 && (rc = interpolated_env(in, &env, err)) < 0) {
		drover_strv_clear(&env);
		return rc;
	}

	if (rc < 0) {
		drover_strv_clear(&env);
		return drover_err_set(err, rc, "cannot build the environment of task \"%s\": %s", t->name,
		                      strerror(-rc));
	}
	*out = env;
	return 0;
}
