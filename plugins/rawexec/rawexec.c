/* raw_exec: runs a task as a plain process of the host, with no isolation, as
 * Nomad's raw_exec driver does. It is off unless the operator enables it.
 *
 * Processes are started and followed only through the host's proc_* services
 * (drover-shim): this plugin imports no host symbol. */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drover/driver.h>

#include "plugin_cgroup.h"
#include "plugin_env.h"
#include "plugin_exec.h"
#include "plugin_handle.h"
#include "plugin_ids.h"
#include "plugin_stats.h"
#include "plugin_task.h"
#include "plugin_leftovers.h"

#define RAWEXEC_ENABLE_ADVICE \
	"set \"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}} in the agent config"
#define RAWEXEC_HANDLE_MAGIC "drvrawex"
#define DEFAULT_LOG_MAX_FILES 10u
#define DEFAULT_LOG_MAX_FILE_SIZE_MB 10ull
/* How long stop and destroy wait for a killed cgroup to empty. */
#define CGROUP_KILL_TIMEOUT_MS 10000

static const drover_field rawexec_plugin_schema[] = {
	{ "enabled", DROVER_FIELD_BOOL, 0, "false",
	  "run raw_exec tasks; off by default because they run unisolated on the host", NULL },
	{ "no_cgroups", DROVER_FIELD_BOOL, 0, "false",
	  "do not put tasks in cgroups even when running as root (no limits, no tree kill)",
	  NULL },
	{ "denied_host_uids", DROVER_FIELD_STRING, 0, "\"\"",
	  "host uids tasks may not run as: ids and ranges, \"0,10-20\"", NULL },
	{ "denied_host_gids", DROVER_FIELD_STRING, 0, "\"\"",
	  "host gids tasks may not run with (primary or supplementary): \"0,10-20\"", NULL },
	{ "denied_envvars", DROVER_FIELD_STRING_LIST, 0, "[]",
	  "environment variables removed from every task's environment; \"*\" globs", NULL },
	DROVER_FIELD_END
};

static const drover_field rawexec_task_schema[] = {
	{ "command", DROVER_FIELD_STRING, 1, NULL,
	  "the program to run: an absolute path or a name looked up in the task's PATH", NULL },
	{ "args", DROVER_FIELD_STRING_LIST, 0, NULL, "arguments passed to the command", NULL },
	{ "work_dir", DROVER_FIELD_STRING, 0, NULL,
	  "directory the command runs in; a relative path is relative to the task directory",
	  NULL },
	{ "denied_envvars", DROVER_FIELD_STRING_LIST, 0, "[]",
	  "environment variables removed from the task's environment; \"*\" globs", NULL },
	{ "oom_score_adj", DROVER_FIELD_INT, 0, "0",
	  "the task's /proc/<pid>/oom_score_adj, 0 to 1000: higher is killed first on OOM", NULL },
	{ "cgroup_v1_override", DROVER_FIELD_STRING_MAP, 0, NULL,
	  "cgroup v1: controller -> existing cgroup path the task joins instead of its own", NULL },
	{ "cgroup_v2_override", DROVER_FIELD_STRING, 0, NULL,
	  "cgroup v2: existing cgroup path the task joins instead of its own", NULL },
	DROVER_FIELD_END
};

struct drover_task {
	drover_proc proc;
	char *name;
	/* For exec, also after recover: what the task runs with. */
	char **env;
	char *dir;
	int uid, gid;
	plugin_cgroup cg;
	char *cgroups;            /* cg as the ":"-list the task joined */
	int exited;               /* `result` is final */
	drover_exit_result result;
	struct drover_task *prev, *next; /* in ctx->tasks, freed by fini */
};

typedef struct rawexec_ctx {
	const drover_host *host;
	int enabled;
	int no_cgroups;
	plugin_ids denied_uids, denied_gids;
	char *denied_uids_text, *denied_gids_text;
	char **denied_env;        /* NULL-ended patterns */
	pthread_mutex_t lock; /* protects `tasks` */
	struct drover_task *tasks;
} rawexec_ctx;

