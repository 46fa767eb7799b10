#include <errno.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "jobspec.h"
#include "json.h"
#include "value_tree.h"

#define JOBS FIXTURES_DIR "/jobs/"

typedef struct parsed {
	drover_jobspec job;
	drover_errlist errors;
	int rc;
} parsed;

static void from_text(parsed *p, const char *json)
{
	drover_value doc = {0};
	drover_err err = {{0}};
	memset(p, 0, sizeof(*p));
	cr_assert_eq(drover_json_parse("test", json, strlen(json), &doc, &err), 0, "%s\n%s",
	             err.message, json);
	p->rc = drover_jobspec_from_value(&doc, &p->job, &p->errors);
	drover_value_clear(&doc);
}

static void done(parsed *p)
{
	drover_jobspec_clear(&p->job);
	drover_errlist_clear(&p->errors);
}

static const char *lines(const parsed *p)
{
	static char buf[16384];
	buf[0] = '\0';
	for (size_t i = 0; i < p->errors.count; i++) {
		strncat(buf, p->errors.lines[i], sizeof(buf) - strlen(buf) - 2);
		strcat(buf, "\n");
	}
	return buf;
}

static int has_line(const parsed *p, const char *needle)
{
	for (size_t i = 0; i < p->errors.count; i++)
		if (strstr(p->errors.lines[i], needle))
			return 1;
	return 0;
}

static int ignored(const drover_jobspec *job, const char *path)
{
	for (size_t i = 0; i < job->ignored_count; i++)
		if (strcmp(job->ignored[i], path) == 0)
			return 1;
	return 0;
}

/* A job with one group "g" and one task "t"; the three fragments are spliced
 * into the job, group and task objects. */
static char *job_with(const char *job_extra, const char *group_extra, const char *task_extra)
{
	char *s = NULL;
	cr_assert_neq(asprintf(&s,
	                       "{\"Job\": {\"ID\": \"web\"%s, \"TaskGroups\": [{\"Name\": \"g\"%s,"
	                       " \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\"%s}]}]}}",
	                       job_extra, group_extra, task_extra),
	              -1);
	return s;
}

static void expect_ok(parsed *p, const char *job_extra, const char *group_extra, const char *task_extra)
{
	char *json = job_with(job_extra, group_extra, task_extra);
	from_text(p, json);
	cr_assert_eq(p->rc, 0, "%s\nfor %s", lines(p), json);
	free(json);
}

static void expect_error(const char *job_extra, const char *group_extra, const char *task_extra,
                         const char *needle)
{
	parsed p;
	char *json = job_with(job_extra, group_extra, task_extra);
	from_text(&p, json);
	cr_assert_eq(p.rc, -EINVAL, "should be refused: %s", json);
	cr_assert(has_line(&p, needle), "expected a line with\n  %s\ngot:\n%s", needle, lines(&p));
	cr_assert_null(p.job.name, "job cleared on failure");
	cr_assert_eq(p.job.group_count, 0, "job cleared on failure");
	done(&p);
	free(json);
}

