#include "config.h"

#include "jobspec_util.h"
#include "value_tree.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_CPU_MHZ 100
#define DEFAULT_MEMORY_MB 300
#define DEFAULT_KILL_TIMEOUT_MS 5000
#define DEFAULT_LOG_MAX_FILES 10
#define DEFAULT_LOG_MAX_FILE_SIZE_MB 10

void js_task_clear(drover_jobspec_task *t)
{
	free(t->name);
	free(t->driver);
	free(t->user);
	drover_value_clear(&t->config);
	js_kv_free(t->env, t->env_count);
	js_kv_free(t->meta, t->meta_count);
	js_ports_free(t->ports, t->port_count);
	js_volume_mounts_free(t->mounts, t->mount_count);
	free(t->lifecycle_hook);
	free(t->restart.mode);
	memset(t, 0, sizeof(*t));
}

/* "SIGTERM", "TERM", "sigterm" -> SIGTERM; 0 when no such signal. */
static int signal_from_name(const char *name)
{
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (int signo = 1; signo < NSIG; signo++) {
		const char *abbrev = sigabbrev_np(signo);
		if (abbrev && strcasecmp(abbrev, name) == 0)
			return signo;
	}
	return 0;
}

static const js_key task_keys[] = {
	{"Name", JS_USED},
	{"Driver", JS_USED},
	{"User", JS_USED},
	{"Config", JS_USED},
	{"Env", JS_USED},
	{"Meta", JS_USED},
	{"Resources", JS_USED},
	{"KillTimeout", JS_USED},
	{"KillSignal", JS_USED},
	{"LogConfig", JS_USED},
	{"RestartPolicy", JS_USED},
	{"Lifecycle", JS_USED},
	{"Leader", JS_USED},
	{"Constraints", JS_IGNORED},
	{"Affinities", JS_IGNORED},
	{"Services", JS_IGNORED},
	{"Artifacts", JS_IGNORED},
	{"Vault", JS_IGNORED},
	{"Consul", JS_IGNORED},
	{"Templates", JS_IGNORED},
	{"DispatchPayload", JS_IGNORED},
	{"VolumeMounts", JS_USED},
	{"CSIPluginConfig", JS_IGNORED},
	{"ShutdownDelay", JS_IGNORED},
	{"Kind", JS_IGNORED},
	{"ScalingPolicies", JS_IGNORED},
	{"Identity", JS_IGNORED},
	{"Identities", JS_IGNORED},
	{"Actions", JS_IGNORED},
	{"Schedule", JS_IGNORED},
	JS_KEYS_END,
};

static void parse_resources(js_ctx *c, const drover_value *v, const char *where,
                            const char *ignored_prefix, drover_jobspec_task *t)
{
	static const js_key keys[] = {
		{"CPU", JS_USED},        {"MemoryMB", JS_USED},    {"MemoryMaxMB", JS_USED},
		{"Networks", JS_USED},   {"Cores", JS_IGNORED},    {"DiskMB", JS_IGNORED},
		{"Devices", JS_IGNORED}, {"IOPS", JS_IGNORED},     {"NUMA", JS_IGNORED},
		{"SecretsMB", JS_IGNORED}, JS_KEYS_END,
	};
	t->cpu_mhz = DEFAULT_CPU_MHZ;
	t->memory_mb = DEFAULT_MEMORY_MB;
	const drover_value *res = NULL;
	if (js_get_object(c, v, "Resources", where, NULL, &res) <= 0)
		return;
	char *ip = js_printf(c, "%s.Resources", ignored_prefix);
	if (!ip)
		return;
	js_check_keys(c, res, keys, where, "Resources", ip);
	long long n;
	/* Nomad's own minimums (structs.Resources.Validate). */
	if (js_get_int_range(c, res, "CPU", where, "Resources", 1, INT_MAX, " (MHz)", &n) > 0)
		t->cpu_mhz = n;
	if (js_get_int_range(c, res, "MemoryMB", where, "Resources", 10, INT_MAX, " (MB)", &n) > 0)
		t->memory_mb = n;
	if (js_get_int_range(c, res, "MemoryMaxMB", where, "Resources", 0, INT_MAX, " (MB)", &n) > 0 &&
	    n != 0) {
		if (n < t->memory_mb)
			js_report(c, "%s: \"Resources.MemoryMaxMB\" (%lld) must be 0 (unset) or at least MemoryMB (%lld)",
			          where, n, t->memory_mb);
		else
			t->memory_max_mb = n;
	}
	js_get_networks(c, res, "Networks", where, "Resources", ip, &t->ports, &t->port_count,
	                NULL);
	free(ip);
}