static void rawexec_log(rawexec_ctx *c, drover_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rawexec_log(rawexec_ctx *c, drover_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->host->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->host->log(c->host->host_data, level, msg);
}

static int rawexec_init(const drover_host *host, void **ctx, drover_err *err)
{
	rawexec_ctx *c;

	if (!host || host->struct_size < offsetof(drover_host, proc_stop) + sizeof(host->proc_stop) ||
	    !host->proc_spawn || !host->proc_wait_fd || !host->proc_status || !host->proc_signal ||
	    !host->proc_stop)
		return drover_err_set(err, -ENOTSUP,
		                      "raw_exec needs the host's process services (proc_spawn ... "
		                      "proc_stop), which this host does not offer");
	c = calloc(1, sizeof(*c));
	if (!c)
		return drover_err_set(err, -ENOMEM, "raw_exec: out of memory");
	c->host = host;
	pthread_mutex_init(&c->lock, NULL);
	*ctx = c;
	return 0;
}

static void task_free(struct drover_task *t)
{
	free(t->name);
	plugin_env_free(t->env);
	free(t->dir);
	plugin_cgroup_free(&t->cg);
	free(t->cgroups);
	free(t);
}

static void config_free(rawexec_ctx *c)
{
	plugin_ids_free(&c->denied_uids);
	plugin_ids_free(&c->denied_gids);
	free(c->denied_uids_text);
	free(c->denied_gids_text);
	plugin_env_free(c->denied_env);
	c->denied_uids_text = c->denied_gids_text = NULL;
	c->denied_env = NULL;
}

static void rawexec_fini(void *ctx)
{
	rawexec_ctx *c = ctx;

	/* The tasks keep running under their shims; only our memory goes. */
	while (c->tasks) {
		struct drover_task *t = c->tasks;
		c->tasks = t->next;
		task_free(t);
	}
	config_free(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* A NULL-ended strdup()ed copy of a string list `field` of `obj` (absent:
 * an empty list); `what` says where it is for messages. */
static int string_list(const drover_value *obj, const char *field, const char *what,
                       char ***out, drover_err *err)
{
	const drover_value *v = drover_value_get(obj, field);
	size_t n = 0, i;
	char **list;

	if (v && v->type != DROVER_VALUE_ARRAY && v->type != DROVER_VALUE_NULL)
		return drover_err_set(err, -EINVAL, "%s \"%s\" must be a list of strings", what,
		                      field);
	if (v && v->type == DROVER_VALUE_ARRAY)
		n = v->u.array.count;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return drover_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const drover_value *e = &v->u.array.items[i];
		if (e->type != DROVER_VALUE_STRING || !e->u.string.ptr[0]) {
			plugin_env_free(list);
			return drover_err_set(err, -EINVAL, "%s \"%s\"[%zu] must be a non-empty string",
			                      what, field, i);
		}
		if (!(list[i] = strdup(e->u.string.ptr))) {
			plugin_env_free(list);
			return drover_err_set(err, -ENOMEM, "out of memory");
		}
	}
	*out = list;
	return 0;
}

static int rawexec_set_config(void *ctx, const drover_value *config, drover_err *err)
{
	rawexec_ctx *c = ctx;
	const char *uids = drover_value_get_string(config, "denied_host_uids", "");
	const char *gids = drover_value_get_string(config, "denied_host_gids", "");
	int r;

	config_free(c);
	c->enabled = drover_value_get_bool(config, "enabled", 0);
	c->no_cgroups = drover_value_get_bool(config, "no_cgroups", 0);
	if ((r = plugin_ids_parse("denied_host_uids", uids, &c->denied_uids, err)) < 0 ||
	    (r = plugin_ids_parse("denied_host_gids", gids, &c->denied_gids, err)) < 0 ||
	    (r = string_list(config, "denied_envvars", "plugin option", &c->denied_env, err)) < 0)
		goto fail;
	c->denied_uids_text = strdup(uids);
	c->denied_gids_text = strdup(gids);
	if (!c->denied_uids_text || !c->denied_gids_text) {
		r = drover_err_set(err, -ENOMEM, "raw_exec: out of memory");
		goto fail;
	}
	return 0;
fail:
	config_free(c);
	return r;
}

static int rawexec_capabilities(void *ctx, drover_capabilities *out)
{
	(void)ctx;
	if (out->struct_size < sizeof(*out))
		return -EINVAL;
	out->send_signals = 1;
	out->exec = 1;
	out->fs_isolation = DROVER_FS_ISOLATION_NONE;
	out->network_modes = DROVER_NET_MODE_HOST;
	return 0;
}

static int cgroups_wanted(const rawexec_ctx *c);

static int rawexec_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	rawexec_ctx *c = ctx;
	int fav;

	(void)err;
	if (!c->enabled) {
		out->health = DROVER_HEALTH_UNDETECTED;
		snprintf(out->description, sizeof(out->description), "disabled: %s",
		         RAWEXEC_ENABLE_ADVICE);
		return 0;
	}
	out->health = DROVER_HEALTH_HEALTHY;
	snprintf(out->description, sizeof(out->description), "healthy");
	if (!out->set_attribute)
		return 0;
	out->set_attribute(out->sink, "driver.raw_exec", "1");
	/* Tells the operator whether a task start's cgroup.procs writes may wait
	 * for an RCU grace period (doc/drivers/raw_exec.md, "Start latency"). */
	if (cgroups_wanted(c) && (fav = plugin_cgroup_favordynmods()) >= 0)
		out->set_attribute(out->sink, "driver.raw_exec.cgroup.favordynmods",
		                   fav ? "true" : "false");
	return 0;
}

static void task_track(rawexec_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	t->next = c->tasks;
	if (c->tasks)
		c->tasks->prev = t;
	c->tasks = t;
	pthread_mutex_unlock(&c->lock);
}

static void task_untrack(rawexec_ctx *c, struct drover_task *t)
{
	pthread_mutex_lock(&c->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		c->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&c->lock);
}

static struct drover_task *task_new(const drover_task_config *cfg)
{
	struct drover_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->name = strdup(cfg && cfg->id ? cfg->id : (cfg && cfg->task_name ? cfg->task_name : "?"));
	if (!t->name) {
		free(t);
		return NULL;
	}
	t->uid = t->gid = -1;
	return t;
}

static const char *task_label(const drover_task_config *cfg)
{
	return cfg->task_name ? cfg->task_name : (cfg->id ? cfg->id : "?");
}

/* The task's uid and gid (-1 when User is unset: the agent's own), and
 * refuses them when denied_host_uids / denied_host_gids name them. As in
 * Nomad, an unset User means the task runs as the agent's user, and that is
 * what is checked then. */
static int resolve_user(rawexec_ctx *c, const drover_task_config *cfg, int *uid, int *gid,
                        drover_err *err)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	gid_t groups[256];
	int ngroups = (int)(sizeof(groups) / sizeof(groups[0]));
	const char *who = cfg->user && cfg->user[0] ? cfg->user : NULL;
	char agent[64];
	unsigned long check_uid;
	int r, i;

	*uid = -1;
	*gid = -1;
	if (who) {
		r = getpwnam_r(who, &pw, buf, sizeof(buf), &found);
		if (r != 0)
			return drover_err_set(err, -r, "task \"%s\": cannot look up user \"%s\": %s",
			                      task_label(cfg), who, strerror(r));
		if (!found)
			return drover_err_set(err, -ENOENT,
			                      "task \"%s\": user \"%s\" does not exist on this host: "
			                      "create it or change the task's User",
			                      task_label(cfg), who);
		*uid = (int)pw.pw_uid;
		*gid = (int)pw.pw_gid;
		check_uid = pw.pw_uid;
		if (c->denied_gids.n && getgrouplist(who, pw.pw_gid, groups, &ngroups) < 0) {
			groups[0] = pw.pw_gid; /* more than 256 groups: check the primary one */
			ngroups = 1;
		}
	} else {
		snprintf(agent, sizeof(agent), "uid %lu (the agent's user, User is unset)",
		         (unsigned long)geteuid());
		who = agent;
		check_uid = geteuid();
		groups[0] = getegid();
		r = getgroups(ngroups - 1, groups + 1);
		ngroups = r < 0 ? 1 : r + 1;
	}
	if (plugin_ids_contains(&c->denied_uids, check_uid))
		return drover_err_set(err, -EPERM,
		                      "task \"%s\": running as user \"%s\" (uid %lu) is denied by the "
		                      "raw_exec plugin option \"denied_host_uids\" (\"%s\")",
		                      task_label(cfg), who, check_uid,
		                      c->denied_uids_text ? c->denied_uids_text : "");
	for (i = 0; c->denied_gids.n && i < ngroups; i++)
		if (plugin_ids_contains(&c->denied_gids, (unsigned long)groups[i]))
			return drover_err_set(err, -EPERM,
			                      "task \"%s\": running as user \"%s\" with gid %lu is denied "
			                      "by the raw_exec plugin option \"denied_host_gids\" (\"%s\")",
			                      task_label(cfg), who, (unsigned long)groups[i],
			                      c->denied_gids_text ? c->denied_gids_text : "");
	return 0;
}