Test(jobspec, nomad_output_document_parses)
{
	parsed p = {0};
	p.rc = drover_jobspec_load(JOBS "nomad-output.json", &p.job, &p.errors);
	cr_assert_eq(p.rc, 0, "%s", lines(&p));
	const drover_jobspec *j = &p.job;
	cr_assert_str_eq(j->id, "web");
	cr_assert_str_eq(j->name, "web");
	cr_assert_str_eq(j->type, "service", "null Type is service");
	cr_assert_str_eq(j->namespace_, "default");
	cr_assert_str_eq(j->region, "global");
	cr_assert_eq(j->datacenter_count, 1);
	cr_assert_str_eq(j->datacenters[0], "dc1");
	cr_assert_eq(j->meta_count, 1);
	cr_assert_str_eq(j->meta[0].key, "team");
	cr_assert_str_eq(j->meta[0].value, "storage");

	cr_assert_eq(j->group_count, 1);
	const drover_jobspec_group *g = &j->groups[0];
	cr_assert_str_eq(g->name, "cache");
	cr_assert_eq(g->count, 2);
	cr_assert_eq(g->restart.attempts, 5);
	cr_assert_eq(g->restart.interval_ms, 600000);
	cr_assert_eq(g->restart.delay_ms, 25000);
	cr_assert_str_eq(g->restart.mode, "delay");
	cr_assert_eq(g->port_count, 2);
	cr_assert_str_eq(g->ports[0].label, "admin");
	cr_assert_eq(g->ports[0].value, 8081);
	cr_assert_str_eq(g->ports[1].label, "db");
	cr_assert_eq(g->ports[1].value, 0);
	cr_assert_eq(g->ports[1].to, 6379);
	cr_assert_str_eq(g->ports[1].host_network, "default");

	cr_assert_eq(g->task_count, 2);
	const drover_jobspec_task *setup = &g->tasks[0];
	cr_assert_str_eq(setup->name, "setup");
	cr_assert_str_eq(setup->driver, "raw_exec");
	cr_assert_null(setup->user, "empty User is unset");
	cr_assert_str_eq(setup->lifecycle_hook, "prestart");
	cr_assert_eq(setup->lifecycle_sidecar, 0);
	cr_assert_eq(setup->cpu_mhz, 100, "null CPU takes the default");
	cr_assert_eq(setup->memory_mb, 300);
	cr_assert_eq(setup->memory_max_mb, 0);
	cr_assert_eq(setup->kill_timeout_ms, 5000);
	cr_assert_eq(setup->kill_signal, SIGINT, "empty KillSignal is SIGINT");
	cr_assert_eq(setup->log_max_files, 10);
	cr_assert_eq(setup->log_max_file_size_mb, 10);
	cr_assert_eq(setup->env_count, 0);
	cr_assert_eq(setup->leader, 0);
	cr_assert_str_eq(drover_value_get_string(&setup->config, "command", ""), "/bin/sh");

	const drover_jobspec_task *redis = &g->tasks[1];
	cr_assert_str_eq(redis->name, "redis");
	cr_assert_null(redis->lifecycle_hook);
	cr_assert_eq(redis->cpu_mhz, 500);
	cr_assert_eq(redis->memory_mb, 256);
	cr_assert_eq(redis->memory_max_mb, 512);
	cr_assert_eq(redis->kill_timeout_ms, 20000);
	cr_assert_eq(redis->kill_signal, SIGTERM);
	cr_assert_eq(redis->log_max_files, 3);
	cr_assert_eq(redis->log_max_file_size_mb, 5);
	cr_assert_eq(redis->leader, 1);
	cr_assert_eq(redis->env_count, 2);
	cr_assert_str_eq(redis->env[0].key, "REDIS_MODE", "Env keeps file order");
	cr_assert_str_eq(redis->env[1].key, "LANG");
	cr_assert_str_eq(redis->env[1].value, "C.UTF-8");
	cr_assert_str_eq(redis->meta[0].key, "owner");
	const drover_value *args = drover_value_get(&redis->config, "args");
	cr_assert_eq(args->u.array.count, 2);

	/* only the non-empty keys drover does not act on are reported */
	cr_assert_eq(j->ignored_count, 2, "ignored: %zu", j->ignored_count);
	cr_assert(ignored(j, "Constraints"));
	cr_assert(ignored(j, "TaskGroups[0].Services"));
	done(&p);
}

Test(jobspec, wrapped_and_bare_are_the_same_job)
{
	parsed a, b;
	from_text(&a, "{\"Job\": {\"Name\": \"api\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\":"
	              " [{\"Name\": \"t\", \"Driver\": \"exec\"}]}]}}");
	from_text(&b, "{\"Name\": \"api\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\":"
	              " [{\"Name\": \"t\", \"Driver\": \"exec\"}]}]}");
	cr_assert_eq(a.rc, 0, "%s", lines(&a));
	cr_assert_eq(b.rc, 0, "%s", lines(&b));
	cr_assert_str_eq(a.job.id, "api", "ID defaults to Name");
	cr_assert_str_eq(b.job.id, "api");
	cr_assert_str_eq(a.job.groups[0].tasks[0].driver, "exec");
	cr_assert_str_eq(b.job.groups[0].tasks[0].driver, "exec");
	cr_assert_eq(a.job.groups[0].count, 1, "Count defaults to 1");
	cr_assert_eq(a.job.groups[0].tasks[0].config.type, DROVER_VALUE_NULL, "absent Config is NULL");
	done(&a);
	done(&b);
}

Test(jobspec, bare_batch_fixture_gets_batch_defaults)
{
	parsed p = {0};
	p.rc = drover_jobspec_load(JOBS "bare-batch.json", &p.job, &p.errors);
	cr_assert_eq(p.rc, 0, "%s", lines(&p));
	cr_assert_str_eq(p.job.name, "nightly-report", "Name defaults to ID");
	cr_assert_str_eq(p.job.type, "batch");
	const drover_restart_policy *r = &p.job.groups[0].restart;
	cr_assert_eq(r->attempts, 3);
	cr_assert_eq(r->interval_ms, 24LL * 3600 * 1000);
	cr_assert_eq(r->delay_ms, 15000);
	cr_assert_str_eq(r->mode, "fail");
	cr_assert_eq(p.job.ignored_count, 0);
	done(&p);
}

