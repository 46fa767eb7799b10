#include "config.h"

#include "task_limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpolate.h"
#include "util.h"

typedef struct sizer {
	const drover_interp_scope *scope;
	const char *where;
	drover_errlist *errors;
	size_t interpolated; /* Config strings + Env values */
	size_t exec;         /* argv + envp as execve counts them */
	int over_interpolated, over_exec;
	int rc;
} sizer;

static void too_big(sizer *z, const char *field, const char *why, size_t limit)
{
	drover_errlist_add(z->errors, "%s: \"%s\": %s (the limit is %zu bytes); ${...} references to "
	                   "large Meta or Env values count each time they are used",
	                   z->where, field, why, limit);
	z->rc = -E2BIG;
}

/* Sizes one string; `exec` when it becomes an argument or an environment entry
 * (`extra` bytes of "KEY=" in front). */
static void add_string(sizer *z, const char *s, const char *field, int exec, size_t extra)
{
	if (z->over_interpolated)
		return;
	size_t left = DROVER_TASK_MAX_INTERPOLATED_BYTES - z->interpolated;
	size_t n = 0;
	int rc = drover_interpolate_measure(z->scope, s, left, &n);
	if (rc == -E2BIG) {
		z->over_interpolated = 1;
		too_big(z, field, "the task's Config and Env grow past the limit here once ${...} is replaced",
		        (size_t)DROVER_TASK_MAX_INTERPOLATED_BYTES);
		return;
	}
	if (rc < 0) {
		z->rc = rc;
		return;
	}
	z->interpolated += n;
	if (!exec)
		return;
	size_t arg = extra + n + 1;
	if (arg > DROVER_TASK_MAX_ARG_BYTES) {
		char why[160];
		snprintf(why, sizeof(why), "%zu bytes once interpolated, more than the kernel takes for "
		         "one argument or environment entry", arg);
		too_big(z, field, why, (size_t)DROVER_TASK_MAX_ARG_BYTES);
	}
	z->exec += arg + sizeof(char *);
	if (!z->over_exec && z->exec > DROVER_TASK_MAX_ARGV_ENV_BYTES) {
		z->over_exec = 1;
		too_big(z, field, "the task's command line and environment (each string with its NUL "
		        "and pointer, as execve counts them) grow past the limit here",
		        (size_t)DROVER_TASK_MAX_ARGV_ENV_BYTES);
	}
}

static void walk(sizer *z, const drover_value *v, char *path, size_t cap, int exec)
{
	size_t base = strlen(path);
	switch (v->type) {
	case DROVER_VALUE_STRING:
		add_string(z, v->u.string.ptr, path, exec, 0);
		break;
	case DROVER_VALUE_ARRAY:
		for (size_t i = 0; i < v->u.array.count && !z->over_interpolated; i++) {
			snprintf(path + base, cap - base, "[%zu]", i);
			walk(z, &v->u.array.items[i], path, cap, exec);
		}
		break;
	case DROVER_VALUE_OBJECT:
		for (size_t i = 0; i < v->u.object.count && !z->over_interpolated; i++) {
			const char *key = v->u.object.keys[i];
			snprintf(path + base, cap - base, ".%.100s", key);
			/* what becomes the process's argv, for every driver */
			int is_argv = base == strlen("Config") &&
			              (strcmp(key, "command") == 0 || strcmp(key, "args") == 0 ||
			               strcmp(key, "entrypoint") == 0);
			walk(z, &v->u.object.values[i], path, cap, exec || is_argv);
		}
		break;
	default:
		break;
	}
	path[base] = '\0';
}

int drover_task_check_limits(const drover_jobspec *job, const drover_jobspec_group *group,
                             const drover_jobspec_task *task, const drover_value *config,
                             const char *where, drover_errlist *errors)
{
	/* The environment as written: ${env.X} and ${X} resolve against it; the
	 * NOMAD_* variables added at start are short and left as written here. */
	drover_strv env = {0};
	for (size_t i = 0; i < task->env_count; i++)
		if (drover_strv_push_take(&env, drover_strdup_printf("%s=%s", task->env[i].key,
		                                                     task->env[i].value)) < 0) {
			drover_strv_clear(&env);
			return -ENOMEM;
		}
	/* Env values do not see the other Env entries (see drover(1)); Config does. */
	drover_interp_scope env_scope, scope;
	drover_interp_scope_for_task(&env_scope, job, group, task, NULL, NULL);
	drover_interp_scope_for_task(&scope, job, group, task, &env, NULL);
	sizer z = {.scope = &env_scope, .where = where, .errors = errors};
	char path[512];
	for (size_t i = 0; i < task->env_count && !z.over_interpolated; i++) {
		snprintf(path, sizeof(path), "Env.%.200s", task->env[i].key);
		add_string(&z, task->env[i].value, path, 1, strlen(task->env[i].key) + 1);
	}
	z.scope = &scope;
	if (config) {
		snprintf(path, sizeof(path), "Config");
		walk(&z, config, path, sizeof(path), 0);
	}
	drover_strv_clear(&env);
	return z.rc;
}
