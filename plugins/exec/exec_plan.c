/* See exec_plan.h. */
#include "exec_plan.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_caps.h"
#include "plugin_env.h"
#include "plugin_network.h"
#include "plugin_resolve.h"

/* Nomad's default client.chroot_env, taken where the host has them. */
static const char *const default_chroot[] = { "/bin", "/etc", "/lib", "/lib32", "/lib64",
	                                      "/run/resolvconf", "/sbin", "/usr", NULL };

typedef struct strv {
	char **v;
	size_t n, cap;
	int failed;
} strv;

static void strv_add(strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strv_add(strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str;

	if (s->failed)
		return;
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->failed = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&str, fmt, ap) < 0) {
		s->failed = 1;
		va_end(ap);
		return;
	}
	va_end(ap);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void exec_plan_strv_free(char **v)
{
	size_t i;
	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void exec_plan_free(exec_plan *p)
{
	exec_plan_strv_free(p->run_argv);
	exec_plan_strv_free(p->priv_args);
	exec_plan_strv_free(p->env);
	memset(p, 0, sizeof(*p));
}

int exec_plan_ns_mode(const char *value, const char *field, exec_ns_mode *out, drover_err *err)
{
	if (strcmp(value, "private") == 0)
		*out = EXEC_NS_PRIVATE;
	else if (strcmp(value, "host") == 0)
		*out = EXEC_NS_HOST;
	else
		return drover_err_set(err, -EINVAL,
		                      "\"%s\": \"%.64s\" is not a mode: give \"private\" or \"host\"",
		                      field, value);
	return 0;
}

/* Whether the path, relative to the root, climbs above it with "..". */
static int climbs_out(const char *path)
{
	int depth = 0;
	const char *p = path;

	while (*p) {
		size_t len;
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (len && !(len == 1 && p[0] == '.')) {
			depth++;
		}
		p += len;
	}
	return 0;
}

static int has_dotdot(const char *path)
{
	const char *p = path;
	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
		p += 2;
	}
	return 0;
}

/* work_dir as the task sees it ("/" when unset), refused when it leads out
 * of the root: by ".." or through a symlink of the task directory pointing
 * outside it (RESOLVE_BENEATH). A path that does not exist yet (a chroot_env
 * directory, something the task creates) is for drover-exec-init to enter,
 * after pivot_root, where nothing leads out anyway. */