static void expect_restart(const char *type, int attempts, long long interval_ms)
{
	parsed p;
	char extra[64];
	snprintf(extra, sizeof(extra), ", \"Type\": \"%s\"", type);
	expect_ok(&p, extra, "", "");
	const drover_restart_policy *r = &p.job.groups[0].restart;
	cr_assert_str_eq(p.job.type, type);
	cr_assert_eq(r->attempts, attempts, "%s attempts", type);
	cr_assert_eq(r->interval_ms, interval_ms, "%s interval", type);
	cr_assert_eq(r->delay_ms, 15000, "%s delay", type);
	cr_assert_str_eq(r->mode, "fail");
	done(&p);
}

Test(jobspec, restart_defaults_per_job_type)
{
	expect_restart("service", 2, 30LL * 60 * 1000);
	expect_restart("system", 2, 30LL * 60 * 1000);
	expect_restart("batch", 3, 24LL * 3600 * 1000);
	expect_restart("sysbatch", 3, 24LL * 3600 * 1000);
	/* a partial policy keeps the type's defaults for the rest */
	parsed p;
	expect_ok(&p, ", \"Type\": \"batch\"", ", \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": null}", "");
	cr_assert_eq(p.job.groups[0].restart.attempts, 0);
	cr_assert_eq(p.job.groups[0].restart.interval_ms, 24LL * 3600 * 1000);
	cr_assert_str_eq(p.job.groups[0].restart.mode, "fail");
	done(&p);
}

Test(jobspec, kill_signal_names)
{
	parsed p;
	expect_ok(&p, "", "", ", \"KillSignal\": \"TERM\"");
	cr_assert_eq(p.job.groups[0].tasks[0].kill_signal, SIGTERM, "without the SIG prefix");
	done(&p);
	expect_ok(&p, "", "", ", \"KillSignal\": \"SIGUSR1\", \"KillTimeout\": 1500000000");
	cr_assert_eq(p.job.groups[0].tasks[0].kill_signal, SIGUSR1);
	cr_assert_eq(p.job.groups[0].tasks[0].kill_timeout_ms, 1500);
	done(&p);
	expect_error("", "", ", \"KillSignal\": \"SIGBOGUS\"",
	             "job \"web\", group \"g\", task \"t\": \"KillSignal\" \"SIGBOGUS\" is not a signal");
}

Test(jobspec, missing_required_structure)
{
	parsed p;
	from_text(&p, "{\"Job\": {\"TaskGroups\": []}}");
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert(has_line(&p, "job: \"ID\" or \"Name\" is required"), "%s", lines(&p));
	cr_assert(has_line(&p, "\"TaskGroups\" is required and must list at least one group"), "%s", lines(&p));
	done(&p);
	from_text(&p, "{\"ID\": \"web\"}");
	cr_assert(has_line(&p, "job \"web\": \"TaskGroups\" is required"), "%s", lines(&p));
	done(&p);
	from_text(&p, "{\"ID\": \"web\", \"TaskGroups\": [{\"Tasks\": [{\"Name\": \"t\", \"Driver\": \"x\"}]}]}");
	cr_assert(has_line(&p, "job \"web\", TaskGroups[0]: \"Name\" is required"), "%s", lines(&p));
	done(&p);
	from_text(&p, "{\"ID\": \"web\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": null}]}");
	cr_assert(has_line(&p, "job \"web\", group \"g\": \"Tasks\" is required"), "%s", lines(&p));
	done(&p);
	from_text(&p, "{\"ID\": \"web\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\"Driver\": \"x\"}]}]}");
	cr_assert(has_line(&p, "job \"web\", group \"g\", Tasks[0]: \"Name\" is required"), "%s", lines(&p));
	done(&p);
	from_text(&p, "{\"ID\": \"web\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"\"}]}]}");
	cr_assert(has_line(&p, "job \"web\", group \"g\", task \"t\": \"Driver\" is required"), "%s", lines(&p));
	done(&p);
}