/* The task's working directory: work_dir (relative to the task directory) or
 * NULL for the task directory itself. */
static int resolve_work_dir(const drover_task_config *cfg, char *out, size_t len,
                            const char **dir, drover_err *err)
{
	const char *work_dir = drover_value_get_string(cfg->config, "work_dir", NULL);

	*dir = NULL;
	if (!work_dir || !work_dir[0])
		return 0;
	if (work_dir[0] == '/') {
		*dir = work_dir;
		return 0;
	}
	if ((size_t)snprintf(out, len, "%s/%s", cfg->task_dir, work_dir) >= len)
		return drover_err_set(err, -ENAMETOOLONG,
		                      "task \"%s\": config \"work_dir\" \"%s\" is too long",
		                      task_label(cfg), work_dir);
	*dir = out;
	return 0;
}

/* As Nomad's executor when the task names a User: USER, LOGNAME and HOME
 * are that user's, over the job's env. *env is replaced; -ENOMEM. */
static int with_user_env(char ***env, const char *user)
{
	struct passwd pw, *found = NULL;
	char buf[4096], *vars[3] = { NULL, NULL, NULL }, **out = NULL;
	const char *extra[4];
	const char **merged;
	size_t n = 0, i;
	int r = -ENOMEM;

	/* resolve_user already refused a user that does not exist. */
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || !found)
		return 0;
	if (asprintf(&vars[0], "USER=%s", pw.pw_name) < 0 ||
	    asprintf(&vars[1], "LOGNAME=%s", pw.pw_name) < 0 ||
	    asprintf(&vars[2], "HOME=%s", pw.pw_dir) < 0)
		goto done;
	for (i = 0; i < 3; i++)
		extra[i] = vars[i];
	extra[3] = NULL;
	if (!(merged = plugin_env_overlay((const char *const *)*env, extra)))
		goto done;
	while (merged[n])
		n++;
	if ((out = calloc(n + 1, sizeof(*out)))) {
		for (i = 0; i < n && (out[i] = strdup(merged[i])); i++)
			;
		if (i == n) {
			plugin_env_free(*env);
			*env = out;
			out = NULL;
			r = 0;
		}
	}
	free(merged);
	plugin_env_free(out);