static int check_work_dir(const drover_task_config *cfg, const char **out, drover_err *err)
{
	const char *wd = drover_value_get_string(cfg->config, "work_dir", NULL);
	int dirfd, fd, e;

	*out = "/";
	if (!wd || !wd[0])
		return 0;
	if (strlen(wd) >= DROVER_PATH_MAX || strchr(wd, '\n'))
		return drover_err_set(err, -EINVAL, "config \"work_dir\" is too long or malformed");
	if (climbs_out(wd))
		return drover_err_set(err, -EINVAL,
		                      "config \"work_dir\" \"%.200s\" leads out of the task's root: "
		                      "give a directory inside it (\"/local\", \"local/app\")",
		                      wd);
	dirfd = open(cfg->task_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return drover_err_set(err, -errno, "cannot open the task directory \"%s\": %s",
		                      cfg->task_dir, strerror(errno));
	while (*wd == '/' && wd[1] == '/')
		wd++;
	fd = plugin_openat2(dirfd, wd[0] == '/' ? (wd[1] ? wd + 1 : ".") : wd,
	                    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	e = errno;
	close(dirfd);
	wd = drover_value_get_string(cfg->config, "work_dir", "");
	if (fd >= 0)
		close(fd);
	else if (e == EXDEV || e == ELOOP)
		return drover_err_set(err, -EINVAL,
		                      "config \"work_dir\" \"%.200s\" goes through a symlink that "
		                      "points out of the task's root",
		                      wd);
	else if (e != ENOENT)
		/* Anything but "not there yet" is an answer the check cannot
		 * take for a pass: a file on the way, or a lookup that kept
		 * racing with mounts. */
		return drover_err_set(err, -EINVAL,
		                      "config \"work_dir\" \"%.200s\" cannot be checked inside the "
		                      "task's root: %s",
		                      wd, strerror(e));
	*out = drover_value_get_string(cfg->config, "work_dir", "/");
	return 0;
}

static int resolve_user(const exec_plan_opts *po, const drover_task_config *cfg, exec_plan *p,
                        strv *priv, strv *user_env, drover_err *err)
{
	const char *who = cfg->user && cfg->user[0] ? cfg->user : "nobody";
	struct passwd pw, *found = NULL;
	gid_t groups[64];
	int ngroups = 64, i, r;
	char buf[4096];

	r = getpwnam_r(who, &pw, buf, sizeof(buf), &found);
	if (r != 0 || !found)
		return drover_err_set(err, r ? -r : -ENOENT,
		                      "User \"%.64s\" does not exist on this host: create it or change "
		                      "the task's User",
		                      who);
	if (pw.pw_uid == 0 && !po->allow_root_user)
		return drover_err_set(err, -EPERM,
		                      "User \"%.64s\" is root, which the exec driver refuses: run the "
		                      "task as another user, or set the plugin option "
		                      "\"allow_root_user\" to true",
		                      who);
	if (getgrouplist(who, pw.pw_gid, groups, &ngroups) < 0) {
		groups[0] = pw.pw_gid;
		ngroups = 1;
	}
	p->uid = (int)pw.pw_uid;
	p->gid = (int)pw.pw_gid;
	/* As Nomad's executor: the task's user, whatever the job's env says. */
	strv_add(user_env, "USER=%s", pw.pw_name);
	strv_add(user_env, "LOGNAME=%s", pw.pw_name);
	strv_add(user_env, "HOME=%s", pw.pw_dir);
	strv_add(priv, "--uid=%u", (unsigned)pw.pw_uid);
	strv_add(priv, "--gid=%u", (unsigned)pw.pw_gid);
	if (ngroups > 0) {
		char list[64 * 12] = "";
		size_t len = 0;
		for (i = 0; i < ngroups; i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u", i ? "," : "",
			                        (unsigned)groups[i]);
		strv_add(priv, "--groups=%s", list);
	}
	return 0;
}

static int add_binds(const exec_plan_opts *po, strv *run, drover_err *err)
{
	const drover_value *m = po->chroot_env;
	struct stat st;
	size_t i;

	if (!m || m->type == DROVER_VALUE_NULL) {
		for (i = 0; default_chroot[i]; i++)
			if (stat(default_chroot[i], &st) == 0)
				strv_add(run, "--bind=%s=%s", default_chroot[i], default_chroot[i] + 1);
		return 0;
	}
	if (m->type != DROVER_VALUE_OBJECT)
		return drover_err_set(err, -EINVAL,
		                      "agent config \"client.chroot_env\" must map host paths to task "
		                      "paths");
	if (m->u.object.count > 60)
		return drover_err_set(err, -E2BIG,
		                      "agent config \"client.chroot_env\" has %zu entries: at most 60",
		                      m->u.object.count);
	for (i = 0; i < m->u.object.count; i++) {
		const char *src = m->u.object.keys[i];
		const drover_value *v = &m->u.object.values[i];
		const char *dst;
		if (v->type != DROVER_VALUE_STRING)
			return drover_err_set(err, -EINVAL,
			                      "agent config \"client.chroot_env\" \"%.200s\" must be a "
			                      "string",
			                      src);
		dst = v->u.string.ptr;
		while (*dst == '/')
			dst++;
		if (src[0] != '/' || has_dotdot(src) || !*dst || has_dotdot(dst) || strchr(src, '=') ||
		    strlen(src) >= DROVER_PATH_MAX || strlen(dst) >= DROVER_PATH_MAX)
			return drover_err_set(err, -EINVAL,
			                      "agent config \"client.chroot_env\": \"%.200s\" -> "
			                      "\"%.200s\" is not usable: give an absolute host path "
			                      "and a path inside the task, without \"..\" and not the "
			                      "root itself",
			                      src, v->u.string.ptr);
		if (stat(src, &st) < 0)
			continue; /* as Nomad: listed paths the host lacks are left out */
		strv_add(run, "--bind=%s=%s", src, dst);
	}
	return 0;
}

/* The group's network namespace (ABI 1.3): bridge and none modes give a
 * path the task joins; a mode without one cannot be honoured. */
static int add_netns(const drover_task_config *cfg, strv *run, drover_err *err)
{
	const drover_network *net = plugin_network_of(cfg);
	if (!net || !net->mode || strcmp(net->mode, "host") == 0)
		return 0;
	if (!net->netns_path || net->netns_path[0] != '/')
		return drover_err_set(err, -EINVAL, "network mode \"%s\" needs the allocation's "
		                      "network namespace, which the host did not give", net->mode);
	strv_add(run, "--netns=%s", net->netns_path);
	return 0;
}

/* The task's host volumes, bound by drover-exec-init inside the root. */
static int add_volumes(const drover_task_config *cfg, strv *run, drover_err *err)
{
	const drover_mount *const *mounts =
		cfg->struct_size >= offsetof(drover_task_config, mounts) + sizeof(cfg->mounts) ?
		cfg->mounts :
		NULL;

	for (size_t i = 0; mounts && mounts[i]; i++) {
		const drover_mount *m = mounts[i];
		const char *dst = m->destination ? m->destination : "";
		while (*dst == '/')
			dst++;
		if (!*dst || has_dotdot(dst) || strlen(dst) >= DROVER_PATH_MAX)
			return drover_err_set(err, -EINVAL,
			                      "VolumeMounts[%zu] (volume \"%.64s\"): \"Destination\" "
			                      "\"%.200s\" must name a path inside the task's root, "
			                      "without \"..\"",
			                      i, m->volume, m->destination ? m->destination : "");
		if (!m->source || m->source[0] != '/' || strchr(m->source, '='))
			return drover_err_set(err, -EINVAL,
			                      "VolumeMounts[%zu] (volume \"%.64s\"): the host path "
			                      "\"%.200s\" cannot be bound (absolute, without '=')",
			                      i, m->volume, m->source ? m->source : "");
		/* The root's mounts are private to the task by design (nothing the
		 * host mounts later appears in it): no propagation either way. */
		if (m->propagation && strcmp(m->propagation, "private") != 0)
			return drover_err_set(err, -EINVAL,
			                      "VolumeMounts[%zu] (volume \"%.64s\"): PropagationMode "
			                      "\"%.32s\" is not supported by the exec driver: use "
			                      "\"private\"",
			                      i, m->volume, m->propagation);
		strv_add(run, "--volume-%s=%s=%s", m->read_only ? "ro" : "rw", m->source, dst);
	}
	return 0;
}

static int build_env(const drover_task_config *cfg, char *const *user_env, exec_plan *p)
{
	const char *in_root[8] = { "NOMAD_ALLOC_DIR=/alloc", "NOMAD_TASK_DIR=/local",
		                   "NOMAD_SECRETS_DIR=/secrets" };
	static const char *const none[] = { NULL };
	const char **env;
	size_t n = 0, i, k = 3;

	for (i = 0; user_env && user_env[i] && k < 7; i++)
		in_root[k++] = user_env[i];
	in_root[k] = NULL;
	env = plugin_env_overlay(cfg->env ? cfg->env : none, in_root);

	if (!env)
		return -ENOMEM;
	while (env[n])
		n++;
	p->env = calloc(n + 1, sizeof(*p->env));
	if (!p->env) {
		free(env);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (!(p->env[i] = strdup(env[i]))) {
			free(env);
			return -ENOMEM;
		}
	free(env);
	return 0;
}

int exec_plan_build(const exec_plan_opts *po, const drover_task_config *cfg, exec_plan *out,
                    drover_err *err)
{
	const char *command = drover_value_get_string(cfg->config, "command", NULL);
	const drover_value *args = drover_value_get(cfg->config, "args");
	const char *pid_mode = drover_value_get_string(cfg->config, "pid_mode", "");
	const char *ipc_mode = drover_value_get_string(cfg->config, "ipc_mode", "");
	exec_ns_mode pm = po->default_pid_mode, im = po->default_ipc_mode;
	strv run = { 0 }, priv = { 0 }, user_env = { 0 };
	exec_plan p;
	const char *wd;
	char caps[64 * 4] = "";
	size_t len = 0, i;
	int r, n;

	memset(&p, 0, sizeof(p));
	if (!command || !command[0])
		return drover_err_set(err, -EINVAL, "config \"command\" is required");
	if (args && args->type != DROVER_VALUE_ARRAY && args->type != DROVER_VALUE_NULL)
		return drover_err_set(err, -EINVAL, "config \"args\" must be a list of strings");
	if ((pid_mode[0] && (r = exec_plan_ns_mode(pid_mode, "pid_mode", &pm, err)) < 0) ||
	    (ipc_mode[0] && (r = exec_plan_ns_mode(ipc_mode, "ipc_mode", &im, err)) < 0))
		return r;
	if ((r = exec_caps_compute(po->allow_caps, drover_value_get(cfg->config, "cap_add"),
	                           drover_value_get(cfg->config, "cap_drop"), &p.caps, err)) < 0)
		return r;
	if ((r = check_work_dir(cfg, &wd, err)) < 0)
		return r;
	if ((r = resolve_user(po, cfg, &p, &priv, &user_env, err)) < 0)
		goto fail;
	for (n = 0; n < 64; n++)
		if (p.caps & ((uint64_t)1 << n))
			len += (size_t)snprintf(caps + len, sizeof(caps) - len, "%s%d", len ? "," : "", n);
	strv_add(&priv, "--caps=%s", caps);
	strv_add(&priv, "--work-dir=%s", wd);

	strv_add(&run, "%s", po->init_path);
	strv_add(&run, "run");
	strv_add(&run, "--root=%s", cfg->task_dir);
	strv_add(&run, "--alloc=%s", cfg->alloc_dir);
	if ((r = add_binds(po, &run, err)) < 0 || (r = add_volumes(cfg, &run, err)) < 0)
		goto fail;
	if ((r = add_netns(cfg, &run, err)) < 0)
		goto fail;
	if (pm == EXEC_NS_PRIVATE)
		strv_add(&run, "--pid-ns");
	if (im == EXEC_NS_PRIVATE)
		strv_add(&run, "--ipc-ns");
	if (po->no_pivot_root)
		strv_add(&run, "--no-pivot-root");
	for (i = 0; priv.v && priv.v[i]; i++)
		strv_add(&run, "%s", priv.v[i]);
	strv_add(&run, "--");
	strv_add(&run, "%s", command);
	for (i = 0; args && args->type == DROVER_VALUE_ARRAY && i < args->u.array.count; i++) {
		const drover_value *a = &args->u.array.items[i];
		if (a->type != DROVER_VALUE_STRING) {
			r = drover_err_set(err, -EINVAL, "config \"args\"[%zu] is not a string", i);
			goto fail;
		}
		strv_add(&run, "%s", a->u.string.ptr);
	}
	if (run.failed || priv.failed || user_env.failed || build_env(cfg, user_env.v, &p) < 0) {
		r = drover_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	exec_plan_strv_free(user_env.v);
	p.run_argv = run.v;
	p.priv_args = priv.v;
	*out = p;
	return 0;
fail:
	exec_plan_strv_free(user_env.v);
	exec_plan_strv_free(run.v);
	exec_plan_strv_free(priv.v);
	exec_plan_strv_free(p.env);
	return r;
}

/* Whether the root-relative path `rel` ("bin/kill") will be an executable
 * file in the task's root: through the chroot_env bind that holds it (a host
 * directory the operator chose), else in the allocation or task directory,
 * which the task writes, so resolved as if chrooted there (RESOLVE_IN_ROOT):
 * a symlink it planted cannot make us look at the host. */
static int in_root_executable(const exec_plan *p, const drover_task_config *cfg, const char *rel)
{
	const char *best_src = NULL;
	size_t best_len = 0, i;
	char host[DROVER_PATH_MAX * 2];
	struct stat st;
	int dirfd, fd, ok;

	for (i = 0; p->run_argv && p->run_argv[i] && strcmp(p->run_argv[i], "--") != 0; i++) {
		const char *b = p->run_argv[i], *eq;
		size_t dl, skip;
		/* chroot_env binds, and host volumes (bound after them, so they win
		 * at an equal depth) */
		if (strncmp(b, "--bind=", 7) == 0)
			skip = 7;
		else if (strncmp(b, "--volume-ro=", 12) == 0 || strncmp(b, "--volume-rw=", 12) == 0)
			skip = 12;
		else
			continue;
		if (!(eq = strchr(b + skip, '=')))
			continue;
		dl = strlen(eq + 1);
		if (dl >= best_len && strncmp(rel, eq + 1, dl) == 0 && (rel[dl] == '/' || !rel[dl])) {
			best_len = dl;
			best_src = b + skip;
		}
	}
	if (best_src) {
		snprintf(host, sizeof(host), "%.*s%s", (int)(strchr(best_src, '=') - best_src), best_src,
		         rel + best_len);
		return stat(host, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	}
	if (strncmp(rel, "alloc/", 6) == 0) {
		dirfd = open(cfg->alloc_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		dirfd = open(cfg->task_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (dirfd < 0)
		return 0;
	fd = plugin_openat2(dirfd, rel, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	close(dirfd);
	if (fd < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	close(fd);
	return ok;
}

int exec_plan_check_command(const exec_plan *p, const drover_task_config *cfg, drover_err *err)
{
	const char *command = drover_value_get_string(cfg->config, "command", "");
	const char *wd = "/";
	char rel[DROVER_PATH_MAX];
	size_t i;

	for (i = 0; p->priv_args && p->priv_args[i]; i++)
		if (strncmp(p->priv_args[i], "--work-dir=", 11) == 0)
			wd = p->priv_args[i] + 11;
	/* A ".." is resolved by the task's own chroot: nothing to predict here. */
	if (has_dotdot(command) || has_dotdot(wd))
		return 0;
	if (strchr(command, '/')) {
		if (command[0] == '/')
			snprintf(rel, sizeof(rel), "%s", command + 1);
		else
			snprintf(rel, sizeof(rel), "%s%s%s", wd + strspn(wd, "/"),
			         wd[strspn(wd, "/")] ? "/" : "", command);
		if (in_root_executable(p, cfg, rel))
			return 0;
	} else {
		/* A bare name is looked up in the task's PATH, inside its root. */
		const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		for (i = 0; cfg->env && cfg->env[i]; i++)
			if (strncmp(cfg->env[i], "PATH=", 5) == 0)
				path = cfg->env[i] + 5;
		for (const char *d = path; *d;) {
			size_t dl = strcspn(d, ":");
			if (dl && d[0] == '/') {
				snprintf(rel, sizeof(rel), "%.*s%s%s", (int)(dl - 1), d + 1,
				         dl > 1 ? "/" : "", command);
				if (in_root_executable(p, cfg, rel))
					return 0;
			}
			d += dl;
			if (*d == ':')
				d++;
		}
	}
	return drover_err_set(err, -ENOENT,
	                      "config \"command\": file %.200s not found under path %s (the task's "
	                      "root: its directory and the chroot_env binds), or not executable",
	                      command, cfg->task_dir);
}