Test(jobspec, structural_errors_name_where_and_what)
{
	expect_error("", ", \"Count\": -1", "", "job \"web\", group \"g\": \"Count\" is too small (-1): the smallest value accepted is 0");
	expect_error("", ", \"Count\": 10001", "", "\"Count\" is too large (10001): the largest value accepted is 10000");
	expect_error("", ", \"Count\": \"2\"", "", "job \"web\", group \"g\": \"Count\" must be an integer, not string");
	expect_error(", \"Type\": \"cron\"", "", "", "job \"web\": \"Type\" must be \"service\", \"batch\", \"system\" or \"sysbatch\", not \"cron\"");
	expect_error(", \"Datacenters\": \"dc1\"", "", "", "job \"web\": \"Datacenters\" must be an array, not string");
	expect_error(", \"Meta\": {\"n\": 1}", "", "", "job \"web\": \"Meta.n\" must be a string, not integer");
	expect_error("", "", ", \"KillTimeout\": \"5s\"", "task \"t\": \"KillTimeout\" must be an integer number of nanoseconds");
	expect_error("", "", ", \"KillTimeout\": -1", "\"KillTimeout\" must not be negative");
	expect_error("", "", ", \"Config\": [\"a\"]", "task \"t\": \"Config\" must be an object, not array");
	expect_error("", "", ", \"Env\": {\"PORT\": 80}", "task \"t\": \"Env.PORT\" must be a string, not integer");
	expect_error("", "", ", \"Env\": {\"A=B\": \"x\"}", "\"Env\" has an unusable name \"A=B\"");
	expect_error("", "", ", \"LogConfig\": {\"MaxFiles\": 0}", "\"LogConfig.MaxFiles\" is too small (0): the smallest value accepted is 1");
	expect_error("", "", ", \"LogConfig\": {\"MaxFileSizeMB\": 0}", "\"LogConfig.MaxFileSizeMB\" is too small (0): the smallest value accepted is 1 (MB)");
	expect_error("", "", ", \"Resources\": {\"CPU\": 0}", "\"Resources.CPU\" is too small (0): the smallest value accepted is 1 (MHz)");
	expect_error("", "", ", \"Resources\": {\"MemoryMB\": 256, \"MemoryMaxMB\": 128}", "\"Resources.MemoryMaxMB\" (128) must be 0 (unset) or at least MemoryMB (256)");
	expect_error("", ", \"RestartPolicy\": {\"Mode\": \"retry\"}", "", "job \"web\", group \"g\": \"RestartPolicy.Mode\" must be \"fail\" or \"delay\", not \"retry\"");
	expect_error("", ", \"RestartPolicy\": {\"Delay\": 1.5}", "", "\"RestartPolicy.Delay\" must be an integer number of nanoseconds");
	expect_error("", "", ", \"Lifecycle\": {\"Hook\": \"prerun\"}", "task \"t\": \"Lifecycle.Hook\" must be \"prestart\", \"poststart\" or \"poststop\", not \"prerun\"");
	expect_error("", "", ", \"Lifecycle\": {\"Sidecar\": true}", "task \"t\": \"Lifecycle.Hook\" is required when Lifecycle is set");
	expect_error("", "", ", \"Leader\": \"yes\"", "\"Leader\" must be a boolean");
	expect_error("", ", \"Networks\": [{\"ReservedPorts\": [{\"Label\": \"http\"}]}]", "",
	             "job \"web\", group \"g\": \"Networks[0].ReservedPorts[0].Value\" is required for a reserved port");
	expect_error("", ", \"Networks\": [{\"ReservedPorts\": [{\"Label\": \"http\", \"Value\": 70000}]}]", "",
	             "\"Networks[0].ReservedPorts[0].Value\" must be a port between 1 and 65535, not 70000");
	expect_error("", ", \"Networks\": [{\"DynamicPorts\": [{\"Label\": \"a\"}, {\"Label\": \"a\"}]}]", "",
	             "port label \"a\" is used twice");
	expect_error("", ", \"Networks\": [{\"DynamicPorts\": [{\"Label\": \"a b\"}]}]", "",
	             "\"Networks[0].DynamicPorts[0].Label\" \"a b\" cannot be used");
}

Test(jobspec, unknown_keys_are_errors_naming_where)
{
	expect_error(", \"Bogus\": 1", "", "", "job \"web\": unknown key \"Bogus\": Nomad's job API has no such key");
	expect_error("", ", \"Bogus\": 1", "", "job \"web\", group \"g\": unknown key \"Bogus\"");
	expect_error("", "", ", \"Bogus\": null", "job \"web\", group \"g\", task \"t\": unknown key \"Bogus\"");
	expect_error("", "", ", \"Resources\": {\"GPU\": 1}", "task \"t\": unknown key \"Resources.GPU\"");
	expect_error("", "", ", \"driver\": \"exec\"", "unknown key \"driver\" (did you mean \"Driver\"?");
	expect_error("", ", \"Networks\": [{\"DynamicPorts\": [{\"Label\": \"a\", \"Port\": 1}]}]", "",
	             "unknown key \"Networks[0].DynamicPorts[0].Port\"");
	parsed p;
	from_text(&p, "{\"Job\": {\"ID\": \"x\"}, \"PolicyOverride\": true}");
	cr_assert(has_line(&p, "unknown key \"PolicyOverride\" beside \"Job\""), "%s", lines(&p));
	done(&p);
	from_text(&p, "[1, 2]");
	cr_assert(has_line(&p, "the job file must hold a JSON object"), "%s", lines(&p));
	done(&p);
}

Test(jobspec, duplicate_group_and_task_names)
{
	parsed p;
	from_text(&p, "{\"ID\": \"web\", \"TaskGroups\": ["
	              "{\"Name\": \"g\", \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"x\"}, {\"Name\": \"t\", \"Driver\": \"y\"}]},"
	              "{\"Name\": \"g\", \"Tasks\": [{\"Name\": \"u\", \"Driver\": \"x\"}]}]}");
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert(has_line(&p, "job \"web\", group \"g\": task name \"t\" is used twice (Tasks[0] and Tasks[1])"),
	          "%s", lines(&p));
	cr_assert(has_line(&p, "job \"web\": group name \"g\" is used twice (TaskGroups[0] and TaskGroups[1])"),
	          "%s", lines(&p));
	done(&p);
}