done:
	for (i = 0; i < 3; i++)
		free(vars[i]);
	return r;
}

/* Whether tasks get a cgroup: as Nomad, when running as root, unless
 * no_cgroups; an imitation cgroupfs (tests) works for anyone. */
static int cgroups_wanted(const rawexec_ctx *c)
{
	const char *root = getenv(PLUGIN_CGROUP_ROOT_ENV);
	return !c->no_cgroups && (geteuid() == 0 || (root && root[0]));
}

/* Everything about the task that start needs and that recover must know again
 * for exec, stats, stop and destroy: user, environment, directory, cgroup. */
static int task_prepare(rawexec_ctx *c, const drover_task_config *cfg, struct drover_task *t,
                        drover_err *err)
{
	char **task_deny = NULL;
	char work_path[DROVER_PATH_MAX];
	const char *dir;
	int r;

	if ((r = resolve_user(c, cfg, &t->uid, &t->gid, err)) < 0)
		return r;
	if ((r = resolve_work_dir(cfg, work_path, sizeof(work_path), &dir, err)) < 0)
		return r;
	t->dir = strdup(dir ? dir : cfg->task_dir);
	if (!t->dir)
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	if ((r = string_list(cfg->config, "denied_envvars", "config", &task_deny, err)) < 0) {
		char inner[DROVER_ERR_MESSAGE_MAX];
		memcpy(inner, err ? err->message : "", err ? sizeof(inner) : 1);
		inner[sizeof(inner) - 1] = '\0';
		return drover_err_set(err, r, "task \"%s\": %s", task_label(cfg), inner);
	}
	t->env = plugin_env_filter(cfg->env, (const char *const *)c->denied_env,
	                            (const char *const *)task_deny);
	plugin_env_free(task_deny);
	if (!t->env || (cfg->user && cfg->user[0] && with_user_env(&t->env, cfg->user) < 0))
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	if (cgroups_wanted(c)) {
		const drover_value *v1 = drover_value_get(cfg->config, "cgroup_v1_override");
		const char *v2 = drover_value_get_string(cfg->config, "cgroup_v2_override", NULL);
		char inner[DROVER_ERR_MESSAGE_MAX];

		if (v1 && v1->type != DROVER_VALUE_OBJECT && v1->type != DROVER_VALUE_NULL)
			return drover_err_set(err, -EINVAL,
			                      "task \"%s\": config \"cgroup_v1_override\" must be a map "
			                      "of controller names to paths",
			                      task_label(cfg));
		r = plugin_cgroup_plan(&t->cg, cfg->alloc_id, cfg->task_name, v1, v2, err);
		if (r == 0)
			t->cgroups = plugin_cgroup_join_list(&t->cg, &r);
		if (r == -ENOMEM)
			return drover_err_set(err, r, "task \"%s\": out of memory", task_label(cfg));
		if (r < 0) {
			memcpy(inner, err ? err->message : "", err ? sizeof(inner) : 1);
			inner[sizeof(inner) - 1] = '\0';
			return drover_err_set(err, r, "task \"%s\": %s", task_label(cfg), inner);
		}
	}
	return 0;
}

