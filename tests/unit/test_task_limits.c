/* Size limits of a task, checked at validation before anything is built. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"
#include "json.h"
#include "task_limits.h"
#include "value_tree.h"

typedef struct loaded {
	drover_jobspec job;
	drover_errlist errors;
	int rc;
} loaded;

static void check(loaded *l, const char *json)
{
	drover_value doc = {0};
	drover_err err = {{0}};
	memset(l, 0, sizeof(*l));
	cr_assert_eq(drover_json_parse("test", json, strlen(json), &doc, &err), 0, "%s", err.message);
	drover_errlist errors = {0};
	cr_assert_eq(drover_jobspec_from_value(&doc, &l->job, &errors), 0, "%s",
	             errors.count ? errors.lines[0] : "");
	drover_value_clear(&doc);
	const drover_jobspec_group *g = &l->job.groups[0];
	const drover_jobspec_task *t = &g->tasks[0];
	l->rc = drover_task_check_limits(&l->job, g, t, &t->config, "task \"t\"", &l->errors);
}

static void done(loaded *l)
{
	drover_jobspec_clear(&l->job);
	drover_errlist_clear(&l->errors);
}

/* {"Meta": {"big": <n bytes>}, ... "Config": {"command": "/bin/echo", "args": [<args>]}, "Env": {<env>}} */
static char *job(size_t meta_len, const char *args, const char *env)
{
	char *big = malloc(meta_len + 1);
	memset(big, 'x', meta_len);
	big[meta_len] = '\0';
	char *s = NULL;
	cr_assert(asprintf(&s, "{\"ID\": \"j\", \"Meta\": {\"big\": \"%s\"}, \"TaskGroups\": [{\"Name\": \"g\", "
	                       "\"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\", \"Env\": {%s}, "
	                       "\"Config\": {\"command\": \"/bin/echo\", \"args\": [%s]}}]}]}",
	                   big, env, args) > 0);
	free(big);
	return s;
}

static char *repeat(const char *item, size_t n)
{
	size_t len = strlen(item);
	char *s = malloc(n * (len + 2) + 1);
	char *p = s;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, item, len);
		p += len;
	}
	*p = '\0';
	return s;
}

static int has_line(const loaded *l, const char *needle)
{
	for (size_t i = 0; i < l->errors.count; i++)
		if (strstr(l->errors.lines[i], needle))
			return 1;
	return 0;
}

Test(task_limits, an_ordinary_task_passes)
{
	char *j = job(100, "\"${meta.big}\", \"-n\"", "\"A\": \"${meta.big}\"");
	loaded l;
	check(&l, j);
	cr_assert_eq(l.rc, 0, "%s", l.errors.count ? l.errors.lines[0] : "");
	done(&l);
	free(j);
}

/* The reproducer: 900 KB of Meta referenced 1000 times in args made
 * `drover run` use 902 MB. The limit names the argument where it is passed,
 * and nothing of that size is built to find out. */
Test(task_limits, a_large_meta_value_referenced_many_times_is_refused, .timeout = 30)
{
	char *args = repeat("\"${meta.big}\"", 1000);
	char *j = job(900 * 1024, args, "");
	loaded l;
	check(&l, j);
	cr_assert_eq(l.rc, -E2BIG);
	cr_assert(has_line(&l, "task \"t\": \"Config.args[1]\": the task's Config and Env grow past the limit"),
	          "%s", l.errors.count ? l.errors.lines[0] : "(none)");
	cr_assert(has_line(&l, "1048576 bytes"), "says the limit: %s", l.errors.lines[0]);
	done(&l);
	free(args);
	free(j);
}

Test(task_limits, env_values_count_too)
{
	char *j = job(600 * 1024, "", "\"A\": \"${meta.big}\", \"B\": \"${meta.big}\"");
	loaded l;
	check(&l, j);
	cr_assert_eq(l.rc, -E2BIG);
	cr_assert(has_line(&l, "\"Env.B\""), "%s", l.errors.count ? l.errors.lines[0] : "(none)");
	done(&l);
	free(j);
}

/* 12M one-character args ended in "Argument list too long" at start: far
 * fewer already pass what execve takes, counted as the kernel counts them. */
Test(task_limits, too_many_arguments_are_refused_naming_the_one_past_the_limit)
{
	char *args = repeat("\"a\"", 120000);
	char *j = job(1, args, "");
	loaded l;
	check(&l, j);
	cr_assert_eq(l.rc, -E2BIG);
	/* "/bin/echo" is 10+8 bytes, each "a" 2+8: args[104855] is the first past 1 MiB */
	cr_assert(has_line(&l, "\"Config.args[104855]\": the task's command line and environment"),
	          "%s", l.errors.count ? l.errors.lines[0] : "(none)");
	cr_assert_eq(l.errors.count, 1, "one line, not one per argument");
	done(&l);
	free(args);
	free(j);
}

Test(task_limits, one_argument_longer_than_the_kernel_takes)
{
	char *j = job(200 * 1024, "\"-v\", \"x${meta.big}\"", "");
	loaded l;
	check(&l, j);
	cr_assert_eq(l.rc, -E2BIG);
	cr_assert(has_line(&l, "\"Config.args[1]\": 204802 bytes once interpolated"), "%s",
	          l.errors.count ? l.errors.lines[0] : "(none)");
	cr_assert(has_line(&l, "131072"), "says the limit");
	done(&l);
	free(j);
}

Test(task_limits, non_argv_config_strings_are_not_held_to_the_argument_limit)
{
	char *big = malloc(200 * 1024 + 1);
	memset(big, 'y', 200 * 1024);
	big[200 * 1024] = '\0';
	char *s = NULL;
	cr_assert(asprintf(&s, "{\"ID\": \"j\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\"Name\": \"t\", "
	                       "\"Driver\": \"docker\", \"Config\": {\"image\": \"x\", \"labels\": {\"l\": \"%s\"}}}]}]}",
	                   big) > 0);
	loaded l;
	check(&l, s);
	cr_assert_eq(l.rc, 0, "%s", l.errors.count ? l.errors.lines[0] : "");
	done(&l);
	free(s);
	free(big);
}