Test(jobspec, hostile_names_are_refused)
{
	parsed p = {0};
	p.rc = drover_jobspec_load(JOBS "hostile-names.json", &p.job, &p.errors);
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert(has_line(&p, "job: \"ID\" \"../../etc\" cannot be used: it names a directory"), "%s", lines(&p));
	cr_assert(has_line(&p, "TaskGroups[0]: \"Name\" \"..\" cannot be used"), "%s", lines(&p));
	cr_assert(has_line(&p, "Tasks[0]: \"Name\" \"a/b\" cannot be used"), "%s", lines(&p));
	for (size_t i = 0; i < p.errors.count; i++)
		cr_assert(strncmp(p.errors.lines[i], JOBS "hostile-names.json: ", strlen(JOBS) + 20) == 0,
		          "each line names the file: %s", p.errors.lines[i]);
	done(&p);

	from_text(&p, "{\"Name\": \".\", \"TaskGroups\": [{\"Name\": \"\", \"Tasks\": [{\"Name\": \"x\\\"y\\n\", \"Driver\": \"x\"}]}]}");
	cr_assert(has_line(&p, "job: \"Name\" \".\" cannot be used"), "%s", lines(&p));
	cr_assert(has_line(&p, "TaskGroups[0]: \"Name\" must not be empty"), "%s", lines(&p));
	/* a quote or a newline in a name is shown escaped, never raw */
	cr_assert(has_line(&p, "\"Name\" \"x\\\"y\\x0a\" cannot be used"), "%s", lines(&p));
	done(&p);

	char long_name[200];
	memset(long_name, 'a', 129);
	long_name[129] = '\0';
	char extra[300];
	snprintf(extra, sizeof(extra), ", \"Name\": \"%s\"", long_name);
	expect_error(extra, "", "", "\"Name\" \"aaaa");
	/* issue 11, attack 3: a task named "alloc" would own the shared alloc/ */
	from_text(&p, "{\"ID\": \"web\", \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": "
	              "[{\"Name\": \"alloc\", \"Driver\": \"x\"}]}]}");
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert(has_line(&p, "group \"g\", Tasks[0]: \"Name\" \"alloc\" cannot be used for a task"),
	          "%s", lines(&p));
	done(&p);
	/* a group or job may be named alloc: neither names a directory beside it */
	from_text(&p, "{\"ID\": \"alloc\", \"TaskGroups\": [{\"Name\": \"alloc\", \"Tasks\": "
	              "[{\"Name\": \"Alloc\", \"Driver\": \"x\"}]}]}");
	cr_assert_eq(p.rc, 0, "%s", lines(&p));
	done(&p);
	/* names that are fine */
	expect_ok(&p, ", \"Name\": \"my-job_v1.2\"", "", "");
	cr_assert_str_eq(p.job.name, "my-job_v1.2");
	cr_assert_str_eq(p.job.id, "web");
	done(&p);
}

Test(jobspec, group_network_modes_host_bridge_none)
{
	parsed p;
	/* No network block is mode "host"; "host" and no mode are not reported ignored. */
	expect_ok(&p, "", "", "");
	cr_assert_str_eq(p.job.groups[0].network.mode, "host");
	cr_assert_eq(p.job.groups[0].network.has_dns, 0);
	done(&p);
	expect_ok(&p, "", ", \"Networks\": [{\"Mode\": \"\"}]", "");
	cr_assert_str_eq(p.job.groups[0].network.mode, "host");
	cr_assert_eq(p.job.ignored_count, 0, "first: %s", p.job.ignored_count ? p.job.ignored[0] : "");
	done(&p);
	expect_ok(&p, "", ", \"Networks\": [{\"Mode\": \"bridge\", \"Hostname\": \"web-1.example\"}]", "");
	cr_assert_str_eq(p.job.groups[0].network.mode, "bridge");
	cr_assert_str_eq(p.job.groups[0].network.hostname, "web-1.example");
	done(&p);
	expect_ok(&p, "", ", \"Networks\": [{\"Mode\": \"none\"}]", "");
	cr_assert_str_eq(p.job.groups[0].network.mode, "none");
	done(&p);
	/* Custom CNI networks by name are not built: refused, naming the field. */
	expect_error("", ", \"Networks\": [{\"Mode\": \"cni/mynet\"}]", "",
	             "\"Networks[0].Mode\": \"cni/mynet\" is not supported");
	expect_error("", ", \"Networks\": [{\"Mode\": \"host\"}, {\"Mode\": \"bridge\"}]", "",
	             "\"Networks\" has 2 networks; a group has at most one");
	expect_error("", ", \"Networks\": [{\"Mode\": 5}]", "", "Networks[0].Mode");
	expect_error("", ", \"Networks\": [{\"Hostname\": \"a..b\"}]", "",
	             "\"Networks[0].Hostname\" \"a..b\" is not a host name");
	/* A task's legacy network cannot have a mode of its own. */
	expect_error("", "", ", \"Resources\": {\"Networks\": [{\"Mode\": \"bridge\"}]}",
	             "\"Resources.Networks[0].Mode\": \"bridge\" is not supported for a task's own network");
}