/* Nomad's TaskConfig.validate, at start only (a task recovered from an older
 * handle keeps running as it was started). Every problem is named at once. */
static int validate_task(const drover_task_config *cfg, drover_err *err)
{
	const drover_value *v1 = drover_value_get(cfg->config, "cgroup_v1_override");
	const char *v2 = drover_value_get_string(cfg->config, "cgroup_v2_override", "");
	const char *wd = drover_value_get_string(cfg->config, "work_dir", "");
	int both = v1 && v1->type == DROVER_VALUE_OBJECT && v1->u.object.count > 0 && v2[0];
	int relative = wd[0] && wd[0] != '/';

	if (cfg->struct_size >= offsetof(drover_task_config, mounts) + sizeof(cfg->mounts) &&
	    cfg->mounts && cfg->mounts[0])
		/* Nomad's raw_exec ignores them; a job that needs its data directory
		 * must not run without it. */
		return drover_err_set(err, -EINVAL, "task \"%s\": VolumeMounts (volume \"%.64s\"): "
		                      "raw_exec has no filesystem isolation to mount volumes into: "
		                      "use the exec or docker driver, or have the task use the host "
		                      "path directly",
		                      task_label(cfg), cfg->mounts[0]->volume);
	if (!both && !relative)
		return 0;
	return drover_err_set(err, -EINVAL, "task \"%s\": %s%s%s%.200s%s", task_label(cfg),
	                      both ? "config \"cgroup_v1_override\" and \"cgroup_v2_override\" "
	                             "are both set: only one of them may be" : "",
	                      both && relative ? "; " : "",
	                      relative ? "config \"work_dir\" must be an absolute path, not \"" : "",
	                      relative ? wd : "", relative ? "\" (use ${NOMAD_TASK_DIR}/...)" : "");
}