static void parse_log_config(js_ctx *c, const drover_value *v, const char *where,
                             const char *ignored_prefix, drover_jobspec_task *t)
{
	static const js_key keys[] = {
		{"MaxFiles", JS_USED}, {"MaxFileSizeMB", JS_USED}, {"Disabled", JS_IGNORED},
		{"Enabled", JS_IGNORED}, JS_KEYS_END,
	};
	t->log_max_files = DEFAULT_LOG_MAX_FILES;
	t->log_max_file_size_mb = DEFAULT_LOG_MAX_FILE_SIZE_MB;
	const drover_value *lc = NULL;
	if (js_get_object(c, v, "LogConfig", where, NULL, &lc) <= 0)
		return;
	char *ip = js_printf(c, "%s.LogConfig", ignored_prefix);
	if (!ip)
		return;
	js_check_keys(c, lc, keys, where, "LogConfig", ip);
	free(ip);
	long long n;
	if (js_get_int_range(c, lc, "MaxFiles", where, "LogConfig", 1, 10000, "", &n) > 0)
		t->log_max_files = (unsigned)n;
	if (js_get_int_range(c, lc, "MaxFileSizeMB", where, "LogConfig", 1, 1024 * 1024, " (MB)", &n) > 0)
		t->log_max_file_size_mb = (unsigned long long)n;
}

static void parse_lifecycle(js_ctx *c, const drover_value *v, const char *where,
                            drover_jobspec_task *t)
{
	static const js_key keys[] = {{"Hook", JS_USED}, {"Sidecar", JS_USED}, JS_KEYS_END};
	const drover_value *lc = NULL;
	if (js_get_object(c, v, "Lifecycle", where, NULL, &lc) <= 0)
		return;
	js_check_keys(c, lc, keys, where, "Lifecycle", NULL);
	const char *hook = NULL;
	int r = js_get_string(c, lc, "Hook", where, "Lifecycle", &hook);
	if (r == 0) {
		js_report(c, "%s: \"Lifecycle.Hook\" is required when Lifecycle is set: \"prestart\", \"poststart\" or \"poststop\"",
		          where);
	} else if (r > 0 && strcmp(hook, "prestart") != 0 && strcmp(hook, "poststart") != 0 &&
	           strcmp(hook, "poststop") != 0) {
		char *shown = js_display(c, hook);
		js_report(c, "%s: \"Lifecycle.Hook\" must be \"prestart\", \"poststart\" or \"poststop\", not \"%s\"",
		          where, shown);
		js_display_free(shown);
	} else if (r > 0) {
		t->lifecycle_hook = js_strdup(c, hook);
	}
	js_get_bool(c, lc, "Sidecar", where, "Lifecycle", &t->lifecycle_sidecar);
}