Test(jobspec, group_network_dns_is_read_and_checked)
{
	parsed p;
	expect_ok(&p, "",
	          ", \"Networks\": [{\"DNS\": {\"Servers\": [\"1.1.1.1\", \"2001:db8::53\"], "
	          "\"Searches\": [\"example.com\"], \"Options\": [\"ndots:2\", \"edns0\"]}}]",
	          "");
	const drover_group_network *n = &p.job.groups[0].network;
	cr_assert_eq(n->has_dns, 1);
	cr_assert_str_eq(n->dns_servers[0], "1.1.1.1");
	cr_assert_str_eq(n->dns_servers[1], "2001:db8::53");
	cr_assert_null(n->dns_servers[2]);
	cr_assert_str_eq(n->dns_searches[0], "example.com");
	cr_assert_str_eq(n->dns_options[1], "edns0");
	cr_assert_eq(p.job.ignored_count, 0, "DNS is used, not ignored: %s",
	             p.job.ignored_count ? p.job.ignored[0] : "");
	done(&p);
	/* An empty block still counts: it replaces resolv.conf with nothing. */
	expect_ok(&p, "", ", \"Networks\": [{\"DNS\": {}}]", "");
	cr_assert_eq(p.job.groups[0].network.has_dns, 1);
	cr_assert_null(p.job.groups[0].network.dns_servers);
	done(&p);
	/* Every entry becomes a line root writes into resolv.conf: no injected lines. */
	expect_error("", ", \"Networks\": [{\"DNS\": {\"Servers\": [\"8.8.8.8\\nnameserver 6.6.6.6\"]}}]",
	             "", "\"Networks[0].DNS.Servers[0]\"");
	expect_error("", ", \"Networks\": [{\"DNS\": {\"Servers\": [\"dns.example\"]}}]", "",
	             "is not an IPv4 or IPv6 address");
	expect_error("", ", \"Networks\": [{\"DNS\": {\"Searches\": [\"a b\"]}}]", "",
	             "\"Networks[0].DNS.Searches[0]\" \"a b\" is not a domain");
	expect_error("", ", \"Networks\": [{\"DNS\": {\"Options\": [\"x\\ny\"]}}]", "",
	             "\"Networks[0].DNS.Options[0]\"");
	expect_error("", ", \"Networks\": [{\"DNS\": {\"Servers\": \"1.1.1.1\"}}]", "",
	             "Networks[0].DNS.Servers");
	expect_error("", ", \"Networks\": [{\"DNS\": {\"Nameservers\": []}}]", "",
	             "Nameservers");
}

Test(jobspec, ignored_keys_reported_only_when_not_empty)
{
	parsed p;
	expect_ok(&p, ", \"Priority\": null, \"Stop\": false, \"Constraints\": [], \"Status\": \"\"",
	          ", \"EphemeralDisk\": null, \"Update\": {}",
	          ", \"Kind\": \"\", \"ShutdownDelay\": 0, \"Vault\": null, \"Resources\": {\"DiskMB\": null}");
	cr_assert_eq(p.job.ignored_count, 0, "first: %s", p.job.ignored_count ? p.job.ignored[0] : "");
	done(&p);
	expect_ok(&p, ", \"Priority\": 70, \"Periodic\": {\"Spec\": \"@daily\"}",
	          ", \"EphemeralDisk\": {\"SizeMB\": 300}, \"Networks\": [{\"MBits\": 10}]",
	          ", \"Vault\": {\"Policies\": [\"p\"]}, \"Resources\": {\"DiskMB\": 300},"
	          " \"LogConfig\": {\"Disabled\": true}");
	cr_assert(ignored(&p.job, "Priority"));
	cr_assert(ignored(&p.job, "Periodic"));
	cr_assert(ignored(&p.job, "TaskGroups[0].EphemeralDisk"));
	cr_assert(ignored(&p.job, "TaskGroups[0].Networks[0].MBits"));
	cr_assert(ignored(&p.job, "TaskGroups[0].Tasks[0].Vault"));
	cr_assert(ignored(&p.job, "TaskGroups[0].Tasks[0].Resources.DiskMB"));
	cr_assert(ignored(&p.job, "TaskGroups[0].Tasks[0].LogConfig.Disabled"));
	cr_assert_eq(p.job.ignored_count, 7);
	done(&p);
}