/* argv = command + args, pointing into the config (valid during the call). */
static int build_argv(const drover_task_config *cfg, const char ***argv_out, drover_err *err)
{
	const char *command = drover_value_get_string(cfg->config, "command", NULL);
	const drover_value *args = drover_value_get(cfg->config, "args");
	const char **argv;
	size_t n = 0, i;

	if (!command || !command[0])
		return drover_err_set(err, -EINVAL, "task \"%s\": config \"command\" is required",
		                      task_label(cfg));
	if (args && args->type != DROVER_VALUE_ARRAY && args->type != DROVER_VALUE_NULL)
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": config \"args\" must be a list of strings",
		                      task_label(cfg));
	if (args && args->type == DROVER_VALUE_ARRAY)
		n = args->u.array.count;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	argv[0] = command;
	for (i = 0; i < n; i++) {
		const drover_value *a = &args->u.array.items[i];
		if (a->type != DROVER_VALUE_STRING) {
			free(argv);
			return drover_err_set(err, -EINVAL,
			                      "task \"%s\": config \"args\"[%zu] is not a string",
			                      task_label(cfg), i);
		}
		argv[i + 1] = a->u.string.ptr;
	}
	*argv_out = argv;
	return 0;
}

/* Prefixes err's message (set by a callee) with the task's name. */
static int err_in_task(drover_err *err, int r, const drover_task_config *cfg)
{
	char inner[DROVER_ERR_MESSAGE_MAX];

	if (!err)
		return r;
	memcpy(inner, err->message, sizeof(inner));
	inner[sizeof(inner) - 1] = '\0';
	return drover_err_set(err, r, "task \"%s\": %s", cfg ? task_label(cfg) : "?", inner);
}