/* Reads Name and builds the "job ..., group ..., task ..." prefix of messages. */
static char *task_where(js_ctx *c, const drover_value *v, size_t ti, const char *group_where,
                        drover_jobspec_task *t)
{
	char *anon = js_printf(c, "%s, Tasks[%zu]", group_where, ti);
	if (!anon)
		return NULL;
	const char *name = NULL;
	int r = js_get_string(c, v, "Name", anon, NULL, &name);
	if (r == 0)
		js_report(c, "%s: \"Name\" is required for every task", anon);
	if (r <= 0 || !js_check_name(c, anon, "Name", name))
		return anon;
	/* A task's directory is <alloc_dir>/<Name>, beside the shared alloc/: a
	 * task named "alloc" would own the directory every task of the group
	 * shares, logs included. */
	if (strcmp(name, "alloc") == 0) {
		js_report(c, "%s: \"Name\" \"alloc\" cannot be used for a task: the allocation "
		          "directory's shared \"alloc\" directory has that name; rename the task",
		          anon);
		return anon;
	}
	free(anon);
	t->name = js_strdup(c, name);
	char *shown = js_display(c, name);
	char *where = js_printf(c, "%s, task \"%s\"", group_where, shown);
	js_display_free(shown);
	return where;
}

int js_parse_task(js_ctx *c, const drover_value *v, size_t gi, size_t ti, const char *group_where,
                  const drover_restart_policy *group_restart, drover_jobspec_task *t)
{
	int failed_before = c->failed;
	c->failed = 0;
	if (v->type != DROVER_VALUE_OBJECT) {
		js_report(c, "%s: \"Tasks[%zu]\" must be an object, not %s", group_where, ti,
		          drover_value_type_name(v->type));
		c->failed = 1;
		return -1;
	}
	char *where = task_where(c, v, ti, group_where, t);
	char *ip = js_printf(c, "TaskGroups[%zu].Tasks[%zu]", gi, ti);
	if (where && ip) {
		js_check_keys(c, v, task_keys, where, NULL, ip);

		const char *s = NULL;
		int r = js_get_string(c, v, "Driver", where, NULL, &s);
		if (r == 0 || (r > 0 && !s[0]))
			js_report(c, "%s: \"Driver\" is required (for example \"raw_exec\", \"exec\" or \"docker\")",
			          where);
		else if (r > 0)
			t->driver = js_strdup(c, s);
		if (js_get_string(c, v, "User", where, NULL, &s) > 0 && s[0])
			t->user = js_strdup(c, s);

		const drover_value *cfg = NULL;
		if (js_get_object(c, v, "Config", where, NULL, &cfg) > 0 && drover_value_copy(&t->config, cfg) < 0)
			c->oom = c->failed = 1;
		js_get_string_map(c, v, "Env", where, &t->env, &t->env_count);
		js_get_string_map(c, v, "Meta", where, &t->meta, &t->meta_count);
		parse_resources(c, v, where, ip, t);

		t->kill_timeout_ms = DEFAULT_KILL_TIMEOUT_MS;
		js_get_duration_ms(c, v, "KillTimeout", where, NULL, &t->kill_timeout_ms);
		t->kill_signal = SIGINT;
		if (js_get_string(c, v, "KillSignal", where, NULL, &s) > 0 && s[0]) {
			int signo = signal_from_name(s);
			char *shown = js_display(c, s);
			if (!signo)
				js_report(c, "%s: \"KillSignal\" \"%s\" is not a signal this system knows (use a name such as \"SIGTERM\" or \"SIGINT\")",
				          where, shown);
			t->kill_signal = signo ? signo : SIGINT;
			t->kill_signal_set = signo != 0;
			js_display_free(shown);
		}
		parse_log_config(c, v, where, ip, t);
		js_get_volume_mounts(c, v, where, t);
		parse_lifecycle(c, v, where, t);
		js_get_bool(c, v, "Leader", where, NULL, &t->leader);

		/* A task's RestartPolicy overrides its group's, key by key (Nomad merges
		 * the two the same way). */
		t->restart = *group_restart;
		t->restart.mode = js_strdup(c, group_restart->mode);
		js_get_restart(c, v, where, ip, &t->restart);
	}
	free(where);
	free(ip);
	int failed = c->failed;
	c->failed = failed_before || failed;
	return failed ? -1 : 0;
}