Test(jobspec, task_restart_policy_overrides_the_group_key_by_key)
{
	parsed p;
	expect_ok(&p, "", "", ", \"RestartPolicy\": {\"Attempts\": 1}");
	cr_assert_not(ignored(&p.job, "TaskGroups[0].Tasks[0].RestartPolicy"));
	const drover_jobspec_task *t = &p.job.groups[0].tasks[0];
	cr_assert_eq(t->restart.attempts, 1);
	cr_assert_eq(t->restart.interval_ms, p.job.groups[0].restart.interval_ms);
	cr_assert_eq(t->restart.delay_ms, 15000);
	cr_assert_str_eq(t->restart.mode, "fail");
	done(&p);
	expect_error("", "", ", \"RestartPolicy\": {\"Mode\": \"never\"}",
	             "task \"t\": \"RestartPolicy.Mode\" must be \"fail\" or \"delay\"");
}

Test(jobspec, legacy_task_network_ports)
{
	parsed p;
	expect_ok(&p, "", "",
	          ", \"Resources\": {\"Networks\": [{\"ReservedPorts\": [{\"Label\": \"http\", \"Value\": 8080}],"
	          " \"DynamicPorts\": [{\"Label\": \"rpc\", \"To\": -1}]}]}");
	const drover_jobspec_task *t = &p.job.groups[0].tasks[0];
	cr_assert_eq(t->port_count, 2);
	cr_assert_str_eq(t->ports[0].label, "http");
	cr_assert_eq(t->ports[0].value, 8080);
	cr_assert_str_eq(t->ports[1].label, "rpc");
	cr_assert_eq(t->ports[1].to, -1);
	cr_assert_null(t->ports[1].host_network);
	done(&p);
	expect_ok(&p, "", "", ", \"Resources\": {\"Networks\": [{\"Mode\": \"host\", \"MBits\": 10}]}");
	/* "host" is what drover does: used, not ignored. */
	cr_assert(!ignored(&p.job, "TaskGroups[0].Tasks[0].Resources.Networks[0].Mode"));
	cr_assert(ignored(&p.job, "TaskGroups[0].Tasks[0].Resources.Networks[0].MBits"));
	done(&p);
	expect_error("", "", ", \"Resources\": {\"Networks\": [{\"ReservedPorts\": [{\"Value\": 80}]}]}",
	             "task \"t\": \"Resources.Networks[0].ReservedPorts[0].Label\" is required");
}

Test(jobspec, every_problem_collected_with_the_file_name)
{
	parsed p = {0};
	p.rc = drover_jobspec_load(JOBS "bad-structure.json", &p.job, &p.errors);
	cr_assert_eq(p.rc, -EINVAL);
	const char *f = JOBS "bad-structure.json: ";
	char want[512];
	snprintf(want, sizeof(want), "%sjob \"web\": unknown key \"Typo\"", f);
	cr_assert(has_line(&p, want), "%s", lines(&p));
	snprintf(want, sizeof(want), "%sjob \"web\", group \"cache\": \"Count\" is too small (-1): the smallest value accepted is 0", f);
	cr_assert(has_line(&p, want), "%s", lines(&p));
	cr_assert(has_line(&p, "job \"web\", group \"cache\", task \"redis\": \"Driver\" is required"), "%s", lines(&p));
	cr_assert(has_line(&p, "task \"redis\": \"KillSignal\" \"SIGBOGUS\""), "%s", lines(&p));
	cr_assert(has_line(&p, "task \"redis\": \"KillTimeout\" must be an integer"), "%s", lines(&p));
	cr_assert_eq(p.errors.count, 5, "%s", lines(&p));
	cr_assert_null(p.job.id);
	done(&p);
}

Test(jobspec, load_reports_syntax_errors_with_position)
{
	parsed p = {0};
	p.rc = drover_jobspec_load(JOBS "bad-syntax.json", &p.job, &p.errors);
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert_eq(p.errors.count, 1, "%s", lines(&p));
	cr_assert(strncmp(p.errors.lines[0], JOBS "bad-syntax.json:8:7: ", strlen(JOBS) + 21) == 0,
	          "the '}' after the trailing comma: %s", p.errors.lines[0]);
	done(&p);
	p.rc = drover_jobspec_load(JOBS "no-such-job.json", &p.job, &p.errors);
	cr_assert_eq(p.rc, -ENOENT);
	cr_assert(has_line(&p, "cannot open \"" JOBS "no-such-job.json\""), "%s", lines(&p));
	done(&p);
}

/* The measurements: integers the JSON reader cannot hold as long long
 * were reported as "not float", and out-of-range ones as "must be at least". */