static int rawexec_start(void *ctx, const drover_task_config *cfg, drover_task **task,
                         drover_handle *handle, drover_err *err)
{
	rawexec_ctx *c = ctx;
	drover_spawn_request req;
	drover_proc proc;
	struct drover_task *t;
	const char **argv = NULL;
	long long oom;
	void *blob = NULL;
	size_t blob_len = 0;
	int r;

	if (!c->enabled)
		return drover_err_set(err, -EPERM, "task \"%s\": the raw_exec driver is disabled: %s",
		                      cfg->task_name ? cfg->task_name : "?", RAWEXEC_ENABLE_ADVICE);
	if (cfg->struct_size < offsetof(drover_task_config, log_max_file_size_mb) +
	                           sizeof(cfg->log_max_file_size_mb))
		return drover_err_set(err, -EINVAL, "raw_exec: task config struct_size %u is too small",
		                      cfg->struct_size);
	if (!cfg->task_dir || !cfg->log_dir)
		return drover_err_set(err, -EINVAL, "task \"%s\": the task and log directories are not "
		                      "set",
		                      task_label(cfg));
	oom = drover_value_get_int(cfg->config, "oom_score_adj", 0);
	if (oom < 0 || oom > 1000)
		return drover_err_set(err, -EINVAL,
		                      "task \"%s\": config \"oom_score_adj\" %lld is out of range: give "
		                      "0 to 1000 (negative values are refused, as in Nomad)",
		                      task_label(cfg), oom);
	if ((r = validate_task(cfg, err)) < 0)
		return r;
	if ((r = build_argv(cfg, &argv, err)) < 0)
		return r;
	t = task_new(cfg);
	if (!t) {
		free(argv);
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
	}
	if ((r = task_prepare(c, cfg, t, err)) < 0)
		goto fail;
	r = plugin_cgroup_create(&t->cg, cfg->cpu_mhz, cfg->memory_mb, cfg->memory_max_mb, 0, err);
	if (r < 0) {
		r = err_in_task(err, r, cfg);
		goto fail;
	}

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.env = (const char *const *)t->env;
	req.work_dir = t->dir;
	req.state_dir = plugin_state_dir(cfg);
	req.log_dir = cfg->log_dir;
	req.log_name = cfg->task_name;
	req.log_max_files = cfg->log_max_files ? cfg->log_max_files : DEFAULT_LOG_MAX_FILES;
	req.log_max_file_size = (cfg->log_max_file_size_mb ? cfg->log_max_file_size_mb
	                                                    : DEFAULT_LOG_MAX_FILE_SIZE_MB) *
	                        1024ull * 1024ull;
	req.uid = t->uid;
	req.gid = t->gid;
	req.cgroup = t->cgroups;
	req.oom_score_adj = (int)oom;

	memset(&proc, 0, sizeof(proc));
	proc.struct_size = sizeof(proc);
	r = c->host->proc_spawn(c->host->host_data, &req, &proc, err);
	if (r < 0) {
		/* Add the task to the host's message; it named the field or command. */
		r = err_in_task(err, r, cfg);
		goto fail_cgroup;
	}
	t->proc = proc;
	if (plugin_handle_encode(RAWEXEC_HANDLE_MAGIC, &proc, &blob, &blob_len) < 0) {
		/* Nothing may be left running when start fails. */
		c->host->proc_stop(c->host->host_data, &proc, SIGKILL, 0, NULL);
		plugin_cgroup_kill(&t->cg, CGROUP_KILL_TIMEOUT_MS, NULL);
		r = drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", task_label(cfg));
		goto fail_cgroup;
	}
	free(argv);
	task_track(c, t);
	handle->data = blob;
	handle->len = blob_len;
	*task = t;
	rawexec_log(c, DROVER_LOG_DEBUG, "task \"%s\" started: pid %d, drover-shim pid %d%s%s",
	            t->name, proc.pid, proc.shim_pid, t->cgroups ? ", cgroups " : "",
	            t->cgroups ? t->cgroups : "");
	return 0;
fail_cgroup:
	plugin_cgroup_remove(&t->cg, NULL);
fail:
	free(argv);
	task_free(t);
	return r;
}

/* A task that cannot be recovered must not keep running unsupervised, or a
 * restart would make it two: what the shim's pids file and the task's cgroup
 * still hold is killed. Keeps err's message and says what was done. */
static int kill_unrecoverable(rawexec_ctx *c, const drover_task_config *cfg, int r,
                              drover_err *err)
{
	struct drover_task *t = NULL;
	drover_err ignored = { "" };
	plugin_cgroup *cg = NULL;
	int killed = 0;
	drover_proc found;

	if (cfg && cfg->task_dir && cgroups_wanted(c) && (t = task_new(cfg)) != NULL &&
	    task_prepare(c, cfg, t, &ignored) == 0 && t->cgroups)
		cg = &t->cg;
	r = plugin_leftovers_clean(c->host, plugin_state_dir(cfg), cg, r, err, &killed,
	                           &found);
	if (t)
		task_free(t);
	if (killed)
		rawexec_log(c, DROVER_LOG_WARN, "task \"%s\": %s", task_label(cfg), err->message);
	return r;
}

static int rawexec_recover(void *ctx, const drover_task_config *cfg, const void *handle,
                           size_t len, drover_task **task, drover_err *err)
{
	rawexec_ctx *c = ctx;
	drover_proc proc;
	struct drover_task *t;
	drover_err prep_err = { "" };
	int r;

	if ((r = plugin_handle_decode("raw_exec", RAWEXEC_HANDLE_MAGIC, handle, len, &proc, err)) < 0)
		return kill_unrecoverable(c, cfg, err_in_task(err, r, cfg), err);
	t = task_new(cfg);
	if (!t)
		return drover_err_set(err, -ENOMEM, "raw_exec: out of memory");
	t->proc = proc;
	/* A task that runs must stay recoverable even if its user, environment or
	 * cgroup can no longer be worked out (user deleted, option changed): it
	 * then loses exec and cgroup statistics, not its supervision. */
	if (cfg && cfg->task_dir && task_prepare(c, cfg, t, &prep_err) < 0)
		rawexec_log(c, DROVER_LOG_WARN, "task \"%s\" recovered without exec and cgroup "
		            "support: %s",
		            t->name, prep_err.message);
	task_track(c, t);
	*task = t;
	return 0;
}

/* The pieces of the task the shared shim-task methods need (plugin_task.h). */
static plugin_task core(rawexec_ctx *c, struct drover_task *t)
{
	return (plugin_task){ c->host, t->name, &t->proc, &t->cg, &t->exited, &t->result };
}

static int rawexec_wait_fd(void *ctx, drover_task *task, drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_wait_fd(&k, err);
}

static int rawexec_wait(void *ctx, drover_task *task, int flags, drover_exit_result *res,
                   drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_wait(&k, flags, res, err);
}

static int rawexec_stop(void *ctx, drover_task *task, int signo, long long timeout_ms,
                   drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_stop(&k, signo, timeout_ms, err);
}

static int rawexec_destroy(void *ctx, drover_task *task, int force, drover_err *err)
{
	rawexec_ctx *c = ctx;
	plugin_task k = core(c, task);
	int r = plugin_task_destroy(&k, force, err);

	if (r < 0)
		return r;
	task_untrack(c, task);
	task_free(task);
	return 0;
}

static int rawexec_inspect(void *ctx, drover_task *task, drover_task_status *out,
                      drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_inspect(&k, out, err);
}

static int rawexec_stats(void *ctx, drover_task *task, drover_task_stats *out, drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_stats(&k, out, err);
}

static int rawexec_exec(void *ctx, drover_task *task, const drover_exec_request *req,
                        int *exit_code, drover_err *err)
{
	plugin_exec_ctx x;

	(void)ctx;
	if (task->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has exited: nothing to exec in",
		                      task->name);
	if (!task->env || !task->dir)
		return drover_err_set(err, -ENOTSUP,
		                      "task \"%s\": its environment could not be rebuilt when it was "
		                      "recovered (see the agent's log): exec is not possible",
		                      task->name);
	x.driver = "raw_exec";
	x.prefix = NULL;
	x.task = task->name;
	x.env = (const char *const *)task->env;
	x.dir = task->dir;
	x.uid = task->uid;
	x.gid = task->gid;
	x.cgroups = task->cgroups;
	return plugin_exec_run(&x, req, exit_code, err);
}

static int rawexec_signal(void *ctx, drover_task *task, int signo, drover_err *err)
{
	plugin_task k = core(ctx, task);
	return plugin_task_signal(&k, signo, err);
}

static const drover_driver rawexec_driver = {
	.struct_size = sizeof(drover_driver),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.name = "raw_exec",
	.version = PACKAGE_VERSION,
	.description = "runs tasks as plain processes of the host, without isolation",
	.plugin_schema = rawexec_plugin_schema,
	.task_schema = rawexec_task_schema,
	.init = rawexec_init,
	.fini = rawexec_fini,
	.set_config = rawexec_set_config,
	.capabilities = rawexec_capabilities,
	.fingerprint = rawexec_fingerprint,
	.start = rawexec_start,
	.recover = rawexec_recover,
	.wait_fd = rawexec_wait_fd,
	.wait = rawexec_wait,
	.stop = rawexec_stop,
	.destroy = rawexec_destroy,
	.inspect = rawexec_inspect,
	.stats = rawexec_stats,
	.events = NULL,
	.signal = rawexec_signal,
	.exec = rawexec_exec,
	.periodic = NULL,
};

DROVER_EXPORT const drover_driver *drover_driver_entry_v1(void)
{
	return &rawexec_driver;
}