Test(jobspec, integer_too_large_says_so_with_the_limit)
{
	expect_error("", "", ", \"Resources\": {\"CPU\": 9223372036854775807}",
	             "\"Resources.CPU\" is too large (9223372036854775807): the largest value accepted is 2147483647 (MHz)");
	expect_error("", "", ", \"Resources\": {\"MemoryMB\": 8796093022208}",
	             "\"Resources.MemoryMB\" is too large (8796093022208): the largest value accepted is 2147483647 (MB)");
	expect_error("", "", ", \"Resources\": {\"MemoryMB\": 18446744073709551616}",
	             "\"Resources.MemoryMB\" is too large (18446744073709551616): the largest value accepted is 2147483647 (MB)");
	expect_error("", "", ", \"KillTimeout\": 18446744073709551616",
	             "\"KillTimeout\" is too large (18446744073709551616): the largest value accepted is 9223372036854775807 ns");
	expect_error("", ", \"Count\": 1e30", "", "\"Count\" is too large (1000000000000000019884624838656): the largest value accepted is 10000");
	expect_error("", ", \"RestartPolicy\": {\"Attempts\": -99999999999999999999}", "",
	             "\"RestartPolicy.Attempts\" is too small (-100000000000000000000): the smallest value accepted is 0");
	/* a fraction is still a type error, not a range error */
	expect_error("", "", ", \"Resources\": {\"CPU\": 1.5}", "\"Resources.CPU\" must be an integer, not float");
}

static char *many_groups(size_t n, size_t dup_a, size_t dup_b)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	fputs("{\"ID\": \"big\", \"TaskGroups\": [", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s{\"Name\": \"g%zu\", \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\"}]}",
		        i ? ", " : "", i == dup_b ? dup_a : i);
	fputs("]}", f);
	fclose(f);
	return s;
}

/* 100,000 groups did not finish in 180 s when every pair of names was
 * compared; with a hash set it is a few seconds even under ASan. */
Test(jobspec, group_name_uniqueness_is_linear, .timeout = 60)
{
	char *json = many_groups(100000, 3, 99999);
	parsed p;
	from_text(&p, json);
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert(has_line(&p, "group name \"g3\" is used twice (TaskGroups[3] and TaskGroups[99999])"), "%s",
	          lines(&p));
	cr_assert_eq(p.errors.count, 1, "%s", lines(&p));
	done(&p);
	free(json);
}

Test(jobspec, task_names_and_port_labels_are_checked_with_a_set, .timeout = 60)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	fputs("{\"ID\": \"big\", \"TaskGroups\": [{\"Name\": \"g\", \"Networks\": [{\"DynamicPorts\": [", f);
	for (size_t i = 0; i < 50000; i++)
		fprintf(f, "%s{\"Label\": \"p%zu\"}", i ? ", " : "", i == 49999 ? (size_t)7 : i);
	fputs("]}], \"Tasks\": [", f);
	for (size_t i = 0; i < 50000; i++)
		fprintf(f, "%s{\"Name\": \"t%zu\", \"Driver\": \"raw_exec\"}", i ? ", " : "",
		        i == 40000 ? (size_t)12 : i);
	fputs("]}]}", f);
	fclose(f);
	parsed p;
	from_text(&p, s);
	cr_assert_eq(p.rc, -EINVAL);
	cr_assert(has_line(&p, "task name \"t12\" is used twice (Tasks[12] and Tasks[40000])"), "%s", lines(&p));
	cr_assert(has_line(&p, "port label \"p7\" is used twice"), "%s", lines(&p));
	cr_assert_eq(p.errors.count, 2, "%s", lines(&p));
	done(&p);
	free(s);
}

/* 9223372036854775807 ns was accepted and made `drover stop` wait forever for
 * a task that traps its signal: the agent's max_kill_timeout caps it. */
Test(jobspec, kill_timeout_is_capped_at_max_kill_timeout)
{
	parsed p;
	char *json = job_with("", "", ", \"KillTimeout\": 9223372036854775807");
	from_text(&p, json);
	cr_assert_eq(p.rc, 0, "%s", lines(&p));
	cr_assert_eq(p.job.groups[0].tasks[0].kill_timeout_ms, 9223372036854775807LL / 1000000);
	cr_assert_eq(drover_jobspec_cap_kill_timeout(&p.job, 30000), 1);
	cr_assert_eq(p.job.groups[0].tasks[0].kill_timeout_ms, 30000);
	done(&p);
	free(json);
	/* a KillTimeout under the cap is kept */
	json = job_with("", "", ", \"KillTimeout\": 2000000000");
	from_text(&p, json);
	cr_assert_eq(drover_jobspec_cap_kill_timeout(&p.job, 30000), 0);
	cr_assert_eq(p.job.groups[0].tasks[0].kill_timeout_ms, 2000);
	done(&p);
	free(json);
}
